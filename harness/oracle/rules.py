# SPDX-License-Identifier: GPL-2.0-or-later
"""Expected RX metadata per (packet, path, field), decided from run-time facts.

The rules are one ordered table (:data:`RULES`); the first rule whose
driver/path/field match and whose condition holds gives the expectation.
Every rule names the kernel/QEMU fact it encodes.  Paths and fields:
harness.oracle.paths; the NICs' parsing and tables: harness.oracle.nic_model.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from harness.guest import meta_tlv
from harness.oracle import known_bugs
from harness.oracle.expectation import (
    Expectation,
    errname,
    known_bug,
    nodata,
    not_called,
    present,
    skip,
    unsupported,
    value,
    window,
)
from harness.oracle.facts import Facts
from harness.oracle.nic_model import (
    IGC_RX_LATENCY_NS,
    nic_hash,
    nic_parses,
    nic_queue,
)
from harness.oracle.paths import (
    ALL_PATHS,
    FAULT_PATHS,
    FEATURE_OF_FIELD,
    FIELDS,
    KFUNC_FIELDS,
    KFUNC_OF_FIELD,
    KFUNC_PATHS,
    NIC_KFUNC_PATHS,
    NIC_PATHS,
    NIC_SKB_PATHS,
    NOT_OBSERVABLE,
    PASS_PATHS,
    PATHS,
    SIZE_PATHS,
    SKB_FROM_FRAME_PATHS,
    SKB_READER_PATHS,
    STACKED_PATHS,
    STORE_PATHS,
    SWEEP_SIZES,
    TC_HELPER_PATHS,
)
from harness.oracle.rx_filters import filter_queue
from harness.oracle.store import (
    KFUNC_OF_STORE_FIELD,
    SERIES,
    STORE_VLAN,
    absent_reason,
    missing_store_kfuncs,
    store_hash,
    store_rss_type,
    store_ts,
)
from harness.oracle.uapi import (
    CHECKSUM_NONE,
    CHECKSUM_UNNECESSARY,
    XDP_RSS_TYPE_L4_ANY,
    XDP_RSS_TYPE_NONE,
)
from harness.traffic.packets import SentPacket, outer_packet


def ts_expectation(facts: Facts, pkt: SentPacket, why: str) -> Expectation:
    """Hardware timestamp: exact (QMP truth or deterministic clock), window, or present.

    Device stamps (``ts_by_id``, ``clock``, the PHC window) are raw SYSTIM values;
    the driver reports them minus its link-speed RX latency.  With the link
    speed unknown, an exact stamp becomes a window [stamp - max latency, stamp].
    """
    lat = facts.rx_latency_ns()
    stamp: int | None = None
    if facts.ts_by_id is not None and pkt.id in facts.ts_by_id:
        stamp, src = facts.ts_by_id[pkt.id], "exact stamp from the device model"
    elif facts.clock is not None:
        stamp, src = facts.clock.at(pkt.id), "deterministic clock"
    if stamp is not None:
        if lat is None:
            return window(
                stamp - max(IGC_RX_LATENCY_NS.values()), stamp, f"{why}; {src}, link speed unknown"
            )
        return value(stamp - lat, f"{why}; {src} minus RX latency {lat} ns")
    if facts.ts_window is not None:
        lo, hi = facts.ts_window
        slack = max(IGC_RX_LATENCY_NS.values()) if lat is None else lat
        return window(lo - slack, hi, why + "; inside the PHC window")
    return present(why + "; no clock reference given")


def outer_tag(pkt: SentPacket) -> tuple[int, int]:
    """(tpid, tci) of the outermost tag."""
    return pkt.vlans[0]


# --- rules -----------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    """What a rule looks at."""

    facts: Facts
    pkt: SentPacket
    path: str
    field: str


IGC_MAIN = "drivers/net/ethernet/intel/igc/igc_main.c"
#: paths where the skb's checksum state is recorded (at TC)
CSUM_SKB_PATHS = NIC_SKB_PATHS | SKB_FROM_FRAME_PATHS
Cond = Callable[[Ctx], bool]
Then = Callable[[Ctx], Expectation]


def _always(_: Ctx) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    """One row of the table; ``None`` in drivers/paths/fields means any."""

    name: str
    then: Then
    source: str
    drivers: frozenset[str] | None = None
    paths: frozenset[str] | None = None
    fields: frozenset[str] | None = None
    when: Cond = _always

    def matches(self, ctx: Ctx) -> bool:
        """Driver/path/field match and the condition holds."""
        return (
            (self.drivers is None or ctx.facts.driver in self.drivers)
            and (self.paths is None or ctx.path in self.paths)
            and (self.fields is None or ctx.field in self.fields)
            and self.when(ctx)
        )


def _fs(*items: str) -> frozenset[str]:
    return frozenset(items)


def _hash_then(ctx: Ctx) -> Expectation:
    got = nic_hash(ctx.facts, ctx.pkt)
    if got is None:
        return skip(f"hash field set {sorted(ctx.facts.fields_for(ctx.pkt))} not modelled")
    h, t = got
    kind = "parsed" if nic_parses(ctx.facts, ctx.pkt) else "VLAN stack not parsed: report NONE"
    if ctx.field == "hash_type":
        return value(t, f"{ctx.facts.driver} RSS type ({kind})")
    return value(h, f"Toeplitz over the programmed key ({kind})")


def _skb_hash_then(ctx: Ctx) -> Expectation:
    got = nic_hash(ctx.facts, ctx.pkt)
    if got is None:
        return skip(f"hash field set {sorted(ctx.facts.fields_for(ctx.pkt))} not modelled")
    if got[1] == XDP_RSS_TYPE_NONE:
        return nodata("NIC reported no hash; driver leaves skb->hash 0", loss=False)
    return value(got[0], "driver copies the NIC hash into skb->hash")


def _csum_then(ctx: Ctx) -> Expectation:
    """CHECKSUM_UNNECESSARY for a frame the NIC parsed with both checksums good;
    CHECKSUM_NONE (the stack verifies) for a broken one or an unparsed VLAN stack."""
    p = ctx.pkt
    if p.bad_csum:
        return value(CHECKSUM_NONE, f"{p.bad_csum} checksum broken: the driver reports NONE")
    if not nic_parses(ctx.facts, p):
        return value(CHECKSUM_NONE, "VLAN stack not parsed: nothing verified", loss=False)
    return value(CHECKSUM_UNNECESSARY, f"{p.l3}/{p.l4} checksums good: verified by the NIC")


def _queue_then(ctx: Ctx) -> Expectation:
    q, how = nic_queue(ctx.facts, ctx.pkt)
    return skip(how) if q is None else value(q, how)


#: igc skb stamp on ``pass``: what the RX header holds after our data_meta overwrote it
IGC_CLOBBER_REASON = (
    "igc reads the skb hardware stamp lazily from the RX header in the headroom, which "
    "the XDP program's data_meta overwrote (every stamp = xh_meta rx_queue/ifindex read "
    "as SYSTIM ns/s minus the RX latency)")
#: where igc's skb stamps come from when the busy-poll pointer is not read
SO_TIMESTAMPING_NOTE = "skb stamps read through SO_TIMESTAMPING (packet socket)"


def _igc_clobbered_then(ctx: Ctx) -> Expectation:
    """Timer 0 of the 16-byte RX header = xh_meta bytes 48..55 (rx_queue, ifindex): the
    known bug igc-rx-ts-headroom (harness.oracle.known_bugs); right: the SYSTIM stamp.
    Under --meta-format tlv the header's timer 0 is the TLV area's last 8 bytes."""
    f = ctx.facts
    why = known_bugs.IGC_LATE_REASON if ctx.path != "pass" else \
        f"{IGC_CLOBBER_REASON}; {SO_TIMESTAMPING_NOTE}"
    right = ts_expectation(f, ctx.pkt, "igc: SYSTIM stamp from the RX header")
    if f.meta_format == "tlv":
        # the TLV area's last 8 bytes are timer 0: ns, then s (xh_meta_tlv.h layout)
        area = meta_tlv.encode(meta_tlv.expected(ctx.pkt.id))
        ns, sec = struct.unpack("<II", area[-8:])
        wrong = value(sec * 10**9 + ns - (f.rx_latency_ns() or 0),
                      f"{why}; TLV format: the area's last 8 bytes", loss=True)
        return known_bug(wrong, known_bugs.IGC_HEADROOM, right)
    return known_bugs.igc_headroom_stamp(f, ctx.pkt, why, right)


def _vlan_value(reason: str) -> Then:
    return lambda ctx: value(outer_tag(ctx.pkt), reason)


#: redirect-store paths (harness.oracle.store): first, so no veth/veth-skb/cpumap-skb rule
#: applies.  The skb paths read what __xdp_build_skb_from_frame set (series patch 4/7), the
#: veth peer's program what veth's kfuncs return from the frame (5/7).
STORE_RULES: tuple[Rule, ...] = (
    Rule(
        "store-kfunc-absent",
        paths=STORE_PATHS,
        when=lambda c: bool(missing_store_kfuncs(c.facts.kfuncs)),
        then=lambda c: skip(absent_reason(missing_store_kfuncs(c.facts.kfuncs))),
        source=SERIES,
    ),
    Rule(
        "store-hash",
        paths=STORE_PATHS,
        fields=_fs("hash"),
        then=lambda c: value(store_hash(c.pkt), "the hash the XDP program stored with "
                             f"{KFUNC_OF_STORE_FIELD['hash']}, not the NIC's"),
        source=SERIES + ": 4/7 xdp_set_skb_rx_hash_from_meta -> skb_set_hash(stored hash); "
        "5/7 veth_xdp_rx_hash -> xdp_load_rx_hash_from_buff; 7/7 docs: 'the networking "
        "stack will use the stored hints to populate ... skb->hash'",
    ),
    Rule(
        "store-hash-type",
        paths=STORE_PATHS,
        fields=_fs("hash_type"),
        then=lambda c: value(store_rss_type(c.pkt), "the RSS type the XDP program stored "
                             f"with {KFUNC_OF_STORE_FIELD['hash_type']}"),
        source=SERIES + ": 5/7 xdp_load_rx_hash_from_buff returns rx_meta->hash.type",
    ),
    Rule(
        "store-vlan",
        paths=STORE_PATHS,
        fields=_fs("vlan"),
        then=lambda c: value(STORE_VLAN, "the tag the XDP program stored with "
                             f"{KFUNC_OF_STORE_FIELD['vlan']}"),
        source=SERIES + ": 4/7 __vlan_hwaccel_put_tag(skb, rx_meta.vlan.proto, "
        "rx_meta.vlan.tci); 5/7 veth_xdp_rx_vlan_tag -> xdp_load_rx_vlan_tag_from_buff",
    ),
    Rule(
        "store-ts",
        paths=STORE_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: value(store_ts(c.pkt), "the stamp the XDP program stored with "
                             f"{KFUNC_OF_STORE_FIELD['timestamp']}"),
        source=SERIES + ": 3/7 stores it in skb_shared_info hwtstamps; 4/7 "
        "skb_hwtstamps(skb)->hwtstamp = ts; 5/7 veth_xdp_rx_timestamp -> "
        "xdp_load_rx_ts_from_buff",
    ),
)

# --- the TC helper chain (paths tc:<helper>, harness.guest.tc_chain) ---------------
#: first release with "bpf: Make TC BPF helpers preserve skb metadata" (v4,
#: 20251105-skb-meta-rx-path-v4, Jakub Sitnicki; applied to bpf-next Nov 2025)
TC_META_SAFE_RELEASE = (6, 19)
#: helpers that move the MAC header (skb_push/skb_pull + memmove) and, before that
#: series, left skb_metadata_end() (= skb_mac_header) pointing past a metadata area
#: they did not move: data_meta then shows shifted, partly overwritten bytes
TC_MAC_MOVERS = frozenset(f"tc:{h}" for h in (
    "vlan_push", "vlan_pop", "adjust_room_mac_grow", "adjust_room_mac_shrink",
    "adjust_room_net_grow", "adjust_room_net_shrink", "change_proto", "change_head"))
TC_META_SAFE_SOURCE = (
    "7.2 include/linux/skbuff.h skb_data_move() (moves skb_metadata_len() bytes with "
    "the header: memmove(meta + len, meta, meta_len + n)), called by net/core/filter.c "
    "bpf_skb_generic_push/_pop (adjust_room, change_proto), __bpf_skb_change_head, "
    "include/linux/if_vlan.h __vlan_insert_inner_tag / vlan_remove_tag (vlan push/pop); "
    "series 'Make TC BPF helpers preserve skb metadata' (v4, Nov 2025), first in 6.19")
TC_META_LOST_SOURCE = (
    "6.12 net/core/filter.c bpf_skb_generic_push: skb_push(); memmove(skb->data, "
    "skb->data + len, off) (pop: __skb_pull + memmove), __bpf_skb_change_head: "
    "__skb_push + memset, include/linux/if_vlan.h __vlan_insert_inner_tag: skb_push + "
    "memmove of the MAC addresses -- none moves the metadata, while "
    "bpf_compute_data_pointers() puts data_meta at skb->data - skb_metadata_len()")


def kernel_release_at_least(facts: Facts, version: tuple[int, int]) -> bool | None:
    """Whether the guest kernel's release is ``version`` or later (None: unknown)."""
    parts = facts.kernel_release.split("-", 1)[0].split(".")
    try:
        return (int(parts[0]), int(parts[1])) >= version
    except (IndexError, ValueError):
        return None


