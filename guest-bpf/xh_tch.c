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

int xh_tch_load(struct xh_tch *t, const char *path, const struct xh_cfg *cfg, int events_fd)
{
	int err;

	err = xh_side_open(path, cfg, events_fd, &t->obj);
	t->stage = t->obj ? "tc_chain_load" : "tc_chain_open";
	if (err)
		return err;
	t->apply_prog = bpf_object__find_program_by_name(t->obj, "xh_tch_apply");
	t->read_prog = bpf_object__find_program_by_name(t->obj, "xh_tch_read");
	if (!t->apply_prog || !t->read_prog)
		return -ENOENT;
	return bpf_object__load(t->obj);
}

int xh_tch_attach(struct xh_tch *t, int ifindex, long long tcx_type)
{
	int err;

	/* tcx appends: apply runs first, read next (both return TCX_NEXT / a verdict) */
	t->stage = "tc_chain_attach";
	err = xh_tc_attach(bpf_program__fd(t->apply_prog), ifindex, "tcx", tcx_type, &t->apply);
	if (!err)
		err = xh_tc_attach(bpf_program__fd(t->read_prog), ifindex, "tcx", tcx_type,
				   &t->read);
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
