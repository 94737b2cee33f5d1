// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * run --xdp-obj: a user's BPF object whose XDP program (and optionally TC
 * program) stands in for ours.  Maps named like ours are shared with ours, so
 * a program that follows the record contract (guest-bpf/xdp_hints_common.h:
 * struct xh_rec into "events", struct xh_meta into data_meta, .rodata.cfg)
 * is judged like ours; the object's other ring buffers are streamed raw as
 * {"event":"ringbuf","map":NAME,"data":HEX} lines.
 */
#include <string.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>

#include "xh_attach.h"
#include "xh_user.h"
#include "xh_util.h"

#define XH_RINGBUF_HEX_MAX 2048	/* bytes of one record printed (fits a jbuf as hex) */

static struct bpf_program *find_prog(struct bpf_object *obj, const char *want)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, want);

	if (p)
		return p;
	bpf_object__for_each_program(p, obj)
		if (!strcmp(bpf_program__section_name(p), want))
			return p;
	return NULL;
}

/* Our map of the same name and type, or NULL. */
static struct bpf_map *ours_of(struct bpf_object *ours, const struct bpf_map *m)
{
	struct bpf_map *om = bpf_object__find_map_by_name(ours, bpf_map__name(m));

	return om && bpf_map__type(om) == bpf_map__type(m) && bpf_map__fd(om) >= 0 ? om : NULL;
}

static int share_maps(struct bpf_object *obj, struct bpf_object *ours, const void *cfg,
		      size_t cfg_size)
{
	struct bpf_map *m, *om;

	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);

		if (bpf_map__is_internal(m)) {
			if (strstr(name, ".rodata.cfg") && bpf_map__value_size(m) == cfg_size &&
			    bpf_map__set_initial_value(m, cfg, cfg_size))
				return -1;
			continue;
		}
		om = ours_of(ours, m);
		if (om && bpf_map__reuse_fd(m, bpf_map__fd(om))) {
			emit_error("user_maps", 0, "cannot share map %s with the runner's", name);
			return -1;
		}
	}
	return 0;
}

struct bpf_object *xh_user_open(const struct run_opts *o, struct bpf_object *ours,
				const void *cfg, size_t cfg_size, int bind_ifindex,
				struct bpf_program **xdp, struct bpf_program **tc)
{
	struct bpf_object *obj = bpf_object__open_file(o->xdp_obj, NULL);
	struct bpf_program *p;
	long err = libbpf_get_error(obj);

	if (err) {
		emit_error("user_open", (int)err, "cannot open BPF object %s", o->xdp_obj);
		return NULL;
	}
	*xdp = find_prog(obj, o->xdp_prog);
	*tc = o->tc_prog ? find_prog(obj, o->tc_prog) : NULL;
	if (!*xdp || (o->tc_prog && !*tc)) {
		emit_error("user_open", 0, "%s has no program %s", o->xdp_obj,
			   !*xdp ? o->xdp_prog : o->tc_prog);
		goto fail;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == *xdp || p == *tc);
	if (bind_ifindex)
		xh_bind_to_dev(*xdp, bind_ifindex);
	if (share_maps(obj, ours, cfg, cfg_size))
		goto fail;
	err = bpf_object__load(obj);
	if (err) {
		emit_error("user_load", (int)err, "loading %s failed (verifier log on stderr)",
			   o->xdp_obj);
		goto fail;
	}
	return obj;
fail:
	bpf_object__close(obj);
	return NULL;
}

static int on_user_record(void *ctx, void *data, size_t size)
{
	struct jbuf j;

	jb_begin(&j);
	jb_str(&j, "event", "ringbuf");
	jb_str(&j, "map", ctx);
	jb_hex(&j, "data", data, size < XH_RINGBUF_HEX_MAX ? size : XH_RINGBUF_HEX_MAX);
	jb_end_print(&j);
	return 0;
}

int xh_user_ringbufs(struct bpf_object *user, struct bpf_object *ours, struct ring_buffer *rb)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, user) {
		if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF || ours_of(ours, m))
			continue;
		if (ring_buffer__add(rb, bpf_map__fd(m), on_user_record, (void *)bpf_map__name(m))) {
			emit_error("ringbuf", 0, "cannot read the ring buffer %s", bpf_map__name(m));
			return -1;
		}
	}
	return 0;
}
