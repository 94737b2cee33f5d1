/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Core of the emulated Intel I225/I226 ("igc") for the xdp-hints harness:
 * registers, PHY/NVM, interrupts, RX/TX, RSS and the PTP clock.
 *
 * Written for the harness on top of QEMU's network helper libraries
 * (net_rx_pkt for parsing + Toeplitz, net_tx_pkt for TX offloads).  The PCI
 * glue is in igc.c, the QOM hooks for the harness in igc_harness.c.
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/timer.h"
#include "qemu/iov.h"
#include "net/eth.h"
#include "net/net.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "system/dma.h"

#include "net_rx_pkt.h"
#include "net_tx_pkt.h"
#include "igc_core.h"
#include "igc_filters.h"
#include "igc_harness.h"
#include "trace.h"

#define IGC_MAX_FRAME           (64 * KiB)
#define IGC_TX_MAX_FRAGS        64

/* RX and TX rings share one register layout, relative to xDBAL(n) */
#define RING_BAH                0x04
#define RING_LEN                0x08
#define RING_HEAD               0x10
#define RING_TAIL               0x18

/* ------------------------------------------------------------------ */
/* register helpers                                                    */

static inline uint32_t rreg(IgcCore *c, hwaddr off)
{
    return c->regs[off >> 2];
}

static inline void wreg(IgcCore *c, hwaddr off, uint32_t val)
{
    c->regs[off >> 2] = val;
}

/* byte i of a byte array laid out over consecutive registers (RSSRK, RETA) */
static inline uint8_t rreg_byte(IgcCore *c, hwaddr base, int i)
{
    return rreg(c, base + (i & ~3)) >> (8 * (i & 3));
}

static inline void stat_add(IgcCore *c, hwaddr off, uint32_t n)
{
    uint32_t v = rreg(c, off);
    wreg(c, off, v + n < v ? UINT32_MAX : v + n);
}

static void stat_add64(IgcCore *c, hwaddr lo, uint64_t n)
{
    uint64_t v = ((uint64_t)rreg(c, lo + 4) << 32) | rreg(c, lo);
    v += n;
    wreg(c, lo, (uint32_t)v);
    wreg(c, lo + 4, (uint32_t)(v >> 32));
}

static bool igc_link_up(IgcCore *c)
{
    return c->nic && !qemu_get_queue(c->nic)->link_down;
}

static bool igc_bus_master(IgcCore *c)
{
    return c->owner->config[PCI_COMMAND] & PCI_COMMAND_MASTER;
}

typedef struct IgcRing {
    uint64_t base;
    uint32_t ndesc;
    uint32_t head;
    uint32_t tail;
} IgcRing;

/* Load a ring from its registers at bal; false if it is unusable */
static bool igc_ring_load(IgcCore *c, hwaddr bal, IgcRing *r)
{
    r->base = ((uint64_t)rreg(c, bal + RING_BAH) << 32) | (rreg(c, bal) & ~0xFu);
    r->ndesc = (rreg(c, bal + RING_LEN) & 0xFFF80) / 16;
    r->head = rreg(c, bal + RING_HEAD);
    r->tail = rreg(c, bal + RING_TAIL);
    return r->ndesc != 0 && r->head < r->ndesc && r->tail < r->ndesc;
}

/* ------------------------------------------------------------------ */
/* PTP clock                                                           */

static int64_t igc_clk_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static hwaddr igc_timinca_reg(int t)
{
    return t ? R_TIMINCA_1 : R_TIMINCA;
}

/* The I225 runs each SYSTIM off a 3.2 ns cycle; its TIMINCA carries a
 * correction in 2^-32 ns per cycle, sign in bit 31 (see the driver's adjfine).
 * Timer 0 is the one the driver adjusts; timer 1 runs free unless written. */
int64_t igc_core_timer_ns(IgcCore *c, int t)
{
    IgcTimer *tm = &c->timer[t];
    uint32_t incr = rreg(c, igc_timinca_reg(t));
    int64_t now, d, corr = 0;
    uint32_t inc;

    if (c->deterministic) {
        return tm->sys_base;
    }
    now = igc_clk_now();
    d = now - tm->clk_base;
    inc = incr & TIMINCA_VALUE_MASK;
    if (inc && d > 0) {
        corr = (int64_t)(((__int128)d * inc * 10) / ((__int128)32 << 32));
        if (incr & TIMINCA_ISGN) {
            corr = -corr;
        }
    }
    return tm->sys_base + d + corr;
}

void igc_core_timer_set(IgcCore *c, int t, int64_t ns)
{
    if (ns < 0) {
        ns = 0;
    }
    c->timer[t].sys_base = ns;
    c->timer[t].clk_base = igc_clk_now();
}

