# SPDX-License-Identifier: GPL-2.0-or-later
"""veth as the NIC: which tagged frames go out of band, and what is written for them."""

from __future__ import annotations

from collections import Counter

from harness.nics.veth import mark_oob, vlan_dev
from harness.traffic import packets as pk
from harness.traffic.parse import parse_frame


def test_half_of_each_tagged_kind_goes_out_of_band() -> None:
    plan = mark_oob(pk.make_plan(4 * len(pk.DEFAULT_KINDS), "02:00:00:00:00:01", seed=3))
    oob = Counter(p.kind for p in plan if p.vlan_oob)
    inline = Counter(p.kind for p in plan if not p.vlan_oob and p.vlans)
    tagged = [k for k in pk.DEFAULT_KINDS if not k.endswith("untagged")]
    assert oob == inline == Counter({k: 2 for k in tagged})
    # both protocols reach the kfunc out of band
    assert {p.vlans[0][0] for p in plan if p.vlan_oob} == {pk.ETH_P_8021Q, pk.ETH_P_8021AD}


def test_out_of_band_frame_loses_only_the_outer_tag() -> None:
    orig = pk.make_plan(len(pk.DEFAULT_KINDS), "02:00:00:00:00:01", seed=4)
    for before, after in zip(orig, mark_oob(orig), strict=True):
        if not after.vlan_oob:
            assert after == before
            continue
        (tpid, tci), *inner = before.vlans
        assert after.vlans == [(tpid, tci & ~0x1000), *inner], \
            "ground truth keeps the tag, without the DEI a VLAN device cannot send"
        assert after.frame == before.frame[:12] + before.frame[16:]
        got = parse_frame(after.frame)
        assert got.id == before.id
        assert len(got.vlans) == len(before.vlans) - 1
        assert pk.SentPacket.from_dict(after.to_dict()).vlan_oob


def test_vlan_device_names_fit_ifnamsiz() -> None:
    assert vlan_dev("xhn0", pk.ETH_P_8021AD, 4094) == "xhn0.ad4094"
    assert len(vlan_dev("xhn0", pk.ETH_P_8021Q, 4094)) < 16


def test_out_of_band_tags_keep_pcp_and_lose_dei() -> None:
    orig = pk.make_plan(4 * len(pk.DEFAULT_KINDS), "02:00:00:00:00:01", seed=5)
    assert any(p.vlans[0][1] & 0x1000 for p in orig if p.vlans), "the plan sets DEI"
    for after in mark_oob(orig):
        if after.vlan_oob:
            assert after.vlans[0][1] & 0x1000 == 0
            assert after.vlans[0][1] >> 13 != 0
