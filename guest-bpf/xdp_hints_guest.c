// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xdp-hints-guest: loads the xdp-hints BPF programs in the guest, attaches
 * them for one NIC and one path (mode), and streams what they observe as JSON
 * lines on stdout.
 *
 *   xdp-hints-guest probe [IFNAME...]
 *   xdp-hints-guest run --ifname IF [--mode pass|veth|cpumap|xsk|skb] [options]
 *   xdp-hints-guest abi
 *   xdp-hints-guest parse < hex-encoded frames, one per line
 *
 * See harness/guest_runner.py for the record schema; `--help` lists options.
 * Everything attached is a BPF link held by this process (XDP link, tcx
 * link) where the kernel offers one, so even a killed runner leaves nothing
 * attached; legacy fallbacks (netlink XDP attach, clsact) are undone on exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <linux/if_link.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "xh_util.h"

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

#define XH_VERSION "1"

static const char *const kfunc_names[] = {
	"bpf_xdp_metadata_rx_timestamp",
	"bpf_xdp_metadata_rx_hash",
	"bpf_xdp_metadata_rx_vlan_tag",
	"bpf_dynptr_from_skb_meta",
};
static const unsigned int kfunc_bits[] = {
	XH_KF_RX_TS, XH_KF_RX_HASH, XH_KF_RX_VLAN, XH_KF_DYNPTR_SKB_META,
};
#define N_KFUNCS (sizeof(kfunc_names) / sizeof(kfunc_names[0]))

static volatile sig_atomic_t stop_flag;
static bool verbose;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---------------------------------------------------------------- probing */

struct kprobe_info {
	bool btf;
	unsigned int kfuncs;		/* XH_KF_* */
	long long tcx_ingress;		/* enum value of BPF_TCX_INGRESS, or -1 */
};

static long long btf_enum_value(const struct btf *btf, const char *ename, const char *vname)
{
	int id = btf__find_by_name_kind(btf, ename, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;
	int i;

	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, (__u32)id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);

		if (n && !strcmp(n, vname))
			return e->val;
	}
	return -1;
}

static void probe_kernel(struct kprobe_info *ki)
{
	struct btf *btf = btf__load_vmlinux_btf();
	size_t i;

	memset(ki, 0, sizeof(*ki));
	ki->tcx_ingress = -1;
	if (!btf || libbpf_get_error(btf))
		return;
	ki->btf = true;
	for (i = 0; i < N_KFUNCS; i++)
		if (btf__find_by_name_kind(btf, kfunc_names[i], BTF_KIND_FUNC) > 0)
			ki->kfuncs |= kfunc_bits[i];
	ki->tcx_ingress = btf_enum_value(btf, "bpf_attach_type", "BPF_TCX_INGRESS");
	btf__free(btf);
}

static void jb_netdev(struct jbuf *j, const char *ifname)
{
	static const char *const xdp_feat[] = { "basic", "redirect", "ndo-xmit", "xsk-zerocopy",
						"hw-offload", "rx-sg", "ndo-xmit-sg" };
	static const char *const meta_feat[] = { "timestamp", "hash", "vlan-tag" };
	struct netdev_info ni;
	int ifindex = (int)if_nametoindex(ifname);
	int err;
	size_t i;
	bool first;

	jb_raw(j, "%s{", j->first ? "" : ",");
	j->first = true;
	jb_str(j, "ifname", ifname);
	jb_int(j, "ifindex", ifindex);
	if (!ifindex) {
		jb_str(j, "error", "no such interface");
		jb_raw(j, "}");
		j->first = false;
		return;
	}
	err = netdev_dev_get(ifindex, &ni);
	jb_bool(j, "netdev_genl", err == 0);
	if (err) {
		jb_str(j, "error", strerror(-err));
	} else {
		jb_uint(j, "xdp_features", ni.xdp_features);
		jb_key(j, "xdp_features_names");
		jb_raw(j, "[");
		for (i = 0, first = true; i < sizeof(xdp_feat) / sizeof(xdp_feat[0]); i++)
			if (ni.xdp_features & (1ULL << i)) {
				jb_raw(j, "%s\"%s\"", first ? "" : ",", xdp_feat[i]);
				first = false;
			}
		jb_raw(j, "]");
		if (ni.has_rx_meta_attr) {
			jb_uint(j, "xdp_rx_metadata_features", ni.xdp_rx_metadata_features);
			jb_key(j, "xdp_rx_metadata");
			jb_raw(j, "[");
			for (i = 0, first = true; i < 3; i++)
				if (ni.xdp_rx_metadata_features & (1ULL << i)) {
					jb_raw(j, "%s\"%s\"", first ? "" : ",", meta_feat[i]);
					first = false;
				}
			jb_raw(j, "]");
		} else {
			jb_null(j, "xdp_rx_metadata_features");
			jb_null(j, "xdp_rx_metadata");
		}
		if (ni.has_xsk_attr)
			jb_uint(j, "xsk_features", ni.xsk_features);
		else
			jb_null(j, "xsk_features");
		jb_uint(j, "xdp_zc_max_segs", ni.xdp_zc_max_segs);
	}
	jb_raw(j, "}");
	j->first = false;
}

