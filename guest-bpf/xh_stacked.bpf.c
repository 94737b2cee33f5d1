// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TC ingress reader for stacked devices and tunnels (runner: run --upper-obj
 * xh_stacked.bpf.o --upper IF ...; layouts in xh_stacked.h).
 *
 *   xh_stk_read  on the tcx ingress of an upper device (VLAN sub-interface,
 *                gretap, VXLAN): finds the packet id in the frame the upper
 *                device sees (the inner Ethernet frame, untagged), records the
 *                metadata through data_meta and bpf_dynptr_from_skb_meta() (as
 *                the TC helper chain does), the skb's hash and VLAN fields and
 *                bpf_get_hash_recalc(), into the main object's ring buffer
 *                "events" (the runner shares its fd); drops the frame.
 *
 * The id comes from parsing, not from the metadata: whether the metadata
 * survived the decap is what is tested.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xh_stacked.h"
/* cfg, the ring buffer "events" (replaced by the main object's, bpf_map__reuse_fd,
 * before load) and the record fillers */
#define XH_BPF_RECORD_ONLY
#include "xdp_hints_bpf.h"

#ifndef TCX_NEXT
#define TCX_NEXT	-1
#endif

/* An untagged Ethernet / IPv4|IPv6 / UDP|TCP test frame: 1 and the id, else 0. */
static __always_inline int stk_parse(struct __sk_buff *skb, struct xh_pkt *p)
{
	__u8 l3[40], l4[20], pl[16];
	__u32 l4off, ploff;
	__u16 proto;
	__u64 magic;

	if (bpf_skb_load_bytes(skb, 12, &proto, 2))
		return 0;
	proto = bpf_ntohs(proto);
	p->eth_proto = proto;
	if (proto == 0x0800) {
		if (bpf_skb_load_bytes(skb, 14, l3, 20) || (l3[0] >> 4) != 4 || (l3[0] & 0xf) < 5)
			return 0;
		p->l4_proto = l3[9];
		l4off = 14 + (l3[0] & 0xf) * 4;
	} else if (proto == 0x86DD) {
		if (bpf_skb_load_bytes(skb, 14, l3, 40) || (l3[0] >> 4) != 6)
			return 0;
		p->l4_proto = l3[6];
		l4off = 14 + 40;
	} else {
		return 0;
	}
	if (p->l4_proto == 17) {
		ploff = l4off + 8;
	} else if (p->l4_proto == 6) {
		if (bpf_skb_load_bytes(skb, l4off, l4, 20) || (l4[12] >> 4) < 5)
			return 0;
		ploff = l4off + (l4[12] >> 4) * 4;
	} else {
		return 0;
	}
	if (ploff > 256 || bpf_skb_load_bytes(skb, ploff, pl, sizeof(pl)))
		return 0;
	__builtin_memcpy(&magic, pl, 8);
	if (magic != XH_PKT_MAGIC_U64)
		return 0;
	p->id = pl[8] | (pl[9] << 8) | (pl[10] << 16) | ((__u32)pl[11] << 24);
	p->pkt_flags = pl[12] | (pl[13] << 8) | (pl[14] << 16) | ((__u32)pl[15] << 24);
	return 1;
}

SEC("tc")
int xh_stk_read(struct __sk_buff *skb)
{
	struct xh_stk_rec *t;
	struct xh_pkt p = {};
	struct xh_rec *r;

	if (!stk_parse(skb, &p))
		return TCX_NEXT;
	t = bpf_ringbuf_reserve(&events, sizeof(*t), 0);
	if (!t)
		return TC_ACT_SHOT;
	__builtin_memset(t, 0, sizeof(*t));
	r = &t->r;
	xh_rec_head(r, XH_PT_STACKED, skb->ifindex, skb->queue_mapping);
	p.pkt_len = skb->len;
	r->pkt = p;
	/* the skb as the upper device got it: read before bpf_get_hash_recalc sets one */
	xh_rec_skb(skb, r);
#ifdef XH_FAULT_STK_META_BYTE
	/* test-only build (harness negative test): flip one byte of the metadata (the
	 * low byte of rx_hash, offset 24) before reading it */
	{
		void *data = (void *)(long)skb->data;
		void *meta = (void *)(long)skb->data_meta;

		if (meta + sizeof(struct xh_meta) <= data)
			((__u8 *)meta)[24] ^= 0xff;
	}
#endif
	xh_rec_skb_meta(skb, r);
	t->hash_recalc = bpf_get_hash_recalc(skb);
	bpf_ringbuf_submit(t, 0);
	return TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