static int64_t igc_core_systim_ns(IgcCore *c)
{
    return igc_core_timer_ns(c, 0);
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

static bool igc_msix_mode(IgcCore *c)
{
    return msix_enabled(c->owner) && (rreg(c, R_GPIE) & GPIE_MSIX_MODE);
}

static void igc_fire_msix(IgcCore *c)
{
    uint32_t pending = rreg(c, R_EICR) & rreg(c, R_EIMS);
    int v;

    for (v = 0; v < IGC_MSIX_VECTORS; v++) {
        uint32_t bit = 1u << v;
        if (!(pending & bit)) {
            continue;
        }
        if (rreg(c, R_GPIE) & GPIE_EIAME) {
            wreg(c, R_EIMS, rreg(c, R_EIMS) & ~(rreg(c, R_EIAM) & bit));
        }
        wreg(c, R_EICR, rreg(c, R_EICR) & ~(rreg(c, R_EIAC) & bit));
        trace_igc_irq_msix(v);
        msix_notify(c->owner, v);
    }
}

/* Raise the MSI-X vector an IVAR entry names, if the entry is valid */
static void igc_fire_ivar(IgcCore *c, uint32_t ent)
{
    if ((ent & IVAR_VALID) && (ent & 0x1F) < IGC_MSIX_VECTORS) {
        wreg(c, R_EICR, rreg(c, R_EICR) | (1u << (ent & 0x1F)));
        igc_fire_msix(c);
    }
}

static void igc_update_legacy(IgcCore *c, bool edge)
{
    PCIDevice *d = c->owner;
    uint32_t active = rreg(c, R_ICR) & rreg(c, R_IMS);

    if (msix_enabled(d)) {
        return;
    }
    if (msi_enabled(d)) {
        if (active && edge) {
            trace_igc_irq_legacy(rreg(c, R_ICR), rreg(c, R_IMS), 1);
            msi_notify(d, 0);
        }
        return;
    }
    trace_igc_irq_legacy(rreg(c, R_ICR), rreg(c, R_IMS), active != 0);
    pci_set_irq(d, active != 0);
}

/* A non-queue cause (LSC, TS, ...) */
static void igc_raise_cause(IgcCore *c, uint32_t causes)
{
    wreg(c, R_ICR, rreg(c, R_ICR) | causes);
    if (igc_msix_mode(c)) {
        if (causes & rreg(c, R_IMS)) {
            igc_fire_ivar(c, (rreg(c, R_IVAR_MISC) >> 8) & 0xFF);
        }
    } else {
        igc_update_legacy(c, true);
    }
}

/* A queue cause: RX (tx == false) or TX done on queue q */
static void igc_raise_queue(IgcCore *c, int q, bool tx)
{
    if (igc_msix_mode(c)) {
        uint32_t ivar = rreg(c, R_IVAR0 + 4 * (q >> 1));
        unsigned shift = ((q & 1) << 4) + (tx ? 8 : 0);
        igc_fire_ivar(c, (ivar >> shift) & 0xFF);
    } else {
        igc_raise_cause(c, tx ? ICR_TXDW : ICR_RXT0);
    }
}

/* ------------------------------------------------------------------ */
/* PHY / NVM                                                           */

static void igc_phy_reset(IgcCore *c)
{
    memset(c->phy, 0, sizeof(c->phy));
    memset(c->mmd, 0, sizeof(c->mmd));
    c->phy[PHY_CTRL] = 0x1140;          /* AN enable, full duplex, 1000 */
    c->phy[PHY_ID1] = 0x67C9;
    c->phy[PHY_ID2] = 0xDC00;
    c->phy[PHY_ANAR] = 0x0DE1;
    c->phy[PHY_LPAR] = 0xCDE1;          /* partner: 10/100 FD/HD + pause */
    c->phy[PHY_ANER] = 0x000F;
    c->phy[PHY_1000T_CTRL] = 0x0200;
    c->phy[PHY_1000T_STAT] = 0x7C00;    /* local/remote OK, partner 1000FD */
    c->phy[PHY_EXT_STATUS] = 0x3000;
    c->phy[PHY_GPHY_VER] = 0x0101;
    c->mmd[7][0x20] = 0x0080;           /* multi-gig AN control: 2.5G adv */
    c->mmd[7][0x21] = 0x0020;           /* multi-gig AN status: partner 2.5G */
    c->mmd_addr = 0;
}

static uint16_t igc_phy_status(IgcCore *c)
{
    uint16_t v = 0x7949;                /* capabilities + ext caps */
    if (igc_link_up(c)) {
        v |= PHY_STATUS_LINK | PHY_STATUS_AN_DONE;
    }
    return v;
}

/* MMDAAD: the MMD register (data function) or else the MMD address */
static uint16_t *igc_mmdaad(IgcCore *c)
{
    if ((c->phy[PHY_MMDAC] & MMDAC_FUNC_MASK) == MMDAC_FUNC_DATA) {
        return &c->mmd[c->phy[PHY_MMDAC] & MMDAC_DEVAD_MASK]
                      [c->mmd_addr % IGC_MMD_REGS];
    }
    return &c->mmd_addr;
}

static uint16_t igc_phy_read(IgcCore *c, unsigned reg)
{
    switch (reg) {
    case PHY_STATUS:
        return igc_phy_status(c);
    case PHY_MMDAAD:
        return *igc_mmdaad(c);
    default:
        return c->phy[reg];
    }
}

static void igc_phy_write(IgcCore *c, unsigned reg, uint16_t data)
{
    switch (reg) {
    case PHY_CTRL:
        if (data & PHY_CTRL_RESET) {
            igc_phy_reset(c);
        } else {
            /* auto-negotiation completes at once */
            c->phy[PHY_CTRL] = data & ~(PHY_CTRL_RESET | PHY_CTRL_RESTART_AN);
        }
        break;
    case PHY_STATUS:
    case PHY_ID1:
    case PHY_ID2:
    case PHY_LPAR:
    case PHY_1000T_STAT:
        break;                          /* read-only */
    case PHY_MMDAAD:
        *igc_mmdaad(c) = data;
        break;
    default:
        c->phy[reg] = data;
    }
}

static void igc_mdic_write(IgcCore *c, uint32_t val)
{
    unsigned reg = (val >> MDIC_REG_SHIFT) & MDIC_REG_MASK;
    unsigned addr = (val >> MDIC_PHY_SHIFT) & MDIC_PHY_MASK;
    uint16_t data = val & MDIC_DATA_MASK;
    uint32_t res = val & ~(MDIC_READY | MDIC_ERROR);

    if (addr != 0 || !(val & (MDIC_OP_READ | MDIC_OP_WRITE))) {
        wreg(c, R_MDIC, res | MDIC_READY | MDIC_ERROR);
        trace_igc_phy_bad(val);
        return;
    }
    if (val & MDIC_OP_READ) {
        uint16_t r = igc_phy_read(c, reg);
        trace_igc_phy_access(0, reg, r);
        res = (res & ~MDIC_DATA_MASK) | r;
    } else {
        trace_igc_phy_access(1, reg, data);
        igc_phy_write(c, reg, data);
    }
    wreg(c, R_MDIC, res | MDIC_READY);
}

static void igc_nvm_init(IgcCore *c)
{
    const uint8_t *m = c->mac;
    uint16_t sum = 0;
    int i;

    memset(c->nvm, 0xFF, sizeof(c->nvm));
    for (i = 0; i < 0x40; i++) {
        c->nvm[i] = 0;
    }
    c->nvm[0] = m[0] | (m[1] << 8);
    c->nvm[1] = m[2] | (m[3] << 8);
    c->nvm[2] = m[4] | (m[5] << 8);
    c->nvm[5] = 0x1234;                 /* dev starter version */
    c->nvm[0x0A] = 0x4000;
    c->nvm[0x0D] = c->device_id;
    c->nvm[0x0E] = 0x8086;
    for (i = 0; i < 0x3F; i++) {
        sum += c->nvm[i];
    }
    c->nvm[0x3F] = 0xBABA - sum;
}

/* ------------------------------------------------------------------ */
/* reset                                                               */

static void igc_load_mac(IgcCore *c)
{
    const uint8_t *m = c->mac;
    wreg(c, R_RAL0, m[0] | (m[1] << 8) | (m[2] << 16) | ((uint32_t)m[3] << 24));
    wreg(c, R_RAH0, m[4] | (m[5] << 8) | RAH_AV);
}

static void igc_reset_regs(IgcCore *c, bool keep_clock)
{
    int q, t;

    trace_igc_reset(keep_clock);
    for (t = 0; t < IGC_NUM_TIMERS; t++) {
        /* the rates below are cleared: rebase so they apply from now on */
        igc_core_timer_set(c, t, keep_clock ? igc_core_timer_ns(c, t) : 0);
    }
    memset(c->regs, 0, sizeof(c->regs));
    wreg(c, R_CTRL, CTRL_FD | CTRL_SLU);
    /* an NVM in flash (256 words), auto-read done, no flash update pending */
    wreg(c, R_EECD, EECD_PRES | EECD_AUTO_RD | (2u << EECD_SIZE_EX_SHIFT) |
                    EECD_FLASH_DETECTED | EECD_FLUDONE);
    wreg(c, R_VET, ETH_P_VLAN);
    wreg(c, R_PHPM, PHPM_RST_COMP);
    wreg(c, R_RXPBS, 0xA2);
    wreg(c, R_RLPML, 1522);
    for (q = 0; q < IGC_NUM_QUEUES; q++) {
        wreg(c, R_SRRCTL(q), 2);        /* 2 KiB buffers */
        net_tx_pkt_reset(c->tx[q].pkt, net_tx_pkt_unmap_frag_pci, c->owner);
        c->tx[q].in_packet = false;
        c->tx[q].bad = false;
        memset(c->tx[q].ctx, 0, sizeof(c->tx[q].ctx));
    }
    igc_load_mac(c);
}

void igc_core_reset(IgcCore *c)
{
    igc_phy_reset(c);
    igc_reset_regs(c, false);
}

/* ------------------------------------------------------------------ */
/* RSS                                                                 */

void igc_core_rss_key(IgcCore *c, uint8_t key[IGC_RSS_KEY_LEN])
{
    int i;
    for (i = 0; i < IGC_RSS_KEY_LEN; i++) {
        key[i] = rreg_byte(c, R_RSSRK, i);
    }
}

uint8_t igc_core_reta(IgcCore *c, int i)
{
    return rreg_byte(c, R_RETA, i);
}

/* Hash functions MRQC can enable, most specific first per IP version */
static const struct {
    bool ip6;
    bool any_l4;                        /* the L3-only fallback */
    EthL4HdrProto l4;
    uint32_t mrqc;
    NetRxPktRssType func;
    uint8_t type;
} igc_rss_funcs[] = {
    { false, false, ETH_L4_HDR_PROTO_TCP, MRQC_IPV4_TCP,
      NetPktRssIpV4Tcp, RSS_TYPE_TCP_IPV4 },
    { false, false, ETH_L4_HDR_PROTO_UDP, MRQC_IPV4_UDP,
      NetPktRssIpV4Udp, RSS_TYPE_UDP_IPV4 },
    { false, true, ETH_L4_HDR_PROTO_INVALID, MRQC_IPV4,
      NetPktRssIpV4, RSS_TYPE_IPV4 },
    { true, false, ETH_L4_HDR_PROTO_TCP, MRQC_IPV6_TCP | MRQC_IPV6_TCP_EX,
      NetPktRssIpV6Tcp, RSS_TYPE_TCP_IPV6 },
    { true, false, ETH_L4_HDR_PROTO_UDP, MRQC_IPV6_UDP,
      NetPktRssIpV6Udp, RSS_TYPE_UDP_IPV6 },
    { true, true, ETH_L4_HDR_PROTO_INVALID, MRQC_IPV6,
      NetPktRssIpV6, RSS_TYPE_IPV6 },
};

/* RSS: hash, writeback type and queue from MRQC and the parsed protocols */
static void igc_rss(IgcCore *c, uint32_t *hash, uint8_t *type, int *queue)
{
    uint32_t mrqc = rreg(c, R_MRQC);
    bool ip4, ip6, frag;
    EthL4HdrProto l4;
    uint8_t key[IGC_RSS_KEY_LEN];
    size_t i;

    *hash = 0;
    *type = RSS_TYPE_NONE;
    /* frames RSS does not hash go to MRQC's default queue (assumed) */
    *queue = ((mrqc >> MRQC_DEF_Q_SHIFT) & MRQC_DEF_Q_MASK) & (IGC_NUM_QUEUES - 1);
    if ((mrqc & MRQC_MQ_MASK) != MRQC_MQ_RSS) {
        return;
    }
    net_rx_pkt_get_protocols(c->rx_pkt, &ip4, &ip6, &l4);
    if (!ip4 && !ip6) {
        return;
    }
    frag = ip4 ? net_rx_pkt_get_ip4_info(c->rx_pkt)->fragment
               : net_rx_pkt_get_ip6_info(c->rx_pkt)->fragment;
    if (frag) {
        l4 = ETH_L4_HDR_PROTO_INVALID;  /* fragments hash as L3 */
    }
    for (i = 0; i < ARRAY_SIZE(igc_rss_funcs); i++) {
        if (igc_rss_funcs[i].ip6 == ip6 && (mrqc & igc_rss_funcs[i].mrqc) &&
            (igc_rss_funcs[i].any_l4 || igc_rss_funcs[i].l4 == l4)) {
            break;
        }
    }
    if (i == ARRAY_SIZE(igc_rss_funcs)) {
        return;
    }
    *type = igc_rss_funcs[i].type;
    igc_core_rss_key(c, key);
    *hash = net_rx_pkt_calc_rss_hash(c->rx_pkt, igc_rss_funcs[i].func, key);
    *queue = igc_core_reta(c, *hash & 0x7F) & (IGC_NUM_QUEUES - 1);
}

/* ------------------------------------------------------------------ */
/* RX                                                                  */

/* What one received frame carries into the descriptors and the rx-log */
typedef struct IgcRxFrame {
    int queue;
    uint32_t hash;
    uint8_t rss_type;
    bool vp;
    uint16_t tci;
    uint32_t total;                     /* frame length after VLAN strip */
    bool want_ts;
    uint32_t tslen;                     /* timestamp header in front */
    int64_t ts;                         /* timer 0 */
    int64_t ts1;                        /* timer 1 */
    uint32_t status;
} IgcRxFrame;

void igc_core_flush_rx(IgcCore *c)
{
    int i, n = MAX(1, c->backend_queues);
    for (i = 0; i < n; i++) {
        qemu_flush_queued_packets(qemu_get_subqueue(c->nic, i));
    }
}

bool igc_core_can_receive(IgcCore *c)
{
    return (rreg(c, R_RCTL) & RCTL_EN) && igc_link_up(c) && igc_bus_master(c);
}

static bool igc_addr_accepted(IgcCore *c, const uint8_t *da)
{
    uint32_t rctl = rreg(c, R_RCTL);
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
        return rreg(c, R_MTA + 4 * (h >> 5)) & (1u << (h & 31));
    }
    if (rctl & RCTL_UPE) {
        return true;
    }
    for (i = 0; i < IGC_RAR_ENTRIES; i++) {
        uint32_t ral = rreg(c, R_RAL0 + 8 * i), rah = rreg(c, R_RAH0 + 8 * i);
        uint8_t a[6] = { ral, ral >> 8, ral >> 16, ral >> 24, rah, rah >> 8 };
        if ((rah & RAH_AV) && !igc_filters_mac_is_src(c, i) &&
            !memcmp(a, da, 6)) {
            return true;
        }
    }
    return false;
}

