// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `run --upper-obj OBJ --upper IF...`: the stacked-device reader
 * (xh_stacked.bpf.c) on each upper device's tcx ingress, writing into the main
 * object's ring buffer; and the keys its records add.
 */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "xh_stacked.h"
#include "xh_stk.h"

static struct bpf_map *rodata_cfg(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);

		if (n && strstr(n, ".rodata.cfg"))
			return m;
	}
	return NULL;
}

int xh_stk_start(struct xh_stk *s, const char *path, const struct xh_cfg *cfg, int events_fd,
		 const int *ifindex, int n, long long tcx_type)
{
	struct bpf_program *read;
	struct bpf_map *m;
	int err, i;

	s->obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(s->obj);
	if (err) {
		s->obj = NULL;
		s->stage = "upper_open";
		return err;
	}
	s->stage = "upper_load";
	m = rodata_cfg(s->obj);
	if (!m || bpf_map__set_initial_value(m, cfg, sizeof(*cfg)))
		return -EINVAL;
	m = bpf_object__find_map_by_name(s->obj, "events");
	if (!m || bpf_map__reuse_fd(m, events_fd))
		return -EINVAL;
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
