# SPDX-License-Identifier: GPL-2.0-or-later
"""Oracle rules: one or more cases per rule, and every rule is exercised."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import harness.oracle as o
import harness.oracle.paths as o_paths
from harness.oracle.rx_filters import RxRule
from harness.oracle.store import STORE_KFUNCS, STORE_VLAN, store_hash, store_ts
from harness.traffic.packets import (
    SentPacket,
    break_checksum,
    encapsulate,
    make_packet,
    make_plan,
    outer_packet,
)
from harness.traffic.toeplitz import MS_RSS_KEY, rss_hash

MAC = "52:54:00:00:00:01"
KEY2 = bytes(range(40))


def pkt(kind: str, seed: int = 0) -> SentPacket:
    return make_plan(1, MAC, kinds=[kind], seed=seed)[0]


def double_dot1q() -> SentPacket:
    return make_packet(
        9,
        src_mac=MAC,
        dst_mac=MAC,
        src_ip="10.0.0.1",
        dst_ip="10.0.0.2",
        sport=1,
        dport=2,
        l4="udp",
        vlans=[(0x8100, 5), (0x8100, 6)],
    )


VIRTIO = o.Facts(driver="virtio_net", rss_key=KEY2)
IGC = o.Facts(driver="igc", rss_key=KEY2, hwtstamp_rx=True)
VETH = o.Facts(driver="veth")
IGC_STRIP = replace(IGC, vlan_strip=True)  # ethtool -K <if> rxvlan on


STORE_IGC = replace(IGC, kfuncs=frozenset(STORE_KFUNCS))  # a kernel with the series
STORE_VIRTIO = replace(VIRTIO, kfuncs=frozenset(STORE_KFUNCS))


def h4(p: SentPacket, key: bytes = KEY2) -> int:
    return rss_hash(p.src_ip, p.dst_ip, p.sport, p.dport, key=key)


def h2(p: SentPacket, key: bytes = KEY2) -> int:
    return rss_hash(p.src_ip, p.dst_ip, key=key)


P_U4 = pkt("ipv4-udp")
P_T4 = pkt("ipv4-tcp")
# A RETA like the igc driver's (queues 0,1 alternating) but with entries > 3 to
# show the model's mask (IGC_NUM_QUEUES 4): entry 5 -> queue 1.
IGC_RETA = replace(IGC, reta=tuple((i % 2) + (4 if i % 3 == 0 else 0) for i in range(128)))
_T4_INDEX = rss_hash(P_T4.src_ip, P_T4.dst_ip, P_T4.sport, P_T4.dport, key=KEY2) & 0x7F
T4_QUEUE = IGC_RETA.reta[_T4_INDEX] & 0x3
P_U6 = pkt("ipv6-udp")
P_T6 = pkt("ipv6-tcp")
P_Q = pkt("ipv4-udp-dot1q")
P_QQ = pkt("ipv6-tcp-qinq")
P_2Q = double_dot1q()
# igc as the suite runs it: skb stamps through SO_TIMESTAMPING, the NIC's ifindex known
IGC_SOTS = replace(IGC_RETA, rx_busy_poll=False, ifindex=3, link_speed_mbps=2500)
CLOBBERED_T4 = 3 * 10**9 + T4_QUEUE - 1485  # xh_meta rx_queue/ifindex read as SYSTIM ns/s
NO_REPORT = replace(VIRTIO, hash_report=False, backend="socket")
# QEMU's igb (82576): no xmo_* callbacks; Linux strips 802.1Q by default (CTAG_RX on)
IGB = o.Facts(driver="igb", rss_key=KEY2, vlan_strip=True)
VIRTIO_LATE = replace(VIRTIO, ifindex=3)  # hash_report 3 (UDPv4) read from xh_meta ifindex
IGB_RETA = replace(IGB, reta=tuple(i % 2 for i in range(128)))

def tcp_(helper: str, kind: str = "ipv4-udp") -> SentPacket:
    """A packet the TC helper chain gives ``helper`` (its id picks the helper)."""
    return make_plan(1, MAC, kinds=[kind], first_id=o_paths.TC_HELPERS.index(helper))[0]


def sized(size: int) -> SentPacket:
    """A packet the size sweep gives a blob of ``size`` bytes (its id picks the size)."""
    return make_plan(1, MAC, first_id=o_paths.SWEEP_SIZES.index(size))[0]


SID = replace(IGC, kernel_release="7.2.13+deb14-amd64")
TRIXIE = replace(VIRTIO, kernel_release="6.12.57+deb13-amd64")

TUNNEL = dict(src_mac="02:58:44:50:00:02", dst_mac=MAC, src_ip="198.51.100.2",
              dst_ip="198.51.100.1")
#: tunnelled packets (harness.guest.stacked), and igc hashing UDP over the 4-tuple
P_GRE = encapsulate(P_T4, "gre", **TUNNEL)
P_VXLAN = encapsulate(P_U4, "vxlan", **TUNNEL)
SID_UDP4 = replace(SID, hash_fields={"udp4": o.FOUR_TUPLE, "tcp4": o.FOUR_TUPLE})

# (facts, packet, path, field, expected kind, expected value or None, rule)
CASES: list[tuple[o.Facts, SentPacket, str, str, str, Any, str]] = [
    # gates
    (
        replace(VIRTIO, kfuncs=frozenset({"bpf_xdp_metadata_rx_hash"})),
        P_U4,
        "xdp",
        "vlan",
        "skip",
        None,
        "kfunc-not-in-btf",
    ),
    (replace(IGC, xsk_zc=False), P_U4, "xsk-zc", "hash", "skip", None, "zc-unavailable"),
    # meta
    (VIRTIO, P_U4, "xdp", "meta", "skip", None, "meta-at-xdp"),
    (replace(VIRTIO, data_meta=False), P_U4, "pass", "meta", "skip", None, "meta-unsupported"),
    (VIRTIO, P_U4, "pass", "meta", "value", True, "meta-carried"),
    (IGC, P_QQ, "xsk-zc", "meta", "value", True, "meta-carried"),
    (VIRTIO, P_T6, "cpumap-skb", "meta", "value", True, "meta-carried"),
    (VIRTIO, P_U4, "veth", "meta", "value", True, "meta-carried"),
    (IGC, P_U4, "pass-bare", "meta", "value", False, "meta-not-written"),
    (replace(VIRTIO, data_meta=False), P_U4, "pass-bare", "meta", "value", False,
     "meta-not-written"),
    (VIRTIO, P_T4, "skb", "meta", "value", False, "meta-not-written"),
    # veth after redirect
    (VIRTIO, P_U4, "veth", "hash", "nodata", None, "veth-xdp-frame"),
    (IGC, P_Q, "veth", "vlan", "nodata", None, "veth-xdp-frame"),
    (IGC, P_U4, "veth", "timestamp", "nodata", None, "veth-xdp-frame"),
    # skb points
    (VIRTIO, P_U4, "pass", "hash_type", "skip", None, "skb-no-hash-type"),
    (IGC, P_U4, "pass-bare", "hash_type", "skip", None, "skb-no-hash-type"),
    (VIRTIO, P_U4, "cpumap-skb", "hash", "nodata", None, "frame-skb-hash"),
    (IGC, P_U4, "veth-skb", "timestamp", "nodata", None, "frame-skb-timestamp"),
    (IGC_STRIP, P_Q, "cpumap-skb", "vlan", "nodata", None, "frame-skb-vlan-stripped"),
    (IGC, P_Q, "cpumap-skb", "vlan", "value", P_Q.vlans[0], "frame-skb-vlan-in-data"),
    # veth, tags out of band: the xdp_frame loses the outer tag, the inner one is untagged
    (VETH, replace(P_Q, vlan_oob=True), "veth-skb", "vlan", "nodata", None,
     "frame-skb-vlan-stripped"),
    (VETH, replace(P_QQ, vlan_oob=True), "cpumap-skb", "vlan", "value", P_QQ.vlans[1],
     "frame-skb-vlan-inner"),
    (VETH, replace(P_QQ, vlan_oob=True), "xdp", "vlan", "value", P_QQ.vlans[0],
     "veth-nic-vlan"),
    (VETH, replace(P_QQ, vlan_oob=True), "pass", "vlan", "value", P_QQ.vlans[0], "pass-vlan"),
    (VETH, replace(P_QQ, vlan_oob=True), "xdp", "hash_type", "value", 8, "veth-nic-hash-type"),
    (IGC_STRIP, P_QQ, "cpumap-skb", "vlan", "value", P_QQ.vlans[0], "frame-skb-vlan-in-data"),
    (VIRTIO, P_Q, "cpumap-skb", "vlan", "value", P_Q.vlans[0], "frame-skb-vlan-in-data"),
    (IGC, P_QQ, "cpumap-skb", "vlan", "value", P_QQ.vlans[0], "frame-skb-vlan-in-data"),
    (VIRTIO, P_U4, "cpumap-skb", "vlan", "nodata", None, "frame-skb-vlan-untagged"),
    (VIRTIO, P_QQ, "veth-skb", "vlan", "value", P_QQ.vlans[0], "frame-skb-vlan-in-data"),
    (VIRTIO, P_U6, "veth-skb", "hash", "nodata", None, "frame-skb-hash"),
    (VIRTIO, P_U4, "veth-skb", "hash_type", "skip", None, "skb-no-hash-type"),
    (VIRTIO, P_U4, "cpumap", "hash", "skip", None, "cpumap-prog-no-kfuncs"),
    (replace(VIRTIO, cpumap_dev_bound_rc=-22), P_U4, "cpumap", "hash", "not-called", None,
     "cpumap-dev-bound-refused"),
    (replace(IGC, cpumap_dev_bound_rc=0), P_U4, "cpumap", "timestamp", "present", None,
     "cpumap-dev-bound-accepted"),
    (IGC, P_Q, "cpumap", "vlan", "skip", None, "cpumap-prog-no-kfuncs"),
    (IGC, P_Q, "cpumap", "meta", "value", True, "meta-carried"),
    (IGC, P_U4, "pass", "timestamp", "present", None, "igc-ts-skb-busy-poll"),
    (replace(IGC, rx_busy_poll=False), P_U4, "pass", "timestamp", "present", None, "igc-ts"),
    (IGC, P_U4, "pass-bare", "timestamp", "present", None, "igc-ts-skb-busy-poll"),
    (replace(IGC, rx_busy_poll=False), P_U4, "pass-bare", "timestamp", "present", None,
     "igc-ts"),
    # NIC kfuncs: callbacks missing
    (VIRTIO, P_U4, "xdp", "timestamp", "unsupported", None, "no-callback"),
    # csum (proposed kfunc): tests/oracle/test_csum_rules.py judges whole rows
    (replace(IGC, xdp_features=frozenset({"checksum"})), P_U4, "xdp", "csum", "value", 1,
     "csum-nic"),
    (replace(IGC, xdp_features=frozenset({"checksum"})), P_U4, "veth", "csum", "nodata", None,
     "veth-xdp-frame"),
    # csum on the skb paths (bpf_csum_level at TC): tests/oracle/test_csum_skb_rules.py
    (IGC, P_U4, "pass", "csum", "value", 1, "csum-skb-igc"),
    (IGC, P_T6, "skb", "csum", "value", 1, "csum-skb-igc"),
    (IGC, break_checksum(P_T6, "l4"), "skb", "csum", "value", 0, "csum-skb-broken"),
    (VIRTIO, P_U4, "pass-bare", "csum", "value", 1, "csum-skb-gro"),
    (IGC, P_U4, "cpumap-skb", "csum", "value", 1, "csum-skb-gro"),
    (VETH, P_U4, "skb", "csum", "value", 0, "csum-skb-veth"),
    (IGC, P_U4, "veth-skb", "csum", "value", 0, "csum-skb-veth"),
    (VETH, P_U4, "cpumap-skb", "csum", "value", 0, "csum-skb-veth"),
    (IGC, P_U4, "tpacket", "csum", "skip", None, "csum-skb-not-recorded"),
    (VIRTIO, P_Q, "xdp", "vlan", "unsupported", None, "no-callback"),
    (IGC, P_Q, "xdp", "vlan", "unsupported", None, "no-callback"),
    (IGC, P_Q, "xsk", "vlan", "unsupported", None, "no-callback"),
    (
        replace(VIRTIO, xdp_features=frozenset()),
        P_U4,
        "xdp",
        "hash",
        "unsupported",
        None,
        "no-callback",
    ),
    # hash
    (replace(VIRTIO, rxhash=False), P_U4, "xdp", "hash", "nodata", None, "rxhash-off"),
    (replace(IGC, rxhash=False), P_T4, "pass", "hash", "nodata", None, "rxhash-off"),
    (replace(IGC, rxhash=False), P_T4, "pass-bare", "hash", "nodata", None, "rxhash-off"),
    (VETH, P_U4, "xdp", "hash", "present", None, "veth-nic-hash"),
    (VETH, P_U4, "xdp", "hash_type", "value", 0x08, "veth-nic-hash-type"),
    (VETH, P_Q, "xdp", "hash_type", "value", 0x00, "veth-nic-hash-type-tagged"),
    (VETH, P_QQ, "xsk", "hash_type", "value", 0x00, "veth-nic-hash-type-tagged"),
    (VIRTIO, P_U4, "xdp", "hash", "value", h4(P_U4), "nic-hash"),
    (VIRTIO, P_U4, "xdp", "hash_type", "value", 0x29, "nic-hash"),
    (VIRTIO, P_T4, "xdp", "hash_type", "value", 0x19, "nic-hash"),
    (VIRTIO, P_U6, "xsk", "hash_type", "value", 0x2A, "nic-hash"),
    (VIRTIO, P_T6, "xsk-zc", "hash_type", "value", 0x1A, "nic-hash"),
    (VIRTIO, P_QQ, "xdp", "hash", "value", h4(P_QQ), "nic-hash"),
    (VIRTIO, P_2Q, "xdp", "hash", "value", 0, "nic-hash"),
    (VIRTIO, P_2Q, "xdp", "hash_type", "value", 0, "nic-hash"),
    (IGC, P_U4, "xdp", "hash", "value", h2(P_U4), "nic-hash"),
    (IGC, P_U4, "xdp", "hash_type", "value", 0x01, "nic-hash"),
    (IGC, P_U6, "xdp", "hash_type", "value", 0x02, "nic-hash"),
    (IGC, P_T6, "xdp", "hash", "value", h4(P_T6), "nic-hash"),
    (IGC, P_Q, "xdp", "hash", "value", h2(P_Q), "nic-hash"),
    # timestamp
    (replace(IGC, hwtstamp_rx=False), P_U4, "xdp", "timestamp", "nodata", None, "igc-ts-no-filter"),
    (
        replace(IGC, hwtstamp_rx=False),
        P_U4,
        "pass",
        "timestamp",
        "nodata",
        None,
        "igc-ts-no-filter",
    ),
    (IGC, P_U4, "xdp", "timestamp", "present", None, "igc-ts"),
    (VETH, P_U4, "xdp", "timestamp", "value", 0, "veth-nic-ts"),
    (
        replace(VIRTIO, xdp_features=frozenset({"hash", "timestamp"})),
        P_U4,
        "xdp",
        "timestamp",
        "present",
        None,
        "nic-ts-other",
    ),
    # vlan
    (
        VETH,
        replace(P_Q, vlan_oob=True),
        "xdp",
        "vlan",
        "value",
        P_Q.vlans[0],
        "veth-nic-vlan",
    ),
    (VETH, P_Q, "xdp", "vlan", "nodata", None, "nic-vlan-none"),
    (
        replace(IGC_STRIP, xdp_features=frozenset({"hash", "timestamp", "vlan_tag"})),
        P_Q,
        "xdp",
        "vlan",
        "value",
        P_Q.vlans[0],
        "nic-vlan-stripped",
    ),
    (
        replace(IGC, xdp_features=frozenset({"hash", "timestamp", "vlan-tag"})),
        P_QQ,
        "xdp",
        "vlan",
        "nodata",
        None,
        "nic-vlan-none",
    ),
    # XDP_PASS
    (VETH, P_U4, "pass", "hash", "skip", None, "pass-hash-veth"),
    (VIRTIO, P_T4, "skb", "hash", "value", h4(P_T4), "pass-hash"),
    (VIRTIO, P_T4, "pass", "hash", "nodata", None, "virtio-xdp-pass-skb-hash"),
    (VIRTIO, P_U6, "pass-bare", "hash", "nodata", None, "virtio-xdp-pass-skb-hash"),
    (IGC, P_U6, "pass", "hash", "value", h2(P_U6), "pass-hash"),
    (VIRTIO, P_2Q, "skb", "hash", "nodata", None, "pass-hash"),
    (
        replace(VIRTIO, hash_fields={"udp4": frozenset({"ip_src"})}),
        P_U4,
        "skb",
        "hash",
        "skip",
        None,
        "pass-hash",
    ),
    (VIRTIO, P_U4, "pass", "timestamp", "nodata", None, "pass-ts"),
    (VIRTIO, P_QQ, "pass", "vlan", "value", P_QQ.vlans[0], "pass-vlan"),
    (IGC, P_Q, "pass", "vlan", "value", P_Q.vlans[0], "pass-vlan"),
    (IGC_STRIP, P_Q, "pass", "vlan", "value", P_Q.vlans[0], "pass-vlan"),
    (IGC, P_T4, "pass", "vlan", "nodata", None, "pass-vlan-untagged"),
    (VETH, P_U4, "pass-bare", "hash", "skip", None, "pass-hash-veth"),
    (IGC, P_T6, "pass-bare", "hash", "value", h4(P_T6), "pass-hash"),
    (IGC, P_2Q, "pass-bare", "hash", "nodata", None, "pass-hash"),
    (IGC, P_T4, "skb", "hash", "value", h4(P_T4), "pass-hash"),
    (VIRTIO, P_U4, "skb", "timestamp", "nodata", None, "pass-ts"),
    (IGC, P_Q, "skb", "vlan", "value", P_Q.vlans[0], "pass-vlan"),
    (VIRTIO, P_T6, "skb", "vlan", "nodata", None, "pass-vlan-untagged"),
    (IGC, P_T4, "skb", "hash_type", "skip", None, "skb-no-hash-type"),
    (IGC_RETA, P_T4, "skb", "queue", "skip", None, "queue-not-at-xdp"),
    (VIRTIO, P_U4, "pass-bare", "timestamp", "nodata", None, "pass-ts"),
    (IGC, P_QQ, "pass-bare", "vlan", "value", P_QQ.vlans[0], "pass-vlan"),
    (IGC, P_U6, "pass-bare", "vlan", "nodata", None, "pass-vlan-untagged"),
    (replace(IGC, hwtstamp_rx=False), P_U4, "pass-bare", "timestamp", "nodata", None,
     "igc-ts-no-filter"),
    (IGC_RETA, P_T4, "pass-bare", "queue", "skip", None, "queue-not-at-xdp"),
    (IGC_RETA, P_T4, "xdp", "queue", "value", T4_QUEUE, "queue-reta"),
    (replace(IGC_RETA, rx_rules=(RxRule(0, 3 - T4_QUEUE, etype=0x0800),)), P_T4, "xdp",
     "queue", "value", 3 - T4_QUEUE, "queue-rx-filter"),
    (IGC_RETA, P_T4, "pass", "queue", "skip", None, "queue-not-at-xdp"),
    (IGC, P_T4, "xdp", "queue", "skip", None, "queue-no-table"),
    # virtio-net without VIRTIO_NET_F_HASH_REPORT: hash rows of the NIC's own paths skip
    (NO_REPORT, P_U4, "xdp", "hash", "skip", None, "virtio-no-hash-report"),
    (NO_REPORT, P_T4, "skb", "hash", "skip", None, "virtio-no-hash-report"),
    (NO_REPORT, P_T4, "pass-bare", "hash_type", "skip", None, "virtio-no-hash-report"),
    (NO_REPORT, P_U6, "xsk-zc", "hash_type", "skip", None, "virtio-no-hash-report"),
    (NO_REPORT, P_U4, "veth", "hash", "nodata", None, "veth-xdp-frame"),
    (NO_REPORT, P_U4, "cpumap-skb", "hash", "nodata", None, "frame-skb-hash"),
    (NO_REPORT, P_U4, "xdp", "timestamp", "unsupported", None, "no-callback"),
    (replace(VIRTIO, hash_report=True), P_U4, "xdp", "hash", "value", h4(P_U4), "nic-hash"),
    # igc skb stamp on pass: the RX header our data_meta overwrote
    (IGC_SOTS, P_T4, "pass", "timestamp", "value", CLOBBERED_T4, "igc-ts-pass-clobbered"),
    (replace(IGC_SOTS, reta=None), P_T4, "pass", "timestamp", "window", None,
     "igc-ts-pass-clobbered"),
    (IGC_SOTS, P_T4, "pass-bare", "timestamp", "present", None, "igc-ts"),
    # under --meta-format tlv timer 0 is the area's last 8 bytes: the (ID, 4) entry
    # header and a flag give ns 0x04010002, the packet id gives the seconds
    (replace(IGC_SOTS, meta_format="tlv"), P_T4, "pass", "timestamp", "value",
     P_T4.id * 10**9 + 0x04010002 - 1485, "igc-ts-pass-clobbered"),
    (replace(IGC_SOTS, rx_busy_poll=True), P_T4, "pass", "timestamp", "present", None,
     "igc-ts-skb-busy-poll"),
    (replace(IGC_SOTS, hwtstamp_rx=False), P_T4, "pass", "timestamp", "nodata", None,
     "igc-ts-no-filter"),
    # igb: no callbacks at the XDP hook; the skb hash is the NIC's Toeplitz hash
    (IGB, P_U4, "xdp", "hash", "unsupported", None, "no-callback"),
    (IGB, P_T4, "xdp", "hash_type", "unsupported", None, "no-callback"),
    (IGB, P_U4, "xdp", "timestamp", "unsupported", None, "no-callback"),
    (IGB, P_Q, "xdp", "vlan", "unsupported", None, "no-callback"),
    (IGB, P_Q, "xsk", "vlan", "unsupported", None, "no-callback"),
    (IGB, P_T4, "xsk-zc", "timestamp", "unsupported", None, "no-callback"),
    (IGB, P_T4, "skb", "hash", "value", h4(P_T4), "pass-hash"),
    (IGB, P_U4, "skb", "hash", "value", h2(P_U4), "pass-hash"),
    (IGB, P_QQ, "pass", "hash", "value", h4(P_QQ), "pass-hash"),
    (IGB, P_Q, "pass-bare", "hash", "value", h2(P_Q), "pass-hash"),
    (IGB, P_2Q, "skb", "hash", "nodata", None, "pass-hash"),
    (replace(IGB, rxhash=False), P_T4, "skb", "hash", "nodata", None, "rxhash-off"),
    (IGB, P_T4, "skb", "timestamp", "nodata", None, "igb-ts-ptp-only"),
    (IGB, P_U4, "pass", "timestamp", "nodata", None, "igb-ts-ptp-only"),
    (IGB, P_Q, "skb", "vlan", "value", P_Q.vlans[0], "pass-vlan"),
    (IGB, P_Q, "cpumap-skb", "vlan", "nodata", None, "frame-skb-vlan-stripped"),
    (IGB_RETA, P_T4, "xdp", "queue", "value", IGB_RETA.reta[_T4_INDEX], "queue-reta"),
    (IGB_RETA, P_2Q, "xdp", "queue", "value", 0, "queue-reta"),
    # the TC helper chain (tc:<helper>, meta): the preserve-metadata series is in 6.19+;
    # the chain applies helper id % len(TC_HELPERS) to a packet
    (SID, tcp_("vlan_push"), "tc:vlan_push", "meta", "value", "intact",
     "tc-helper-meta-moved"),
    (SID, tcp_("change_proto", "ipv6-tcp"), "tc:change_proto", "meta", "value", "intact",
     "tc-helper-meta-moved"),
    (TRIXIE, tcp_("adjust_room_mac_grow"), "tc:adjust_room_mac_grow", "meta", "value",
     "corrupted", "tc-helper-meta-lost"),
    (TRIXIE, tcp_("change_head"), "tc:change_head", "meta", "value", "corrupted",
     "tc-helper-meta-lost"),
    (TRIXIE, tcp_("change_tail", "ipv6-udp"), "tc:change_tail", "meta", "value", "intact",
     "tc-helper-meta-tail-old-kernel"),
    (replace(SID, kernel_release="6.12.57+deb13-amd64"), tcp_("change_tail"),
     "tc:change_tail", "meta", "value", "cleared", "tc-helper-meta-tail-old-kernel"),
    (replace(TRIXIE, driver="igb"), tcp_("change_tail"), "tc:change_tail", "meta", "skip",
     None, "tc-helper-meta-tail-old-kernel"),
    (SID, tcp_("change_tail"), "tc:change_tail", "meta", "value", "intact",
     "tc-helper-meta-head-kept"),
    (TRIXIE, tcp_("pull_data"), "tc:pull_data", "meta", "value", "intact",
     "tc-helper-meta-head-kept"),
    (SID, tcp_("none"), "tc:none", "meta", "value", "intact", "tc-helper-meta-head-kept"),
    (replace(SID, kernel_release="custom"), tcp_("vlan_pop"), "tc:vlan_pop", "meta", "skip",
     None, "tc-helper-meta-unknown-kernel"),
    (replace(SID, data_meta=False), tcp_("vlan_pop"), "tc:vlan_pop", "meta", "skip", None,
     "meta-unsupported"),
    (SID, tcp_("vlan_pop"), "tc:vlan_push", "meta", "skip", None, "tc-helper-other-packet"),
    # the metadata size sweep (sizes:<path>, meta): the blob size is SWEEP_SIZES[id % 6];
    # igc with RX stamps: 256 + 16 headroom - 40 (struct xdp_frame) = 232 bytes of room
    (SID, sized(128), "sizes:pass", "meta", "value", "intact", "meta-size-fits"),
    (SID, sized(252), "sizes:veth-skb", "meta", "value", "refused", "meta-size-refused"),
    (TRIXIE, sized(4), "sizes:cpumap", "meta", "value", "intact", "meta-size-fits"),
    (TRIXIE, sized(252), "sizes:cpumap-skb", "meta", "value", "refused",
     "meta-size-refused"),
    (VETH, sized(8), "sizes:pass", "meta", "skip", None, "meta-size-headroom-unknown"),
    # xdp-late: the kfuncs after data_meta was written
    (IGC_SOTS, P_T4, "xdp-late", "timestamp", "value", CLOBBERED_T4, "igc-ts-late-clobbered"),
    (replace(IGC_SOTS, hwtstamp_rx=False), P_T4, "xdp-late", "timestamp", "nodata", None,
     "igc-ts-no-filter"),
    (IGC_SOTS, P_T4, "xdp-late", "hash", "value", h4(P_T4), "nic-hash"),
    (IGC_SOTS, P_Q, "xdp-late", "vlan", "unsupported", None, "no-callback"),
    (IGC_SOTS, P_T4, "xdp-late", "meta", "skip", None, "meta-at-xdp"),
    (IGC_SOTS, P_T4, "xdp-late", "queue", "skip", None, "queue-not-at-xdp"),
    (VIRTIO_LATE, P_T4, "xdp-late", "hash", "window", None, "virtio-late-hash-headroom"),
    (VIRTIO_LATE, P_T6, "xdp-late", "hash_type", "value", 0x29, "virtio-late-hash-headroom"),
    (replace(VIRTIO_LATE, ifindex=12), P_T6, "xdp-late", "hash_type", "value", 0,
     "virtio-late-hash-headroom"),
    (replace(VIRTIO_LATE, ifindex=None), P_T4, "xdp-late", "hash", "value", h4(P_T4),
     "nic-hash"),
    (VIRTIO_LATE, P_U4, "xdp-late", "timestamp", "unsupported", None, "no-callback"),
    (VETH, P_U4, "xdp-late", "hash_type", "value", 0x08, "veth-nic-hash-type"),
    # tpacket: the skb's hardware stamp through an af_packet mmap ring
    (IGC_SOTS, P_T4, "tpacket", "timestamp", "window", None, "igc-tpacket-netdev-data"),
    (replace(IGC_SOTS, hwtstamp_rx=False), P_T4, "tpacket", "timestamp", "nodata", None,
     "igc-ts-no-filter"),
    (VIRTIO, P_T4, "tpacket", "timestamp", "nodata", None, "pass-ts"),
    (IGB, P_T4, "tpacket", "timestamp", "nodata", None, "igb-ts-ptp-only"),
    (IGC_SOTS, P_T4, "tpacket", "hash", "skip", None, "tpacket-timestamp-only"),
    (VIRTIO, P_Q, "tpacket", "vlan", "skip", None, "tpacket-timestamp-only"),
    # redirect-store (harness.oracle.store): skip without the kfuncs, the stored values with
    (IGC, P_T4, "veth-store-skb", "hash", "skip", None, "store-kfunc-absent"),
    (STORE_IGC, P_T4, "veth-store-skb", "hash", "value", store_hash(P_T4), "store-hash"),
    (STORE_IGC, P_Q, "cpumap-store-skb", "vlan", "value", STORE_VLAN, "store-vlan"),
    (STORE_VIRTIO, P_U4, "cpumap-store-skb", "timestamp", "value", store_ts(P_U4), "store-ts"),
    (IGC, P_U6, "veth-store", "hash_type", "skip", None, "store-kfunc-absent"),
    (STORE_IGC, P_T6, "veth-store", "hash_type", "value", 0x1A, "store-hash-type"),
    (STORE_IGC, P_U4, "veth-store", "vlan", "value", (0x88A8, 0xB123), "store-vlan"),
    (STORE_IGC, P_U6, "veth-store", "hash", "value", store_hash(P_U6), "store-hash"),
    # stacked devices and tunnels (harness.guest.stacked): the upper device's skb
    (SID, P_Q, "vlan-dev", "meta", "value", "intact", "stacked-vlan-meta-kept"),
    (replace(SID, vlan_strip=False), P_Q, "vlan-dev-sw", "meta", "value", "intact",
     "stacked-vlan-meta-kept"),
    (SID, P_Q, "vlan-dev", "hash", "value", h2(P_Q), "stacked-vlan-hash-kept"),
    (SID, P_Q, "vlan-dev-sw", "vlan", "nodata", None, "stacked-vlan-tag-consumed"),
    (SID, P_GRE, "gre", "meta", "value", "corrupted", "stacked-tunnel-meta-lost"),
    (TRIXIE, P_VXLAN, "vxlan", "meta", "value", "corrupted", "stacked-tunnel-meta-lost"),
    (SID, P_GRE, "gre", "hash", "nodata", None, "stacked-gre-hash-cleared"),
    (SID_UDP4, P_VXLAN, "vxlan", "hash", "value", h4(outer_packet(P_VXLAN)),
     "stacked-vxlan-hash-outer"),
    (SID, P_VXLAN, "vxlan", "hash", "nodata", None, "stacked-vxlan-hash-outer"),
    (SID, P_GRE, "vxlan", "meta", "skip", None, "stacked-other-packet"),
    (SID, P_Q, "gre", "hash", "skip", None, "stacked-other-packet"),
]


@pytest.mark.parametrize(
    "facts,p,path,fld,kind,val,rule",
    CASES,
    ids=[f"{c[0].driver}-{c[1].kind}-{c[2]}-{c[3]}-{c[6]}" for c in CASES],
)
def test_rule_cases(
    facts: o.Facts, p: SentPacket, path: str, fld: str, kind: str, val: Any, rule: str
) -> None:
    exp = o.expect(facts, p, path, fld)
    assert (exp.rule, exp.kind) == (rule, kind), exp
    if kind == "value":
        assert exp.value == val
    if kind not in ("skip", "not-called"):
        assert exp.rc == {"value": 0, "window": 0, "present": 0, "unsupported": -95,
                          "nodata": -61}[kind]


def test_every_rule_has_a_case() -> None:
    covered = {c[6] for c in CASES}
    assert covered == {r.name for r in o.RULES}


def test_rule_names_unique_and_sourced() -> None:
    names = [r.name for r in o.RULES]
    assert len(names) == len(set(names))
    assert all(r.source for r in o.RULES)
    table = o.rules_table()
    assert table[0]["rule"] == names[0] and set(table[0]) >= {"drivers", "paths", "source"}


def test_every_combination_has_an_expectation() -> None:
    plan = make_plan(12, MAC)
    for facts in (VIRTIO, IGC, VETH):
        allx = o.expect_all(facts, plan)
        assert len(allx) == len(o.PATHS) * len(o.FIELDS)
        for (path, fld), per_id in allx.items():
            assert set(per_id) == {p.id for p in plan}
            for exp in per_id.values():
                assert exp.rule, (facts.driver, path, fld)


def test_hash_uses_the_programmed_key() -> None:
    a = o.expect(VIRTIO, P_T4, "xdp", "hash").value
    b = o.expect(replace(VIRTIO, rss_key=MS_RSS_KEY), P_T4, "xdp", "hash").value
    assert a == h4(P_T4, KEY2) and b == h4(P_T4, MS_RSS_KEY) and a != b


def test_hash_fields_from_ethtool() -> None:
    text = (
        "UDP over IPV4 flows use these fields for computing Hash flow key:\n"
        "IP SA\nIP DA\nL4 bytes 0 & 1 [TCP/UDP src port]\nL4 bytes 2 & 3 [TCP/UDP dst port]\n"
    )
    fields = o.parse_rx_flow_hash(text)
    assert fields == o.FOUR_TUPLE
    assert o.parse_rx_flow_hash("TCP over IPV4 flows use these fields...:\nIP SA\nIP DA\n") == (
        o.TWO_TUPLE
    )
    assert o.parse_rx_flow_hash("... Hash flow key:\nNone\n") == frozenset()
    # igc with UDP 4-tuple enabled (ethtool -N eth1 rx-flow-hash udp4 sdfn)
    facts = replace(IGC, hash_fields={"udp4": fields})
    assert o.expect(facts, P_U4, "xdp", "hash_type").value == 0x29
    assert o.expect(facts, P_U4, "xdp", "hash").value == h4(P_U4)
    # no fields: NIC reports no hash
    facts = replace(VIRTIO, hash_fields={"udp4": frozenset()})
    assert o.expect(facts, P_U4, "xdp", "hash").value == 0
    assert o.expect(facts, P_U4, "xdp", "hash_type").value == 0


def test_timestamp_sources() -> None:
    p1, p2 = make_plan(2, MAC)
    clock = o.DeterministicClock(start_ns=1_000_000, step_ns=500)
    facts = replace(IGC, clock=clock, link_speed_mbps=1000)  # igc subtracts 300 ns at 1G
    assert o.expect(facts, p1, "xdp", "timestamp").value == 1_000_000 - 300
    assert o.expect(facts, p2, "xsk", "timestamp").value == 1_000_500 - 300
    assert o.expect(facts, p2, "pass", "timestamp").kind == "present"  # netdev_data pointer
    nobp = replace(facts, rx_busy_poll=False)
    assert o.expect(nobp, p2, "pass", "timestamp").value == 1_000_500 - 300
    # the skb after a program that wrote no data_meta: the same exact stamp
    bare = o.expect(nobp, p2, "pass-bare", "timestamp")
    assert (bare.kind, bare.value, bare.rule) == ("value", 1_000_500 - 300, "igc-ts")
    # and without any XDP program
    skb = o.expect(nobp, p1, "skb", "timestamp")
    assert (skb.kind, skb.value, skb.rule) == ("value", 1_000_000 - 300, "igc-ts")
    facts = replace(facts, link_speed_mbps=2500)
    assert o.expect(facts, p1, "xdp", "timestamp").value == 1_000_000 - 1485
    facts = replace(IGC, ts_window=(10_000, 20_000), link_speed_mbps=100)
    exp = o.expect(facts, p1, "xdp", "timestamp")
    assert (exp.kind, exp.lo, exp.hi) == ("window", 10_000 - 185, 20_000)
    facts = replace(IGC, ts_by_id={p1.id: 42_000}, clock=clock, link_speed_mbps=1000)
    assert o.expect(facts, p1, "xdp", "timestamp").value == 42_000 - 300
    assert o.expect(facts, p2, "xdp", "timestamp").value == 1_000_500 - 300  # clock fallback
    # unknown link speed: exact stamp widens to the largest latency
    exp = o.expect(replace(IGC, clock=clock), p1, "xdp", "timestamp")
    assert (exp.kind, exp.lo, exp.hi) == ("window", 1_000_000 - 6450, 1_000_000)
    assert o.Facts(driver="virtio_net").rx_latency_ns() == 0


def test_pass_bare_has_the_rules_of_pass_but_no_meta() -> None:
    """Every field but meta: the same expectation on pass and pass-bare."""
    plan = make_plan(24, MAC)
    clocked = replace(IGC, clock=o.DeterministicClock(10**18, 1000, first_id=plan[0].id),
                      link_speed_mbps=2500, rx_busy_poll=False)
    for facts in (VIRTIO, IGC, IGC_STRIP, VETH, clocked, replace(IGC, rxhash=False)):
        for p in plan:
            for fld in o.FIELDS:
                a, b = o.expect(facts, p, "pass", fld), o.expect(facts, p, "pass-bare", fld)
                if fld == "meta":
                    assert (a.value, b.value) == (True, False), (facts.driver, p.kind)
                else:
                    assert (a.kind, a.value, a.rule) == (b.kind, b.value, b.rule), (
                        facts.driver, p.kind, fld)


def test_kfunc_gate_only_for_kfunc_paths() -> None:
    facts = replace(VIRTIO, kfuncs=frozenset())
    assert o.expect(facts, P_U4, "xdp", "hash").kind == "skip"
    assert o.expect(facts, P_U4, "skb", "hash").kind == "value"  # skb hash needs no kfunc
    assert o.expect(replace(IGC, kfuncs=frozenset()), P_U4, "pass", "hash").kind == "value"


def test_unknown_path_or_field() -> None:
    with pytest.raises(ValueError):
        o.expect(VIRTIO, P_U4, "tc", "hash")
    with pytest.raises(ValueError):
        o.expect(VIRTIO, P_U4, "xdp", "checksum")


def test_describe() -> None:
    assert o.expect(VIRTIO, P_U4, "xdp", "hash_type").describe("hash_type") == (
        "0x29 (L4_IPV4_UDP)"
    )
    assert o.unsupported("x").describe() == "rc=-95 (EOPNOTSUPP)"
    assert o.value((0x8100, 0x2064)).describe("vlan") == "0x8100/0x2064"
    assert o.nodata("x").describe() == "rc=-61 (ENODATA)"


def test_feature_names_normalized() -> None:
    facts = replace(VETH, xdp_features=frozenset({"VLAN_TAG", "hash"}))
    assert facts.features() == frozenset({"vlan-tag", "hash"})
    assert o.expect(facts, P_U4, "xdp", "timestamp").kind == "unsupported"


def test_ethtool_features() -> None:
    text = (
        "Features for eth1:\nrx-checksumming: on\nreceive-hashing: off [fixed]\n"
        "rx-vlan-offload: on\ntx-vlan-offload: off [requested on]\n"
    )
    got = o.parse_ethtool_features(text)
    assert got["rx-vlan-offload"] is True and got["receive-hashing"] is False
    assert got["tx-vlan-offload"] is False and "Features for eth1" not in got
    facts = replace(IGC, vlan_strip=got["rx-vlan-offload"], rxhash=got["receive-hashing"])
    assert facts.strips(P_Q) and not facts.strips(P_QQ) and not facts.strips(P_U4)
    assert o.expect(facts, P_U4, "xdp", "hash").kind == "nodata"


ETHTOOL_X = """RX flow hash indirection table for eth1 with 2 RX ring(s):
    0:      0     1     0     1     0     1     0     1
