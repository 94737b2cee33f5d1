/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xh-tools wait`: block on a file's lines or a process's end, without polling. */
#ifndef XH_WAIT_H
#define XH_WAIT_H

int cmd_wait(int argc, char **argv);

#endif
