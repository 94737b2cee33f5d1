# SPDX-License-Identifier: GPL-2.0-or-later
"""What each NIC and its Linux driver do with a packet: per-driver tables and the
hash, hash type and rx queue the NIC reports.

Per-NIC parsing assumptions (which VLAN stacks the NIC looks through to hash
the inner IP header):

* virtio_net: the hash is computed by QEMU (``virtio_net_process_rss`` ->
  ``net_rx_pkt_set_protocols`` -> ``eth_get_protocols``), whose
  ``eth_get_l2_hdr_length`` skips one 802.1Q tag, one 802.1ad tag, or an
  802.1ad + 802.1Q pair; anything else (e.g. two 0x8100 tags) is not IP to
  it and gets hash report NONE -> the kfunc returns 0 with hash 0, type 0.
  QEMU's virtio-net RX filter drops 802.1Q frames whose VID the guest has
  not registered (VIRTIO_NET_F_CTRL_VLAN) unless the interface is promiscuous;
  that shows up as missing packets, not in these rules.
* igc: our model (qemu/hw/net/igc_core.c) parses with the same helpers
  (``net_rx_pkt_set_protocols``) and, with CTRL.VME (ethtool rx-vlan-offload
  on; off by default in Linux), strips only an outer tag whose TPID equals
  VET = 0x8100 (``eth_strip_vlan_ex`` index 0); 802.1ad outer tags stay in the
  frame.  TCP/IPv6 reports TCP_IPV6 even with MRQC TCP_EX set.  Real i225
  silicon is not what these rules describe.
* igb: QEMU's 82576 model (hw/net/igb_core.c ``igb_receive_internal``) calls
  ``net_rx_pkt_set_protocols`` on the whole frame before any VLAN strip, and
  ``igb_rss_get_hash_type`` reads those protocols: the same stacks as virtio-net.
* veth as the NIC: its "hardware" is the skb; values are software ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.oracle.rx_filters import default_queue, filter_queue
from harness.oracle.uapi import (
    FEATURE_HASH,
    FEATURE_TIMESTAMP,
    FEATURE_VLAN_TAG,
    FLOW_TYPES,
    FOUR_TUPLE,
    TWO_TUPLE,
    XDP_RSS_L3_IPV4,
    XDP_RSS_L3_IPV6,
    XDP_RSS_L4,
    XDP_RSS_L4_TCP,
    XDP_RSS_L4_UDP,
    XDP_RSS_TYPE_NONE,
)
from harness.traffic.packets import ETH_P_8021AD, ETH_P_8021Q
from harness.traffic.toeplitz import rss_hash

if TYPE_CHECKING:
    from harness.oracle.facts import Facts
    from harness.traffic.packets import SentPacket

#: xdp-rx-metadata-features per driver in Linux 7.2 (the xmo_* callbacks a driver sets);
#: used only when the run did not read the netlink attribute.
DRIVER_XDP_FEATURES: dict[str, frozenset[str]] = {
    "veth": frozenset({FEATURE_TIMESTAMP, FEATURE_HASH, FEATURE_VLAN_TAG}),
    "igc": frozenset({FEATURE_TIMESTAMP, FEATURE_HASH}),
    "virtio_net": frozenset({FEATURE_HASH}),
    # drivers/net/ethernet/intel/igb/igb_main.c igb_probe: netdev_ops and ethtool ops,
    # no netdev->xdp_metadata_ops (xdp_features BASIC | REDIRECT only)
    "igb": frozenset(),
}

#: default RSS hash fields per driver and flow type (what ethtool -n rx-flow-hash shows)
DEFAULT_HASH_FIELDS: dict[str, dict[str, frozenset[str]]] = {
    # virtnet_init_default_rss: all supported types except the *_EX ones
    "virtio_net": {ft: FOUR_TUPLE for ft in FLOW_TYPES},
    # igc_setup_mrqc: TCP hashes ports; UDP ports only with IGC_FLAG_RSS_FIELD_IPV*_UDP
    "igc": {"tcp4": FOUR_TUPLE, "tcp6": FOUR_TUPLE, "udp4": TWO_TUPLE, "udp6": TWO_TUPLE},
    # igb_setup_mrqc: MRQC IPV4 | IPV4_TCP | IPV6 | IPV6_TCP | IPV6_TCP_EX; UDP ports only
    # with IGB_FLAG_RSS_FIELD_IPV*_UDP (ethtool -N rx-flow-hash udp4 sdfn), off by default
    "igb": {"tcp4": FOUR_TUPLE, "tcp6": FOUR_TUPLE, "udp4": TWO_TUPLE, "udp6": TWO_TUPLE},
}

_QEMU_NET_RX_PKT_STACKS = frozenset(
    {(), (ETH_P_8021Q,), (ETH_P_8021AD,), (ETH_P_8021AD, ETH_P_8021Q)})
#: VLAN TPID stacks (outer first) the NIC parses through to the IP header
#: (QEMU net/eth.c eth_get_l2_hdr_length, used by net_rx_pkt_set_protocols)
NIC_PARSED_VLAN_STACKS: dict[str, frozenset[tuple[int, ...]]] = {
    "virtio_net": _QEMU_NET_RX_PKT_STACKS,
    "igc": _QEMU_NET_RX_PKT_STACKS,
    "igb": _QEMU_NET_RX_PKT_STACKS,  # hw/net/igb_core.c igb_receive_internal
}

#: igc_ptp_rx_pktstamp(): RX latency subtracted from the SYSTIM stamp, by link speed
#: (drivers/net/ethernet/intel/igc/igc.h IGC_I225_RX_LATENCY_*; unknown speed -> 0)
IGC_RX_LATENCY_NS = {10: 6450, 100: 185, 1000: 300, 2500: 1485}

#: which bits of the RETA entry select the queue (igc: 4 queues in our model;
#: igb: QEMU hw/net/igb_regs.h E1000_RSS_QUEUE, RETA byte & 0x0F)
QUEUE_MASK = {"igc": 0x3, "igb": 0xF}
#: queue of a frame the NIC did not hash (igc model; QEMU igb_rss_parse_packet)
UNHASHED_QUEUE = {"igc": 0, "igb": 0}


def rx_latency_ns(driver: str, link_speed_mbps: int | None) -> int | None:
    """What the driver subtracts from the device stamp; None = unknown (igc, no speed)."""
    if driver != "igc":
        return 0
    if link_speed_mbps is None:
        return None
    return IGC_RX_LATENCY_NS.get(link_speed_mbps, 0)


def nic_parses(facts: Facts, pkt: SentPacket) -> bool:
    """True if the NIC finds the IP header behind the packet's VLAN tags."""
    stacks = NIC_PARSED_VLAN_STACKS.get(facts.driver)
    if stacks is None:
        return True
    return tuple(t for t, _ in pkt.vlans) in stacks


