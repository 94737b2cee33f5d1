/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kfunc index: a small stand-in for vmlinux BTF that libbpf parses fast. */
#ifndef XH_KBTF_H
#define XH_KBTF_H

#include <stdbool.h>
#include <bpf/btf.h>

#include "xdp_hints_common.h"

#define XH_KBTF_PATH "/run/xdp-hints-guest.kbtf"

/* The kfuncs xdp_hints.bpf.o, xh_tc_helpers.bpf.o and xh_stacked.bpf.o declare
 * (XH_KF_* of xdp_hints_common.h); xdp_hints_store.bpf.o adds XH_KF_STORE_ALL. */
#define XH_KF_OBJECT_EXTERNS (XH_KF_RX_TS | XH_KF_RX_HASH | XH_KF_RX_VLAN | XH_KF_DYNPTR_SKB_META)

/* Write the index of @vmlinux to @path (atomically); 0 or -errno. */
int xh_kbtf_write(const struct btf *vmlinux, const char *path);
/* Make this process (its own mount namespace) see @path as /sys/kernel/btf/vmlinux. */
bool xh_kbtf_use(const char *path);
/* Back to the kernel's own file (a load failed with the index). */
void xh_kbtf_drop(void);

#endif
