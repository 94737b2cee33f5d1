// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BPF side of the xdp-hints guest runner.  One object, several programs:
 *
 *   xh_xdp_dev     device-bound XDP program on the NIC under test: calls the
 *                  RX metadata kfuncs, records them, writes struct xh_meta into
 *                  data_meta (unless cfg.flags has XH_CFG_NO_META), with
 *                  XH_CFG_STORE stores hints of its own (xh_store.h) and acts by
 *                  cfg.mode (pass / veth / cpumap / xsk).  With XH_CFG_LATE_HINTS
 *                  it calls the kfuncs once more after writing data_meta and
 *                  records that too (point XH_PT_XDP_LATE), as a program that
 *                  writes its metadata first would see them.
 *   xh_xdp_veth    device-bound XDP program on the veth peer (frames arrive by
 *                  XDP_REDIRECT): calls the kfuncs again, reads data_meta.
 *   xh_xdp_cpumap  program in the cpumap entry (BPF_XDP_CPUMAP): reads data_meta.
 *   xh_tc          TC ingress (tcx or clsact): skb view + data_meta (direct and
 *                  through bpf_dynptr_from_skb_meta where the kernel has it).
 *
 * Every observation of a test frame is one struct xh_rec in the ring buffer
 * "events".  kfuncs are weak externs; the runner tells the programs which ones
 * the kernel has (cfg.kfuncs, from the kernel BTF) so calls to absent ones sit
 * in branches the verifier prunes as dead (libbpf turns an unresolved weak
 * kfunc call into a poisoned call that is only an error when reachable), and
 * one object loads everywhere.  This is the bpf_ksym_exists() idea without its
 * ld_imm64-of-a-kfunc, which needs kernel 6.4+ and a newer libbpf than
 * bookworm's 1.1; the mask comes from the same source of truth (kernel BTF).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp_hints_common.h"