static int cmd_probe(int argc, char **argv)
{
	struct kprobe_info ki;
	struct utsname u;
	struct jbuf *j = calloc(1, sizeof(*j));
	size_t i;
	int k;

	if (!j)
		return 1;
	probe_kernel(&ki);
	uname(&u);
	jb_begin(j);
	jb_str(j, "kernel", u.release);
	jb_str(j, "runner_version", XH_VERSION);
	jb_raw(j, ",\"libbpf\":\"%u.%u\"", libbpf_major_version(), libbpf_minor_version());
	jb_bool(j, "btf", ki.btf);
	jb_key(j, "kfuncs");
	jb_raw(j, "{");
	for (i = 0; i < N_KFUNCS; i++)
		jb_raw(j, "%s\"%s\":%s", i ? "," : "", kfunc_names[i],
		       (ki.kfuncs & kfunc_bits[i]) ? "true" : "false");
	jb_raw(j, "}");
	jb_bool(j, "tcx", ki.tcx_ingress >= 0);
	if (ki.tcx_ingress >= 0)
		jb_int(j, "tcx_ingress_attach_type", ki.tcx_ingress);
	else
		jb_null(j, "tcx_ingress_attach_type");
	jb_int(j, "possible_cpus", libbpf_num_possible_cpus());
	jb_key(j, "ifaces");
	jb_raw(j, "[");
	j->first = true;
	for (k = 0; k < argc; k++)
		jb_netdev(j, argv[k]);
	jb_raw(j, "]");
	j->first = false;
	jb_end_print(j);
	free(j);
	return 0;
}

/* Parse hex-encoded frames from stdin with the userspace twin of the BPF
 * parser (used by the AF_XDP reader); one JSON line per input line. */
static int cmd_parse(void)
{
	static char line[65536];
	static uint8_t frame[32768];

	while (fgets(line, sizeof(line), stdin)) {
		size_t n = 0, i, len = strcspn(line, "\r\n");
		struct xh_pkt p;
		struct jbuf j;
		int ok;

		for (i = 0; i + 1 < len && n < sizeof(frame); i += 2) {
			unsigned int b;

			if (sscanf(line + i, "%2x", &b) != 1)
				break;
			frame[n++] = (uint8_t)b;
		}
		ok = xh_parse_frame(frame, n, &p);
		jb_begin(&j);
		jb_bool(&j, "match", ok);
		jb_uint(&j, "id", p.id);
		jb_uint(&j, "pkt_flags", p.pkt_flags);
		jb_pkt(&j, &p);
		jb_end_print(&j);
	}
	return 0;
}

static int cmd_abi(void)
{
	struct jbuf j;

	jb_begin(&j);
	jb_str(&j, "runner_version", XH_VERSION);
	jb_uint(&j, "meta_size", sizeof(struct xh_meta));
	jb_uint(&j, "meta_magic", XH_META_MAGIC);
	jb_uint(&j, "meta_version", XH_META_VERSION);
	jb_uint(&j, "rec_size", sizeof(struct xh_rec));
	jb_uint(&j, "cfg_size", sizeof(struct xh_cfg));
	jb_str(&j, "pkt_magic", XH_PKT_MAGIC);
	jb_end_print(&j);
	return 0;
}

/* ------------------------------------------------------------------ run */

struct run_opts {
	const char *ifname;
	int ifindex;
	int mode;
	const char *obj_path;
	double duration;
	long count;
	const char *tc;		/* auto | tcx | clsact | none */
	bool xsk_zc;
	int queues;
	int cpumap_cpu;
	int cpumap_qsize;
	const char *veth;
	const char *veth_peer;
	bool hwtstamp;
	bool no_meta;			/* the NIC's XDP program writes no data_meta */
	unsigned int kfunc_disable;	/* XH_KF_* to treat as absent */
};

struct tc_att {
	bool used;
	bool clsact;
	bool hook_created;
	int link_fd;
	int ifindex;
	const char *where;
};

struct xdp_att {
	bool used;
	bool legacy;
	int link_fd;
	int ifindex;
	__u32 flags;
};

struct run_state {
	struct run_opts *o;
	int veth_ifindex;
	int veth_peer_ifindex;
	long records;
};

