/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A user's own data_meta layout: the XDP program reads the RX hash and
 * timestamp (kfuncs) and stores them in struct user_meta in front of the
 * packet; the TC ingress program reads that struct back from the skb and
 * submits it to the ring buffer "out".  test_user_meta.py checks every value
 * against the harness's oracle.
 *
 * USER_META_SWAPPED_HASH (wrong_meta.bpf.c): a bug on purpose, the hash stored
 * in network byte order.
 */
#include <linux/pkt_cls.h>

#include "common.h"

struct user_meta {
	__u32 id;		/* the test packet's id (from its payload) */
	__u32 hash;
	__u32 hash_type;
	__s32 hash_rc;
	__u64 ts;
	__s32 ts_rc;
	__u32 magic;		/* USER_META_MAGIC: written by user_meta_xdp */
};

#define USER_META_MAGIC 0x55534d31	/* "1MSU" */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} out SEC(".maps");

SEC("xdp")
int user_meta_xdp(struct xdp_md *ctx)
{
	struct user_meta m = { .magic = USER_META_MAGIC };
	enum xdp_rss_hash_type type = 0;
	struct xh_pkt p = {};

	/* the kfuncs first: igc keeps its timestamp in the headroom we are about to use */
	m.ts_rc = bpf_xdp_metadata_rx_timestamp(ctx, &m.ts);
	m.hash_rc = bpf_xdp_metadata_rx_hash(ctx, &m.hash, &type);
	m.hash_type = type;
#ifdef USER_META_SWAPPED_HASH
	m.hash = bpf_htonl(m.hash);
#endif
	if (!parse_test_frame(ctx, &p))
		return XDP_PASS;
	m.id = p.id;
	if (put_meta(ctx, &m, sizeof(m)))
		return XDP_PASS;
	return XDP_PASS;
}

SEC("tc")
int user_meta_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	struct user_meta *m = (void *)(long)skb->data_meta, copy;

	if ((void *)(m + 1) > data || m->magic != USER_META_MAGIC)
		return TC_ACT_UNSPEC;
	copy = *m;	/* helpers take no packet pointers */
	bpf_ringbuf_output(&out, &copy, sizeof(copy), 0);
	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
