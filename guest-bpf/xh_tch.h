// SPDX-License-Identifier: GPL-2.0-or-later
/* The TC helper chain (run --tc-chain OBJ): load, attach after tcx, record keys. */
#ifndef XH_TCH_H
#define XH_TCH_H

#include <stddef.h>

#include "xh_attach.h"
#include "xh_util.h"

struct bpf_object;

struct xh_tch {
	struct bpf_object *obj;
	struct xh_att apply, read;
	const char *stage;	/* where xh_tch_start failed */
};

/*
 * Opens and loads @path with the main object's @cfg and ring buffer
 * (@events_fd), attaches xh_tch_apply then xh_tch_read to @ifindex's tcx
 * ingress.  0 or -errno (t->stage names the step); xh_tch_stop() undoes it.
 */
int xh_tch_start(struct xh_tch *t, const char *path, const struct xh_cfg *cfg, int events_fd,
		 int ifindex, long long tcx_type);
void xh_tch_stop(struct xh_tch *t);	/* no-op if nothing was started */
/* The keys a XH_PT_TCH record adds (helper, helper_rc, meta_len_before). */
void xh_tch_keys(struct jbuf *j, const void *data, size_t size);

#endif