/*
 * Would the kernel take a device-bound program into a cpumap entry (and so let
 * a cpumap program call the RX metadata kfuncs)?  Loads "return XDP_PASS" bound
 * to @ifindex with expected_attach_type BPF_XDP_CPUMAP and offers it for entry
 * @key.  Returns 0 if accepted (the entry is removed again), else -errno: on
 * 6.3..7.2 bpf_prog_map_compatible() refuses dev-bound programs (-EINVAL).
 */
static int probe_cpumap_dev_bound(int ifindex, int cpumap_fd, __u32 key)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .prog_ifindex = (__u32)ifindex,
		    .prog_flags = BPF_F_XDP_DEV_BOUND_ONLY,
		    .expected_attach_type = BPF_XDP_CPUMAP);
	struct bpf_cpumap_val v = { .qsize = 16 };
	int fd, err;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_cpumap_probe", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &lo);
	if (fd < 0)
		return -errno;
	v.bpf_prog.fd = fd;
	err = bpf_map_update_elem(cpumap_fd, &key, &v, 0) ? -errno : 0;
	if (!err)
		bpf_map_delete_elem(cpumap_fd, &key);
	close(fd);
	return err;
}

static const char *mode_name(int mode)
{
	switch (mode) {
	case XH_MODE_PASS: return "pass";
	case XH_MODE_VETH: return "veth";
	case XH_MODE_CPUMAP: return "cpumap";
	case XH_MODE_XSK: return "xsk";
	case XH_MODE_SKB: return "skb";
	}
	return "?";
}

static const char *action_name(int act)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return act >= 0 && act <= 4 ? names[act] : "UNKNOWN";
}

static const char *point_name(const struct run_state *st, const struct xh_rec *r)
{
	switch (r->point) {
	case XH_PT_XDP: return "xdp";
	case XH_PT_VETH_XDP: return "veth_xdp";
	case XH_PT_CPUMAP: return "cpumap";
	case XH_PT_XSK: return "xsk";
	case XH_PT_TC:
		if (st->veth_peer_ifindex && (int)r->ifindex == st->veth_peer_ifindex)
			return "veth_skb";
		if (st->o->mode == XH_MODE_CPUMAP && (int)r->ifindex == st->o->ifindex)
			return "cpumap_skb";
		return "tc";
	}
	return "unknown";
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct run_state *st = ctx;
	const struct xh_rec *r = data;
	struct jbuf j;

	if (size < sizeof(*r))
		return 0;
	jb_begin(&j);
	jb_str(&j, "point", point_name(st, r));
	jb_uint(&j, "id", r->pkt.id);
	jb_uint(&j, "pkt_flags", r->pkt.pkt_flags);
	jb_uint(&j, "ifindex", r->ifindex);
	jb_uint(&j, "rx_queue", r->rx_queue);
	jb_uint(&j, "cpu", r->cpu);
	jb_uint(&j, "ktime_ns", r->ktime);
	jb_pkt(&j, &r->pkt);

	if (r->point == XH_PT_XDP || r->point == XH_PT_VETH_XDP) {
		jb_rc(&j, "rx_timestamp_rc", r->ts_rc);
		jb_uint(&j, "rx_timestamp", r->rx_ts);
		jb_rc(&j, "rx_hash_rc", r->hash_rc);
		jb_uint(&j, "rx_hash", r->rx_hash);
		jb_uint(&j, "rx_hash_type", r->rx_hash_type);
		jb_rc(&j, "rx_vlan_tag_rc", r->vlan_rc);
		jb_uint(&j, "rx_vlan_proto", r->vlan_proto);
		jb_uint(&j, "rx_vlan_tci", r->vlan_tci);
	}
	jb_int(&j, "meta_len", r->meta_len);
	if (r->point == XH_PT_XDP) {
		jb_int(&j, "adjust_meta_rc", r->adjust_meta_rc);
		jb_str(&j, "xdp_action", action_name(r->xdp_action));
	} else {
		jb_bool(&j, "meta_found", r->meta_found);
		jb_meta(&j, "meta", &r->meta, r->meta_found);
	}
	if (r->point == XH_PT_VETH_XDP || r->point == XH_PT_CPUMAP)
		jb_str(&j, "xdp_action", action_name(r->xdp_action));
	if (r->point == XH_PT_TC) {
		jb_uint(&j, "skb_hash", r->skb_hash);
		jb_bool(&j, "skb_vlan_present", r->skb_vlan_present);
		jb_uint(&j, "skb_vlan_tci", r->skb_vlan_tci);
		jb_uint(&j, "skb_vlan_proto", r->skb_vlan_proto);
		jb_uint(&j, "skb_tstamp", r->skb_tstamp);
		jb_uint(&j, "skb_hwtstamp", r->skb_hwtstamp);
		jb_rc(&j, "dynptr_rc", r->dynptr_rc);
		jb_rc(&j, "dynptr_read_rc", r->dynptr_read_rc);
		jb_bool(&j, "dynptr_meta_found", r->dynptr_meta_found);
		jb_meta(&j, "dynptr_meta", &r->dynptr_meta, r->dynptr_meta_found);
	}
	jb_end_print(&j);
	st->records++;
	return 0;
}

