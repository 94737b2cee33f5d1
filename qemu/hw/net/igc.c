/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel I225/I226 2.5 GbE controller ("igc") for the
 * xdp-hints harness.
 *
 * Written for the harness on top of QEMU's network helper libraries
 * (net_rx_pkt for parsing + Toeplitz, net_tx_pkt for TX offloads, msix,
 * pcie).  It models what the stock Linux igc driver needs: probe, PHY over
 * MDIC, NVM over EERD, 4 RX/TX queue pairs with advanced descriptors, RSS,
 * VLAN stripping, the PTP clock with inline RX timestamps, and MSI-X/MSI/INTx.
 *
 * Because the host owns the device, it also exposes its state over QOM
 * (see igc_instance_init) for the harness: programmed RSS key and RETA,
 * per-queue counters, a log of the metadata of the last frames delivered,
 * a deterministic clock mode and fault injection.
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/iov.h"
#include "qemu/range.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "net/eth.h"
#include "net/net.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "system/dma.h"
#include "system/system.h"

#include "net_rx_pkt.h"
#include "net_tx_pkt.h"
#include "igc_regs.h"
#include "trace.h"

#define TYPE_IGC "igc"
OBJECT_DECLARE_SIMPLE_TYPE(IGCState, IGC)

#define IGC_DEV_ID_I225_LM      0x15F2
#define IGC_DEV_ID_I226_LM      0x125B
#define IGC_NVM_WORDS           256
#define IGC_RX_LOG_SIZE         256
#define IGC_MAX_FRAME           (64 * KiB)
#define IGC_TX_MAX_FRAGS        64
#define IGC_MMD_DEVS            32
#define IGC_MMD_REGS            64

typedef struct IGCRxLogEntry {
    uint64_t seq;
    uint32_t hash;
    uint64_t ts_ns;
    uint32_t len;
    uint16_t vlan_tci;
    uint8_t queue;
    uint8_t rss_type;
    bool vlan_stripped;
    bool ts_valid;
} IGCRxLogEntry;

typedef struct IGCTxCtx {
    uint32_t vlan_macip_lens;
    uint32_t type_tucmd_mlhl;
    uint32_t mss_l4len_idx;
} IGCTxCtx;

typedef struct IGCTxState {
    struct NetTxPkt *pkt;
    IGCTxCtx ctx[2];
    bool in_packet;
    bool bad;
    uint32_t first_cmd;
    uint32_t first_olinfo;
} IGCTxState;

struct IGCState {
    PCIDevice parent_obj;

    NICState *nic;
    NICConf conf;
    uint16_t device_id_prop;
    bool use_msix;
    bool use_msi;

    MemoryRegion mmio;
    MemoryRegion msix;

    uint32_t regs[IGC_MMIO_SIZE / 4];
    uint16_t nvm[IGC_NVM_WORDS];
    uint16_t phy[32];
    uint16_t mmd[IGC_MMD_DEVS][IGC_MMD_REGS];
    uint16_t mmd_addr;

    /* PTP clock: SYSTIM = sys_base + scaled(virtual clock - clk_base) */
    int64_t sys_base;
    int64_t clk_base;
    uint32_t systimh_latch;
    uint32_t systiml_pending;
    bool deterministic;
    uint64_t det_step_ns;
    uint32_t fault_skip_ts;

    struct NetRxPkt *rx_pkt;
    uint8_t *rxbuf;
    IGCTxState tx[IGC_NUM_QUEUES];

    /* harness-visible counters */
    uint64_t q_rx_packets[IGC_NUM_QUEUES];
    uint64_t q_rx_bytes[IGC_NUM_QUEUES];
    uint64_t q_rx_drops[IGC_NUM_QUEUES];
    uint64_t q_tx_packets[IGC_NUM_QUEUES];
    uint64_t q_tx_bytes[IGC_NUM_QUEUES];
    uint64_t rx_runt;
    uint64_t rx_oversize;
    uint64_t rx_bad_ring;
    uint64_t rx_filtered;
    uint64_t tx_bad_desc;
    uint64_t unknown_reg_access;

    IGCRxLogEntry rx_log[IGC_RX_LOG_SIZE];
    uint64_t rx_seq;
};

/* ------------------------------------------------------------------ */
/* register helpers                                                    */

static inline uint32_t rreg(IGCState *s, hwaddr off)
{
    return s->regs[off >> 2];
}

static inline void wreg(IGCState *s, hwaddr off, uint32_t val)
{
    s->regs[off >> 2] = val;
}

static inline void stat_add(IGCState *s, hwaddr off, uint32_t n)
{
    uint32_t v = rreg(s, off);
    wreg(s, off, v + n < v ? UINT32_MAX : v + n);
}

static void stat_add64(IGCState *s, hwaddr lo, uint64_t n)
{
    uint64_t v = ((uint64_t)rreg(s, lo + 4) << 32) | rreg(s, lo);
    v += n;
    wreg(s, lo, (uint32_t)v);
    wreg(s, lo + 4, (uint32_t)(v >> 32));
}

static bool igc_link_up(IGCState *s)
{
    return s->nic && !qemu_get_queue(s->nic)->link_down;
}

/* ------------------------------------------------------------------ */
/* PTP clock                                                           */

static int64_t igc_clk_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/* The I225 runs SYSTIM off a 3.2 ns cycle; TIMINCA carries a correction
 * in 2^-32 ns per cycle, sign in bit 31 (see the driver's adjfine). */
static int64_t igc_systim_ns(IGCState *s)
{
    int64_t now, d, corr = 0;
    uint32_t inc;

    if (s->deterministic) {
        return s->sys_base;
    }
    now = igc_clk_now();
    d = now - s->clk_base;
    inc = rreg(s, R_TIMINCA) & TIMINCA_VALUE_MASK;
    if (inc && d > 0) {
        corr = (int64_t)(((__int128)d * inc * 10) / ((__int128)32 << 32));
        if (rreg(s, R_TIMINCA) & TIMINCA_ISGN) {
            corr = -corr;
        }
    }
    return s->sys_base + d + corr;
}

static void igc_systim_set(IGCState *s, int64_t ns)
{
    if (ns < 0) {
        ns = 0;
    }
    s->sys_base = ns;
    s->clk_base = igc_clk_now();
}

static void igc_split_ns(int64_t ns, uint32_t *sec, uint32_t *nsec)
{
    if (ns < 0) {
        ns = 0;
    }
    *sec = (uint32_t)(ns / NANOSECONDS_PER_SECOND);
    *nsec = (uint32_t)(ns % NANOSECONDS_PER_SECOND);
}

/* ------------------------------------------------------------------ */
/* interrupts                                                          */

static bool igc_msix_mode(IGCState *s)
{
    return msix_enabled(PCI_DEVICE(s)) && (rreg(s, R_GPIE) & GPIE_MSIX_MODE);
}

static void igc_fire_msix(IGCState *s)
{
    PCIDevice *d = PCI_DEVICE(s);
    uint32_t pending = rreg(s, R_EICR) & rreg(s, R_EIMS);
    int v;

    for (v = 0; v < IGC_MSIX_VECTORS; v++) {
        uint32_t bit = 1u << v;
        if (!(pending & bit)) {
            continue;
        }
        if (rreg(s, R_GPIE) & GPIE_EIAME) {
            wreg(s, R_EIMS, rreg(s, R_EIMS) & ~(rreg(s, R_EIAM) & bit));
        }
        wreg(s, R_EICR, rreg(s, R_EICR) & ~(rreg(s, R_EIAC) & bit));
        trace_igc_irq_msix(v);
        msix_notify(d, v);
    }
}