RSS hash key:
6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa
RSS hash function:
    toeplitz: on
    xor: off
"""


def test_parse_ethtool_rss_key_and_driver() -> None:
    assert o.parse_ethtool_rss_key(ETHTOOL_X) == MS_RSS_KEY
    with pytest.raises(ValueError):
        o.parse_ethtool_rss_key("RSS hash function:\n    toeplitz: on\n")
    assert o.parse_ethtool_driver("driver: virtio_net\nversion: 1.0.0\n") == "virtio_net"
    with pytest.raises(ValueError):
        o.parse_ethtool_driver("version: 1\n")


PROBE = {
    "kernel": "7.2.13+deb14-amd64",
    "btf": True,
    "kfuncs": {
        "bpf_xdp_metadata_rx_timestamp": True,
        "bpf_xdp_metadata_rx_hash": True,
        "bpf_xdp_metadata_rx_vlan_tag": False,
        "bpf_dynptr_from_skb_meta": True,
    },
    "ifaces": [
        {
            "ifname": "eth1",
            "ifindex": 3,
            "netdev_genl": True,
            "xdp_features_names": ["basic", "redirect", "ndo-xmit", "xsk-zerocopy"],
            "xdp_rx_metadata": ["hash"],
        }
    ],
}


def test_facts_from_probe() -> None:
    f = o.facts_from_probe(PROBE, "eth1", "virtio_net", rss_key=KEY2, rxhash=True)
    assert f.kernel_release.startswith("7.2") and f.rss_key == KEY2
    assert f.features() == frozenset({"hash"})
    assert f.xsk_zc is True
    assert f.ifindex == 3 and f.hash_report is None
    nr = o.facts_from_probe(PROBE, "eth1", "virtio_net", hash_report=False, backend="socket")
    skipped = o.expect(nr, P_U4, "xdp", "hash")
    assert skipped.kind == "skip" and "socket backend" in skipped.reason
    assert o.expect(f, P_Q, "xdp", "vlan").kind == "skip"  # rx_vlan_tag absent in this BTF
    assert o.expect(f, P_U4, "xdp", "timestamp").kind == "unsupported"
    assert o.expect(f, P_U4, "xdp", "hash").value == h4(P_U4)
    old = dict(PROBE, ifaces=[dict(PROBE["ifaces"][0], xdp_rx_metadata=None)])
    assert o.facts_from_probe(old, "eth1", "igc").xdp_features is None  # falls back to table
    with pytest.raises(ValueError):
        o.facts_from_probe(PROBE, "eth9", "igc")


def test_parse_ethtool_indir() -> None:
    text = ("RX flow hash indirection table for eth1 with 2 RX ring(s):\n"
            "    0:      0     1     0     1     0     1     0     1\n"
            "    8:      1     0     1     0     1     0     1     0\n"
            "RSS hash key:\n6d:5a:56:da\n")
    assert o.parse_ethtool_indir(text) == (0, 1) * 4 + (1, 0) * 4
    with pytest.raises(ValueError):
        o.parse_ethtool_indir("RSS hash key:\n6d:5a\n")


def test_loss_and_probe_markers() -> None:
    """A met expectation is a documented loss where the rule says so, and only there."""
    assert o.expect(VIRTIO, P_U4, "xdp", "timestamp").loss  # no callback
    assert o.expect(VIRTIO, P_U4, "cpumap-skb", "hash").loss  # lost on the way
    clobbered = o.expect(IGC_SOTS, P_T4, "pass", "timestamp")  # a known bug, not a loss
    assert clobbered.bug == "igc-rx-ts-headroom" and not clobbered.loss
    for facts, p, path, fld in ((VIRTIO, P_T6, "skb", "vlan"),  # untagged: nothing to lose
                                (VIRTIO, P_U4, "cpumap-skb", "vlan"),
                                (VETH, P_Q, "xdp", "vlan"),
                                (VIRTIO, P_2Q, "skb", "hash"),  # the NIC hashed nothing
                                (VIRTIO, P_U4, "xdp", "hash"),
                                (IGC_SOTS, P_T4, "pass-bare", "timestamp")):
        exp = o.expect(facts, p, path, fld)
        assert not exp.loss, (exp.rule, path, fld)
    probed = [o.expect(replace(VIRTIO, cpumap_dev_bound_rc=rc), P_U4, "cpumap", "hash")
              for rc in (-22, 0)]
    assert all(e.probed for e in probed)
    assert not o.expect(VIRTIO, P_U4, "cpumap", "hash").probed  # not probed: skip
    assert not o.expect(VIRTIO, P_U4, "xdp", "hash").probed


def test_igc_clobbered_stamp_follows_the_predicted_queue() -> None:
    """Timer 0 = xh_meta (rx_queue, ifindex): the queue the RSS table picks per packet;
    without a table any of igc's queues, as a window that can never be a pass."""
    for p in make_plan(16, MAC):
        q, _ = o.nic_queue(IGC_SOTS, p)
        exp = o.expect(IGC_SOTS, p, "pass", "timestamp")
        assert q is not None and exp.value == 3 * 10**9 + q - 1485
        assert "data_meta overwrote" in exp.reason and "SO_TIMESTAMPING" in exp.reason
    w = o.expect(replace(IGC_SOTS, reta=None), P_T4, "pass", "timestamp")
    assert (w.lo, w.hi, w.bug) == (3 * 10**9 - 1485, 3 * 10**9 + 3 - 1485, "igc-rx-ts-headroom")
    # the NIC's ifindex unknown: the exact stamp, which a clobbered one fails
    assert o.expect(replace(IGC_SOTS, ifindex=None), P_T4, "pass", "timestamp").rule == "igc-ts"


