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


GOOD = {p.id: 0 for p in PLAN if not p.bad_csum}  # level 0: CHECKSUM_UNNECESSARY


@pytest.mark.parametrize(("facts", "path", "rule"), [
    (IGC, "skb", "csum-skb-igc"), (IGC, "pass", "csum-skb-igc"),
    (IGC, "pass-bare", "csum-skb-igc"), (IGC, "cpumap-skb", "csum-skb-gro"),
    (VIRTIO, "skb", "csum-skb-gro"), (VIRTIO, "pass", "csum-skb-gro"),
    (VIRTIO, "cpumap-skb", "csum-skb-gro")])
def test_verified_good_frames_only(facts: Facts, path: str, rule: str) -> None:
    """igc_rx_checksum or GRO: UNNECESSARY for good frames, NONE for broken ones."""
    point = "cpumap_skb" if path == "cpumap-skb" else "tc"
    ok = row(facts, path, GOOD, point)
    assert ok.verdict == "pass" and ok.matched == len(PLAN)
    assert ok.rules == sorted(["csum-skb-broken", rule])
    # a driver that trusts every frame (GRO then skips them): the broken ones fail
    lies = row(facts, path, {p.id: 0 for p in PLAN}, point)
    assert lies.verdict == "fail" and {m["id"] for m in lies.mismatches} <= BAD
    assert len(lies.mismatches) == min(len(BAD), 5)
    # nothing verified: the good ones fail
    assert row(facts, path, {}, point).verdict == "fail"


@pytest.mark.parametrize(("facts", "path"), [(VETH, "skb"), (VETH, "pass"),
                                             (VETH, "cpumap-skb"), (IGC, "veth-skb"),
                                             (VIRTIO, "veth-skb")])
def test_veth_never_verified(facts: Facts, path: str) -> None:
    """veth: GRO off, af_packet's or the xdp_frame's CHECKSUM_NONE."""
    point = {"cpumap-skb": "cpumap_skb", "veth-skb": "veth_skb"}.get(path, "tc")
    ok = row(facts, path, {}, point)
    assert ok.verdict == "pass" and "csum-skb-veth" in ok.rules
    assert row(facts, path, GOOD, point).verdict == "fail"