static int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_cmd(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "+ %s\n", cmd);
	rc = system(cmd);
	return rc == -1 ? -errno : WEXITSTATUS(rc);
}

static int xdp_attach(int prog_fd, int ifindex, struct xdp_att *a)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	int fd, err;

	memset(a, 0, sizeof(*a));
	a->ifindex = ifindex;
	a->link_fd = -1;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
	if (fd >= 0) {
		a->used = true;
		a->link_fd = fd;
		return 0;
	}
	err = -errno;
	if (err != -EINVAL && err != -EOPNOTSUPP && err != -524 /* ENOTSUPP */)
		return err;
	/* kernels without XDP links */
	a->flags = XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST;
	err = bpf_xdp_attach(ifindex, prog_fd, a->flags, NULL);
	if (err)
		return err;
	a->used = true;
	a->legacy = true;
	return 0;
}

static void xdp_detach(struct xdp_att *a)
{
	if (!a->used)
		return;
	if (a->legacy)
		bpf_xdp_detach(a->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	else
		close(a->link_fd);
	a->used = false;
}

static int tc_attach(int prog_fd, int ifindex, const char *want, long long tcx_type,
		     const char *where, struct tc_att *a)
{
	int fd, err;

	memset(a, 0, sizeof(*a));
	a->ifindex = ifindex;
	a->link_fd = -1;
	a->where = where;
	if (strcmp(want, "clsact") && tcx_type >= 0) {
		fd = bpf_link_create(prog_fd, ifindex, (enum bpf_attach_type)tcx_type, NULL);
		if (fd >= 0) {
			a->used = true;
			a->link_fd = fd;
			return 0;
		}
		err = -errno;
		if (!strcmp(want, "tcx"))
			return err;
	} else if (!strcmp(want, "tcx")) {
		return -EOPNOTSUPP;
	}
	{
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = prog_fd, .handle = 0x5848, .priority = 1);

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
	}
	a->used = true;
	a->clsact = true;
	return 0;
}

static void tc_detach(struct tc_att *a)
{
	if (!a->used)
		return;
	if (a->clsact) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = 0x5848, .priority = 1);

		bpf_tc_detach(&hook, &to);
		if (a->hook_created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
	} else {
		close(a->link_fd);
	}
	a->used = false;
}

struct hwts_state {
	bool saved;
	bool set;
	struct hwtstamp_config old;
	int rc;
	int rx_filter;
};

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
static void hwts_enable(const char *ifname, struct hwts_state *h)
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

static void hwts_restore(const char *ifname, struct hwts_state *h)
{
	if (h->set && h->saved)
		hwts_ioctl(ifname, SIOCSHWTSTAMP, &h->old);
}

static int count_rx_queues(const char *ifname)
{
	char path[PATH_MAX];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%d", ifname, n);
		if (access(path, F_OK))
			break;
		n++;
	}
	return n ? n : 1;
}

static void print_stats(struct bpf_object *obj)
{
	static const char *const pts[XH_PT_MAX] = { "", "xdp", "tc", "veth_xdp", "cpumap", "" };
	static const char *const cn[XH_ST_NR] = { "seen", "matched", "no_magic", "ringbuf_full",
						  "adjust_meta_fail", "redirect_fail" };
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "stats");
	struct jbuf j;
	int fd, p, c;

	if (!m || (fd = bpf_map__fd(m)) < 0)
		return;
	jb_begin(&j);
	jb_str(&j, "event", "stats");
	for (p = 1; p < XH_PT_MAX; p++) {
		if (!pts[p][0])
			continue;
		jb_key(&j, pts[p]);
		jb_raw(&j, "{");
		for (c = 0; c < XH_ST_NR; c++) {
			__u32 key = (__u32)(p * XH_ST_NR + c);
			__u64 v = 0;

			bpf_map_lookup_elem(fd, &key, &v);
			jb_raw(&j, "%s\"%s\":%llu", c ? "," : "", cn[c], (unsigned long long)v);
		}
		jb_raw(&j, "}");
	}
	jb_end_print(&j);
}