static void igc_update_legacy(IGCState *s, bool edge)
{
    PCIDevice *d = PCI_DEVICE(s);
    uint32_t active = rreg(s, R_ICR) & rreg(s, R_IMS);

    if (msix_enabled(d)) {
        return;
    }
    if (msi_enabled(d)) {
        if (active && edge) {
            trace_igc_irq_legacy(rreg(s, R_ICR), rreg(s, R_IMS), 1);
            msi_notify(d, 0);
        }
        return;
    }
    trace_igc_irq_legacy(rreg(s, R_ICR), rreg(s, R_IMS), active != 0);
    pci_set_irq(d, active != 0);
}

/* A non-queue cause (LSC, TS, ...) */
static void igc_raise_cause(IGCState *s, uint32_t causes)
{
    wreg(s, R_ICR, rreg(s, R_ICR) | causes);
    if (igc_msix_mode(s)) {
        uint32_t misc = (rreg(s, R_IVAR_MISC) >> 8) & 0xFF;
        if ((causes & rreg(s, R_IMS)) && (misc & IVAR_VALID) &&
            (misc & 0x1F) < IGC_MSIX_VECTORS) {
            wreg(s, R_EICR, rreg(s, R_EICR) | (1u << (misc & 0x1F)));
            igc_fire_msix(s);
        }
    } else {
        igc_update_legacy(s, true);
    }
}

/* A queue cause: RX (tx == false) or TX done on queue q */
static void igc_raise_queue(IGCState *s, int q, bool tx)
{
    if (igc_msix_mode(s)) {
        uint32_t ivar = rreg(s, R_IVAR0 + 4 * (q >> 1));
        unsigned shift = ((q & 1) << 4) + (tx ? 8 : 0);
        uint32_t ent = (ivar >> shift) & 0xFF;
        if ((ent & IVAR_VALID) && (ent & 0x1F) < IGC_MSIX_VECTORS) {
            wreg(s, R_EICR, rreg(s, R_EICR) | (1u << (ent & 0x1F)));
            igc_fire_msix(s);
        }
    } else {
        igc_raise_cause(s, tx ? ICR_TXDW : ICR_RXT0);
    }
}

/* ------------------------------------------------------------------ */
/* PHY / NVM                                                           */

static void igc_phy_reset(IGCState *s)
{
    memset(s->phy, 0, sizeof(s->phy));
    memset(s->mmd, 0, sizeof(s->mmd));
    s->phy[PHY_CTRL] = 0x1140;          /* AN enable, full duplex, 1000 */
    s->phy[PHY_ID1] = 0x67C9;
    s->phy[PHY_ID2] = 0xDC00;
    s->phy[PHY_ANAR] = 0x0DE1;
    s->phy[PHY_LPAR] = 0xCDE1;          /* partner: 10/100 FD/HD + pause */
    s->phy[PHY_ANER] = 0x000F;
    s->phy[PHY_1000T_CTRL] = 0x0200;
    s->phy[PHY_1000T_STAT] = 0x7C00;    /* local/remote OK, partner 1000FD */
    s->phy[PHY_EXT_STATUS] = 0x3000;
    s->phy[PHY_GPHY_VER] = 0x0101;
    s->mmd[7][0x20] = 0x0080;           /* multi-gig AN control: 2.5G adv */
    s->mmd[7][0x21] = 0x0020;           /* multi-gig AN status: partner 2.5G */
    s->mmd_addr = 0;
}

static uint16_t igc_phy_status(IGCState *s)
{
    uint16_t v = 0x7949;                /* capabilities + ext caps */
    if (igc_link_up(s)) {
        v |= PHY_STATUS_LINK | PHY_STATUS_AN_DONE;
    }
    return v;
}

static void igc_mdic_write(IGCState *s, uint32_t val)
{
    unsigned reg = (val >> MDIC_REG_SHIFT) & MDIC_REG_MASK;
    unsigned addr = (val >> MDIC_PHY_SHIFT) & MDIC_PHY_MASK;
    uint16_t data = val & MDIC_DATA_MASK;
    uint32_t res = val & ~(MDIC_READY | MDIC_ERROR);

    if (addr != 0 || !(val & (MDIC_OP_READ | MDIC_OP_WRITE))) {
        wreg(s, R_MDIC, res | MDIC_READY | MDIC_ERROR);
        trace_igc_phy_bad(val);
        return;
    }
    if (val & MDIC_OP_READ) {
        uint16_t r;
        switch (reg) {
        case PHY_STATUS:
            r = igc_phy_status(s);
            break;
        case PHY_MMDAAD:
            if ((s->phy[PHY_MMDAC] & MMDAC_FUNC_MASK) == MMDAC_FUNC_DATA) {
                r = s->mmd[s->phy[PHY_MMDAC] & MMDAC_DEVAD_MASK]
                          [s->mmd_addr % IGC_MMD_REGS];
            } else {
                r = s->mmd_addr;
            }
            break;
        default:
            r = s->phy[reg];
        }
        trace_igc_phy_access(0, reg, r);
        res = (res & ~MDIC_DATA_MASK) | r;
    } else {
        trace_igc_phy_access(1, reg, data);
        switch (reg) {
        case PHY_CTRL:
            if (data & PHY_CTRL_RESET) {
                igc_phy_reset(s);
            } else {
                /* auto-negotiation completes at once */
                s->phy[PHY_CTRL] = data & ~(PHY_CTRL_RESET | PHY_CTRL_RESTART_AN);
            }
            break;
        case PHY_STATUS:
        case PHY_ID1:
        case PHY_ID2:
        case PHY_LPAR:
        case PHY_1000T_STAT:
            break;                      /* read-only */
        case PHY_MMDAAD:
            if ((s->phy[PHY_MMDAC] & MMDAC_FUNC_MASK) == MMDAC_FUNC_DATA) {
                s->mmd[s->phy[PHY_MMDAC] & MMDAC_DEVAD_MASK]
                      [s->mmd_addr % IGC_MMD_REGS] = data;
            } else {
                s->mmd_addr = data;
            }
            break;
        default:
            s->phy[reg] = data;
        }
    }
    wreg(s, R_MDIC, res | MDIC_READY);
}

static void igc_nvm_init(IGCState *s)
{
    const uint8_t *m = s->conf.macaddr.a;
    uint16_t sum = 0;
    int i;

    memset(s->nvm, 0xFF, sizeof(s->nvm));
    for (i = 0; i < 0x40; i++) {
        s->nvm[i] = 0;
    }
    s->nvm[0] = m[0] | (m[1] << 8);
    s->nvm[1] = m[2] | (m[3] << 8);
    s->nvm[2] = m[4] | (m[5] << 8);
    s->nvm[5] = 0x1234;                 /* dev starter version */
    s->nvm[0x0A] = 0x4000;
    s->nvm[0x0D] = s->device_id_prop;
    s->nvm[0x0E] = 0x8086;
    for (i = 0; i < 0x3F; i++) {
        sum += s->nvm[i];
    }
    s->nvm[0x3F] = 0xBABA - sum;
}

