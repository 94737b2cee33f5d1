# SPDX-License-Identifier: GPL-2.0-or-later
"""Merge matrix cells (``OUT/<cell>/cell.json``, from any number of shards) into one
document, and diff two merged documents cell by cell.

The merged JSON::

    {"format": "xdp-hints-matrix", "generated": "...", "totals": {...},
     "cells": [<cell.json document>, ...]}          # sorted by cell id

A cell document is an ``xdp-hints run --json`` document plus ``cell_id``,
``status`` (pass, fail, flaky, crash, infra), ``flaky``, ``panic``, ``attempts``.
A plain ``run --json`` file is accepted too (a cell named after its kernel spec).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.errors import UsageError
from harness.verdict import diff
from harness.verdict.compare import VERDICTS

FORMAT = "xdp-hints-matrix"
STATUSES = ("pass", "fail", "flaky", "crash", "infra")
Key = tuple[str, str, str]


def _slug(text: str) -> str:
    from harness.suite.matrix import slug
    return slug(text)


def as_cell(doc: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """A cell document from a ``cell.json`` or a plain ``run --json`` document."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("results"), list):
        raise UsageError(f"{origin}: no 'results' list (not an xdp-hints result)")
    cell = dict(doc)
    if "cell_id" not in cell:
        cell["cell_id"] = _slug(str(doc.get("kernel_spec") or doc.get("kernel") or origin))
        err = str(doc.get("error") or "")
        failed = any(r.get("verdict") == "fail" for r in doc["results"])
        cell["status"] = ("crash" if err.startswith("GuestCrashed") else "infra" if err
                          else "fail" if failed else "pass")
        if cell["status"] == "crash":
            cell.setdefault("panic", list(doc.get("error_detail") or []))
    return cell


def _cells_in(path: Path) -> list[dict[str, Any]]:
    if path.is_file():
        doc = diff.read_json(path)
        if isinstance(doc, dict) and doc.get("format") == FORMAT:
            return [dict(c) for c in doc.get("cells", [])]
        return [as_cell(doc, str(path))]
    if path.is_dir():
        found = sorted(p for p in path.rglob("cell.json")
                       if not any(part.startswith("attempt-") for part in p.parts))
        if not found and (path / "result.json").is_file():
            return [as_cell(diff.read_json(path / "result.json"), str(path))]
        return [as_cell(diff.read_json(p), str(p)) for p in found]
    raise UsageError(f"{path}: no such file or directory")


def collect(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Every cell under ``paths`` (matrix out dirs, shard artifact dirs, cell dirs,
    ``cell.json``/``run --json``/merged files), sorted by cell id; a cell id found twice
    is an error (two shards ran the same cell)."""
    cells: dict[str, dict[str, Any]] = {}
    for p in paths:
        for c in _cells_in(Path(p)):
            cid = c["cell_id"]
            if cid in cells:
                raise UsageError(f"cell {cid!r} found twice (in {p} and before): "
                                 "merge each cell once")
            cells[cid] = c
    if not cells:
        raise UsageError(f"no cells (cell.json) under {', '.join(map(str, paths))}")
    return [cells[k] for k in sorted(cells)]


def totals(cells: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows per verdict, cells per status, accelerators, durations, flaky/crashed cells."""
    verdicts = Counter(r["verdict"] for c in cells for r in c.get("results", []))
    status = Counter(str(c.get("status")) for c in cells)
    return {
        "cells": len(cells),
        "rows": sum(verdicts.values()),
        "verdicts": {v: verdicts.get(v, 0) for v in VERDICTS},
        "status": {s: status.get(s, 0) for s in STATUSES},
        "accel": sorted({str(c.get("accel")) for c in cells if c.get("accel")}),
        "duration_s": round(sum(float(c.get("cell_duration_s") or c.get("duration_s") or 0)
                                for c in cells), 1),
        "flaky": [c["cell_id"] for c in cells if c.get("flaky")],
        "crashed": [c["cell_id"] for c in cells if c.get("status") == "crash"],
        "infra": [c["cell_id"] for c in cells if c.get("status") == "infra"],
    }


def merged(cells: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The merged document."""
    return {"format": FORMAT, "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "totals": totals(cells), "cells": list(cells)}


def row_keys(cells: Iterable[Mapping[str, Any]]) -> list[Key]:
    """Every (nic, path, field) of any cell, in first-appearance order."""
    seen: dict[Key, None] = {}
    for c in cells:
        for r in c.get("results", []):
            seen.setdefault((r["nic"], r["path"], r["field"]), None)
    return list(seen)


def rows_of(cells: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str, str], Any]:
    """``{(cell, nic, path, field): row}``: what two merges are compared by."""
    return {(c["cell_id"], r["nic"], r["path"], r["field"]): r
            for c in cells for r in c.get("results", [])}


def load_cells(path: Path) -> list[dict[str, Any]]:
    """Cells from a merged JSON file, a run/cell JSON file or a directory."""
    return collect([Path(path)])


def diff_cells(base: Sequence[Mapping[str, Any]],
               new: Sequence[Mapping[str, Any]]) -> list[diff.Change]:
    """:func:`harness.verdict.diff.diff` per cell id (a cell gone from ``new`` has every
    row missing); regressions first, then fixes, new support, the rest."""
    a = {c["cell_id"]: c for c in base}
    b = {c["cell_id"]: c for c in new}
    out: list[diff.Change] = []
    for cid in sorted(set(a) | set(b)):
        ca = a.get(cid, {"results": []})
        cb = b.get(cid, {"results": []})
        if cb.get("status") == "crash" and not str(cb.get("error", "")).startswith("Guest"):
            cb = {**cb, "error": "GuestCrashed: " + str(cb.get("error", ""))}
        out += [replace(ch, cell=cid) for ch in diff.diff(ca, cb)]
    out.sort(key=lambda ch: diff.KINDS.index(ch.kind))
    return out