static struct bpf_map *find_map(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (m)
		return m;
	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);

		if (n && strstr(n, name))
			return m;
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_run(struct run_opts *o)
{
	struct run_state st = { .o = o };
	struct kprobe_info ki;
	struct bpf_object *obj = NULL;
	struct bpf_program *p_dev, *p_veth, *p_cpumap, *p_tc;
	struct bpf_map *m_cfg;
	struct ring_buffer *rb = NULL;
	struct xsk_set *xs = NULL;
	struct xdp_att xa_nic = {}, xa_veth = {};
	struct tc_att ta_nic = {}, ta_veth = {};
	struct hwts_state hw = {};
	struct xh_cfg cfg = {};
	bool dev_bound;
	int err = 0, rc = 1, ncpus, cpumap_probe_rc = XH_RC_NOT_CALLED;
	double t_end;
	struct jbuf j;

	probe_kernel(&ki);
	cfg.mode = (__u32)o->mode;
	if (o->no_meta)
		cfg.flags |= XH_CFG_NO_META;
	/*
	 * Programs containing calls to the RX metadata kfuncs must be
	 * device-bound: the verifier checks every kfunc call instruction, dead
	 * or not.  When the kernel has none of them (< 6.3), libbpf turns the
	 * calls into poisoned (dead) helper calls and the programs load as
	 * ordinary XDP programs (the dev-bound flag would be refused there).
	 * --disable-kfunc only skips calls at run time; binding still follows
	 * what the kernel has.
	 */
	dev_bound = (ki.kfuncs & (XH_KF_RX_TS | XH_KF_RX_HASH | XH_KF_RX_VLAN)) != 0;
	ki.kfuncs &= ~o->kfunc_disable;
	cfg.kfuncs = ki.kfuncs;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		ncpus = 1;
	if (o->cpumap_cpu < 0)
		o->cpumap_cpu = ncpus - 1;
	cfg.cpumap_key = (__u32)o->cpumap_cpu;

	if (o->mode == XH_MODE_VETH) {
		/*
		 * The pair is created once and then kept: deleting a netdev that
		 * has (or just had) a device-bound program bound to it hit a
		 * use-after-free in bpf_dev_bound_netdev_unregister on 6.18
		 * (oops with rtnl_lock held).  A leftover veth pair is harmless.
		 */
		if (!if_nametoindex(o->veth) &&
		    run_cmd("ip link add %s type veth peer name %s", o->veth, o->veth_peer)) {
			emit_error("veth", 0, "could not create veth pair %s/%s", o->veth,
				   o->veth_peer);
			goto out;
		}
		if (run_cmd("ip link set %s up", o->veth) ||
		    run_cmd("ip link set %s up", o->veth_peer)) {
			emit_error("veth", 0, "could not bring up veth pair %s/%s", o->veth,
				   o->veth_peer);
			goto out;
		}
		st.veth_ifindex = (int)if_nametoindex(o->veth);
		st.veth_peer_ifindex = (int)if_nametoindex(o->veth_peer);
	}

	obj = bpf_object__open_file(o->obj_path, NULL);
	err = libbpf_get_error(obj);
	if (err) {
		obj = NULL;
		emit_error("open", err, "cannot open BPF object %s", o->obj_path);
		goto out;
	}
	m_cfg = find_map(obj, ".rodata.cfg");
	if (!m_cfg || bpf_map__set_initial_value(m_cfg, &cfg, sizeof(cfg))) {
		emit_error("config", 0, "BPF object has no .rodata.cfg of the expected size");
		goto out;
	}
	bpf_map__set_max_entries(find_map(obj, "cpu_map"), (__u32)ncpus);

	p_dev = bpf_object__find_program_by_name(obj, "xh_xdp_dev");
	p_veth = bpf_object__find_program_by_name(obj, "xh_xdp_veth");
	p_cpumap = bpf_object__find_program_by_name(obj, "xh_xdp_cpumap");
	p_tc = bpf_object__find_program_by_name(obj, "xh_tc");
	if (!p_dev || !p_veth || !p_cpumap || !p_tc) {
		emit_error("open", 0, "BPF object lacks one of the xh_* programs");
		goto out;
	}
	if (o->mode == XH_MODE_SKB) {
		/* the baseline: what the driver puts in the skb without any XDP program */
		bpf_program__set_autoload(p_dev, false);
		if (!strcmp(o->tc, "none")) {
			emit_error("config", 0, "mode skb observes at TC ingress: --tc none leaves "
				   "nothing to observe");
			goto out;
		}
	} else if (dev_bound) {
		bpf_program__set_ifindex(p_dev, (__u32)o->ifindex);
		bpf_program__set_flags(p_dev,
				       bpf_program__flags(p_dev) | BPF_F_XDP_DEV_BOUND_ONLY);
	}
	if (o->mode == XH_MODE_VETH) {
		if (dev_bound) {
			bpf_program__set_ifindex(p_veth, (__u32)st.veth_peer_ifindex);
			bpf_program__set_flags(p_veth, bpf_program__flags(p_veth) |
						       BPF_F_XDP_DEV_BOUND_ONLY);
		}
	} else {
		bpf_program__set_autoload(p_veth, false);
	}
	if (o->mode != XH_MODE_CPUMAP)
		bpf_program__set_autoload(p_cpumap, false);
	if (!strcmp(o->tc, "none"))
		bpf_program__set_autoload(p_tc, false);

	err = bpf_object__load(obj);
	if (err) {
		emit_error("load", err, "loading the BPF object failed (verifier log on stderr)");
		goto out;
	}

	/* path-specific wiring before the NIC program goes live */
	if (o->mode == XH_MODE_VETH) {
		__u32 key = 0, val = (__u32)st.veth_ifindex;

		err = bpf_map_update_elem(bpf_map__fd(find_map(obj, "tx_port")), &key, &val, 0);
		if (err) {
			emit_error("devmap", -errno, "devmap entry for %s", o->veth);
			goto out;
		}
		err = xdp_attach(bpf_program__fd(p_veth), st.veth_peer_ifindex, &xa_veth);
		if (err) {
			emit_error("attach_veth_xdp", err, "XDP (native) on %s", o->veth_peer);
			goto out;
		}
		if (strcmp(o->tc, "none")) {
			err = tc_attach(bpf_program__fd(p_tc), st.veth_peer_ifindex, o->tc,
					ki.tcx_ingress, o->veth_peer, &ta_veth);
			if (err) {
				emit_error("attach_tc", err, "TC ingress on %s", o->veth_peer);
				goto out;
			}
		}
	} else if (o->mode == XH_MODE_CPUMAP) {
		struct bpf_cpumap_val v = { .qsize = (__u32)o->cpumap_qsize };
		__u32 key = (__u32)o->cpumap_cpu;

		v.bpf_prog.fd = bpf_program__fd(p_cpumap);
		err = bpf_map_update_elem(bpf_map__fd(find_map(obj, "cpu_map")), &key, &v, 0);
		if (err) {
			emit_error("cpumap", -errno, "cpumap entry for CPU %d", o->cpumap_cpu);
			goto out;
		}
		/* another CPU's entry, so the real one is never touched */
		if (ncpus > 1 && dev_bound)
			cpumap_probe_rc = probe_cpumap_dev_bound(
				o->ifindex, bpf_map__fd(find_map(obj, "cpu_map")),
				(__u32)((o->cpumap_cpu + 1) % ncpus));
	} else if (o->mode == XH_MODE_XSK) {
		if (o->queues <= 0)
			o->queues = count_rx_queues(o->ifname);
		xs = xsk_set_open(o->ifname, o->ifindex, o->queues, o->xsk_zc,
				  bpf_map__fd(find_map(obj, "xsks")));
		if (!xs)
			goto out;
	}

	if (strcmp(o->tc, "none")) {
		err = tc_attach(bpf_program__fd(p_tc), o->ifindex, o->tc, ki.tcx_ingress, o->ifname,
				&ta_nic);
		if (err) {
			emit_error("attach_tc", err, "TC ingress on %s", o->ifname);
			goto out;
		}
	}

	rb = ring_buffer__new(bpf_map__fd(find_map(obj, "events")), on_record, &st, NULL);
	if (!rb) {
		emit_error("ringbuf", -errno, "ring_buffer__new");
		goto out;
	}

	if (o->hwtstamp)
		hwts_enable(o->ifname, &hw);

	err = o->mode == XH_MODE_SKB ? 0 : xdp_attach(bpf_program__fd(p_dev), o->ifindex, &xa_nic);
	if (err) {
		emit_error("attach_xdp", err, "device-bound XDP (native) on %s", o->ifname);
		goto out;
	}

	jb_begin(&j);
	jb_str(&j, "event", "ready");
	jb_str(&j, "mode", mode_name(o->mode));
	jb_str(&j, "ifname", o->ifname);
	jb_int(&j, "ifindex", o->ifindex);
	jb_uint(&j, "kfuncs", ki.kfuncs);
	jb_key(&j, "kfuncs_present");
	jb_raw(&j, "{");
	for (size_t i = 0; i < N_KFUNCS; i++)
		jb_raw(&j, "%s\"%s\":%s", i ? "," : "", kfunc_names[i],
		       (ki.kfuncs & kfunc_bits[i]) ? "true" : "false");
	jb_raw(&j, "}");
	jb_str(&j, "xdp_attach", !xa_nic.used ? "none" : xa_nic.legacy ? "netlink" : "link");
	jb_bool(&j, "dev_bound", dev_bound);
	jb_str(&j, "tc_attach", !ta_nic.used ? "none" : ta_nic.clsact ? "clsact" : "tcx");
	if (o->mode == XH_MODE_VETH) {
		jb_str(&j, "veth", o->veth);
		jb_int(&j, "veth_ifindex", st.veth_ifindex);
		jb_str(&j, "veth_peer", o->veth_peer);
		jb_int(&j, "veth_peer_ifindex", st.veth_peer_ifindex);
	}
	if (o->mode == XH_MODE_CPUMAP) {
		jb_int(&j, "cpumap_cpu", o->cpumap_cpu);
		jb_int(&j, "cpumap_dev_bound_rc", cpumap_probe_rc);
	}
	if (o->mode == XH_MODE_XSK) {
		jb_int(&j, "xsk_queues", o->queues);
		jb_str(&j, "xsk_mode", o->xsk_zc ? "zerocopy" : "copy");
	}
	if (o->hwtstamp) {
		jb_int(&j, "hwtstamp_rc", hw.rc);
		jb_int(&j, "hwtstamp_rx_filter", hw.rx_filter);
	}
	jb_uint(&j, "meta_size", sizeof(struct xh_meta));
	jb_bool(&j, "meta_write", !o->no_meta);
	jb_str(&j, "runner_version", XH_VERSION);
	jb_end_print(&j);

	t_end = o->duration > 0 ? now_s() + o->duration : 0;
	while (!stop_flag) {
		struct pollfd pfd[1 + 64];
		int n = 0;

		pfd[n].fd = ring_buffer__epoll_fd(rb);
		pfd[n++].events = POLLIN;
		if (xs) {
			int fds[64], k, m = xsk_set_fds(xs, fds, 64);

			for (k = 0; k < m; k++) {
				pfd[n].fd = fds[k];
				pfd[n++].events = POLLIN;
			}
		}
		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR) {
			emit_error("poll", -errno, "poll");
			break;
		}
		ring_buffer__consume(rb);
		if (xs)
			st.records += xsk_set_poll(xs);
		if (o->count > 0 && st.records >= o->count)
			break;
		if (t_end > 0 && now_s() >= t_end)
			break;
	}
	ring_buffer__consume(rb);
	if (xs)
		st.records += xsk_set_poll(xs);
	rc = 0;

