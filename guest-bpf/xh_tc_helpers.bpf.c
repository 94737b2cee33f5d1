// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TC ingress chain that tests whether skb metadata survives the skb helpers
 * (runner: xdp-hints-guest run --tc-chain xh_tc_helpers.bpf.o).
 *
 *   xh_tch_apply  first in the tcx chain: finds the struct xh_meta the NIC's
 *                 XDP program wrote (packet id, flags), calls one helper (or
 *                 helper sequence) chosen by id % XH_TCH_NR, and leaves id,
 *                 helper and rc in skb->cb for the next program.
 *   xh_tch_read   next in the chain: reads the metadata through data_meta and
 *                 through bpf_dynptr_from_skb_meta() (where the kernel has it)
 *                 and records both, with the skb view, into the main object's
 *                 ring buffer "events" (the runner shares its fd); drops the
 *                 frame, which the helper may have mangled.
 *
 * The id comes from the metadata, not from parsing: after adjust_room or
 * change_proto the headers no longer parse.  A frame whose metadata is gone
 * before the helper is not a test frame here (its id is then missing).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xh_tc_helpers.h"
#define XH_BPF_RECORD_ONLY
#include "xdp_hints_bpf.h"

#ifndef ETH_P_IP
#define ETH_P_IP	0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6	0x86DD
#endif
#ifndef ETH_P_8021Q
#define ETH_P_8021Q	0x8100
#endif
#ifndef TCX_NEXT
#define TCX_NEXT	-1
#endif

/* cfg and the ring buffer "events" come from xdp_hints_bpf.h; the runner replaces
 * "events" by the main object's ring buffer (bpf_map__reuse_fd) before load. */

static __always_inline long vlan_push_two(struct __sk_buff *skb)
{
	long rc = bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 100);

	/* the first tag sits in skb->vlan_tci; the second push moves it into the frame */
	return rc ? rc : bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 200);
}

static __always_inline long apply_helper(struct __sk_buff *skb, __u32 helper)
{
	long rc;

	switch (helper) {
	case XH_TCH_VLAN_PUSH:
		return vlan_push_two(skb);
	case XH_TCH_VLAN_POP:
		rc = vlan_push_two(skb);
		/* clears skb->vlan_tci, then moves the in-frame tag out into it */
		return rc ? rc : bpf_skb_vlan_pop(skb);
	case XH_TCH_ADJ_MAC_GROW:
		return bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_MAC, 0);
	case XH_TCH_ADJ_MAC_SHRINK:
		return bpf_skb_adjust_room(skb, -8, BPF_ADJ_ROOM_MAC, 0);
	case XH_TCH_ADJ_NET_GROW:
		return bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0);
	case XH_TCH_ADJ_NET_SHRINK:
		return bpf_skb_adjust_room(skb, -8, BPF_ADJ_ROOM_NET, 0);
	case XH_TCH_CHANGE_PROTO:
		if (skb->protocol == bpf_htons(ETH_P_IP))
			return bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0);
		return bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0);
	case XH_TCH_CHANGE_HEAD:
		return bpf_skb_change_head(skb, 14, 0);
	case XH_TCH_CHANGE_TAIL:
		return bpf_skb_change_tail(skb, skb->len < 1400 ? 1400 : skb->len, 0);
	case XH_TCH_PULL_DATA:
		return bpf_skb_pull_data(skb, skb->len);
	}
	return 0;
}

SEC("tc")
int xh_tch_apply(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *meta = (void *)(long)skb->data_meta;
	struct xh_meta *m = meta;
	__u32 helper;
	long rc;

	skb->cb[0] = 0;
	if (meta + sizeof(struct xh_meta) > data || !xh_meta_ok(m))
		return TCX_NEXT;
	helper = m->id % XH_TCH_NR;
	skb->cb[0] = XH_TCH_CB_MARK;
	skb->cb[1] = m->id;
	skb->cb[2] = m->pkt_flags;
	skb->cb[4] = (__u32)((long)data - (long)meta);
	rc = apply_helper(skb, helper);
	skb->cb[3] = (__u32)rc;
#ifdef XH_FAULT_TC_META_BYTE
	/* test-only build (harness negative test): flip one byte of the metadata
	 * (the low byte of rx_hash, offset 24) after the helper */
	data = (void *)(long)skb->data;
	meta = (void *)(long)skb->data_meta;
	if (meta + sizeof(struct xh_meta) <= data)
		((__u8 *)meta)[24] ^= 0xff;
#endif
	return TCX_NEXT;
}

SEC("tc")
int xh_tch_read(struct __sk_buff *skb)
{
	struct xh_tch_rec *t;
	struct xh_rec *r;

	if (skb->cb[0] != XH_TCH_CB_MARK)
		return TCX_NEXT;
	t = bpf_ringbuf_reserve(&events, sizeof(*t), 0);
	if (!t)
		return TC_ACT_SHOT;
	__builtin_memset(t, 0, sizeof(*t));
	r = &t->r;
	xh_rec_head(r, XH_PT_TCH, skb->ifindex, skb->queue_mapping);
	r->pkt.id = skb->cb[1];
	r->pkt.pkt_flags = skb->cb[2];
	r->pkt.pkt_len = skb->len;
	r->pkt.eth_proto = bpf_ntohs(skb->protocol);
	t->helper = skb->cb[1] % XH_TCH_NR;
	t->helper_rc = (__s32)skb->cb[3];
	t->meta_len_before = (__s32)skb->cb[4];
	xh_rec_skb(skb, r);
	xh_rec_skb_meta(skb, r);
	bpf_ringbuf_submit(t, 0);
	return TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