def test_store_absent_reason_names_missing_kfuncs() -> None:
    only_hash = replace(IGC, kfuncs=frozenset({"bpf_xdp_store_rx_hash"}))
    exp = o.expect(only_hash, P_T4, "cpumap-store-skb", "hash")
    assert exp.kind == "skip"
    assert "bpf_xdp_store_rx_vlan, bpf_xdp_store_rx_ts absent" in exp.reason
    assert "never merged" in exp.reason


def test_store_hash_differs_from_nic_hash() -> None:
    """The stored hash is over the inner flow, not the NIC's Toeplitz hash."""
    for p in (P_U4, P_T4, P_U6, P_T6):
        assert store_hash(p) not in (0, h4(p), h2(p))
    assert store_hash(P_T4) != store_hash(P_U4)


def test_known_bug_expectations_carry_the_right_value() -> None:
    """Each known-bug rule names its bug and what a fixed kernel gives (exact, where the
    suite knows it), and is not a documented loss."""
    clock = o.DeterministicClock(10**18, 1000, first_id=P_T4.id)
    igc = replace(IGC_SOTS, clock=clock)
    for path, bug in (("pass", "igc-rx-ts-headroom"), ("xdp-late", "igc-rx-ts-headroom"),
                      ("tpacket", "igc-tpacket-netdev-data")):
        exp = o.expect(igc, P_T4, path, "timestamp")
        assert exp.bug == bug and not exp.loss, (path, exp)
        assert exp.right is not None and exp.right.value == 10**18 - 1485
    tp = o.expect(igc, P_T4, "tpacket", "timestamp")
    assert tp.lo is not None and tp.hi == -1 and tp.lo <= -(2**47)  # a kernel address
    late = o.expect(VIRTIO_LATE, P_T4, "xdp-late", "hash")
    assert late.bug == "virtio-net-rx-hash-headroom" and (late.lo, late.hi) == (0, 0xFF)
    assert late.right is not None and late.right.value == h4(P_T4)
    lost = o.expect(VIRTIO, P_T4, "pass", "hash")
    assert lost.kind == "nodata" and lost.bug == "virtio-net-xdp-pass-hash"
    assert lost.right is not None and lost.right.value == h4(P_T4)
    # nothing to lose (the NIC hashed nothing): no bug shown, a plain expectation
    assert not o.expect(VIRTIO, P_2Q, "pass", "hash").bug
    # the bug's value equals the right one (report 3 = UDPv4 on a UDPv4 packet): no bug
    same = o.expect(VIRTIO_LATE, P_U4, "xdp-late", "hash_type")
    assert (same.kind, same.value, same.bug) == ("value", 0x29, "")