#include "xh_meta_sweep.h"
#include "xh_meta_tlv.h"
#include "xh_stacked.h"
#include "xh_store.h"
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
#ifndef ETH_P_8021AD
#define ETH_P_8021AD	0x88A8
#endif
#define XH_IPPROTO_TCP	6
#define XH_IPPROTO_UDP	17

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XH_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 point, __u32 counter)
{
	__u32 key = point * XH_ST_NR + counter;
	__u64 *v = bpf_map_lookup_elem(&stats, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/*
 * Frame parser over a load-bytes helper, so the same code works on an
 * xdp_md (bpf_xdp_load_bytes) and an __sk_buff (bpf_skb_load_bytes), linear
 * or not.  Returns 1 for a test frame (magic found), 0 for any other frame.
 */
static __always_inline long xh_load(void *ctx, int is_skb, __u32 off, void *buf, __u32 len)
{
	if (is_skb)
		return bpf_skb_load_bytes(ctx, off, buf, len);
	return bpf_xdp_load_bytes(ctx, off, buf, len);
}

static __always_inline int xh_parse_at(void *ctx, int is_skb, __u32 base, struct xh_pkt *p)
{
	__u8 eth[14];
	__u8 tag[4];
	__u8 l3[40];
	__u8 l4[20];
	__u8 payload[16];
	__u32 off = base + 14, l4off, ploff;
	__u16 proto;
	__u64 magic;
	__u32 v;
	int i;

	if (xh_load(ctx, is_skb, base, eth, sizeof(eth)))
		return 0;
	proto = ((__u16)eth[12] << 8) | eth[13];

#pragma clang loop unroll(full)
	for (i = 0; i < 2; i++) {
		__u16 tci;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (xh_load(ctx, is_skb, off, tag, sizeof(tag)))
			return 0;
		tci = ((__u16)tag[0] << 8) | tag[1];
		if (i == 0) {
			p->vlan0_proto = proto;
			p->vlan0_tci = tci;
		} else {
			p->vlan1_proto = proto;
			p->vlan1_tci = tci;
		}
		p->vlan_count = i + 1;
		proto = ((__u16)tag[2] << 8) | tag[3];
		off += 4;
	}
	p->eth_proto = proto;

	if (proto == ETH_P_IP) {
		__u32 ihl;

		if (xh_load(ctx, is_skb, off, l3, 20))
			return 0;
		if ((l3[0] >> 4) != 4)
			return 0;
		ihl = (l3[0] & 0x0f) * 4;
		if (ihl < 20)
			return 0;
		/* fragments other than the first carry no L4 header */
		if ((l3[6] & 0x1f) || l3[7])
			return 0;
		p->l4_proto = l3[9];
		l4off = off + ihl;
	} else if (proto == ETH_P_IPV6) {
		if (xh_load(ctx, is_skb, off, l3, 40))
			return 0;
		if ((l3[0] >> 4) != 6)
			return 0;
		p->l4_proto = l3[6];
		l4off = off + 40;
	} else {
		return 0;
	}

	if (p->l4_proto == XH_IPPROTO_UDP) {
		ploff = l4off + 8;
	} else if (p->l4_proto == XH_IPPROTO_TCP) {
		__u32 doff;

		if (xh_load(ctx, is_skb, l4off, l4, 20))
			return 0;
		doff = (l4[12] >> 4) * 4;
		if (doff < 20)
			return 0;
		ploff = l4off + doff;
	} else {
		return 0;
	}

	/* keep the offset provably small for the verifier */
	if (ploff > 512)
		return 0;
	if (xh_load(ctx, is_skb, ploff, payload, sizeof(payload)))
		return 0;
	__builtin_memcpy(&magic, payload, 8);
	if (magic != XH_PKT_MAGIC_U64)
		return 0;
	v = payload[8] | (payload[9] << 8) | (payload[10] << 16) | ((__u32)payload[11] << 24);
	p->id = v;
	v = payload[12] | (payload[13] << 8) | (payload[14] << 16) | ((__u32)payload[15] << 24);
	p->pkt_flags = v;
	return 1;
}

/* A test frame at offset 0, or (XH_CFG_ENCAP, xh_stacked.h) inside a GRE (TEB) or
 * VXLAN frame: the id and the inner frame's fields. */
static __always_inline int xh_parse(void *ctx, int is_skb, struct xh_pkt *p)
{
	__u8 outer[XH_ENCAP_PEEK];
	__u32 inner, len = p->pkt_len;

	if (xh_parse_at(ctx, is_skb, 0, p))
		return 1;
	if (!(cfg.flags & XH_CFG_ENCAP) || xh_load(ctx, is_skb, 0, outer, sizeof(outer)))
		return 0;
	inner = xh_encap_inner(outer);
	if (!inner)
		return 0;
	__builtin_memset(p, 0, sizeof(*p));
	p->pkt_len = len;
	return xh_parse_at(ctx, is_skb, inner, p);
}

/* The RX metadata kfuncs, called before anything touches data_meta. */
struct xh_hints {
	__u32 called;
	__s32 ts_rc, hash_rc, vlan_rc;
	__u64 ts;
	__u32 hash;
	enum xdp_rss_hash_type hash_type;
	__be16 vlan_proto;
	__u16 vlan_tci;
};

static __always_inline void xh_read_hints(struct xdp_md *ctx, struct xh_hints *h)
{
	h->ts_rc = h->hash_rc = h->vlan_rc = XH_RC_NOT_CALLED;
	if (cfg.kfuncs & XH_KF_RX_TS) {
		h->called |= XH_KF_RX_TS;
		h->ts_rc = bpf_xdp_metadata_rx_timestamp(ctx, &h->ts);
	}
	if (cfg.kfuncs & XH_KF_RX_HASH) {
		h->called |= XH_KF_RX_HASH;
		h->hash_rc = bpf_xdp_metadata_rx_hash(ctx, &h->hash, &h->hash_type);
#ifdef XH_FAULT_HASH_PLUS_ONE
		/* test-only build (harness negative test): report hash + 1 */
		if (h->hash_rc == 0)
			h->hash += 1;
#endif
	}
	if (cfg.kfuncs & XH_KF_RX_VLAN) {
		h->called |= XH_KF_RX_VLAN;
		h->vlan_rc = bpf_xdp_metadata_rx_vlan_tag(ctx, &h->vlan_proto, &h->vlan_tci);
	}
}

static __always_inline void xh_fill_hints(struct xh_rec *r, const struct xh_hints *h)
{
	r->kfuncs_called = h->called;
	r->ts_rc = h->ts_rc;
	r->hash_rc = h->hash_rc;
	r->vlan_rc = h->vlan_rc;
	r->rx_ts = h->ts_rc == 0 ? h->ts : 0;
	r->rx_hash = h->hash_rc == 0 ? h->hash : 0;
	r->rx_hash_type = h->hash_rc == 0 ? (__u32)h->hash_type : 0;
	r->vlan_proto = h->vlan_rc == 0 ? bpf_ntohs(h->vlan_proto) : 0;
	r->vlan_tci = h->vlan_rc == 0 ? h->vlan_tci : 0;
}

/* --- metadata size sweep (XH_CFG_META_SWEEP, xh_meta_sweep.h) ------------------- */

/* Writes packet id's blob into data_meta: bpf_xdp_adjust_meta() result. */
static __always_inline int xh_sweep_write(struct xdp_md *ctx, __u32 id)
{
	__u32 *w;
	void *data;
	int rc, k;

	rc = bpf_xdp_adjust_meta(ctx, -(int)xh_sweep_size(id));
	if (rc)
		return rc;
	w = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
#pragma clang loop unroll(full)
	for (k = 0; k < XH_SWEEP_MAX_WORDS; k++) {
		if ((void *)(w + k + 1) > data)
			break;
		w[k] = xh_sweep_word(id, k);
	}
	return 0;
}

/* 1 if exactly packet id's blob lies between meta and data. */
static __always_inline int xh_sweep_check(void *meta, void *data, __u32 id)
{
	__u32 *w = meta;
	int k;

	if ((long)data - (long)meta != xh_sweep_size(id))
		return 0;
#pragma clang loop unroll(full)
	for (k = 0; k < XH_SWEEP_MAX_WORDS; k++) {
		if ((void *)(w + k + 1) > data)
			break;
		if (w[k] != xh_sweep_word(id, k))
			return 0;
	}
	return 1;
}

/* A verified blob reads as a found struct naming the packet (records.py meta_ok). */
static __always_inline void xh_sweep_mark(struct xh_meta *m, __u32 *found, const struct xh_pkt *p,
					  int ok)
{
	*found = ok;
	if (!ok)
		return;
	m->magic = XH_META_MAGIC;
	m->version = XH_META_VERSION;
	m->size = sizeof(struct xh_meta);
	m->id = p->id;
	m->pkt_flags = p->pkt_flags;
}

/* --- TLV metadata format (XH_CFG_META_TLV, xh_meta_tlv.h) ------------------------ */

/* room to build in: the entries before the pop need more than the area */
#define XH_TLV_BUILD	48

/* Push one entry on top of the entries (toward the start of the buffer). */
static __always_inline void xh_tlv_push(__u8 *b, __u32 *top, __u8 type, __u8 len, __u64 val)
{
	__u32 t = *top - 2 - len;
	int i;

	b[t] = type;
	b[t + 1] = len;
#pragma clang loop unroll(full)
	for (i = 0; i < 8; i++)
		if (i < len)
			b[t + 2 + i] = (__u8)(val >> (8 * i));
	*top = t;
}

/* Pop the top entry: its bytes become padding again. */
static __always_inline void xh_tlv_pop(__u8 *b, __u32 *top)
{
	__u32 t = *top, n = 2 + b[t + 1];
	int k;

	if (n > XH_TLV_BUILD - t)
		n = XH_TLV_BUILD - t;
#pragma clang loop unroll(full)
	for (k = 0; k < XH_TLV_BUILD; k++)
		if (k >= t && k < t + n)
			b[k] = 0;
	*top = t + n;
}

/* The entries of packet id (see xh_meta_tlv.h), written into data_meta. */
static __always_inline int xh_tlv_write(struct xdp_md *ctx, __u32 id)
{
	__u8 b[XH_TLV_BUILD] = {};	/* the area is its last XH_TLV_AREA bytes */
	__u32 top = XH_TLV_BUILD;
	void *meta, *data;
	int rc;

	xh_tlv_push(b, &top, XH_TLV_ID, 4, id);
	xh_tlv_push(b, &top, XH_TLV_FLAG, 0, 0);
	xh_tlv_push(b, &top, XH_TLV_HALF, 2, id & 0xffff);
	xh_tlv_push(b, &top, XH_TLV_HALF, 2, (id >> 16) ^ 0x5a5a);
	xh_tlv_push(b, &top, XH_TLV_MIX, 8, (__u64)id * 0x9E3779B97F4A7C15ULL);
	xh_tlv_push(b, &top, XH_TLV_FLAG, 0, 0);
	xh_tlv_push(b, &top, XH_TLV_POPPED, 4, 0xdeadbeef);
	xh_tlv_pop(b, &top);
	b[XH_TLV_BUILD - XH_TLV_AREA] = (__u8)(1 + XH_TLV_BUILD - top);

	rc = bpf_xdp_adjust_meta(ctx, -XH_TLV_AREA);
	if (rc)
		return rc;
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if (meta + XH_TLV_AREA > data)
		return -1;
	__builtin_memcpy(meta, b + XH_TLV_BUILD - XH_TLV_AREA, XH_TLV_AREA);
	return 0;
}

/* Copy a struct xh_meta found at data_meta (XDP side) into the record. */
static __always_inline void xh_read_xdp_meta(struct xdp_md *ctx, struct xh_rec *r)
{
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;

	r->meta_len = (long)data - (long)meta;
	if (cfg.flags & XH_CFG_META_SWEEP) {
		xh_sweep_mark(&r->meta, &r->meta_found, &r->pkt,
			      xh_sweep_check(meta, data, r->pkt.id));
		return;
	}
	if (cfg.flags & XH_CFG_META_TLV) {
		/* raw: the runner prints it, the harness decodes it */
		if (meta + XH_TLV_AREA <= data)
			__builtin_memcpy(&r->meta, meta, XH_TLV_AREA);
		return;
	}
	if (meta + sizeof(struct xh_meta) > data)
		return;
	__builtin_memcpy(&r->meta, meta, sizeof(struct xh_meta));
	r->meta_found = xh_meta_ok(&r->meta);
}

static __always_inline struct xh_rec *xh_rec_new(__u32 point, __u32 ifindex, __u32 queue,
						  const struct xh_pkt *p)
{
	struct xh_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		stat_inc(point, XH_ST_RB_FULL);
		return NULL;
	}
	__builtin_memset(r, 0, sizeof(*r));
	xh_rec_head(r, point, ifindex, queue);
	r->pkt = *p;
	return r;
}

/* --- redirect-store mode (XH_CFG_STORE, xh_store.h) ------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XH_STORE_RC_ENTRIES);
	__type(key, __u32);
	__type(value, __s64);
} store_rc SEC(".maps");

#ifdef XH_WITH_STORE
/* The store kfuncs of the XDP_REDIRECT RX hints series (V2, net/core/xdp.c there):
 * weak like the others; called only where cfg.kfuncs says the kernel's BTF has them
 * (the runner refuses --store otherwise).  Only xdp_hints_store.bpf.o (built with
 * XH_WITH_STORE, loaded for --store) has them: libbpf looks for an unresolved weak
 * kfunc in every module's BTF too, ~0.1 s of guest CPU per load under TCG. */
extern int bpf_xdp_store_rx_hash(struct xdp_md *ctx, __u32 hash,
				 enum xdp_rss_hash_type rss_type) __ksym __weak;
extern int bpf_xdp_store_rx_vlan(struct xdp_md *ctx, __be16 vlan_proto,
				 __u16 vlan_tci) __ksym __weak;
extern int bpf_xdp_store_rx_ts(struct xdp_md *ctx, __u64 ts) __ksym __weak;

static __always_inline void xh_store_count(__u32 kfunc, int rc)
{
	__u32 key = kfunc * XH_STORE_RC_NR + (rc ? XH_STORE_RC_ERR : XH_STORE_RC_OK);
	__s64 *v = bpf_map_lookup_elem(&store_rc, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	if (!rc)
		return;
	key = kfunc * XH_STORE_RC_NR + XH_STORE_RC_LAST_ERR;
	v = bpf_map_lookup_elem(&store_rc, &key);
	if (v)
		*v = rc;
}

#define XH_FLOW_KEY_MAX	37	/* IPv6: 16 + 16 + 2 + 2 + 1 */

/* n: a constant at each call, so the loop unrolls */
static __always_inline __u32 xh_fnv1a(const __u8 *b, const int n)
{
	__u32 h = XH_FNV_OFFSET;
	int i;

#pragma clang loop unroll(full)
	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * XH_FNV_PRIME;
	return h;
}

/* The flow hash and RSS type the program stores (xh_store.h); 0 if the frame has no
 * IPv4/IPv6 TCP/UDP header after its VLAN tags. */
static __always_inline __u32 xh_store_flow(struct xdp_md *ctx, const struct xh_pkt *p,
					   __u32 *rss_type)
{
	__u8 key[XH_FLOW_KEY_MAX], l3[40] = {}, ports[4];
	__u32 off = 14 + 4 * (__u32)p->vlan_count, l4off, h;
	int v6 = p->eth_proto == ETH_P_IPV6;

	if (p->vlan_count > 2)
		return 0;
	if (p->l4_proto != XH_IPPROTO_TCP && p->l4_proto != XH_IPPROTO_UDP)
		return 0;
	if (p->eth_proto != ETH_P_IP && !v6)
		return 0;
	if (xh_load(ctx, 0, off, l3, v6 ? 40 : 20))
		return 0;
	l4off = off + (v6 ? 40 : (l3[0] & 0x0f) * 4);
	if (l4off > 512 || xh_load(ctx, 0, l4off, ports, sizeof(ports)))	/* sport, dport */
		return 0;
	*rss_type = (v6 ? XH_RSS_L3_IPV6 : XH_RSS_L3_IPV4) | XH_RSS_L4 |
		    (p->l4_proto == XH_IPPROTO_TCP ? XH_RSS_L4_TCP : XH_RSS_L4_UDP);
	if (v6) {
		__builtin_memcpy(key, l3 + 8, 32);	/* saddr, daddr */
		__builtin_memcpy(key + 32, ports, 4);
		key[36] = p->l4_proto;
		h = xh_fnv1a(key, 37);
	} else {
		__builtin_memcpy(key, l3 + 12, 8);
		__builtin_memcpy(key + 8, ports, 4);
		key[12] = p->l4_proto;
		h = xh_fnv1a(key, 13);
	}
	return h ? h : 1;
}
#endif /* XH_WITH_STORE */

/* Store the hints of xh_store.h for this frame (kernel with the store kfuncs). */
static __always_inline void xh_store_hints(struct xdp_md *ctx, const struct xh_pkt *p)
{
#ifdef XH_WITH_STORE
	__u32 hash, rss_type = 0;
	int rc;

	if (cfg.kfuncs & XH_KF_STORE_RX_HASH) {
		hash = xh_store_flow(ctx, p, &rss_type);
		if (hash) {
			rc = bpf_xdp_store_rx_hash(ctx, hash, (enum xdp_rss_hash_type)rss_type);
			xh_store_count(0, rc);
		}
	}
	if (cfg.kfuncs & XH_KF_STORE_RX_VLAN) {
		rc = bpf_xdp_store_rx_vlan(ctx, bpf_htons(XH_STORE_VLAN_PROTO), XH_STORE_VLAN_TCI);
		xh_store_count(1, rc);
	}
	if (cfg.kfuncs & XH_KF_STORE_RX_TS) {
		rc = bpf_xdp_store_rx_ts(ctx, XH_STORE_TS_BASE + p->id);
		xh_store_count(2, rc);
	}
#endif
}

SEC("xdp")
int xh_xdp_dev(struct xdp_md *ctx)
{
	struct xh_hints h = {};
	struct xh_pkt p = {};
	struct xh_meta *m;
	struct xh_rec *r;
	void *data, *meta;
	__s32 meta_len, adj_rc;
	int act = XDP_PASS;

	/* 1. kfuncs first: igc reads the RX timestamp from the bytes in front of
	 *    the packet, which writing data_meta would overwrite. */
	xh_read_hints(ctx, &h);
	stat_inc(XH_PT_XDP, XH_ST_SEEN);

	/* 2. is this a test frame? */
	p.pkt_len = ctx->data_end - ctx->data;
	if (!xh_parse(ctx, 0, &p)) {
		stat_inc(XH_PT_XDP, XH_ST_NO_MAGIC);
		return XDP_PASS;
	}
	stat_inc(XH_PT_XDP, XH_ST_MATCHED);

	/* 3. write our metadata in front of the packet (not with XH_CFG_NO_META:
	 *    then the headroom stays as the driver left it, e.g. igc's RX
	 *    timestamp header, which the skb's hardware stamp is read from) */
	meta_len = (long)ctx->data - (long)ctx->data_meta;
	if (cfg.flags & XH_CFG_NO_META)
		adj_rc = XH_RC_NOT_CALLED;
	else if (cfg.flags & XH_CFG_META_SWEEP)
		adj_rc = xh_sweep_write(ctx, p.id);
	else if (cfg.flags & XH_CFG_META_TLV)
		adj_rc = xh_tlv_write(ctx, p.id);
	else
		adj_rc = bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct xh_meta));
	if (adj_rc == 0 && !(cfg.flags & (XH_CFG_META_SWEEP | XH_CFG_META_TLV))) {
		data = (void *)(long)ctx->data;
		meta = (void *)(long)ctx->data_meta;
		if (meta + sizeof(struct xh_meta) > data) {
			adj_rc = -1;
		} else {
			m = meta;
			m->magic = XH_META_MAGIC;
			m->version = XH_META_VERSION;
			m->size = sizeof(struct xh_meta);
			m->id = p.id;
			m->pkt_flags = p.pkt_flags;
			m->rx_ts = h.ts_rc == 0 ? h.ts : 0;
			m->rx_hash = h.hash_rc == 0 ? h.hash : 0;
			m->rx_hash_type = h.hash_rc == 0 ? (__u32)h.hash_type : 0;
			m->ts_rc = h.ts_rc;
			m->hash_rc = h.hash_rc;
			m->vlan_rc = h.vlan_rc;
			m->vlan_proto = h.vlan_rc == 0 ? bpf_ntohs(h.vlan_proto) : 0;
			m->vlan_tci = h.vlan_rc == 0 ? h.vlan_tci : 0;
			m->rx_queue = ctx->rx_queue_index;
			m->ifindex = ctx->ingress_ifindex;
		}
	}
	if (adj_rc && adj_rc != XH_RC_NOT_CALLED)
		stat_inc(XH_PT_XDP, XH_ST_META_FAIL);

	/* 3b. redirect-store mode: hints of our own for the skb built after the redirect */
	if (cfg.flags & XH_CFG_STORE)
		xh_store_hints(ctx, &p);

	/* 4. act */
	switch (cfg.mode) {
	case XH_MODE_VETH:
		act = bpf_redirect_map(&tx_port, 0, 0);
		break;
	case XH_MODE_CPUMAP:
		act = bpf_redirect_map(&cpu_map, cfg.cpumap_key, 0);
		break;
	case XH_MODE_XSK:
		/* no socket on this queue: let the frame go up the stack */
		act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
		break;
	default:
		act = XDP_PASS;
	}
	if (cfg.mode != XH_MODE_PASS && act != XDP_REDIRECT)
		stat_inc(XH_PT_XDP, XH_ST_REDIRECT_FAIL);

	/* 5. the kfuncs again, now that data_meta is written (the order of the
	 *    kernel's xdp_hw_metadata): what a driver reading the headroom gives */
	if (cfg.flags & XH_CFG_LATE_HINTS) {
		struct xh_hints late = {};

		xh_read_hints(ctx, &late);
		r = xh_rec_new(XH_PT_XDP_LATE, ctx->ingress_ifindex, ctx->rx_queue_index, &p);
		if (r) {
			xh_fill_hints(r, &late);
			r->meta_len = meta_len;
			r->adjust_meta_rc = adj_rc;
			r->xdp_action = act;
			bpf_ringbuf_submit(r, 0);
		}
	}

	r = xh_rec_new(XH_PT_XDP, ctx->ingress_ifindex, ctx->rx_queue_index, &p);
	if (r) {
		xh_fill_hints(r, &h);
		r->meta_len = meta_len;
		r->adjust_meta_rc = adj_rc;
		r->xdp_action = act;
		bpf_ringbuf_submit(r, 0);
	}
	return act;
}

