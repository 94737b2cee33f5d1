/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xdp-hints-guest send GAP_S`: raw frames from stdin onto guest interfaces. */
#ifndef XH_SEND_H
#define XH_SEND_H

int cmd_send(int argc, char **argv);

#endif
