// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Minimal generic-netlink client for the "netdev" family (kernel 6.3+):
 * NETDEV_CMD_DEV_GET for one ifindex, returning xdp-features,
 * xdp-rx-metadata-features and xsk-features.  Numbers are defined here because
 * bookworm's linux-libc-dev (6.1) has no <linux/netdev.h>.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "xh_util.h"

#define XH_NETDEV_FAMILY_NAME			"netdev"
#define XH_NETDEV_CMD_DEV_GET			1
#define XH_NETDEV_A_DEV_IFINDEX			1
#define XH_NETDEV_A_DEV_XDP_FEATURES		3
#define XH_NETDEV_A_DEV_XDP_ZC_MAX_SEGS		4
#define XH_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES 5
#define XH_NETDEV_A_DEV_XSK_FEATURES		6

struct nlreq {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[256];
};

static void put_attr(struct nlreq *r, unsigned short type, const void *data, unsigned short len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Sends r and receives one reply into buf; returns its length or -errno. */
static int transact(int fd, struct nlreq *r, char *buf, size_t size)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nh;
	ssize_t n;

	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	n = recv(fd, buf, size, 0);
	if (n < 0)
		return -errno;
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (unsigned int)n))
		return -EPROTO;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);

		return e->error ? e->error : -ENODATA;
	}
	return (int)n;
}

#define FOR_ATTRS(a, nh)							\
	for (a = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);	\
	     (char *)a + NLA_HDRLEN <= (char *)(nh) + (nh)->nlmsg_len &&	\
	     a->nla_len >= NLA_HDRLEN;						\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static int family_id(int fd, const char *name)
{
	struct nlreq r = {};
	char buf[4096];
	struct nlattr *a;
	struct nlmsghdr *nh;
	int n;

	r.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r.nh.nlmsg_type = GENL_ID_CTRL;
	r.nh.nlmsg_flags = NLM_F_REQUEST;
	r.nh.nlmsg_seq = 1;
	r.gh.cmd = CTRL_CMD_GETFAMILY;
	r.gh.version = 1;
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, name, (unsigned short)(strlen(name) + 1));
	n = transact(fd, &r, buf, sizeof(buf));
	if (n < 0)
		return n;
	nh = (struct nlmsghdr *)buf;
	FOR_ATTRS(a, nh) {
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			return *(unsigned short *)((char *)a + NLA_HDRLEN);
	}
	return -ENOENT;
}

int netdev_dev_get(int ifindex, struct netdev_info *out)
{
	struct nlreq r = {};
	char buf[4096];
	struct nlmsghdr *nh;
	struct nlattr *a;
	unsigned int idx = (unsigned int)ifindex;
	int fd, fam, n;

	memset(out, 0, sizeof(*out));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	fam = family_id(fd, XH_NETDEV_FAMILY_NAME);
	if (fam < 0) {
		close(fd);
		return fam;
	}
	r.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r.nh.nlmsg_type = (unsigned short)fam;
	r.nh.nlmsg_flags = NLM_F_REQUEST;
	r.nh.nlmsg_seq = 2;
	r.gh.cmd = XH_NETDEV_CMD_DEV_GET;
	r.gh.version = 1;
	put_attr(&r, XH_NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	n = transact(fd, &r, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return n;
	nh = (struct nlmsghdr *)buf;
	FOR_ATTRS(a, nh) {
		void *d = (char *)a + NLA_HDRLEN;
		uint64_t v64 = 0;

		if (a->nla_len >= NLA_HDRLEN + 8)
			memcpy(&v64, d, 8);
		switch (a->nla_type & NLA_TYPE_MASK) {
		case XH_NETDEV_A_DEV_XDP_FEATURES:
			out->xdp_features = v64;
			break;
		case XH_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES:
			out->xdp_rx_metadata_features = v64;
			out->has_rx_meta_attr = 1;
			break;
		case XH_NETDEV_A_DEV_XSK_FEATURES:
			out->xsk_features = v64;
			out->has_xsk_attr = 1;
			break;
		case XH_NETDEV_A_DEV_XDP_ZC_MAX_SEGS:
			memcpy(&out->xdp_zc_max_segs, d, 4);
			break;
		}
	}
	out->ok = 1;
	return 0;
}
