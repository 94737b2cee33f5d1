// SPDX-License-Identifier: GPL-2.0-or-later
/* Hardware RX stamps of test frames as a packet socket sees them (tsrx, tpacket). */
#ifndef XH_STAMPS_H
#define XH_STAMPS_H

/*
 * The runner's subcommands @cmd = "tsrx", "tpacket" (IFNAME [PIDFILE]: print
 * "ready" once listening, then one JSON line per test frame until SIGTERM,
 * exit 0) and "tpacket-parse" (one ring block's bytes on stdin, its records
 * on stdout: the ring parser on the host).  @argc/@argv: the arguments after
 * the subcommand.  Returns the exit status; -1 if @cmd is none of them.
 */
int xh_stamps_cmd(const char *cmd, int argc, char **argv);

#endif