def tc_helper_of(pkt: SentPacket) -> str:
    """The tc:<helper> path whose helper the chain applies to ``pkt`` (id % helpers)."""
    return TC_HELPER_PATHS[pkt.id % len(TC_HELPER_PATHS)]


#: what bpf_skb_change_tail(to 1400 bytes) does to a driver's skb after XDP_PASS on a
#: kernel whose pskb_expand_head still clears the metadata (before 6.19)
TC_TAIL_BEFORE_6_19 = {
    "igc": ("cleared", "igc_construct_skb copies the frame into a napi_alloc_skb("
                       "IGC_RX_HDR_LEN + metasize) head: growing it to 1400 bytes needs "
                       "pskb_expand_head, which clears the metadata"),
    "virtio_net": ("intact", "virtio_net builds the skb around its receive buffer "
                             "(GOOD_PACKET_LEN and more): the tailroom takes 1400 bytes, "
                             "no new head"),
}


TC_HELPER_RULES: tuple[Rule, ...] = (
    Rule(
        "tc-helper-other-packet",
        paths=frozenset(TC_HELPER_PATHS),
        when=lambda c: tc_helper_of(c.pkt) != c.path,
        then=lambda c: skip("another helper's packet (helper = id % "
                            f"{len(TC_HELPER_PATHS)})"),
        source="guest-bpf/xh_tc_helpers.bpf.c xh_tch_apply: helper = id % XH_TCH_NR",
    ),
    Rule(
        "tc-helper-meta-tail-old-kernel",
        paths=_fs("tc:change_tail"),
        fields=_fs("meta"),
        when=lambda c: kernel_release_at_least(c.facts, TC_META_SAFE_RELEASE) is not True,
        then=lambda c: (
            value(TC_TAIL_BEFORE_6_19[c.facts.driver][0],
                  TC_TAIL_BEFORE_6_19[c.facts.driver][1],
                  loss=TC_TAIL_BEFORE_6_19[c.facts.driver][0] != "intact")
            if c.facts.driver in TC_TAIL_BEFORE_6_19 else
            skip(f"{c.facts.driver}: skb tailroom after XDP_PASS not modelled")),
        source="6.12 net/core/skbuff.c pskb_expand_head: skb_metadata_clear(skb) (gone in "
        "7.2); net/core/filter.c "
        "__bpf_skb_change_tail -> __skb_grow_rcsum -> pskb_expand_head when tailroom < "
        "growth; 6.12 drivers/net/ethernet/intel/igc/igc_main.c igc_construct_skb",
    ),
    Rule(
        "tc-helper-meta-head-kept",
        paths=frozenset(TC_HELPER_PATHS) - TC_MAC_MOVERS,
        fields=_fs("meta"),
        then=lambda c: value("intact", "the helper does not move the MAC header; a new "
                             "head (pskb_expand_head) copies the headroom, metadata "
                             "included, and (7.2) keeps its length"),
        source="7.2 net/core/skbuff.c pskb_expand_head: memcpy(data + nhead, skb->head, "
        "skb_tail_pointer(skb) - skb->head), no skb_metadata_clear (bpf_skb_change_tail -> "
        "__skb_grow_rcsum, bpf_skb_pull_data -> skb_ensure_writable: a linear, uncloned "
        "skb needs no new head); 'none' is the chain without a helper",
    ),
    Rule(
        "tc-helper-meta-moved",
        paths=TC_MAC_MOVERS,
        fields=_fs("meta"),
        when=lambda c: kernel_release_at_least(c.facts, TC_META_SAFE_RELEASE) is True,
        then=lambda c: value("intact", "the helper moves the metadata with the MAC header "
                             "(skb_postpush_data_move / skb_postpull_data_move)"),
        source=TC_META_SAFE_SOURCE,
    ),
    Rule(
        "tc-helper-meta-lost",
        paths=TC_MAC_MOVERS,
        fields=_fs("meta"),
        when=lambda c: kernel_release_at_least(c.facts, TC_META_SAFE_RELEASE) is False,
        then=lambda c: value("corrupted", f"kernel {c.facts.kernel_release} predates "
                             "'Make TC BPF helpers preserve skb metadata' (6.19): the "
                             "helper moves the MAC header but not the metadata", loss=True),
        source=TC_META_LOST_SOURCE,
    ),
    Rule(
        "tc-helper-meta-unknown-kernel",
        paths=TC_MAC_MOVERS,
        fields=_fs("meta"),
        then=lambda c: skip(f"kernel release {c.facts.kernel_release!r} not parsed: "
                            "cannot tell whether the helpers preserve metadata"),
        source="-",
    ),
)


