/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kfunc index.  libbpf parses the whole vmlinux BTF (5 MB, ~130k types on a
 * distribution kernel) on every bpf_object__load that has kfunc externs: under
 * TCG ~0.3 s of guest CPU per runner invocation, the largest single cost left.
 * Our objects need vmlinux BTF for one thing only, resolving kfunc externs
 * (name -> BTF id, then the prototype checked against ours); they have no CO-RE
 * relocations (keep it so: CO-RE against the index finds no candidates).  A
 * user's object (--xdp-obj) may have them: the runner drops the index before
 * loading one.
 *
 * The index keeps every type id of vmlinux BTF where it is, so the ids libbpf
 * writes into the kfunc calls are the kernel's own and the verifier checks them
 * against the real BTF as always.  Kept: every FUNC with "bpf_" in its name (the
 * kfuncs: bpf_*, scx_bpf_*, hid_bpf_*, ...) and what it refers to (through
 * pointers, typedefs, modifiers, arrays and prototypes, down to the first
 * struct/union/enum, which libbpf's compatibility check compares by kind only:
 * structs and unions are kept without members).  Every other type becomes an
 * anonymous pointer to void, so its id stays valid and costs libbpf next to
 * nothing; the index ends with the last type kept.
 *
 * The runner writes it with its kernel probe (once per boot) and, before its
 * first load, bind-mounts it over /sys/kernel/btf/vmlinux in a mount namespace
 * of its own; XH_FULL_BTF=1 turns that off.  A load that fails with the index
 * for a missing kfunc or ksym (-ESRCH; typed __ksym variables are not in it) is
 * retried with the kernel's file (xh_kbtf_drop).  Module BTF is split BTF on
 * top of vmlinux's (type ids and string offsets go on from it) and does not
 * parse on top of the index: libbpf reads it when a kfunc is not in vmlinux, so
 * the runner uses the index only where the kernel has every kfunc our objects
 * declare (XH_KF_OBJECT_EXTERNS; older kernels load as before).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <bpf/btf.h>

#include "xh_kbtf.h"

#define SYSFS_VMLINUX "/sys/kernel/btf/vmlinux"

static bool mounted;

/* Mark @id and what a compatibility check would follow from it. */
static void keep_closure(const struct btf *btf, __u32 id, unsigned char *keep, __u32 n)
{
	while (id && id < n && !keep[id]) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_param *p;
		int i;

		keep[id] = 1;
		if (!t)
			return;
		switch (btf_kind(t)) {
		case BTF_KIND_PTR:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
		case BTF_KIND_FUNC:
			id = t->type;
			break;
		case BTF_KIND_ARRAY:
			keep_closure(btf, btf_array(t)->index_type, keep, n);
			id = btf_array(t)->type;
			break;
		case BTF_KIND_FUNC_PROTO:
			p = btf_params(t);
			for (i = 0; i < btf_vlen(t); i++)
				keep_closure(btf, p[i].type, keep, n);
			id = t->type;
			break;
		default:	/* int, float, struct, union, enum, fwd: compared as they are */
			return;
		}
	}
}

int xh_kbtf_write(const struct btf *vmlinux, const char *path)
{
	__u32 n = btf__type_cnt(vmlinux), id;
	unsigned char *keep = calloc(n, 1);
	struct btf *out = btf__new_empty();
	char tmp[256];
	const void *raw;
	__u32 size;
	int err = 0;
	FILE *f;

	if (!keep || !out) {
		err = -ENOMEM;
		goto done;
	}
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(vmlinux, id);
		const char *name = btf__name_by_offset(vmlinux, t->name_off);

		if (btf_is_func(t) && name && strstr(name, "bpf_"))
			keep_closure(vmlinux, id, keep, n);
	}
	while (n > 1 && !keep[n - 1])	/* nothing kept refers past the last kept type */
		n--;
	for (id = 1; id < n && !err; id++) {
		const struct btf_type *t = btf__type_by_id(vmlinux, id);
		int got;

		if (!keep[id])
			got = btf__add_ptr(out, 0);
		else if (btf_is_struct(t) || btf_is_union(t))	/* compared by kind: no members */
			got = (btf_is_struct(t) ? btf__add_struct : btf__add_union)(
				out, btf__name_by_offset(vmlinux, t->name_off), t->size);
		else
			got = btf__add_type(out, vmlinux, t);

		if (got < 0)
			err = got;
		else if ((__u32)got != id)
			err = -EINVAL;	/* ids must stay the kernel's */
	}
	if (err)
		goto done;
	raw = btf__raw_data(out, &size);
	if (!raw) {
		err = -ENOMEM;
		goto done;
	}
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		err = -errno;
		goto done;
	}
	if (fwrite(raw, 1, size, f) != size)
		err = -EIO;
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
done:
	btf__free(out);
	free(keep);
	return err;
}

bool xh_kbtf_use(const char *path)
{
	if (mounted)
		return true;
	if (getenv("XH_FULL_BTF") || access(path, R_OK) || access(SYSFS_VMLINUX, R_OK))
		return false;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return false;
	mounted = !mount(path, SYSFS_VMLINUX, NULL, MS_BIND, NULL);
	return mounted;
}

void xh_kbtf_drop(void)
{
	if (mounted && !umount2(SYSFS_VMLINUX, MNT_DETACH))
		mounted = false;
}
