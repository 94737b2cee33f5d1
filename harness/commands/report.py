# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints report show|diff|merge``: print, compare and merge results.

``report show FILE`` prints a saved result (``run --json`` or a matrix ``cell.json``)
as ``run`` does: the matrix view, or with ``--table`` a line per row.

``report diff BASE NEW`` compares two results (``run --json`` files, merged matrix
JSON or matrix directories; cell by cell for matrices).  ``report merge DIR...``
joins matrix cells (from any number of shards) into one JSON, KTAP and a
self-contained HTML page, with a "changed since" section against ``--baseline``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.errors import EXIT_INFRA
from harness.verdict import diff, ktap, merge, report, view
from harness.verdict.compare import Row


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="work with result files (show, diff, merge)")
    rsub = p.add_subparsers(dest="report_cmd", metavar="ACTION", required=True)
    s = rsub.add_parser(
        "show", help="print a saved result as `run` does (matrix view or --table)",
        description="Print a `run --json` file (or a matrix cell.json) as `run` prints it: "
                    "per NIC a paths x fields matrix, then the failures in full and each "
                    "expected-unsupported / skip reason once; --table: a line per row.",
        epilog="exit codes: 0 no row failed, 1 a row failed, 2 unreadable input")
    s.add_argument("file", type=Path, metavar="FILE")
    s.add_argument("--table", action="store_true", help="one line per (NIC, path, field)")
    s.set_defaults(func=run_show)
    d = rsub.add_parser(
        "diff", help="rows whose verdict or counts changed between two results",
        description="Compare a base result with a new one, row by row (nic, path, field; per "
                    "cell for matrices): regression (pass/expected-unsupported/known-bug -> "
                    "fail/crash/missing, or pass -> expected-unsupported/known-bug), fix, "
                    "new support "
                    "(expected-unsupported -> pass), changed (counts, skips, new rows). BASE "
                    "and NEW are `run --json` files, merged matrix JSON (`report merge "
                    "--json`) or matrix output directories.",
        epilog="exit codes: 0 no regression, 1 a regression, 2 unreadable input")
    d.add_argument("base", type=Path, metavar="BASE")
    d.add_argument("new", type=Path, metavar="NEW")
    d.add_argument("--json", action="store_true", help="print the changes as JSON")
    d.add_argument("--html", type=Path, metavar="FILE",
                   help="also write the matrix page of NEW with the changes on top")
    d.set_defaults(func=run_diff)
    m = rsub.add_parser(
        "merge", help="merge matrix cells (any number of shards) into one HTML/JSON/KTAP",
        description="Collect every cell (DIR/<cell>/cell.json) under the given directories "
                    "or files and write one merged result: a self-contained HTML page (rows "
                    "NIC/path/field x columns kernels), JSON, KTAP. With --baseline (a merged "
                    "JSON or a matrix directory of an earlier run), the page starts with what "
                    "changed since.",
        epilog="exit codes: 0 merged, 2 unreadable input (the cells' own verdicts do not "
               "change it: use `report diff` for regressions)")
    m.add_argument("dirs", type=Path, nargs="+", metavar="DIR")
    m.add_argument("--html", type=Path, metavar="FILE", help="write the HTML page")
    m.add_argument("--json", type=Path, metavar="FILE", help="write the merged JSON")
    m.add_argument("--ktap", type=Path, metavar="FILE", help="write KTAP (a subtest per cell)")
    m.add_argument("--baseline", type=Path, metavar="FILE|DIR",
                   help="an earlier merged JSON / matrix dir: adds a 'changed since' section")
    m.add_argument("--title", default="xdp-hints matrix", help="the page title")
    m.set_defaults(func=run_merge)


def _is_single_run(path: Path) -> bool:
    """A plain `run --json` file (not a merged matrix, not a directory)."""
    if not path.is_file():
        return False
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return True  # diff.load names the file and the problem
    return isinstance(doc, dict) and doc.get("format") != merge.FORMAT and "cell_id" not in doc


def _changes(base: Path, new: Path) -> list[diff.Change]:
    if _is_single_run(base) and _is_single_run(new):
        return diff.diff(diff.load(base), diff.load(new))
    return merge.diff_cells(merge.load_cells(base), merge.load_cells(new))


def run_show(args: argparse.Namespace) -> int:
    doc = diff.load(args.file)
    rows = view.check_rows(doc["results"], str(args.file))
    print(view.heading(doc))
    if doc.get("error"):
        print(f"ERROR {doc['error']}")
    if args.table:
        rs = [Row(**{k: r[k] for k in r if k in Row.__dataclass_fields__}) for r in rows]
        print(report.table(rs))
        print(report.summary_line(rs))
    else:
        print(view.render(rows, view.style_for(sys.stdout)))
    return 1 if any(r["verdict"] == "fail" for r in rows) else 0


def run_diff(args: argparse.Namespace) -> int:
    changes = _changes(args.base, args.new)
    if args.json:
        print(json.dumps({"base": str(args.base), "new": str(args.new),
                          "changes": [c.to_dict() for c in changes],
                          "regressions": sum(c.kind == "regression" for c in changes)},
                         indent=2))
    else:
        print(diff.text(changes))
    if args.html:
        from harness.verdict import html
        cells = merge.load_cells(args.new)
        args.html.write_text(html.render(cells, changes, baseline=str(args.base),
                                         generated=merge.merged(cells)["generated"]))
    return diff.exit_code(changes)


def run_merge(args: argparse.Namespace) -> int:
    cells = merge.collect(args.dirs)
    doc = merge.merged(cells)
    changes = None
    if args.baseline:
        changes = merge.diff_cells(merge.load_cells(args.baseline), cells)
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    if args.ktap:
        args.ktap.write_text(ktap.matrix_ktap(cells))
    if args.html:
        from harness.verdict import html
        args.html.write_text(html.render(cells, changes, baseline=str(args.baseline or ""),
                                         title=args.title, generated=doc["generated"]))
    t = doc["totals"]
    print(f"{t['cells']} cells ("
          + ", ".join(f"{n} {s}" for s, n in t["status"].items() if n) + f"), {t['rows']} rows ("
          + ", ".join(f"{n} {v}" for v, n in t["verdicts"].items()) + ")")
    if changes is not None:
        print(diff.summary(changes))
    return 0 if cells else EXIT_INFRA