/* ------------------------------------------------------------------ */
/* reset                                                               */

static void igc_load_mac(IGCState *s)
{
    const uint8_t *m = s->conf.macaddr.a;
    wreg(s, R_RAL0, m[0] | (m[1] << 8) | (m[2] << 16) | ((uint32_t)m[3] << 24));
    wreg(s, R_RAH0, m[4] | (m[5] << 8) | RAH_AV);
}

static void igc_reset_regs(IGCState *s, bool keep_clock)
{
    int q;

    trace_igc_reset(keep_clock);
    memset(s->regs, 0, sizeof(s->regs));
    wreg(s, R_CTRL, CTRL_FD | CTRL_SLU);
    wreg(s, R_EECD, EECD_PRES | EECD_AUTO_RD | (2u << EECD_SIZE_EX_SHIFT));
    wreg(s, R_VET, ETH_P_VLAN);
    wreg(s, R_PHPM, PHPM_RST_COMP);
    wreg(s, R_RXPBS, 0xA2);
    wreg(s, R_RLPML, 1522);
    for (q = 0; q < IGC_NUM_QUEUES; q++) {
        wreg(s, R_SRRCTL(q), 2);        /* 2 KiB buffers */
        net_tx_pkt_reset(s->tx[q].pkt, net_tx_pkt_unmap_frag_pci,
                         PCI_DEVICE(s));
        s->tx[q].in_packet = false;
        s->tx[q].bad = false;
        memset(s->tx[q].ctx, 0, sizeof(s->tx[q].ctx));
    }
    igc_load_mac(s);
    if (!keep_clock) {
        wreg(s, R_TIMINCA, 0);
        igc_systim_set(s, 0);
    }
}

/* ------------------------------------------------------------------ */
/* RX                                                                  */

static void igc_flush_rx(IGCState *s)
{
    int i, n = MAX(1, s->conf.peers.queues);
    for (i = 0; i < n; i++) {
        qemu_flush_queued_packets(qemu_get_subqueue(s->nic, i));
    }
}

static bool igc_rx_ready(IGCState *s)
{
    return (rreg(s, R_RCTL) & RCTL_EN) && igc_link_up(s) &&
           (PCI_DEVICE(s)->config[PCI_COMMAND] & PCI_COMMAND_MASTER);
}

static bool igc_can_receive(NetClientState *nc)
{
    return igc_rx_ready(qemu_get_nic_opaque(nc));
}

static bool igc_addr_accepted(IGCState *s, const uint8_t *da)
{
    uint32_t rctl = rreg(s, R_RCTL);
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    int i;

    if (!memcmp(da, bcast, 6)) {
        return rctl & RCTL_BAM;
    }
    if (da[0] & 1) {
        unsigned mo = (rctl >> RCTL_MO_SHIFT) & 3;
        static const unsigned shift[4] = { 4, 3, 2, 0 };
        uint32_t h;
        if (rctl & RCTL_MPE) {
            return true;
        }
        h = ((da[4] >> shift[mo]) | ((uint32_t)da[5] << (8 - shift[mo]))) & 0xFFF;
        return rreg(s, R_MTA + 4 * (h >> 5)) & (1u << (h & 31));
    }
    if (rctl & RCTL_UPE) {
        return true;
    }
    for (i = 0; i < IGC_RAR_ENTRIES; i++) {
        uint32_t ral = rreg(s, R_RAL0 + 8 * i), rah = rreg(s, R_RAH0 + 8 * i);
        uint8_t a[6] = { ral, ral >> 8, ral >> 16, ral >> 24, rah, rah >> 8 };
        if ((rah & RAH_AV) && !memcmp(a, da, 6)) {
            return true;
        }
    }
    return false;
}

/* RSS: pick the hash function from MRQC and the parsed protocols */
static void igc_rss(IGCState *s, uint32_t *hash, uint8_t *type, int *queue)
{
    uint32_t mrqc = rreg(s, R_MRQC);
    bool ip4, ip6;
    EthL4HdrProto l4;
    NetRxPktRssType t;
    uint8_t key[40];
    int i;

    *hash = 0;
    *type = RSS_TYPE_NONE;
    *queue = 0;
    if ((mrqc & MRQC_MQ_MASK) != MRQC_MQ_RSS) {
        return;
    }
    net_rx_pkt_get_protocols(s->rx_pkt, &ip4, &ip6, &l4);
    if (ip4) {
        if (net_rx_pkt_get_ip4_info(s->rx_pkt)->fragment) {
            l4 = ETH_L4_HDR_PROTO_INVALID;
        }
        if (l4 == ETH_L4_HDR_PROTO_TCP && (mrqc & MRQC_IPV4_TCP)) {
            t = NetPktRssIpV4Tcp; *type = RSS_TYPE_TCP_IPV4;
        } else if (l4 == ETH_L4_HDR_PROTO_UDP && (mrqc & MRQC_IPV4_UDP)) {
            t = NetPktRssIpV4Udp; *type = RSS_TYPE_UDP_IPV4;
        } else if (mrqc & MRQC_IPV4) {
            t = NetPktRssIpV4; *type = RSS_TYPE_IPV4;
        } else {
            return;
        }
    } else if (ip6) {
        if (net_rx_pkt_get_ip6_info(s->rx_pkt)->fragment) {
            l4 = ETH_L4_HDR_PROTO_INVALID;
        }
        if (l4 == ETH_L4_HDR_PROTO_TCP && (mrqc & (MRQC_IPV6_TCP | MRQC_IPV6_TCP_EX))) {
            t = NetPktRssIpV6Tcp; *type = RSS_TYPE_TCP_IPV6;
        } else if (l4 == ETH_L4_HDR_PROTO_UDP && (mrqc & MRQC_IPV6_UDP)) {
            t = NetPktRssIpV6Udp; *type = RSS_TYPE_UDP_IPV6;
        } else if (mrqc & MRQC_IPV6) {
            t = NetPktRssIpV6; *type = RSS_TYPE_IPV6;
        } else {
            return;
        }
    } else {
        return;
    }
    for (i = 0; i < 40; i++) {
        key[i] = rreg(s, R_RSSRK + (i & ~3)) >> (8 * (i & 3));
    }
    *hash = net_rx_pkt_calc_rss_hash(s->rx_pkt, t, key);
    i = *hash & 0x7F;
    *queue = (rreg(s, R_RETA + (i & ~3)) >> (8 * (i & 3))) & (IGC_NUM_QUEUES - 1);
}

static void igc_rx_log(IGCState *s, int q, uint32_t len, uint32_t hash,
                       uint8_t type, bool vp, uint16_t tci, bool ts_valid,
                       int64_t ts)
{
    IGCRxLogEntry *e = &s->rx_log[s->rx_seq % IGC_RX_LOG_SIZE];
    e->seq = s->rx_seq++;
    e->queue = q;
    e->len = len;
    e->hash = hash;
    e->rss_type = type;
    e->vlan_stripped = vp;
    e->vlan_tci = tci;
    e->ts_valid = ts_valid;
    e->ts_ns = ts_valid ? ts : 0;
}

