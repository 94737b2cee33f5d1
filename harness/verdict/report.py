# SPDX-License-Identifier: GPL-2.0-or-later
"""Reports of a suite run: a text table, a JSON file and JUnit XML.

Rows are :class:`harness.verdict.compare.Row` (one per NIC x path x field).  JSON::

    {"kernel": "7.2.13+deb14-amd64", "accel": "tcg", ...,
     "results": [{"nic", "path", "field", "verdict", "checked", "matched", "detail",
                  "mismatches": [...], "missing", "extra", "duplicates", "rules",
                  "reasons"}, ...]}  (reasons: absent in older files)

JUnit: one ``<testcase classname="xdp-hints.NIC.PATH" name="FIELD">`` per row;
``fail`` -> ``<failure>``, ``skip`` -> ``<skipped>``; ``expected-unsupported`` and
``known-bug`` are passing test cases whose ``<system-out>`` starts with the verdict
and gives the reason (a known-bug case also carries ``<properties>`` with
``known-bug``: the bug's anchor in docs/kernel-bugs.md).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.verdict.compare import VERDICTS, Row


def counts(rows: Iterable[Row]) -> dict[str, int]:
    """Rows per verdict (every verdict present, 0 if none)."""
    c = Counter(r.verdict for r in rows)
    return {v: c.get(v, 0) for v in VERDICTS}


def summary_line(rows: list[Row]) -> str:
    """E.g. ``40 rows: 30 pass, 0 fail, 6 expected-unsupported, 4 skip`` (known-bug
    when there is one)."""
    c = counts(rows)
    return f"{len(rows)} rows: " + ", ".join(
        f"{n} {v}" for v, n in c.items() if n or v != "known-bug")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def table(rows: Iterable[Row], detail_width: int = 110) -> str:
    """One line per row: ``nic  path  field  verdict  matched/checked  detail``.

    Pass rows show no detail; the others show why (mismatches, reasons).
    """
    rows = list(rows)
    if not rows:
        return "(no results)"
    cells = []
    for r in rows:
        count = f"{r.matched}/{r.checked}" if r.checked else "-"
        detail = "" if r.verdict == "pass" else _short(r.detail, detail_width)
        cells.append((r.nic, r.path, r.field, r.verdict, count, detail))
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    lines = []
    for c in cells:
        head = "  ".join(c[i].ljust(widths[i]) for i in range(5))
        lines.append((head + "  " + c[5]).rstrip())
    return "\n".join(lines)


def to_json(rows: Iterable[Row], meta: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document: ``meta`` (kernel, accel, ...) + counts + results."""
    rows = list(rows)
    doc: dict[str, Any] = {"kernel": meta.get("kernel"), "accel": meta.get("accel")}
    doc.update({k: v for k, v in meta.items() if k not in doc})
    doc["counts"] = counts(rows)
    doc["results"] = [r.to_dict() for r in rows]
    return doc


def write_json(path: Path, rows: Iterable[Row], meta: Mapping[str, Any]) -> None:
    """Write :func:`to_json` to ``path``."""
    path.write_text(json.dumps(to_json(rows, meta), indent=2) + "\n")


def to_junit(rows: Iterable[Row], meta: Mapping[str, Any], suite: str = "xdp-hints") -> str:
    """JUnit XML, one testcase per row."""
    rows = list(rows)
    c = counts(rows)
    ts = ET.Element("testsuite", name=suite, tests=str(len(rows)), failures=str(c["fail"]),
                    errors="0", skipped=str(c["skip"]),
                    time=f"{float(meta.get('duration_s') or 0):.1f}")
    props = ET.SubElement(ts, "properties")
    for k in ("kernel", "kernel_spec", "accel", "backend"):
        if meta.get(k) is not None:
            ET.SubElement(props, "property", name=k, value=str(meta[k]))
    for r in rows:
        tc = ET.SubElement(ts, "testcase", classname=f"{suite}.{r.nic}.{r.path}", name=r.field)
        if r.verdict == "fail":
            f = ET.SubElement(tc, "failure", message=_short(r.detail, 300), type="mismatch")
            f.text = r.detail + "".join(
                f"\nid {m['id']} ({m.get('kind')}): expected {m['expected']}, "
                f"observed {m['observed']}" for m in r.mismatches)
        elif r.verdict == "skip":
            ET.SubElement(tc, "skipped", message=_short(r.detail, 300))
        elif r.verdict == "known-bug":
            props = ET.SubElement(tc, "properties")
            ET.SubElement(props, "property", name="known-bug", value=r.detail)
            out = ET.SubElement(tc, "system-out")
            out.text = f"{r.verdict}: {r.matched}/{r.checked}; {r.detail}"
        else:
            out = ET.SubElement(tc, "system-out")
            out.text = f"{r.verdict}: {r.matched}/{r.checked}; {r.detail}"
    ET.indent(ts)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(ts, encoding="unicode") + "\n"


def write_junit(path: Path, rows: Iterable[Row], meta: Mapping[str, Any]) -> None:
    """Write :func:`to_junit` to ``path``."""
    path.write_text(to_junit(rows, meta))


def exit_code(rows: Iterable[Row]) -> int:
    """0 when every row is pass / expected-unsupported / known-bug / skip, 1 if any
    failed."""
    return 1 if any(r.verdict == "fail" for r in rows) else 0
