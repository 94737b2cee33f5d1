/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record contract's BPF side, for the runner's object and for a user's
 * program that stands in for ours (xdp-hints run --program, the pytest
 * plugin): the RX metadata kfuncs (weak: the runner says in cfg.kfuncs which
 * ones the kernel has), the read-only config, the ring buffer of struct xh_rec
 * and the maps the runner wires per mode.  A user object that declares these
 * (by including this file) shares them with the runner (guest-bpf/xh_user.c).
 * Include after <linux/bpf.h>, <bpf/bpf_helpers.h> and xdp_hints_common.h.
 * The TC helper chain's object (xh_tc_helpers.bpf.c) includes it with
 * XH_BPF_RECORD_ONLY: the record and its fillers, not the per-mode maps.
 */
#ifndef XDP_HINTS_BPF_H
#define XDP_HINTS_BPF_H

/* include/net/xdp.h (kernel-internal, 6.3+): declared here for the kfunc prototype. */
enum xdp_rss_hash_type {
	XDP_RSS_TYPE_NONE = 0,
};

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym __weak;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym __weak;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

extern int bpf_dynptr_from_skb_meta(struct __sk_buff *skb, __u64 flags,
				    struct bpf_dynptr *ptr__uninit) __ksym __weak;

const volatile struct xh_cfg cfg SEC(".rodata.cfg") = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);	/* ~960 records of 264 bytes, drained live (full: XH_ST_RB_FULL) */
} events SEC(".maps");

static __always_inline int xh_meta_ok(const struct xh_meta *m)
{
	return m->magic == XH_META_MAGIC && m->version == XH_META_VERSION &&
	       m->size == sizeof(struct xh_meta);
}

/* The head of a zeroed record: where and when; every kfunc/dynptr rc "not called". */
static __always_inline void xh_rec_head(struct xh_rec *r, __u32 point, __u32 ifindex,
					__u32 queue)
{
	r->point = point;
	r->ifindex = ifindex;
	r->rx_queue = queue;
	r->cpu = bpf_get_smp_processor_id();
	r->ktime = bpf_ktime_get_ns();
	r->ts_rc = r->hash_rc = r->vlan_rc = XH_RC_NOT_CALLED;
	r->dynptr_rc = r->dynptr_read_rc = XH_RC_NOT_CALLED;
}

/* The skb's view at TC: hash, VLAN, stamps, checksum state, and the data_meta length. */
static __always_inline void xh_rec_skb(struct __sk_buff *skb, struct xh_rec *r)
{
	r->skb_hash = skb->hash;
	r->skb_vlan_present = skb->vlan_present;
	r->skb_vlan_tci = skb->vlan_tci;
	r->skb_vlan_proto = bpf_ntohs((__u16)skb->vlan_proto);
	r->skb_tstamp = skb->tstamp;
	r->skb_hwtstamp = skb->hwtstamp;
	r->skb_csum_level = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	r->meta_len = (long)skb->data - (long)skb->data_meta;
}

/* A struct xh_meta at TC: through data_meta, and through bpf_dynptr_from_skb_meta()
 * where the kernel has it (cfg.kfuncs). */
static __always_inline void xh_rec_skb_meta(struct __sk_buff *skb, struct xh_rec *r)
{
	void *data = (void *)(long)skb->data;
	void *meta = (void *)(long)skb->data_meta;

	if (meta + sizeof(struct xh_meta) <= data) {
		__builtin_memcpy(&r->meta, meta, sizeof(struct xh_meta));
		r->meta_found = xh_meta_ok(&r->meta);
	}
	if (cfg.kfuncs & XH_KF_DYNPTR_SKB_META) {
		struct bpf_dynptr dp;

		r->dynptr_rc = bpf_dynptr_from_skb_meta(skb, 0, &dp);
		if (r->dynptr_rc == 0) {
			r->dynptr_read_rc = bpf_dynptr_read(&r->dynptr_meta, sizeof(struct xh_meta),
							    &dp, 0, 0);
			if (r->dynptr_read_rc == 0)
				r->dynptr_meta_found = xh_meta_ok(&r->dynptr_meta);
		}
	}
}

#ifndef XH_BPF_RECORD_ONLY
/* XH_MODE_VETH: slot 0 holds the ifindex of the veth end we transmit on. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

/* XH_MODE_CPUMAP: max_entries is set to the number of possible CPUs by the runner. */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpu_map SEC(".maps");

/* XH_MODE_XSK: one AF_XDP socket per rx queue. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");
#endif /* XH_BPF_RECORD_ONLY */

#endif
