// SPDX-License-Identifier: GPL-2.0-or-later
/* Command line of xdp-hints-guest: option table, defaults, checks, usage. */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdp_hints_common.h"
#include "xh_opts.h"

/* long-only options: getopt codes beyond the characters */
#define OPT_TC_CHAIN	0x100
#define OPT_META_TLV	0x101
/* stacked devices (xh_stacked.h): codes of their own, apart from others' additions */
#define OPT_UPPER_OBJ	0x110
#define OPT_UPPER	0x111
/* redirect-store mode (xh_store.h) */
#define OPT_STORE	0x120
/* --hold (a held run) */
#define OPT_HOLD	0x130
/* XDP link handover between runs (xh_attach.h) */
#define OPT_XDP_LINK	0x140
#define OPT_XDP_LINK_KEEP	0x141

const struct xh_kfunc xh_kfuncs[XH_N_KFUNCS] = {
	{ "bpf_xdp_metadata_rx_timestamp", "rx_timestamp", XH_KF_RX_TS },
	{ "bpf_xdp_metadata_rx_hash", "rx_hash", XH_KF_RX_HASH },
	{ "bpf_xdp_metadata_rx_vlan_tag", "rx_vlan_tag", XH_KF_RX_VLAN },
	{ "bpf_dynptr_from_skb_meta", "dynptr_from_skb_meta", XH_KF_DYNPTR_SKB_META },
	/* proposed 2026 (veth, ice), not merged: detected only, never called */
	{ "bpf_xdp_metadata_rx_checksum", "rx_checksum", XH_KF_RX_CSUM },
	{ "bpf_xdp_store_rx_hash", "store_rx_hash", XH_KF_STORE_RX_HASH },
	{ "bpf_xdp_store_rx_vlan", "store_rx_vlan", XH_KF_STORE_RX_VLAN },
	{ "bpf_xdp_store_rx_ts", "store_rx_ts", XH_KF_STORE_RX_TS },
};

static const char *const mode_names[] = {
	[XH_MODE_PASS] = "pass", [XH_MODE_VETH] = "veth", [XH_MODE_CPUMAP] = "cpumap",
	[XH_MODE_XSK] = "xsk", [XH_MODE_SKB] = "skb",
};
#define N_MODES (int)(sizeof(mode_names) / sizeof(mode_names[0]))

const char *xh_mode_name(int mode)
{
	return mode >= 0 && mode < N_MODES ? mode_names[mode] : "?";
}

static int parse_mode(const char *s)
{
	int m;

	for (m = 0; m < N_MODES; m++)
		if (!strcmp(s, mode_names[m]))
			return m;
	return -1;
}

