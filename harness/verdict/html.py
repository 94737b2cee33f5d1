# SPDX-License-Identifier: GPL-2.0-or-later
"""One self-contained HTML page for a merged matrix (inline CSS and JS, no network).

Rows are (NIC, path, field), columns are cells (kernels); each table cell is
coloured by verdict and shows matched/checked; a click shows the detail
(mismatches by packet id, expected vs observed, the oracle rules and their
source).  The header has the totals, accelerators, durations, flaky, crashed and
broken cells; with a baseline, a "changed since" section comes first
(regressions, then fixes, then new support, then other changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from harness.oracle.rules import rules_table
from harness.verdict.compare import id_ranges
from harness.verdict.diff import KINDS, Change
from harness.verdict.merge import row_keys, totals

TEMPLATE_DIR = Path(__file__).with_name("templates")
SHORT = {"pass": "pass", "fail": "FAIL", "expected-unsupported": "unsup", "known-bug": "BUG",
         "skip": "skip"}


def _cell_view(cell: Mapping[str, Any], key: tuple[str, str, str], row: Mapping[str, Any] | None,
               rules: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """What one table cell shows, and its detail."""
    status = cell.get("status")
    if row is None:
        cls, text = ("crash", "crash") if status == "crash" else \
            ("infra", "infra") if status == "infra" else ("none", "\u2014")
        return {"cls": cls, "text": text, "counts": "", "detail": None}
    counts = f"{row.get('matched', 0)}/{row.get('checked', 0)}" if row.get("checked") else ""
    detail = {
        "cell": cell["cell_id"], "kernel": cell.get("kernel"), "nic": key[0], "path": key[1],
        "field": key[2], "verdict": row["verdict"], "counts": counts or "-",
        "text": row.get("detail", ""), "mismatches": row.get("mismatches") or [],
        "missing": id_ranges(row.get("missing") or []),
        "extra": id_ranges(row.get("extra") or []),
        "duplicates": id_ranges(row.get("duplicates") or []),
        "rules": [rules.get(r, {"rule": r, "drivers": "?", "paths": "?", "fields": "?",
                                "source": "(not in this harness's rule table)"})
                  for r in row.get("rules") or []],
    }
    return {"cls": row["verdict"], "text": SHORT.get(row["verdict"], row["verdict"]),
            "counts": counts, "detail": detail}


def context(cells: Sequence[Mapping[str, Any]], changes: Sequence[Change] | None = None,
            baseline: str = "", title: str = "xdp-hints matrix",
            generated: str = "") -> dict[str, Any]:
    """The template's data (pure: unit-testable without rendering)."""
    rules = {r["rule"]: r for r in rules_table()}
    keys = row_keys(cells)
    by_cell = [{(r["nic"], r["path"], r["field"]): r for r in c.get("results", [])}
               for c in cells]
    changed = {(ch.cell, ch.nic, ch.path, ch.field): ch.kind for ch in changes or []}
    grid = []
    for key in keys:
        line = []
        for c, rows in zip(cells, by_cell, strict=True):
            v = _cell_view(c, key, rows.get(key), rules)
            v["changed"] = changed.get((c["cell_id"], *key), "")
            line.append(v)
        grid.append({"key": key, "cells": line})
    columns = [{
        "id": c["cell_id"], "kernel": c.get("kernel") or "", "spec": c.get("kernel_spec") or "",
        "status": c.get("status") or "", "accel": c.get("accel") or "",
        "duration": c.get("cell_duration_s") or c.get("duration_s") or 0,
        "boot": c.get("boot_s"), "flaky": bool(c.get("flaky")),
        "error": c.get("cell_error") or c.get("error") or "",
        "panic": list(c.get("panic") or []),
        "attempts": [a.get("exit_code") for a in c.get("attempts") or []],
        "counts": c.get("counts") or {},
    } for c in cells]
    groups = [(k, [ch for ch in changes or [] if ch.kind == k]) for k in KINDS]
    return {"title": title, "generated": generated, "totals": totals(cells),
            "columns": columns, "grid": grid, "baseline": baseline,
            "has_baseline": changes is not None, "changes": [g for g in groups if g[1]],
            "n_changes": len(changes or [])}


def render(cells: Sequence[Mapping[str, Any]], changes: Sequence[Change] | None = None,
           baseline: str = "", title: str = "xdp-hints matrix", generated: str = "") -> str:
    """The page as one HTML string."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("matrix.html.j2").render(
        **context(cells, changes, baseline, title, generated))