SEC("xdp")
int xh_xdp_veth(struct xdp_md *ctx)
{
	struct xh_hints h = {};
	struct xh_pkt p = {};
	struct xh_rec *r;

	xh_read_hints(ctx, &h);
	stat_inc(XH_PT_VETH_XDP, XH_ST_SEEN);
	p.pkt_len = ctx->data_end - ctx->data;
	if (!xh_parse(ctx, 0, &p)) {
		stat_inc(XH_PT_VETH_XDP, XH_ST_NO_MAGIC);
		return XDP_PASS;
	}
	stat_inc(XH_PT_VETH_XDP, XH_ST_MATCHED);
	r = xh_rec_new(XH_PT_VETH_XDP, ctx->ingress_ifindex, ctx->rx_queue_index, &p);
	if (r) {
		xh_fill_hints(r, &h);
		xh_read_xdp_meta(ctx, r);
		r->xdp_action = XDP_PASS;
		bpf_ringbuf_submit(r, 0);
	}
	return XDP_PASS;
}

SEC("xdp/cpumap")
int xh_xdp_cpumap(struct xdp_md *ctx)
{
	struct xh_pkt p = {};
	struct xh_rec *r;

	stat_inc(XH_PT_CPUMAP, XH_ST_SEEN);
	p.pkt_len = ctx->data_end - ctx->data;
	if (!xh_parse(ctx, 0, &p)) {
		stat_inc(XH_PT_CPUMAP, XH_ST_NO_MAGIC);
		return XDP_PASS;
	}
	stat_inc(XH_PT_CPUMAP, XH_ST_MATCHED);
	r = xh_rec_new(XH_PT_CPUMAP, ctx->ingress_ifindex, ctx->rx_queue_index, &p);
	if (r) {
		xh_read_xdp_meta(ctx, r);
		r->xdp_action = XDP_PASS;
		bpf_ringbuf_submit(r, 0);
	}
	return XDP_PASS;
}