static void igc_rx_drop(IGCState *s, int q, const char *why, size_t size)
{
    trace_igc_rx_drop(why, q, size);
    s->q_rx_drops[q]++;
    wreg(s, R_RQDPC(q), rreg(s, R_RQDPC(q)) + 1);
    stat_add(s, R_MPC, 1);
}

static ssize_t igc_receive_iov(NetClientState *nc, const struct iovec *iov,
                               int iovcnt)
{
    IGCState *s = qemu_get_nic_opaque(nc);
    PCIDevice *d = PCI_DEVICE(s);
    size_t size = iov_size(iov, iovcnt);
    uint8_t hdr[ETH_HLEN];
    uint32_t rctl = rreg(s, R_RCTL), rlpml = rreg(s, R_RLPML);
    uint32_t hash, srrctl, bufsz, ndesc, head, tail, avail, need;
    uint32_t status, tslen, total, done;
    uint8_t rss_type;
    int q;
    bool vp, want_ts, ip4, ip6;
    uint16_t tci;
    EthL4HdrProto l4;
    uint64_t base;
    int64_t ts = 0;
    uint8_t tshdr[IGC_TS_HDR_LEN];

    if (!igc_rx_ready(s)) {
        return -1;
    }
    if (size < ETH_HLEN) {
        s->rx_runt++;
        stat_add(s, R_RUC, 1);
        trace_igc_rx_drop("runt", 0, size);
        return size;
    }
    if (size > IGC_MAX_FRAME - IGC_TS_HDR_LEN ||
        ((rctl & RCTL_LPE) ? (rlpml && size + 4 > rlpml) : size + 4 > 1522)) {
        s->rx_oversize++;
        stat_add(s, R_ROC, 1);
        trace_igc_rx_drop("oversize", 0, size);
        return size;
    }
    iov_to_buf(iov, iovcnt, 0, hdr, sizeof(hdr));
    if (!igc_addr_accepted(s, hdr)) {
        s->rx_filtered++;
        return size;
    }

    net_rx_pkt_set_packet_type(s->rx_pkt,
                               get_eth_packet_type(PKT_GET_ETH_HDR(hdr)));
    net_rx_pkt_set_protocols(s->rx_pkt, iov, iovcnt, 0);
    net_rx_pkt_attach_iovec_ex(s->rx_pkt, iov, iovcnt, 0,
                               (rreg(s, R_CTRL) & CTRL_VME) ? 0 : -1,
                               rreg(s, R_VET) & 0xFFFF, 0);
    vp = net_rx_pkt_is_vlan_stripped(s->rx_pkt);
    tci = vp ? net_rx_pkt_get_vlan_tag(s->rx_pkt) : 0;
    igc_rss(s, &hash, &rss_type, &q);

    /* the ring of queue q */
    srrctl = rreg(s, R_SRRCTL(q));
    bufsz = (srrctl & SRRCTL_BSIZEPKT_MASK) * 1024;
    if (!bufsz) {
        bufsz = 2048;
    }
    base = ((uint64_t)rreg(s, R_RDBAH(q)) << 32) | (rreg(s, R_RDBAL(q)) & ~0xFu);
    ndesc = (rreg(s, R_RDLEN(q)) & 0xFFF80) / 16;
    head = rreg(s, R_RDH(q));
    tail = rreg(s, R_RDT(q));
    if (!(rreg(s, R_RXDCTL(q)) & RXDCTL_ENABLE) || ndesc == 0 ||
        head >= ndesc || tail >= ndesc) {
        s->rx_bad_ring++;
        igc_rx_drop(s, q, "ring-disabled-or-invalid", size);
        return size;
    }

    want_ts = (rreg(s, R_TSYNCRXCTL) & TSYNCRXCTL_ENABLED) &&
              (srrctl & SRRCTL_TIMESTAMP);
    if (want_ts && s->fault_skip_ts) {
        s->fault_skip_ts--;
        want_ts = false;
    }
    tslen = want_ts ? IGC_TS_HDR_LEN : 0;
    total = net_rx_pkt_get_total_len(s->rx_pkt);
    need = DIV_ROUND_UP(total + tslen, bufsz);
    avail = (tail + ndesc - head) % ndesc;
    if (need > ndesc - 1) {
        igc_rx_drop(s, q, "ring-too-small", size);
        return size;
    }
    if (avail < need) {
        /* hold the frame until the driver refills the ring */
        stat_add(s, R_RNBC, 1);
        return 0;
    }

    /* the attached vector has at most iovcnt + 1 elements (split header) */
    if (iov_to_buf(net_rx_pkt_get_iovec(s->rx_pkt), iovcnt + 1, 0,
                   s->rxbuf + tslen, total) != total) {
        igc_rx_drop(s, q, "parse", size);
        return size;
    }
    if (want_ts) {
        uint32_t sec, ns;
        ts = igc_systim_ns(s);
        igc_split_ns(ts, &sec, &ns);
        stl_le_p(tshdr + 0, ns);        /* timer 1 */
        stl_le_p(tshdr + 4, sec);
        stl_le_p(tshdr + 8, ns);        /* timer 0 */
        stl_le_p(tshdr + 12, sec);
        memcpy(s->rxbuf, tshdr, IGC_TS_HDR_LEN);
        if (s->deterministic) {
            s->sys_base += s->det_step_ns;
        }
    }

    /* checksum status */
    status = 0;
    net_rx_pkt_get_protocols(s->rx_pkt, &ip4, &ip6, &l4);
    if (ip4) {
        bool ok;
        if (net_rx_pkt_validate_l3_csum(s->rx_pkt, &ok)) {
            status |= RXD_STAT_IPCS | (ok ? 0 : RXD_ERR_IPE);
        }
    }
    if ((ip4 || ip6) && (l4 == ETH_L4_HDR_PROTO_TCP || l4 == ETH_L4_HDR_PROTO_UDP)) {
        bool ok;
        if (net_rx_pkt_validate_l4_csum(s->rx_pkt, &ok)) {
            status |= (l4 == ETH_L4_HDR_PROTO_TCP ? RXD_STAT_TCPCS : RXD_STAT_UDPCS) |
                      (ok ? 0 : RXD_ERR_L4E);
        }
    }
    if (vp) {
        status |= RXD_STAT_VP;
    }

    done = 0;
    while (done < total + tslen) {
        uint8_t desc[16];
        uint32_t chunk = MIN(bufsz, total + tslen - done);
        uint64_t addr = base + (uint64_t)head * 16;
        uint32_t st = status | RXD_STAT_DD;
        uint64_t buf;

        if (pci_dma_read(d, addr, desc, 16) != MEMTX_OK) {
            s->rx_bad_ring++;
            trace_igc_dma_error("rx-desc-read", q, addr);
            igc_rx_drop(s, q, "desc-dma", size);
            return size;
        }
        buf = ldq_le_p(desc);
        if (pci_dma_write(d, buf, s->rxbuf + done, chunk) != MEMTX_OK) {
            s->rx_bad_ring++;
            trace_igc_dma_error("rx-buf-write", q, buf);
            /* still hand the descriptor back so the ring keeps moving */
        }
        if (done == 0 && want_ts) {
            st |= RXD_STAT_TSIP;
        }
        done += chunk;
        if (done >= total + tslen) {
            st |= RXD_STAT_EOP;
        }
        memset(desc, 0, sizeof(desc));
        stl_le_p(desc + 0, rss_type);
        stl_le_p(desc + 4, hash);
        stl_le_p(desc + 8, st);
        stw_le_p(desc + 12, chunk);
        stw_le_p(desc + 14, tci);
        if (pci_dma_write(d, addr, desc, 16) != MEMTX_OK) {
            trace_igc_dma_error("rx-desc-write", q, addr);
        }
        head = (head + 1) % ndesc;
    }
    wreg(s, R_RDH(q), head);

    s->q_rx_packets[q]++;
    s->q_rx_bytes[q] += total;
    stat_add(s, R_GPRC, 1);
    stat_add(s, R_TPR, 1);
    stat_add64(s, R_GORCL, size + 4);
    stat_add64(s, R_TORL, size + 4);
    if (hdr[0] & 1) {
        stat_add(s, (hdr[0] == 0xff) ? R_BPRC : R_MPRC, 1);
    }
    igc_rx_log(s, q, total, hash, rss_type, vp, tci, want_ts, ts);
    trace_igc_rx_frame(q, total, hash, rss_type, tci, want_ts);
    igc_raise_queue(s, q, false);
    return size;
}