static void igc_rx_log(IgcCore *c, const IgcRxFrame *f)
{
    IgcRxLogEntry *e = &c->rx_log[c->rx_seq % IGC_RX_LOG_SIZE];
    e->seq = c->rx_seq++;
    e->queue = f->queue;
    e->len = f->total;
    e->hash = f->hash;
    e->rss_type = f->rss_type;
    e->vlan_stripped = f->vp;
    e->vlan_tci = f->tci;
    e->ts_valid = f->want_ts;
    e->ts_ns = f->want_ts ? f->ts : 0;
    e->ts1_ns = f->want_ts ? f->ts1 : 0;
}

static void igc_rx_drop(IgcCore *c, int q, const char *why, size_t size)
{
    trace_igc_rx_drop(why, q, size);
    c->stats.rx_drops[q]++;
    wreg(c, R_RQDPC(q), rreg(c, R_RQDPC(q)) + 1);
    stat_add(c, R_MPC, 1);
}

/* Step 1: what the MAC takes (no runts, no oversize, address filter) */
static bool igc_rx_accept(IgcCore *c, const struct iovec *iov, int iovcnt,
                          size_t size, uint8_t *hdr)
{
    uint32_t rctl = rreg(c, R_RCTL), rlpml = rreg(c, R_RLPML);

    if (size < ETH_HLEN) {
        c->stats.rx_runt++;
        stat_add(c, R_RUC, 1);
        trace_igc_rx_drop("runt", 0, size);
        return false;
    }
    if (size > IGC_MAX_FRAME - IGC_TS_HDR_LEN ||
        ((rctl & RCTL_LPE) ? (rlpml && size + 4 > rlpml) : size + 4 > 1522)) {
        c->stats.rx_oversize++;
        stat_add(c, R_ROC, 1);
        trace_igc_rx_drop("oversize", 0, size);
        return false;
    }
    iov_to_buf(iov, iovcnt, 0, hdr, ETH_HLEN);
    if (!igc_addr_accepted(c, hdr)) {
        c->stats.rx_filtered++;
        return false;
    }
    return true;
}