# --- stacked devices and tunnels (paths vlan-dev, vlan-dev-sw, gre, vxlan;
# harness.guest.stacked): the upper device's skb at its TC ingress ------------------
#: 7.2.13 and 6.12 alike (the same code in both trees); skb_metadata_end() is
#: skb_mac_header() in both (include/linux/skbuff.h)
STACKED_META_KEPT_SOURCE = {
    "vlan-dev": "net/8021q/vlan_core.c vlan_do_receive: skb->dev = vlan_dev; "
                "__vlan_hwaccel_clear_tag -- with VLAN_FLAG_REORDER_HDR (the default) "
                "neither skb->data nor the MAC header moves",
    "vlan-dev-sw": "net/core/skbuff.c skb_vlan_untag -> skb_reorder_vlan_header: "
                   "memmove(meta + VLAN_HLEN, meta, meta_len) moves the metadata with the "
                   "MAC header (mac_header += VLAN_HLEN); then vlan_do_receive as above",
}
STACKED_META_LOST_SOURCE = (
    "net/ipv4/ip_tunnel_core.c __iptunnel_pull_header: skb_pull_rcsum over the outer "
    "headers; net/ipv4/ip_tunnel.c ip_tunnel_rcv (gretap: eth_type_trans) and "
    "drivers/net/vxlan/vxlan_core.c vxlan_set_mac (skb_reset_mac_header + "
    "eth_type_trans) put the MAC header on the inner Ethernet header; nothing moves or "
    "clears the metadata (no skb_metadata_clear on the decap path), so skb_metadata_end() "
    "(= skb_mac_header) now points past the outer headers: include/linux/filter.h "
    "bpf_compute_data_pointers (data_meta = skb->data - skb_metadata_len) and "
    "net/core/filter.c bpf_skb_meta_pointer (dynptr) read the outer headers' last bytes. "
    "'Decouple skb metadata from the MAC header' (L2 decap preservation) was under review "
    "in 2026, not in 7.2")
STACKED_HASH_SOURCE = (
    "net/ipv4/ip_tunnel_core.c __iptunnel_pull_header: skb_clear_hash_if_not_l4 (keeps "
    "an L4 hash, clears an L3 one); igc_rx_hash / virtio_skb_set_hash set l4_hash only "
    "for TCP/UDP hash types")


def _stacked_path_of(pkt: SentPacket) -> str:
    """The stacked path family a plan packet is for (harness.guest.stacked.path_of)."""
    return pkt.encap["type"] if pkt.encap else "vlan-dev"


def _stacked_meta_lost(c: Ctx) -> Expectation:
    return replace(
        value("corrupted", "the tunnel's decap moves the MAC header to the inner frame "
              "but not the metadata: data_meta and the dynptr show the outer headers' last "
              "bytes", loss=True),
        right=value("intact", "metadata kept across the decap"))


def _stacked_vlan_hash(c: Ctx) -> Expectation:
    e = expect(c.facts, c.pkt, "pass", "hash")
    return replace(e, reason="vlan_do_receive / skb_vlan_untag leave skb->hash as the "
                   f"driver set it: {e.reason}")


def _outer_l4_kept(c: Ctx, nic_skb: Expectation) -> Expectation:
    """What the VXLAN device's skb shows, from what the NIC's skb of the outer frame
    carries (``nic_skb``): an L4 hash survives the decap, anything else is 0."""
    got = nic_hash(c.facts, outer_packet(c.pkt))
    if nic_skb.kind == "value" and got is not None and got[1] & XDP_RSS_TYPE_L4_ANY:
        return value(nic_skb.value, "the NIC's L4 hash of the outer UDP flow survives "
                     "skb_clear_hash_if_not_l4: the upper skb's hash is the outer flow's "
                     "(Toeplitz over the outer 4-tuple), the inner flow's hash is not there",
                     loss=True)
    if nic_skb.kind == "skip":
        return nic_skb
    return nodata("the NIC's skb hash of the outer flow is not an L4 one (or none): "
                  "skb_clear_hash_if_not_l4 leaves 0", loss=True)


def _stacked_vxlan_hash(c: Ctx) -> Expectation:
    """The NIC's skb expectation for the outer frame (as path pass), through the decap;
    a known bug of that skb (virtio-net: no hash after XDP_PASS) shows through it."""
    nic_skb = expect(c.facts, outer_packet(c.pkt), "pass", "hash")
    if nic_skb.bug and nic_skb.right is not None:
        return replace(nic_skb, reason=f"{nic_skb.reason} (the outer frame's skb)",
                       right=_outer_l4_kept(c, nic_skb.right))
    return _outer_l4_kept(c, nic_skb)


