# SPDX-License-Identifier: GPL-2.0-or-later
"""The ``known-bug`` verdict: a wrong value for a cited kernel bug is shown apart and does
not fail the run; the right value where the bug should show fails ("table needs
updating"); any other value fails as a plain mismatch."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import harness.oracle as o
from harness.traffic.packets import SentPacket, make_plan
from harness.verdict import compare as c
from harness.verdict import diff, ktap, report

PLAN = make_plan(4, "52:54:00:00:00:01", kinds=["ipv4-udp"])
FACTS = o.Facts(driver="igc")
RIGHT, WRONG = 1000, 7


def oracle(_f: o.Facts, p: SentPacket, _path: str, _fld: str) -> o.Expectation:
    """Odd ids: a known bug gives WRONG where RIGHT is right; even ids: plain RIGHT."""
    exp = o.value(RIGHT, "right")
    if p.id % 2:
        exp = o.known_bug(o.value(WRONG, "the bug"), "some-bug", exp)
    return o.Expectation(**{**exp.__dict__, "rule": "r"})


def row(observed: dict[int, int]) -> c.Row:
    recs = [{"point": "xdp", "id": p.id, "rx_ts_rc": 0, "rx_ts": observed[p.id]} for p in PLAN]
    (r,) = c.compare("igc", FACTS, PLAN, recs, paths=["xdp"], fields=["timestamp"],
                     oracle=oracle)
    return r


def observed(bug_shows: bool = True, odd_value: int | None = None) -> dict[int, int]:
    odd = odd_value if odd_value is not None else (WRONG if bug_shows else RIGHT)
    return {p.id: odd if p.id % 2 else RIGHT for p in PLAN}


def test_bug_value_is_known_bug_and_exit_0() -> None:
    r = row(observed())
    assert r.verdict == "known-bug" and r.matched == r.checked == 4
    assert "known kernel bug for 2 of 4" in r.detail and "some-bug: the bug" in r.detail
    assert "e.g. id 1: observed 7, right 1000" in r.detail
    assert report.exit_code([r]) == 0
    assert "known-bug" in c.OK_VERDICTS


def test_right_value_where_the_bug_should_show_fails_table_needs_updating() -> None:
    r = row(observed(bug_shows=False))
    assert r.verdict == "fail" and r.matched == 2
    assert "did not show" in r.detail and "table needs updating" in r.detail
    assert all(m["bug_not_shown"] == "some-bug" for m in r.mismatches)
    assert report.exit_code([r]) == 1


def test_other_wrong_value_is_a_plain_mismatch() -> None:
    r = row(observed(odd_value=WRONG + 1))
    assert r.verdict == "fail" and "table needs updating" not in r.detail
    assert not any("bug_not_shown" in m for m in r.mismatches)
    assert "the known bug some-bug" in r.mismatches[0]["expected"]


def test_bug_equal_to_right_value_is_no_bug() -> None:
    right = o.value(5)
    assert o.known_bug(o.value(5), "b", right) is right
    assert o.known_bug(o.window(0, 9), "b", right) is right
    assert o.known_bug(o.window(6, 9), "b", right).bug == "b"


def _rows() -> list[c.Row]:
    return [row(observed()), c.Row("igc", "xdp", "hash", "pass", 4, 4),
            c.Row("igc", "xdp", "vlan", "expected-unsupported", 4, 4, detail="no callback")]


def test_reports_show_known_bug_apart() -> None:
    rows = _rows()
    assert report.summary_line(rows) == \
        "3 rows: 1 pass, 0 fail, 1 expected-unsupported, 1 known-bug, 0 skip"
    assert report.to_json(rows, {})["counts"]["known-bug"] == 1
    assert "known kernel bug" in report.table(rows)
    suite = ET.fromstring(report.to_junit(rows, {}))
    assert suite.get("failures") == "0" and suite.get("skipped") == "0"
    ts = next(tc for tc in suite.iter("testcase") if tc.get("name") == "timestamp")
    assert ts.find("failure") is None and ts.find("skipped") is None
    assert ts.findtext("system-out", "").startswith("known-bug: ")
    assert ts.find("properties/property").get("name") == "known-bug"
    lines = ktap.run_ktap(rows, {"kernel": "k"}).splitlines()
    assert any(ln.strip().startswith("not ok 1 xdp.timestamp # TODO ") for ln in lines)
    assert any(ln.strip().endswith("# XFAIL no callback") for ln in lines)
    assert "ok 1 igc" in lines  # a known bug does not fail the NIC


def _doc(verdict: str) -> dict[str, Any]:
    return {"results": [{"nic": "igc", "path": "xdp", "field": "timestamp",
                         "verdict": verdict, "checked": 4, "matched": 4}]}


def test_diff_kinds() -> None:
    kinds = {(a, b): diff.diff(_doc(a), _doc(b))[0].kind
             for a, b in (("pass", "known-bug"), ("known-bug", "fail"), ("known-bug", "pass"),
                          ("fail", "known-bug"), ("expected-unsupported", "known-bug"))}
    assert kinds == {("pass", "known-bug"): "regression", ("known-bug", "fail"): "regression",
                     ("known-bug", "pass"): "fix", ("fail", "known-bug"): "fix",
                     ("expected-unsupported", "known-bug"): "changed"}


def test_html_shows_known_bug() -> None:
    from harness.verdict import html
    cell = {"cell_id": "sid", "kernel": "k", "status": "pass",
            "results": [r.to_dict() for r in _rows()]}
    grid = html.context([cell])["grid"]
    view = next(g["cells"][0] for g in grid if g["key"] == ("igc", "xdp", "timestamp"))
    assert (view["cls"], view["text"]) == ("known-bug", "BUG")
    assert ".known-bug" in html.render([cell])
