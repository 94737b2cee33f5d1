// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `run --upper-obj OBJ --upper IF...`: the stacked-device reader
 * (xh_stacked.bpf.c) on each upper device's tcx ingress, writing into the main
 * object's ring buffer; and the keys its records add.
 */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "xh_attach.h"

#include "xh_stacked.h"
#include "xh_stk.h"

int xh_stk_start(struct xh_stk *s, const char *path, const struct xh_cfg *cfg, int events_fd,
		 const int *ifindex, int n, long long tcx_type)
{
	struct bpf_program *read;
	int err, i;

	err = xh_side_open(path, cfg, events_fd, &s->obj);
	s->stage = s->obj ? "upper_load" : "upper_open";
	if (err)
		return err;
	read = bpf_object__find_program_by_name(s->obj, "xh_stk_read");
	if (!read)
		return -ENOENT;
	err = bpf_object__load(s->obj);
	if (err)
		return err;
	s->stage = "upper_attach";
	for (i = 0; i < n && i < XH_STK_MAX_UPPER && !err; i++)
		err = xh_tc_attach(bpf_program__fd(read), ifindex[i], "tcx", tcx_type, &s->read[i]);
	return err;
}

void xh_stk_stop(struct xh_stk *s)
{
	int i;

	for (i = 0; i < XH_STK_MAX_UPPER; i++)
		xh_detach(&s->read[i]);
	bpf_object__close(s->obj);
	s->obj = NULL;
}

void xh_stk_keys(struct jbuf *j, const void *data, size_t size)
{
	const struct xh_stk_rec *t = data;

	if (size < sizeof(*t))
		return;
	jb_uint(j, "hash_recalc", t->hash_recalc);
}
