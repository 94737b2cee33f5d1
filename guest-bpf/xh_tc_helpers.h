// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Layouts of the TC helper chain (xh_tc_helpers.bpf.c) shared with the runner
 * (xh_tch.c).  The chain sits on the NIC's TC ingress (tcx) after an XDP
 * program that wrote struct xh_meta: xh_tch_apply calls one skb helper per
 * packet (XH_TCH_* = packet id % XH_TCH_NR), xh_tch_read, next in the chain,
 * reads the metadata through data_meta and bpf_dynptr_from_skb_meta().
 */
#ifndef XH_TC_HELPERS_H
#define XH_TC_HELPERS_H

#include "xdp_hints_common.h"

/* Record point of xh_tch_read (beyond the main object's enum xh_point). */
#define XH_PT_TCH		7

/* The helper (sequence) xh_tch_apply runs on a packet: id % XH_TCH_NR. */
enum xh_tch_helper {
	XH_TCH_NONE = 0,		/* control: no helper */
	XH_TCH_VLAN_PUSH,		/* two pushes: the second puts the first tag into the frame */
	XH_TCH_VLAN_POP,		/* two pushes, then a pop that moves the in-frame tag out */
	XH_TCH_ADJ_MAC_GROW,		/* bpf_skb_adjust_room(+8, BPF_ADJ_ROOM_MAC) */
	XH_TCH_ADJ_MAC_SHRINK,		/* bpf_skb_adjust_room(-8, BPF_ADJ_ROOM_MAC) */
	XH_TCH_ADJ_NET_GROW,		/* bpf_skb_adjust_room(+8, BPF_ADJ_ROOM_NET) */
	XH_TCH_ADJ_NET_SHRINK,		/* bpf_skb_adjust_room(-8, BPF_ADJ_ROOM_NET) */
	XH_TCH_CHANGE_PROTO,		/* IPv4 -> IPv6 (+20 bytes) or IPv6 -> IPv4 (-20) */
	XH_TCH_CHANGE_HEAD,		/* bpf_skb_change_head(+14) */
	XH_TCH_CHANGE_TAIL,		/* bpf_skb_change_tail(to 1400 bytes): head reallocated */
	XH_TCH_PULL_DATA,		/* bpf_skb_pull_data(skb->len) */
	XH_TCH_NR,
};

/* skb->cb[] words xh_tch_apply leaves for xh_tch_read (qdisc_skb_cb data). */
#define XH_TCH_CB_MARK		0x48435458U	/* "XTCH": this is a test frame */

/* xh_tch_read's ring buffer record: the common record, then the helper's result. */
struct xh_tch_rec {
	struct xh_rec r;		/* point XH_PT_TCH; pkt.id/pkt_flags from the metadata
					 * xh_tch_apply read before the helper */
	__u32 helper;			/* enum xh_tch_helper */
	__s32 helper_rc;		/* the (last) helper's return code */
	__s32 meta_len_before;		/* data - data_meta before the helper */
	__u32 pad;
};

#endif
