// SPDX-License-Identifier: GPL-2.0-or-later
/* Stacked devices (run --upper-obj OBJ --upper IF...): the reader on each upper
 * device's tcx ingress, and the keys its records add. */
#ifndef XH_STK_H
#define XH_STK_H

#include <stddef.h>

#include "xh_attach.h"
#include "xh_util.h"

struct bpf_object;

#define XH_STK_MAX_UPPER	4

struct xh_stk {
	struct bpf_object *obj;
	struct xh_att read[XH_STK_MAX_UPPER];
	const char *stage;	/* where xh_stk_start failed */
};

/*
 * Opens and loads @path (xh_stacked.bpf.o) with the main object's @cfg and ring
 * buffer (@events_fd), attaches xh_stk_read to the tcx ingress of each of the
 * @n devices @ifindex[].  0 or -errno (s->stage names the step); xh_stk_stop()
 * undoes it.
 */
int xh_stk_start(struct xh_stk *s, const char *path, const struct xh_cfg *cfg, int events_fd,
		 const int *ifindex, int n, long long tcx_type);
void xh_stk_stop(struct xh_stk *s);	/* no-op if nothing was started */
/* The keys a XH_PT_STACKED record adds (hash_recalc). */
void xh_stk_keys(struct jbuf *j, const void *data, size_t size);

#endif
