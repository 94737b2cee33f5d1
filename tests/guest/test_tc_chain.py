# SPDX-License-Identifier: GPL-2.0-or-later
"""The TC helper chain's records against the XDP record (harness.guest.tc_chain),
judged by the oracle's tc:<helper> rules: pass, documented loss and fail."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.guest import tc_chain
from harness.oracle import Facts
from harness.oracle.paths import TC_HELPER_PATHS, TC_HELPERS
from harness.suite import runs
from harness.traffic.packets import make_plan
from harness.verdict.compare import compare

SRC = Path(__file__).resolve().parents[2] / "guest-bpf"
SID = Facts(driver="igc", kernel_release="7.2.13+deb14-amd64")
TRIXIE = replace(SID, kernel_release="6.12.57+deb13-amd64")
PLAN = make_plan(len(TC_HELPERS) * 4, "52:54:00:00:00:01", kinds=runs.TC_CHAIN_KINDS,
                 first_id=100)


def xdp_rec(pid: int) -> dict[str, Any]:
    return {"point": "xdp", "id": pid, "pkt_flags": 0, "rx_timestamp_rc": None,
            "rx_timestamp": 0, "rx_hash_rc": 0, "rx_hash": 0x1234 + pid, "rx_hash_type": 3,
            "rx_vlan_tag_rc": -95, "rx_vlan_proto": 0, "rx_vlan_tci": 0, "rx_queue": 1,
            "ifindex": 3, "frame_vlan_count": 0}


def tch_rec(pid: int, *, dynptr: bool = True, **over: Any) -> dict[str, Any]:
    meta = tc_chain.expected_meta(xdp_rec(pid))
    rec = {"point": "tc_helper", "id": pid, "pkt_flags": 0, "frame_vlan_count": 0,
           "helper": TC_HELPERS[pid % len(TC_HELPERS)], "helper_rc": 0, "meta_len": 56,
           "meta_len_before": 56, "meta_found": True, "meta": meta, "skb_hash": 0,
           "skb_vlan_present": False, "skb_hwtstamp": 0,
           "dynptr_rc": 0 if dynptr else None, "dynptr_read_rc": 0 if dynptr else None,
           "dynptr_meta_found": dynptr, "dynptr_meta": dict(meta) if dynptr else None}
    rec.update(over)
    return rec


def test_helper_names_match_the_c_enum_order() -> None:
    c = (SRC / "xh_tch.c").read_text()
    names = re.findall(r'\[XH_TCH_\w+\] = "(\w+)"', c)
    enum = re.findall(r"^\s*(XH_TCH_\w+)(?: = 0)?,", (SRC / "xh_tc_helpers.h").read_text(),
                      re.M)
    assert names == list(TC_HELPERS)
    assert enum == [*(f"XH_TCH_{x}" for x in (
        "NONE", "VLAN_PUSH", "VLAN_POP", "ADJ_MAC_GROW", "ADJ_MAC_SHRINK", "ADJ_NET_GROW",
        "ADJ_NET_SHRINK", "CHANGE_PROTO", "CHANGE_HEAD", "CHANGE_TAIL", "PULL_DATA")), "XH_TCH_NR"]


@pytest.mark.parametrize("over,word", [
    ({}, "intact"),
    ({"helper_rc": -22}, "helper-failed"),
    ({"meta_len": 0, "meta_found": False, "meta": None}, "cleared"),
    ({"meta_found": False, "meta": None}, "corrupted"),
    ({"dynptr_meta": {}}, "dynptr-differs"),
    ({"dynptr_rc": -22}, "dynptr-differs"),
])
def test_status_words(over: dict[str, Any], word: str) -> None:
    assert tc_chain.status(tch_rec(101, **over), xdp_rec(101))[0] == word


def test_one_flipped_byte_is_corruption_both_views() -> None:
    rec = tch_rec(101)
    rec["meta"] = dict(rec["meta"], rx_hash=rec["meta"]["rx_hash"] ^ 0xFF)
    rec["dynptr_meta"] = dict(rec["meta"])
    word, detail = tc_chain.status(rec, xdp_rec(101))
    assert word == "corrupted" and "rx_hash" in detail
    # a kernel without the dynptr kfunc: data_meta alone decides
    assert tc_chain.status(tch_rec(101, dynptr=False), xdp_rec(101))[0] == "intact"
    assert tc_chain.status(tch_rec(101), None)[0] == "no-xdp-record"


def _rows(facts: Facts, recs: list[dict[str, Any]]) -> dict[str, Any]:
    obs = tc_chain.canonical([*(xdp_rec(p.id) for p in PLAN), *recs])
    rows = compare("igc", facts, PLAN, obs, paths=list(TC_HELPER_PATHS))
    assert {r.field for r in rows} == {"meta"}
    return {r.path: r for r in rows}


def test_intact_passes_on_7_2_and_a_corrupted_byte_fails() -> None:
    rows = _rows(SID, [tch_rec(p.id) for p in PLAN])
    assert {r.verdict for r in rows.values()} == {"pass"} and len(rows) == len(TC_HELPERS)
    bad = PLAN[5].id
    recs = [tch_rec(p.id) for p in PLAN]
    recs[5]["meta"] = dict(recs[5]["meta"], rx_hash=0)
    rows = _rows(SID, recs)
    path = f"tc:{TC_HELPERS[bad % len(TC_HELPERS)]}"
    assert rows[path].verdict == "fail" and rows[path].mismatches[0]["id"] == bad
    assert rows[path].mismatches[0]["observed"] == "corrupted"
    assert sum(r.verdict == "fail" for r in rows.values()) == 1


def test_6_12_movers_are_a_documented_loss_and_a_fixed_kernel_fails() -> None:
    movers = {"vlan_push", "vlan_pop", "adjust_room_mac_grow", "adjust_room_mac_shrink",
              "adjust_room_net_grow", "adjust_room_net_shrink", "change_proto", "change_head"}
    recs = [tch_rec(p.id, dynptr=False) for p in PLAN]
    for r in recs:
        if r["helper"] in movers:
            r.update(meta_found=False, meta=None)
        if r["helper"] == "change_tail":  # igc: a new head, whose 6.12 version is cleared
            r.update(meta_len=0, meta_found=False, meta=None)
    rows = _rows(TRIXIE, recs)
    for h in TC_HELPERS:
        want = "expected-unsupported" if h in movers | {"change_tail"} else "pass"
        assert rows[f"tc:{h}"].verdict == want, (h, rows[f"tc:{h}"].detail)
    # the same kernel version keeping the metadata intact: the table needs updating
    rows = _rows(TRIXIE, [tch_rec(p.id, dynptr=False) for p in PLAN])
    assert rows["tc:change_head"].verdict == "fail"
    assert rows["tc:none"].verdict == "pass"


def test_run_plan_gives_every_helper_every_kind() -> None:
    spec = runs.RUNS["tc-helpers"]
    assert spec.packets == 4 * len(TC_HELPERS) and spec.yields == TC_HELPER_PATHS
    by_helper: dict[str, set[str]] = {}
    for p in PLAN:
        by_helper.setdefault(TC_HELPERS[p.id % len(TC_HELPERS)], set()).add(p.kind)
    assert all(k == set(runs.TC_CHAIN_KINDS) for k in by_helper.values())
    assert runs.invocations(["tc-helpers"]) == {"tc-helpers": ["tc-helpers"]}
    assert runs.oracle_paths("tc-helpers", ["tc-helpers"]) == list(TC_HELPER_PATHS)
