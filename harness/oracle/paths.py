# SPDX-License-Identifier: GPL-2.0-or-later
"""Where the guest observes (paths), what it observes (fields), and the path sets
the rules are written over.

Paths (guest runner point in brackets):
  ``skb``         no XDP program on the NIC (runner mode ``skb``): the driver's own skb,
                  seen by the TC ingress program [tc] -- the baseline
  ``xdp``         device-bound XDP program on the NIC, kfunc results [xdp]
  ``xdp-late``    the same program's kfuncs called again after it wrote data_meta, the
                  order of the kernel's xdp_hw_metadata (runner ``--late-hints``) [xdp_late]
  ``pass``        XDP_PASS -> skb, seen by a TC ingress program on the NIC [tc]
  ``pass-bare``   the same skb after an XDP program that wrote no data_meta (runner
                  ``--no-meta``): the headroom is as the driver left it [tc]
  ``veth``        XDP_REDIRECT into a veth, XDP program on the peer: kfuncs on an
                  xdp_frame [veth_xdp]
  ``veth-skb``    the skb the veth peer builds from that frame, TC on the peer [veth_skb]
  ``cpumap``      XDP program in the cpumap entry (not device-bound: no kfuncs) [cpumap]
  ``cpumap-skb``  the skb the cpumap builds, TC on the NIC [cpumap_skb]
  ``xsk``         AF_XDP copy mode: the metadata the NIC's XDP program stored in front of
                  the frame [xsk, xsk_mode copy]
  ``xsk-zc``      the same in zero-copy mode [xsk, xsk_mode zerocopy]
  ``veth-store-skb``, ``cpumap-store-skb``  ``veth-skb`` / ``cpumap-skb`` in
                  ``redirect-store`` mode: the NIC's XDP program stored a hash, a VLAN tag
                  and a stamp with the store kfuncs before redirecting (harness.oracle.store)
                  [veth_skb, cpumap_skb; runner ``--store``]
  ``veth-store``  ``veth`` in that mode: the peer's XDP program reads the stored hints
                  back through the RX metadata kfuncs [veth_xdp]
  ``tpacket``     the driver's skb (no XDP) as an af_packet mmap ring (TPACKET_V3, as
                  libpcap reads it) shows its hardware stamp: timestamp only [tpacket,
                  runner ``tpacket``: guest-bpf/xh_stamps.c]
  ``tc:<helper>`` XDP_PASS, then at TC ingress (tcx) one program calls an skb helper
                  and the next one reads the metadata (data_meta and the skb-meta
                  dynptr); field ``meta`` only [tc_helper]
  ``sizes:<path>`` the same path (pass, veth, veth-skb, cpumap, cpumap-skb, xsk, xsk-zc) with a
                  data_meta blob of 4..252 bytes by packet id (runner ``--meta-sweep``);
                  field ``meta`` only
  ``vlan-dev``    XDP_PASS, then the skb on a VLAN sub-interface of the NIC (rx-vlan-offload
                  on), TC ingress there [stacked]; ``vlan-dev-sw`` the same with
                  rx-vlan-offload off (software untag); fields meta, hash, vlan
  ``gre``         XDP_PASS of a GRE (TEB) frame, then the decapsulated skb on a gretap
                  device, TC ingress there [stacked]; ``vxlan`` the same through a VXLAN
                  device; fields meta, hash (harness.guest.stacked)

Fields: ``hash``, ``hash_type``, ``timestamp``, ``vlan`` ((tpid, tci) tuple), ``meta``
(the custom ``data_meta`` struct arrived intact; ``False`` on ``pass-bare`` and
``skb``, where none was written), ``queue`` (the rx queue, at the XDP hook), ``csum``
(skb->ip_summed as the proposed ``bpf_xdp_metadata_rx_checksum`` kfunc reports it, on
the kfunc paths; on the skb paths the skb's own, read at TC with ``bpf_csum_level``
QUERY: UNNECESSARY or NONE (= not UNNECESSARY); the sent record's ``bad_csum`` says
which checksum the host broke).

Observation convention for skb points (``skb``, ``pass``, ``pass-bare``, ``veth-skb``,
``cpumap-skb``): rc 0 with the value when the skb carries it (``skb->hash != 0``, hw
timestamp != 0, vlan tag present), rc -ENODATA otherwise (harness.guest.records
converts the runner's records that way).
"""

from __future__ import annotations

from harness.oracle.uapi import (
    FEATURE_CHECKSUM,
    FEATURE_HASH,
    FEATURE_TIMESTAMP,
    FEATURE_VLAN_TAG,
    KFUNC_RX_CHECKSUM,
    KFUNC_RX_HASH,
    KFUNC_RX_TIMESTAMP,
    KFUNC_RX_VLAN_TAG,
)

PATHS: tuple[str, ...] = (
    "skb",
    "xdp",
    "xdp-late",
    "pass",
    "pass-bare",
    "veth",
    "veth-skb",
    "cpumap",
    "cpumap-skb",
    "xsk",
    "xsk-zc",
    "veth-store",
    "veth-store-skb",
    "cpumap-store-skb",
    "tpacket",
    "faults",
    "faults-skb",
)
FIELDS: tuple[str, ...] = ("hash", "hash_type", "timestamp", "vlan", "meta", "queue", "csum")