/* Step 2: parse, strip the VLAN tag (CTRL.VME), hash and pick the queue */
static void igc_rx_parse(IgcCore *c, const struct iovec *iov, int iovcnt,
                         const uint8_t *hdr, IgcRxFrame *f)
{
    const char *which;
    int q;

    net_rx_pkt_set_packet_type(c->rx_pkt,
                               get_eth_packet_type(PKT_GET_ETH_HDR(hdr)));
    net_rx_pkt_set_protocols(c->rx_pkt, iov, iovcnt, 0);
    net_rx_pkt_attach_iovec_ex(c->rx_pkt, iov, iovcnt, 0,
                               (rreg(c, R_CTRL) & CTRL_VME) ? 0 : -1,
                               rreg(c, R_VET) & 0xFFFF, 0);
    f->vp = net_rx_pkt_is_vlan_stripped(c->rx_pkt);
    f->tci = f->vp ? net_rx_pkt_get_vlan_tag(c->rx_pkt) : 0;
    igc_rss(c, &f->hash, &f->rss_type, &f->queue);
    q = igc_filters_queue(c, iov, iovcnt, &which);
    if (q >= 0) {
        trace_igc_rx_filter(which, q);
        f->queue = q;
    }
    f->total = net_rx_pkt_get_total_len(c->rx_pkt);
}

/* Step 3: the ring of the frame's queue; false if disabled or invalid */
static bool igc_rx_ring(IgcCore *c, int q, IgcRing *r, uint32_t *bufsz)
{
    *bufsz = (rreg(c, R_SRRCTL(q)) & SRRCTL_BSIZEPKT_MASK) * 1024;
    if (!*bufsz) {
        *bufsz = 2048;
    }
    return igc_ring_load(c, R_RDBAL(q), r) &&
           (rreg(c, R_RXDCTL(q)) & RXDCTL_ENABLE);
}

/* Step 4: does the frame get a timestamp header (TSYNCRXCTL, SRRCTL, faults) */
static void igc_rx_ts_wanted(IgcCore *c, IgcRxFrame *f)
{
    f->want_ts = (rreg(c, R_TSYNCRXCTL) & TSYNCRXCTL_ENABLED) &&
                 (rreg(c, R_SRRCTL(f->queue)) & SRRCTL_TIMESTAMP);
    if (f->want_ts && c->fault_skip_ts) {
        c->fault_skip_ts--;
        f->want_ts = false;
    }
    f->tslen = f->want_ts ? IGC_TS_HDR_LEN : 0;
}

/* One 8-byte slot of the header: SYSTIML, SYSTIMH of the timer SRRCTL selects
 * (timers 2 and 3 are not modelled: zeros) */
static void igc_rx_stamp_slot(uint8_t *p, int sel, const int64_t *now)
{
    uint32_t sec = 0, ns = 0;

    if (sel < IGC_NUM_TIMERS) {
        igc_split_ns(now[sel], &sec, &ns);
    }
    stl_le_p(p, ns);
    stl_le_p(p + 4, sec);
}

/* Step 5: the timestamp header in front of the frame: the timer SRRCTL.TIMER1SEL
 * names, then the one TIMER0SEL names */
static void igc_rx_stamp(IgcCore *c, IgcRxFrame *f)
{
    uint32_t srrctl = rreg(c, R_SRRCTL(f->queue));
    int64_t now[IGC_NUM_TIMERS];
    int t;

    for (t = 0; t < IGC_NUM_TIMERS; t++) {
        now[t] = igc_core_timer_ns(c, t);
    }
    f->ts = now[0];
    f->ts1 = now[1];
    igc_rx_stamp_slot(c->rxbuf + 0,
                      (srrctl >> SRRCTL_TIMER1SEL_SHIFT) & SRRCTL_TIMERSEL_MASK, now);
    igc_rx_stamp_slot(c->rxbuf + 8,
                      (srrctl >> SRRCTL_TIMER0SEL_SHIFT) & SRRCTL_TIMERSEL_MASK, now);
    if (c->deterministic) {
        for (t = 0; t < IGC_NUM_TIMERS; t++) {
            c->timer[t].sys_base += c->timer[t].det_step_ns;
        }
    }
}

/* RX checksum status bits for the parsed frame */
static uint32_t igc_rx_csum_status(IgcCore *c)
{
    uint32_t status = 0;
    bool ip4, ip6, ok;
    EthL4HdrProto l4;

    net_rx_pkt_get_protocols(c->rx_pkt, &ip4, &ip6, &l4);
    if (ip4 && net_rx_pkt_validate_l3_csum(c->rx_pkt, &ok)) {
        status |= RXD_STAT_IPCS | (ok ? 0 : RXD_ERR_IPE);
    }
    if ((ip4 || ip6) && (l4 == ETH_L4_HDR_PROTO_TCP || l4 == ETH_L4_HDR_PROTO_UDP) &&
        net_rx_pkt_validate_l4_csum(c->rx_pkt, &ok)) {
        status |= (l4 == ETH_L4_HDR_PROTO_TCP ? RXD_STAT_TCPCS : RXD_STAT_UDPCS) |
                  (ok ? 0 : RXD_ERR_L4E);
    }
    return status;
}

/* Step 6: DMA rxbuf into the ring's buffers and write the descriptors back */
static bool igc_rx_write_descs(IgcCore *c, const IgcRxFrame *f, IgcRing *r,
                               uint32_t bufsz, size_t size)
{
    uint32_t len = f->total + f->tslen, done = 0;
    int q = f->queue;

    while (done < len) {
        uint8_t desc[16];
        uint32_t chunk = MIN(bufsz, len - done);
        uint64_t addr = r->base + (uint64_t)r->head * 16;
        uint32_t st = f->status | RXD_STAT_DD;
        uint64_t buf;

        if (pci_dma_read(c->owner, addr, desc, 16) != MEMTX_OK) {
            c->stats.rx_bad_ring++;
            trace_igc_dma_error("rx-desc-read", q, addr);
            igc_rx_drop(c, q, "desc-dma", size);
            return false;
        }
        buf = ldq_le_p(desc);
        if (pci_dma_write(c->owner, buf, c->rxbuf + done, chunk) != MEMTX_OK) {
            c->stats.rx_bad_ring++;
            trace_igc_dma_error("rx-buf-write", q, buf);
            /* still hand the descriptor back so the ring keeps moving */
        }
        if (done == 0 && f->want_ts) {
            st |= RXD_STAT_TSIP;
        }
        done += chunk;
        if (done >= len) {
            st |= RXD_STAT_EOP;
        }
        memset(desc, 0, sizeof(desc));
        stl_le_p(desc + 0, f->rss_type);
        stl_le_p(desc + 4, f->hash);
        stl_le_p(desc + 8, st);
        stw_le_p(desc + 12, chunk);
        stw_le_p(desc + 14, f->tci);
        if (pci_dma_write(c->owner, addr, desc, 16) != MEMTX_OK) {
            trace_igc_dma_error("rx-desc-write", q, addr);
        }
        r->head = (r->head + 1) % r->ndesc;
    }
    wreg(c, R_RDH(q), r->head);
    return true;
}

