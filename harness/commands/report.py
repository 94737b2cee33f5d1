# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints report diff BASE.json NEW.json``: what changed between two results."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.verdict import diff


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="work with result files (diff)")
    rsub = p.add_subparsers(dest="report_cmd", metavar="ACTION", required=True)
    d = rsub.add_parser(
        "diff", help="rows whose verdict or counts changed between two `run --json` files",
        description="Compare a base result with a new one, row by row (nic, path, field): "
                    "regression (pass/expected-unsupported -> fail/crash/missing, or pass -> "
                    "expected-unsupported), fix, new support (expected-unsupported -> pass), "
                    "changed (counts, skips, new rows).",
        epilog="exit codes: 0 no regression, 1 a regression, 2 unreadable input")
    d.add_argument("base", type=Path, metavar="BASE.json")
    d.add_argument("new", type=Path, metavar="NEW.json")
    d.add_argument("--json", action="store_true", help="print the changes as JSON")
    d.set_defaults(func=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    base, new = diff.load(args.base), diff.load(args.new)
    changes = diff.diff(base, new)
    if args.json:
        print(json.dumps({"base": str(args.base), "new": str(args.new),
                          "changes": [c.to_dict() for c in changes],
                          "regressions": sum(c.kind == "regression" for c in changes)},
                         indent=2))
    else:
        print(diff.text(changes))
    return diff.exit_code(changes)
