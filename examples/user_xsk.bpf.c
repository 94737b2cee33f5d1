/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A user's AF_XDP consumer layout: the XDP program puts struct xsk_meta (hash,
 * hash type, timestamp, packet id) in front of the frame and redirects it into
 * the AF_XDP socket of its rx queue (map "xsks" from xdp_hints_bpf.h, shared
 * with the harness's runner, which owns the sockets).  The consumer finds the
 * struct right before the frame in the UMEM; test_user_xsk.py decodes it and
 * checks it.  The array "redirected" counts the frames handed to a socket
 * (read back as a map).
 */
#include "common.h"

struct xsk_meta {
	__u64 ts;
	__u32 hash;
	__u32 hash_type;
	__s32 hash_rc;
	__s32 ts_rc;
	__u32 id;
	__u32 magic;		/* XSK_META_MAGIC */
};

#define XSK_META_MAGIC 0x58534b31	/* "1KSX" */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redirected SEC(".maps");

SEC("xdp")
int user_xsk_xdp(struct xdp_md *ctx)
{
	struct xsk_meta m = { .magic = XSK_META_MAGIC };
	enum xdp_rss_hash_type type = 0;
	struct xh_pkt p = {};
	int act;

	m.ts_rc = bpf_xdp_metadata_rx_timestamp(ctx, &m.ts);
	m.hash_rc = bpf_xdp_metadata_rx_hash(ctx, &m.hash, &type);
	m.hash_type = type;
	if (!parse_test_frame(ctx, &p))
		return XDP_PASS;
	m.id = p.id;
	if (put_meta(ctx, &m, sizeof(m)))
		return XDP_PASS;
	act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT) {
		__u32 key = 0;
		__u64 *n = bpf_map_lookup_elem(&redirected, &key);

		if (n)
			__sync_fetch_and_add(n, 1);
	}
	return act;
}

char _license[] SEC("license") = "GPL";