/* Step 7: counters, rx-log, interrupt */
static void igc_rx_done(IgcCore *c, const IgcRxFrame *f, size_t size,
                        const uint8_t *hdr)
{
    int q = f->queue;

    c->stats.rx_packets[q]++;
    c->stats.rx_bytes[q] += f->total;
    stat_add(c, R_GPRC, 1);
    stat_add(c, R_TPR, 1);
    stat_add64(c, R_GORCL, size + 4);
    stat_add64(c, R_TORL, size + 4);
    if (hdr[0] & 1) {
        stat_add(c, (hdr[0] == 0xff) ? R_BPRC : R_MPRC, 1);
    }
    igc_rx_log(c, f);
    trace_igc_rx_frame(q, f->total, f->hash, f->rss_type, f->tci, f->want_ts);
    igc_raise_queue(c, q, false);
}

ssize_t igc_core_receive_iov(IgcCore *c, const struct iovec *iov, int iovcnt)
{
    size_t size = iov_size(iov, iovcnt);
    uint8_t hdr[ETH_HLEN];
    IgcRxFrame f = { 0 };
    IgcRing ring;
    uint32_t bufsz, need, faults;

    if (!igc_core_can_receive(c)) {
        return -1;
    }
    if (!igc_rx_accept(c, iov, iovcnt, size, hdr)) {
        return size;
    }
    igc_rx_parse(c, iov, iovcnt, hdr, &f);
    faults = igc_harness_rx_faults(c, iov, iovcnt);
    if (faults & IGC_FAULT_RSS_NONE) {
        f.rss_type = 0;
        f.hash = 0;
    }
    if (!igc_rx_ring(c, f.queue, &ring, &bufsz)) {
        c->stats.rx_bad_ring++;
        igc_rx_drop(c, f.queue, "ring-disabled-or-invalid", size);
        return size;
    }
    igc_rx_ts_wanted(c, &f);
    if (faults & IGC_FAULT_NO_TS) {
        f.want_ts = false;
        f.tslen = 0;
    }
    need = DIV_ROUND_UP(f.total + f.tslen, bufsz);
    if (need > ring.ndesc - 1) {
        igc_rx_drop(c, f.queue, "ring-too-small", size);
        return size;
    }
    if ((ring.tail + ring.ndesc - ring.head) % ring.ndesc < need) {
        /* hold the frame until the driver refills the ring */
        stat_add(c, R_RNBC, 1);
        return 0;
    }
    /* the attached vector has at most iovcnt + 1 elements (split header) */
    if (iov_to_buf(net_rx_pkt_get_iovec(c->rx_pkt), iovcnt + 1, 0,
                   c->rxbuf + f.tslen, f.total) != f.total) {
        igc_rx_drop(c, f.queue, "parse", size);
        return size;
    }
    if (f.want_ts) {
        igc_rx_stamp(c, &f);
    }
    f.status = igc_rx_csum_status(c) | (f.vp ? RXD_STAT_VP : 0);
    if (faults & IGC_FAULT_CSUM) {
        f.status |= (f.status & (RXD_STAT_TCPCS | RXD_STAT_UDPCS)) ? RXD_ERR_L4E :
                    RXD_STAT_IPCS | RXD_ERR_IPE;
    }
    if (igc_rx_write_descs(c, &f, &ring, bufsz, size)) {
        igc_rx_done(c, &f, size, hdr);
    }
    return size;
}

void igc_core_set_link_status(IgcCore *c, bool link_down)
{
    igc_raise_cause(c, ICR_LSC);
    if (!link_down) {
        igc_core_flush_rx(c);
    }
}

/* ------------------------------------------------------------------ */
/* TX                                                                  */

static void igc_tx_send_cb(void *opaque, const struct iovec *iov, int iovcnt,
                           const struct iovec *virt_iov, int virt_iovcnt)
{
    IgcCore *c = opaque;
    qemu_sendv_packet(qemu_get_queue(c->nic), iov, iovcnt);
}

/* TX stamp into register pair n (descriptor), from timer 1 if olinfo says so */
static void igc_tx_timestamp(IgcCore *c, uint32_t cmd, uint32_t olinfo)
{
    unsigned reg = (cmd >> TXD_TSTAMP_REG_SHIFT) & 3;
    uint32_t sec, ns;

    if (!(rreg(c, R_TSYNCTXCTL) & TSYNCTXCTL_ENABLED)) {
        return;
    }
    igc_split_ns(igc_core_timer_ns(c, (olinfo & TXD_OLINFO_TIMER_1) ? 1 : 0),
                 &sec, &ns);
    wreg(c, R_TXSTMPL_N(reg), ns);
    wreg(c, R_TXSTMPH_N(reg), sec);
    wreg(c, R_TSYNCTXCTL, rreg(c, R_TSYNCTXCTL) | (1u << reg));
    wreg(c, R_TSICR, rreg(c, R_TSICR) | TSICR_TXTS);
    if (rreg(c, R_TSIM) & TSICR_TXTS) {
        igc_raise_cause(c, ICR_TS);
    }
}

/* VLAN insert, TSO and checksum offloads; false if the frame is bad */
static bool igc_tx_offloads(IgcCore *c, IgcTxState *t)
{
    uint32_t olinfo = t->first_olinfo, cmd = t->first_cmd;
    /*
     * The I225 driver numbers its context per ring (idx = ring index) and does
     * not repeat it in the data descriptors: use the ring's last context.
     */
    IgcTxCtx *ctx = &t->ctx[0];

    if (cmd & TXD_CMD_VLE) {
        net_tx_pkt_setup_vlan_header_ex(t->pkt, ctx->vlan_macip_lens >> 16,
                                        rreg(c, R_VET) & 0xFFFF);
    }
    if (cmd & TXD_CMD_TSE) {
        if (!net_tx_pkt_build_vheader(t->pkt, true, true,
                                      ctx->mss_l4len_idx >> 16)) {
            return false;
        }
        net_tx_pkt_update_ip_checksums(t->pkt);
    } else if (olinfo & TXD_POPTS_TXSM) {
        if ((ctx->type_tucmd_mlhl & TXCTX_TUCMD_L4T_MASK) == TXCTX_TUCMD_L4T_SCTP) {
            net_tx_pkt_update_sctp_checksum(t->pkt);
        } else if (!net_tx_pkt_build_vheader(t->pkt, false, true, 0)) {
            return false;
        }
    }
    if ((olinfo & TXD_POPTS_IXSM) && !(cmd & TXD_CMD_TSE)) {
        net_tx_pkt_update_ip_hdr_checksum(t->pkt);
    }
    return true;
}

static void igc_tx_finish(IgcCore *c, int q)
{
    IgcTxState *t = &c->tx[q];
    size_t len;

    if (t->bad || !net_tx_pkt_parse(t->pkt)) {
        c->stats.tx_bad_desc++;
        trace_igc_tx_bad(q, 0);
        goto out;
    }
    if (!igc_tx_offloads(c, t)) {
        c->stats.tx_bad_desc++;
        goto out;
    }
    len = net_tx_pkt_get_total_len(t->pkt);
    if (t->first_cmd & TXD_MAC_TSTAMP) {
        igc_tx_timestamp(c, t->first_cmd, t->first_olinfo);
    }
    if (igc_link_up(c)) {
        net_tx_pkt_send_custom(t->pkt, false, igc_tx_send_cb, c);
    }
    c->stats.tx_packets[q]++;
    c->stats.tx_bytes[q] += len;
    stat_add(c, R_GPTC, 1);
    stat_add(c, R_TPT, 1);
    stat_add64(c, R_GOTCL, len + 4);
    stat_add64(c, R_TOTL, len + 4);
    trace_igc_tx_frame(q, len);
out:
    net_tx_pkt_reset(t->pkt, net_tx_pkt_unmap_frag_pci, c->owner);
    t->in_packet = false;
    t->bad = false;
}

