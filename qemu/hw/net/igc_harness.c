/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Harness hooks of the emulated igc: because the host owns the device, it
 * shows its state over QOM (qom-get / qom-set on /machine/peripheral/<id>):
 *
 *   rss-key        r   the 40-byte RSSRK key, hex
 *   reta           r   JSON list of the 128 RETA entries
 *   stats          r   JSON counters (per queue and device-wide)
 *   rx-log         rw  JSON metadata of the last frames delivered; "clear"
 *   clock-mode     rw  realtime / deterministic (both timers frozen, stepped)
 *   systim-ns      rw  SYSTIM (timer 0) in ns
 *   clock-step-ns  rw  timer 0 step per timestamped frame (deterministic)
 *   systim1-ns     rw  SYSTIM_1 (timer 1, free running) in ns
 *   clock1-step-ns rw  timer 1 step per timestamped frame (deterministic)
 *   fault-skip-ts  rw  the next N frames get no timestamp
 *   filters-off    rw  test fault: nonzero ignores the receive queue filters
 *                      (ETQF, flex, RAH.QSEL, VLANPQF), so frames follow RSS
 *   rx-faults      rw  "<flags>:<hex>;..." frames containing the bytes <hex> get the
 *                      faults <flags> (t no timestamp, r RSS type none, c checksum
 *                      error); read back with "=<hits>" per entry; "" clears
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/iov.h"
#include "qom/object.h"

#include "igc_core.h"
#include "igc_harness.h"

/* ------------------------------------------------------------------ */
/* string hooks                                                        */

static char *igc_h_rss_key(IgcCore *c)
{
    uint8_t key[IGC_RSS_KEY_LEN];
    GString *g = g_string_new(NULL);
    int i;

    igc_core_rss_key(c, key);
    for (i = 0; i < IGC_RSS_KEY_LEN; i++) {
        g_string_append_printf(g, "%02x", key[i]);
    }
    return g_string_free(g, false);
}

static char *igc_h_reta(IgcCore *c)
{
    GString *g = g_string_new("[");
    int i;

    for (i = 0; i < IGC_RETA_ENTRIES; i++) {
        g_string_append_printf(g, "%s%u", i ? "," : "", igc_core_reta(c, i));
    }
    g_string_append(g, "]");
    return g_string_free(g, false);
}

/* "name":[q0,q1,q2,q3] */
static void append_u64_list(GString *g, const char *name, const uint64_t *v)
{
    int i;

    g_string_append_printf(g, "\"%s\":[", name);
    for (i = 0; i < IGC_NUM_QUEUES; i++) {
        g_string_append_printf(g, "%s%" PRIu64, i ? "," : "", v[i]);
    }
    g_string_append(g, "]");
}

static char *igc_h_stats(IgcCore *c)
{
    const IgcCounters *s = &c->stats;
    const struct { const char *name; const uint64_t *v; } per_queue[] = {
        { "rx_packets", s->rx_packets }, { "rx_bytes", s->rx_bytes },
        { "rx_drops", s->rx_drops }, { "tx_packets", s->tx_packets },
        { "tx_bytes", s->tx_bytes },
    };
    GString *g = g_string_new("{");
    size_t i;

    for (i = 0; i < ARRAY_SIZE(per_queue); i++) {
        g_string_append(g, i ? "," : "");
        append_u64_list(g, per_queue[i].name, per_queue[i].v);
    }
    g_string_append_printf(g, ",\"rx_runt\":%" PRIu64 ",\"rx_oversize\":%" PRIu64
                           ",\"rx_bad_ring\":%" PRIu64 ",\"rx_filtered\":%" PRIu64
                           ",\"tx_bad_desc\":%" PRIu64 ",\"unknown_reg_access\":%" PRIu64
                           ",\"rx_seq\":%" PRIu64 "}",
                           s->rx_runt, s->rx_oversize, s->rx_bad_ring, s->rx_filtered,
                           s->tx_bad_desc, s->unknown_reg_access, c->rx_seq);
    return g_string_free(g, false);
}

static char *igc_h_rx_log(IgcCore *c)
{
    GString *g = g_string_new("[");
    uint64_t first = c->rx_seq > IGC_RX_LOG_SIZE ? c->rx_seq - IGC_RX_LOG_SIZE : 0;
    uint64_t i;

    for (i = first; i < c->rx_seq; i++) {
        const IgcRxLogEntry *e = &c->rx_log[i % IGC_RX_LOG_SIZE];
        g_string_append_printf(g,
            "%s{\"seq\":%" PRIu64 ",\"queue\":%u,\"len\":%u,\"hash\":%u,"
            "\"rss_type\":%u,\"vlan_stripped\":%s,\"vlan_tci\":%u,"
            "\"ts_valid\":%s,\"ts_ns\":%" PRIu64 ",\"ts1_ns\":%" PRIu64 "}",
            i == first ? "" : ",", e->seq, e->queue, e->len, e->hash,
            e->rss_type, e->vlan_stripped ? "true" : "false", e->vlan_tci,
            e->ts_valid ? "true" : "false", e->ts_ns, e->ts1_ns);
    }
    g_string_append(g, "]");
    return g_string_free(g, false);
}