/* The sweep's blob at TC: through data_meta, then word by word through the dynptr
 * (which must end right after the blob). */
static __always_inline void xh_tc_sweep(struct __sk_buff *skb, struct xh_rec *r, void *meta,
					void *data)
{
	__u32 size = xh_sweep_size(r->pkt.id), w;
	struct bpf_dynptr dp;
	int k, ok = 1;
	long rc = 0;

	xh_sweep_mark(&r->meta, &r->meta_found, &r->pkt, xh_sweep_check(meta, data, r->pkt.id));
	if (!(cfg.kfuncs & XH_KF_DYNPTR_SKB_META))
		return;
	r->dynptr_rc = bpf_dynptr_from_skb_meta(skb, 0, &dp);
	if (r->dynptr_rc)
		return;
#pragma clang loop unroll(full)
	for (k = 0; k < XH_SWEEP_MAX_WORDS; k++) {
		if (k * 4 >= size)
			break;
		rc = bpf_dynptr_read(&w, 4, &dp, k * 4, 0);
		if (rc || w != xh_sweep_word(r->pkt.id, k)) {
			ok = 0;
			break;
		}
	}
	/* nothing may follow the blob */
	if (ok && bpf_dynptr_read(&w, 4, &dp, size, 0) == 0)
		ok = 0;
	r->dynptr_read_rc = rc;
	xh_sweep_mark(&r->dynptr_meta, &r->dynptr_meta_found, &r->pkt, ok);
}