STACKED_RULES: tuple[Rule, ...] = (
    Rule(
        "stacked-other-packet",
        paths=frozenset(STACKED_PATHS),
        when=lambda c: _stacked_path_of(c.pkt) != c.path.removesuffix("-sw"),
        then=lambda c: skip("another stacked path's packet"),
        source="harness/guest/stacked.py roles: packet i is for one path",
    ),
    Rule(
        "stacked-vlan-meta-kept",
        paths=_fs("vlan-dev", "vlan-dev-sw"),
        fields=_fs("meta"),
        then=lambda c: value("intact", "the VLAN device's skb keeps the metadata in front "
                             "of its MAC header"),
        source="; ".join(STACKED_META_KEPT_SOURCE.values()),
    ),
    Rule(
        "stacked-tunnel-meta-lost",
        paths=_fs("gre", "vxlan"),
        fields=_fs("meta"),
        then=_stacked_meta_lost,
        source=STACKED_META_LOST_SOURCE,
    ),
    Rule(
        "stacked-vlan-hash-kept",
        paths=_fs("vlan-dev", "vlan-dev-sw"),
        fields=_fs("hash"),
        then=_stacked_vlan_hash,
        source="net/8021q/vlan_core.c vlan_do_receive, net/core/skbuff.c skb_vlan_untag: "
        "neither touches skb->hash",
    ),
    Rule(
        "stacked-vlan-tag-consumed",
        paths=_fs("vlan-dev", "vlan-dev-sw"),
        fields=_fs("vlan"),
        then=lambda c: nodata("vlan_do_receive clears the tag (__vlan_hwaccel_clear_tag): "
                              "the VLAN device stands for it", loss=False),
        source="net/8021q/vlan_core.c vlan_do_receive: __vlan_hwaccel_clear_tag(skb)",
    ),
    Rule(
        "stacked-gre-hash-cleared",
        paths=_fs("gre"),
        fields=_fs("hash"),
        then=lambda c: nodata("the NIC hashes an IPv4/GRE frame over the outer addresses "
                              "(an L3 hash): __iptunnel_pull_header clears it "
                              "(skb_clear_hash_if_not_l4), the inner flow's hash is "
                              "software-computed on demand (hash_recalc)", loss=True),
        source=STACKED_HASH_SOURCE,
    ),
    Rule(
        "stacked-vxlan-hash-outer",
        paths=_fs("vxlan"),
        fields=_fs("hash"),
        then=_stacked_vxlan_hash,
        source=STACKED_HASH_SOURCE,
    ),
)


# --- the metadata size sweep (paths sizes:<path>, harness.guest.meta_sizes) ----------
#: sizeof(struct xdp_frame) on 64-bit (include/net/xdp.h): bpf_xdp_adjust_meta keeps it free
XDP_FRAME_SIZE = 40
#: XDP headroom (data - data_hard_start) the driver gives a frame, from the 7.2 source
XDP_HEADROOM = {
    "igc": (256, "drivers/net/ethernet/intel/igc/igc_main.c igc_rx_offset: "
                 "XDP_PACKET_HEADROOM with XDP (no build_skb ring), + IGC_TS_HDR_LEN 16 "
                 "when the NIC put the RX timestamp header in front (TSIP)"),
    "virtio_net": (256, "drivers/net/virtio_net.c virtnet_get_headroom: "
                        "XDP_PACKET_HEADROOM when XDP is enabled"),
}
META_MAX = 255  # u8 skb_shared_info.meta_len (xdp_metalen_invalid)


def sweep_size(pkt: SentPacket) -> int:
    """The blob size the sweep writes for ``pkt`` (xh_sweep_size: by id)."""
    return SWEEP_SIZES[pkt.id % len(SWEEP_SIZES)]


def meta_room(facts: Facts) -> int | None:
    """The largest data_meta bpf_xdp_adjust_meta() allows on this driver (None: unknown)."""
    if facts.driver not in XDP_HEADROOM:
        return None
    room = XDP_HEADROOM[facts.driver][0]
    if facts.driver == "igc" and facts.hwtstamp_rx:
        room += 16
    return min(room - XDP_FRAME_SIZE, META_MAX) // 4 * 4


SIZE_SOURCE = ("net/core/filter.c bpf_xdp_adjust_meta: meta < data_hard_start + "
               "sizeof(struct xdp_frame) -> -EINVAL; include/net/xdp.h xdp_metalen_invalid: "
               "4-byte aligned and <= type_max(skb_shared_info.meta_len) = 255 -> else -EACCES")

SIZE_RULES: tuple[Rule, ...] = (
    Rule(
        "meta-size-headroom-unknown",
        paths=frozenset(SIZE_PATHS),
        fields=_fs("meta"),
        when=lambda c: meta_room(c.facts) is None,
        then=lambda c: skip(f"{c.facts.driver}: XDP headroom not modelled"),
        source="-",
    ),
    Rule(
        "meta-size-fits",
        paths=frozenset(SIZE_PATHS),
        fields=_fs("meta"),
        when=lambda c: sweep_size(c.pkt) <= (meta_room(c.facts) or 0),
        then=lambda c: value("intact", f"{sweep_size(c.pkt)} bytes fit the "
                             f"{meta_room(c.facts)} bytes bpf_xdp_adjust_meta allows "
                             f"({c.facts.driver}); xdp_frame metasize and skb meta_len keep "
                             "up to 255"),
        source=SIZE_SOURCE + "; net/core/xdp.c xdp_convert_buff_to_frame metasize, "
        "skb_metadata_set(skb, metasize)",
    ),
    Rule(
        "meta-size-refused",
        paths=frozenset(SIZE_PATHS),
        fields=_fs("meta"),
        then=lambda c: value("refused", f"{sweep_size(c.pkt)} bytes: bpf_xdp_adjust_meta "
                             f"refuses more than {meta_room(c.facts)} ({c.facts.driver} "
                             "headroom minus sizeof(struct xdp_frame))", loss=True),
        source=SIZE_SOURCE + "; " + "; ".join(v[1] for v in XDP_HEADROOM.values()),
    ),
)


