// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLV metadata format (run --meta-tlv, xh_cfg.flags XH_CFG_META_TLV): the
 * NIC's XDP program writes XH_TLV_AREA bytes of data_meta instead of struct
 * xh_meta:
 *
 *   data_meta[0]                 T, the TLV length: 1 + the entries' bytes
 *   data_meta[1 .. AREA-T+1)     zero padding
 *   data_meta[AREA-T+1 .. AREA)  the entries, newest first: they grow bottom-up,
 *                                the first pushed sits right before the packet
 *   entry                        type u8, length u8, value[length] (length 0: a flag)
 *
 * It pushes XH_TLV_* entries in the order of xh_tlv_build() (two of type
 * XH_TLV_HALF, two flags) and pops the last pushed one, so every consumer must
 * find six entries in push order.  Consumers copy the area raw; the harness
 * decodes it (harness/guest/meta_tlv.py).
 */
#ifndef XH_META_TLV_H
#define XH_META_TLV_H

#include <linux/types.h>

#define XH_CFG_META_TLV		(1U << 2)	/* bit of xh_cfg.flags */
#define XH_TLV_AREA		32		/* bytes of data_meta written */

enum xh_tlv_type {
	XH_TLV_ID = 1,		/* 4 bytes: packet id, little endian */
	XH_TLV_FLAG = 2,	/* 0 bytes */
	XH_TLV_HALF = 3,	/* 2 bytes: id & 0xffff, then (id >> 16) ^ 0x5a5a */
	XH_TLV_MIX = 4,		/* 8 bytes: id * 0x9E3779B97F4A7C15, little endian */
	XH_TLV_POPPED = 9,	/* 4 bytes 0xdeadbeef: pushed last, popped again */
};

#endif
