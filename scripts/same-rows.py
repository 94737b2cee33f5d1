#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare two `xdp-hints run --json` files row by row (refactors keep behaviour).

Usage: scripts/same-rows.py BEFORE.json AFTER.json
Rows are keyed by (nic, path, field) and compared on (verdict, checked).  Prints
every difference; exit 0 when the sets are equal, 1 otherwise.
"""

import json
import sys


def rows(path: str) -> dict[tuple[str, str, str], tuple[str, int]]:
    doc = json.load(open(path))
    return {(r["nic"], r["path"], r["field"]): (r["verdict"], r["checked"])
            for r in doc["results"]}


def main(before: str, after: str) -> int:
    a, b = rows(before), rows(after)
    diff = 0
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            diff += 1
            print(f"{'/'.join(key)}: {a.get(key)} -> {b.get(key)}")
    print(f"{len(a)} rows before, {len(b)} after, {diff} differ")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
