/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Receive queue filters of the emulated igc (igc_filters.c) */
#ifndef HW_NET_IGC_FILTERS_H
#define HW_NET_IGC_FILTERS_H

#include "igc_core.h"

/*
 * The queue the programmed filters (ethertype, flex, MAC address, VLAN
 * priority) give the frame, or -1 for RSS; *which names the filter.
 */
int igc_filters_queue(IgcCore *core, const struct iovec *iov, int iovcnt,
                      const char **which);
/* RAR entry i matches the source address (not one the MAC accepts) */
bool igc_filters_mac_is_src(IgcCore *core, int i);

#endif
