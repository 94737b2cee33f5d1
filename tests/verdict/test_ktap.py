# SPDX-License-Identifier: GPL-2.0-or-later
"""KTAP output, checked by parsers we did not write: the kernel's own kunit_parser
(tools/testing/kunit, from a kernel tree in the cache or $XDP_HINTS_KUNIT_DIR; never
committed here) and tappy (PyPI tap.py) level by level.  Counts must equal the JSON's."""

from __future__ import annotations

import io
import os
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from tap.parser import Parser

from harness.paths import cache_dir
from harness.verdict.ktap import matrix_ktap, run_ktap
from harness.verdict.report import counts
from tests.verdict.matrix_data import ROWS, cell, row


def kunit_dir() -> Path | None:
    """A kernel tree's tools/testing/kunit (env override, else any tree in the cache)."""
    env = os.environ.get("XDP_HINTS_KUNIT_DIR")
    cands = [Path(env)] if env else []
    for pat in ("kernel-src/*/linux/tools/testing/kunit", "kernel-build/*/src/tools/testing/kunit"):
        cands += sorted(cache_dir().glob(pat))
    return next((c for c in cands if (c / "kunit_parser.py").is_file()), None)


def kunit_counts(text: str) -> tuple[Counter, int] | None:
    """(leaf statuses, parse errors) from the kernel's kunit_parser, or None without a tree."""
    d = kunit_dir()
    if d is None:
        return None
    sys.path.insert(0, str(d))
    try:
        import kunit_parser
        import kunit_printer
        test = kunit_parser.parse_run_tests(text.splitlines(), kunit_printer.Printer(io.StringIO()))
    finally:
        sys.path.remove(str(d))

    leaves: Counter = Counter()

    def walk(t) -> None:
        if t.subtests:
            for s in t.subtests:
                walk(s)
        else:
            leaves[t.status.name] += 1
    walk(test)
    return leaves, test.counts.errors


def tappy_levels(text: str) -> list[tuple[int | None, list]]:
    """Each nesting level's (plan, test lines) through tappy (which ignores indented lines)."""
    blocks: dict[int, list[str]] = {}
    out = []
    for line in text.splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 4
        if line.strip() == "KTAP version 1" and depth in blocks:
            out.append(blocks.pop(depth))
        blocks.setdefault(depth, []).append(line)
    out += blocks.values()
    levels = []
    for lines in out:
        parsed = list(Parser().parse_text(textwrap.dedent("\n".join(lines)) + "\n"))
        plan = next((p.expected_tests for p in parsed if p.category == "plan"), None)
        levels.append((plan, [p for p in parsed if p.category == "test"]))
    return levels


def test_run_ktap_counts_equal_the_json() -> None:
    rows = [row(*k, v) for k, v in ROWS.items()] + [row("igc", "skb", "hash", "fail")]
    text = run_ktap(rows, {"kernel": "7.2", "kernel_spec": "debian:sid", "accel": "tcg"})
    c = counts(rows)
    assert text.startswith("KTAP version 1\n") and "\n1..2\n" in text
    assert "    # Subtest: igc\n    1..5\n" in text and "not ok 1 igc" in text
    assert "ok 2 virtio-net" in text and "# SKIP skip because no. reasons" in text
    # tappy, level by level: plans match their test lines, directives counted
    leaves = Counter()
    for plan, tests in tappy_levels(text):
        assert plan == len(tests) and [t.number for t in tests] == list(range(1, plan + 1))
        if tests[0].description in ("igc", "virtio-net"):
            continue
        for t in tests:
            d = t.directive.text if t.directive else ""
            leaves["skip" if t.skip else "expected-unsupported" if d.startswith("XFAIL")
                   else "pass" if t.ok else "fail"] += 1
    assert dict(leaves) == {k: v for k, v in c.items() if v}
    got = kunit_counts(text)
    if got is not None:
        leaves, errors = got
        assert errors == 0
        assert leaves == Counter({"SUCCESS": c["pass"] + c["expected-unsupported"],
                                  "FAILURE": c["fail"], "SKIPPED": c["skip"]})


def test_matrix_ktap_nests_cells_and_marks_broken_ones() -> None:
    cells = [cell("sid"), cell("broken", "infra", rows={}),
             cell("crashy", "crash", rows={("igc", "xdp", "hash"): "pass"})]
    text = matrix_ktap(cells)
    assert "\n1..3\n" in text and "not ok 2 broken" in text and "not ok 3 crashy" in text
    assert "# infra: kernel image not found: /x" in text
    assert "# panic: Kernel panic - not syncing: Fatal exception" in text
    n_rows = sum(len(c["results"]) for c in cells)
    for plan, tests in tappy_levels(text):
        assert plan == len(tests)
    got = kunit_counts(text)
    if got is not None:
        leaves, errors = got
        assert errors == 0
        # every row is a leaf, plus the broken cell (no rows: a failed leaf of its own)
        assert sum(leaves.values()) == n_rows + 1 and leaves["FAILURE"] == 1


def test_kunit_parser_is_found_here_when_a_kernel_tree_is_cached() -> None:
    """Says which parser ran (the report names it); skips where no tree is cached."""
    if kunit_dir() is None:
        pytest.skip("no kernel tree with tools/testing/kunit in the cache: tappy only")
    assert (kunit_dir() / "kunit_parser.py").is_file()