/* ------------------------------------------------------------------ */
/* TX                                                                  */

static void igc_tx_send_cb(void *opaque, const struct iovec *iov, int iovcnt,
                           const struct iovec *virt_iov, int virt_iovcnt)
{
    IGCState *s = opaque;
    qemu_sendv_packet(qemu_get_queue(s->nic), iov, iovcnt);
}

static void igc_tx_timestamp(IGCState *s, uint32_t cmd)
{
    unsigned reg = (cmd >> TXD_TSTAMP_REG_SHIFT) & 3;
    static const hwaddr lo[4] = { 0xB618, 0xB698, 0xB6B8, 0xB6D8 };
    uint32_t sec, ns;

    if (!(rreg(s, R_TSYNCTXCTL) & TSYNCTXCTL_ENABLED)) {
        return;
    }
    igc_split_ns(igc_systim_ns(s), &sec, &ns);
    wreg(s, lo[reg], ns);
    wreg(s, lo[reg] + 4, sec);
    wreg(s, R_TSYNCTXCTL, rreg(s, R_TSYNCTXCTL) | (1u << reg));
    wreg(s, R_TSICR, rreg(s, R_TSICR) | TSICR_TXTS);
    if (rreg(s, R_TSIM) & TSICR_TXTS) {
        igc_raise_cause(s, ICR_TS);
    }
}

static void igc_tx_finish(IGCState *s, int q)
{
    IGCTxState *t = &s->tx[q];
    uint32_t olinfo = t->first_olinfo, cmd = t->first_cmd;
    /*
     * The I225 driver numbers its context per ring (idx = ring index) and does
     * not repeat it in the data descriptors: use the ring's last context.
     */
    IGCTxCtx *c = &t->ctx[0];
    size_t len;

    if (t->bad || !net_tx_pkt_parse(t->pkt)) {
        s->tx_bad_desc++;
        trace_igc_tx_bad(q, 0);
        goto out;
    }
    if (cmd & TXD_CMD_VLE) {
        net_tx_pkt_setup_vlan_header_ex(t->pkt, c->vlan_macip_lens >> 16,
                                        rreg(s, R_VET) & 0xFFFF);
    }
    if (cmd & TXD_CMD_TSE) {
        uint32_t mss = c->mss_l4len_idx >> 16;
        if (!net_tx_pkt_build_vheader(t->pkt, true, true, mss)) {
            s->tx_bad_desc++;
            goto out;
        }
        net_tx_pkt_update_ip_checksums(t->pkt);
    } else if (olinfo & TXD_POPTS_TXSM) {
        if ((c->type_tucmd_mlhl & TXCTX_TUCMD_L4T_MASK) == TXCTX_TUCMD_L4T_SCTP) {
            net_tx_pkt_update_sctp_checksum(t->pkt);
        } else if (!net_tx_pkt_build_vheader(t->pkt, false, true, 0)) {
            s->tx_bad_desc++;
            goto out;
        }
    }
    if ((olinfo & TXD_POPTS_IXSM) && !(cmd & TXD_CMD_TSE)) {
        net_tx_pkt_update_ip_hdr_checksum(t->pkt);
    }
    len = net_tx_pkt_get_total_len(t->pkt);
    if (cmd & TXD_MAC_TSTAMP) {
        igc_tx_timestamp(s, cmd);
    }
    if (igc_link_up(s)) {
        net_tx_pkt_send_custom(t->pkt, false, igc_tx_send_cb, s);
    }
    s->q_tx_packets[q]++;
    s->q_tx_bytes[q] += len;
    stat_add(s, R_GPTC, 1);
    stat_add(s, R_TPT, 1);
    stat_add64(s, R_GOTCL, len + 4);
    stat_add64(s, R_TOTL, len + 4);
    trace_igc_tx_frame(q, len);
out:
    net_tx_pkt_reset(t->pkt, net_tx_pkt_unmap_frag_pci, PCI_DEVICE(s));
    t->in_packet = false;
    t->bad = false;
}

