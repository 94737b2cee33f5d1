# SPDX-License-Identifier: GPL-2.0-or-later
"""What the known kernel bugs make an observation show (docs/kernel-bugs.md).

Each function takes the right expectation (what a kernel without the bug
gives, from the ordinary rules) and returns the bug's wrong value as a
``known_bug`` expectation carrying it; harness.oracle.rules wires them to
(driver, path, field).  The bytes the bugs read are our XDP program's
``struct xh_meta`` (guest-bpf/xdp_hints_common.h), whose last 8 bytes
(``rx_queue``, ``ifindex``) end right before the packet.
"""

from __future__ import annotations

from harness.oracle.expectation import Expectation, known_bug, nodata, value, window
from harness.oracle.facts import Facts
from harness.oracle.nic_model import QUEUE_MASK, nic_queue
from harness.oracle.uapi import (
    XDP_RSS_L3_DYNHDR,
    XDP_RSS_TYPE_L3_IPV4,
    XDP_RSS_TYPE_L3_IPV6,
    XDP_RSS_TYPE_L4_IPV4_TCP,
    XDP_RSS_TYPE_L4_IPV4_UDP,
    XDP_RSS_TYPE_L4_IPV6_TCP,
    XDP_RSS_TYPE_L4_IPV6_UDP,
    XDP_RSS_TYPE_NONE,
)
from harness.traffic.packets import SentPacket

IGC_HEADROOM = "igc-rx-ts-headroom"
IGC_TPACKET = "igc-tpacket-netdev-data"
VIRTIO_HEADROOM = "virtio-net-rx-hash-headroom"
VIRTIO_PASS_HASH = "virtio-net-xdp-pass-hash"

#: igc's rx_timestamp kfunc called after the program wrote data_meta
IGC_LATE_REASON = (
    "igc_xdp_rx_timestamp reads timer 0 of the RX header through a pointer into the "
    "headroom, which the program's data_meta now covers (every stamp = xh_meta "
    "rx_queue/ifindex read as SYSTIM ns/s minus the RX latency)")
#: virtnet_xdp_rss_type[]: VIRTIO_NET_HASH_REPORT_* (index) -> enum xdp_rss_hash_type
VIRTIO_REPORT_TO_XDP = (
    XDP_RSS_TYPE_NONE, XDP_RSS_TYPE_L3_IPV4, XDP_RSS_TYPE_L4_IPV4_TCP, XDP_RSS_TYPE_L4_IPV4_UDP,
    XDP_RSS_TYPE_L3_IPV6, XDP_RSS_TYPE_L4_IPV6_TCP, XDP_RSS_TYPE_L4_IPV6_UDP,
    XDP_RSS_TYPE_L3_IPV6 | XDP_RSS_L3_DYNHDR, XDP_RSS_TYPE_L4_IPV6_TCP | XDP_RSS_L3_DYNHDR,
    XDP_RSS_TYPE_L4_IPV6_UDP | XDP_RSS_L3_DYNHDR)
VIRTIO_LATE_REASON = (
    "virtnet_xdp_rx_hash reads the 20-byte virtio-net header at data - hdr_len, in the "
    "headroom the XDP program's data_meta now covers: hash_value = xh_meta rx_queue, "
    "hash_report = the low 16 bits of xh_meta ifindex")
#: af_packet's ring reads skb_hwtstamps()->hwtstamp, where igc keeps a pointer
TPACKET_POINTER_REASON = (
    "af_packet's mmap ring (tpacket_get_timestamp) reads skb_hwtstamps()->hwtstamp, the "
    "union member igc overwrote with netdev_data (a pointer into the RX buffer, flagged "
    "SKBTX_HW_TSTAMP_NETDEV, which only the recvmsg path resolves): the ring's stamp, "
    "read back as a signed 64-bit ktime, is a kernel address")
#: x86-64 kernel addresses (upper half, 4- or 5-level paging) as a signed ktime
KERNEL_ADDRESS_KTIME = (-(2**57), -1)
VIRTIO_PASS_REASON = (
    "virtio_net: the skb built after XDP_PASS never gets the virtio-net header in skb->cb "
    "(only the flags are saved before XDP), so virtio_skb_set_hash reads a zeroed header: "
    "skb->hash 0 (the `skb` path, without XDP, carries the hash)")


def queue_word(facts: Facts, pkt: SentPacket, base: int, mask: int, why: str) -> Expectation:
    """``base`` + the rx queue (xh_meta bytes 48..51), the queue as the queue rule
    predicts it; where it cannot be predicted, any queue up to ``mask``."""
    q, how = nic_queue(facts, pkt)
    if q is not None:
        return value(base + q, why)
    return window(base, base + mask, f"{why}; rx queue unknown ({how})")


def igc_headroom_stamp(facts: Facts, pkt: SentPacket, why: str,
                       right: Expectation) -> Expectation:
    """Timer 0 of igc's 16-byte RX header = xh_meta bytes 48..55 (rx_queue ns, ifindex s)
    minus the RX latency."""
    assert facts.ifindex is not None
    base = facts.ifindex * 10**9 - (facts.rx_latency_ns() or 0)
    return known_bug(queue_word(facts, pkt, base, QUEUE_MASK["igc"], why), IGC_HEADROOM, right)


def virtio_headroom_hash(facts: Facts, pkt: SentPacket, fld: str,
                         right: Expectation) -> Expectation:
    """virtio_net's hash kfunc after data_meta was written: hash_value = rx_queue,
    hash_report = the low 16 bits of ifindex, mapped as virtnet_xdp_rss_type[]."""
    assert facts.ifindex is not None
    if right.kind == "skip":
        return right
    if fld == "hash":
        wrong = queue_word(facts, pkt, 0, 0xFF, VIRTIO_LATE_REASON)
    else:
        report = facts.ifindex & 0xFFFF
        wrong = value(VIRTIO_REPORT_TO_XDP[report] if report < len(VIRTIO_REPORT_TO_XDP)
                      else XDP_RSS_TYPE_NONE, VIRTIO_LATE_REASON)
    return known_bug(wrong, VIRTIO_HEADROOM, right)


def igc_tpacket_stamp(right: Expectation) -> Expectation:
    """The ring's stamp is igc's netdev_data pointer: a kernel address as a ktime."""
    return known_bug(window(*KERNEL_ADDRESS_KTIME, TPACKET_POINTER_REASON), IGC_TPACKET, right)


def virtio_pass_hash(right: Expectation) -> Expectation:
    """skb->hash 0 after XDP_PASS where the device reported a hash."""
    if right.kind != "value":  # nothing to lose (the NIC hashed nothing), or not modelled
        return right
    return known_bug(nodata(VIRTIO_PASS_REASON), VIRTIO_PASS_HASH, right)
