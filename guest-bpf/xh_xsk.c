// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * AF_XDP readers (libxdp xsk API): one socket + UMEM per rx queue, bound in
 * copy or zero-copy mode, registered in the BPF object's XSKMAP by queue id.
 * libxdp is told not to load its own program (INHIBIT_PROG_LOAD): the
 * device-bound xh_xdp_dev program redirects into the map.  For each frame the
 * reader takes the fixed-size area in front of the packet in the UMEM as
 * struct xh_meta (the descriptor carries no metadata length) and prints a
 * JSON line with point "xsk".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <bpf/bpf.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "xh_meta_sweep.h"
#include "xh_meta_tlv.h"
#include "xh_util.h"

/* 4 MiB of UMEM per queue, half of it in the fill ring (recycled as frames are read):
 * registering pins (and faults in) every page, costly under TCG with 16 MiB */
#define XH_NUM_FRAMES	1024
#define XH_FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE
#define XH_RING_SIZE	512
#define XH_BATCH	64
#define XH_MAX_QUEUES	64

struct xsk_q {
	int queue;
	void *area;
	struct xsk_umem *umem;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
};

struct xsk_set {
	int n;
	int ifindex;
	bool zerocopy;
	bool meta_tlv;
	bool meta_sweep;
	int xskmap_fd;
	struct xsk_q q[XH_MAX_QUEUES];
};

static int xsk_q_open(struct xsk_q *q, const char *ifname, int queue, bool zerocopy)
{
	struct xsk_umem_config ucfg = {
		.fill_size = XH_RING_SIZE,
		.comp_size = XH_RING_SIZE,
		.frame_size = XH_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config scfg;
	size_t size = (size_t)XH_NUM_FRAMES * XH_FRAME_SIZE;
	__u32 idx = 0;
	int err, i, n;

	q->queue = queue;
	q->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	err = xsk_umem__create(&q->umem, q->area, size, &q->fq, &q->cq, &ucfg);
	if (err)
		return err;

	memset(&scfg, 0, sizeof(scfg));
	scfg.rx_size = XH_RING_SIZE;
	scfg.tx_size = XH_RING_SIZE;
	scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	scfg.xdp_flags = 0;
	scfg.bind_flags = zerocopy ? XDP_ZEROCOPY : XDP_COPY;
	err = xsk_socket__create(&q->xsk, ifname, (__u32)queue, q->umem, &q->rx, NULL, &scfg);
	if (err)
		return err;

	/* hand the first half of the frames to the kernel */
	n = XH_RING_SIZE;
	if (xsk_ring_prod__reserve(&q->fq, (__u32)n, &idx) != (__u32)n)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx++) = (__u64)i * XH_FRAME_SIZE;
	xsk_ring_prod__submit(&q->fq, (__u32)n);
	return 0;
}

static void xsk_q_close(struct xsk_q *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, (size_t)XH_NUM_FRAMES * XH_FRAME_SIZE);
	memset(q, 0, sizeof(*q));
}

struct xsk_set *xsk_set_open(const char *ifname, int ifindex, int nqueues, bool zerocopy,
			     int xskmap_fd)
{
	struct xsk_set *s = calloc(1, sizeof(*s));
	int i, err, fd;

	if (!s)
		return NULL;
	if (nqueues > XH_MAX_QUEUES)
		nqueues = XH_MAX_QUEUES;
	s->ifindex = ifindex;
	s->zerocopy = zerocopy;
	s->xskmap_fd = xskmap_fd;
	for (i = 0; i < nqueues; i++) {
		__u32 key = (__u32)i;

		err = xsk_q_open(&s->q[i], ifname, i, zerocopy);
		s->n = i + 1;
		if (err) {
			emit_error("xsk_socket", err, "AF_XDP socket on %s queue %d (%s mode)", ifname,
				   i, zerocopy ? "zerocopy" : "copy");
			xsk_set_close(s);
			return NULL;
		}
		fd = xsk_socket__fd(s->q[i].xsk);
		err = bpf_map_update_elem(xskmap_fd, &key, &fd, 0);
		if (err) {
			emit_error("xskmap", -errno, "XSKMAP slot %d", i);
			xsk_set_close(s);
			return NULL;
		}
	}
	return s;
}

int xsk_set_fds(struct xsk_set *s, int *fds, int max)
{
	int i, n = 0;

	for (i = 0; i < s->n && n < max; i++)
		fds[n++] = xsk_socket__fd(s->q[i].xsk);
	return n;
}

