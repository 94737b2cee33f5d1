/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xh-tools: the runner's helpers that need no libbpf -- send, wait, tsrx,
 * tpacket (and the hidden tpacket-parse), rxfh, spawn -- in a small static binary.  The
 * harness starts them ~100 times a run; under TCG the dynamically linked
 * runner (libbpf, libxdp, libelf, libz) costs ~25 ms more per start.
 */
#include <stdio.h>
#include <string.h>

#include "xh_rxfh.h"
#include "xh_send.h"
#include "xh_spawn.h"
#include "xh_stamps.h"
#include "xh_wait.h"

int main(int argc, char **argv)
{
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return cmd_send(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "wait"))
		return cmd_wait(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "spawn"))
		return cmd_spawn(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "rxfh"))
		return cmd_rxfh(argc - 2, argv + 2);
	rc = argc >= 2 ? xh_stamps_cmd(argv[1], argc - 2, argv + 2) : -1;
	if (rc >= 0)
		return rc;
	fprintf(stderr, "usage: xh-tools send|wait|tsrx|tpacket|rxfh|spawn ... (guest-bpf/README.md)\n");
	return 2;
}
