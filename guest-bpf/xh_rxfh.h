/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xh-tools rxfh`: read (and set) a NIC's RSS hash fields per flow type in one exec. */
#ifndef XH_RXFH_H
#define XH_RXFH_H

int cmd_rxfh(int argc, char **argv);

#endif
