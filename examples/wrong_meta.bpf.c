/* SPDX-License-Identifier: GPL-2.0-or-later */
/* user_meta.bpf.c with a bug on purpose: the RX hash stored byte-swapped. */
#define USER_META_SWAPPED_HASH
#include "user_meta.bpf.c"