RULES: tuple[Rule, ...] = (
    *STORE_RULES,
    # --- RX checksum state of the skb at TC (bpf_csum_level QUERY: UNNECESSARY or not) ---
    # the driver's state, then GRO's: on a device with NETIF_F_GRO, GRO verifies the
    # TCP/UDP checksum of a CHECKSUM_NONE skb in software and marks a good one UNNECESSARY
    Rule(
        "csum-skb-broken",
        paths=CSUM_SKB_PATHS,
        fields=_fs("csum"),
        when=lambda c: bool(c.pkt.bad_csum),
        then=lambda c: value(CHECKSUM_NONE, f"{c.pkt.bad_csum} checksum broken: neither the "
                             "driver nor GRO may call it verified", loss=False),
        source=f"{IGC_MAIN}: igc_rx_checksum (1746) L4E|IPE -> CHECKSUM_NONE; "
        "net/ipv4/af_inet.c inet_gro_receive (1500: ip_fast_csum), tcp4_gro_receive, "
        "udp4_gro_receive, tcp6/udp6_gro_receive: skb_gro_checksum_validate fails -> no "
        "skb_gro_incr_csum_unnecessary; ground truth: the sent record's bad_csum",
    ),
    Rule(
        "csum-skb-igc",
        drivers=_fs("igc"),
        paths=NIC_SKB_PATHS,
        fields=_fs("csum"),
        then=lambda c: value(CHECKSUM_UNNECESSARY, f"{c.pkt.l3}/{c.pkt.l4} checksums good: "
                             "verified by the NIC (and by GRO)"),
        source=f"{IGC_MAIN}: igc_rx_checksum (1746): TCPCS|UDPCS -> CHECKSUM_UNNECESSARY; "
        "the model: qemu/hw/net/igc_core.c igc_rx_csum_status",
    ),
    Rule(
        "csum-skb-gro",
        paths=NIC_SKB_PATHS | {"cpumap-skb"},
        fields=_fs("csum"),
        when=lambda c: c.facts.driver != "veth",
        then=lambda c: value(CHECKSUM_UNNECESSARY, f"{c.pkt.l3}/{c.pkt.l4} checksums good: "
                             f"{c.facts.driver} leaves CHECKSUM_NONE, GRO verifies", loss=False),
        source="drivers/net/virtio_net.c virtnet_receive_done -> "
        "virtio_net_handle_csum_offload: UNNECESSARY only with VIRTIO_NET_HDR_F_DATA_VALID, "
        "which the host's af_packet frames lack (virtio_net_hdr_from_skb); "
        "net/core/xdp.c __xdp_build_skb_from_frame: no ip_summed (cpumap); then GRO "
        "(NETIF_F_GRO on by default: net/core/dev.c register_netdevice "
        "NETIF_F_SOFT_FEATURES; kernel/bpf/cpumap.c gro_receive_skb): "
        "include/net/gro.h skb_gro_incr_csum_unnecessary",
    ),
    Rule(
        "csum-skb-veth",
        paths=CSUM_SKB_PATHS,
        fields=_fs("csum"),
        when=lambda c: c.facts.driver == "veth" or c.path == "veth-skb",
        then=lambda c: value(CHECKSUM_NONE, "veth: the sender's CHECKSUM_NONE, or none from "
                             "an xdp_frame, and GRO off on veth: nothing verifies", loss=False),
        source="drivers/net/veth.c: veth_xmit leaves skb->ip_summed (af_packet: "
        "CHECKSUM_NONE); net/core/xdp.c __xdp_build_skb_from_frame sets none; veth keeps "
        "NETIF_F_GRO off by default (veth_disable_gro, 1798)",
    ),
    Rule(
        "csum-skb-not-recorded",
        fields=_fs("csum"),
        when=lambda c: c.path not in KFUNC_PATHS,
        then=lambda c: skip("the skb's checksum state is recorded at TC"),
        source="-",
    ),
    # --- rx queue: chosen through the RSS indirection table, seen at the XDP hook ---
    Rule(
        "queue-not-at-xdp",
        fields=_fs("queue"),
        when=lambda c: c.path != "xdp",
        then=lambda c: skip("the rx queue is checked at the NIC's XDP hook"),
        source="xdp_md->rx_queue_index",
    ),
    Rule(
        "queue-no-table",
        fields=_fs("queue"),
        when=lambda c: c.facts.reta is None,
        then=lambda c: skip("the NIC's indirection table was not read"),
        source="-",
    ),
    Rule(
        "queue-rx-filter",
        fields=_fs("queue"),
        when=lambda c: c.facts.driver == "igc" and bool(c.facts.rx_rules)
        and filter_queue(c.facts.rx_rules or (), c.pkt.frame) is not None,
        then=_queue_then,
        source="igc: ETQF, flex (FHFT), RAH queue select, VLANPQF before RSS "
        "(qemu/hw/net/igc_filters.c), the rules read back with ethtool -n",
    ),
    Rule(
        "queue-reta",
        fields=_fs("queue"),
        then=_queue_then,
        source="igc: RETA[hash & 127] (qemu/hw/net/igc_core.c); virtio-net: QEMU "
        "virtio_net_process_rss indirections_table[hash & (len - 1)]",
    ),
    # --- gates: things that cannot be observed at all on this run ------------------
    Rule(
        "virtio-no-hash-report",
        drivers=_fs("virtio_net"),
        paths=NIC_PATHS,
        fields=_fs("hash", "hash_type"),
        when=lambda c: c.facts.hash_report is False,
        then=lambda c: skip(
            "virtio-net without VIRTIO_NET_F_HASH_REPORT (feature bit 57 not negotiated; "
            f"{c.facts.backend} backend: QEMU offers it only on a tap with a vnet header)"),
        source="QEMU hw/net/virtio-net.c: hash reports need a backend with a vnet header; "
        "drivers/net/virtio_net.c reads the hash from the virtio-net header",
    ),
    Rule(
        "kfunc-not-in-btf",
        paths=KFUNC_PATHS,
        fields=KFUNC_FIELDS,
        when=lambda c: c.facts.kfuncs is not None and KFUNC_OF_FIELD[c.field] not in c.facts.kfuncs,
        then=lambda c: skip(
            f"{KFUNC_OF_FIELD[c.field]} not in kernel BTF (rx_hash 6.3, rx_vlan_tag 6.8"
            + ("; rx_checksum proposed 2026, not merged" if c.field == "csum" else "") + ")"
        ),
        source="kernel BTF of the guest",
    ),
    Rule(
        "zc-unavailable",
        paths=_fs("xsk-zc"),
        when=lambda c: c.facts.xsk_zc is False,
        then=lambda c: skip(f"{c.facts.driver}: AF_XDP zero-copy bind refused"),
        source="bind(XDP_ZEROCOPY) result in the guest",
    ),
    # --- custom metadata ---------------------------------------------------------
    Rule(
        "tpacket-timestamp-only",
        paths=SKB_READER_PATHS,
        fields=_fs("hash", "hash_type", "vlan", "meta"),
        then=lambda c: skip(NOT_OBSERVABLE[c.path, c.field]),
        source="harness design: the ring is read for its hardware stamp",
    ),
    Rule(
        "meta-at-xdp",
        paths=_fs("xdp", "xdp-late"),
        fields=_fs("meta"),
        then=lambda c: skip(NOT_OBSERVABLE[c.path, "meta"]),
        source="harness design",
    ),
    Rule(
        "meta-not-written",
        paths=_fs("pass-bare", "skb"),
        fields=_fs("meta"),
        then=lambda c: value(False, "no data_meta written (pass-bare: --no-meta; skb: no XDP "
                             "program)"),
        source="no bpf_xdp_adjust_meta(): skb_metadata_len() is 0 after XDP_PASS",
    ),
    Rule(
        "meta-unsupported",
        fields=_fs("meta"),
        when=lambda c: not c.facts.data_meta,
        then=lambda c: skip(f"{c.facts.driver} reserves no data_meta headroom"),
        source="bpf_xdp_adjust_meta() fails without driver support",
    ),
    *TC_HELPER_RULES,
    *SIZE_RULES,
    *STACKED_RULES,
    Rule(
        "meta-carried",
        fields=_fs("meta"),
        then=lambda c: value(True, "data_meta survives XDP_PASS, veth, cpumap, AF_XDP"),
        source="skb_metadata_set on XDP_PASS; xdp_frame keeps metasize; xsk copies "
        "data_meta..data into the UMEM",
    ),
    # --- veth after XDP_REDIRECT: kfuncs on an xdp_frame ---------------------------
    Rule(
        "veth-xdp-frame",
        paths=_fs("veth"),
        fields=KFUNC_FIELDS,
        then=lambda c: nodata("veth: redirected xdp_frame has no skb, kfuncs return -ENODATA"),
        source="drivers/net/veth.c veth_xdp_rx_*: if (!_ctx->skb) return -ENODATA",
    ),
    # --- skb-only points have no hash type -----------------------------------------
    Rule(
        "skb-no-hash-type",
        paths=NIC_SKB_PATHS | SKB_FROM_FRAME_PATHS,
        fields=_fs("hash_type"),
        then=lambda c: skip(NOT_OBSERVABLE[c.path, "hash_type"]),
        source="struct __sk_buff has hash but no hash type",
    ),
    # --- program in a cpumap entry: not device-bound ------------------------------------
    Rule(
        "cpumap-dev-bound-refused",
        paths=_fs("cpumap"),
        fields=KFUNC_FIELDS,
        when=lambda c: c.facts.cpumap_dev_bound_rc not in (None, 0),
        then=lambda c: not_called(
            "the kernel refused a device-bound program in a cpumap entry (runner probe: "
            f"rc={c.facts.cpumap_dev_bound_rc} ({errname(c.facts.cpumap_dev_bound_rc)})), "
            "so a cpumap program cannot call the RX metadata kfuncs",
            probed=True,
        ),
        source="kernel/bpf/core.c bpf_prog_map_compatible: dev-bound programs refused in "
        "program maps (cpumap, devmap, prog-array) 'until device checks are implemented'",
    ),
    Rule(
        "cpumap-dev-bound-accepted",
        paths=_fs("cpumap"),
        fields=KFUNC_FIELDS,
        when=lambda c: c.facts.cpumap_dev_bound_rc == 0,
        then=lambda c: present(
            "this kernel accepted a device-bound program in a cpumap entry (runner probe "
            "rc=0): the kfuncs could be called there, and the suite's cpumap program does "
            "not yet call them -- the expectation table needs updating",
            probed=True,
        ),
        source="runner probe (xdp-hints-guest run --mode cpumap: cpumap_dev_bound_rc)",
    ),
    Rule(
        "cpumap-prog-no-kfuncs",
        paths=_fs("cpumap"),
        fields=KFUNC_FIELDS,
        then=lambda c: skip("programs in cpumap entries cannot call the device-bound kfuncs "
                            "(not probed on this run)"),
        source="kernel: dev-bound programs are refused in cpumap/devmap/prog-array",
    ),
    # --- skb built from an xdp_frame (cpumap, veth) -----------------------------------
    Rule(
        "frame-skb-hash",
        paths=SKB_FROM_FRAME_PATHS,
        fields=_fs("hash"),
        then=lambda c: nodata("skb built from an xdp_frame carries no RX hash"),
        source="net/core/xdp.c __xdp_build_skb_from_frame (used by cpumap and veth); "
        "no rx meta in xdp_frame",
    ),
    Rule(
        "frame-skb-timestamp",
        paths=SKB_FROM_FRAME_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: nodata("skb built from an xdp_frame carries no hardware timestamp"),
        source="net/core/xdp.c __xdp_build_skb_from_frame",
    ),
    Rule(
        "frame-skb-vlan-inner",
        paths=SKB_FROM_FRAME_PATHS,
        fields=_fs("vlan"),
        when=lambda c: c.facts.strips(c.pkt) and len(c.pkt.vlans) > 1,
        then=lambda c: value(c.pkt.vlans[1], "the outer tag was metadata, lost with the "
                             "xdp_frame; the inner tag, still in the frame, is untagged in "
                             "software"),
        source="xdp_frame has no VLAN metadata; net/core/dev.c __netif_receive_skb_core: "
        "skb_vlan_untag()",
    ),
    Rule(
        "frame-skb-vlan-stripped",
        paths=SKB_FROM_FRAME_PATHS,
        fields=_fs("vlan"),
        when=lambda c: c.facts.strips(c.pkt),
        then=lambda c: nodata("tag stripped by the NIC (veth: sent out of band) is not carried "
                              "in the xdp_frame"),
        source="xdp_frame has no VLAN metadata; igc CTRL.VME strip",
    ),
    Rule(
        "frame-skb-vlan-in-data",
        paths=SKB_FROM_FRAME_PATHS,
        fields=_fs("vlan"),
        when=lambda c: bool(c.pkt.vlans),
        then=_vlan_value("tag still in the frame; netif_receive_skb untags it in software"),
        source="net/core/dev.c __netif_receive_skb_core: skb_vlan_untag()",
    ),
    Rule(
        "frame-skb-vlan-untagged",
        paths=SKB_FROM_FRAME_PATHS,
        fields=_fs("vlan"),
        then=lambda c: nodata("untagged frame", loss=False),
        source="-",
    ),
    # --- NIC kfuncs (xdp, and stored into the AF_XDP metadata area) ---------------------
    Rule(
        "no-callback",
        paths=NIC_KFUNC_PATHS,
        fields=KFUNC_FIELDS,
        when=lambda c: FEATURE_OF_FIELD[c.field] not in c.facts.features(),
        then=lambda c: unsupported(
            f"{c.facts.driver} has no xmo_rx_{FEATURE_OF_FIELD[c.field].replace('-', '_')} callback"
        ),
        source="xdp-rx-metadata-features (netlink netdev dev-get); 7.2: virtio_net hash only, "
        "igc ts+hash, veth ts+hash+vlan",
    ),
    # --- RX checksum (proposed kfunc, 2026: veth + ice callbacks) -------------------
    Rule(
        "csum-nic",
        paths=NIC_KFUNC_PATHS,
        fields=_fs("csum"),
        then=_csum_then,
        source="ice_rx_csum (ice_txrx_lib.c): error bits -> CHECKSUM_NONE, L3/L4 verified "
        "-> CHECKSUM_UNNECESSARY; ground truth: the sent record's bad_csum",
    ),
    Rule(
        "rxhash-off",
        drivers=_fs("virtio_net", "igc", "igb"),
        paths=NIC_PATHS,
        fields=_fs("hash", "hash_type"),
        when=lambda c: not c.facts.rxhash,
        then=lambda c: nodata("NETIF_F_RXHASH off (ethtool -K <if> rxhash on)"),
        source="virtnet_xdp_rx_hash / igc_xdp_rx_hash: !(features & NETIF_F_RXHASH) -> "
        "-ENODATA; skb: virtio_skb_set_hash / igc_rx_hash / igb_rx_hash only with "
        "NETIF_F_RXHASH",
    ),
    Rule(
        "veth-nic-hash",
        drivers=_fs("veth"),
        paths=NIC_KFUNC_PATHS,
        fields=_fs("hash"),
        then=lambda c: present("veth: skb_get_hash() software hash"),
        source="drivers/net/veth.c veth_xdp_rx_hash",
    ),
    Rule(
        "veth-nic-hash-type-tagged",
        drivers=_fs("veth"),
        paths=NIC_KFUNC_PATHS,
        fields=_fs("hash_type"),
        when=lambda c: bool(c.pkt.vlans) and not c.pkt.vlan_oob,
        then=lambda c: value(
            XDP_RSS_TYPE_NONE,
            "veth: the tagged frame came from a packet socket on the peer, which set the "
            "network header past the VLAN tags; veth keeps that offset, so the flow dissector "
            "(skb->protocol 802.1Q, parsed from the inner IP header) finds no ports: "
            "l4_hash 0 -> NONE",
        ),
        source="net/packet/af_packet.c packet_parse_headers: skb_set_network_header(skb, "
        "depth) for VLAN frames; drivers/net/veth.c veth_xdp_rx_hash: skb_get_hash() at the "
        "XDP hook, before __netif_receive_skb_core resets the network header",
    ),
    Rule(
        "veth-nic-hash-type",
        drivers=_fs("veth"),
        paths=NIC_KFUNC_PATHS,
        fields=_fs("hash_type"),
        then=lambda c: value(XDP_RSS_TYPE_L4_ANY, "veth: skb->l4_hash -> L4_ANY"),
        source="drivers/net/veth.c veth_xdp_rx_hash: l4_hash ? L4_ANY : NONE; frames sent "
        "through a VLAN device: its vlan_parse_protocol gives the protocol below any inline "
        "tag, so packet_parse_headers leaves the network header after the Ethernet header",
    ),
    Rule(
        "virtio-late-hash-headroom",
        drivers=_fs("virtio_net"),
        paths=_fs("xdp-late"),
        fields=_fs("hash", "hash_type"),
        when=lambda c: c.facts.ifindex is not None,
        then=lambda c: known_bugs.virtio_headroom_hash(c.facts, c.pkt, c.field, _hash_then(c)),
        source="drivers/net/virtio_net.c virtnet_xdp_rx_hash (7.2.13: 6739-6760): hdr_hash = "
        "xdp->data - vi->hdr_len, in the XDP headroom (receive_small_xdp 1897 / "
        "virtnet_build_xdp_buff_mrg put the header right before data); "
        "Documentation/networking/xdp-rx-metadata.rst: programs adjust_meta, then call the "
        "kfuncs to fill it; docs/kernel-bugs.md#virtio-net-rx-hash-headroom",
    ),
    Rule(
        "nic-hash",
        paths=NIC_KFUNC_PATHS,
        fields=_fs("hash", "hash_type"),
        then=_hash_then,
        source="Toeplitz (MS RSS) over key + rx-flow-hash fields; virtnet_xdp_rss_type[] / "
        "igc_xdp_rss_type[] map to enum xdp_rss_hash_type",
    ),
    Rule(
        "igc-ts-no-filter",
        drivers=_fs("igc"),
        paths=NIC_PATHS | SKB_READER_PATHS,
        fields=_fs("timestamp"),
        when=lambda c: not c.facts.hwtstamp_rx,
        then=lambda c: nodata("igc: no RX hwtstamp filter, TSIP clear"),
        source="igc_xdp_rx_timestamp: TSIP set ? 0 : -ENODATA",
    ),
    Rule(
        "igc-ts-late-clobbered",
        drivers=_fs("igc"),
        paths=_fs("xdp-late"),
        fields=_fs("timestamp"),
        when=lambda c: c.facts.ifindex is not None,
        then=_igc_clobbered_then,
        source="drivers/net/ethernet/intel/igc/igc_main.c (7.2.13) igc_clean_rx_irq 2645-2648: "
        "ctx.rx_ts = pktbuf, the 16-byte header right before data, i.e. in the headroom "
        "bpf_xdp_adjust_meta hands the program; igc_xdp_rx_timestamp 7062-7073 reads "
        "tstamp->timer0 through that pointer when called; docs/kernel-bugs.md"
        "#igc-rx-ts-headroom",
    ),
    Rule(
        "igc-tpacket-netdev-data",
        drivers=_fs("igc"),
        paths=SKB_READER_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: known_bugs.igc_tpacket_stamp(ts_expectation(
            c.facts, c.pkt, "igc: SYSTIM stamp, as SO_TIMESTAMPING gives it")),
        source="igc_main.c (7.2.13) igc_construct_skb 2016-2019 / igc_build_skb 2763-2766: "
        "SKBTX_HW_TSTAMP_NETDEV + skb_hwtstamps(skb)->netdev_data = rx_ts; "
        "net/packet/af_packet.c tpacket_get_timestamp 455-470 reads ->hwtstamp (the other "
        "member of the union) without checking the flag, which net/socket.c "
        "__sock_recv_timestamp 942 honours; docs/kernel-bugs.md#igc-tpacket-netdev-data",
    ),
    Rule(
        "igc-ts-skb-busy-poll",
        drivers=_fs("igc"),
        paths=NIC_SKB_PATHS,
        fields=_fs("timestamp"),
        when=lambda c: c.facts.rx_busy_poll,
        then=lambda c: present(
            "igc: skb hwtstamps holds a netdev_data pointer (CONFIG_NET_RX_BUSY_POLL); "
            "the value is only exact through SO_TIMESTAMPING"
        ),
        source="igc_construct_skb_timestamps: SKBTX_HW_TSTAMP_NETDEV + netdev_data",
    ),
    Rule(
        "igc-ts-pass-clobbered",
        drivers=_fs("igc"),
        paths=_fs("pass"),
        fields=_fs("timestamp"),
        when=lambda c: c.facts.hwtstamp_rx and not c.facts.rx_busy_poll
        and c.facts.ifindex is not None,
        then=_igc_clobbered_then,
        source="igc_construct_skb / ndo_get_tstamp igc_get_tstamp (7.2.13 igc_main.c "
        "6964-6980): reads timer 0 of the 16-byte RX header in the headroom when the stack "
        "asks; our XDP program's 56-byte data_meta (struct xh_meta) ends right before the "
        "packet, over that header; docs/kernel-bugs.md#igc-rx-ts-headroom",
    ),
    Rule(
        "igc-ts",
        drivers=_fs("igc"),
        paths=NIC_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: ts_expectation(c.facts, c.pkt, "igc: SYSTIM stamp from the RX header"),
        source="igc_xdp_rx_timestamp / igc_ptp_rx_pktstamp; skb (through SO_TIMESTAMPING): "
        "igc_get_tstamp reads the same RX header lazily",
    ),
    Rule(
        "veth-nic-ts",
        drivers=_fs("veth"),
        paths=NIC_KFUNC_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: value(0, "veth: skb_hwtstamps() of a software skb is 0, rc 0"),
        source="drivers/net/veth.c veth_xdp_rx_timestamp",
    ),
    Rule(
        "nic-ts-other",
        paths=NIC_KFUNC_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: present(f"{c.facts.driver}: timestamp callback present"),
        source="xdp-rx-metadata-features",
    ),
    Rule(
        "veth-nic-vlan",
        drivers=_fs("veth"),
        paths=NIC_KFUNC_PATHS,
        fields=_fs("vlan"),
        when=lambda c: c.pkt.vlan_oob,
        then=_vlan_value("veth: the outer tag, sent through a VLAN device on the peer, from "
                         "the skb's vlan metadata (proto and whole TCI)"),
        source="drivers/net/veth.c veth_xdp_rx_vlan_tag: __vlan_hwaccel_get_tag(skb), "
        "skb->vlan_proto; net/8021q/vlan_dev.c vlan_dev_hard_start_xmit: "
        "__vlan_hwaccel_put_tag (VID | egress-qos-map PCP of skb->priority)",
    ),
    Rule(
        "nic-vlan-stripped",
        paths=NIC_KFUNC_PATHS,
        fields=_fs("vlan"),
        when=lambda c: c.facts.strips(c.pkt),
        then=_vlan_value("NIC stripped the outer tag into RX metadata"),
        source="driver rx_vlan_tag callback (none in 7.2 for igc/virtio_net)",
    ),
    Rule(
        "nic-vlan-none",
        paths=NIC_KFUNC_PATHS,
        fields=_fs("vlan"),
        then=lambda c: nodata("no tag in RX metadata (untagged, or tag left in the frame)",
                              loss=False),
        source="rx_vlan_tag returns -ENODATA when no tag was stripped",
    ),
    # --- XDP_PASS -> skb --------------------------------------------------------------
    Rule(
        "virtio-xdp-pass-skb-hash",
        drivers=_fs("virtio_net"),
        paths=PASS_PATHS,
        fields=_fs("hash"),
        then=lambda c: known_bugs.virtio_pass_hash(_skb_hash_then(c)),
        source="drivers/net/virtio_net.c (7.2.13) receive_small_xdp 1849-1925 / "
        "receive_mergeable_xdp (virtnet_build_skb / build_skb_from_xdp_buff: no header copy "
        "into skb->cb, unlike page_to_skb 923 and receive_small_build_skb 1844) -> "
        "virtnet_receive_done 2506-2508 -> virtio_skb_set_hash(zeroed cb); receive_buf "
        "2569-2589 saves only hdr.flags before XDP; docs/kernel-bugs.md"
        "#virtio-net-xdp-pass-hash",
    ),
    Rule(
        "pass-hash-veth",
        drivers=_fs("veth"),
        paths=NIC_SKB_PATHS,
        fields=_fs("hash"),
        then=lambda c: skip("veth skb hash is a software hash"),
        source="-",
    ),
    Rule(
        "pass-hash",
        paths=NIC_SKB_PATHS,
        fields=_fs("hash"),
        then=_skb_hash_then,
        source="virtio_skb_set_hash / igc_rx_hash: skb_set_hash(NIC hash)",
    ),
    Rule(
        "igb-ts-ptp-only",
        drivers=_fs("igb"),
        paths=NIC_SKB_PATHS | SKB_READER_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: nodata(
            "igb: the 82576 cannot timestamp all packets (no HWTSTAMP_FILTER_ALL), only PTP "
            "event frames, so the test frames' skbs carry no hardware stamp"
        ),
        source="drivers/net/ethernet/intel/igb/igb_ethtool.c igb_get_ts_info: 82576 "
        "rx_filters lack HWTSTAMP_FILTER_ALL; igb_ptp.c igb_ptp_set_timestamp_mode",
    ),
    Rule(
        "pass-ts",
        paths=NIC_SKB_PATHS | SKB_READER_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: nodata(f"{c.facts.driver}: no hardware RX timestamp on the skb"),
        source="virtio_net and veth (as the NIC) never set skb_hwtstamps",
    ),
    Rule(
        "pass-vlan",
        paths=NIC_SKB_PATHS,
        fields=_fs("vlan"),
        when=lambda c: bool(c.pkt.vlans),
        then=_vlan_value("outer tag: NIC strip (igc VME) or software skb_vlan_untag"),
        source="net/core/dev.c __netif_receive_skb_core: skb_vlan_untag() before tc ingress",
    ),
    Rule(
        "pass-vlan-untagged",
        paths=NIC_SKB_PATHS,
        fields=_fs("vlan"),
        then=lambda c: nodata("untagged frame", loss=False),
        source="-",
    ),
)