/* One TX descriptor: a context, or a data buffer (EOP sends the frame) */
static void igc_tx_desc(IgcCore *c, int q, const uint8_t *desc)
{
    IgcTxState *t = &c->tx[q];
    uint32_t cmd = ldl_le_p(desc + 8);
    uint32_t olinfo = ldl_le_p(desc + 12);
    uint32_t dtyp = (cmd >> TXD_DTYP_SHIFT) & TXD_DTYP_MASK;
    uint64_t buf = ldq_le_p(desc);
    uint32_t len = cmd & TXD_LEN_MASK;

    if ((cmd & TXD_CMD_DEXT) && dtyp == TXD_DTYP_CTXT) {
        IgcTxCtx *ctx = &t->ctx[0];
        ctx->vlan_macip_lens = ldl_le_p(desc + 0);
        ctx->type_tucmd_mlhl = cmd;
        ctx->mss_l4len_idx = olinfo;
        return;
    }
    if (!t->in_packet) {
        t->in_packet = true;
        t->first_cmd = cmd;
        t->first_olinfo = olinfo;
    }
    if (len && !t->bad &&
        !net_tx_pkt_add_raw_fragment_pci(t->pkt, c->owner, buf, len)) {
        t->bad = true;
        trace_igc_dma_error("tx-buf", q, buf);
    }
    if (cmd & TXD_CMD_EOP) {
        igc_tx_finish(c, q);
    }
}

static void igc_tx_run(IgcCore *c, int q)
{
    IgcRing r;
    uint32_t n = 0;
    bool report = false;

    if (!(rreg(c, R_TCTL) & TCTL_EN) || !(rreg(c, R_TXDCTL(q)) & TXDCTL_ENABLE) ||
        !igc_bus_master(c)) {
        return;
    }
    if (!igc_ring_load(c, R_TDBAL(q), &r)) {
        c->stats.tx_bad_desc++;
        trace_igc_tx_bad(q, r.base);
        return;
    }
    while (r.head != r.tail && n++ < r.ndesc) {
        uint8_t desc[16];
        uint64_t addr = r.base + (uint64_t)r.head * 16;

        if (pci_dma_read(c->owner, addr, desc, 16) != MEMTX_OK) {
            c->stats.tx_bad_desc++;
            trace_igc_dma_error("tx-desc-read", q, addr);
            break;
        }
        igc_tx_desc(c, q, desc);
        if (ldl_le_p(desc + 8) & TXD_CMD_RS) {
            uint8_t wb[4];
            stl_le_p(wb, TXD_STAT_DD);
            pci_dma_write(c->owner, addr + 12, wb, 4);
            report = true;
        }
        r.head = (r.head + 1) % r.ndesc;
    }
    wreg(c, R_TDH(q), r.head);
    if (report) {
        igc_raise_queue(c, q, true);
    }
}

static void igc_tx_run_all(IgcCore *c)
{
    int q;
    for (q = 0; q < IGC_NUM_QUEUES; q++) {
        igc_tx_run(c, q);
    }
}

/* ------------------------------------------------------------------ */
/* register reads                                                      */

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

typedef uint32_t (*IgcReadOp)(IgcCore *c, hwaddr addr);
typedef void (*IgcWriteOp)(IgcCore *c, hwaddr addr, uint32_t val);

/* table index of a register, a range [lo, hi), the 4 instances of a queue reg */
#define IGC_R(a)                [(a) >> 2]
#define IGC_R_RANGE(lo, hi)     [(lo) >> 2 ... ((hi) >> 2) - 1]
#define IGC_R_QUEUES(r, op) \
    IGC_R(r(0)) = op, IGC_R(r(1)) = op, IGC_R(r(2)) = op, IGC_R(r(3)) = op
QEMU_BUILD_BUG_ON(IGC_NUM_QUEUES != 4);

static uint32_t igc_read_status(IgcCore *c, hwaddr addr)
{
    uint32_t v = STATUS_FD;

    if (igc_link_up(c)) {
        v |= STATUS_LU | STATUS_SPEED_1000 | STATUS_SPEED_2500;
    }
    if (!(rreg(c, R_CTRL) & CTRL_GIO_MASTER_DISABLE)) {
        v |= STATUS_GIO_MASTER_EN;
    }
    return v;
}

static uint32_t igc_read_icr(IgcCore *c, hwaddr addr)
{
    uint32_t v = rreg(c, R_ICR);

    if (v & rreg(c, R_IMS)) {
        v |= ICR_INT_ASSERTED;
        if (!igc_msix_mode(c)) {
            wreg(c, R_IMS, rreg(c, R_IMS) & ~rreg(c, R_IAM));
        }
    }
    wreg(c, R_ICR, 0);
    igc_update_legacy(c, false);
    return v;
}

/* EICR, TSICR, statistics */
static uint32_t igc_read_to_clear(IgcCore *c, hwaddr addr)
{
    uint32_t v = rreg(c, addr);
    wreg(c, addr, 0);
    return v;
}

/* the timer a SYSTIML/SYSTIMH/TIMINCA register belongs to */
static int igc_timer_of(hwaddr addr)
{
    return (addr == R_SYSTIML || addr == R_SYSTIMH || addr == R_TIMINCA) ? 0 : 1;
}

/* SYSTIML latches SYSTIMH (per timer) */
static uint32_t igc_read_systiml(IgcCore *c, hwaddr addr)
{
    int t = igc_timer_of(addr);
    uint32_t sec, ns;

    igc_split_ns(igc_core_timer_ns(c, t), &sec, &ns);
    c->timer[t].h_latch = sec;
    return ns;
}

static uint32_t igc_read_systimh(IgcCore *c, hwaddr addr)
{
    return c->timer[igc_timer_of(addr)].h_latch;
}

/* reading TXSTMPH n releases TX timestamp register n */
static uint32_t igc_read_txstmph(IgcCore *c, hwaddr addr)
{
    unsigned reg = 0;

    while (reg < 3 && addr != R_TXSTMPH_N(reg)) {
        reg++;
    }
    wreg(c, R_TSYNCTXCTL, rreg(c, R_TSYNCTXCTL) & ~(1u << reg));
    return rreg(c, addr);
}

static uint32_t igc_read_phpm(IgcCore *c, hwaddr addr)
{
    return rreg(c, addr) | PHPM_RST_COMP;
}

/* no PTM dialog to run: a triggered cycle completes at once (with zeros) */
static uint32_t igc_read_ptm_stat(IgcCore *c, hwaddr addr)
{
    return rreg(c, addr) |
           ((rreg(c, R_PTM_CTRL) & PTM_CTRL_TRIG) ? PTM_STAT_VALID : 0);
}