static void igc_tx_run(IGCState *s, int q)
{
    PCIDevice *d = PCI_DEVICE(s);
    IGCTxState *t = &s->tx[q];
    uint64_t base;
    uint32_t ndesc, head, tail, n = 0;
    bool report = false;

    if (!(rreg(s, R_TCTL) & TCTL_EN) || !(rreg(s, R_TXDCTL(q)) & TXDCTL_ENABLE) ||
        !(d->config[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
        return;
    }
    base = ((uint64_t)rreg(s, R_TDBAH(q)) << 32) | (rreg(s, R_TDBAL(q)) & ~0xFu);
    ndesc = (rreg(s, R_TDLEN(q)) & 0xFFF80) / 16;
    head = rreg(s, R_TDH(q));
    tail = rreg(s, R_TDT(q));
    if (ndesc == 0 || head >= ndesc || tail >= ndesc) {
        s->tx_bad_desc++;
        trace_igc_tx_bad(q, base);
        return;
    }

    while (head != tail && n++ < ndesc) {
        uint8_t desc[16];
        uint64_t addr = base + (uint64_t)head * 16;
        uint32_t cmd, olinfo, dtyp;

        if (pci_dma_read(d, addr, desc, 16) != MEMTX_OK) {
            s->tx_bad_desc++;
            trace_igc_dma_error("tx-desc-read", q, addr);
            break;
        }
        cmd = ldl_le_p(desc + 8);
        olinfo = ldl_le_p(desc + 12);
        dtyp = (cmd >> TXD_DTYP_SHIFT) & TXD_DTYP_MASK;

        if ((cmd & TXD_CMD_DEXT) && dtyp == TXD_DTYP_CTXT) {
            IGCTxCtx *c = &t->ctx[0];
            c->vlan_macip_lens = ldl_le_p(desc + 0);
            c->type_tucmd_mlhl = cmd;
            c->mss_l4len_idx = ldl_le_p(desc + 12);
        } else {
            uint64_t buf = ldq_le_p(desc);
            uint32_t len = cmd & TXD_LEN_MASK;
            if (!t->in_packet) {
                t->in_packet = true;
                t->first_cmd = cmd;
                t->first_olinfo = olinfo;
            }
            if (len && !t->bad &&
                !net_tx_pkt_add_raw_fragment_pci(t->pkt, d, buf, len)) {
                t->bad = true;
                trace_igc_dma_error("tx-buf", q, buf);
            }
            if (cmd & TXD_CMD_EOP) {
                igc_tx_finish(s, q);
            }
        }
        if (cmd & TXD_CMD_RS) {
            uint8_t wb[4];
            stl_le_p(wb, TXD_STAT_DD);
            pci_dma_write(d, addr + 12, wb, 4);
            report = true;
        }
        head = (head + 1) % ndesc;
    }
    wreg(s, R_TDH(q), head);
    if (report) {
        igc_raise_queue(s, q, true);
    }
}

static void igc_tx_run_all(IGCState *s)
{
    int q;
    for (q = 0; q < IGC_NUM_QUEUES; q++) {
        igc_tx_run(s, q);
    }
}

/* ------------------------------------------------------------------ */
/* MMIO                                                                */

static bool igc_known_reg(hwaddr a)
{
    static const struct { hwaddr lo, hi; } known[] = {
        { 0x00000, 0x00040 }, { 0x00100, 0x00104 }, { 0x00170, 0x00174 },
        { 0x001A0, 0x001A4 }, { 0x00400, 0x00414 }, { 0x00E00, 0x00E40 },
        { 0x01500, 0x01534 }, { 0x01580, 0x01584 }, { 0x01680, 0x016A0 },
        { 0x01700, 0x01744 }, { 0x02160, 0x0216C }, { 0x02404, 0x02408 },
        { 0x02460, 0x02464 }, { 0x03000, 0x03600 }, { 0x04000, 0x04200 },
        { 0x05000, 0x0500C }, { 0x05200, 0x05400 }, { 0x05400, 0x054C0 },
        { 0x055B0, 0x055B4 }, { 0x05800, 0x05830 }, { 0x05900, 0x05904 },
        { 0x059E0, 0x05B00 }, { 0x05B30, 0x05B34 }, { 0x05B50, 0x05B60 },
        { 0x05BB0, 0x05BB8 }, { 0x05C00, 0x05CD0 }, { 0x05F50, 0x05F54 },
        { 0x09000, 0x0A200 }, { 0x0B600, 0x0B700 }, { 0x0C000, 0x0C100 },
        { 0x0E000, 0x0E100 }, { 0x12000, 0x12600 },
    };
    size_t i;
    for (i = 0; i < ARRAY_SIZE(known); i++) {
        if (a >= known[i].lo && a < known[i].hi) {
            return true;
        }
    }
    return false;
}

static uint64_t igc_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IGCState *s = opaque;
    uint32_t v;

    addr &= ~3ULL;
    if (addr >= IGC_MMIO_SIZE) {
        return 0;
    }
    if (!igc_known_reg(addr)) {
        s->unknown_reg_access++;
        trace_igc_reg_read_unknown(addr);
    }
    switch (addr) {
    case R_STATUS: {
        v = STATUS_FD;
        if (igc_link_up(s)) {
            v |= STATUS_LU | STATUS_SPEED_1000 | STATUS_SPEED_2500;
        }
        if (!(rreg(s, R_CTRL) & CTRL_GIO_MASTER_DISABLE)) {
            v |= STATUS_GIO_MASTER_EN;
        }
        return v;
    }
    case R_ICR:
        v = rreg(s, R_ICR);
        if (v & rreg(s, R_IMS)) {
            v |= ICR_INT_ASSERTED;
            if (!igc_msix_mode(s)) {
                wreg(s, R_IMS, rreg(s, R_IMS) & ~rreg(s, R_IAM));
            }
        }
        wreg(s, R_ICR, 0);
        igc_update_legacy(s, false);
        return v;
    case R_EICR:
        v = rreg(s, R_EICR);
        wreg(s, R_EICR, 0);
        return v;
    case R_TSICR:
        v = rreg(s, R_TSICR);
        wreg(s, R_TSICR, 0);
        return v;
    case R_SYSTIML: {
        uint32_t sec, ns;
        igc_split_ns(igc_systim_ns(s), &sec, &ns);
        s->systimh_latch = sec;
        return ns;
    }
    case R_SYSTIMH:
        return s->systimh_latch;
    case R_TXSTMPH:
    case 0xB69C:
    case 0xB6BC:
    case 0xB6DC: {
        unsigned reg = addr == R_TXSTMPH ? 0 : (addr - 0xB67C) / 0x20;
        wreg(s, R_TSYNCTXCTL, rreg(s, R_TSYNCTXCTL) & ~(1u << reg));
        return rreg(s, addr);
    }
    case R_PHPM:
        return rreg(s, addr) | PHPM_RST_COMP;
    case R_PTM_STAT:
        /* no PTM dialog to run: a triggered cycle completes at once (with zeros) */
        return rreg(s, addr) | ((rreg(s, R_PTM_CTRL) & PTM_CTRL_TRIG) ? PTM_STAT_VALID : 0);
    default:
        break;
    }
    if (addr >= R_STATS_START && addr < R_STATS_END) {
        v = rreg(s, addr);
        wreg(s, addr, 0);
        return v;
    }
    return rreg(s, addr);
}

static void igc_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                           unsigned size)
{
    IGCState *s = opaque;
    uint32_t val = val64;
    int q;

    addr &= ~3ULL;
    if (addr >= IGC_MMIO_SIZE) {
        return;
    }
    if (!igc_known_reg(addr)) {
        s->unknown_reg_access++;
        trace_igc_reg_write_unknown(addr, val);
    }
    switch (addr) {
    case R_CTRL:
        if (val & CTRL_RST) {
            igc_reset_regs(s, true);
            val &= ~CTRL_RST;
            wreg(s, R_CTRL, val | CTRL_FD | CTRL_SLU);
            return;
        }
        if (val & CTRL_PHY_RST) {
            igc_phy_reset(s);
            val &= ~CTRL_PHY_RST;
        }
        wreg(s, R_CTRL, val);
        return;
    case R_STATUS:
    case R_EECD:
        return;                         /* read-only here */
    case R_MDIC:
        igc_mdic_write(s, val);
        return;
    case R_EERD: {
        unsigned a = (val >> EERD_ADDR_SHIFT) & 0x3FFF;
        uint16_t data = a < IGC_NVM_WORDS ? s->nvm[a] : 0xFFFF;
        wreg(s, R_EERD, (val & 0xFFFC) | EERD_DONE |
                        ((uint32_t)data << EERD_DATA_SHIFT));
        return;
    }
    case R_ICR:
    case R_EICR:
        wreg(s, addr, rreg(s, addr) & ~val);
        igc_update_legacy(s, false);
        return;
    case R_ICS:
        igc_raise_cause(s, val);
        return;
    case R_IMS:
        wreg(s, R_IMS, rreg(s, R_IMS) | val);
        igc_update_legacy(s, true);
        return;
    case R_IMC:
        wreg(s, R_IMS, rreg(s, R_IMS) & ~val);
        igc_update_legacy(s, false);
        return;
    case R_EICS:
        wreg(s, R_EICR, rreg(s, R_EICR) | val);
        if (igc_msix_mode(s)) {
            igc_fire_msix(s);
        } else if (val) {
            igc_raise_cause(s, ICR_RXT0);
        }
        return;
    case R_EIMS:
        wreg(s, R_EIMS, rreg(s, R_EIMS) | val);
        if (igc_msix_mode(s)) {
            igc_fire_msix(s);
        }
        return;
    case R_EIMC:
        wreg(s, R_EIMS, rreg(s, R_EIMS) & ~val);
        return;
    case R_RCTL:
        wreg(s, addr, val);
        if (val & RCTL_EN) {
            igc_flush_rx(s);
        }
        return;
    case R_TCTL:
        wreg(s, addr, val);
        igc_tx_run_all(s);
        return;
    case R_SYSTIML:
        s->systiml_pending = val % NANOSECONDS_PER_SECOND;
        igc_systim_set(s, (int64_t)(uint32_t)(igc_systim_ns(s) / NANOSECONDS_PER_SECOND) *
                       NANOSECONDS_PER_SECOND + s->systiml_pending);
        return;
    case R_SYSTIMH:
        igc_systim_set(s, (int64_t)val * NANOSECONDS_PER_SECOND + s->systiml_pending);
        return;
    case R_TIMINCA:
        igc_systim_set(s, igc_systim_ns(s));
        wreg(s, addr, val);
        return;
    case R_TIMADJ: {
        int64_t adj = val & 0x3FFFFFFF;
        igc_systim_set(s, igc_systim_ns(s) + ((val & (1u << 31)) ? -adj : adj));
        wreg(s, addr, val & ~0x3FFFFFFFu & ~(1u << 31));
        return;
    }
    case R_TSICR:
    case R_PTM_STAT:
        wreg(s, addr, rreg(s, addr) & ~val);
        return;
    case R_TSYNCTXCTL:
        wreg(s, addr, (val & ~TSYNCTXCTL_TXTT_MASK) |
                      (rreg(s, addr) & TSYNCTXCTL_TXTT_MASK));
        return;
    default:
        break;
    }
    if (addr >= R_STATS_START && addr < R_STATS_END) {
        return;                         /* counters are read-only */
    }
    wreg(s, addr, val);
    if (addr >= R_RDBAL(0) && addr < R_RDBAL(IGC_NUM_QUEUES)) {
        q = (addr - R_RDBAL(0)) / 0x40;
        if (addr == R_RDT(q) || (addr == R_RXDCTL(q) && (val & RXDCTL_ENABLE))) {
            igc_flush_rx(s);
        }
    } else if (addr >= R_TDBAL(0) && addr < R_TDBAL(IGC_NUM_QUEUES)) {
        q = (addr - R_TDBAL(0)) / 0x40;
        if (addr == R_TDT(q) || (addr == R_TXDCTL(q) && (val & TXDCTL_ENABLE))) {
            igc_tx_run(s, q);
        }
    }
}

