// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Layouts shared by the BPF programs (xdp_hints.bpf.c) and the guest runner
 * (xdp_hints_guest.c).  Only fixed-width types; no kernel headers needed.
 *
 * Test packets (made by the host's traffic module): the UDP/TCP payload starts
 * with the 8 ASCII bytes "XDPHINT1", then a little-endian u32 packet id and a
 * little-endian u32 flags word.  Frames without the magic are ignored.
 */
#ifndef XDP_HINTS_COMMON_H
#define XDP_HINTS_COMMON_H

#include <linux/types.h>

#define XH_PKT_MAGIC		"XDPHINT1"
#define XH_PKT_MAGIC_LEN	8
#define XH_PKT_MAGIC_U64	0x31544e4948504458ULL	/* "XDPHINT1" read as LE u64 */

/* The custom metadata the device-bound XDP program writes into data_meta. */
#define XH_META_MAGIC		0x31484d58U	/* bytes "XMH1" */
#define XH_META_VERSION		1

struct xh_meta {
	__u32 magic;		/* XH_META_MAGIC */
	__u16 version;		/* XH_META_VERSION */
	__u16 size;		/* sizeof(struct xh_meta) == 56 */
	__u32 id;		/* packet id from the payload */
	__u32 pkt_flags;	/* flags word from the payload */
	__u64 rx_ts;		/* bpf_xdp_metadata_rx_timestamp value (0 unless ts_rc == 0) */
	__u32 rx_hash;		/* bpf_xdp_metadata_rx_hash value */
	__u32 rx_hash_type;	/* enum xdp_rss_hash_type */
	__s32 ts_rc;		/* kfunc return codes; XH_RC_NOT_CALLED if the kernel */
	__s32 hash_rc;		/*   lacks the kfunc                                    */
	__s32 vlan_rc;
	__u16 vlan_proto;	/* host byte order */
	__u16 vlan_tci;
	__u32 rx_queue;		/* xdp_md->rx_queue_index */
	__u32 ifindex;		/* xdp_md->ingress_ifindex */
};

/* Return-code value meaning "kfunc not present in this kernel, not called". */
#define XH_RC_NOT_CALLED	1

/* Bits of xh_cfg.kfuncs: which kfuncs the running kernel has (from its BTF). */
#define XH_KF_RX_TS		(1U << 0)
#define XH_KF_RX_HASH		(1U << 1)
#define XH_KF_RX_VLAN		(1U << 2)
#define XH_KF_DYNPTR_SKB_META	(1U << 3)
#define XH_KF_RX_CSUM		(1U << 4)	/* detected only (proposed kfunc) */
/* the never-merged XDP_REDIRECT RX hints series (harness/oracle/store.py) */
#define XH_KF_STORE_RX_HASH	(1U << 5)
#define XH_KF_STORE_RX_VLAN	(1U << 6)
#define XH_KF_STORE_RX_TS	(1U << 7)
#define XH_KF_STORE_ALL		(XH_KF_STORE_RX_HASH | XH_KF_STORE_RX_VLAN | XH_KF_STORE_RX_TS)

enum xh_mode {
	XH_MODE_PASS = 0,	/* XDP_PASS: the skb goes up the NIC's stack */
	XH_MODE_VETH = 1,	/* XDP_REDIRECT through a devmap into a veth */
	XH_MODE_CPUMAP = 2,	/* XDP_REDIRECT into a cpumap entry */
	XH_MODE_XSK = 3,	/* XDP_REDIRECT into the XSKMAP slot of the rx queue */
	XH_MODE_SKB = 4,	/* no XDP program on the NIC: the driver's own skb at TC */
};

/* Bits of xh_cfg.flags. */
#define XH_CFG_NO_META		(1U << 0)	/* xh_xdp_dev writes no data_meta (--no-meta) */
#define XH_CFG_LATE_HINTS	(1U << 1)	/* xh_xdp_dev calls the kfuncs again after
						 * writing data_meta (--late-hints) */

/* Read-only configuration, section ".rodata.cfg", set by the runner before load. */
struct xh_cfg {
	__u32 mode;		/* enum xh_mode */
	__u32 kfuncs;		/* XH_KF_* */
	__u32 cpumap_key;	/* cpumap entry (= target CPU) used in XH_MODE_CPUMAP */
	__u32 flags;		/* XH_CFG_* */
};

/* Where an observation was made (BPF side; the runner names them). */
enum xh_point {
	XH_PT_XDP = 1,		/* device-bound XDP program on the NIC */
	XH_PT_TC = 2,		/* TC ingress program (on the NIC or the veth peer) */
	XH_PT_VETH_XDP = 3,	/* device-bound XDP program on the veth peer */
	XH_PT_CPUMAP = 4,	/* XDP program in the cpumap entry */
	XH_PT_XSK = 5,		/* AF_XDP reader (userspace only) */
	XH_PT_XDP_LATE = 6,	/* xh_xdp_dev's kfuncs called after data_meta was written */
};

/* Result of parsing a frame. */
struct xh_pkt {
	__u32 id;
	__u32 pkt_flags;
	__u16 eth_proto;	/* EtherType after VLAN tags, host order */
	__u8 l4_proto;		/* IPPROTO_UDP / IPPROTO_TCP */
	__u8 vlan_count;	/* VLAN tags present in the frame (0..2) */
	__u16 vlan0_proto;	/* outer tag TPID, host order */
	__u16 vlan0_tci;
	__u16 vlan1_proto;	/* inner tag */
	__u16 vlan1_tci;
	__u32 pkt_len;
};

/* Record pushed to the ring buffer "events". */
struct xh_rec {
	__u32 point;		/* enum xh_point */
	__u32 ifindex;		/* device the program ran on */
	__u32 rx_queue;		/* xdp rx_queue_index / skb queue_mapping */
	__u32 cpu;
	__u64 ktime;		/* bpf_ktime_get_ns() */
	struct xh_pkt pkt;

	/* kfunc view (XH_PT_XDP, XH_PT_VETH_XDP) */
	__u32 kfuncs_called;	/* XH_KF_* actually called */
	__s32 ts_rc;
	__s32 hash_rc;
	__s32 vlan_rc;
	__u64 rx_ts;
	__u32 rx_hash;
	__u32 rx_hash_type;
	__u16 vlan_proto;	/* host order */
	__u16 vlan_tci;

	/* data_meta view (every point) */
	__s32 meta_len;		/* data - data_meta on entry */
	__u32 meta_found;	/* a struct xh_meta with the right magic/version was at data_meta */
	struct xh_meta meta;	/* copy of it (when meta_found) */

	/* writer side (XH_PT_XDP) */
	__s32 adjust_meta_rc;	/* bpf_xdp_adjust_meta() result, XH_RC_NOT_CALLED under
				 * XH_CFG_NO_META */
	__s32 xdp_action;	/* verdict returned (XDP_REDIRECT, or the fallback) */

	/* skb view (XH_PT_TC) */
	__u32 skb_hash;
	__u32 skb_vlan_present;
	__u32 skb_vlan_tci;
	__u32 skb_vlan_proto;	/* host order */
	__u64 skb_tstamp;
	__u64 skb_hwtstamp;
	__s32 dynptr_rc;	/* bpf_dynptr_from_skb_meta(), XH_RC_NOT_CALLED if absent */
	__s32 dynptr_read_rc;	/* bpf_dynptr_read() of sizeof(struct xh_meta) */
	__u32 dynptr_meta_found;
	__s32 skb_csum_level;	/* bpf_csum_level(BPF_CSUM_LEVEL_QUERY): >= 0 ip_summed is
				 * CHECKSUM_UNNECESSARY (the csum_level), -EACCES it is not */
	struct xh_meta dynptr_meta;
};

/* Counters in the "stats" array map: index = point * XH_ST_NR + counter. */
enum xh_stat {
	XH_ST_SEEN = 0,		/* frames the program ran on */
	XH_ST_MATCHED,		/* frames carrying the magic */
	XH_ST_NO_MAGIC,		/* frames without it (ignored) */
	XH_ST_RB_FULL,		/* ring buffer reservation failed */
	XH_ST_META_FAIL,	/* bpf_xdp_adjust_meta failed */
	XH_ST_REDIRECT_FAIL,	/* redirect returned something other than XDP_REDIRECT */
	XH_ST_NR,
};
#define XH_PT_MAX	8
#define XH_STATS_ENTRIES	(XH_PT_MAX * XH_ST_NR)

#endif
