/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xh-tools spawn`: start a program in its own session, its pid in a file, its status after. */
#ifndef XH_SPAWN_H
#define XH_SPAWN_H

int cmd_spawn(int argc, char **argv);

#endif