static const MemoryRegionOps igc_mmio_ops = {
    .read = igc_mmio_read,
    .write = igc_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 4, .max_access_size = 4 },
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

/* ------------------------------------------------------------------ */
/* net client                                                          */

static void igc_set_link_status(NetClientState *nc)
{
    IGCState *s = qemu_get_nic_opaque(nc);
    igc_raise_cause(s, ICR_LSC);
    if (!nc->link_down) {
        igc_flush_rx(s);
    }
}

static NetClientInfo net_igc_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = igc_can_receive,
    .receive_iov = igc_receive_iov,
    .link_status_changed = igc_set_link_status,
};

/* ------------------------------------------------------------------ */
/* harness hooks (QOM properties)                                      */

static char *igc_get_rss_key(Object *obj, Error **errp)
{
    IGCState *s = IGC(obj);
    GString *g = g_string_new(NULL);
    int i;
    for (i = 0; i < 40; i++) {
        g_string_append_printf(g, "%02x",
                               (rreg(s, R_RSSRK + (i & ~3)) >> (8 * (i & 3))) & 0xFF);
    }
    return g_string_free(g, false);
}

static char *igc_get_reta(Object *obj, Error **errp)
{
    IGCState *s = IGC(obj);
    GString *g = g_string_new("[");
    int i;
    for (i = 0; i < 128; i++) {
        g_string_append_printf(g, "%s%u", i ? "," : "",
                               (rreg(s, R_RETA + (i & ~3)) >> (8 * (i & 3))) & 0xFF);
    }
    g_string_append(g, "]");
    return g_string_free(g, false);
}

static void append_u64_list(GString *g, const char *name, const uint64_t *v)
{
    int i;
    g_string_append_printf(g, "\"%s\":[", name);
    for (i = 0; i < IGC_NUM_QUEUES; i++) {
        g_string_append_printf(g, "%s%" PRIu64, i ? "," : "", v[i]);
    }
    g_string_append(g, "]");
}

static char *igc_get_stats(Object *obj, Error **errp)
{
    IGCState *s = IGC(obj);
    GString *g = g_string_new("{");
    append_u64_list(g, "rx_packets", s->q_rx_packets);
    g_string_append(g, ",");
    append_u64_list(g, "rx_bytes", s->q_rx_bytes);
    g_string_append(g, ",");
    append_u64_list(g, "rx_drops", s->q_rx_drops);
    g_string_append(g, ",");
    append_u64_list(g, "tx_packets", s->q_tx_packets);
    g_string_append(g, ",");
    append_u64_list(g, "tx_bytes", s->q_tx_bytes);
    g_string_append_printf(g, ",\"rx_runt\":%" PRIu64 ",\"rx_oversize\":%" PRIu64
                           ",\"rx_bad_ring\":%" PRIu64 ",\"rx_filtered\":%" PRIu64
                           ",\"tx_bad_desc\":%" PRIu64 ",\"unknown_reg_access\":%" PRIu64
                           ",\"rx_seq\":%" PRIu64 "}",
                           s->rx_runt, s->rx_oversize, s->rx_bad_ring, s->rx_filtered,
                           s->tx_bad_desc, s->unknown_reg_access, s->rx_seq);
    return g_string_free(g, false);
}

static char *igc_get_rx_log(Object *obj, Error **errp)
{
    IGCState *s = IGC(obj);
    GString *g = g_string_new("[");
    uint64_t first = s->rx_seq > IGC_RX_LOG_SIZE ? s->rx_seq - IGC_RX_LOG_SIZE : 0;
    uint64_t i;
    for (i = first; i < s->rx_seq; i++) {
        IGCRxLogEntry *e = &s->rx_log[i % IGC_RX_LOG_SIZE];
        g_string_append_printf(g,
            "%s{\"seq\":%" PRIu64 ",\"queue\":%u,\"len\":%u,\"hash\":%u,"
            "\"rss_type\":%u,\"vlan_stripped\":%s,\"vlan_tci\":%u,"
            "\"ts_valid\":%s,\"ts_ns\":%" PRIu64 "}",
            i == first ? "" : ",", e->seq, e->queue, e->len, e->hash,
            e->rss_type, e->vlan_stripped ? "true" : "false", e->vlan_tci,
            e->ts_valid ? "true" : "false", e->ts_ns);
    }
    g_string_append(g, "]");
    return g_string_free(g, false);
}

