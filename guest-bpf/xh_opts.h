// SPDX-License-Identifier: GPL-2.0-or-later
/* The runner's command line: `run` options, mode and kfunc names, usage. */
#ifndef XH_OPTS_H
#define XH_OPTS_H

#include <stdbool.h>
#include <stdio.h>

/* One RX metadata kfunc the programs may call: BTF name, --disable-kfunc name, XH_KF_* bit. */
struct xh_kfunc {
	const char *name;
	const char *short_name;
	unsigned int bit;
};

#define XH_N_KFUNCS 8
extern const struct xh_kfunc xh_kfuncs[XH_N_KFUNCS];

struct run_opts {
	const char *ifname;
	int ifindex;			/* resolved by the caller */
	int mode;			/* XH_MODE_* */
	const char *obj_path;
	double duration;
	long count;
	const char *tc;			/* auto | tcx | clsact | none */
	const char *tc_chain;		/* --tc-chain: TC helper chain object, or NULL */
	const char *upper_obj;		/* --upper-obj: stacked-device reader object, or NULL */
	const char *upper[4];		/* --upper IF (repeatable): its upper devices */
	int n_upper;
	bool xsk_zc;
	int queues;
	int cpumap_cpu;
	int cpumap_qsize;
	const char *veth;
	const char *veth_peer;
	bool hwtstamp;
	bool no_meta;			/* the NIC's XDP program writes no data_meta */
	bool meta_sweep;		/* --meta-sweep: a blob of 4..252 bytes by packet id */
	bool meta_tlv;			/* --meta-tlv: the TLV format (xh_meta_tlv.h) */
	bool late_hints;		/* ... and calls the kfuncs again after writing it */
	bool store;			/* --store: redirect-store mode (xh_store.h) */
	unsigned int kfunc_disable;	/* XH_KF_* to treat as absent */
	bool verbose;
	const char *xdp_obj;		/* a user's object: its program stands in for ours */
	const char *xdp_prog;		/*   the NIC's XDP program (name or section) */
	const char *tc_prog;		/*   optional: the NIC's TC ingress program */
	bool xdp_dev_bound;		/*   bind it to the NIC (it calls the kfuncs) */
	const char *hold;		/* --hold FILE: load, then wait for FILE to wire and attach */
	const char *xdp_link;		/* --xdp-link PIN: take the NIC's XDP link from PIN */
	bool xdp_link_keep;		/* --xdp-link-keep: ... and pin it there at the end */
};

/* "pass", "veth", ... for an XH_MODE_*; "?" for anything else. */
const char *xh_mode_name(int mode);
void xh_usage(FILE *f);
/*
 * Parses `run`'s options (argv[2..]) into @o, defaults first.  Returns -1 to
 * go on, or the exit code (0 after --help, 2 on a bad command line).
 */
int xh_opts_parse(int argc, char **argv, struct run_opts *o);

#endif
