// SPDX-License-Identifier: GPL-2.0-or-later
/* Small helpers shared by the guest runner's C files. */
#ifndef XH_UTIL_H
#define XH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xdp_hints_common.h"

/* A growable JSON object written as one line. */
struct jbuf {
	char buf[8192];
	size_t len;
	bool first;
};

void jb_begin(struct jbuf *j);
void jb_raw(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jb_key(struct jbuf *j, const char *key);
void jb_str(struct jbuf *j, const char *key, const char *val);
void jb_int(struct jbuf *j, const char *key, long long val);
void jb_uint(struct jbuf *j, const char *key, unsigned long long val);
void jb_bool(struct jbuf *j, const char *key, bool val);
void jb_null(struct jbuf *j, const char *key);
/* rc that is XH_RC_NOT_CALLED is written as null */
void jb_rc(struct jbuf *j, const char *key, int rc);
/* The parsed-frame fields every observation carries (pkt_len ... frame_vlan1_tci). */
void jb_pkt(struct jbuf *j, const struct xh_pkt *p);
void jb_hex(struct jbuf *j, const char *key, const void *data, size_t len);
void jb_end_print(struct jbuf *j);	/* closes the object, prints it + "\n", flushes stdout */
void jb_meta(struct jbuf *j, const char *key, const struct xh_meta *m, bool found);

void emit_event(const char *event, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emit_error(const char *stage, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Userspace twin of the BPF parser: returns 1 for a test frame. */
int xh_parse_frame(const uint8_t *pkt, size_t len, struct xh_pkt *p);

/* AF_XDP readers (xh_xsk.c) */
struct xsk_set;
struct xsk_set *xsk_set_open(const char *ifname, int ifindex, int nqueues, bool zerocopy,
			     int xskmap_fd);
int xsk_set_fds(struct xsk_set *s, int *fds, int max);
/* Reads what is ready on every socket; returns the number of records printed. */
long xsk_set_poll(struct xsk_set *s);
void xsk_set_close(struct xsk_set *s);
/* TLV format: print the raw metadata area (meta_raw) too; size sweep: check the blob */
void xsk_set_meta_format(struct xsk_set *s, bool tlv, bool sweep);

/* netdev generic netlink (xh_netlink.c) */
struct netdev_info {
	int ok;
	uint64_t xdp_features;
	uint64_t xdp_rx_metadata_features;
	uint64_t xsk_features;
	uint32_t xdp_zc_max_segs;
	int has_rx_meta_attr;
	int has_xsk_attr;
};
int netdev_dev_get(int ifindex, struct netdev_info *out);

#endif