/* registers with read side effects or computed values; others read as stored */
static const IgcReadOp igc_readops[IGC_MMIO_SIZE / 4] = {
    IGC_R(R_STATUS) = igc_read_status,
    IGC_R(R_ICR) = igc_read_icr,
    IGC_R(R_EICR) = igc_read_to_clear,
    IGC_R(R_TSICR) = igc_read_to_clear,
    IGC_R_RANGE(R_STATS_START, R_STATS_END) = igc_read_to_clear,
    IGC_R(R_SYSTIML) = igc_read_systiml,
    IGC_R(R_SYSTIMH) = igc_read_systimh,
    IGC_R(R_SYSTIML_1) = igc_read_systiml,
    IGC_R(R_SYSTIMH_1) = igc_read_systimh,
    IGC_R(R_TXSTMPH_N(0)) = igc_read_txstmph,
    IGC_R(R_TXSTMPH_N(1)) = igc_read_txstmph,
    IGC_R(R_TXSTMPH_N(2)) = igc_read_txstmph,
    IGC_R(R_TXSTMPH_N(3)) = igc_read_txstmph,
    IGC_R(R_PHPM) = igc_read_phpm,
    IGC_R(R_PTM_STAT) = igc_read_ptm_stat,
};

uint64_t igc_core_read(IgcCore *c, hwaddr addr, unsigned size)
{
    IgcReadOp op;

    addr &= ~3ULL;
    if (addr >= IGC_MMIO_SIZE) {
        return 0;
    }
    if (!igc_known_reg(addr)) {
        c->stats.unknown_reg_access++;
        trace_igc_reg_read_unknown(addr);
    }
    op = igc_readops[addr >> 2];
    return op ? op(c, addr) : rreg(c, addr);
}

/* ------------------------------------------------------------------ */
/* register writes                                                     */

static void igc_write_ctrl(IgcCore *c, hwaddr addr, uint32_t val)
{
    if (val & CTRL_RST) {
        igc_reset_regs(c, true);
        wreg(c, R_CTRL, (val & ~CTRL_RST) | CTRL_FD | CTRL_SLU);
        return;
    }
    if (val & CTRL_PHY_RST) {
        igc_phy_reset(c);
        val &= ~CTRL_PHY_RST;
    }
    wreg(c, R_CTRL, val);
}

/* STATUS (read-only here) and the statistics (read-only counters) */
static void igc_write_ignore(IgcCore *c, hwaddr addr, uint32_t val)
{
}

static void igc_write_mdic(IgcCore *c, hwaddr addr, uint32_t val)
{
    igc_mdic_write(c, val);
}

/* EERD: an NVM read completes at once */
static void igc_write_eerd(IgcCore *c, hwaddr addr, uint32_t val)
{
    unsigned a = (val >> EERD_ADDR_SHIFT) & 0x3FFF;
    uint16_t data = a < IGC_NVM_WORDS ? c->nvm[a] : 0xFFFF;

    wreg(c, R_EERD, (val & 0xFFFC) | EERD_DONE |
                    ((uint32_t)data << EERD_DATA_SHIFT));
}

/* EECD: REQ is granted at once; a flash update (FLUPD) completes at once
 * (FLUDONE stays set); the other bits are the device's */
static void igc_write_eecd(IgcCore *c, hwaddr addr, uint32_t val)
{
    uint32_t v = rreg(c, addr) & ~(EECD_REQ | EECD_GNT | EECD_FLUPD);

    if (val & EECD_REQ) {
        v |= EECD_REQ | EECD_GNT;
    }
    if (val & EECD_FLUPD) {
        trace_igc_nvm_flash_update();
    }
    wreg(c, addr, v | EECD_FLUDONE);
}

/* SRWR: a shadow-RAM word write completes at once (kept until QEMU exits) */
static void igc_write_srwr(IgcCore *c, hwaddr addr, uint32_t val)
{
    unsigned a = (val >> EERD_ADDR_SHIFT) & 0x3FFF;

    if (!(val & SRWR_START)) {
        wreg(c, addr, val & ~SRWR_DONE);
        return;
    }
    if (a < IGC_NVM_WORDS) {
        c->nvm[a] = val >> EERD_DATA_SHIFT;
    }
    wreg(c, addr, (val & ~SRWR_START) | SRWR_DONE);
}

/* write 1 to clear: TSICR, PTM_STAT */
static void igc_write_w1c(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, addr, rreg(c, addr) & ~val);
}

/* ICR, EICR: write 1 to clear, then the INTx/MSI level follows */
static void igc_write_icr(IgcCore *c, hwaddr addr, uint32_t val)
{
    igc_write_w1c(c, addr, val);
    igc_update_legacy(c, false);
}

static void igc_write_ics(IgcCore *c, hwaddr addr, uint32_t val)
{
    igc_raise_cause(c, val);
}

static void igc_write_ims(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, R_IMS, rreg(c, R_IMS) | val);
    igc_update_legacy(c, true);
}

static void igc_write_imc(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, R_IMS, rreg(c, R_IMS) & ~val);
    igc_update_legacy(c, false);
}

static void igc_write_eics(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, R_EICR, rreg(c, R_EICR) | val);
    if (igc_msix_mode(c)) {
        igc_fire_msix(c);
    } else if (val) {
        igc_raise_cause(c, ICR_RXT0);
    }
}

static void igc_write_eims(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, R_EIMS, rreg(c, R_EIMS) | val);
    if (igc_msix_mode(c)) {
        igc_fire_msix(c);
    }
}

static void igc_write_eimc(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, R_EIMS, rreg(c, R_EIMS) & ~val);
}

static void igc_write_rctl(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, addr, val);
    if (val & RCTL_EN) {
        igc_core_flush_rx(c);
    }
}

static void igc_write_tctl(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, addr, val);
    igc_tx_run_all(c);
}

/* SYSTIML sets the ns part; SYSTIMH (written last) the seconds (per timer) */
static void igc_write_systiml(IgcCore *c, hwaddr addr, uint32_t val)
{
    int t = igc_timer_of(addr);
    int64_t sec = (uint32_t)(igc_core_timer_ns(c, t) / NANOSECONDS_PER_SECOND);

    c->timer[t].l_pending = val % NANOSECONDS_PER_SECOND;
    igc_core_timer_set(c, t, sec * NANOSECONDS_PER_SECOND + c->timer[t].l_pending);
}

static void igc_write_systimh(IgcCore *c, hwaddr addr, uint32_t val)
{
    int t = igc_timer_of(addr);

    igc_core_timer_set(c, t, (int64_t)val * NANOSECONDS_PER_SECOND +
                             c->timer[t].l_pending);
}

/* a new rate applies from now on: rebase that timer first */
static void igc_write_timinca(IgcCore *c, hwaddr addr, uint32_t val)
{
    int t = igc_timer_of(addr);

    igc_core_timer_set(c, t, igc_core_timer_ns(c, t));
    wreg(c, addr, val);
}

/* TIMADJ moves timer 0 only */
static void igc_write_timadj(IgcCore *c, hwaddr addr, uint32_t val)
{
    int64_t adj = val & 0x3FFFFFFF;

    igc_core_timer_set(c, 0, igc_core_systim_ns(c) +
                             ((val & (1u << 31)) ? -adj : adj));
    wreg(c, addr, val & ~0x3FFFFFFFu & ~(1u << 31));
}

/* the TXTT (timestamp valid) bits are the device's */
static void igc_write_tsynctxctl(IgcCore *c, hwaddr addr, uint32_t val)
{
    wreg(c, addr, (val & ~TSYNCTXCTL_TXTT_MASK) |
                  (rreg(c, addr) & TSYNCTXCTL_TXTT_MASK));
}