out:
	/* NIC program first, so nothing new enters the paths being torn down */
	xdp_detach(&xa_nic);
	if (obj && rc == 0)
		print_stats(obj);
	tc_detach(&ta_nic);
	xsk_set_close(xs);
	xdp_detach(&xa_veth);
	tc_detach(&ta_veth);
	if (o->hwtstamp)
		hwts_restore(o->ifname, &hw);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	emit_event("exit", "\"rc\":%d,\"records\":%ld", rc, st.records);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdp-hints-guest probe [IFNAME...]\n"
		"       xdp-hints-guest abi\n"
		"       xdp-hints-guest parse < hex-frames   (userspace frame parser, one JSON line each)\n"
		"       xdp-hints-guest run --ifname IF [options]\n"
		"run options:\n"
		"  --mode pass|veth|cpumap|xsk|skb  path after the NIC's XDP program (default pass);\n"
		"                                skb: no XDP program, TC ingress sees the driver's skb\n"
		"  --obj PATH                    BPF object (default: xdp_hints.bpf.o next to the binary)\n"
		"  --duration SEC                stop after SEC seconds (default: until SIGINT/SIGTERM)\n"
		"  --count N                     stop once at least N observation records were printed\n"
		"  --tc auto|tcx|clsact|none     TC ingress attach (default auto: tcx if present)\n"
		"  --xsk-mode copy|zerocopy      AF_XDP bind mode (default copy)\n"
		"  --queues N                    AF_XDP: bind queues 0..N-1 (default: all rx queues)\n"
		"  --cpumap-cpu N                cpumap target CPU (default: last CPU)\n"
		"  --cpumap-qsize N              cpumap queue size (default 512)\n"
		"  --veth NAME --veth-peer NAME  veth pair for mode veth (default xhv0/xhv1)\n"
		"  --no-hwtstamp                 do not request RX hardware timestamps (SIOCSHWTSTAMP)\n"
		"  --no-meta                     the NIC's XDP program still calls the kfuncs and records,\n"
		"                                but writes no data_meta (headroom left as the driver\n"
		"                                put it; xdp records: adjust_meta_rc 1 = not called)\n"
		"  --disable-kfunc NAME          treat a kfunc as absent (repeatable; rx_timestamp,\n"
		"                                rx_hash, rx_vlan_tag, dynptr_from_skb_meta or all)\n"
		"  -v, --verbose                 libbpf debug output on stderr\n");
}

