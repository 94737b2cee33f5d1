# SPDX-License-Identifier: GPL-2.0-or-later
"""The store kfuncs of the XDP_REDIRECT RX hints series, and the values our program stores.

The series "xdp: Allow BPF to set RX hints for XDP_REDIRECTed packets" (bpf-next V2,
2 July 2025, J. D. Brouer / L. Bianconi, cover letter
<175146824674.1421237.18351246421763677468.stgit@firesoul>; V1 June 2025; never
merged, no later version) adds, in net/core/xdp.c (patch 3/7):

- ``int bpf_xdp_store_rx_hash(struct xdp_md *ctx, u32 hash, enum xdp_rss_hash_type)``
- ``int bpf_xdp_store_rx_vlan(struct xdp_md *ctx, __be16 vlan_proto, u16 vlan_tci)``
- ``int bpf_xdp_store_rx_ts(struct xdp_md *ctx, u64 ts)``

(0, or -ENOSPC for hash/vlan when the driver left less than XDP_MIN_HEADROOM, 192
bytes, of headroom: patch 1/7).  ``__xdp_build_skb_from_frame`` (veth and cpumap
after XDP_REDIRECT) then sets ``skb->hash`` (L4 hash type for an L4 RSS type),
the VLAN hwaccel tag and ``skb_hwtstamps()->hwtstamp`` from them (4/7), and the
veth driver's RX metadata kfuncs return them to an XDP program on the peer (5/7).
The series' documentation (7/7, Documentation/networking/xdp-rx-metadata.rst):
"the networking stack will use the stored hints to populate the corresponding skb
fields (e.g., skb->hash, skb->vlan_tci, timestamps)" and "the veth driver supports
access to the previous stored metadata ... though the normal reader kfuncs".

In ``redirect-store`` mode (runner ``--store``, guest-bpf/xh_store.h, which these
constants mirror) the NIC's XDP program stores, per packet, :func:`store_hash`
(FNV-1a over the flow; not the NIC's Toeplitz hash) with :func:`store_rss_type`,
:data:`STORE_VLAN` and :func:`store_ts`, then redirects.

Measured once (Dec 2026; the series cannot be committed): V2 does not apply to Debian
sid's 7.2.13 as posted (include/net/xdp.h: 7.2 has XDP_FLAGS_FRAGS_UNREADABLE =
BIT(2) and a frame_sz/flags union in struct xdp_buff); rebased by hand (the new flag
bits moved to BIT(3)..BIT(6), hunks re-anchored, no other change) and built with the
lean config, every store row passed on igc, virtio-net and veth (48/48 packets each),
while on the same kernel the plain veth-skb/cpumap-skb rows still have no hash or
stamp: the skb carries exactly what the program stored, as the series documents.
"""

from __future__ import annotations

from ipaddress import ip_address

from harness.oracle.uapi import (
    KFUNC_STORE_RX_HASH,
    KFUNC_STORE_RX_TS,
    KFUNC_STORE_RX_VLAN,
    XDP_RSS_L3_IPV4,
    XDP_RSS_L3_IPV6,
    XDP_RSS_L4,
    XDP_RSS_L4_TCP,
    XDP_RSS_L4_UDP,
)
from harness.traffic.packets import SentPacket

STORE_KFUNCS: tuple[str, ...] = (KFUNC_STORE_RX_HASH, KFUNC_STORE_RX_VLAN, KFUNC_STORE_RX_TS)
#: the series, cited by every rule about the store paths
SERIES = ("XDP_REDIRECT RX hints series (bpf-next V2, July 2025, 'xdp: Allow BPF to set RX "
          "hints for XDP_REDIRECTed packets', "
          "<175146824674.1421237.18351246421763677468.stgit@firesoul>), never merged")
#: field -> the store kfunc that sets it
KFUNC_OF_STORE_FIELD = {"hash": KFUNC_STORE_RX_HASH, "hash_type": KFUNC_STORE_RX_HASH,
                        "vlan": KFUNC_STORE_RX_VLAN, "timestamp": KFUNC_STORE_RX_TS}
#: the tag the program stores: 802.1ad, PCP 5, DEI 1, VID 0x123 (XH_STORE_VLAN_*; no
#: TPID/VID the plan sends, and a TCI masked to the VID or without PCP/DEI differs)
STORE_VLAN = (0x88A8, (5 << 13) | (1 << 12) | 0x123)
#: stored stamps: this base plus the packet id (ns)
STORE_TS_BASE = 1_700_000_000_000_000_000

_FNV_OFF = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a32(data: bytes) -> int:
    """32-bit FNV-1a."""
    h = _FNV_OFF
    for b in data:
        h = ((h ^ b) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def store_hash(pkt: SentPacket) -> int:
    """The hash the program stores: FNV-1a over saddr, daddr, sport, dport (network
    order) and the L4 protocol of the IP header after the VLAN tags; 0 is stored as
    1 (skb->hash 0 means none)."""
    proto = 6 if pkt.l4 == "tcp" else 17
    data = (ip_address(pkt.src_ip).packed + ip_address(pkt.dst_ip).packed
            + pkt.sport.to_bytes(2, "big") + pkt.dport.to_bytes(2, "big") + bytes([proto]))
    return fnv1a32(data) or 1


def store_rss_type(pkt: SentPacket) -> int:
    """The RSS type the program stores with the hash: L4 over the packet's L3/L4."""
    l3 = XDP_RSS_L3_IPV6 if pkt.l3 == "ipv6" else XDP_RSS_L3_IPV4
    return l3 | XDP_RSS_L4 | (XDP_RSS_L4_TCP if pkt.l4 == "tcp" else XDP_RSS_L4_UDP)


def store_ts(pkt: SentPacket) -> int:
    """The stamp the program stores for ``pkt``."""
    return STORE_TS_BASE + pkt.id


def missing_store_kfuncs(kfuncs: frozenset[str] | None) -> list[str]:
    """The store kfuncs not in the kernel's BTF (all of them when not checked)."""
    return [k for k in STORE_KFUNCS if kfuncs is None or k not in kfuncs]


def absent_reason(missing: list[str]) -> str:
    """Why the store rows are skipped."""
    return (f"{', '.join(missing)} absent in this kernel's BTF: the {SERIES}")