def nic_hash(facts: Facts, pkt: SentPacket) -> tuple[int, int] | None:
    """(hash, xdp_rss_hash_type) the NIC reports, or None for a field set we do not model."""
    if not nic_parses(facts, pkt):
        return 0, XDP_RSS_TYPE_NONE
    flds = facts.fields_for(pkt) & FOUR_TUPLE
    l3bit = XDP_RSS_L3_IPV4 if pkt.l3 == "ipv4" else XDP_RSS_L3_IPV6
    if flds == FOUR_TUPLE:
        l4bit = XDP_RSS_L4_TCP if pkt.l4 == "tcp" else XDP_RSS_L4_UDP
        h = rss_hash(pkt.src_ip, pkt.dst_ip, pkt.sport, pkt.dport, key=facts.rss_key)
        return h, l3bit | XDP_RSS_L4 | l4bit
    if flds == TWO_TUPLE:
        return rss_hash(pkt.src_ip, pkt.dst_ip, key=facts.rss_key), l3bit
    if not flds:
        return 0, XDP_RSS_TYPE_NONE
    return None


def nic_queue(facts: Facts, pkt: SentPacket) -> tuple[int | None, str]:
    """(rx queue the NIC picks, how); queue None = not predictable (the reason says why).
    The receive filters the guest programmed (igc: ``ethtool -n``) come before RSS."""
    rules = facts.rx_rules or ()
    if rules and facts.driver == "igc":
        steered = filter_queue(rules, pkt.frame)
        if steered is not None:
            return steered
    reta = facts.reta
    if reta is None:
        return None, "the NIC's indirection table was not read"
    got = nic_hash(facts, pkt)
    if got is None:
        return None, f"hash field set {sorted(facts.fields_for(pkt))} not modelled"
    h, t = got
    if t == XDP_RSS_TYPE_NONE:
        dq = default_queue(rules) if facts.driver == "igc" else None
        if dq is not None:
            return dq, f"not hashed: the default queue {dq} (MRQC, ethtool rule)"
        if facts.driver in UNHASHED_QUEUE:
            return UNHASHED_QUEUE[facts.driver], \
                f"not hashed: {facts.driver}'s default queue {UNHASHED_QUEUE[facts.driver]}"
        return None, "not hashed: the NIC's default queue is not modelled"
    q = reta[h % len(reta)] & QUEUE_MASK.get(facts.driver, 0xFFFF)
    return q, f"indirection table[{h % len(reta)}] of the programmed RSS table"
