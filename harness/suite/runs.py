# SPDX-License-Identifier: GPL-2.0-or-later
"""Which runner invocations a set of CLI paths needs, and which rows each yields.

=========  ==================  ===================================================
CLI path   runner invocation   rows (oracle paths)
=========  ==================  ===================================================
skb        skb (no XDP)        ``skb`` (the driver's own skb at TC ingress: baseline)
tpacket    skb                 ``tpacket`` (that skb's hardware stamp as an af_packet
                               mmap ring shows it: harness.suite.tpacket)
xdp        pass                ``xdp`` (kfuncs in the NIC's device-bound program)
xdp-late   pass (--late-hints) ``xdp-late`` (the same program's kfuncs called again
                               after it wrote data_meta)
pass       pass                ``pass`` (skb at TC ingress after XDP_PASS)
           pass-bare (pass     ``pass-bare`` (the same skb after an XDP program
           --no-meta)          that wrote no data_meta: igc's skb stamp intact)
veth       veth                ``veth`` (kfuncs on the peer), ``veth-skb``
cpumap     cpumap              ``cpumap`` (cpumap program), ``cpumap-skb``
xsk        xsk copy            ``xsk`` (metadata area in the UMEM)
xsk-zc     xsk zerocopy        ``xsk-zc``
veth-      veth --store        ``veth-store`` (the peer's kfuncs), ``veth-store-skb``
store                          (redirect-store mode: what the XDP program stored)
cpumap-    cpumap --store      ``cpumap-store-skb``
store
tc-helpers pass --tc none      ``tc:<helper>`` per helper (field meta): the TC helper
           --tc-chain          chain, harness.guest.tc_chain; its own plan (untagged
                               frames, 4 per helper)
meta-sizes sizes-pass, -veth,  ``sizes:pass``, ``sizes:veth``, ``sizes:veth-skb``,
           -cpumap, -xsk,      ``sizes:cpumap``, ``sizes:cpumap-skb``, ``sizes:xsk``,
           -xsk-zc (those      ``sizes:xsk-zc`` (field meta): a blob of 4..252 bytes
           modes, --meta-sweep) by packet id, 2 packets per size
                               (harness.guest.meta_sizes); opt-in
vlan-dev   stacked (pass       ``vlan-dev`` (VLAN sub-interfaces, rx-vlan-offload on),
gre        --tc none --upper)  ``gre`` (gretap), ``vxlan`` (VXLAN device): the upper
vxlan                          device's skb at its TC ingress (fields meta, hash, vlan),
                               harness.guest.stacked; 8 packets per path, one invocation
vlan-dev-  stacked-sw (the     ``vlan-dev-sw``: the VLAN devices with rx-vlan-offload
sw         same, rx-vlan-      off (the stack untags); opt-in (one more invocation)
           offload off)
faults     faults (pass        ``faults`` (kfuncs), ``faults-skb`` (skb at TC): the igc
           --no-meta, igc      model faults chosen packet ids (no stamp, RSS type none,
           rx-faults)          checksum error); the answers must be exact per packet
=========  ==================  ===================================================

The ``*-store`` invocations run only where the guest's BTF has the store kfuncs
(harness.oracle.store); elsewhere :func:`not_runnable` gives the skip reason and no
runner starts.

``xdp`` and ``pass`` share one runner invocation; ``pass`` adds a second one,
``pass-bare``: it shows whether a driver's skb depends on what XDP did to the
headroom.  Every invocation gets its own plan with ids no other invocation uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.guest import meta_sizes, stacked, tc_chain
from harness.nics.base import CLI_PATHS
from harness.oracle import FIELDS, Facts
from harness.oracle.paths import SIZE_PATHS, SWEEP_SIZES, TC_HELPER_PATHS, TC_HELPERS
from harness.oracle.store import absent_reason, missing_store_kfuncs
from harness.verdict.compare import Row, has_row


@dataclass(frozen=True)
class Run:
    """One kind of runner invocation."""

    mode: str
    observe: dict[str, Any]  # GuestRunner.observe keyword arguments
    last_point: str  # the point that sees a packet last (waited for)
    yields: tuple[str, ...]  # oracle paths its records can give
    points: dict[str, str] | None = None  # runner point -> oracle path, where not compare's
    kinds: tuple[str, ...] | None = None  # packet kinds of its plan (None: the options')
    packets: int | None = None  # packets of its plan (None: the options')
    convert: Callable[[list[dict]], list[dict]] | None = None  # records before compare
    annotate: Callable[[list[Row], list[dict]], None] | None = None  # rows, converted records
    struct_only: bool = False  # needs struct xh_meta (skipped under --meta-format tlv)
    #: oracle path -> extra GuestRunner.observe arguments when that path is asked for
    path_observe: dict[str, dict[str, Any]] | None = None
    #: upper devices on the NIC (harness.guest.stacked.Stack): made before the runner
    #: starts, the plan wrapped for them, records judged per device
    stacked: bool = False

    def observe_args(self, oracle_paths: Iterable[str]) -> dict[str, Any]:
        """The observe() arguments for an invocation yielding ``oracle_paths``."""
        out = dict(self.observe)
        for p in oracle_paths:
            out.update((self.path_observe or {}).get(p, {}))
        return out


#: the TC helper chain's plan: frames every helper applies to (adjust_room and
#: change_proto need skb->protocol IPv4/IPv6), each helper on every kind
TC_CHAIN_KINDS = ("ipv4-udp-untagged", "ipv4-tcp-untagged", "ipv6-udp-untagged",
                  "ipv6-tcp-untagged")


RUNS: dict[str, Run] = {
    "skb": Run("skb", {}, "tc", ("skb", "tpacket"), {"tc": "skb"}),
    "pass": Run("pass", {}, "tc", ("xdp", "xdp-late", "pass"),
                path_observe={"xdp-late": {"late_hints": True}}),
    "pass-bare": Run("pass", {"no_meta": True}, "tc", ("pass-bare",), {"tc": "pass-bare"}),
    "veth": Run("veth", {}, "veth_skb", ("veth", "veth-skb")),
    "cpumap": Run("cpumap", {}, "cpumap_skb", ("cpumap", "cpumap-skb")),
    "xsk": Run("xsk", {"xsk_mode": "copy"}, "xsk", ("xsk",)),
    "xsk-zc": Run("xsk", {"xsk_mode": "zerocopy"}, "xsk", ("xsk-zc",)),
    "veth-store": Run("veth", {"store": True}, "veth_skb", ("veth-store", "veth-store-skb"),
                      {"veth_skb": "veth-store-skb", "veth_xdp": "veth-store"}),
    "cpumap-store": Run("cpumap", {"store": True}, "cpumap_skb", ("cpumap-store-skb",),
                        {"cpumap_skb": "cpumap-store-skb", "cpumap": "cpumap-store"}),
    "tc-helpers": Run("pass", {"tc": "none", "tc_chain": True}, tc_chain.POINT,
                      TC_HELPER_PATHS, kinds=TC_CHAIN_KINDS,
                      packets=len(TC_CHAIN_KINDS) * len(TC_HELPERS),
                      convert=tc_chain.canonical, struct_only=True),
    **{f"sizes-{mode}": Run(mode, {"meta_sweep": True}, last, yields, kinds=TC_CHAIN_KINDS,
                            packets=2 * len(SWEEP_SIZES), convert=meta_sizes.canonical,
                            annotate=meta_sizes.summarize, struct_only=True)
       for mode, last, yields in (
           ("pass", "tc", ("sizes:pass",)),
           ("veth", "veth_skb", ("sizes:veth", "sizes:veth-skb")),
           ("cpumap", "cpumap_skb", ("sizes:cpumap", "sizes:cpumap-skb")))},
    **{f"sizes-{name}": Run("xsk", {"meta_sweep": True, "xsk_mode": mode}, "xsk",
                            (f"sizes:{name}",), kinds=TC_CHAIN_KINDS,
                            packets=2 * len(SWEEP_SIZES), convert=meta_sizes.canonical,
                            annotate=meta_sizes.summarize, struct_only=True)
       for name, mode in (("xsk", "copy"), ("xsk-zc", "zerocopy"))},
    # stacked devices and tunnels: the plan's kinds follow the paths asked for
    "stacked": Run("pass", {"tc": "none"}, stacked.POINT, ("vlan-dev", "gre", "vxlan"),
                   kinds=stacked.plan_kinds(("vlan-dev", "gre", "vxlan")),
                   packets=3 * stacked.PACKETS_PER_PATH, struct_only=True, stacked=True),
    "stacked-sw": Run("pass", {"tc": "none"}, stacked.POINT, ("vlan-dev-sw",),
                      kinds=stacked.plan_kinds(("vlan-dev-sw",)),
                      packets=stacked.PACKETS_PER_PATH, struct_only=True, stacked=True),
    # the NIC faults chosen packets (igc model rx-faults); no data_meta: skb stamps intact
    "faults": Run("pass", {"no_meta": True}, "tc", ("faults", "faults-skb"),
                  {"xdp": "faults", "tc": "faults-skb"}),
}
#: invocations that need the store kfuncs in the guest's BTF
STORE_RUNS = frozenset({"veth-store", "cpumap-store"})
#: CLI path -> the invocation it shares (xdp and pass: one)
RUN_OF_PATH = {"skb": "skb", "tpacket": "skb", "xdp": "pass", "xdp-late": "pass",
               "pass": "pass", "veth": "veth", "cpumap": "cpumap", "xsk": "xsk",
               "xsk-zc": "xsk-zc", "faults": "faults", "tc-helpers": "tc-helpers",
               "meta-sizes": "sizes-pass", "vlan-dev": "stacked", "gre": "stacked",
               "vxlan": "stacked", "vlan-dev-sw": "stacked-sw",
               "veth-store": "veth-store", "cpumap-store": "cpumap-store"}
#: CLI path -> invocations of its own after that one
EXTRA_RUNS: dict[str, tuple[str, ...]] = {"pass": ("pass-bare",),
                                          "meta-sizes": ("sizes-veth", "sizes-cpumap",
                                                         "sizes-xsk", "sizes-xsk-zc")}
#: CLI path -> the oracle paths (rows) it gives
ORACLE_PATHS = {"skb": ("skb",), "tpacket": ("tpacket",), "xdp": ("xdp",),
                "xdp-late": ("xdp-late",), "pass": ("pass", "pass-bare"),
                "veth": ("veth", "veth-skb"), "cpumap": ("cpumap", "cpumap-skb"),
                "xsk": ("xsk",), "xsk-zc": ("xsk-zc",), "faults": ("faults", "faults-skb"),
                "tc-helpers": TC_HELPER_PATHS, "meta-sizes": SIZE_PATHS,
                "vlan-dev": ("vlan-dev",), "gre": ("gre",), "vxlan": ("vxlan",),
                "vlan-dev-sw": ("vlan-dev-sw",), "veth-store": ("veth-store", "veth-store-skb"),
                "cpumap-store": ("cpumap-store-skb",)}


def invocations(paths: Sequence[str]) -> dict[str, list[str]]:
    """{invocation: the CLI paths it serves}, in CLI_PATHS order."""
    for p in paths:
        if p not in CLI_PATHS:
            raise ValueError(f"unknown path {p!r} (choose from {', '.join(CLI_PATHS)})")
    serves: dict[str, list[str]] = {}
    for p in CLI_PATHS:
        if p in paths:
            for run in (RUN_OF_PATH[p], *EXTRA_RUNS.get(p, ())):
                serves.setdefault(run, []).append(p)
    return serves


def not_runnable(run: str, facts: Facts | None) -> str | None:
    """Why invocation ``run`` cannot run on this kernel (skip its rows), or None."""
    if run in STORE_RUNS:
        missing = missing_store_kfuncs(facts.kfuncs if facts is not None else None)
        if missing:
            return absent_reason(missing)
    return None


def oracle_paths(run: str, paths: Iterable[str]) -> list[str]:
    """Of the CLI ``paths``' oracle paths, the ones invocation ``run`` yields."""
    return [op for p in paths for op in ORACLE_PATHS[p] if op in RUNS[run].yields]


def row_keys(paths: Iterable[str]) -> list[tuple[str, str]]:
    """(path, field) pairs that get a row, as compare() makes them."""
    return [(p, f) for p in paths for f in FIELDS if has_row(p, f)]


def verdict_rows(nic: str, paths: Iterable[str], verdict: str, reason: str) -> list[Row]:
    """One row per (path, field) of ``paths``, all with ``verdict`` and ``reason``."""
    return [Row(nic, p, f, verdict, detail=reason) for p, f in row_keys(paths)]
