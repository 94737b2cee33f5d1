// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runner's stamp receivers: the hardware RX stamps of test frames as a
 * packet socket (ETH_P_ALL) on one interface sees them, one process per
 * runner invocation (harness/guest/stamps.py starts and stops them).
 *
 * tsrx IFNAME [PIDFILE]: SO_TIMESTAMPING with RX_HARDWARE | RX_SOFTWARE |
 *   SOFTWARE | RAW_HARDWARE; the socket layer resolves the skb's hardware
 *   stamp (igc keeps a netdev_data pointer in skb_hwtstamps and the stamp is
 *   fetched through ndo_get_tstamp), which a TC program cannot read.  Lines
 *   {"id": N, "hw": ns|null, "sw": ns|null}; frames the interface sent
 *   (PACKET_OUTGOING) are skipped.
 * tpacket IFNAME [PIDFILE]: a TPACKET_V3 RX ring (as libpcap and tcpdump read
 *   packets) with PACKET_TIMESTAMP = SOF_TIMESTAMPING_RAW_HARDWARE: the kernel
 *   fills each frame's tp_sec/tp_nsec in tpacket_rcv (tpacket_get_timestamp)
 *   and sets TP_STATUS_TS_RAW_HARDWARE when the skb carried a hardware stamp.
 *   Lines {"id": N, "hw": ns|null, "status": tp_status}; hw is that stamp with
 *   the 32-bit tp_sec read as signed (a negative ktime, e.g. a kernel address
 *   in the stamp field, stays negative), null without the status bit.
 *
 * Both print "ready" once listening, flush every line, write their own pid to
 * PIDFILE (a `setsid ... & echo $!` may name another process) and exit 0 on
 * SIGTERM.  A test frame holds the magic "XDPHINT1" anywhere, followed by the
 * little-endian u32 packet id, with 16 bytes from the magic in the frame.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "xdp_hints_common.h"
#include "xh_stamps.h"

#define SO_TIMESTAMPING_37	37	/* SO_TIMESTAMPING_OLD: struct scm_timestamping */
#define SOF_RX_HW		(1U << 2)
#define SOF_RX_SW		(1U << 3)
#define SOF_SW			(1U << 4)
#define SOF_RAW_HW		(1U << 6)
#define TS_RAW_HARDWARE		(1U << 31)	/* TP_STATUS_TS_RAW_HARDWARE */
#define RING_BLOCK_SIZE		(1U << 16)
#define RING_BLOCK_NR		16U
#define RING_FRAME_SIZE		2048U
#define RING_RETIRE_MS		20U	/* a block is ours at the latest this long after its first frame */
#define FRAME_HDR_LEN		26	/* tpacket3_hdr up to and with tp_mac */
#define PARSE_MAX		(1U << 22)

static uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/* The packet id of a test frame: 1 and *id, or 0 (first magic only, as the
 * Python receivers did: a magic too close to the end is no test frame). */
static int frame_id(const uint8_t *data, size_t len, uint32_t *id)
{
	const uint8_t *m = memmem(data, len, XH_PKT_MAGIC, XH_PKT_MAGIC_LEN);

	if (!m || len < (size_t)(m - data) + 16)
		return 0;
	*id = le32_at(m + 8);
	return 1;
}

/* @sep_key: the separator and the quoted key (comma, key, colon, space) */
static void print_ns(const char *sep_key, long long ns, int present)
{
	if (present)
		printf("%s%lld", sep_key, ns);
	else
		printf("%snull", sep_key);
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

/* SIGTERM ends with 0, the pid file names us; -1 if it cannot be written. */
static int start(const char *cmd, const char *pidfile)
{
	struct sigaction sa = { .sa_handler = on_term };
	FILE *f;

	sigaction(SIGTERM, &sa, NULL);
	if (!pidfile)
		return 0;
	f = fopen(pidfile, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "%s: pid file %s: %s\n", cmd, pidfile, strerror(errno));
		return -1;
	}
	return 0;
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

static int fail(const char *cmd, const char *what, const char *ifname)
{
	fprintf(stderr, "%s: %s %s: %s\n", cmd, what, ifname, strerror(errno));
	return 1;
}

static int bind_if(int fd, const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)if_nametoindex(ifname),
	};

	if (!sll.sll_ifindex)
		return -1;
	return bind(fd, (struct sockaddr *)&sll, sizeof(sll));
}

