/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Receive queue filters of the emulated igc: which queue a frame goes to
 * before RSS has its say.
 *
 * The filters the Linux driver programs through `ethtool -N`:
 *   ETQF[0..7]  ethertype -> queue (ETQF_FILTER_ENABLE, ETQF_QUEUE_ENABLE)
 *   FHFT[0..7]  flex filters: up to 128 frame bytes under a byte mask, with a
 *               queue and a priority (WUFC.FLEX_HQ and WUFC.FLXn enable them)
 *   RAH[n]      destination or source MAC address with QSEL_ENABLE
 *   VLANPQF     802.1p priority of the VLAN tag -> queue
 *   MRQC.DEF_Q  the queue of frames RSS does not hash
 *
 * Order (the first that matches decides), as we read the I225 datasheet's
 * receive queuing: ethertype, flex, MAC address, VLAN priority, then RSS.
 * Among flex filters the highest FHFT priority wins, ties to the lowest
 * index.  Assumptions where the driver does not tell: a VLAN tag is one
 * whose TPID is VET (0x8100), as for stripping; ETQF compares the ethertype
 * after that tag; VLANPQF reads its priority; flex filters see the frame as
 * on the wire (tag in place, as the driver lays out its flex data); MRQC's
 * default queue takes the frames RSS does not hash; only the first FHFTSL
 * bank (filters 0-7) is modelled.
 */

#include "qemu/osdep.h"
#include "qemu/iov.h"

#include "igc_core.h"
#include "igc_filters.h"

static inline uint32_t reg(IgcCore *c, hwaddr off)
{
    return c->regs[off >> 2];
}

static int queue_of(uint32_t q)
{
    return q & (IGC_NUM_QUEUES - 1);
}

/*
 * Ethertype of the frame after its VLAN tag, and the offset of that tag's TCI
 * (-1: untagged).  Only a tag whose TPID is VET counts as one (what the MAC
 * strips too); an 802.1ad outer tag is the ethertype.
 */
static uint16_t frame_etype(IgcCore *c, const uint8_t *f, size_t len,
                            int *tci_off)
{
    uint16_t t = lduw_be_p(f + 12);

    *tci_off = -1;
    if (t == (reg(c, R_VET) & 0xFFFF) && len >= ETH_HLEN + 4) {
        *tci_off = 14;
        t = lduw_be_p(f + 16);
    }
    return t;
}

static int etqf_queue(IgcCore *c, uint16_t etype)
{
    int i;

    for (i = 0; i < IGC_ETQF_ENTRIES; i++) {
        uint32_t v = reg(c, R_ETQF(i));
        if ((v & ETQF_FILTER_ENABLE) && (v & ETQF_QUEUE_ENABLE) &&
            (v & ETQF_ETYPE_MASK) == etype) {
            return queue_of(v >> ETQF_QUEUE_SHIFT);
        }
    }
    return -1;
}

static bool flex_match(IgcCore *c, hwaddr base, const uint8_t *f, size_t len)
{
    uint32_t flen = reg(c, base + FHFT_QUEUING) & FHFT_LENGTH_MASK;
    uint32_t i;

    if (!flen || flen > FHFT_MAX_LEN || len < flen) {
        return false;
    }
    for (i = 0; i < flen; i++) {
        hwaddr row = base + (i / 8) * 16;
        uint8_t mask = reg(c, row + 8);
        uint8_t want = reg(c, row + (i & 4)) >> (8 * (i & 3));
        if ((mask & (1u << (i & 7))) && f[i] != want) {
            return false;
        }
    }
    return true;
}

static int flex_queue(IgcCore *c, const uint8_t *f, size_t len)
{
    uint32_t wufc = reg(c, R_WUFC);
    int i, best = -1, best_prio = -1;

    if (!(wufc & WUFC_FLEX_HQ)) {
        return -1;
    }
    for (i = 0; i < IGC_FLEX_ENTRIES; i++) {
        hwaddr base = i < 4 ? R_FHFT(i) : R_FHFT_EXT(i - 4);
        uint32_t q = reg(c, base + FHFT_QUEUING);
        int prio = (q >> FHFT_PRIO_SHIFT) & FHFT_PRIO_MASK;
        if ((wufc & (WUFC_FLX0 << i)) && prio > best_prio &&
            flex_match(c, base, f, len)) {
            best = queue_of(q >> FHFT_QUEUE_SHIFT);
            best_prio = prio;
        }
    }
    return best;
}

static int mac_queue(IgcCore *c, const uint8_t *f)
{
    int i;

    for (i = 0; i < IGC_RAR_ENTRIES; i++) {
        uint32_t ral = reg(c, R_RAL0 + 8 * i), rah = reg(c, R_RAH0 + 8 * i);
        uint8_t a[6] = { ral, ral >> 8, ral >> 16, ral >> 24, rah, rah >> 8 };
        const uint8_t *addr = (rah & RAH_ASEL_MASK) == RAH_ASEL_SRC ? f + 6 : f;
        if ((rah & RAH_AV) && (rah & RAH_QSEL_ENABLE) && !memcmp(a, addr, 6)) {
            return queue_of(rah >> RAH_QSEL_SHIFT);
        }
    }
    return -1;
}

static int vlan_prio_queue(IgcCore *c, const uint8_t *f, int tci_off)
{
    uint32_t v = reg(c, R_VLANPQF);
    unsigned nib;

    if (tci_off < 0) {
        return -1;
    }
    nib = (v >> (4 * (f[tci_off] >> 5))) & 0xF;
    return (nib & VLANPQF_VALID) ? queue_of(nib & VLANPQF_QSEL_MASK) : -1;
}

int igc_filters_queue(IgcCore *c, const struct iovec *iov, int iovcnt,
                      const char **which)
{
    uint8_t f[FHFT_MAX_LEN];
    size_t len = iov_to_buf(iov, iovcnt, 0, f, sizeof(f));
    int tci_off, q;
    uint16_t etype;

    *which = NULL;
    if (c->filters_off || len < ETH_HLEN) {
        return -1;
    }
    etype = frame_etype(c, f, len, &tci_off);
    if ((q = etqf_queue(c, etype)) >= 0) {
        *which = "etype";
    } else if ((q = flex_queue(c, f, len)) >= 0) {
        *which = "flex";
    } else if ((q = mac_queue(c, f)) >= 0) {
        *which = "mac";
    } else if ((q = vlan_prio_queue(c, f, tci_off)) >= 0) {
        *which = "vlan-prio";
    }
    return q;
}

bool igc_filters_mac_is_src(IgcCore *c, int i)
{
    return (reg(c, R_RAH0 + 8 * i) & RAH_ASEL_MASK) == RAH_ASEL_SRC;
}
