// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stacked devices and tunnels (runner: run --upper-obj xh_stacked.bpf.o --upper IF...):
 * the NIC's XDP program writes struct xh_meta and passes the frame (with
 * XH_CFG_ENCAP it finds the packet id in a GRE (TEB) or VXLAN frame's inner
 * frame); xh_stk_read on the tcx ingress of each upper device (a VLAN
 * sub-interface, a gretap or a VXLAN device) records what the upper skb shows.
 */
#ifndef XH_STACKED_H
#define XH_STACKED_H

#include "xdp_hints_common.h"

/* Record point of xh_stk_read.  Beyond XH_PT_MAX on purpose: it keeps no stats
 * counters, so other additions to enum xh_point (and XH_PT_MAX) cannot collide. */
#define XH_PT_STACKED		12

/* Bit of xh_cfg.flags: xh_parse also looks inside GRE (TEB) and VXLAN (UDP 4789)
 * frames for the packet id (high bit: others add the low ones). */
#define XH_CFG_ENCAP		(1U << 8)

#define XH_VXLAN_PORT		4789
#define XH_ETH_P_TEB		0x6558	/* Transparent Ethernet Bridging (gretap) */

/* Bytes xh_encap_inner() looks at: untagged Ethernet, IPv4 without options, then
 * the GRE header (4) or the UDP (8) and VXLAN (8) headers. */
#define XH_ENCAP_PEEK		50

/*
 * Offset of the inner Ethernet frame of a GRE (TEB, no flags) or VXLAN (UDP port
 * XH_VXLAN_PORT, flag I set) frame, from its first XH_ENCAP_PEEK bytes; 0 for
 * any other frame.
 */
static inline __u32 xh_encap_inner(const __u8 *b)
{
	if (b[12] != 0x08 || b[13] != 0x00 || b[14] != 0x45)
		return 0;
	if ((b[20] & 0x3f) || b[21])	/* MF or a fragment offset */
		return 0;
	if (b[23] == 47)		/* GRE: flags/version 0, protocol TEB */
		return !b[34] && !b[35] && b[36] == (XH_ETH_P_TEB >> 8) &&
		       b[37] == (XH_ETH_P_TEB & 0xff) ? 38 : 0;
	if (b[23] == 17 && b[36] == (XH_VXLAN_PORT >> 8) && b[37] == (XH_VXLAN_PORT & 0xff))
		return (b[42] & 0x08) ? 50 : 0;
	return 0;
}

/* xh_stk_read's ring buffer record: the common record, then the skb's own hash. */
struct xh_stk_rec {
	struct xh_rec r;		/* point XH_PT_STACKED; pkt parsed from the upper
					 * skb (the inner frame), skb view as at tc */
	__u32 hash_recalc;		/* bpf_get_hash_recalc(): the hash the stack uses
					 * (software flow hash when skb->hash was 0) */
	__u32 pad;
};

#endif
