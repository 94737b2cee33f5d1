/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * redirect-store mode (run --store, xh_cfg.flags XH_CFG_STORE; modes veth and
 * cpumap): before redirecting, the NIC's XDP program stores RX hints of its own
 * with the store kfuncs of the XDP_REDIRECT RX hints series (bpf-next V2, July
 * 2025, never merged; harness/oracle/store.py mirrors every value here):
 *
 *   bpf_xdp_store_rx_hash  FNV-1a (32 bit) over saddr, daddr, sport, dport (as on
 *                          the wire) and the L4 protocol byte of the IP header
 *                          after the VLAN tags: a hash of the flow that is not the
 *                          NIC's Toeplitz hash; 0 is stored as 1.  RSS type: L4
 *                          over IPv4/IPv6 with TCP/UDP, as the packet is.
 *   bpf_xdp_store_rx_vlan  802.1ad, PCP 5, DEI 1, VID 0x123 (no VID the plan sends)
 *   bpf_xdp_store_rx_ts    XH_STORE_TS_BASE + the packet id
 *
 * The skb built from the frame after the redirect (veth, cpumap) must carry
 * exactly these; an XDP program on the veth peer reads them back through the
 * RX metadata kfuncs (the series' veth patch).  The store kfuncs' return codes
 * are counted in the array map "store_rc" (index: kfunc * XH_STORE_RC_NR + slot).
 */
#ifndef XH_STORE_H
#define XH_STORE_H

#include <linux/types.h>

#define XH_CFG_STORE		(1U << 12)	/* bit of xh_cfg.flags */

#define XH_STORE_VLAN_PROTO	0x88A8		/* host order; stored in network order */
#define XH_STORE_VLAN_TCI	((5U << 13) | (1U << 12) | 0x123)
#define XH_STORE_TS_BASE	1700000000000000000ULL
#define XH_FNV_OFFSET		0x811C9DC5U
#define XH_FNV_PRIME		0x01000193U

/* include/net/xdp.h enum xdp_rss_hash_type bits */
#define XH_RSS_L3_IPV4		(1U << 0)
#define XH_RSS_L3_IPV6		(1U << 1)
#define XH_RSS_L4		(1U << 3)
#define XH_RSS_L4_TCP		(1U << 4)
#define XH_RSS_L4_UDP		(1U << 5)

/* store_rc map: per store kfunc (hash, vlan, ts), calls returning 0 / an error, and
 * the last error */
enum xh_store_rc_slot {
	XH_STORE_RC_OK = 0,
	XH_STORE_RC_ERR,
	XH_STORE_RC_LAST_ERR,
	XH_STORE_RC_NR,
};
#define XH_STORE_N_KFUNCS	3
#define XH_STORE_RC_ENTRIES	(XH_STORE_N_KFUNCS * XH_STORE_RC_NR)

#endif