static int cmd_tsrx(const char *ifname, const char *pidfile)
{
	static uint8_t data[65536];
	static uint8_t ctrl[1024];
	unsigned int flags = SOF_RX_HW | SOF_RX_SW | SOF_SW | SOF_RAW_HW;
	int fd;

	if (start("tsrx", pidfile))
		return 1;
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		return fail("tsrx", "socket on", ifname);
	if (bind_if(fd, ifname))
		return fail("tsrx", "bind", ifname);
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING_37, &flags, sizeof(flags)))
		return fail("tsrx", "SO_TIMESTAMPING on", ifname);
	ready();
	for (;;) {
		struct sockaddr_ll from;
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctrl, .msg_controllen = sizeof(ctrl),
		};
		long long hw = 0, sw = 0;
		struct cmsghdr *c;
		uint32_t id;
		ssize_t n;

		n = recvmsg(fd, &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail("tsrx", "recvmsg on", ifname);
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (!frame_id(data, (size_t)n < sizeof(data) ? (size_t)n : sizeof(data), &id))
			continue;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			int64_t t[6];

			if (c->cmsg_type != SO_TIMESTAMPING_37 || c->cmsg_len < CMSG_LEN(sizeof(t)))
				continue;
			memcpy(t, CMSG_DATA(c), sizeof(t));	/* scm_timestamping: sw, -, raw hw */
			sw = (long long)(t[0] * 1000000000LL + t[1]);
			hw = (long long)(t[4] * 1000000000LL + t[5]);
		}
		printf("{\"id\": %u", id);
		print_ns(", \"hw\": ", hw, hw != 0);
		print_ns(", \"sw\": ", sw, sw != 0);
		printf("}\n");
		fflush(stdout);
	}
}

/*
 * Every frame of the ring block at @blk (@len bytes readable from there): one
 * JSON line per test frame.  Reads stop at @len (a frame's bytes are cut there).
 */
static void ring_block(const uint8_t *blk, size_t len)
{
	uint32_t num, i;
	size_t pkt;

	if (len < 20)
		return;
	num = le32_at(blk + 12);
	pkt = le32_at(blk + 16);
	for (i = 0; i < num && pkt + FRAME_HDR_LEN <= len; i++) {
		const uint8_t *h = blk + pkt;
		uint32_t nxt = le32_at(h), sec = le32_at(h + 4), nsec = le32_at(h + 8);
		uint32_t snaplen = le32_at(h + 12), status = le32_at(h + 20);
		uint16_t mac;
		size_t from, to;
		uint32_t id;

		memcpy(&mac, h + 24, sizeof(mac));
		mac = le16toh(mac);
		from = pkt + mac < len ? pkt + mac : len;
		to = from + snaplen < len ? from + snaplen : len;
		if (frame_id(blk + from, to - from, &id)) {
			printf("{\"id\": %u", id);
			print_ns(", \"hw\": ", (long long)(int32_t)sec * 1000000000LL + nsec,
				 !!(status & TS_RAW_HARDWARE));
			printf(", \"status\": %u}\n", status);
			fflush(stdout);
		}
		pkt += nxt;
	}
}

static int cmd_tpacket(const char *ifname, const char *pidfile)
{
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK_SIZE,
		.tp_block_nr = RING_BLOCK_NR,
		.tp_frame_size = RING_FRAME_SIZE,
		.tp_frame_nr = RING_BLOCK_SIZE * RING_BLOCK_NR / RING_FRAME_SIZE,
		.tp_retire_blk_tov = RING_RETIRE_MS,
	};
	int ver = TPACKET_V3, ts = SOF_RAW_HW;
	size_t size = (size_t)RING_BLOCK_SIZE * RING_BLOCK_NR;
	unsigned int blk = 0;
	uint8_t *ring;
	int fd;

	if (start("tpacket", pidfile))
		return 1;
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		return fail("tpacket", "socket on", ifname);
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_TIMESTAMP, &ts, sizeof(ts)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		return fail("tpacket", "ring setup on", ifname);
	ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED)
		return fail("tpacket", "mmap of the ring on", ifname);
	if (bind_if(fd, ifname))
		return fail("tpacket", "bind", ifname);
	ready();
	for (;;) {
		size_t off = (size_t)blk * RING_BLOCK_SIZE;
		uint32_t *status = (uint32_t *)(ring + off + 8);	/* hdr.bh1.block_status */
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (!(__atomic_load_n(status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
			poll(&p, 1, 1000);
			continue;
		}
		ring_block(ring + off, size - off);
		__atomic_store_n(status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);	/* back to the kernel */
		blk = (blk + 1) % RING_BLOCK_NR;
	}
}

/* One ring block's bytes on stdin (the host test crafts them). */
static int cmd_tpacket_parse(void)
{
	uint8_t *buf = malloc(PARSE_MAX);
	size_t n = 0, r;

	if (!buf)
		return 1;
	while (n < PARSE_MAX && (r = fread(buf + n, 1, PARSE_MAX - n, stdin)) > 0)
		n += r;
	ring_block(buf, n);
	free(buf);
	return 0;
}

int xh_stamps_cmd(const char *cmd, int argc, char **argv)
{
	int tsrx = !strcmp(cmd, "tsrx");

	if (!strcmp(cmd, "tpacket-parse"))
		return cmd_tpacket_parse();
	if (!tsrx && strcmp(cmd, "tpacket"))
		return -1;
	if (argc < 1 || argc > 2) {
		fprintf(stderr, "usage: xdp-hints-guest %s IFNAME [PIDFILE]\n", cmd);
		return 2;
	}
	return (tsrx ? cmd_tsrx : cmd_tpacket)(argv[0], argc > 1 ? argv[1] : NULL);
}