static int parse_mode(const char *s)
{
	if (!strcmp(s, "pass"))
		return XH_MODE_PASS;
	if (!strcmp(s, "veth"))
		return XH_MODE_VETH;
	if (!strcmp(s, "cpumap"))
		return XH_MODE_CPUMAP;
	if (!strcmp(s, "xsk"))
		return XH_MODE_XSK;
	if (!strcmp(s, "skb"))
		return XH_MODE_SKB;
	return -1;
}

static char *default_obj(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash;

	if (n <= 0)
		return "xdp_hints.bpf.o";
	path[n] = 0;
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "xdp_hints.bpf.o");
	return path;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "obj", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "tc", required_argument, NULL, 't' },
		{ "xsk-mode", required_argument, NULL, 'x' },
		{ "queues", required_argument, NULL, 'q' },
		{ "cpumap-cpu", required_argument, NULL, 'C' },
		{ "cpumap-qsize", required_argument, NULL, 'Q' },
		{ "veth", required_argument, NULL, 'e' },
		{ "veth-peer", required_argument, NULL, 'p' },
		{ "no-hwtstamp", no_argument, NULL, 'H' },
		{ "no-meta", no_argument, NULL, 'M' },
		{ "disable-kfunc", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct run_opts o = {
		.mode = XH_MODE_PASS, .tc = "auto", .cpumap_cpu = -1, .cpumap_qsize = 512,
		.veth = "xhv0", .veth_peer = "xhv1", .hwtstamp = true,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	const char *cmd;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	libbpf_set_print(libbpf_print);
	if (!strcmp(cmd, "probe"))
		return cmd_probe(argc - 2, argv + 2);
	if (!strcmp(cmd, "abi"))
		return cmd_abi();
	if (!strcmp(cmd, "parse"))
		return cmd_parse();
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "run")) {
		usage(stderr);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "i:m:o:d:c:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 'm':
			o.mode = parse_mode(optarg);
			if (o.mode < 0) {
				fprintf(stderr, "unknown mode %s\n", optarg);
				return 2;
			}
			break;
		case 'o': o.obj_path = optarg; break;
		case 'd': o.duration = atof(optarg); break;
		case 'c': o.count = atol(optarg); break;
		case 't':
			if (strcmp(optarg, "auto") && strcmp(optarg, "tcx") &&
			    strcmp(optarg, "clsact") && strcmp(optarg, "none")) {
				fprintf(stderr, "--tc: auto|tcx|clsact|none\n");
				return 2;
			}
			o.tc = optarg;
			break;
		case 'x':
			if (!strcmp(optarg, "zerocopy") || !strcmp(optarg, "zc"))
				o.xsk_zc = true;
			else if (!strcmp(optarg, "copy"))
				o.xsk_zc = false;
			else {
				fprintf(stderr, "--xsk-mode: copy|zerocopy\n");
				return 2;
			}
			break;
		case 'q': o.queues = atoi(optarg); break;
		case 'C': o.cpumap_cpu = atoi(optarg); break;
		case 'Q': o.cpumap_qsize = atoi(optarg); break;
		case 'e': o.veth = optarg; break;
		case 'p': o.veth_peer = optarg; break;
		case 'H': o.hwtstamp = false; break;
		case 'M': o.no_meta = true; break;
		case 'K': {
			static const char *const short_names[] = { "rx_timestamp", "rx_hash",
								    "rx_vlan_tag",
								    "dynptr_from_skb_meta" };
			size_t k;
			bool found = !strcmp(optarg, "all");

			if (found)
				o.kfunc_disable = ~0U;
			for (k = 0; k < N_KFUNCS; k++)
				if (!strcmp(optarg, short_names[k]) || !strcmp(optarg, kfunc_names[k])) {
					o.kfunc_disable |= kfunc_bits[k];
					found = true;
				}
			if (!found) {
				fprintf(stderr, "--disable-kfunc: unknown kfunc %s\n", optarg);
				return 2;
			}
			break;
		}
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.ifname) {
		fprintf(stderr, "run: --ifname is required\n");
		return 2;
	}
	o.ifindex = (int)if_nametoindex(o.ifname);
	if (!o.ifindex) {
		emit_error("ifname", -ENODEV, "no interface %s", o.ifname);
		return 2;
	}
	if (!o.obj_path)
		o.obj_path = default_obj();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return do_run(&o);
}
