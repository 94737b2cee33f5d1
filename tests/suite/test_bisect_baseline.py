# SPDX-License-Identifier: GPL-2.0-or-later
"""The pure parts of bisect (row specs, step verdicts) and of --baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.suite import baseline
from harness.suite import bisect as bis

KINDS = ["igc", "virtio-net"]
PATHS = ["skb", "xdp", "pass", "veth", "cpumap", "xsk"]


def test_row_spec() -> None:
    row = bis.parse_row("igc/xdp/hash_type", KINDS, PATHS)
    assert (row.nic, row.path, row.field, row.cli_path) == ("igc", "xdp", "hash_type", "xdp")
    assert bis.parse_row("igc/pass-bare/timestamp", KINDS, PATHS).cli_path == "pass"
    assert bis.parse_row("virtio-net/veth-skb/hash", KINDS, PATHS).cli_path == "veth"
    for bad, msg in (("igc/xdp", "NIC/PATH/FIELD"), ("x/xdp/hash", "unknown NIC"),
                     ("igc/nowhere/hash", "unknown path"), ("igc//hash", "NIC/PATH/FIELD")):
        with pytest.raises(UsageError, match=msg):
            bis.parse_row(bad, KINDS, PATHS)


def _r(nic: str, path: str, field: str, verdict: str) -> dict:
    return {"nic": nic, "path": path, "field": field, "verdict": verdict}


def test_step_verdict() -> None:
    row = bis.RowSpec("igc", "xdp", "hash_type")
    rows = [_r("igc", "xdp", "hash_type", "pass"), _r("igc", "xdp", "hash", "fail")]
    assert bis.step_verdict(rows, row, False) == (bis.GOOD, "pass")
    rows[0]["verdict"] = "fail"
    assert bis.step_verdict(rows, row, False) == (bis.BAD, "fail")
    assert bis.step_verdict([], row, True) == (bis.BAD, "crash")
    assert bis.step_verdict([], row, False) == (bis.BAD, "missing")
    assert bis.step_verdict([_r("igc", "xdp", "hash_type", "expected-unsupported")], row,
                            False)[0] == bis.GOOD
    assert bis.step_verdict(rows, None, False) == (bis.BAD, "2 failing rows")
    assert bis.step_verdict([_r("igc", "xdp", "hash", "pass")], None, False)[0] == bis.GOOD


def test_baseline_json_next_to_the_new_one() -> None:
    assert baseline.baseline_json_path(Path("/r/new.json")) == Path("/r/new.baseline.json")
    assert baseline.baseline_json_path(Path("out")) == Path("out.baseline.json")


def test_judge_builds_both_then_diffs(monkeypatch: pytest.MonkeyPatch) -> None:
    built, ran = [], []
    monkeypatch.setattr(baseline.kernels, "resolve",
                        lambda spec, emit=None, patches=(): built.append((spec, patches)))

    def run_one(side: baseline.Side) -> dict:
        ran.append(side.label())
        v = "fail" if side.patches else "pass"
        return {"results": [{"nic": "igc", "path": "xdp", "field": "hash_type", "verdict": v,
                             "checked": 4, "matched": 4 if v == "pass" else 2},
                            {"nic": "igc", "path": "xdp", "field": "hash", "verdict": "pass",
                             "checked": 4, "matched": 4}]}

    new = baseline.Side("debian:sid-source", (Path("p.patch"),))
    out = baseline.judge(run_one, new, baseline.Side("debian:sid-source"))
    assert [b[0] for b in built] == ["debian:sid-source"] * 2
    assert ran == ["debian:sid-source", "debian:sid-source + p.patch"]
    assert [(c.field, c.kind) for c in out.changes] == [("hash_type", "regression")]
    assert out.exit_code == 1
