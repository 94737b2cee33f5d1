// SPDX-License-Identifier: GPL-2.0-or-later
/* What the runner attaches to a NIC and undoes: XDP, TC ingress, hwtstamp. */
#ifndef XH_ATTACH_H
#define XH_ATTACH_H

#include <stdbool.h>
#include <linux/net_tstamp.h>

enum xh_att_kind { XH_ATT_XDP, XH_ATT_TC };

/*
 * One attached program: a BPF link held by this process (XDP link, tcx), or
 * the legacy way (netlink XDP attach in native mode, a clsact filter), which
 * xh_detach() undoes.
 */
struct xh_att {
	enum xh_att_kind kind;
	bool used;
	bool legacy;
	bool hook_created;	/* clsact: the qdisc was created here */
	int link_fd;
	int ifindex;
	const char *pin;	/* XDP link taken from this bpffs pin (xh_xdp_take) */
};

/* Native XDP; 0 or -errno. */
int xh_xdp_attach(int prog_fd, int ifindex, struct xh_att *a);
/*
 * TC ingress: @want "auto" (tcx if @tcx_type >= 0, else clsact), "tcx" or
 * "clsact"; @tcx_type is BPF_TCX_INGRESS from the kernel's BTF or -1.
 */
int xh_tc_attach(int prog_fd, int ifindex, const char *want, long long tcx_type,
		 struct xh_att *a);
void xh_detach(struct xh_att *a);	/* no-op if nothing is attached */

/*
 * XDP link handover between runs (--xdp-link PIN).  A driver that resets its
 * rings when XDP turns on or off (igc: close + open) does nothing when one
 * program replaces another, so consecutive runs on a NIC pass one link along:
 * xh_xdp_take() puts @prog_fd into the link pinned at @pin (BPF_LINK_UPDATE);
 * 1 if taken, 0 if nothing is pinned there, or -errno (a pin of another device,
 * a refused update: the pin is dropped and the caller attaches as usual).
 * xh_xdp_keep() pins the link at @pin and lets go of it without detaching
 * (0, or -errno for a legacy attach or a failed pin: then xh_detach() it).
 * xh_xdp_drop() detaches and unpins whatever link is pinned at @pin.
 */
int xh_xdp_take(int prog_fd, int ifindex, const char *pin, struct xh_att *a);
int xh_xdp_keep(struct xh_att *a, const char *pin);
void xh_xdp_drop(const char *pin);

struct bpf_program;
/* Device-bound to @ifindex (BPF_F_XDP_DEV_BOUND_ONLY): may call the RX metadata kfuncs. */
void xh_bind_to_dev(struct bpf_program *p, int ifindex);

struct bpf_object;
struct xh_cfg;
/*
 * A side object (the TC helper chain, the stacked-device reader) opened and set
 * up like the main one before its load: @cfg in its .rodata.cfg, its ring buffer
 * "events" replaced by the main object's (@events_fd).  *@obj stays NULL when
 * the open itself failed (else the caller closes it, also on an error).
 */
int xh_side_open(const char *path, const struct xh_cfg *cfg, int events_fd,
		 struct bpf_object **obj);

/* RX hardware timestamping (SIOCSHWTSTAMP, every frame) and the config before it. */
struct hwts_state {
	bool saved;
	bool set;
	struct hwtstamp_config old;
	int rc;
	int rx_filter;
};

void hwts_enable(const char *ifname, struct hwts_state *h);
void hwts_restore(const char *ifname, struct hwts_state *h);

#endif