/* The TLV area at TC, raw: through data_meta and through the dynptr. */
static __always_inline void xh_tc_tlv(struct __sk_buff *skb, struct xh_rec *r, void *meta,
				      void *data)
{
	struct bpf_dynptr dp;

	if (meta + XH_TLV_AREA <= data)
		__builtin_memcpy(&r->meta, meta, XH_TLV_AREA);
	if (!(cfg.kfuncs & XH_KF_DYNPTR_SKB_META))
		return;
	r->dynptr_rc = bpf_dynptr_from_skb_meta(skb, 0, &dp);
	if (r->dynptr_rc == 0)
		r->dynptr_read_rc = bpf_dynptr_read(&r->dynptr_meta, XH_TLV_AREA, &dp, 0, 0);
}

SEC("tc")
int xh_tc(struct __sk_buff *skb)
{
	struct xh_pkt p = {};
	struct xh_rec *r;
	void *data, *meta;

	stat_inc(XH_PT_TC, XH_ST_SEEN);
	p.pkt_len = skb->len;
	if (!xh_parse(skb, 1, &p)) {
		stat_inc(XH_PT_TC, XH_ST_NO_MAGIC);
		return TC_ACT_UNSPEC;
	}
	stat_inc(XH_PT_TC, XH_ST_MATCHED);
	r = xh_rec_new(XH_PT_TC, skb->ifindex, skb->queue_mapping, &p);
	if (!r)
		return TC_ACT_UNSPEC;

	xh_rec_skb(skb, r);
	data = (void *)(long)skb->data;
	meta = (void *)(long)skb->data_meta;
	if (cfg.flags & XH_CFG_META_SWEEP) {
		xh_tc_sweep(skb, r, meta, data);
		bpf_ringbuf_submit(r, 0);
		return TC_ACT_UNSPEC;
	}
	if (cfg.flags & XH_CFG_META_TLV) {
		xh_tc_tlv(skb, r, meta, data);
		bpf_ringbuf_submit(r, 0);
		return TC_ACT_UNSPEC;
	}
	xh_rec_skb_meta(skb, r);
	bpf_ringbuf_submit(r, 0);
	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
