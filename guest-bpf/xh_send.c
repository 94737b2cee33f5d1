/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `xdp-hints-guest send GAP_S`: one line per frame on stdin, "IFNAME PRIO HEX",
 * written in order to an AF_PACKET raw socket bound to IFNAME (protocol 0: it
 * receives nothing) with SO_PRIORITY PRIO, GAP_S seconds apart; prints the
 * number of frames sent.  The guest-side sender of the veth NIC and of
 * GuestRunner.send_in_guest (a C process: a python3 start costs the
 * single-threaded TCG guest ~0.5 s of CPU per send).
 */
#include <errno.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xh_hex.h"
#include "xh_send.h"

#define MAX_IFS 16
#define MAX_FRAME 16384

struct tx_sock {
	char ifname[IF_NAMESIZE];
	int fd;
};

/* The socket bound to ifname (opened on first use); -1 with a message on stderr. */
static int sock_for(struct tx_sock *socks, int *nsocks, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int i, fd;

	for (i = 0; i < *nsocks; i++)
		if (!strcmp(socks[i].ifname, ifname))
			return socks[i].fd;
	if (*nsocks == MAX_IFS || strlen(ifname) >= IF_NAMESIZE) {
		fprintf(stderr, "send: too many interfaces or a bad name: %s\n", ifname);
		return -1;
	}
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "send: no interface %s\n", ifname);
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "send: packet socket on %s: %s\n", ifname, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	strcpy(socks[*nsocks].ifname, ifname);
	socks[(*nsocks)++].fd = fd;
	return fd;
}

int cmd_send(int argc, char **argv)
{
	static unsigned char frame[MAX_FRAME];
	static char line[2 * MAX_FRAME + 64];
	struct tx_sock socks[MAX_IFS];
	int nsocks = 0, sent = 0, lineno = 0, rc = 0;
	struct timespec gap;
	double gap_s;
	char *end;

	if (argc != 1 || (gap_s = strtod(argv[0], &end), *end) || gap_s < 0 || gap_s > 10) {
		fprintf(stderr, "usage: xdp-hints-guest send GAP_S < 'IFNAME PRIO HEX' lines\n");
		return 2;
	}
	gap.tv_sec = (time_t)gap_s;
	gap.tv_nsec = (long)((gap_s - (double)gap.tv_sec) * 1e9);
	while (fgets(line, sizeof(line), stdin)) {
		char ifname[64], hex[sizeof(line)];
		int prio, len, fd;

		lineno++;
		if (sscanf(line, "%63s %d %s", ifname, &prio, hex) != 3)
			continue;	/* blank or foreign lines, as the Python sender did */
		len = xh_unhex(hex, strlen(hex), frame, sizeof(frame));
		if (len < 14) {
			fprintf(stderr, "send: line %d: not a frame in hex\n", lineno);
			rc = 1;
			break;
		}
		fd = sock_for(socks, &nsocks, ifname);
		if (fd < 0) {
			rc = 1;
			break;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)) ||
		    send(fd, frame, (size_t)len, 0) != len) {
			fprintf(stderr, "send: line %d on %s: %s\n", lineno, ifname, strerror(errno));
			rc = 1;
			break;
		}
		sent++;
		nanosleep(&gap, NULL);
	}
	printf("%d\n", sent);
	while (nsocks)
		close(socks[--nsocks].fd);
	return rc;
}