static void igc_h_rx_log_clear(IgcCore *c, const char *v, Error **errp)
{
    if (v[0] && strcmp(v, "clear")) {
        error_setg(errp, "rx-log: only \"\" or \"clear\" may be written");
        return;
    }
    memset(c->rx_log, 0, sizeof(c->rx_log));
    c->rx_seq = 0;
}

static char *igc_h_clock_mode(IgcCore *c)
{
    return g_strdup(c->deterministic ? "deterministic" : "realtime");
}

/* switching keeps both timers where they are */
static void igc_h_set_clock_mode(IgcCore *c, const char *v, Error **errp)
{
    int64_t now[IGC_NUM_TIMERS];
    int t;

    for (t = 0; t < IGC_NUM_TIMERS; t++) {
        now[t] = igc_core_timer_ns(c, t);
    }

    if (!strcmp(v, "deterministic")) {
        c->deterministic = true;
    } else if (!strcmp(v, "realtime")) {
        c->deterministic = false;
    } else {
        error_setg(errp, "clock-mode must be \"realtime\" or \"deterministic\"");
        return;
    }
    for (t = 0; t < IGC_NUM_TIMERS; t++) {
        igc_core_timer_set(c, t, now[t]);
    }
}

/* ------------------------------------------------------------------ */
/* rx-faults: per-frame faults picked by a payload match               */

#define IGC_FAULTS_MAX      64
#define IGC_FAULT_PAT_MAX   32
#define IGC_FAULT_SCAN      2048            /* bytes of a frame searched */

typedef struct IgcFault {
    uint8_t pat[IGC_FAULT_PAT_MAX];
    uint32_t len;
    uint32_t flags;
    uint64_t hits;
} IgcFault;

typedef struct IgcFaults {
    IgcFault f[IGC_FAULTS_MAX];
    int n;
} IgcFaults;

static const char igc_fault_letters[] = "trc";     /* bit i = letter i */

uint32_t igc_harness_rx_faults(IgcCore *c, const struct iovec *iov, int iovcnt)
{
    IgcFaults *fs = c->faults;
    uint8_t buf[IGC_FAULT_SCAN];
    size_t len;
    uint32_t out = 0;
    int i;

    if (!fs || !fs->n) {
        return 0;
    }
    len = iov_to_buf(iov, iovcnt, 0, buf, sizeof(buf));
    for (i = 0; i < fs->n; i++) {
        IgcFault *f = &fs->f[i];
        if (memmem(buf, len, f->pat, f->len)) {
            f->hits++;
            out |= f->flags;
        }
    }
    return out;
}

static char *igc_h_rx_faults(IgcCore *c)
{
    IgcFaults *fs = c->faults;
    GString *g = g_string_new(NULL);
    int i, b;
    uint32_t k;

    for (i = 0; i < fs->n; i++) {
        const IgcFault *f = &fs->f[i];
        g_string_append(g, i ? ";" : "");
        for (b = 0; igc_fault_letters[b]; b++) {
            if (f->flags & (1u << b)) {
                g_string_append_c(g, igc_fault_letters[b]);
            }
        }
        g_string_append_c(g, ':');
        for (k = 0; k < f->len; k++) {
            g_string_append_printf(g, "%02x", f->pat[k]);
        }
        g_string_append_printf(g, "=%" PRIu64, f->hits);
    }
    return g_string_free(g, false);
}

/* one "<flags>:<hex>" entry into f; false (and errp) if malformed */
static bool igc_fault_parse(const char *e, IgcFault *f, Error **errp)
{
    const char *colon = strchr(e, ':'), *p;
    size_t hex;
    uint32_t k;

    memset(f, 0, sizeof(*f));
    if (!colon || colon == e) {
        error_setg(errp, "rx-faults: entry \"%s\" is not <flags>:<hex>", e);
        return false;
    }
    for (p = e; p < colon; p++) {
        const char *l = strchr(igc_fault_letters, *p);
        if (!*p || !l) {
            error_setg(errp, "rx-faults: unknown fault '%c' (t, r, c)", *p);
            return false;
        }
        f->flags |= 1u << (l - igc_fault_letters);
    }
    hex = strlen(colon + 1);
    if (!hex || hex % 2 || hex / 2 > IGC_FAULT_PAT_MAX) {
        error_setg(errp, "rx-faults: pattern must be 1..%d bytes of hex",
                   IGC_FAULT_PAT_MAX);
        return false;
    }
    f->len = hex / 2;
    for (k = 0; k < f->len; k++) {
        unsigned int v;
        char two[3] = { colon[1 + 2 * k], colon[2 + 2 * k], 0 };
        if (!g_ascii_isxdigit(two[0]) || !g_ascii_isxdigit(two[1]) ||
            sscanf(two, "%x", &v) != 1) {
            error_setg(errp, "rx-faults: bad hex in \"%s\"", e);
            return false;
        }
        f->pat[k] = v;
    }
    return true;
}