SKB_FROM_FRAME_PATHS = frozenset({"veth-skb", "cpumap-skb"})  # __xdp_build_skb_from_frame
STORE_SKB_PATHS = frozenset({"veth-store-skb", "cpumap-store-skb"})  # harness.oracle.store
STORE_PATHS = STORE_SKB_PATHS | {"veth-store"}  # redirect-store mode (runner --store)
PASS_PATHS = frozenset({"pass", "pass-bare"})  # the NIC's skb after XDP_PASS
NIC_SKB_PATHS = PASS_PATHS | {"skb"}  # the skb the NIC's driver builds, with or without XDP
#: the driver's skb as other readers see its hardware stamp (af_packet's mmap ring)
SKB_READER_PATHS = frozenset({"tpacket"})
KFUNC_PATHS = frozenset({"xdp", "xdp-late", "veth", "xsk", "xsk-zc"})  # kfunc results recorded
#: kfuncs called by the NIC's XDP program
NIC_KFUNC_PATHS = frozenset({"xdp", "xdp-late", "xsk", "xsk-zc"})
#: paths that read the NIC's own RX metadata (its kfuncs, or the skb its driver builds)
NIC_PATHS = NIC_KFUNC_PATHS | NIC_SKB_PATHS

KFUNC_FIELDS = frozenset({"hash", "hash_type", "timestamp", "vlan", "csum"})
KFUNC_OF_FIELD = {
    "csum": KFUNC_RX_CHECKSUM,
    "hash": KFUNC_RX_HASH,
    "hash_type": KFUNC_RX_HASH,
    "timestamp": KFUNC_RX_TIMESTAMP,
    "vlan": KFUNC_RX_VLAN_TAG,
}
FEATURE_OF_FIELD = {
    "csum": FEATURE_CHECKSUM,
    "hash": FEATURE_HASH,
    "hash_type": FEATURE_HASH,
    "timestamp": FEATURE_TIMESTAMP,
    "vlan": FEATURE_VLAN_TAG,
}

#: fault paths (the NIC model faults chosen packet ids) -> the path whose rules hold for
#: the packets it does not fault: ``faults`` is the XDP hook, ``faults-skb`` the skb at TC
#: after an XDP program that wrote no data_meta
FAULT_PATHS: dict[str, str] = {"faults": "xdp", "faults-skb": "pass-bare"}
#: fields the fault paths check (the ones a fault changes)
FAULT_FIELDS: dict[str, frozenset[str]] = {
    "faults": frozenset({"hash", "hash_type", "timestamp"}),
    "faults-skb": frozenset({"hash", "timestamp"}),
}
#: the TC helper chain (guest-bpf/xh_tc_helpers.bpf.c, enum xh_tch_helper order; the
#: packet with id i gets helper i % len): "none" is the control, no helper at all
TC_HELPERS: tuple[str, ...] = (
    "none", "vlan_push", "vlan_pop", "adjust_room_mac_grow", "adjust_room_mac_shrink",
    "adjust_room_net_grow", "adjust_room_net_shrink", "change_proto", "change_head",
    "change_tail", "pull_data",
)
TC_HELPER_PATHS: tuple[str, ...] = tuple(f"tc:{h}" for h in TC_HELPERS)
#: the metadata size sweep (guest-bpf/xh_meta_sweep.h: packet id i gets SWEEP_SIZES[i % 6])
SWEEP_SIZES: tuple[int, ...] = (4, 8, 32, 64, 128, 252)
SIZE_PATHS: tuple[str, ...] = tuple(
    f"sizes:{p}" for p in ("pass", "veth", "veth-skb", "cpumap", "cpumap-skb", "xsk",
                           "xsk-zc"))
#: stacked devices and tunnels (harness.guest.stacked): the upper device's skb
STACKED_PATHS: tuple[str, ...] = ("vlan-dev", "vlan-dev-sw", "gre", "vxlan")
#: the fields they check (vlan: on the VLAN devices only)
STACKED_FIELDS: dict[str, frozenset[str]] = {
    "vlan-dev": frozenset({"meta", "hash", "vlan"}),
    "vlan-dev-sw": frozenset({"meta", "hash", "vlan"}),
    "gre": frozenset({"meta", "hash"}),
    "vxlan": frozenset({"meta", "hash"}),
}
#: every path a row can have: PATHS and the meta-only paths above
ALL_PATHS: tuple[str, ...] = (*PATHS, *TC_HELPER_PATHS, *SIZE_PATHS, *STACKED_PATHS)

#: (path, field) pairs nothing can observe: they get no row in a report
NOT_OBSERVABLE: dict[tuple[str, str], str] = {
    **{(p, f): "the TC helper chain checks the custom metadata only"
       for p in TC_HELPER_PATHS for f in FIELDS if f != "meta"},
    **{(p, f): "the size sweep checks the custom metadata only"
       for p in SIZE_PATHS for f in FIELDS if f != "meta"},
    **{(p, "hash_type"): "struct __sk_buff has a hash but no RSS hash type"
       for p in sorted(NIC_SKB_PATHS | SKB_FROM_FRAME_PATHS | STORE_SKB_PATHS)},
    **{(p, "meta"): "data_meta is checked on veth, veth-skb and cpumap-skb"
       for p in sorted(STORE_PATHS)},
    ("xdp", "meta"): "data_meta is written at the XDP hook and checked downstream",
    ("xdp-late", "meta"): "data_meta is written at the XDP hook and checked downstream",
    **{("tpacket", f): "the tpacket path checks the ring's hardware stamp only"
       for f in ("hash", "hash_type", "vlan", "meta")},
    **{(p, f): "the fault paths check the fields a NIC fault changes"
       for p, fs in FAULT_FIELDS.items() for f in FIELDS if f not in fs},
    **{(p, f): "the stacked paths check the metadata, the skb hash and (VLAN devices) "
               "the skb's tag"
       for p, fs in STACKED_FIELDS.items() for f in FIELDS if f not in fs},
}
