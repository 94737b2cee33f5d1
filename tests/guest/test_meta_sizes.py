# SPDX-License-Identifier: GPL-2.0-or-later
"""The metadata size sweep (harness.guest.meta_sizes): status words, the per-path
summary, and the sizes:<path> rows judged by the oracle (pass, documented loss, fail)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from harness.guest import meta_sizes
from harness.nics.base import CLI_PATHS, DEFAULT_PATHS, OPT_IN_PATHS
from harness.oracle import Facts
from harness.oracle.paths import SIZE_PATHS, SWEEP_SIZES
from harness.suite import runs
from harness.traffic.packets import make_plan
from harness.verdict.compare import compare

SRC = Path(__file__).resolve().parents[2] / "guest-bpf"
IGC = Facts(driver="igc", hwtstamp_rx=True, kernel_release="7.2.13+deb14-amd64")
PLAN = make_plan(12, "52:54:00:00:00:01", kinds=runs.TC_CHAIN_KINDS, first_id=60)


def xdp(pid: int, rc: int = 0) -> dict[str, Any]:
    return {"point": "xdp", "id": pid, "adjust_meta_rc": rc, "frame_vlan_count": 0}


def tc(pid: int, **over: Any) -> dict[str, Any]:
    size = meta_sizes.size_of(pid)
    rec = {"point": "tc", "id": pid, "pkt_flags": 0, "frame_vlan_count": 0, "meta_len": size,
           "meta_found": True, "meta": {"id": pid, "pkt_flags": 0}, "skb_hash": 0,
           "skb_vlan_present": False, "skb_hwtstamp": 0, "dynptr_rc": 0,
           "dynptr_read_rc": 0, "dynptr_meta_found": True}
    rec.update(over)
    return rec


def test_sizes_match_the_c_header() -> None:
    h = (SRC / "xh_meta_sweep.h").read_text()
    got = [int(x) for x in re.findall(r"case \d: return (\d+);", h)]
    assert (*got, int(re.search(r"XH_SWEEP_MAX\s+(\d+)", h).group(1))) == SWEEP_SIZES
    assert int(re.search(r"XH_SWEEP_NR\s+(\d+)", h).group(1)) == len(SWEEP_SIZES)


@pytest.mark.parametrize("rec,rc,word", [
    ({}, 0, "intact"),
    ({"meta_len": 0, "meta_found": False}, -22, "refused"),
    ({"meta_found": False}, -22, "corrupted"),
    ({"meta_len": 0, "meta_found": False}, 0, "cleared"),
    ({"meta_len": 4, "meta_found": False}, 0, "truncated"),
    ({"meta_found": False}, 0, "corrupted"),
    ({"dynptr_meta_found": False}, 0, "dynptr-differs"),
    ({"dynptr_rc": None, "dynptr_meta_found": False}, 0, "intact"),
])
def test_status_words(rec: dict[str, Any], rc: int, word: str) -> None:
    pid = 64 + 3  # 64 bytes
    assert meta_sizes.status(tc(pid, **rec), xdp(pid, rc)) == word


def _rows(recs: list[dict[str, Any]], rcs: dict[int, int]) -> dict[str, Any]:
    raw = [*(xdp(p.id, rcs.get(p.id, 0)) for p in PLAN), *recs]
    obs = meta_sizes.canonical(raw)
    rows = compare("igc", IGC, PLAN, obs, paths=["sizes:pass"])
    meta_sizes.summarize(rows, obs)
    return {r.path: r for r in rows}


def test_refused_252_is_a_documented_loss_with_the_summary() -> None:
    big = {p.id: -22 for p in PLAN if meta_sizes.size_of(p.id) == 252}
    recs = [tc(p.id, meta_len=0, meta_found=False) if p.id in big else tc(p.id)
            for p in PLAN]
    r = _rows(recs, big)["sizes:pass"]
    assert r.verdict == "expected-unsupported", r.detail
    assert r.detail.startswith("largest intact 128 bytes; 252 refused (rc -22): failed "
                               "cleanly"), r.detail


def test_silent_truncation_and_an_unexpected_252_fail() -> None:
    big = {p.id: -22 for p in PLAN if meta_sizes.size_of(p.id) == 252}
    recs = [tc(p.id, meta_len=0, meta_found=False) if p.id in big else tc(p.id)
            for p in PLAN]
    cut = next(p.id for p in PLAN if meta_sizes.size_of(p.id) == 128)
    recs = [tc(cut, meta_len=64, meta_found=False) if r["id"] == cut else r for r in recs]
    r = _rows(recs, big)["sizes:pass"]
    assert r.verdict == "fail" and r.mismatches[0]["observed"] == "truncated"
    assert "largest intact 64 bytes" in r.detail and "128 " in r.detail and "silently" in r.detail
    # a kernel/driver that carries 252 bytes: the expectation table needs updating
    r = _rows([tc(p.id) for p in PLAN], {})["sizes:pass"]
    assert r.verdict == "fail" and "every size intact" in r.detail


def test_meta_sizes_is_opt_in_and_runs_five_invocations() -> None:
    assert "meta-sizes" in OPT_IN_PATHS and "meta-sizes" in CLI_PATHS
    assert "meta-sizes" not in DEFAULT_PATHS and "tc-helpers" in DEFAULT_PATHS
    mine = ("sizes-pass", "sizes-veth", "sizes-cpumap", "sizes-xsk", "sizes-xsk-zc")
    assert runs.invocations(["meta-sizes"]) == {r: ["meta-sizes"] for r in mine}
    assert sorted(op for r in mine for op in runs.RUNS[r].yields) == sorted(SIZE_PATHS)


def test_xsk_has_no_length_a_missing_blob_is_a_refusal_there() -> None:
    pid = next(p.id for p in PLAN if meta_sizes.size_of(p.id) == 252)
    xsk = {"point": "xsk", "id": pid, "xsk_mode": "zerocopy", "meta_len": 252,
           "meta_found": False, "meta": None, "frame_vlan_count": 0}
    assert meta_sizes.status(xsk, xdp(pid, -22)) == "refused"
    assert meta_sizes.status(xsk, xdp(pid, 0)) == "corrupted"
    obs = meta_sizes.canonical([xdp(pid, -22), xsk])
    assert [o["point"] for o in obs] == ["xdp", "sizes:xsk-zc"]
