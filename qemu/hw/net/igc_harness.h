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

#endif