/* RDT(n), RXDCTL(n): store; a new tail or an enabled ring retries held frames */
static void igc_write_rx_ring(IgcCore *c, hwaddr addr, uint32_t val)
{
    int q = (addr - R_RDBAL(0)) / 0x40;

    wreg(c, addr, val);
    if (addr == R_RDT(q) || (val & RXDCTL_ENABLE)) {
        igc_core_flush_rx(c);
    }
}

/* TDT(n), TXDCTL(n): store; a new tail or an enabled ring runs the ring */
static void igc_write_tx_ring(IgcCore *c, hwaddr addr, uint32_t val)
{
    int q = (addr - R_TDBAL(0)) / 0x40;

    wreg(c, addr, val);
    if (addr == R_TDT(q) || (val & TXDCTL_ENABLE)) {
        igc_tx_run(c, q);
    }
}

/* registers with write side effects; others are stored as written */
static const IgcWriteOp igc_writeops[IGC_MMIO_SIZE / 4] = {
    IGC_R(R_CTRL) = igc_write_ctrl,
    IGC_R(R_STATUS) = igc_write_ignore,
    IGC_R(R_EECD) = igc_write_eecd,
    IGC_R(R_SRWR) = igc_write_srwr,
    IGC_R_RANGE(R_STATS_START, R_STATS_END) = igc_write_ignore,
    IGC_R(R_MDIC) = igc_write_mdic,
    IGC_R(R_EERD) = igc_write_eerd,
    IGC_R(R_ICR) = igc_write_icr,
    IGC_R(R_EICR) = igc_write_icr,
    IGC_R(R_ICS) = igc_write_ics,
    IGC_R(R_IMS) = igc_write_ims,
    IGC_R(R_IMC) = igc_write_imc,
    IGC_R(R_EICS) = igc_write_eics,
    IGC_R(R_EIMS) = igc_write_eims,
    IGC_R(R_EIMC) = igc_write_eimc,
    IGC_R(R_RCTL) = igc_write_rctl,
    IGC_R(R_TCTL) = igc_write_tctl,
    IGC_R(R_SYSTIML) = igc_write_systiml,
    IGC_R(R_SYSTIMH) = igc_write_systimh,
    IGC_R(R_TIMINCA) = igc_write_timinca,
    IGC_R(R_SYSTIML_1) = igc_write_systiml,
    IGC_R(R_SYSTIMH_1) = igc_write_systimh,
    IGC_R(R_TIMINCA_1) = igc_write_timinca,
    IGC_R(R_TIMADJ) = igc_write_timadj,
    IGC_R(R_TSICR) = igc_write_w1c,
    IGC_R(R_PTM_STAT) = igc_write_w1c,
    IGC_R(R_TSYNCTXCTL) = igc_write_tsynctxctl,
    IGC_R_QUEUES(R_RDT, igc_write_rx_ring),
    IGC_R_QUEUES(R_RXDCTL, igc_write_rx_ring),
    IGC_R_QUEUES(R_TDT, igc_write_tx_ring),
    IGC_R_QUEUES(R_TXDCTL, igc_write_tx_ring),
};

/*
 * Writable bits of the registers whose other bits are read-only (they keep
 * their value, reset or device-owned): the masks the Linux driver's register
 * self-test (igc_diag.c) expects of an I225.  Registers not listed keep all
 * 32 bits as written.
 */
static const struct {
    hwaddr reg;
    unsigned count, stride;
    uint32_t wmask;
} igc_wmask_table[] = {
    { R_FCAH, 1, 0, 0x0000FFFF },
    { R_FCT, 1, 0, 0x0000FFFF },
    { R_FCTTV, 1, 0, 0x0000FFFF },
    { R_FCRTH, 1, 0, 0x0003FFF0 },
    { R_TIPG, 1, 0, 0x3FFFFFFF },
    { R_RDBAL(0), IGC_NUM_QUEUES, 0x40, 0xFFFFFF80 },  /* 128-byte aligned */
    { R_RDLEN(0), IGC_NUM_QUEUES, 0x40, 0x000FFF80 },  /* 128-byte multiple */
    { R_RDH(0), IGC_NUM_QUEUES, 0x40, 0x0000FFFF },
    { R_RDT(0), IGC_NUM_QUEUES, 0x40, 0x0000FFFF },
    { R_TDBAL(0), IGC_NUM_QUEUES, 0x40, 0xFFFFFF80 },
    { R_TDLEN(0), IGC_NUM_QUEUES, 0x40, 0x000FFF80 },
    { R_TDH(0), IGC_NUM_QUEUES, 0x40, 0x0000FFFF },
    { R_TDT(0), IGC_NUM_QUEUES, 0x40, 0x0000FFFF },
    /* AV, QSEL_ENABLE, QSEL, ASEL, address bits 47:32 */
    { R_RAH0, IGC_RAR_ENTRIES, 8, 0x900FFFFF },
};

static uint32_t igc_wmask[IGC_MMIO_SIZE / 4];

static void igc_wmask_init(void)
{
    size_t i;
    unsigned n;

    if (igc_wmask[0]) {
        return;
    }
    memset(igc_wmask, 0xFF, sizeof(igc_wmask));
    for (i = 0; i < ARRAY_SIZE(igc_wmask_table); i++) {
        for (n = 0; n < igc_wmask_table[i].count; n++) {
            hwaddr a = igc_wmask_table[i].reg + n * igc_wmask_table[i].stride;
            igc_wmask[a >> 2] = igc_wmask_table[i].wmask;
        }
    }
}

void igc_core_write(IgcCore *c, hwaddr addr, uint64_t val64, unsigned size)
{
    uint32_t val = val64, m;
    IgcWriteOp op;

    addr &= ~3ULL;
    if (addr >= IGC_MMIO_SIZE) {
        return;
    }
    if (!igc_known_reg(addr)) {
        c->stats.unknown_reg_access++;
        trace_igc_reg_write_unknown(addr, val);
    }
    m = igc_wmask[addr >> 2];
    val = (rreg(c, addr) & ~m) | (val & m);
    op = igc_writeops[addr >> 2];
    if (op) {
        op(c, addr, val);
    } else {
        wreg(c, addr, val);
    }
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                           */

void igc_core_realize(IgcCore *c, PCIDevice *owner, NICState *nic,
                      const uint8_t *mac, uint16_t device_id,
                      int backend_queues)
{
    int q;

    c->owner = owner;
    c->nic = nic;
    memcpy(c->mac, mac, ETH_ALEN);
    c->device_id = device_id;
    c->backend_queues = backend_queues;
    igc_wmask_init();
    net_rx_pkt_init(&c->rx_pkt);
    c->rxbuf = g_malloc(IGC_MAX_FRAME + IGC_TS_HDR_LEN);
    for (q = 0; q < IGC_NUM_QUEUES; q++) {
        net_tx_pkt_init(&c->tx[q].pkt, IGC_TX_MAX_FRAGS);
    }
    igc_nvm_init(c);
    igc_core_reset(c);
}

void igc_core_unrealize(IgcCore *c)
{
    int q;

    for (q = 0; q < IGC_NUM_QUEUES; q++) {
        net_tx_pkt_reset(c->tx[q].pkt, net_tx_pkt_unmap_frag_pci, c->owner);
        net_tx_pkt_uninit(c->tx[q].pkt);
    }
    net_rx_pkt_uninit(c->rx_pkt);
    g_free(c->rxbuf);
}
