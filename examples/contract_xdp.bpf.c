/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A user's XDP program that follows the harness's record contract, so
 * `xdp-hints run --program examples/contract_xdp.bpf.c` judges it on every path
 * exactly as it judges the harness's own program:
 *
 *   - it calls the RX metadata kfuncs the kernel has (cfg.kfuncs), first;
 *   - it submits a struct xh_rec per test frame to the ring buffer "events";
 *   - it writes a struct xh_meta at data_meta (not under XH_CFG_NO_META);
 *   - it acts on cfg.mode: XDP_PASS, or redirect into tx_port / cpu_map / xsks.
 *
 * The layouts come from guest-bpf/xdp_hints_common.h, the kfuncs, cfg and maps
 * from guest-bpf/xdp_hints_bpf.h (the harness builds this file with -I
 * guest-bpf); the frame parser from common.h (direct packet access, unlike the
 * harness's own program).
 */
#include "common.h"

SEC("xdp")
int contract_xdp(struct xdp_md *ctx)
{
	struct xh_meta m = { .magic = XH_META_MAGIC, .version = XH_META_VERSION,
			     .size = sizeof(struct xh_meta) };
	enum xdp_rss_hash_type type = 0;
	__be16 vproto = 0;
	struct xh_pkt p = {};
	struct xh_rec *r;
	__s32 meta_len, adj = XH_RC_NOT_CALLED;
	int act = XDP_PASS;

	/* the kfuncs before anything touches the headroom (igc keeps its stamp there) */
	m.ts_rc = m.hash_rc = m.vlan_rc = XH_RC_NOT_CALLED;
	if (cfg.kfuncs & XH_KF_RX_TS)
		m.ts_rc = bpf_xdp_metadata_rx_timestamp(ctx, &m.rx_ts);
	if (cfg.kfuncs & XH_KF_RX_HASH)
		m.hash_rc = bpf_xdp_metadata_rx_hash(ctx, &m.rx_hash, &type);
	if (cfg.kfuncs & XH_KF_RX_VLAN)
		m.vlan_rc = bpf_xdp_metadata_rx_vlan_tag(ctx, &vproto, &m.vlan_tci);
	m.rx_ts = m.ts_rc == 0 ? m.rx_ts : 0;
	m.rx_hash = m.hash_rc == 0 ? m.rx_hash : 0;
	m.rx_hash_type = m.hash_rc == 0 ? (__u32)type : 0;
	m.vlan_proto = m.vlan_rc == 0 ? bpf_ntohs(vproto) : 0;
	m.vlan_tci = m.vlan_rc == 0 ? m.vlan_tci : 0;
	m.rx_queue = ctx->rx_queue_index;
	m.ifindex = ctx->ingress_ifindex;

	if (!parse_test_frame(ctx, &p))
		return XDP_PASS;
	m.id = p.id;
	m.pkt_flags = p.pkt_flags;

	meta_len = ctx->data - ctx->data_meta;
	if (!(cfg.flags & XH_CFG_NO_META))
		adj = put_meta(ctx, &m, sizeof(m));

	if (cfg.mode == XH_MODE_VETH)
		act = bpf_redirect_map(&tx_port, 0, 0);
	else if (cfg.mode == XH_MODE_CPUMAP)
		act = bpf_redirect_map(&cpu_map, cfg.cpumap_key, 0);
	else if (cfg.mode == XH_MODE_XSK)
		act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		return act;
	__builtin_memset(r, 0, sizeof(*r));
	r->point = XH_PT_XDP;
	r->ifindex = ctx->ingress_ifindex;
	r->rx_queue = ctx->rx_queue_index;
	r->cpu = bpf_get_smp_processor_id();
	r->ktime = bpf_ktime_get_ns();
	r->pkt = p;
	r->kfuncs_called = cfg.kfuncs & (XH_KF_RX_TS | XH_KF_RX_HASH | XH_KF_RX_VLAN);
	r->ts_rc = m.ts_rc;
	r->hash_rc = m.hash_rc;
	r->vlan_rc = m.vlan_rc;
	r->rx_ts = m.rx_ts;
	r->rx_hash = m.rx_hash;
	r->rx_hash_type = m.rx_hash_type;
	r->vlan_proto = m.vlan_proto;
	r->vlan_tci = m.vlan_tci;
	r->meta_len = meta_len;
	r->adjust_meta_rc = adj;
	r->xdp_action = act;
	r->dynptr_rc = r->dynptr_read_rc = XH_RC_NOT_CALLED;
	bpf_ringbuf_submit(r, 0);
	return act;
}

char _license[] SEC("license") = "GPL";
