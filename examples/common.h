/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the examples share: the harness's contract header (guest-bpf/xdp_hints_bpf.h:
 * the RX metadata kfuncs, cfg, the maps the runner shares), put_meta(), and a
 * parser for the harness's test frames (direct packet access):
 * Ethernet, up to two VLAN tags, IPv4/IPv6, UDP/TCP, then the payload header
 * "XDPHINT1" + packet id + flags (guest-bpf/xdp_hints_common.h).
 */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp_hints_common.h"
#include "xdp_hints_bpf.h"

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* 1 and *p filled for a frame carrying the test payload, else 0 */
static __always_inline int parse_test_frame(struct xdp_md *ctx, struct xh_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_tag *tag;
	void *l4, *payload;
	__u16 proto;
	__u8 l4_proto;
	__u64 magic;

	if ((void *)(eth + 1) > end)
		return 0;
	p->pkt_len = end - data;
	proto = bpf_ntohs(eth->h_proto);
	tag = (void *)(eth + 1);
#pragma clang loop unroll(full)
	for (int i = 0; i < 2; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(tag + 1) > end)
			return 0;
		if (i == 0) {
			p->vlan0_proto = proto;
			p->vlan0_tci = bpf_ntohs(tag->tci);
		} else {
			p->vlan1_proto = proto;
			p->vlan1_tci = bpf_ntohs(tag->tci);
		}
		p->vlan_count = i + 1;
		proto = bpf_ntohs(tag->proto);
		tag++;
	}
	p->eth_proto = proto;
	if (proto == ETH_P_IP) {
		struct iphdr *ip = (void *)tag;

		if ((void *)(ip + 1) > end || ip->ihl < 5 || (ip->frag_off & bpf_htons(0x1fff)))
			return 0;
		l4_proto = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (void *)tag;

		if ((void *)(ip6 + 1) > end)
			return 0;
		l4_proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return 0;
	}
	if (l4_proto == IPPROTO_UDP) {
		payload = l4 + 8;
	} else if (l4_proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end)
			return 0;
		payload = l4 + th->doff * 4;
	} else {
		return 0;
	}
	if (payload + 16 > end)
		return 0;
	__builtin_memcpy(&magic, payload, 8);
	if (magic != XH_PKT_MAGIC_U64)
		return 0;
	p->l4_proto = l4_proto;
	__builtin_memcpy(&p->id, payload + 8, 4);
	__builtin_memcpy(&p->pkt_flags, payload + 12, 4);
	return 1;
}

/* @m (@size bytes) into data_meta, in front of the packet; 0 or -1 */
static __always_inline int put_meta(struct xdp_md *ctx, const void *m, const __u32 size)
{
	void *meta;

	if (bpf_xdp_adjust_meta(ctx, -(int)size))
		return -1;
	meta = (void *)(long)ctx->data_meta;
	if (meta + size > (void *)(long)ctx->data)
		return -1;
	__builtin_memcpy(meta, m, size);
	return 0;
}

#endif
