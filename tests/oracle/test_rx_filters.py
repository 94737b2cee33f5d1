# SPDX-License-Identifier: GPL-2.0-or-later
"""igc receive queue filters as a fact: ``ethtool -n`` parsing and the queue they give."""

from __future__ import annotations

from dataclasses import replace

from harness.oracle import Facts, nic_queue
from harness.oracle.rx_filters import RxRule, default_queue, filter_queue, parse_ethtool_rules
from harness.traffic.packets import ETH_P_8021AD, ETH_P_8021Q, make_packet

GUEST_MAC = "52:54:00:00:00:02"
HOST_MAC = "02:00:00:00:99:01"

# what ethtool 6.x prints for the igc rules the VM test programs (masks: bits ignored)
ETHTOOL_N = """4 RX rings available
Total 4 rules

Filter: 0
\tFlow Type: Raw Ethernet
\tSrc MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF
\tDest MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF
\tEthertype: 0x0 mask: 0xFFFF
\tVLAN EtherType: 0x0 mask: 0xffff
\tVLAN: 0xa000 mask: 0x1fff
\tUser-defined: 0x0 mask: 0xffffffffffffffff
\tAction: Direct to queue 3

Filter: 1
\tFlow Type: Raw Ethernet
\tSrc MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF
\tDest MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF
\tEthertype: 0x86DD mask: 0x0
\tAction: Direct to queue 1

Filter: 2
\tFlow Type: Raw Ethernet
\tSrc MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF
\tDest MAC addr: 52:54:00:00:00:02 mask: 00:00:00:00:00:00
\tEthertype: 0x800 mask: 0x0
\tAction: Direct to queue 2

Filter: 3
\tFlow Type: Raw Ethernet
\tSrc MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF
\tDest MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF
\tEthertype: 0x0 mask: 0xFFFF
\tAction: Direct to queue 1
"""


def _pkt(ip6: bool = False, vlans=(), dst=GUEST_MAC, src=HOST_MAC, pid=1):
    sip, dip = ("fd00::1", "fd00::2") if ip6 else ("10.0.0.1", "10.0.0.2")
    return make_packet(pid, src_mac=src, dst_mac=dst, src_ip=sip, dst_ip=dip,
                       sport=1000 + pid, dport=4791, l4="udp", vlans=list(vlans))


def test_parse_classifies_each_rule_as_the_driver_does():
    rules = parse_ethtool_rules(ETHTOOL_N)
    assert [(r.location, r.filter, r.queue) for r in rules] == [
        (0, "vlan-prio", 3), (1, "etype", 1), (2, "flex", 2), (3, "default", 1)]
    assert rules[0].vlan_tci == 0xA000 and rules[0].vlan_mask == 0xE000
    assert rules[2].dst == bytes.fromhex("525400000002") and rules[2].etype == 0x0800
    assert default_queue(rules) == 1
    assert parse_ethtool_rules("4 RX rings available\nTotal 0 rules\n") == ()


def test_full_tci_vlan_etype_and_user_data_are_flex():
    assert RxRule(0, 1, vlan_tci=0x2064, vlan_mask=0xFFFF).filter == "flex"
    assert RxRule(0, 1, vlan_etype=0x8100).filter == "flex"
    assert RxRule(0, 1, user=bytes(8), user_mask=b"\xff" * 8).filter == "flex"
    assert RxRule(0, 1, src=bytes(6)).filter == "mac-src"


def test_priority_order_etype_flex_vlan_then_rss():
    rules = parse_ethtool_rules(ETHTOOL_N)
    prio5 = [(ETH_P_8021Q, (5 << 13) | 100)]
    prio2 = [(ETH_P_8021Q, (2 << 13) | 100)]
    # IPv6: ethertype filter, also behind a VLAN tag of the steered priority
    assert filter_queue(rules, _pkt(ip6=True).frame)[0] == 1
    assert filter_queue(rules, _pkt(ip6=True, vlans=prio5).frame)[0] == 1
    # untagged IPv4 to the guest MAC: the flex filter (dst + ethertype at 12)
    q, how = filter_queue(rules, _pkt().frame)
    assert q == 2 and "flex" in how
    # another destination: no flex match, no filter -> RSS
    assert filter_queue(rules, _pkt(dst="02:00:00:00:00:77").frame) is None
    # tagged IPv4: flex misses (0x8100 at 12); the priority decides
    assert filter_queue(rules, _pkt(vlans=prio5).frame)[0] == 3
    assert filter_queue(rules, _pkt(vlans=prio2).frame) is None
    # an 802.1ad outer tag is not a VLAN tag to the MAC (VET 0x8100)
    assert filter_queue(rules, _pkt(vlans=[(ETH_P_8021AD, 5 << 13), *prio5]).frame) is None


def test_flex_filters_to_different_queues_are_unpredictable():
    a = RxRule(0, 1, dst=bytes.fromhex("525400000002"), etype=0x0800)
    b = RxRule(1, 2, src=bytes.fromhex("020000009901"), etype=0x0800)
    q, how = filter_queue((a, b), _pkt().frame)
    assert q is None and "slot order" in how


def test_nic_queue_uses_the_filters_before_the_table():
    facts = Facts(driver="igc", reta=tuple([0] * 128))
    pkt = _pkt(ip6=True)
    assert nic_queue(facts, pkt)[0] == 0
    ruled = replace(facts, rx_rules=parse_ethtool_rules(ETHTOOL_N))
    assert nic_queue(ruled, pkt) == (1, "etype filter (ethtool rule 1) -> queue 1")
    # rules of another driver are not igc's filters
    assert nic_queue(replace(ruled, driver="igb"), pkt)[0] == 0