def test_every_known_bug_has_its_section_in_the_docs() -> None:
    """docs/kernel-bugs.md has a section per bug a rule can name, and each known-bug
    rule's source points at it."""
    from pathlib import Path
    doc = (Path(__file__).parents[2] / "docs" / "kernel-bugs.md").read_text()
    heads = {ln[3:].strip() for ln in doc.splitlines() if ln.startswith("## ")}
    clock = o.DeterministicClock(10**18, 1000, first_id=P_T4.id)
    cases = [(replace(IGC_SOTS, clock=clock), P_T4, "pass", "timestamp"),
             (IGC_SOTS, P_T4, "xdp-late", "timestamp"), (IGC_SOTS, P_T4, "tpacket", "timestamp"),
             (VIRTIO, P_T4, "pass", "hash"), (VIRTIO_LATE, P_T4, "xdp-late", "hash")]
    rules = {r.name: r for r in o.RULES}
    for facts, p, path, fld in cases:
        exp = o.expect(facts, p, path, fld)
        assert exp.bug in heads, exp.bug
        assert f"#{exp.bug}" in rules[exp.rule].source, exp.rule


def test_hash_fields_from_rxfh_lines() -> None:
    """``xh-tools rxfh`` lines: RXH_* bits by the names parse_rx_flow_hash gives; flows
    the driver refused (-errno) or hashes on nothing are left out."""
    text = "tcp4 0 0xf0\nudp4 0 0x30\ntcp6 -95\nudp6 0 0x0\nip4 0 0xfe\nbad line\nx 0 zz\n"
    got = o.parse_rxfh(text)
    assert got == {"tcp4": o.FOUR_TUPLE, "udp4": o.TWO_TUPLE,
                   "ip4": o.FOUR_TUPLE | {"l2da", "vlan", "l3_proto"}}
    assert got["tcp4"] == o.parse_rx_flow_hash(
        "IP SA\nIP DA\nL4 bytes 0 & 1 [TCP/UDP src port]\nL4 bytes 2 & 3 [TCP/UDP dst port]\n")