void xh_usage(FILE *f)
{
	fprintf(f,
		"usage: xdp-hints-guest probe [IFNAME...]\n"
		"       xdp-hints-guest abi\n"
		"       xdp-hints-guest parse < hex-frames   (userspace frame parser, one JSON line each)\n"
		"       (send, wait, tsrx, tpacket: xh-tools, guest-bpf/xh_tools.c)\n"
		"       xdp-hints-guest run --ifname IF [options]\n"
		"run options:\n"
		"  --mode pass|veth|cpumap|xsk|skb  path after the NIC's XDP program (default pass);\n"
		"                                skb: no XDP program, TC ingress sees the driver's skb\n"
		"  --obj PATH                    BPF object (default: xdp_hints.bpf.o next to the binary;\n"
		"                                with --store: xdp_hints_store.bpf.o)\n"
		"  --duration SEC                stop after SEC seconds (default: until SIGINT/SIGTERM)\n"
		"  --count N                     stop once at least N observation records were printed\n"
		"  --tc auto|tcx|clsact|none     TC ingress attach (default auto: tcx if present)\n"
		"  --tc-chain OBJ                the TC helper chain (xh_tc_helpers.bpf.o) on the NIC's\n"
		"                                tcx ingress: one skb helper per packet, then a reader\n"
		"  --upper-obj OBJ --upper IF    the stacked-device reader (xh_stacked.bpf.o) on the\n"
		"                                tcx ingress of upper device IF (repeatable, up to 4:\n"
		"                                VLAN, gretap, VXLAN); the NIC's XDP program then finds\n"
		"                                the packet id inside GRE (TEB) and VXLAN frames too\n"
		"  --xsk-mode copy|zerocopy      AF_XDP bind mode (default copy)\n"
		"  --queues N                    AF_XDP: bind queues 0..N-1 (default: all rx queues)\n"
		"  --cpumap-cpu N                cpumap target CPU (default: last CPU)\n"
		"  --cpumap-qsize N              cpumap queue size (default 512)\n"
		"  --veth NAME --veth-peer NAME  veth pair for mode veth (default xhv0/xhv1)\n"
		"  --no-hwtstamp                 do not request RX hardware timestamps (SIOCSHWTSTAMP)\n"
		"  --no-meta                     the NIC's XDP program still calls the kfuncs and records,\n"
		"                                but writes no data_meta (headroom left as the driver\n"
		"                                put it; xdp records: adjust_meta_rc 1 = not called)\n"
		"  --meta-sweep                  the NIC's XDP program writes a blob of 4, 8, 32, 64,\n"
		"                                128 or 252 bytes (by packet id) instead of the struct;\n"
		"                                consumers check its length and words (xh_meta_sweep.h)\n"
		"  --meta-tlv                    the NIC's XDP program writes TLV entries instead of the\n"
		"                                struct (xh_meta_tlv.h); consumers print the area raw\n"
		"  --late-hints                  the NIC's XDP program calls the kfuncs once more after\n"
		"                                writing data_meta (records at point xdp_late)\n"
		"  --store                       mode veth or cpumap: before redirecting, the NIC's XDP\n"
		"                                program stores a flow hash, a VLAN tag and a stamp\n"
		"                                with the bpf_xdp_store_rx_* kfuncs (xh_store.h); the\n"
		"                                kernel's BTF must have them\n"
		"  --disable-kfunc NAME          treat a kfunc as absent (repeatable; rx_timestamp,\n"
		"                                rx_hash, rx_vlan_tag, dynptr_from_skb_meta or all)\n"
		"  --xdp-obj PATH --xdp-prog NAME  a user's object: its program NAME (or section) is the\n"
		"                                NIC's XDP program instead of ours; maps named like ours\n"
		"                                are shared, its other ring buffers are printed raw\n"
		"  --tc-prog NAME                with --xdp-obj, mode pass or skb: its TC ingress program\n"
		"  --xdp-dev-bound               bind the user's XDP program to the NIC (it calls kfuncs)\n"
		"  --hold FILE                   load, print {\"event\":\"held\"}, then wait until FILE\n"
		"                                exists before wiring and attaching (a harness loads\n"
		"                                the next run while the current one's traffic flows);\n"
		"                                with --upper-obj, FILE's lines name the upper devices\n"
		"  --xdp-link PIN                the NIC's XDP link is handed from run to run through\n"
		"                                this bpffs pin: a link pinned there gets our program\n"
		"                                in place (no detach + attach: igc resets its rings on\n"
		"                                each); mode skb detaches it; without --xdp-link-keep\n"
		"                                the run detaches and unpins at its end\n"
		"  --xdp-link-keep               with --xdp-link: at the end, pin the link there and\n"
		"                                leave the program attached for the next run\n"
		"  -v, --verbose                 libbpf debug output on stderr\n");
}

/* xdp_hints.bpf.o next to the running binary (--store: xdp_hints_store.bpf.o, the
 * same programs with the store kfuncs) */
static const char *default_obj(bool store)
{
	const char *name = store ? "xdp_hints_store.bpf.o" : "xdp_hints.bpf.o";
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash;

	if (n <= 0)
		return name;
	path[n] = 0;
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, name);
	return path;
}

/* --disable-kfunc NAME: BTF name, short name or "all"; 0, or 2 if unknown */
static int disable_kfunc(struct run_opts *o, const char *arg)
{
	bool found = !strcmp(arg, "all");
	size_t k;

	if (found)
		o->kfunc_disable = ~0U;
	for (k = 0; k < XH_N_KFUNCS; k++)
		if (!strcmp(arg, xh_kfuncs[k].short_name) || !strcmp(arg, xh_kfuncs[k].name)) {
			o->kfunc_disable |= xh_kfuncs[k].bit;
			found = true;
		}
	if (!found) {
		fprintf(stderr, "--disable-kfunc: unknown kfunc %s\n", arg);
		return 2;
	}
	return 0;
}

/* The options that take a word from a fixed set; 0, or 2 with a message. */
static int parse_choice(struct run_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'm':
		o->mode = parse_mode(arg);
		if (o->mode >= 0)
			return 0;
		fprintf(stderr, "unknown mode %s\n", arg);
		return 2;
	case 't':
		if (strcmp(arg, "auto") && strcmp(arg, "tcx") && strcmp(arg, "clsact") &&
		    strcmp(arg, "none")) {
			fprintf(stderr, "--tc: auto|tcx|clsact|none\n");
			return 2;
		}
		o->tc = arg;
		return 0;
	case 'x':
		if (!strcmp(arg, "zerocopy") || !strcmp(arg, "zc")) {
			o->xsk_zc = true;
			return 0;
		}
		if (!strcmp(arg, "copy")) {
			o->xsk_zc = false;
			return 0;
		}
		fprintf(stderr, "--xsk-mode: copy|zerocopy\n");
		return 2;
	case 'K':
		return disable_kfunc(o, arg);
	}
	return 2;
}

