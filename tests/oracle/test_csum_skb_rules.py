# SPDX-License-Identifier: GPL-2.0-or-later
"""Field ``csum`` on the skb paths: the skb's checksum state at TC (``skb_csum_level``
from bpf_csum_level QUERY) against the plan's deliberately broken checksums."""

from __future__ import annotations

import pytest

from harness.guest.records import from_runner
from harness.oracle import Facts
from harness.oracle.uapi import CHECKSUM_NONE, CHECKSUM_UNNECESSARY
from harness.traffic.checksum import inet_checksum
from harness.traffic.packets import BAD_CSUM_AT, make_plan, with_bad_checksums
from harness.verdict.compare import compare

EACCES = -13
PLAN = with_bad_checksums(make_plan(16, dst_mac="52:54:00:00:00:01"))
BAD = {p.id for p in PLAN if p.bad_csum}
IGC = Facts(driver="igc")
VIRTIO = Facts(driver="virtio_net", backend="tap")
VETH = Facts(driver="veth")


def tc_records(point: str, level: dict[int, int]) -> list[dict]:
    """Runner ``tc`` records as the guest prints them (only the keys csum needs)."""
    return [{"point": point, "id": p.id, "frame_vlan_count": 0,
             "skb_csum_level": level.get(p.id, EACCES)} for p in PLAN]


def row(facts: Facts, path: str, level: dict[int, int], point: str = "tc"):
    recs = tc_records(point, level)
    (r,) = compare(facts.driver, facts, PLAN, recs, paths=[path], fields=["csum"],
                   points={point: path})
    return r


def test_plan_breaks_checksums_by_id() -> None:
    assert {p.bad_csum for p in PLAN} == {"", "l3", "l4"}
    for p in PLAN:
        want = BAD_CSUM_AT.get(p.id % 8, "")
        assert p.bad_csum == ("" if (want, p.l3) == ("l3", "ipv6") else want)
        if p.bad_csum == "l3":
            assert inet_checksum(p.frame[14 + 4 * len(p.vlans):][:20]) != 0


def test_record_conversion() -> None:
    out = from_runner({"point": "tc", "id": 1, "frame_vlan_count": 0, "skb_csum_level": 0})
    assert (out["rx_csum_rc"], out["rx_csum"]) == (0, CHECKSUM_UNNECESSARY)
    out = from_runner({"point": "tc", "id": 1, "frame_vlan_count": 0,
                       "skb_csum_level": EACCES})
    assert (out["rx_csum_rc"], out["rx_csum"]) == (0, CHECKSUM_NONE)


@pytest.mark.parametrize("path", ["skb", "pass", "pass-bare"])
def test_igc_verified_good_frames_only(path: str) -> None:
    """igc_rx_checksum: UNNECESSARY (level 0) for good frames, NONE for broken ones
    (NIC_PARSED_VLAN_STACKS: frames the NIC cannot parse are NONE too)."""
    from harness.oracle.nic_model import nic_parses
    good = {p.id: 0 for p in PLAN if not p.bad_csum and nic_parses(IGC, p)}
    ok = row(IGC, path, good)
    assert ok.verdict == "pass" and ok.matched == len(PLAN) and ok.rules == ["csum-skb-igc"]
    # a driver that trusts every frame: the broken ones fail
    lies = row(IGC, path, {p.id: 0 for p in PLAN})
    assert lies.verdict == "fail" and {m["id"] for m in lies.mismatches} <= BAD
    assert len(lies.mismatches) == min(len(BAD), 5)
    # one that verifies nothing: the good ones fail
    assert row(IGC, path, {}).verdict == "fail"


@pytest.mark.parametrize(("facts", "rule"), [(VIRTIO, "csum-skb-virtio"),
                                             (VETH, "csum-skb-veth")])
def test_virtio_and_veth_never_verified(facts: Facts, rule: str) -> None:
    ok = row(facts, "pass", {})
    assert ok.verdict == "pass" and ok.rules == [rule]
    assert row(facts, "pass", {PLAN[0].id: 0}).verdict == "fail"


@pytest.mark.parametrize("path", ["veth-skb", "cpumap-skb"])
def test_skb_from_frame_has_none(path: str) -> None:
    point = "veth_skb" if path == "veth-skb" else "cpumap_skb"
    assert row(IGC, path, {}, point).verdict == "pass"
    r = row(IGC, path, {p.id: 0 for p in PLAN if not p.bad_csum}, point)
    assert r.verdict == "fail" and r.rules == ["csum-skb-from-frame"]
