/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record contract's BPF side, for the runner's object and for a user's
 * program that stands in for ours (xdp-hints run --program, the pytest
 * plugin): the RX metadata kfuncs (weak: the runner says in cfg.kfuncs which
 * ones the kernel has), the read-only config, the ring buffer of struct xh_rec
 * and the maps the runner wires per mode.  A user object that declares these
 * (by including this file) shares them with the runner (guest-bpf/xh_user.c).
 * Include after <linux/bpf.h>, <bpf/bpf_helpers.h> and xdp_hints_common.h.
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

const volatile struct xh_cfg cfg SEC(".rodata.cfg") = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

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

#endif