/* One getopt result; -1 to go on, else the exit code. */
static int apply_opt(struct run_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'i': o->ifname = arg; break;
	case 'o': o->obj_path = arg; break;
	case OPT_TC_CHAIN: o->tc_chain = arg; break;
	case OPT_UPPER_OBJ: o->upper_obj = arg; break;
	case OPT_UPPER:
		if (o->n_upper >= (int)(sizeof(o->upper) / sizeof(o->upper[0]))) {
			fprintf(stderr, "--upper: at most 4 devices\n");
			return 2;
		}
		o->upper[o->n_upper++] = arg;
		break;
	case 'd': o->duration = atof(arg); break;
	case 'c': o->count = atol(arg); break;
	case 'q': o->queues = atoi(arg); break;
	case 'C': o->cpumap_cpu = atoi(arg); break;
	case 'Q': o->cpumap_qsize = atoi(arg); break;
	case 'e': o->veth = arg; break;
	case 'p': o->veth_peer = arg; break;
	case 'H': o->hwtstamp = false; break;
	case 'M': o->no_meta = true; break;
	case 'S': o->meta_sweep = true; break;
	case OPT_META_TLV: o->meta_tlv = true; break;
	case 'L': o->late_hints = true; break;
	case OPT_STORE: o->store = true; break;
	case 'v': o->verbose = true; break;
	case 'X': o->xdp_obj = arg; break;
	case 'P': o->xdp_prog = arg; break;
	case 'T': o->tc_prog = arg; break;
	case 'B': o->xdp_dev_bound = true; break;
	case OPT_HOLD: o->hold = arg; break;
	case OPT_XDP_LINK: o->xdp_link = arg; break;
	case OPT_XDP_LINK_KEEP: o->xdp_link_keep = true; break;
	case 'm': case 't': case 'x': case 'K':
		return parse_choice(o, c, arg) ? 2 : -1;
	case 'h': xh_usage(stdout); return 0;
	default: xh_usage(stderr); return 2;
	}
	return -1;
}

int xh_opts_parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "obj", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "tc", required_argument, NULL, 't' },
		{ "tc-chain", required_argument, NULL, OPT_TC_CHAIN },
		{ "upper-obj", required_argument, NULL, OPT_UPPER_OBJ },
		{ "upper", required_argument, NULL, OPT_UPPER },
		{ "xsk-mode", required_argument, NULL, 'x' },
		{ "queues", required_argument, NULL, 'q' },
		{ "cpumap-cpu", required_argument, NULL, 'C' },
		{ "cpumap-qsize", required_argument, NULL, 'Q' },
		{ "veth", required_argument, NULL, 'e' },
		{ "veth-peer", required_argument, NULL, 'p' },
		{ "no-hwtstamp", no_argument, NULL, 'H' },
		{ "no-meta", no_argument, NULL, 'M' },
		{ "meta-sweep", no_argument, NULL, 'S' },
		{ "meta-tlv", no_argument, NULL, OPT_META_TLV },
		{ "late-hints", no_argument, NULL, 'L' },
		{ "store", no_argument, NULL, OPT_STORE },
		{ "disable-kfunc", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "xdp-obj", required_argument, NULL, 'X' },
		{ "xdp-prog", required_argument, NULL, 'P' },
		{ "tc-prog", required_argument, NULL, 'T' },
		{ "xdp-dev-bound", no_argument, NULL, 'B' },
		{ "hold", required_argument, NULL, OPT_HOLD },
		{ "xdp-link", required_argument, NULL, OPT_XDP_LINK },
		{ "xdp-link-keep", no_argument, NULL, OPT_XDP_LINK_KEEP },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, rc;

	*o = (struct run_opts){
		.mode = XH_MODE_PASS, .tc = "auto", .cpumap_cpu = -1, .cpumap_qsize = 512,
		.veth = "xhv0", .veth_peer = "xhv1", .hwtstamp = true,
	};
	optind = 2;
	while ((c = getopt_long(argc, argv, "i:m:o:d:c:vh", lo, NULL)) != -1)
		if ((rc = apply_opt(o, c, optarg)) >= 0)
			return rc;
	if (!o->ifname) {
		fprintf(stderr, "run: --ifname is required\n");
		return 2;
	}
	if (!o->xdp_obj != !o->xdp_prog) {
		fprintf(stderr, "run: --xdp-obj and --xdp-prog go together\n");
		return 2;
	}
	if (o->tc_prog && (!o->xdp_obj || (o->mode != XH_MODE_PASS && o->mode != XH_MODE_SKB))) {
		fprintf(stderr, "run: --tc-prog needs --xdp-obj and mode pass or skb\n");
		return 2;
	}
	if (o->store && ((o->mode != XH_MODE_VETH && o->mode != XH_MODE_CPUMAP) || o->xdp_obj)) {
		fprintf(stderr, "run: --store needs mode veth or cpumap and our XDP program\n");
		return 2;
	}
	/* held, the upper devices may come with the release (run_hold) */
	if (o->n_upper ? !o->upper_obj : o->upper_obj && !o->hold) {
		fprintf(stderr, "run: --upper-obj and --upper go together\n");
		return 2;
	}
	if (o->xdp_link_keep && !o->xdp_link) {
		fprintf(stderr, "run: --xdp-link-keep needs --xdp-link PIN\n");
		return 2;
	}
	if (!o->obj_path)
		o->obj_path = default_obj(o->store);
	return -1;
}
