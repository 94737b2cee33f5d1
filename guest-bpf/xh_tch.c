// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `run --tc-chain OBJ`: the TC helper chain (xh_tc_helpers.bpf.c) on the NIC's
 * tcx ingress, xh_tch_apply then xh_tch_read, writing into the main object's
 * ring buffer; and the keys its records add.
 */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "xh_attach.h"

#include "xh_tc_helpers.h"
#include "xh_tch.h"

static const char *const helper_names[XH_TCH_NR] = {
	[XH_TCH_NONE] = "none",
	[XH_TCH_VLAN_PUSH] = "vlan_push",
	[XH_TCH_VLAN_POP] = "vlan_pop",
	[XH_TCH_ADJ_MAC_GROW] = "adjust_room_mac_grow",
	[XH_TCH_ADJ_MAC_SHRINK] = "adjust_room_mac_shrink",
	[XH_TCH_ADJ_NET_GROW] = "adjust_room_net_grow",
	[XH_TCH_ADJ_NET_SHRINK] = "adjust_room_net_shrink",
	[XH_TCH_CHANGE_PROTO] = "change_proto",
	[XH_TCH_CHANGE_HEAD] = "change_head",
	[XH_TCH_CHANGE_TAIL] = "change_tail",
	[XH_TCH_PULL_DATA] = "pull_data",
};

int xh_tch_start(struct xh_tch *t, const char *path, const struct xh_cfg *cfg, int events_fd,
		 int ifindex, long long tcx_type)
{
	struct bpf_program *apply, *read;
	int err;

	err = xh_side_open(path, cfg, events_fd, &t->obj);
	t->stage = t->obj ? "tc_chain_load" : "tc_chain_open";
	if (err)
		return err;
	apply = bpf_object__find_program_by_name(t->obj, "xh_tch_apply");
	read = bpf_object__find_program_by_name(t->obj, "xh_tch_read");
	if (!apply || !read)
		return -ENOENT;
	err = bpf_object__load(t->obj);
	if (err)
		return err;
	/* tcx appends: apply runs first, read next (both return TCX_NEXT / a verdict) */
	t->stage = "tc_chain_attach";
	err = xh_tc_attach(bpf_program__fd(apply), ifindex, "tcx", tcx_type, &t->apply);
	if (!err)
		err = xh_tc_attach(bpf_program__fd(read), ifindex, "tcx", tcx_type, &t->read);
	return err;
}

void xh_tch_stop(struct xh_tch *t)
{
	xh_detach(&t->apply);
	xh_detach(&t->read);
	bpf_object__close(t->obj);
	t->obj = NULL;
}

void xh_tch_keys(struct jbuf *j, const void *data, size_t size)
{
	const struct xh_tch_rec *t = data;

	if (size < sizeof(*t))
		return;
	jb_str(j, "helper", t->helper < XH_TCH_NR ? helper_names[t->helper] : "?");
	jb_int(j, "helper_rc", t->helper_rc);
	jb_int(j, "meta_len_before", t->meta_len_before);
}
