// SPDX-License-Identifier: GPL-2.0-or-later
/* XDP and TC ingress attach/detach (BPF links, legacy fallbacks), hwtstamp. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xh_attach.h"
#include "xdp_hints_common.h"

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

#define XH_TC_HANDLE 0x5848
#define XH_TC_PRIO 1

static void att_init(struct xh_att *a, enum xh_att_kind kind, int ifindex)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->ifindex = ifindex;
	a->link_fd = -1;
}

/* A BPF link for @prog_fd on @a's device; 0 or -errno. */
static int att_link(struct xh_att *a, int prog_fd, enum bpf_attach_type type,
		    const struct bpf_link_create_opts *lo)
{
	int fd = bpf_link_create(prog_fd, a->ifindex, type, lo);

	if (fd < 0)
		return -errno;
	a->used = true;
	a->link_fd = fd;
	return 0;
}

void xh_bind_to_dev(struct bpf_program *p, int ifindex)
{
	bpf_program__set_ifindex(p, (__u32)ifindex);
	bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_XDP_DEV_BOUND_ONLY);
}

int xh_xdp_attach(int prog_fd, int ifindex, struct xh_att *a)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	int err;

	att_init(a, XH_ATT_XDP, ifindex);
	err = att_link(a, prog_fd, BPF_XDP, &lo);
	if (err != -EINVAL && err != -EOPNOTSUPP && err != -524 /* ENOTSUPP */)
		return err;
	/* kernels without XDP links */
	err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
			     NULL);
	if (err)
		return err;
	a->used = true;
	a->legacy = true;
	return 0;
}

static void drop_fd(int fd, const char *pin)
{
	unlink(pin);
	bpf_link_detach(fd);
	close(fd);
}

int xh_xdp_take(int prog_fd, int ifindex, const char *pin, struct xh_att *a)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(pin), err;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else if (info.type != BPF_LINK_TYPE_XDP || (int)info.xdp.ifindex != ifindex)
		err = -EBADF;
	else
		err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
	if (err) {
		drop_fd(fd, pin);
		return err;
	}
	att_init(a, XH_ATT_XDP, ifindex);
	a->used = true;
	a->link_fd = fd;
	a->pin = pin;
	return 1;
}

int xh_xdp_keep(struct xh_att *a, const char *pin)
{
	if (!a->used || a->legacy || a->kind != XH_ATT_XDP)
		return -EINVAL;
	if (!a->pin && bpf_obj_pin(a->link_fd, pin))
		return -errno;
	close(a->link_fd);
	a->used = false;
	return 0;
}

void xh_xdp_drop(const char *pin)
{
	int fd = bpf_obj_get(pin);

	if (fd >= 0)
		drop_fd(fd, pin);
}

static int clsact_attach(int prog_fd, struct xh_att *a)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = prog_fd, .handle = XH_TC_HANDLE,
		    .priority = XH_TC_PRIO);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	a->hook_created = err == 0;
	err = bpf_tc_attach(&hook, &to);
	if (err) {
		if (a->hook_created)
			bpf_tc_hook_destroy(&hook);
		return err;
	}
	a->used = true;
	a->legacy = true;
	return 0;
}

static void clsact_detach(struct xh_att *a)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = XH_TC_HANDLE, .priority = XH_TC_PRIO);

	bpf_tc_detach(&hook, &to);
	if (a->hook_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
}

int xh_tc_attach(int prog_fd, int ifindex, const char *want, long long tcx_type,
		 struct xh_att *a)
{
	int err;

	att_init(a, XH_ATT_TC, ifindex);
	if (strcmp(want, "clsact") && tcx_type >= 0) {
		err = att_link(a, prog_fd, (enum bpf_attach_type)tcx_type, NULL);
		if (!err || !strcmp(want, "tcx"))
			return err;
	} else if (!strcmp(want, "tcx")) {
		return -EOPNOTSUPP;
	}
	return clsact_attach(prog_fd, a);
}

void xh_detach(struct xh_att *a)
{
	if (!a->used)
		return;
	if (a->pin) {	/* the pin holds the link too: detach it explicitly */
		unlink(a->pin);
		bpf_link_detach(a->link_fd);
		close(a->link_fd);
	} else if (!a->legacy)
		close(a->link_fd);
	else if (a->kind == XH_ATT_XDP)
		bpf_xdp_detach(a->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	else
		clsact_detach(a);
	a->used = false;
}

static int hwts_ioctl(const char *ifname, unsigned long req, struct hwtstamp_config *c)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)c;
	rc = ioctl(fd, req, &ifr) ? -errno : 0;
	close(fd);
	return rc;
}

/* Ask the NIC to timestamp every received frame (igc needs this). */
void hwts_enable(const char *ifname, struct hwts_state *h)
{
	struct hwtstamp_config c;

	memset(h, 0, sizeof(*h));
	memset(&c, 0, sizeof(c));
	if (hwts_ioctl(ifname, SIOCGHWTSTAMP, &c) == 0) {
		h->old = c;
		h->saved = true;
	}
	memset(&c, 0, sizeof(c));
	c.tx_type = h->saved ? h->old.tx_type : HWTSTAMP_TX_OFF;
	c.rx_filter = HWTSTAMP_FILTER_ALL;
	h->rc = hwts_ioctl(ifname, SIOCSHWTSTAMP, &c);
	h->set = h->rc == 0;
	h->rx_filter = h->set ? (int)c.rx_filter : -1;
}

void hwts_restore(const char *ifname, struct hwts_state *h)
{
	if (h->set && h->saved)
		hwts_ioctl(ifname, SIOCSHWTSTAMP, &h->old);
}

static struct bpf_map *rodata_cfg(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);

		if (n && strstr(n, ".rodata.cfg"))
			return m;
	}
	return NULL;
}

int xh_side_open(const char *path, const struct xh_cfg *cfg, int events_fd,
		 struct bpf_object **obj)
{
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_map *m;
	int err = libbpf_get_error(o);

	*obj = NULL;
	if (err)
		return err;
	*obj = o;
	m = rodata_cfg(o);
	if (!m || bpf_map__set_initial_value(m, cfg, sizeof(*cfg)))
		return -EINVAL;
	m = bpf_object__find_map_by_name(o, "events");
	if (!m || bpf_map__reuse_fd(m, events_fd))
		return -EINVAL;
	return 0;
}
