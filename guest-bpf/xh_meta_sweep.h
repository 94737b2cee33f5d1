// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Metadata size sweep (runner --meta-sweep, xh_cfg.flags XH_CFG_META_SWEEP):
 * instead of struct xh_meta the NIC's XDP program writes a blob of
 * xh_sweep_size(id) bytes (4, 8, 32, 64, 128 or 252, by packet id) of 32-bit
 * words xh_sweep_word(id, k) into data_meta; every consumer checks that exactly
 * that many bytes arrived, word by word.  Shared by the BPF programs and the
 * runner (no kernel headers).
 */
#ifndef XH_META_SWEEP_H
#define XH_META_SWEEP_H

#include <linux/types.h>

#define XH_CFG_META_SWEEP	(1U << 3)	/* bit of xh_cfg.flags */
#define XH_SWEEP_NR		6
#define XH_SWEEP_MAX		252		/* the largest size swept (bytes) */
#define XH_SWEEP_MAX_WORDS	(XH_SWEEP_MAX / 4)

static inline __u32 xh_sweep_size(__u32 id)
{
	switch (id % XH_SWEEP_NR) {
	case 0: return 4;
	case 1: return 8;
	case 2: return 32;
	case 3: return 64;
	case 4: return 128;
	}
	return XH_SWEEP_MAX;
}

/* word k of packet id's blob: never 0, differs per packet and per position */
static inline __u32 xh_sweep_word(__u32 id, __u32 k)
{
	return (id * 0x9E3779B1U) ^ ((k + 1) * 0x01000193U);
}

#endif
