# SPDX-License-Identifier: GPL-2.0-or-later
"""The store kfuncs of the XDP_REDIRECT RX hints series, and the values our program stores.

The series "xdp: Allow BPF to set RX hints for XDP_REDIRECTed packets" (bpf-next
V1/V2, 2025, J. D. Brouer / L. Bianconi; cover letter spinics.net/lists/bpf/msg148247)
adds ``bpf_xdp_store_rx_hash(ctx, hash, rss_type)``, ``bpf_xdp_store_rx_vlan(ctx,
vlan_proto, vlan_tci)`` and ``bpf_xdp_store_rx_ts(ctx, ts)``: an XDP program writes the
values into the xdp_frame, and ``__xdp_build_skb_from_frame`` (veth and cpumap after
XDP_REDIRECT) sets ``skb->hash``, the VLAN hwaccel tag and ``skb_hwtstamps()`` from
them.  It was never merged: no released kernel has these kfuncs.

In ``redirect-store`` mode the NIC's XDP program stores, per packet, :func:`store_hash`
(FNV-1a over the inner 5-tuple; not the NIC's Toeplitz hash), :data:`STORE_VLAN` and
:func:`store_ts`, then redirects.  That mode (runner ``--store``) is not written yet:
on a kernel with the kfuncs the store rows fail with "runner failed" until it is.
"""

from __future__ import annotations

from ipaddress import ip_address

from harness.oracle.uapi import KFUNC_STORE_RX_HASH, KFUNC_STORE_RX_TS, KFUNC_STORE_RX_VLAN
from harness.traffic.packets import SentPacket

STORE_KFUNCS: tuple[str, ...] = (KFUNC_STORE_RX_HASH, KFUNC_STORE_RX_VLAN, KFUNC_STORE_RX_TS)
#: the series, cited by every rule about the store paths
SERIES = ("XDP_REDIRECT RX hints series (bpf-next 2025, 'xdp: Allow BPF to set RX hints "
          "for XDP_REDIRECTed packets', spinics.net/lists/bpf/msg148247), never merged")
#: field -> the store kfunc that sets it
KFUNC_OF_STORE_FIELD = {"hash": KFUNC_STORE_RX_HASH, "vlan": KFUNC_STORE_RX_VLAN,
                        "timestamp": KFUNC_STORE_RX_TS}
#: the tag the program stores: 802.1Q, PCP 5, VID 0x123 (not a VID the plan sends)
STORE_VLAN = (0x8100, (5 << 13) | 0x123)
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
    """The hash the program stores: FNV-1a over saddr, daddr (network order), sport,
    dport (network order) and the L4 protocol of the innermost IP header; 0 is
    stored as 1 (skb->hash 0 means none)."""
    proto = 6 if pkt.l4 == "tcp" else 17
    data = (ip_address(pkt.src_ip).packed + ip_address(pkt.dst_ip).packed
            + pkt.sport.to_bytes(2, "big") + pkt.dport.to_bytes(2, "big") + bytes([proto]))
    return fnv1a32(data) or 1


def store_ts(pkt: SentPacket) -> int:
    """The stamp the program stores for ``pkt``."""
    return STORE_TS_BASE + pkt.id


def missing_store_kfuncs(kfuncs: frozenset[str] | None) -> list[str]:
    """The store kfuncs not in the kernel's BTF (all of them when not checked)."""
    return [k for k in STORE_KFUNCS if kfuncs is None or k not in kfuncs]


def absent_reason(missing: list[str]) -> str:
    """Why the store rows are skipped."""
    return (f"{', '.join(missing)} absent in this kernel's BTF: the {SERIES}")
