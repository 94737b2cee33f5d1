/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Harness hooks of the emulated igc: QOM properties over the device's core
 * (RSS key, RETA, counters, rx-log, deterministic clock, fault injection),
 * read by harness/igc.py over QMP.  See qemu/README.md for the table.
 */
#ifndef HW_NET_IGC_HARNESS_H
#define HW_NET_IGC_HARNESS_H

#include "qom/object.h"
#include "igc_core.h"

/* Add the hook properties to obj (from its instance_init) */
void igc_harness_init(Object *obj, IgcCore *core);

/* RX faults (property rx-faults), for frames whose bytes contain a pattern */
#define IGC_FAULT_NO_TS     (1u << 0)   /* t: no timestamp header, TSIP clear */
#define IGC_FAULT_RSS_NONE  (1u << 1)   /* r: RSS type 0 (none), hash 0 */
#define IGC_FAULT_CSUM      (1u << 2)   /* c: L4E (IPE if no L4 check) error bit */

/* The faults of one received frame (0: none asked for, or no pattern matches) */
uint32_t igc_harness_rx_faults(IgcCore *core, const struct iovec *iov, int iovcnt);

#endif
