# SPDX-License-Identifier: GPL-2.0-or-later
# Compiler flags and the runner's sources, written once: the Makefile includes
# this file and harness/artifacts/bpf_build.py parses it (and hashes it into its cache
# key).  Keep to plain `NAME := words` lines: no make expansions, no +=.
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror
CFLAGS := -O2 -g -Wall -Wextra -Werror
LDLIBS := -Wl,--as-needed -lxdp -lbpf -lelf -lz
RUNNER_SRCS := xdp_hints_guest.c xh_opts.c xh_attach.c xh_util.c xh_netlink.c xh_xsk.c xh_user.c xh_tch.c xh_stk.c xh_kbtf.c
# xh-tools (send, wait, tsrx, tpacket without libbpf): static, so no dynamic loader at all
TOOLS_SRCS := xh_tools.c xh_send.c xh_wait.c xh_stamps.c xh_rxfh.c xh_spawn.c
TOOLS_LDFLAGS := -static
