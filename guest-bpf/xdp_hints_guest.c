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
 * See harness/guest/records.py for the record schema; `--help` lists options.
 * Everything attached is a BPF link held by this process (XDP link, tcx
 * link) where the kernel offers one, so even a killed runner leaves nothing
 * attached; legacy fallbacks (netlink XDP attach, clsact) are undone on exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "xh_attach.h"
#include "xh_hex.h"
#include "xh_kbtf.h"
#include "xh_opts.h"
#include "xh_tc_helpers.h"
#include "xh_tch.h"
#include "xh_stacked.h"
#include "xh_stk.h"
#include "xh_meta_sweep.h"
#include "xh_meta_tlv.h"
#include "xh_store.h"
#include "xh_user.h"
#include "xh_util.h"

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

#define XH_VERSION "1"

static volatile sig_atomic_t stop_flag;
static bool verbose;
static bool timing;	/* XH_TIMING set: steps and libbpf's messages timestamped on stderr */
static double t_start;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* XH_TIMING: "xh-timing <ms since main> <step>" on stderr */
static void tmark(const char *step)
{
	if (timing)
		fprintf(stderr, "xh-timing %8.1f %s\n", (now_s() - t_start) * 1e3, step);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (timing)
		fprintf(stderr, "xh-timing %8.1f libbpf: ", (now_s() - t_start) * 1e3);
	else if (level == LIBBPF_DEBUG && !verbose)
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

static void probe_kernel_btf(struct kprobe_info *ki)
{
	struct btf *btf = btf__load_vmlinux_btf();
	size_t i;

	memset(ki, 0, sizeof(*ki));
	ki->tcx_ingress = -1;
	if (!btf || libbpf_get_error(btf))
		return;
	ki->btf = true;
	for (i = 0; i < XH_N_KFUNCS; i++)
		if (btf__find_by_name_kind(btf, xh_kfuncs[i].name, BTF_KIND_FUNC) > 0)
			ki->kfuncs |= xh_kfuncs[i].bit;
	ki->tcx_ingress = btf_enum_value(btf, "bpf_attach_type", "BPF_TCX_INGRESS");
	if (!getenv("XH_FULL_BTF"))
		xh_kbtf_write(btf, XH_KBTF_PATH);	/* best effort: without it, the full BTF */
	btf__free(btf);
}

/*
 * The kernel probe parses the whole vmlinux BTF (the largest share of a run's
 * start-up under TCG; libbpf parses it once more to load).  Its result cannot
 * change within a boot, so the first probe keeps it in XH_KPROBE_CACHE, keyed
 * by the boot id and the kfunc table; later runs of the same boot read it.
 */
#define XH_KPROBE_CACHE "/run/xdp-hints-guest.kprobe"

/* "<boot id> <hash of the kfunc table>": what a cached probe must match */
static bool kprobe_key(char *key, size_t n)
{
	unsigned long h = 5381;
	char boot[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	size_t i;
	const char *c;

	if (!f)
		return false;
	if (!fgets(boot, sizeof(boot), f))
		boot[0] = 0;
	fclose(f);
	boot[strcspn(boot, "\n")] = 0;
	if (!boot[0])
		return false;
	for (i = 0; i < XH_N_KFUNCS; i++)
		for (c = xh_kfuncs[i].name; *c; c++)
			h = h * 33 + (unsigned char)*c + xh_kfuncs[i].bit;
	snprintf(key, n, "%s %lx", boot, h);
	return true;
}

/* A probe that finds none cached holds this lock while it parses, so a runner
 * started meanwhile (the harness starts one held while it probes) waits and
 * reads the cache instead of parsing the BTF a second time. */
#define XH_KPROBE_LOCK XH_KPROBE_CACHE ".lock"

static void probe_kernel_cached(struct kprobe_info *ki);

static void probe_kernel(struct kprobe_info *ki)
{
	int lk = open(XH_KPROBE_LOCK, O_CREAT | O_RDWR | O_CLOEXEC, 0600);

	if (lk >= 0 && flock(lk, LOCK_EX)) {
		close(lk);
		lk = -1;
	}
	probe_kernel_cached(ki);
	if (lk >= 0)
		close(lk);	/* unlocks */
}

static void probe_kernel_cached(struct kprobe_info *ki)
{
	char key[128], line[256], tmp[sizeof(XH_KPROBE_CACHE) + 16];
	bool keyed = kprobe_key(key, sizeof(key));
	size_t kl = strlen(key);
	int btf;
	FILE *f;

	if (keyed && (f = fopen(XH_KPROBE_CACHE, "r"))) {
		bool hit = fgets(line, sizeof(line), f) && !strncmp(line, key, kl) &&
			   line[kl] == ' ' &&
			   sscanf(line + kl, " %d %u %lld", &btf, &ki->kfuncs,
				  &ki->tcx_ingress) == 3;

		fclose(f);
		if (hit) {
			ki->btf = btf;
			return;
		}
	}
	probe_kernel_btf(ki);
	if (!keyed || !ki->btf)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d", XH_KPROBE_CACHE, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s %d %u %lld\n", key, ki->btf, ki->kfuncs, ki->tcx_ingress);
	if (fclose(f) || rename(tmp, XH_KPROBE_CACHE))
		unlink(tmp);
}

/* {"<kfunc>":true|false,...} for the XH_KF_* bits in @kfuncs */
static void jb_kfuncs(struct jbuf *j, const char *key, unsigned int kfuncs)
{
	size_t i;

	jb_key(j, key);
	jb_raw(j, "{");
	for (i = 0; i < XH_N_KFUNCS; i++)
		jb_raw(j, "%s\"%s\":%s", i ? "," : "", xh_kfuncs[i].name,
		       (kfuncs & xh_kfuncs[i].bit) ? "true" : "false");
	jb_raw(j, "}");
}

/* ["name",...] for the bits set in @bits, bit i named names[i] */
static void jb_bit_names(struct jbuf *j, const char *key, unsigned long long bits,
			 const char *const *names, size_t n)
{
	bool first = true;
	size_t i;

	jb_key(j, key);
	jb_raw(j, "[");
	for (i = 0; i < n; i++)
		if (bits & (1ULL << i)) {
			jb_raw(j, "%s\"%s\"", first ? "" : ",", names[i]);
			first = false;
		}
	jb_raw(j, "]");
}

static void jb_netdev(struct jbuf *j, const char *ifname)
{
	static const char *const xdp_feat[] = { "basic", "redirect", "ndo-xmit", "xsk-zerocopy",
						"hw-offload", "rx-sg", "ndo-xmit-sg" };
	static const char *const meta_feat[] = { "timestamp", "hash", "vlan-tag" };
	struct netdev_info ni;
	int ifindex = (int)if_nametoindex(ifname);
	int err;

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
		jb_bit_names(j, "xdp_features_names", ni.xdp_features, xdp_feat,
			     sizeof(xdp_feat) / sizeof(xdp_feat[0]));
		if (ni.has_rx_meta_attr) {
			jb_uint(j, "xdp_rx_metadata_features", ni.xdp_rx_metadata_features);
			jb_bit_names(j, "xdp_rx_metadata", ni.xdp_rx_metadata_features, meta_feat,
				     sizeof(meta_feat) / sizeof(meta_feat[0]));
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
	jb_kfuncs(j, "kfuncs", ki.kfuncs);
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
		int n = xh_unhex(line, strcspn(line, "\r\n"), frame, sizeof(frame));
		struct xh_pkt p;
		struct jbuf j;
		int ok;

		ok = xh_parse_frame(frame, n > 0 ? (size_t)n : 0, &p);
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

/* One `run`: what was probed and decided, what is loaded and attached. */
struct run_state {
	struct run_opts *o;
	struct kprobe_info ki;		/* kfuncs: present minus --disable-kfunc */
	struct xh_cfg cfg;		/* .rodata.cfg of the programs */
	bool dev_bound;
	bool kbtf_ok;	/* every kfunc our objects declare is in vmlinux BTF (xh_kbtf.h) */
	int ncpus;
	int veth_ifindex;
	int veth_peer_ifindex;
	int cpumap_probe_rc;
	struct bpf_object *obj;
	struct bpf_program *p_dev, *p_veth, *p_cpumap, *p_tc;
	struct bpf_object *uobj;		/* --xdp-obj: the user's object */
	struct bpf_program *u_xdp, *u_tc;	/*   its programs on the NIC */
	struct ring_buffer *rb;
	struct xsk_set *xs;
	struct xh_att xa_nic, xa_veth;	/* XDP on the NIC, on the veth peer */
	struct xh_att ta_nic, ta_veth;	/* TC ingress on the NIC, on the veth peer */
	struct xh_tch tch;		/* --tc-chain on the NIC */
	struct xh_stk stk;		/* --upper-obj on the upper devices */
	struct hwts_state hw;
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

static const char *action_name(int act)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return act >= 0 && act <= 4 ? names[act] : "UNKNOWN";
}

static const char *point_name(const struct run_state *st, const struct xh_rec *r)
{
	switch (r->point) {
	case XH_PT_XDP: return "xdp";
	case XH_PT_XDP_LATE: return "xdp_late";
	case XH_PT_VETH_XDP: return "veth_xdp";
	case XH_PT_CPUMAP: return "cpumap";
	case XH_PT_XSK: return "xsk";
	case XH_PT_TCH: return "tc_helper";
	case XH_PT_STACKED: return "stacked";
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

	if (r->point == XH_PT_XDP || r->point == XH_PT_XDP_LATE || r->point == XH_PT_VETH_XDP) {
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
	if (r->point == XH_PT_XDP || r->point == XH_PT_XDP_LATE) {
		jb_int(&j, "adjust_meta_rc", r->adjust_meta_rc);
		jb_str(&j, "xdp_action", action_name(r->xdp_action));
	} else {
		jb_bool(&j, "meta_found", r->meta_found);
		jb_meta(&j, "meta", &r->meta, r->meta_found);
	}
	if (r->point == XH_PT_VETH_XDP || r->point == XH_PT_CPUMAP)
		jb_str(&j, "xdp_action", action_name(r->xdp_action));
	if ((st->cfg.flags & XH_CFG_META_TLV) && r->point != XH_PT_XDP) {
		if (r->meta_len >= XH_TLV_AREA)
			jb_hex(&j, "meta_raw", &r->meta, XH_TLV_AREA);
		else
			jb_null(&j, "meta_raw");
		if (r->point == XH_PT_TC) {
			if (r->dynptr_read_rc == 0)
				jb_hex(&j, "dynptr_raw", &r->dynptr_meta, XH_TLV_AREA);
			else
				jb_null(&j, "dynptr_raw");
		}
	}
	if (r->point == XH_PT_TCH)
		xh_tch_keys(&j, data, size);
	if (r->point == XH_PT_STACKED)
		xh_stk_keys(&j, data, size);
	if (r->point == XH_PT_TC || r->point == XH_PT_TCH || r->point == XH_PT_STACKED) {
		jb_uint(&j, "skb_hash", r->skb_hash);
		jb_bool(&j, "skb_vlan_present", r->skb_vlan_present);
		jb_uint(&j, "skb_vlan_tci", r->skb_vlan_tci);
		jb_uint(&j, "skb_vlan_proto", r->skb_vlan_proto);
		jb_uint(&j, "skb_tstamp", r->skb_tstamp);
		jb_uint(&j, "skb_hwtstamp", r->skb_hwtstamp);
		jb_int(&j, "skb_csum_level", r->skb_csum_level);
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

/* "store_rc": per store kfunc, [calls returning 0, calls failing, the last error] */
static void print_store_rc(struct bpf_object *obj, struct jbuf *j)
{
	static const char *const names[XH_STORE_N_KFUNCS] = {
		"bpf_xdp_store_rx_hash", "bpf_xdp_store_rx_vlan", "bpf_xdp_store_rx_ts" };
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "store_rc");
	int fd, k, c;

	if (!m || (fd = bpf_map__fd(m)) < 0)
		return;
	jb_key(j, "store_rc");
	jb_raw(j, "{");
	for (k = 0; k < XH_STORE_N_KFUNCS; k++) {
		jb_raw(j, "%s\"%s\":[", k ? "," : "", names[k]);
		for (c = 0; c < XH_STORE_RC_NR; c++) {
			__u32 key = (__u32)(k * XH_STORE_RC_NR + c);
			long long v = 0;

			bpf_map_lookup_elem(fd, &key, &v);
			jb_raw(j, "%s%lld", c ? "," : "", v);
		}
		jb_raw(j, "]");
	}
	jb_raw(j, "}");
}

static void print_stats(struct bpf_object *obj, bool store)
{
	static const char *const pts[XH_PT_MAX] = { "", "xdp", "tc", "veth_xdp", "cpumap", "", "" };
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
		if (!pts[p] || !pts[p][0])
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
	if (store)
		print_store_rc(obj, &j);
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

/*
 * `run` in steps: setup (kernel probe, config, veth pair), load (open, pick
 * and bind the programs, load), wire (the mode's maps and peers), attach (TC,
 * ring buffer, hwtstamp, then the NIC's XDP program), ready, poll, teardown.
 * Each step returns 0 or emits its error event and returns -1.
 */

/* What each mode adds to the common steps; NULL: nothing. */
struct mode_ops {
	int (*setup)(struct run_state *st);	/* before the object is opened */
	int (*wire)(struct run_state *st);	/* after load, before the NIC program goes live */
	void (*ready)(const struct run_state *st, struct jbuf *j);	/* its ready fields */
};

static void run_setup(struct run_state *st)
{
	struct run_opts *o = st->o;
	struct kprobe_info *ki = &st->ki;

	tmark("setup");
	probe_kernel(ki);
	tmark("probe_kernel done");
	st->cfg.mode = (__u32)o->mode;
	if (o->no_meta)
		st->cfg.flags |= XH_CFG_NO_META;
	if (o->meta_sweep)
		st->cfg.flags |= XH_CFG_META_SWEEP;
	if (o->meta_tlv)
		st->cfg.flags |= XH_CFG_META_TLV;
	if (o->late_hints)
		st->cfg.flags |= XH_CFG_LATE_HINTS;
	if (o->store)
		st->cfg.flags |= XH_CFG_STORE;
	if (o->upper_obj)
		st->cfg.flags |= XH_CFG_ENCAP;
	/*
	 * Programs containing calls to the RX metadata kfuncs must be
	 * device-bound: the verifier checks every kfunc call instruction, dead
	 * or not.  When the kernel has none of them (< 6.3), libbpf turns the
	 * calls into poisoned (dead) helper calls and the programs load as
	 * ordinary XDP programs (the dev-bound flag would be refused there).
	 * --disable-kfunc only skips calls at run time; binding still follows
	 * what the kernel has.
	 */
	st->dev_bound = (ki->kfuncs & (XH_KF_RX_TS | XH_KF_RX_HASH | XH_KF_RX_VLAN)) != 0;
	/*
	 * A kfunc extern missing from vmlinux makes libbpf search every module's BTF,
	 * which is split BTF on top of vmlinux's: it does not parse on top of the
	 * kfunc index.  So the index only where the kernel has all of ours.
	 */
	st->kbtf_ok = (ki->kfuncs & XH_KF_OBJECT_EXTERNS) == XH_KF_OBJECT_EXTERNS &&
		      (!o->store || (ki->kfuncs & XH_KF_STORE_ALL) == XH_KF_STORE_ALL);
	ki->kfuncs &= ~o->kfunc_disable;
	st->cfg.kfuncs = ki->kfuncs;
	st->ncpus = libbpf_num_possible_cpus();
	if (st->ncpus <= 0)
		st->ncpus = 1;
	if (o->cpumap_cpu < 0)
		o->cpumap_cpu = st->ncpus - 1;
	st->cfg.cpumap_key = (__u32)o->cpumap_cpu;
}

/* Which programs load for this mode, and which are device-bound to what. */
static int pick_programs(struct run_state *st)
{
	struct run_opts *o = st->o;

	if (o->store && (st->cfg.kfuncs & XH_KF_STORE_ALL) != XH_KF_STORE_ALL) {
		emit_error("config", -EOPNOTSUPP, "--store: the kernel's BTF lacks the "
			   "bpf_xdp_store_rx_* kfuncs (XDP_REDIRECT RX hints series)");
		return -1;
	}
	if (o->mode == XH_MODE_SKB) {
		/* the baseline: what the driver puts in the skb without any XDP program */
		bpf_program__set_autoload(st->p_dev, false);
		if (!strcmp(o->tc, "none")) {
			emit_error("config", 0, "mode skb observes at TC ingress: --tc none leaves "
				   "nothing to observe");
			return -1;
		}
	} else if (st->dev_bound) {
		xh_bind_to_dev(st->p_dev, o->ifindex);
	}
	if (o->mode != XH_MODE_VETH)
		bpf_program__set_autoload(st->p_veth, false);
	else if (st->dev_bound)
		xh_bind_to_dev(st->p_veth, st->veth_peer_ifindex);
	if (o->mode != XH_MODE_CPUMAP)
		bpf_program__set_autoload(st->p_cpumap, false);
	if (!strcmp(o->tc, "none") || o->tc_prog)
		bpf_program__set_autoload(st->p_tc, false);
	if (o->xdp_obj)
		bpf_program__set_autoload(st->p_dev, false);
	return 0;
}

/* Open the object, configure it, pick its programs and load them: 0, 1 (an error,
 * emitted) or bpf_object__load's -errno (not emitted: the caller may retry). */
static int open_and_load(struct run_state *st)
{
	struct run_opts *o = st->o;
	struct bpf_map *m_cfg;
	int err;

	st->obj = bpf_object__open_file(o->obj_path, NULL);
	err = libbpf_get_error(st->obj);
	if (err) {
		st->obj = NULL;
		emit_error("open", err, "cannot open BPF object %s", o->obj_path);
		return 1;
	}
	m_cfg = find_map(st->obj, ".rodata.cfg");
	if (!m_cfg || bpf_map__set_initial_value(m_cfg, &st->cfg, sizeof(st->cfg))) {
		emit_error("config", 0, "BPF object has no .rodata.cfg of the expected size");
		return 1;
	}
	bpf_map__set_max_entries(find_map(st->obj, "cpu_map"), (__u32)st->ncpus);

	st->p_dev = bpf_object__find_program_by_name(st->obj, "xh_xdp_dev");
	st->p_veth = bpf_object__find_program_by_name(st->obj, "xh_xdp_veth");
	st->p_cpumap = bpf_object__find_program_by_name(st->obj, "xh_xdp_cpumap");
	st->p_tc = bpf_object__find_program_by_name(st->obj, "xh_tc");
	if (!st->p_dev || !st->p_veth || !st->p_cpumap || !st->p_tc) {
		emit_error("open", 0, "BPF object lacks one of the xh_* programs");
		return 1;
	}
	if (pick_programs(st))
		return 1;
	if (getenv("XH_VSTATS")) {	/* verifier statistics (bench/runner_profile.py --vstats) */
		struct bpf_program *p;

		bpf_object__for_each_program(p, st->obj)
			bpf_program__set_log_level(p, 4);
	}
	tmark("open done, load");
	err = bpf_object__load(st->obj);
	tmark("load done");
	return err;
}

static int run_load(struct run_state *st)
{
	struct run_opts *o = st->o;
	bool kbtf = st->kbtf_ok && xh_kbtf_use(XH_KBTF_PATH);
	int err;

	err = open_and_load(st);
	if (err > 0)
		return -1;
	if (err == -ESRCH && kbtf) {
		/* not expected: the kfunc index lacked a kfunc or ksym the object uses */
		fprintf(stderr, "xdp-hints-guest: load failed (%d) with the kfunc index "
			"%s, again with the kernel's BTF\n", err, XH_KBTF_PATH);
		bpf_object__close(st->obj);
		st->obj = NULL;
		xh_kbtf_drop();
		err = open_and_load(st);
		if (err > 0)
			return -1;
	}
	if (err) {
		emit_error("load", err, "loading the BPF object failed (verifier log on stderr)");
		return -1;
	}
	if (o->xdp_obj) {
		xh_kbtf_drop();	/* a user's object may have CO-RE relocations: the real BTF */
		st->uobj = xh_user_open(o, st->obj, &st->cfg, sizeof(st->cfg),
					st->dev_bound && o->xdp_dev_bound ? o->ifindex : 0,
					&st->u_xdp, &st->u_tc);
		if (!st->uobj)
			return -1;
	}
	/* the TC helper chain loads here (a held run: before it is released), attaches later */
	if (o->tc_chain) {
		err = xh_tch_load(&st->tch, o->tc_chain, &st->cfg,
				  bpf_map__fd(find_map(st->obj, "events")));
		if (err) {
			emit_error(st->tch.stage, err, "TC helper chain %s on %s", o->tc_chain,
				   o->ifname);
			return -1;
		}
		tmark("tc chain loaded");
	}
	if (o->upper_obj) {	/* likewise the stacked-device reader */
		err = xh_stk_load(&st->stk, o->upper_obj, &st->cfg,
				  bpf_map__fd(find_map(st->obj, "events")));
		if (err) {
			emit_error(st->stk.stage, err, "stacked-device reader %s", o->upper_obj);
			return -1;
		}
		tmark("upper reader loaded");
	}
	return 0;
}

/* TC ingress on @ifindex unless --tc none */
static int attach_tc(struct run_state *st, struct bpf_program *p, int ifindex,
		     const char *ifname, struct xh_att *a)
{
	int err;

	if (!strcmp(st->o->tc, "none"))
		return 0;
	err = xh_tc_attach(bpf_program__fd(p), ifindex, st->o->tc, st->ki.tcx_ingress, a);
	if (err) {
		emit_error("attach_tc", err, "TC ingress on %s", ifname);
		return -1;
	}
	return 0;
}

/* ---- mode veth: devmap -> veth pair, XDP + TC on the peer */

/* `ip link set @ifname up` without a shell and an ip process (SIOCSIFFLAGS) */
static int xh_link_up(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr) ? -1 : 0;
	}
	close(fd);
	return rc;
}

static int veth_setup(struct run_state *st)
{
	struct run_opts *o = st->o;

	/*
	 * The pair is created once and then kept: deleting a netdev that
	 * has (or just had) a device-bound program bound to it hit a
	 * use-after-free in bpf_dev_bound_netdev_unregister on 6.18
	 * (oops with rtnl_lock held).  A leftover veth pair is harmless.
	 */
	if (!if_nametoindex(o->veth) &&
	    run_cmd("ip link add %s type veth peer name %s", o->veth, o->veth_peer)) {
		emit_error("veth", 0, "could not create veth pair %s/%s", o->veth, o->veth_peer);
		return -1;
	}
	if (xh_link_up(o->veth) || xh_link_up(o->veth_peer)) {
		emit_error("veth", 0, "could not bring up veth pair %s/%s", o->veth, o->veth_peer);
		return -1;
	}
	st->veth_ifindex = (int)if_nametoindex(o->veth);
	st->veth_peer_ifindex = (int)if_nametoindex(o->veth_peer);
	return 0;
}

static int veth_wire(struct run_state *st)
{
	struct run_opts *o = st->o;
	__u32 key = 0, val = (__u32)st->veth_ifindex;
	int err;

	err = bpf_map_update_elem(bpf_map__fd(find_map(st->obj, "tx_port")), &key, &val, 0);
	if (err) {
		emit_error("devmap", -errno, "devmap entry for %s", o->veth);
		return -1;
	}
	err = xh_xdp_attach(bpf_program__fd(st->p_veth), st->veth_peer_ifindex, &st->xa_veth);
	if (err) {
		emit_error("attach_veth_xdp", err, "XDP (native) on %s", o->veth_peer);
		return -1;
	}
	return attach_tc(st, st->p_tc, st->veth_peer_ifindex, o->veth_peer, &st->ta_veth);
}

static void veth_ready(const struct run_state *st, struct jbuf *j)
{
	jb_str(j, "veth", st->o->veth);
	jb_int(j, "veth_ifindex", st->veth_ifindex);
	jb_str(j, "veth_peer", st->o->veth_peer);
	jb_int(j, "veth_peer_ifindex", st->veth_peer_ifindex);
}

/* ---- mode cpumap: the entry for the target CPU runs xh_xdp_cpumap */

static int cpumap_wire(struct run_state *st)
{
	struct run_opts *o = st->o;
	struct bpf_cpumap_val v = { .qsize = (__u32)o->cpumap_qsize };
	__u32 key = (__u32)o->cpumap_cpu;
	int fd = bpf_map__fd(find_map(st->obj, "cpu_map"));

	v.bpf_prog.fd = bpf_program__fd(st->p_cpumap);
	if (bpf_map_update_elem(fd, &key, &v, 0)) {
		emit_error("cpumap", -errno, "cpumap entry for CPU %d", o->cpumap_cpu);
		return -1;
	}
	/* another CPU's entry, so the real one is never touched */
	if (st->ncpus > 1 && st->dev_bound)
		st->cpumap_probe_rc = probe_cpumap_dev_bound(
			o->ifindex, fd, (__u32)((o->cpumap_cpu + 1) % st->ncpus));
	tmark("cpumap wired+probed");
	return 0;
}

static void cpumap_ready(const struct run_state *st, struct jbuf *j)
{
	jb_int(j, "cpumap_cpu", st->o->cpumap_cpu);
	jb_int(j, "cpumap_dev_bound_rc", st->cpumap_probe_rc);
}

/* ---- mode xsk: one AF_XDP socket per rx queue in the XSKMAP */

static int xsk_wire(struct run_state *st)
{
	struct run_opts *o = st->o;

	if (o->queues <= 0)
		o->queues = count_rx_queues(o->ifname);
	st->xs = xsk_set_open(o->ifname, o->ifindex, o->queues, o->xsk_zc,
			      bpf_map__fd(find_map(st->obj, "xsks")));
	xsk_set_meta_format(st->xs, o->meta_tlv, o->meta_sweep);
	tmark("xsk sockets");
	return st->xs ? 0 : -1;
}

static void xsk_ready(const struct run_state *st, struct jbuf *j)
{
	jb_int(j, "xsk_queues", st->o->queues);
	jb_str(j, "xsk_mode", st->o->xsk_zc ? "zerocopy" : "copy");
}

/* pass and skb need nothing beyond the common steps */
static const struct mode_ops mode_ops[] = {
	[XH_MODE_PASS] = { NULL, NULL, NULL },
	[XH_MODE_VETH] = { veth_setup, veth_wire, veth_ready },
	[XH_MODE_CPUMAP] = { NULL, cpumap_wire, cpumap_ready },
	[XH_MODE_XSK] = { NULL, xsk_wire, xsk_ready },
	[XH_MODE_SKB] = { NULL, NULL, NULL },
};

/* TC on the NIC, the ring buffer, hwtstamp, and last the NIC's XDP program */
static int run_attach(struct run_state *st)
{
	struct run_opts *o = st->o;
	int err;

	if (attach_tc(st, st->u_tc ? st->u_tc : st->p_tc, o->ifindex, o->ifname, &st->ta_nic))
		return -1;
	st->rb = ring_buffer__new(bpf_map__fd(find_map(st->obj, "events")), on_record, st, NULL);
	if (!st->rb) {
		emit_error("ringbuf", -errno, "ring_buffer__new");
		return -1;
	}
	if (o->tc_chain) {
		err = xh_tch_attach(&st->tch, o->ifindex, st->ki.tcx_ingress);
		if (err) {
			emit_error(st->tch.stage, err, "TC helper chain %s on %s", o->tc_chain,
				   o->ifname);
			return -1;
		}
	}
	if (o->upper_obj) {
		int idx[XH_STK_MAX_UPPER], i;

		for (i = 0; i < o->n_upper && i < XH_STK_MAX_UPPER; i++) {
			idx[i] = (int)if_nametoindex(o->upper[i]);
			if (!idx[i]) {
				emit_error("upper_attach", -errno, "no upper device %s", o->upper[i]);
				return -1;
			}
		}
		err = xh_stk_attach(&st->stk, idx, i, st->ki.tcx_ingress);
		if (err) {
			emit_error(st->stk.stage, err, "stacked-device reader %s", o->upper_obj);
			return -1;
		}
	}
	if (st->uobj && xh_user_ringbufs(st->uobj, st->obj, st->rb))
		return -1;
	tmark("tc attached");
	if (o->hwtstamp)
		hwts_enable(o->ifname, &st->hw);
	tmark("hwtstamp");
	if (o->mode == XH_MODE_SKB) {
		if (o->xdp_link)	/* a previous run's program: this run has none */
			xh_xdp_drop(o->xdp_link);
		return 0;
	}
	err = 0;
	if (o->xdp_link)
		err = xh_xdp_take(bpf_program__fd(st->u_xdp ? st->u_xdp : st->p_dev),
				  o->ifindex, o->xdp_link, &st->xa_nic);
	if (err == 1)
		err = 0;
	else
		err = xh_xdp_attach(bpf_program__fd(st->u_xdp ? st->u_xdp : st->p_dev),
				    o->ifindex, &st->xa_nic);
	if (err) {
		emit_error("attach_xdp", err, "device-bound XDP (native) on %s", o->ifname);
		return -1;
	}
	return 0;
}

static void emit_ready(const struct run_state *st)
{
	const struct run_opts *o = st->o;
	struct jbuf j;

	jb_begin(&j);
	jb_str(&j, "event", "ready");
	jb_str(&j, "mode", xh_mode_name(o->mode));
	jb_str(&j, "ifname", o->ifname);
	jb_int(&j, "ifindex", o->ifindex);
	jb_uint(&j, "kfuncs", st->ki.kfuncs);
	jb_kfuncs(&j, "kfuncs_present", st->ki.kfuncs);
	jb_str(&j, "xdp_attach", !st->xa_nic.used ? "none" : st->xa_nic.legacy ? "netlink" :
	       st->xa_nic.pin ? "link-update" : "link");
	jb_bool(&j, "dev_bound", st->dev_bound);
	jb_str(&j, "xdp_prog", st->u_xdp ? bpf_program__name(st->u_xdp) : "xh_xdp_dev");
	jb_str(&j, "tc_attach", !st->ta_nic.used ? "none" : st->ta_nic.legacy ? "clsact" : "tcx");
	jb_bool(&j, "tc_chain", st->tch.obj != NULL);
	jb_int(&j, "upper_devices", st->stk.obj ? st->o->n_upper : 0);
	if (mode_ops[o->mode].ready)
		mode_ops[o->mode].ready(st, &j);
	if (o->hwtstamp) {
		jb_int(&j, "hwtstamp_rc", st->hw.rc);
		jb_int(&j, "hwtstamp_rx_filter", st->hw.rx_filter);
	}
	jb_uint(&j, "meta_size", sizeof(struct xh_meta));
	jb_bool(&j, "meta_write", !o->no_meta);
	jb_bool(&j, "meta_sweep", o->meta_sweep);
	jb_bool(&j, "store", o->store);
	jb_str(&j, "meta_format", o->meta_tlv ? "tlv" : "struct");
	jb_str(&j, "runner_version", XH_VERSION);
	jb_end_print(&j);
}

/* Ring buffer + AF_XDP sockets until a signal, --duration or --count. */
static void run_poll(struct run_state *st)
{
	const struct run_opts *o = st->o;
	double t_end = o->duration > 0 ? now_s() + o->duration : 0;

	while (!stop_flag) {
		struct pollfd pfd[1 + 64];
		int n = 0;

		pfd[n].fd = ring_buffer__epoll_fd(st->rb);
		pfd[n++].events = POLLIN;
		if (st->xs) {
			int fds[64], k, m = xsk_set_fds(st->xs, fds, 64);

			for (k = 0; k < m; k++) {
				pfd[n].fd = fds[k];
				pfd[n++].events = POLLIN;
			}
		}
		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR) {
			emit_error("poll", -errno, "poll");
			break;
		}
		ring_buffer__consume(st->rb);
		if (st->xs)
			st->records += xsk_set_poll(st->xs);
		if (o->count > 0 && st->records >= o->count)
			break;
		if (t_end > 0 && now_s() >= t_end)
			break;
	}
	ring_buffer__consume(st->rb);
	if (st->xs)
		st->records += xsk_set_poll(st->xs);
}

static void run_teardown(struct run_state *st, int rc)
{
	/* NIC program first, so nothing new enters the paths being torn down (unless it
	 * stays for the next run: --xdp-link-keep) */
	if (!st->o->xdp_link_keep || rc || xh_xdp_keep(&st->xa_nic, st->o->xdp_link))
		xh_detach(&st->xa_nic);
	if (st->obj && rc == 0)
		print_stats(st->obj, st->o->store);
	xh_detach(&st->ta_nic);
	xh_tch_stop(&st->tch);
	xh_stk_stop(&st->stk);
	xsk_set_close(st->xs);
	xh_detach(&st->xa_veth);
	xh_detach(&st->ta_veth);
	if (st->o->hwtstamp)
		hwts_restore(st->o->ifname, &st->hw);
	ring_buffer__free(st->rb);
	bpf_object__close(st->uobj);
	bpf_object__close(st->obj);
	emit_event("exit", "\"rc\":%d,\"records\":%ld", rc, st->records);
}

/* --upper-obj held without --upper: the release file's lines name the upper devices */
static int hold_uppers(struct run_opts *o)
{
	static char names[XH_STK_MAX_UPPER][64];
	char line[64];
	FILE *f;

	if (!o->upper_obj || o->n_upper)
		return 0;
	f = fopen(o->hold, "r");
	while (f && o->n_upper < XH_STK_MAX_UPPER && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		snprintf(names[o->n_upper], sizeof(names[0]), "%s", line);
		o->upper[o->n_upper] = names[o->n_upper];
		o->n_upper++;
	}
	if (f)
		fclose(f);
	if (o->n_upper)
		return 0;
	emit_error("upper_attach", -ENOENT, "released without upper devices (%s)", o->hold);
	return -1;
}

/*
 * --hold FILE: the objects are loaded; say so and wait until FILE exists
 * before anything touches the NIC (the run before may still have traffic
 * flowing).  0 once released, -1 on a stop signal.
 */
static int run_hold(const struct run_state *st)
{
	const struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };

	tmark("held");
	emit_event("held", "\"mode\":\"%s\"", xh_mode_name(st->o->mode));
	while (!stop_flag) {
		if (!access(st->o->hold, F_OK)) {
			tmark("released");
			return hold_uppers(st->o);
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Everything up to the ready event; 0, or -1 after an error event (or a stop while held). */
static int run_start(struct run_state *st, const struct mode_ops *m)
{
	if (m->setup && m->setup(st))
		return -1;
	if (run_load(st))
		return -1;
	if (st->o->hold && run_hold(st))
		return -1;
	if (m->wire && m->wire(st))
		return -1;
	tmark("wired");
	return run_attach(st);
}

static int do_run(struct run_opts *o)
{
	struct run_state st = { .o = o, .cpumap_probe_rc = XH_RC_NOT_CALLED };
	const struct mode_ops *m = &mode_ops[o->mode];
	int rc = 1;

	run_setup(&st);
	if (!run_start(&st, m)) {
		tmark("ready");
		emit_ready(&st);
		run_poll(&st);
		rc = 0;
	}
	tmark("stop");
	run_teardown(&st, rc);
	tmark("exit");
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct run_opts o;
	const char *cmd;
	int rc;

	t_start = now_s();
	timing = getenv("XH_TIMING") != NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		xh_usage(stderr);
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
		xh_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "run")) {
		xh_usage(stderr);
		return 2;
	}
	rc = xh_opts_parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	verbose = o.verbose;
	o.ifindex = (int)if_nametoindex(o.ifname);
	if (!o.ifindex) {
		emit_error("ifname", -ENODEV, "no interface %s", o.ifname);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return do_run(&o);
}