/*
 * Size sweep: the blob of packet p right in front of it (the descriptor has no
 * metadata length, so the size is the packet's); a found one reads as a struct
 * naming the packet, as the BPF consumers report it.
 */
static bool sweep_found(struct xh_meta *m, const struct xh_pkt *p, const uint8_t *pkt,
			__u64 addr)
{
	__u32 size = xh_sweep_size(p->id), k, w;

	memset(m, 0, sizeof(*m));
	if (addr % XH_FRAME_SIZE < size)
		return false;
	for (k = 0; k < size / 4; k++) {
		memcpy(&w, pkt - size + 4 * k, 4);
		if (w != xh_sweep_word(p->id, k))
			return false;
	}
	m->magic = XH_META_MAGIC;
	m->version = XH_META_VERSION;
	m->size = sizeof(*m);
	m->id = p->id;
	m->pkt_flags = p->pkt_flags;
	return true;
}

static int xsk_emit(struct xsk_set *s, struct xsk_q *q, const uint8_t *pkt, __u32 len,
		    __u64 addr)
{
	struct xh_meta meta = {};
	struct xh_pkt p;
	struct timespec ts;
	struct jbuf j;
	bool found;

	if (!xh_parse_frame(pkt, len, &p))
		return 0;
	/* aligned UMEM: the packet sits at an offset inside its chunk; the
	 * metadata area is the fixed-size block right in front of it */
	if (addr % XH_FRAME_SIZE >= sizeof(struct xh_meta))
		memcpy(&meta, pkt - sizeof(struct xh_meta), sizeof(meta));
	found = meta.magic == XH_META_MAGIC && meta.version == XH_META_VERSION &&
		meta.size == sizeof(struct xh_meta);
	if (s->meta_sweep)
		found = sweep_found(&meta, &p, pkt, addr);
	clock_gettime(CLOCK_MONOTONIC, &ts);

	jb_begin(&j);
	jb_str(&j, "point", "xsk");
	jb_uint(&j, "id", p.id);
	jb_uint(&j, "pkt_flags", p.pkt_flags);
	jb_int(&j, "ifindex", s->ifindex);
	jb_int(&j, "rx_queue", q->queue);
	jb_null(&j, "cpu");
	jb_uint(&j, "ktime_ns", (unsigned long long)ts.tv_sec * 1000000000ULL +
				(unsigned long long)ts.tv_nsec);
	jb_pkt(&j, &p);
	jb_str(&j, "xsk_mode", s->zerocopy ? "zerocopy" : "copy");
	jb_uint(&j, "umem_addr", addr);
	jb_uint(&j, "meta_len", s->meta_tlv ? XH_TLV_AREA : s->meta_sweep ?
		xh_sweep_size(p.id) : sizeof(struct xh_meta));
	jb_bool(&j, "meta_found", found);
	jb_meta(&j, "meta", &meta, found);
	/* the same bytes raw: a consumer with its own layout reads its tail */
	jb_hex(&j, "meta_raw", &meta, sizeof(meta));
	jb_end_print(&j);
	return 1;
}

void xsk_set_meta_format(struct xsk_set *s, bool tlv, bool sweep)
{
	if (s) {
		s->meta_tlv = tlv;
		s->meta_sweep = sweep;
	}
}

long xsk_set_poll(struct xsk_set *s)
{
	long total = 0;
	int i;

	for (i = 0; i < s->n; i++) {
		struct xsk_q *q = &s->q[i];
		__u32 idx_rx = 0, idx_fq = 0, n, k;

		n = xsk_ring_cons__peek(&q->rx, XH_BATCH, &idx_rx);
		if (!n)
			continue;
		for (k = 0; k < n; k++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx_rx + k);
			const uint8_t *pkt = xsk_umem__get_data(q->area, d->addr);

			total += xsk_emit(s, q, pkt, d->len, d->addr);
		}
		/* give the frames back through the fill ring */
		while (xsk_ring_prod__reserve(&q->fq, n, &idx_fq) != n)
			;
		for (k = 0; k < n; k++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx_rx + k);

			*xsk_ring_prod__fill_addr(&q->fq, idx_fq + k) =
				xsk_umem__extract_addr(d->addr);
		}
		xsk_ring_prod__submit(&q->fq, n);
		xsk_ring_cons__release(&q->rx, n);
	}
	return total;
}

void xsk_set_close(struct xsk_set *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		__u32 key = (__u32)i;

		if (s->xskmap_fd >= 0)
			bpf_map_delete_elem(s->xskmap_fd, &key);
		xsk_q_close(&s->q[i]);
	}
	free(s);
}
