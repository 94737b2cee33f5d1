// SPDX-License-Identifier: GPL-2.0-or-later
/* A user's BPF object whose programs stand in for ours (run --xdp-obj). */
#ifndef XH_USER_H
#define XH_USER_H

#include <stddef.h>
#include <bpf/libbpf.h>

#include "xh_opts.h"

/*
 * Opens o->xdp_obj, picks the program o->xdp_prog (and o->tc_prog) by name or
 * section, binds the XDP one to @bind_ifindex (0: not), gives every map that
 * shares a name and type with one of @ours our map's fd (events, stats,
 * tx_port, cpu_map, xsks), its .rodata.cfg our @cfg, and loads it.  NULL after
 * an error event.
 */
struct bpf_object *xh_user_open(const struct run_opts *o, struct bpf_object *ours,
				const void *cfg, size_t cfg_size, int bind_ifindex,
				struct bpf_program **xdp, struct bpf_program **tc);
/* The user object's own ring buffers into @rb (each record an event "ringbuf"). */
int xh_user_ringbufs(struct bpf_object *user, struct bpf_object *ours, struct ring_buffer *rb);

#endif