# --- NIC faults (path faults, igc model rx-faults) --------------------------
# Packets the model faulted get these; the others get the rules of FAULT_PATHS[path].
# lines: 7.2.13, then 6.12.95 in brackets (the same code in both)


def _faulted(fault: str) -> Cond:
    return lambda c: fault in (c.facts.nic_faults or {}).get(c.pkt.id, frozenset())


def _fault_rule(name: str, fault: str, gate: Cond, fields: frozenset[str],
                then: Then, source: str,
                paths: frozenset[str] | None = None) -> Rule:
    """An igc rule for the packets the model faulted with ``fault`` (when ``gate`` holds:
    the NIC could have given the value at all); ``source`` is in igc_main.c."""
    faulted = _faulted(fault)
    return Rule(name, drivers=_fs("igc"), paths=paths, fields=fields,
                when=lambda c: gate(c) and faulted(c), then=then,
                source=f"{IGC_MAIN}: {source}")


FAULT_RULES: tuple[Rule, ...] = (
    _fault_rule(
        "fault-no-ts", "ts", lambda c: c.facts.hwtstamp_rx, _fs("timestamp"),
        lambda c: nodata("the model wrote no RX timestamp (TSIP clear): the driver must "
                         "report none, not invent one or keep the previous", loss=False),
        "igc_xdp_rx_timestamp (7062 [6888]) TSIP ? stamp : -ENODATA; igc_clean_rx_irq "
        "(2645 [2624]) reads the header stamp only if TSIP",
    ),
    _fault_rule(
        "fault-rss-none", "rss", lambda c: c.facts.rxhash, _fs("hash", "hash_type"),
        lambda c: value(0, "RSS type none: igc_xdp_rss_type[IGC_RSS_TYPE_NO_HASH] = "
                        "XDP_RSS_TYPE_L2 (0)" if c.field == "hash_type" else
                        "RSS type none: the model writes hash 0", loss=False),
        "igc_xdp_rx_hash (7048 [6874]), igc_xdp_rss_type[] (7029 [6855])",
        paths=_fs("faults"),
    ),
    _fault_rule(
        "fault-rss-none-skb", "rss", lambda c: c.facts.rxhash, _fs("hash"),
        lambda c: nodata("RSS type none, hash 0: skb_set_hash(skb, 0, PKT_HASH_TYPE_L2) "
                         "leaves skb->hash 0", loss=False),
        "igc_rx_hash (1806 [1780]), igc_rss_type_table[NO_HASH] = L2",
        paths=_fs("faults-skb"),
    ),
)


