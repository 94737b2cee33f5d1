/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Core of the emulated Intel I225/I226 ("igc"): registers, PHY/NVM,
 * interrupts, RX/TX, RSS and the PTP clock, independent of PCI/QOM glue.
 *
 * igc.c (the PCI device) owns an IgcCore and forwards MMIO, net-client and
 * reset events to it; igc_harness.c exposes its state over QOM.
 */
#ifndef HW_NET_IGC_CORE_H
#define HW_NET_IGC_CORE_H

#include "hw/pci/pci_device.h"
#include "net/eth.h"
#include "net/net.h"
#include "igc_regs.h"

#define IGC_NVM_WORDS           256
#define IGC_RX_LOG_SIZE         256
#define IGC_RSS_KEY_LEN         40
#define IGC_RETA_ENTRIES        128
#define IGC_MMD_DEVS            32
#define IGC_MMD_REGS            64
#define IGC_NUM_TIMERS          2       /* 0: SYSTIM (adjustable), 1: SYSTIM_1 */

/* Metadata of one delivered frame, as the harness reads it (rx-log) */
typedef struct IgcRxLogEntry {
    uint64_t seq;
    uint32_t hash;
    uint64_t ts_ns;                     /* timer 0 (SYSTIM) at the stamp */
    uint64_t ts1_ns;                    /* timer 1 (SYSTIM_1) at the stamp */
    uint32_t len;
    uint16_t vlan_tci;
    uint8_t queue;
    uint8_t rss_type;
    bool vlan_stripped;
    bool ts_valid;
} IgcRxLogEntry;

/* Counters the harness reads (stats); not guest-visible */
typedef struct IgcCounters {
    uint64_t rx_packets[IGC_NUM_QUEUES];
    uint64_t rx_bytes[IGC_NUM_QUEUES];
    uint64_t rx_drops[IGC_NUM_QUEUES];
    uint64_t tx_packets[IGC_NUM_QUEUES];
    uint64_t tx_bytes[IGC_NUM_QUEUES];
    uint64_t rx_runt;
    uint64_t rx_oversize;
    uint64_t rx_bad_ring;
    uint64_t rx_filtered;
    uint64_t tx_bad_desc;
    uint64_t unknown_reg_access;
} IgcCounters;

typedef struct IgcTxCtx {
    uint32_t vlan_macip_lens;
    uint32_t type_tucmd_mlhl;
    uint32_t mss_l4len_idx;
} IgcTxCtx;

typedef struct IgcTxState {
    struct NetTxPkt *pkt;
    IgcTxCtx ctx[2];
    bool in_packet;
    bool bad;
    uint32_t first_cmd;
    uint32_t first_olinfo;
} IgcTxState;

/* One PTP timer: value = sys_base + scaled(virtual clock - clk_base) */
typedef struct IgcTimer {
    int64_t sys_base;
    int64_t clk_base;
    uint32_t h_latch;                   /* SYSTIMH latched by reading SYSTIML */
    uint32_t l_pending;                 /* SYSTIML written, applied with SYSTIMH */
    uint64_t det_step_ns;               /* step per timestamped frame (deterministic) */
} IgcTimer;

typedef struct IgcCore {
    PCIDevice *owner;
    NICState *nic;
    uint8_t mac[ETH_ALEN];
    uint16_t device_id;
    int backend_queues;

    uint32_t regs[IGC_MMIO_SIZE / 4];
    uint16_t nvm[IGC_NVM_WORDS];
    uint16_t phy[32];
    uint16_t mmd[IGC_MMD_DEVS][IGC_MMD_REGS];
    uint16_t mmd_addr;

    /* PTP timers 0 (SYSTIM, adjusted by TIMINCA/TIMADJ) and 1 (SYSTIM_1) */
    IgcTimer timer[IGC_NUM_TIMERS];

    /* harness controls: deterministic clock and fault injection */
    bool deterministic;
    uint32_t fault_skip_ts;
    uint32_t filters_off;               /* test fault: ignore queue filters */
    struct IgcFaults *faults;           /* rx-faults (igc_harness.c) */

    struct NetRxPkt *rx_pkt;
    uint8_t *rxbuf;
    IgcTxState tx[IGC_NUM_QUEUES];

    IgcCounters stats;
    IgcRxLogEntry rx_log[IGC_RX_LOG_SIZE];
    uint64_t rx_seq;
} IgcCore;

/* lifecycle */
void igc_core_realize(IgcCore *core, PCIDevice *owner, NICState *nic,
                      const uint8_t *mac, uint16_t device_id,
                      int backend_queues);
void igc_core_unrealize(IgcCore *core);
void igc_core_reset(IgcCore *core);

/* BAR0 */
uint64_t igc_core_read(IgcCore *core, hwaddr addr, unsigned size);
void igc_core_write(IgcCore *core, hwaddr addr, uint64_t val, unsigned size);

/* net client */
bool igc_core_can_receive(IgcCore *core);
ssize_t igc_core_receive_iov(IgcCore *core, const struct iovec *iov,
                             int iovcnt);
void igc_core_set_link_status(IgcCore *core, bool link_down);
/* retry frames the backend holds (RX became possible) */
void igc_core_flush_rx(IgcCore *core);

/* state for the harness hooks */
int64_t igc_core_timer_ns(IgcCore *core, int timer);
void igc_core_timer_set(IgcCore *core, int timer, int64_t ns);
void igc_core_rss_key(IgcCore *core, uint8_t key[IGC_RSS_KEY_LEN]);
uint8_t igc_core_reta(IgcCore *core, int i);

#endif
