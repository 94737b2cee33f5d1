# SPDX-License-Identifier: GPL-2.0-or-later
"""The guest runner's output schema, defined once, and its canonical form.

``xdp-hints-guest`` (guest-bpf/) prints JSON lines: records (one per observation,
with ``point``), events (with ``event``), and the one-object outputs of its
``probe``, ``abi`` and ``parse`` commands.  This module names every key they
carry (tests/guest/test_records.py holds it against the C sources and against
struct xh_meta in guest-bpf/xdp_hints_common.h) and converts records into the
canonical observations the verdict judges (:func:`from_runner`).

Records, keys by point:

all points (:data:`COMMON_KEYS`)
    point            "xdp" | "xdp_late" | "tc" | "veth_xdp" | "veth_skb" | "cpumap" |
                     "cpumap_skb" | "xsk"
    id, pkt_flags    packet id and flags from the payload (``XDPHINT1`` header)
    ifindex          device the program ran on
    rx_queue         xdp: rx_queue_index; xsk: the socket's queue; tc points:
                     raw skb->queue_mapping (drivers that record the rx queue
                     store queue + 1, e.g. virtio-net queue 0 shows as 1)
    cpu, ktime_ns    CPU and bpf_ktime_get_ns() (xsk: cpu null, CLOCK_MONOTONIC)
    pkt_len, eth_proto, l4_proto, frame_vlan_count, frame_vlan0_proto,
    frame_vlan0_tci, frame_vlan1_proto, frame_vlan1_tci
                     the parsed frame (VLAN tags still in the frame bytes, outer first)
    meta_len         data - data_meta when the program ran (xdp: before writing)
xdp, xdp_late and veth_xdp (kfunc view, :data:`KFUNC_KEYS`; xdp_late: the
                     NIC's program called them again after writing data_meta,
                     runner ``--late-hints``)
    rx_timestamp_rc, rx_timestamp, rx_hash_rc, rx_hash, rx_hash_type,
    rx_vlan_tag_rc, rx_vlan_proto (host order), rx_vlan_tci
                     rc: 0 ok, negative errno (-95 EOPNOTSUPP, -61 ENODATA);
                     null when the kernel lacks the kfunc (not called).
                     Values are 0 unless rc == 0.
xdp, xdp_late
    adjust_meta_rc   bpf_xdp_adjust_meta() result (1: not called, ``--no-meta``)
    xdp_action       "PASS" | "REDIRECT" | "DROP" | "ABORTED" | "TX"
every point but xdp (metadata view)
    meta_found       a struct xh_meta with valid magic/version/size was found
    meta             null, or the struct as the NIC's XDP program wrote it
                     (:data:`META_KEYS`: the kfunc keys + version, id, pkt_flags,
                     rx_queue, ifindex)
veth_xdp, cpumap
    xdp_action
tc, veth_skb, cpumap_skb (skb view, :data:`SKB_KEYS`)
    skb_hash, skb_vlan_present, skb_vlan_tci, skb_vlan_proto, skb_tstamp,
    skb_hwtstamp     (raw __sk_buff->hwtstamp: on igc this reads a kernel
                     pointer, the netdev_data side of the union, not ns)
    dynptr_rc        bpf_dynptr_from_skb_meta() (null: kfunc absent)
    dynptr_read_rc   bpf_dynptr_read() of the struct (null: not attempted)
    dynptr_meta_found, dynptr_meta   as meta, read through the dynptr
    skb_csum_level   bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY): >= 0 skb->ip_summed is
                     CHECKSUM_UNNECESSARY (this csum_level), -13 (EACCES) it is not
xsk
    xsk_mode ("copy" | "zerocopy"), umem_addr, meta_raw (the META_SIZE bytes in
                     front of the frame as hex: a consumer's own layout is its tail)
every point but xdp, under ``--meta-tlv`` (:data:`TLV_KEYS`)
    meta_raw         the TLV area (harness.guest.meta_tlv) in hex, null if shorter
                     (xsk: its META_SIZE bytes, the area their tail);
                     tc, veth_skb, cpumap_skb also ``dynptr_raw`` (through the dynptr)
tc_helper (the TC helper chain, ``run --tc-chain``; skb view as at tc)
    helper           the helper xh_tch_apply called (harness.oracle.paths.TC_HELPERS)
    helper_rc        its return code
    meta_len_before  data - data_meta before the helper (id and pkt_flags come from
                     the metadata read then; the frame may no longer parse after it)

stacked (the stacked-device reader on an upper device, ``run --upper``; skb view as
at tc, the frame parsed as the upper device sees it: the inner frame of a tunnel)
    hash_recalc      bpf_get_hash_recalc() after skb_hash was read (the software flow
                     hash of the inner flow where skb->hash was 0)
Events (:data:`EVENT_KEYS`): ``ready`` (mode, ifindex, kfuncs_present,
xdp_attach link|netlink, dev_bound, xdp_prog (the NIC's program: ours or
the user's, run ``--xdp-obj``), tc_attach tcx|clsact|none, hwtstamp_rc,
meta_size, meta_write (false under ``--no-meta``), veth/cpumap/xsk details),
``error`` (stage, errno, error, msg), ``ringbuf`` (run ``--xdp-obj``: one record of
the user object's own ring buffer MAP, as hex), ``stats`` (per program point, the counters
:data:`STATS_COUNTERS`), ``exit`` (rc, records).

data_meta layout (struct xh_meta, :data:`META_SIZE` bytes, little endian), written
by the NIC's device-bound XDP program right in front of the packet:
:data:`META_FIELDS` (rc :data:`RC_NOT_CALLED` = kfunc absent in this kernel).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.guest import meta_tlv
from harness.oracle.uapi import CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ENODATA, KFUNCS

# --- struct xh_meta (guest-bpf/xdp_hints_common.h) -------------------------------------
META_MAGIC = 0x31484D58  # XH_META_MAGIC, the bytes "XMH1"
META_VERSION = 1  # XH_META_VERSION
RC_NOT_CALLED = 1  # XH_RC_NOT_CALLED: kfunc absent, not called (null in the JSON)
#: (field, offset, struct format) of struct xh_meta, in order
META_FIELDS: tuple[tuple[str, int, str], ...] = (
    ("magic", 0, "I"),
    ("version", 4, "H"),
    ("size", 6, "H"),
    ("id", 8, "I"),
    ("pkt_flags", 12, "I"),
    ("rx_ts", 16, "Q"),
    ("rx_hash", 24, "I"),
    ("rx_hash_type", 28, "I"),
    ("ts_rc", 32, "i"),
    ("hash_rc", 36, "i"),
    ("vlan_rc", 40, "i"),
    ("vlan_proto", 44, "H"),  # host byte order
    ("vlan_tci", 46, "H"),
    ("rx_queue", 48, "I"),  # xdp_md->rx_queue_index
    ("ifindex", 52, "I"),  # xdp_md->ingress_ifindex
)
META_SIZE = 56

# --- records ------------------------------------------------------------------------
POINT_KEY = "point"
ID_KEY = "id"
#: runner points, as the records name them
POINTS = ("xdp", "xdp_late", "tc", "veth_xdp", "veth_skb", "cpumap", "cpumap_skb", "xsk",
          "tc_helper", "stacked")
KFUNC_POINTS = frozenset({"xdp", "xdp_late", "veth_xdp"})  # the kfunc results are top-level keys
SKB_POINTS = frozenset({"tc", "veth_skb", "cpumap_skb", "tc_helper", "stacked"})

FRAME_KEYS = ("pkt_len", "eth_proto", "l4_proto", "frame_vlan_count", "frame_vlan0_proto",
              "frame_vlan0_tci", "frame_vlan1_proto", "frame_vlan1_tci")
COMMON_KEYS = (POINT_KEY, ID_KEY, "pkt_flags", "ifindex", "rx_queue", "cpu", "ktime_ns",
               *FRAME_KEYS, "meta_len")
KFUNC_KEYS = ("rx_timestamp_rc", "rx_timestamp", "rx_hash_rc", "rx_hash", "rx_hash_type",
              "rx_vlan_tag_rc", "rx_vlan_proto", "rx_vlan_tci")
META_VIEW_KEYS = ("meta_found", "meta")
SKB_KEYS = ("skb_hash", "skb_vlan_present", "skb_vlan_tci", "skb_vlan_proto", "skb_tstamp",
            "skb_hwtstamp", "dynptr_rc", "dynptr_read_rc", "dynptr_meta_found", "dynptr_meta",
            "skb_csum_level")
#: keys every record but xdp adds under ``--meta-tlv`` (dynptr_raw: skb points)
TLV_KEYS = ("meta_raw", "dynptr_raw")
#: keys of the ``meta`` / ``dynptr_meta`` object (struct xh_meta as JSON)
META_KEYS = ("version", ID_KEY, "pkt_flags", *KFUNC_KEYS, "rx_queue", "ifindex")

#: point -> every key its records carry
RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "xdp": (*COMMON_KEYS, *KFUNC_KEYS, "adjust_meta_rc", "xdp_action"),
    "xdp_late": (*COMMON_KEYS, *KFUNC_KEYS, "adjust_meta_rc", "xdp_action"),
    "veth_xdp": (*COMMON_KEYS, *KFUNC_KEYS, *META_VIEW_KEYS, "xdp_action"),
    "cpumap": (*COMMON_KEYS, *META_VIEW_KEYS, "xdp_action"),
    "tc": (*COMMON_KEYS, *META_VIEW_KEYS, *SKB_KEYS),
    "veth_skb": (*COMMON_KEYS, *META_VIEW_KEYS, *SKB_KEYS),
    "cpumap_skb": (*COMMON_KEYS, *META_VIEW_KEYS, *SKB_KEYS),
    "xsk": (*COMMON_KEYS, "xsk_mode", "umem_addr", *META_VIEW_KEYS, "meta_raw"),
    "tc_helper": (*COMMON_KEYS, "helper", "helper_rc", "meta_len_before", *META_VIEW_KEYS,
                  *SKB_KEYS),
    "stacked": (*COMMON_KEYS, *META_VIEW_KEYS, "hash_recalc", *SKB_KEYS),
}

# --- events and the one-object commands ---------------------------------------------
STATS_COUNTERS = ("seen", "matched", "no_magic", "ringbuf_full", "adjust_meta_fail",
                  "redirect_fail")
#: ``stats``: one object of :data:`STATS_COUNTERS` per program point, keyed by the point
STATS_POINTS = ("xdp", "tc", "veth_xdp", "cpumap")
#: event -> its literal keys (``stats`` adds :data:`STATS_POINTS`, built at run time)
EVENT_KEYS: dict[str, tuple[str, ...]] = {
    "ready": ("event", "mode", "ifname", "ifindex", "kfuncs", "kfuncs_present", "xdp_attach",
              "dev_bound", "xdp_prog", "tc_attach", "tc_chain", "veth", "veth_ifindex",
              "veth_peer",
              "veth_peer_ifindex", "cpumap_cpu", "cpumap_dev_bound_rc", "xsk_queues",
              "xsk_mode", "hwtstamp_rc", "hwtstamp_rx_filter", "meta_size", "meta_write",
              "upper_devices",
              "meta_sweep", "meta_format", "store", "runner_version"),
    "error": ("event", "stage", "errno", "error", "msg"),
    # store_rc (run --store): {store kfunc: [calls returning 0, failing, the last error]}
    "stats": ("event", "store_rc"),
    "exit": ("event", "rc", "records"),
    "ringbuf": ("event", "map", "data"),
}
#: ``probe``: the kernel, then one object per asked interface (:data:`IFACE_KEYS`);
#: ``kfuncs`` is {kfunc name (:data:`harness.oracle.uapi.KFUNCS`): present}
PROBE_KEYS = ("kernel", "runner_version", "libbpf", "btf", "kfuncs", "tcx",
              "tcx_ingress_attach_type", "possible_cpus", "ifaces")
IFACE_KEYS = ("ifname", "ifindex", "error", "netdev_genl", "xdp_features",
              "xdp_features_names", "xdp_rx_metadata_features", "xdp_rx_metadata",
              "xsk_features", "xdp_zc_max_segs")
#: ``abi``: the layouts the runner was built with
ABI_KEYS = ("runner_version", "meta_size", "meta_magic", "meta_version", "rec_size",
            "cfg_size", "pkt_magic")
#: ``parse``: one line per frame given in hex (the userspace parser)
PARSE_KEYS = ("match", ID_KEY, "pkt_flags", *FRAME_KEYS)
#: ``tsrx`` / ``tpacket`` (and ``tpacket-parse``): one line per test frame
#: (harness.guest.stamps)
STAMP_KEYS = (ID_KEY, "hw", "sw", "status")
#: kfuncs the runner looks up in BTF (probe ``kfuncs``, ready ``kfuncs_present``)
RUNNER_KFUNCS = KFUNCS


def printed_keys() -> frozenset[str]:
    """Every literal key the runner prints (records, events, probe, abi, parse, stamps); the
    keys built from names at run time are :data:`STATS_POINTS`, :data:`STATS_COUNTERS`
    and the kfunc names (:data:`RUNNER_KFUNCS`)."""
    groups: Iterable[Iterable[str]] = (
        *RECORD_KEYS.values(), META_KEYS, TLV_KEYS, *EVENT_KEYS.values(), PROBE_KEYS, IFACE_KEYS,
        ABI_KEYS, PARSE_KEYS, STAMP_KEYS)
    return frozenset(k for g in groups for k in g)


# --- canonical observations ---------------------------------------------------------


@dataclass(frozen=True)
class FieldKeys:
    """Canonical keys of one field: its return code (None = always 0) and value(s)."""

    rc: str | None
    values: tuple[str, ...]


#: field -> canonical keys; the one place to adapt when the canonical form changes
FIELD_KEYS: dict[str, FieldKeys] = {
    "hash": FieldKeys("rx_hash_rc", ("rx_hash",)),
    "hash_type": FieldKeys("rx_hash_rc", ("rx_hash_type",)),
    "timestamp": FieldKeys("rx_ts_rc", ("rx_ts",)),
    "vlan": FieldKeys("rx_vlan_rc", ("vlan_proto", "vlan_tci")),
    "meta": FieldKeys(None, ("meta_ok",)),
    "queue": FieldKeys(None, ("rx_queue",)),
    # proposed bpf_xdp_metadata_rx_checksum: rc, skb->ip_summed value (not called yet);
    # skb points: rc 0, CHECKSUM_UNNECESSARY or CHECKSUM_NONE (= not UNNECESSARY: a BPF
    # program cannot tell NONE from COMPLETE) from skb_csum_level
    "csum": FieldKeys("rx_csum_rc", ("rx_csum",)),
}

#: runner point -> oracle path ("xsk" becomes "xsk-zc" when xsk_mode is "zerocopy")
RUNNER_POINTS: dict[str, str] = {
    "xdp": "xdp",
    "xdp_late": "xdp-late",
    "tc": "pass",
    "veth_xdp": "veth",
    "veth_skb": "veth-skb",
    "cpumap": "cpumap",
    "cpumap_skb": "cpumap-skb",
    "xsk": "xsk",
    "tc_helper": "tc:",  # + the record's helper (harness.guest.tc_chain judges the meta)
    "stacked": "stacked",  # harness.guest.stacked names the path by the upper device
}
#: canonical key -> runner key of the kfunc results (top level at xdp/veth_xdp,
#: inside the "meta" object the XDP program wrote, at xsk)
RUNNER_KFUNC_KEYS: dict[str, str] = dict(zip(
    ("rx_ts_rc", "rx_ts", "rx_hash_rc", "rx_hash", "rx_hash_type", "rx_vlan_rc",
     "vlan_proto", "vlan_tci"), KFUNC_KEYS, strict=True))


def from_runner(rec: Mapping[str, Any],
                points: Mapping[str, str] = RUNNER_POINTS) -> dict[str, Any]:
    """Canonical form of one guest-runner record; other records are returned as they are.

    Canonical observations, one per (path, packet)::

        {"point": "xdp", "id": 7, "rx_hash_rc": 0, "rx_hash": 123, "rx_hash_type": 41,
         "rx_ts_rc": -95, "rx_ts": 0, "rx_vlan_rc": -95, "vlan_proto": 0, "vlan_tci": 0,
         "meta_ok": true}

    Return codes are negative errnos (None = kfunc not called); ``vlan_proto`` is
    in host byte order (0x8100).  skb points report rc 0 when the skb carries the
    value (hash != 0, hw timestamp != 0, vlan tag present) and -ENODATA otherwise;
    ``csum`` there is always rc 0, with CHECKSUM_UNNECESSARY or CHECKSUM_NONE.
    ``meta_ok``: the custom struct was found and carries this packet's id and flags.
    ``points`` maps runner points to paths (default :data:`RUNNER_POINTS`).
    """
    point = rec.get(POINT_KEY)
    if "frame_vlan_count" not in rec or point not in points:
        return dict(rec)
    path = points[point]
    if point == "xsk" and rec.get("xsk_mode") == "zerocopy":
        path = "xsk-zc"
    if point == "tc_helper":
        path += str(rec.get("helper"))
    out: dict[str, Any] = {POINT_KEY: path, ID_KEY: rec.get(ID_KEY)}
    if point in ("xdp", "xdp_late") and "rx_queue" in rec:
        out["rx_queue"] = rec["rx_queue"]
    src: Mapping[str, Any] = {}
    if point in KFUNC_POINTS:
        src = rec
    elif point == "xsk":
        src = rec.get("meta") or {}
    for canon, key in RUNNER_KFUNC_KEYS.items():
        if key in src:
            out[canon] = src[key]
    if point in SKB_POINTS:
        if "skb_hash" in rec:
            out["rx_hash_rc"] = 0 if rec["skb_hash"] else ENODATA
            out["rx_hash"] = rec["skb_hash"]
        if "skb_hwtstamp" in rec:
            out["rx_ts_rc"] = 0 if rec["skb_hwtstamp"] else ENODATA
            out["rx_ts"] = rec["skb_hwtstamp"]
        if "skb_vlan_present" in rec:
            out["rx_vlan_rc"] = 0 if rec["skb_vlan_present"] else ENODATA
            out["vlan_proto"] = rec.get("skb_vlan_proto", 0)
            out["vlan_tci"] = rec.get("skb_vlan_tci", 0)
        if "skb_csum_level" in rec:
            out["rx_csum_rc"] = 0
            out["rx_csum"] = CHECKSUM_UNNECESSARY if rec["skb_csum_level"] >= 0 else CHECKSUM_NONE
    if "meta_raw" in rec and not rec.get("meta_found"):
        # no struct: the TLV format (AF_XDP always shows the bytes raw too)
        out["meta_ok"] = meta_tlv.check(rec) == "ok"
    elif "meta_found" in rec:
        meta = rec.get("meta") or {}
        out["meta_ok"] = (
            bool(rec["meta_found"])
            and meta.get(ID_KEY) == rec.get(ID_KEY)
            and meta.get("pkt_flags") == rec.get("pkt_flags")
        )
    return out


def with_skb_stamps(records: Iterable[Mapping[str, Any]],
                    stamps: Mapping[int, int | None]) -> list[dict[str, Any]]:
    """The ``tc`` records with ``skb_hwtstamp`` replaced by the stamp a packet socket got
    through SO_TIMESTAMPING for that packet id (0 when it got none); others as they are.
    """
    return [dict(r, skb_hwtstamp=stamps.get(int(r[ID_KEY])) or 0)
            if r.get(POINT_KEY) == "tc" else dict(r) for r in records]