/* the whole list is replaced, or left as it was on any error */
static void igc_h_set_rx_faults(IgcCore *c, const char *v, Error **errp)
{
    g_autofree IgcFaults *next = g_new0(IgcFaults, 1);
    g_auto(GStrv) entries = g_strsplit(v, ";", -1);
    int i;

    for (i = 0; entries[i]; i++) {
        if (!entries[i][0]) {
            continue;
        }
        if (next->n == IGC_FAULTS_MAX) {
            error_setg(errp, "rx-faults: at most %d entries", IGC_FAULTS_MAX);
            return;
        }
        if (!igc_fault_parse(entries[i], &next->f[next->n], errp)) {
            return;
        }
        next->n++;
    }
    *c->faults = *next;
}

typedef struct IgcStrHook {
    const char *name;
    char *(*get)(IgcCore *c);
    void (*set)(IgcCore *c, const char *v, Error **errp);   /* NULL: r/o */
} IgcStrHook;

static const IgcStrHook igc_str_hooks[] = {
    { "rss-key", igc_h_rss_key, NULL },
    { "reta", igc_h_reta, NULL },
    { "stats", igc_h_stats, NULL },
    { "rx-log", igc_h_rx_log, igc_h_rx_log_clear },
    { "clock-mode", igc_h_clock_mode, igc_h_set_clock_mode },
    { "rx-faults", igc_h_rx_faults, igc_h_set_rx_faults },
};

/* ------------------------------------------------------------------ */
/* QOM plumbing: a string property bound to (core, hook)               */

typedef struct IgcStrBinding {
    IgcCore *core;
    const IgcStrHook *hook;
} IgcStrBinding;

static void igc_str_get(Object *obj, Visitor *v, const char *name,
                        void *opaque, Error **errp)
{
    IgcStrBinding *b = opaque;
    char *value = b->hook->get(b->core);

    visit_type_str(v, name, &value, errp);
    g_free(value);
}

static void igc_str_set(Object *obj, Visitor *v, const char *name,
                        void *opaque, Error **errp)
{
    IgcStrBinding *b = opaque;
    char *value;

    if (!visit_type_str(v, name, &value, errp)) {
        return;
    }
    b->hook->set(b->core, value, errp);
    g_free(value);
}

static void igc_str_release(Object *obj, const char *name, void *opaque)
{
    IgcStrBinding *b = opaque;

    if (b->hook->set == igc_h_set_rx_faults) {
        g_clear_pointer(&b->core->faults, g_free);
    }
    g_free(opaque);
}

/* systim-ns: timer 0, systim1-ns: timer 1 */
static int igc_h_timer(const char *name)
{
    return !strcmp(name, "systim1-ns") ? 1 : 0;
}

static void igc_get_systim(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    uint64_t val = igc_core_timer_ns(opaque, igc_h_timer(name));
    visit_type_uint64(v, name, &val, errp);
}

static void igc_set_systim(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    uint64_t val;
    if (visit_type_uint64(v, name, &val, errp)) {
        igc_core_timer_set(opaque, igc_h_timer(name),
                           (int64_t)MIN(val, (uint64_t)INT64_MAX));
    }
}

void igc_harness_init(Object *obj, IgcCore *core)
{
    size_t i;

    core->faults = g_new0(IgcFaults, 1);
    for (i = 0; i < ARRAY_SIZE(igc_str_hooks); i++) {
        const IgcStrHook *h = &igc_str_hooks[i];
        IgcStrBinding *b = g_new(IgcStrBinding, 1);

        b->core = core;
        b->hook = h;
        object_property_add(obj, h->name, "string", igc_str_get,
                            h->set ? igc_str_set : NULL, igc_str_release, b);
    }
    object_property_add(obj, "systim-ns", "uint64", igc_get_systim,
                        igc_set_systim, NULL, core);
    object_property_add(obj, "systim1-ns", "uint64", igc_get_systim,
                        igc_set_systim, NULL, core);
    object_property_add_uint64_ptr(obj, "clock-step-ns", &core->timer[0].det_step_ns,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_add_uint64_ptr(obj, "clock1-step-ns", &core->timer[1].det_step_ns,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_add_uint32_ptr(obj, "fault-skip-ts", &core->fault_skip_ts,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_add_uint32_ptr(obj, "filters-off", &core->filters_off,
                                   OBJ_PROP_FLAG_READWRITE);
}