static void igc_set_rx_log(Object *obj, const char *v, Error **errp)
{
    IGCState *s = IGC(obj);
    if (v[0] && strcmp(v, "clear")) {
        error_setg(errp, "rx-log: only \"\" or \"clear\" may be written");
        return;
    }
    memset(s->rx_log, 0, sizeof(s->rx_log));
    s->rx_seq = 0;
}

static char *igc_get_clock_mode(Object *obj, Error **errp)
{
    return g_strdup(IGC(obj)->deterministic ? "deterministic" : "realtime");
}

static void igc_set_clock_mode(Object *obj, const char *v, Error **errp)
{
    IGCState *s = IGC(obj);
    int64_t now = igc_systim_ns(s);
    if (!strcmp(v, "deterministic")) {
        s->deterministic = true;
    } else if (!strcmp(v, "realtime")) {
        s->deterministic = false;
    } else {
        error_setg(errp, "clock-mode must be \"realtime\" or \"deterministic\"");
        return;
    }
    igc_systim_set(s, now);
}

static void igc_get_systim(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    uint64_t val = igc_systim_ns(IGC(obj));
    visit_type_uint64(v, name, &val, errp);
}

static void igc_set_systim(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    uint64_t val;
    if (visit_type_uint64(v, name, &val, errp)) {
        igc_systim_set(IGC(obj), (int64_t)MIN(val, (uint64_t)INT64_MAX));
    }
}

static void igc_instance_init(Object *obj)
{
    IGCState *s = IGC(obj);

    device_add_bootindex_property(obj, &s->conf.bootindex, "bootindex",
                                  "/ethernet-phy@0", DEVICE(obj));
    object_property_add_str(obj, "rss-key", igc_get_rss_key, NULL);
    object_property_add_str(obj, "reta", igc_get_reta, NULL);
    object_property_add_str(obj, "stats", igc_get_stats, NULL);
    object_property_add_str(obj, "rx-log", igc_get_rx_log, igc_set_rx_log);
    object_property_add_str(obj, "clock-mode", igc_get_clock_mode,
                            igc_set_clock_mode);
    object_property_add(obj, "systim-ns", "uint64", igc_get_systim,
                        igc_set_systim, NULL, NULL);
    object_property_add_uint64_ptr(obj, "clock-step-ns", &s->det_step_ns,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_add_uint32_ptr(obj, "fault-skip-ts", &s->fault_skip_ts,
                                   OBJ_PROP_FLAG_READWRITE);
}

/* ------------------------------------------------------------------ */
/* PCI                                                                 */

static void igc_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    IGCState *s = IGC(d);

    pci_default_write_config(d, addr, val, len);
    if (range_covers_byte(addr, len, PCI_COMMAND) &&
        (d->config[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
        igc_flush_rx(s);
    }
}

static void igc_realize(PCIDevice *d, Error **errp)
{
    IGCState *s = IGC(d);
    int q, ret;

    if (s->device_id_prop != IGC_DEV_ID_I225_LM &&
        s->device_id_prop != IGC_DEV_ID_I226_LM) {
        error_setg(errp, "igc: device-id must be 0x15f2 (I225-LM) or "
                   "0x125b (I226-LM)");
        return;
    }
    pci_set_word(d->config + PCI_DEVICE_ID, s->device_id_prop);
    pci_set_word(d->config + PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID_INTEL);
    pci_set_word(d->config + PCI_SUBSYSTEM_ID, 0x0000);
    d->config_write = igc_write_config;
    d->config[PCI_CACHE_LINE_SIZE] = 0x10;
    d->config[PCI_INTERRUPT_PIN] = 1;

    memory_region_init_io(&s->mmio, OBJECT(s), &igc_mmio_ops, s, "igc-mmio",
                          IGC_MMIO_SIZE);
    pci_register_bar(d, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
    memory_region_init(&s->msix, OBJECT(s), "igc-msix", IGC_MSIX_BAR_SIZE);
    pci_register_bar(d, 3, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->msix);

    if (pcie_endpoint_cap_init(d, 0xA0) < 0) {
        error_setg(errp, "igc: PCIe capability init failed");
        return;
    }
    if (s->use_msix) {
        ret = msix_init(d, IGC_MSIX_VECTORS, &s->msix, 3, 0, &s->msix, 3, 0x2000,
                        0x70, errp);
        if (ret) {
            return;
        }
        for (q = 0; q < IGC_MSIX_VECTORS; q++) {
            msix_vector_use(d, q);
        }
    }
    if (s->use_msi && msi_init(d, 0x50, 1, true, false, NULL)) {
        trace_igc_msi_init_fail();
    }
    if (pci_pm_init(d, 0x40, errp) < 0) {
        return;
    }

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&net_igc_info, &s->conf, object_get_typename(OBJECT(s)),
                          DEVICE(s)->id, &DEVICE(s)->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);

    net_rx_pkt_init(&s->rx_pkt);
    s->rxbuf = g_malloc(IGC_MAX_FRAME + IGC_TS_HDR_LEN);
    for (q = 0; q < IGC_NUM_QUEUES; q++) {
        net_tx_pkt_init(&s->tx[q].pkt, IGC_TX_MAX_FRAGS);
    }
    igc_nvm_init(s);
    igc_phy_reset(s);
    igc_reset_regs(s, false);
}

static void igc_exit(PCIDevice *d)
{
    IGCState *s = IGC(d);
    int q;

    for (q = 0; q < IGC_NUM_QUEUES; q++) {
        net_tx_pkt_reset(s->tx[q].pkt, net_tx_pkt_unmap_frag_pci, d);
        net_tx_pkt_uninit(s->tx[q].pkt);
    }
    net_rx_pkt_uninit(s->rx_pkt);
    g_free(s->rxbuf);
    qemu_del_nic(s->nic);
    if (s->use_msix) {
        msix_uninit(d, &s->msix, &s->msix);
    }
    msi_uninit(d);
}

static void igc_reset_hold(Object *obj, ResetType type)
{
    IGCState *s = IGC(obj);
    igc_phy_reset(s);
    igc_reset_regs(s, false);
}

static const VMStateDescription igc_vmstate = {
    .name = "igc",
    .unmigratable = 1,
};

static const Property igc_properties[] = {
    DEFINE_NIC_PROPERTIES(IGCState, conf),
    DEFINE_PROP_UINT16("device-id", IGCState, device_id_prop, IGC_DEV_ID_I225_LM),
    /* interrupt fallbacks for driver tests: msix=off -> MSI, both off -> INTx */
    DEFINE_PROP_BOOL("msix", IGCState, use_msix, true),
    DEFINE_PROP_BOOL("msi", IGCState, use_msi, true),
};

static void igc_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = igc_realize;
    k->exit = igc_exit;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = IGC_DEV_ID_I225_LM;
    k->revision = 3;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    rc->phases.hold = igc_reset_hold;
    dc->desc = "Intel I225/I226 2.5GbE (xdp-hints harness model)";
    dc->vmsd = &igc_vmstate;
    device_class_set_props(dc, igc_properties);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo igc_info = {
    .name = TYPE_IGC,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IGCState),
    .class_init = igc_class_init,
    .instance_init = igc_instance_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void igc_register_types(void)
{
    type_register_static(&igc_info);
}

type_init(igc_register_types)
