// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xh-tools rxfh IFNAME [FLOW[=FIELDS]]...
 *
 * The RSS hash fields of each flow type (tcp4 udp4 sctp4 ah4 esp4 ip4, the
 * same with 6) through the ethtool ioctl, as `ethtool -n IF rx-flow-hash FLOW`
 * reads them; with =FIELDS (ethtool -N's letters: m v t s d f n r) they are
 * set first, as `ethtool -N IF rx-flow-hash FLOW FIELDS` does.  One line per
 * flow: "FLOW 0 0xBITS" (RXH_* bits) or "FLOW -ERRNO" where the driver
 * refused.  Exit 0 (per-flow errors are in the lines), 2 on usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "xh_rxfh.h"

static const struct { const char *name; unsigned int type; } flows[] = {
	{ "tcp4", TCP_V4_FLOW }, { "udp4", UDP_V4_FLOW }, { "sctp4", SCTP_V4_FLOW },
	{ "ah4", AH_V4_FLOW }, { "esp4", ESP_V4_FLOW }, { "ip4", IPV4_FLOW },
	{ "tcp6", TCP_V6_FLOW }, { "udp6", UDP_V6_FLOW }, { "sctp6", SCTP_V6_FLOW },
	{ "ah6", AH_V6_FLOW }, { "esp6", ESP_V6_FLOW }, { "ip6", IPV6_FLOW },
};

static const struct { char c; unsigned long long bit; } letters[] = {
	{ 'm', RXH_L2DA }, { 'v', RXH_VLAN }, { 't', RXH_L3_PROTO }, { 's', RXH_IP_SRC },
	{ 'd', RXH_IP_DST }, { 'f', RXH_L4_B_0_1 }, { 'n', RXH_L4_B_2_3 },
	{ 'r', RXH_DISCARD },
};

static int flow_type(const char *name, size_t len, unsigned int *type)
{
	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++)
		if (strlen(flows[i].name) == len && !strncmp(flows[i].name, name, len)) {
			*type = flows[i].type;
			return 0;
		}
	return -1;
}

static int fields(const char *s, unsigned long long *out)
{
	*out = 0;
	for (; *s; s++) {
		size_t i;

		for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
			if (letters[i].c == *s)
				break;
		if (i == sizeof(letters) / sizeof(letters[0]))
			return -1;
		*out |= letters[i].bit;
	}
	return 0;
}

static int rxfh_ioctl(int fd, const char *ifname, struct ethtool_rxnfc *nfc)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)nfc;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

int cmd_rxfh(int argc, char **argv)
{
	int fd;

	if (argc < 1 || strlen(argv[0]) >= IFNAMSIZ) {
		fprintf(stderr, "usage: xh-tools rxfh IFNAME [FLOW[=FIELDS]]...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {  /* usage errors before any change */
		const char *eq = strchr(argv[i], '=');
		unsigned int type;
		unsigned long long f;

		if (flow_type(argv[i], eq ? (size_t)(eq - argv[i]) : strlen(argv[i]), &type) ||
		    (eq && fields(eq + 1, &f))) {
			fprintf(stderr, "rxfh: bad flow spec '%s' (FLOW[=mvtsdfnr])\n", argv[i]);
			return 2;
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("rxfh: socket");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		struct ethtool_rxnfc nfc;
		unsigned int type = 0;
		int rc = 0;

		flow_type(argv[i], len, &type);
		if (eq) {
			memset(&nfc, 0, sizeof(nfc));
			nfc.cmd = ETHTOOL_SRXFH;
			nfc.flow_type = type;
			fields(eq + 1, &nfc.data);
			rc = rxfh_ioctl(fd, argv[0], &nfc);
		}
		if (!rc) {
			memset(&nfc, 0, sizeof(nfc));
			nfc.cmd = ETHTOOL_GRXFH;
			nfc.flow_type = type;
			rc = rxfh_ioctl(fd, argv[0], &nfc);
		}
		if (rc)
			printf("%.*s %d\n", (int)len, argv[i], rc);
		else
			printf("%.*s 0 0x%llx\n", (int)len, argv[i], (unsigned long long)nfc.data);
	}
	close(fd);
	return 0;
}