def match_rule(facts: Facts, pkt: SentPacket, path: str, fld: str) -> Rule | None:
    """The first rule that applies, or None (fault paths: a fault rule, else the rules
    of the path they stand for)."""
    ctx = Ctx(facts, pkt, path, fld)
    if path in FAULT_PATHS:
        rule = next((r for r in FAULT_RULES if r.matches(ctx)), None)
        if rule is not None:
            return rule
        ctx = Ctx(facts, pkt, FAULT_PATHS[path], fld)
    for rule in RULES:
        if rule.matches(ctx):
            return rule
    return None


def expect(facts: Facts, pkt: SentPacket, path: str, fld: str) -> Expectation:
    """Expectation for one packet at one path for one field."""
    if path not in ALL_PATHS:
        raise ValueError(f"unknown path {path!r}")
    if fld not in FIELDS:
        raise ValueError(f"unknown field {fld!r}")
    rule = match_rule(facts, pkt, path, fld)
    if rule is None:
        return skip(f"no rule for {facts.driver}/{path}/{fld}")
    if path in FAULT_PATHS and rule not in FAULT_RULES:
        path = FAULT_PATHS[path]
    return replace(rule.then(Ctx(facts, pkt, path, fld)), rule=rule.name)


def expect_all(
    facts: Facts,
    packets: Iterable[SentPacket],
    paths: Iterable[str] = PATHS,
    fields: Iterable[str] = FIELDS,
) -> dict[tuple[str, str], dict[int, Expectation]]:
    """{(path, field): {packet id: Expectation}} for a whole plan."""
    plan = list(packets)
    return {
        (p, f): {pkt.id: expect(facts, pkt, p, f) for pkt in plan} for p in paths for f in fields
    }


def rules_table() -> list[dict[str, str]]:
    """The rules as rows (for documentation and reports)."""

    def names(s: frozenset[str] | None) -> str:
        return "*" if s is None else ",".join(sorted(s))

    return [
        {
            "rule": r.name,
            "drivers": names(r.drivers),
            "paths": names(r.paths),
            "fields": names(r.fields),
            "source": r.source,
        }
        for r in (*RULES, *FAULT_RULES)
    ]


