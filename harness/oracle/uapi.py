# SPDX-License-Identifier: GPL-2.0-or-later
"""Kernel constants the expectations are written in (no harness imports).

Errnos the RX metadata kfuncs return, ``enum xdp_rss_hash_type``
(include/net/xdp.h), the kfunc names in BTF, the netlink
``xdp-rx-metadata-features`` names, and ethtool's RSS hash-input fields and
flow types.
"""

from __future__ import annotations

import errno

EOPNOTSUPP = -errno.EOPNOTSUPP  # -95: driver has no callback
ENODATA = -errno.ENODATA  # -61: callback, but nothing for this frame

# enum xdp_rss_hash_type (include/net/xdp.h, since 6.3)
XDP_RSS_L3_IPV4 = 1 << 0
XDP_RSS_L3_IPV6 = 1 << 1
XDP_RSS_L3_DYNHDR = 1 << 2
XDP_RSS_L4 = 1 << 3
XDP_RSS_L4_TCP = 1 << 4
XDP_RSS_L4_UDP = 1 << 5
XDP_RSS_TYPE_NONE = 0
XDP_RSS_TYPE_L3_IPV4 = XDP_RSS_L3_IPV4  # 0x01
XDP_RSS_TYPE_L3_IPV6 = XDP_RSS_L3_IPV6  # 0x02
XDP_RSS_TYPE_L4_ANY = XDP_RSS_L4  # 0x08
XDP_RSS_TYPE_L4_IPV4_TCP = XDP_RSS_L3_IPV4 | XDP_RSS_L4 | XDP_RSS_L4_TCP  # 0x19
XDP_RSS_TYPE_L4_IPV4_UDP = XDP_RSS_L3_IPV4 | XDP_RSS_L4 | XDP_RSS_L4_UDP  # 0x29
XDP_RSS_TYPE_L4_IPV6_TCP = XDP_RSS_L3_IPV6 | XDP_RSS_L4 | XDP_RSS_L4_TCP  # 0x1a
XDP_RSS_TYPE_L4_IPV6_UDP = XDP_RSS_L3_IPV6 | XDP_RSS_L4 | XDP_RSS_L4_UDP  # 0x2a

RSS_TYPE_NAMES = {
    XDP_RSS_TYPE_NONE: "NONE",
    XDP_RSS_TYPE_L3_IPV4: "L3_IPV4",
    XDP_RSS_TYPE_L3_IPV6: "L3_IPV6",
    XDP_RSS_TYPE_L4_ANY: "L4_ANY",
    XDP_RSS_TYPE_L4_IPV4_TCP: "L4_IPV4_TCP",
    XDP_RSS_TYPE_L4_IPV4_UDP: "L4_IPV4_UDP",
    XDP_RSS_TYPE_L4_IPV6_TCP: "L4_IPV6_TCP",
    XDP_RSS_TYPE_L4_IPV6_UDP: "L4_IPV6_UDP",
}

# kfuncs (kernel BTF names)
KFUNC_RX_TIMESTAMP = "bpf_xdp_metadata_rx_timestamp"  # 6.3
KFUNC_RX_HASH = "bpf_xdp_metadata_rx_hash"  # 6.3
KFUNC_RX_VLAN_TAG = "bpf_xdp_metadata_rx_vlan_tag"  # 6.8
KFUNC_DYNPTR_SKB_META = "bpf_dynptr_from_skb_meta"  # 6.18
# proposed 2026 (veth + ice, v4 July), not merged: detected from BTF, not called
KFUNC_RX_CHECKSUM = "bpf_xdp_metadata_rx_checksum"
# the never-merged XDP_REDIRECT RX hints series (harness.oracle.store)
KFUNC_STORE_RX_HASH = "bpf_xdp_store_rx_hash"
KFUNC_STORE_RX_VLAN = "bpf_xdp_store_rx_vlan"
KFUNC_STORE_RX_TS = "bpf_xdp_store_rx_ts"
KFUNCS = (KFUNC_RX_TIMESTAMP, KFUNC_RX_HASH, KFUNC_RX_VLAN_TAG, KFUNC_DYNPTR_SKB_META,
          KFUNC_RX_CHECKSUM, KFUNC_STORE_RX_HASH, KFUNC_STORE_RX_VLAN, KFUNC_STORE_RX_TS)

# netdev netlink xdp-rx-metadata-features (one per xmo_rx_* callback)
FEATURE_TIMESTAMP = "timestamp"
FEATURE_HASH = "hash"
FEATURE_VLAN_TAG = "vlan-tag"
FEATURE_CHECKSUM = "checksum"  # the proposed series' xmo_rx_checksum (assumed name)

# skb->ip_summed values (include/linux/skbuff.h), as the checksum kfunc reports them
CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_COMPLETE = 0, 1, 2
CSUM_NAMES = {CHECKSUM_NONE: "NONE", CHECKSUM_UNNECESSARY: "UNNECESSARY",
              CHECKSUM_COMPLETE: "COMPLETE"}


def normalize_feature(name: str) -> str:
    """``vlan_tag`` / ``VLAN-TAG`` -> ``vlan-tag``."""
    return name.strip().lower().replace("_", "-")


# RSS hash input fields, named after ethtool's RXH_* bits
IP_SRC, IP_DST, L4_0_1, L4_2_3 = "ip_src", "ip_dst", "l4_0_1", "l4_2_3"
FOUR_TUPLE = frozenset({IP_SRC, IP_DST, L4_0_1, L4_2_3})
TWO_TUPLE = frozenset({IP_SRC, IP_DST})
#: ethtool rx-flow-hash flow types the suite sends
FLOW_TYPES = ("tcp4", "udp4", "tcp6", "udp6")
