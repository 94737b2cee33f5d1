# SPDX-License-Identifier: GPL-2.0-or-later
"""The ground truth makes wrong igc reads differ from the right one (issue 13 item 3):
a stale hash (the previous frame's on the same ring) and swapped RSS type table entries
among the types the plan reaches."""

from __future__ import annotations

from collections import defaultdict

import harness.oracle as o
from harness.oracle.nic_model import FOUR_TUPLE
from harness.suite.scenario import Options
from harness.traffic.packets import DEFAULT_KINDS, make_plan

KEY = bytes(range(40))
#: igc as the suite configures it: UDP ports hashed (rx-flow-hash udp4/udp6 sdfn), a
#: four-queue default indirection table
IGC = o.Facts(driver="igc", rss_key=KEY, reta=tuple(i % 4 for i in range(128)),
              hash_fields={ft: FOUR_TUPLE for ft in ("tcp4", "tcp6", "udp4", "udp6")})


def _plan() -> list:
    return make_plan(Options.packets, "02:00:00:00:00:01", seed=Options.seed + 1)


def test_stale_hash_differs_on_every_ring() -> None:
    """Each frame's hash differs from the frame before it on the same rx queue (what a
    driver reading a stale or not yet written-back descriptor would report)."""
    last: dict[int, int] = {}
    pairs = 0
    for p in _plan():
        h = o.expect(IGC, p, "xdp", "hash").value
        q = o.expect(IGC, p, "xdp", "queue").value
        assert isinstance(h, int) and isinstance(q, int)
        if q in last:
            assert h != last[q], f"packet {p.id}: same hash as the previous frame on queue {q}"
            pairs += 1
        last[q] = h
    assert pairs >= Options.packets - 4


def test_reached_rss_types_are_distinct_per_flow_type() -> None:
    """The plan's four flow types get four different types (TCP/UDP x IPv4/IPv6): a
    driver table that swapped two of these entries fails the hash_type rows."""
    types: dict[str, set[int]] = defaultdict(set)
    for p in _plan():
        types[f"{p.l3}-{p.l4}"].add(o.expect(IGC, p, "xdp", "hash_type").value)
    assert all(len(t) == 1 for t in types.values()), types
    assert len({next(iter(t)) for t in types.values()}) == 4
    assert len(types) == len({k.rsplit("-", 1)[0] for k in DEFAULT_KINDS})


def test_wrong_tci_reads_fail_the_vlan_rows() -> None:
    """On the rows that compare the whole TCI (veth's rx_vlan_tag for out-of-band tags,
    the skb's vlan_tci after XDP_PASS on every NIC), a TCI masked to the VID or read
    without PCP fails on every tagged packet, and one without DEI on every packet that
    has DEI set."""
    from harness.nics.veth import mark_oob
    from harness.verdict.compare import judge
    plan = _plan()
    cases = [(o.Facts(driver="veth"), p, "xdp") for p in mark_oob(plan) if p.vlan_oob]
    cases += [(IGC, p, "pass") for p in plan if p.vlans]
    assert cases
    dei_seen = 0
    for facts, p, path in cases:
        exp = o.expect(facts, p, path, "vlan")
        assert exp.kind == "value", (p.kind, path, exp)
        tpid, tci = exp.value
        assert judge(exp, 0, (tpid, tci))
        assert not judge(exp, 0, (tpid, tci & 0x0FFF)), "masked to the VID"
        assert not judge(exp, 0, (tpid, tci & 0x1FFF)), "PCP dropped"
        if tci & 0x1000:
            dei_seen += 1
            assert not judge(exp, 0, (tpid, tci & ~0x1000)), "DEI dropped"
    assert dei_seen > 0
