# SPDX-License-Identifier: GPL-2.0-or-later
"""Expected RX metadata per (packet, path, field), decided from run-time facts.

The rules are one ordered table (:data:`RULES`); the first rule whose
driver/path/field match and whose condition holds gives the expectation.
Every rule names the kernel/QEMU fact it encodes.

Paths (where the guest observes; guest runner point in brackets):
  ``skb``         no XDP program on the NIC (runner mode ``skb``): the driver's own skb,
                  seen by the TC ingress program [tc] -- the baseline
  ``xdp``         device-bound XDP program on the NIC, kfunc results [xdp]
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

Fields: ``hash``, ``hash_type``, ``timestamp``, ``vlan`` ((tpid, tci) tuple), ``meta``
(the custom ``data_meta`` struct arrived intact; ``False`` on ``pass-bare`` and
``skb``, where none was written).

Observation convention for skb points (``skb``, ``pass``, ``pass-bare``, ``veth-skb``,
``cpumap-skb``):
rc 0 with the value when the skb carries it (``skb->hash != 0``, hw timestamp
!= 0, vlan tag present), rc -ENODATA otherwise (harness.verdict.compare converts the
runner's records that way).

Per-NIC parsing assumptions (which VLAN stacks the NIC looks through to hash
the inner IP header):

* virtio_net: the hash is computed by QEMU (``virtio_net_process_rss`` ->
  ``net_rx_pkt_set_protocols`` -> ``eth_get_protocols``), whose
  ``eth_get_l2_hdr_length`` skips one 802.1Q tag, one 802.1ad tag, or an
  802.1ad + 802.1Q pair; anything else (e.g. two 0x8100 tags) is not IP to
  it and gets hash report NONE -> the kfunc returns 0 with hash 0, type 0.
  QEMU's virtio-net RX filter drops 802.1Q frames whose VID the guest has
  not registered (VIRTIO_NET_F_CTRL_VLAN) unless the interface is promiscuous;
  that shows up as missing packets, not in these rules.
* igc: our model (qemu/hw/net/igc.c) parses with the same helpers
  (``net_rx_pkt_set_protocols``) and, with CTRL.VME (ethtool rx-vlan-offload
  on; off by default in Linux), strips only an outer tag whose TPID equals
  VET = 0x8100 (``eth_strip_vlan_ex`` index 0); 802.1ad outer tags stay in the
  frame.  TCP/IPv6 reports TCP_IPV6 even with MRQC TCP_EX set.  Real i225
  silicon is not what these rules describe.
* veth as the NIC: its "hardware" is the skb; values are software ones.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.traffic.packets import ETH_P_8021AD, ETH_P_8021Q, SentPacket
from harness.traffic.toeplitz import MS_RSS_KEY, rss_hash

PATHS: tuple[str, ...] = (
    "skb",
    "xdp",
    "pass",
    "pass-bare",
    "veth",
    "veth-skb",
    "cpumap",
    "cpumap-skb",
    "xsk",
    "xsk-zc",
)
SKB_FROM_FRAME_PATHS = frozenset({"veth-skb", "cpumap-skb"})  # __xdp_build_skb_from_frame
PASS_PATHS = frozenset({"pass", "pass-bare"})  # the NIC's skb after XDP_PASS
NIC_SKB_PATHS = PASS_PATHS | {"skb"}  # the skb the NIC's driver builds, with or without XDP
FIELDS: tuple[str, ...] = ("hash", "hash_type", "timestamp", "vlan", "meta", "queue")
#: (path, field) pairs nothing can observe: they get no row in a report
NOT_OBSERVABLE: dict[tuple[str, str], str] = {
    **{(p, "hash_type"): "struct __sk_buff has a hash but no RSS hash type"
       for p in sorted(NIC_SKB_PATHS | SKB_FROM_FRAME_PATHS)},
    ("xdp", "meta"): "data_meta is written at the XDP hook and checked downstream",
}
KFUNC_PATHS = frozenset({"xdp", "veth", "xsk", "xsk-zc"})
KFUNC_OF_FIELD = {
    "hash": "bpf_xdp_metadata_rx_hash",
    "hash_type": "bpf_xdp_metadata_rx_hash",
    "timestamp": "bpf_xdp_metadata_rx_timestamp",
    "vlan": "bpf_xdp_metadata_rx_vlan_tag",
}
FEATURE_OF_FIELD = {
    "hash": "hash",
    "hash_type": "hash",
    "timestamp": "timestamp",
    "vlan": "vlan-tag",
}

EOPNOTSUPP = -errno.EOPNOTSUPP  # -95: driver has no callback
ENODATA = -errno.ENODATA  # -61: callback, but nothing for this frame

# enum xdp_rss_hash_type (include/net/xdp.h, since 6.3)
XDP_RSS_L3_IPV4 = 1 << 0
XDP_RSS_L3_IPV6 = 1 << 1
XDP_RSS_L3_DYNHDR = 1 << 2
XDP_RSS_L4 = 1 << 3
XDP_RSS_L4_TCP = 1 << 4
XDP_RSS_L4_UDP = 1 << 5
XDP_RSS_TYPE_NONE = 0
XDP_RSS_TYPE_L3_IPV4 = XDP_RSS_L3_IPV4  # 0x01
XDP_RSS_TYPE_L3_IPV6 = XDP_RSS_L3_IPV6  # 0x02
XDP_RSS_TYPE_L4_ANY = XDP_RSS_L4  # 0x08
XDP_RSS_TYPE_L4_IPV4_TCP = XDP_RSS_L3_IPV4 | XDP_RSS_L4 | XDP_RSS_L4_TCP  # 0x19
XDP_RSS_TYPE_L4_IPV4_UDP = XDP_RSS_L3_IPV4 | XDP_RSS_L4 | XDP_RSS_L4_UDP  # 0x29
XDP_RSS_TYPE_L4_IPV6_TCP = XDP_RSS_L3_IPV6 | XDP_RSS_L4 | XDP_RSS_L4_TCP  # 0x1a
XDP_RSS_TYPE_L4_IPV6_UDP = XDP_RSS_L3_IPV6 | XDP_RSS_L4 | XDP_RSS_L4_UDP  # 0x2a

RSS_TYPE_NAMES = {
    XDP_RSS_TYPE_NONE: "NONE",
    XDP_RSS_TYPE_L3_IPV4: "L3_IPV4",
    XDP_RSS_TYPE_L3_IPV6: "L3_IPV6",
    XDP_RSS_TYPE_L4_ANY: "L4_ANY",
    XDP_RSS_TYPE_L4_IPV4_TCP: "L4_IPV4_TCP",
    XDP_RSS_TYPE_L4_IPV4_UDP: "L4_IPV4_UDP",
    XDP_RSS_TYPE_L4_IPV6_TCP: "L4_IPV6_TCP",
    XDP_RSS_TYPE_L4_IPV6_UDP: "L4_IPV6_UDP",
}

# hash input fields, named after ethtool's RXH_* bits
IP_SRC, IP_DST, L4_0_1, L4_2_3 = "ip_src", "ip_dst", "l4_0_1", "l4_2_3"
FOUR_TUPLE = frozenset({IP_SRC, IP_DST, L4_0_1, L4_2_3})
TWO_TUPLE = frozenset({IP_SRC, IP_DST})
FLOW_TYPES = ("tcp4", "udp4", "tcp6", "udp6")

#: xdp-rx-metadata-features per driver in Linux 7.2 (the xmo_* callbacks a driver sets);
#: used only when the run did not read the netlink attribute.
DRIVER_XDP_FEATURES: dict[str, frozenset[str]] = {
    "veth": frozenset({"timestamp", "hash", "vlan-tag"}),
    "igc": frozenset({"timestamp", "hash"}),
    "virtio_net": frozenset({"hash"}),
}

#: default RSS hash fields per driver and flow type (what ethtool -n rx-flow-hash shows)
DEFAULT_HASH_FIELDS: dict[str, dict[str, frozenset[str]]] = {
    # virtnet_init_default_rss: all supported types except the *_EX ones
    "virtio_net": {ft: FOUR_TUPLE for ft in FLOW_TYPES},
    # igc_setup_mrqc: TCP hashes ports; UDP ports only with IGC_FLAG_RSS_FIELD_IPV*_UDP
    "igc": {"tcp4": FOUR_TUPLE, "tcp6": FOUR_TUPLE, "udp4": TWO_TUPLE, "udp6": TWO_TUPLE},
}

#: VLAN TPID stacks (outer first) the NIC parses through to the IP header
NIC_PARSED_VLAN_STACKS: dict[str, frozenset[tuple[int, ...]]] = {
    "virtio_net": frozenset({(), (ETH_P_8021Q,), (ETH_P_8021AD,), (ETH_P_8021AD, ETH_P_8021Q)}),
    "igc": frozenset({(), (ETH_P_8021Q,), (ETH_P_8021AD,), (ETH_P_8021AD, ETH_P_8021Q)}),
}

#: igc_ptp_rx_pktstamp(): RX latency subtracted from the SYSTIM stamp, by link speed
#: (drivers/net/ethernet/intel/igc/igc.h IGC_I225_RX_LATENCY_*; unknown speed -> 0)
IGC_RX_LATENCY_NS = {10: 6450, 100: 185, 1000: 300, 2500: 1485}

#: drivers that strip the outer 0x8100 tag into RX metadata by default
#: (igc: NETIF_F_HW_VLAN_CTAG_RX is user-selectable and off by default -- commit
#: "igc: Enable HW VLAN Insertion and HW VLAN Stripping", 2021; virtio_net never strips)
DEFAULT_VLAN_STRIP: dict[str, bool] = {}


@dataclass(frozen=True)
class DeterministicClock:
    """igc model clock mode: frame ``k`` is stamped ``start_ns + step_ns * k``.

    ``k = packet id - first_id + offset`` (the plan's ids are consecutive and
    sent in order right after the clock was set).
    """

    start_ns: int
    step_ns: int
    first_id: int = 1
    offset: int = 0

    def at(self, pkt_id: int) -> int:
        """Expected timestamp of packet ``pkt_id``."""
        return self.start_ns + self.step_ns * (pkt_id - self.first_id + self.offset)


@dataclass
class Facts:
    """Run-time facts about kernel, NIC and its configuration."""

    driver: str  # "virtio_net" | "igc" | "veth"
    kernel_release: str = ""
    kfuncs: frozenset[str] | None = None  # kfunc names in BTF; None = not checked
    xdp_features: frozenset[str] | None = None  # netlink xdp-rx-metadata-features
    rss_key: bytes = MS_RSS_KEY
    hash_fields: Mapping[str, frozenset[str]] | None = None  # per flow type, e.g. "udp4"
    rxhash: bool = True  # NETIF_F_RXHASH (ethtool -K <if> rxhash on)
    hwtstamp_rx: bool = False  # an RX hwtstamp filter is configured (igc)
    clock: DeterministicClock | None = None
    ts_window: tuple[int, int] | None = None  # PHC read before/after the run
    ts_by_id: Mapping[int, int] | None = None  # exact stamps, e.g. from the igc model over QMP
    vlan_strip: bool | None = None  # rx-vlan-offload (ethtool -k); None = driver default
    skb_vlan_offload: bool = False  # veth as NIC: tag arrives in skb metadata, not in data
    xsk_zc: bool | None = None  # False = driver refused XDP_ZEROCOPY
    data_meta: bool = True  # driver reserves data_meta headroom
    link_speed_mbps: int | None = None  # ethtool speed; igc subtracts an RX latency per speed
    cpumap_dev_bound_rc: int | None = None  # runner probe: dev-bound prog into a cpumap
    rx_busy_poll: bool = True  # CONFIG_NET_RX_BUSY_POLL (Debian: y): igc skb stamp is a pointer
    # RSS indirection table as programmed (igc: the model's RETA over QMP; virtio-net:
    # ethtool -x); the rx queue is table[hash % len(table)] masked to the NIC's queues
    reta: tuple[int, ...] | None = None

    def features(self) -> frozenset[str]:
        """xdp-rx-metadata-features: measured, else the driver's table entry."""
        if self.xdp_features is not None:
            return frozenset(normalize_feature(f) for f in self.xdp_features)
        return DRIVER_XDP_FEATURES.get(self.driver, frozenset())

    def fields_for(self, pkt: SentPacket) -> frozenset[str]:
        """RSS hash input fields for this packet's flow type."""
        ft = f"{pkt.l4}{'4' if pkt.l3 == 'ipv4' else '6'}"
        table = self.hash_fields or DEFAULT_HASH_FIELDS.get(self.driver, {})
        return frozenset(table.get(ft, FOUR_TUPLE))

    def rx_latency_ns(self) -> int | None:
        """What the driver subtracts from the device stamp; None = unknown (igc, no speed)."""
        if self.driver != "igc":
            return 0
        if self.link_speed_mbps is None:
            return None
        return IGC_RX_LATENCY_NS.get(self.link_speed_mbps, 0)

    def strips(self, pkt: SentPacket) -> bool:
        """True if the NIC moved the outer tag out of the frame into RX metadata."""
        strip = self.vlan_strip
        if strip is None:
            strip = DEFAULT_VLAN_STRIP.get(self.driver, False)
        return bool(strip and pkt.vlans and pkt.vlans[0][0] == ETH_P_8021Q)


def normalize_feature(name: str) -> str:
    """``vlan_tag`` / ``VLAN-TAG`` -> ``vlan-tag``."""
    return name.strip().lower().replace("_", "-")


_ETHTOOL_FIELDS = (
    ("ip sa", IP_SRC),
    ("ip da", IP_DST),
    ("l4 bytes 0 & 1", L4_0_1),
    ("l4 bytes 2 & 3", L4_2_3),
    ("l2da", "l2da"),
    ("vlan tag", "vlan"),
    ("l3 proto", "l3_proto"),
)


def parse_ethtool_features(text: str) -> dict[str, bool]:
    """``ethtool -k <if>`` -> {feature: on}, e.g. ``rx-vlan-offload``, ``receive-hashing``."""
    out: dict[str, bool] = {}
    for line in text.splitlines():
        m = re.match(r"\s*([a-z0-9-]+):\s+(on|off)\b", line)
        if m:
            out[m.group(1)] = m.group(2) == "on"
    return out


def parse_rx_flow_hash(text: str) -> frozenset[str]:
    """Fields from ``ethtool -n <if> rx-flow-hash udp4`` output."""
    out: set[str] = set()
    for line in text.lower().splitlines():
        line = re.sub(r"\s+", " ", line.strip())
        for label, name in _ETHTOOL_FIELDS:
            if line.startswith(label):
                out.add(name)
    return frozenset(out)


def parse_ethtool_rss_key(text: str) -> bytes:
    """The key from ``ethtool -x <if>`` (the lines after ``RSS hash key:``)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().lower().startswith("rss hash key"):
            hexpart = "".join(
                ln.strip()
                for ln in lines[i + 1 :]
                if re.fullmatch(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*", ln.strip())
            )
            if hexpart:
                return bytes.fromhex(hexpart.replace(":", ""))
    raise ValueError("no 'RSS hash key:' block in ethtool -x output")


def parse_ethtool_indir(text: str) -> tuple[int, ...]:
    """The indirection table from ``ethtool -x <if>`` (rows like ``  8:  0  1  0  1``)."""
    table: list[int] = []
    for line in text.splitlines():
        m = re.fullmatch(r"\s*(\d+):((?:\s+\d+)+)\s*", line)
        if m and int(m.group(1)) == len(table):
            table += [int(v) for v in m.group(2).split()]
    if not table:
        raise ValueError("no indirection table in ethtool -x output")
    return tuple(table)


def parse_ethtool_driver(text: str) -> str:
    """``driver: virtio_net`` line of ``ethtool -i <if>``."""
    m = re.search(r"^driver:\s*(\S+)", text, re.MULTILINE)
    if not m:
        raise ValueError("no 'driver:' line in ethtool -i output")
    return m.group(1)


def facts_from_probe(probe: Mapping[str, Any], ifname: str, driver: str, **extra: Any) -> Facts:
    """Facts from ``xdp-hints-guest probe IFNAME`` JSON plus ``extra`` Facts fields.

    Takes the kernel release, the kfuncs present in BTF, the device's
    xdp-rx-metadata-features (None when the kernel lacks the netlink
    attribute) and whether it offers AF_XDP zero-copy.
    """
    iface = next((i for i in probe.get("ifaces", []) if i.get("ifname") == ifname), None)
    if iface is None:
        raise ValueError(f"probe has no interface {ifname!r}")
    kfuncs = probe.get("kfuncs")
    meta = iface.get("xdp_rx_metadata")
    names = iface.get("xdp_features_names")
    fields: dict[str, Any] = {
        "driver": driver,
        "kernel_release": str(probe.get("kernel", "")),
        "kfuncs": None if kfuncs is None else frozenset(k for k, v in kfuncs.items() if v),
        "xdp_features": None if meta is None else frozenset(meta),
        "xsk_zc": None if names is None else "xsk-zerocopy" in names,
    }
    fields.update(extra)
    return Facts(**fields)


@dataclass(frozen=True)
class Expectation:
    """What one observation should show.

    kind: ``value`` (rc 0, exact value), ``window`` (rc 0, lo <= v <= hi),
    ``present`` (rc 0, any value), ``unsupported`` (rc -EOPNOTSUPP),
    ``nodata`` (rc -ENODATA), ``not-called`` (the program on this path cannot call
    the kfunc: no rc at all), ``skip`` (not checked).
    """

    kind: str
    value: Any = None
    lo: int | None = None
    hi: int | None = None
    reason: str = ""
    rule: str = ""

    @property
    def rc(self) -> int | None:
        """Return code the kfunc / runner must report, None for skip."""
        return {
            "value": 0,
            "window": 0,
            "present": 0,
            "unsupported": EOPNOTSUPP,
            "nodata": ENODATA,
        }.get(self.kind)

    def describe(self, fld: str = "") -> str:
        """Short human form, e.g. ``0x1a2b3c4d`` or ``rc=-95 (EOPNOTSUPP)``."""
        if self.kind == "value":
            return format_value(fld, self.value)
        if self.kind == "window":
            return f"[{self.lo}, {self.hi}]"
        if self.kind == "present":
            return "rc=0 (any value)"
        if self.kind == "unsupported":
            return f"rc={EOPNOTSUPP} (EOPNOTSUPP)"
        if self.kind == "nodata":
            return f"rc={ENODATA} (ENODATA)"
        if self.kind == "not-called":
            return "not called"
        return f"skip: {self.reason}"


def value(v: Any, reason: str = "") -> Expectation:
    """rc 0 and exactly ``v``."""
    return Expectation("value", value=v, reason=reason)


def window(lo: int, hi: int, reason: str = "") -> Expectation:
    """rc 0 and a value in [lo, hi]."""
    return Expectation("window", lo=lo, hi=hi, reason=reason)


def present(reason: str = "") -> Expectation:
    """rc 0, value not predictable."""
    return Expectation("present", reason=reason)


def unsupported(reason: str) -> Expectation:
    """-EOPNOTSUPP: the driver has no callback."""
    return Expectation("unsupported", reason=reason)


def nodata(reason: str) -> Expectation:
    """-ENODATA: callback exists, nothing for this frame."""
    return Expectation("nodata", reason=reason)


def skip(reason: str) -> Expectation:
    """Not checked."""
    return Expectation("skip", reason=reason)


def errname(rc: int | None) -> str:
    """Symbolic name of a negative errno (``-22`` -> ``EINVAL``), else ``?``."""
    return errno.errorcode.get(-rc, "?") if isinstance(rc, int) and rc < 0 else "?"


def not_called(reason: str) -> Expectation:
    """The kfunc cannot be called where this path observes (no rc in the record)."""
    return Expectation("not-called", reason=reason)


def format_value(fld: str, v: Any) -> str:
    """Field-aware formatting of a value for reports."""
    if v is None:
        return "None"
    if fld == "hash" and isinstance(v, int):
        return f"0x{v:08x}"
    if fld == "hash_type" and isinstance(v, int):
        return f"0x{v:02x} ({RSS_TYPE_NAMES.get(v, '?')})"
    if fld == "vlan" and isinstance(v, tuple | list) and len(v) == 2:
        return f"0x{v[0]:04x}/0x{v[1]:04x}"
    return str(v)


# --- the NIC's view of a packet ---------------------------------------------


def nic_parses(facts: Facts, pkt: SentPacket) -> bool:
    """True if the NIC finds the IP header behind the packet's VLAN tags."""
    stacks = NIC_PARSED_VLAN_STACKS.get(facts.driver)
    if stacks is None:
        return True
    return tuple(t for t, _ in pkt.vlans) in stacks


def nic_hash(facts: Facts, pkt: SentPacket) -> tuple[int, int] | None:
    """(hash, xdp_rss_hash_type) the NIC reports, or None for a field set we do not model."""
    if not nic_parses(facts, pkt):
        return 0, XDP_RSS_TYPE_NONE
    flds = facts.fields_for(pkt) & FOUR_TUPLE
    l3bit = XDP_RSS_L3_IPV4 if pkt.l3 == "ipv4" else XDP_RSS_L3_IPV6
    if flds == FOUR_TUPLE:
        l4bit = XDP_RSS_L4_TCP if pkt.l4 == "tcp" else XDP_RSS_L4_UDP
        h = rss_hash(pkt.src_ip, pkt.dst_ip, pkt.sport, pkt.dport, key=facts.rss_key)
        return h, l3bit | XDP_RSS_L4 | l4bit
    if flds == TWO_TUPLE:
        return rss_hash(pkt.src_ip, pkt.dst_ip, key=facts.rss_key), l3bit
    if not flds:
        return 0, XDP_RSS_TYPE_NONE
    return None


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


KFUNC_FIELDS = _fs("hash", "hash_type", "timestamp", "vlan")
NIC_KFUNC_PATHS = _fs("xdp", "xsk", "xsk-zc")  # kfuncs called by the NIC's XDP program


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
        return nodata("NIC reported no hash; driver leaves skb->hash 0")
    return value(got[0], "driver copies the NIC hash into skb->hash")


#: which bits of the RETA entry select the queue (igc: 4 queues in the model)
QUEUE_MASK = {"igc": 0x3}


def _queue_then(ctx: Ctx) -> Expectation:
    reta = ctx.facts.reta
    assert reta is not None
    got = nic_hash(ctx.facts, ctx.pkt)
    if got is None:
        return skip(f"hash field set {sorted(ctx.facts.fields_for(ctx.pkt))} not modelled")
    h, t = got
    if t == XDP_RSS_TYPE_NONE:
        if ctx.facts.driver == "igc":
            return value(0, "not hashed: igc's default queue 0")
        return skip("not hashed: the NIC's default queue is not modelled")
    q = reta[h % len(reta)] & QUEUE_MASK.get(ctx.facts.driver, 0xFFFF)
    return value(q, f"indirection table[{h % len(reta)}] of the programmed RSS table")


def _vlan_value(reason: str) -> Then:
    return lambda ctx: value(outer_tag(ctx.pkt), reason)


RULES: tuple[Rule, ...] = (
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
        "queue-reta",
        fields=_fs("queue"),
        then=_queue_then,
        source="igc: RETA[hash & 127] (qemu/hw/net/igc.c); virtio-net: QEMU "
        "virtio_net_process_rss indirections_table[hash & (len - 1)]",
    ),
    # --- gates: things that cannot be observed at all on this run ------------------
    Rule(
        "kfunc-not-in-btf",
        paths=KFUNC_PATHS,
        fields=KFUNC_FIELDS,
        when=lambda c: c.facts.kfuncs is not None and KFUNC_OF_FIELD[c.field] not in c.facts.kfuncs,
        then=lambda c: skip(
            f"{KFUNC_OF_FIELD[c.field]} not in kernel BTF (rx_hash 6.3, rx_vlan_tag 6.8)"
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
        "meta-at-xdp",
        paths=_fs("xdp"),
        fields=_fs("meta"),
        then=lambda c: skip(NOT_OBSERVABLE["xdp", "meta"]),
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
            "so a cpumap program cannot call the RX metadata kfuncs"
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
            "not yet call them -- the expectation table needs updating"
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
        "frame-skb-vlan-stripped",
        paths=SKB_FROM_FRAME_PATHS,
        fields=_fs("vlan"),
        when=lambda c: c.facts.strips(c.pkt),
        then=lambda c: nodata("tag stripped by the NIC is not carried in the xdp_frame"),
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
        then=lambda c: nodata("untagged frame"),
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
    Rule(
        "rxhash-off",
        drivers=_fs("virtio_net", "igc"),
        paths=NIC_KFUNC_PATHS | NIC_SKB_PATHS,
        fields=_fs("hash", "hash_type"),
        when=lambda c: not c.facts.rxhash,
        then=lambda c: nodata("NETIF_F_RXHASH off (ethtool -K <if> rxhash on)"),
        source="virtnet_xdp_rx_hash / igc_xdp_rx_hash: !(features & NETIF_F_RXHASH) -> -ENODATA",
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
        when=lambda c: bool(c.pkt.vlans),
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
        source="drivers/net/veth.c veth_xdp_rx_hash: l4_hash ? L4_ANY : NONE",
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
        paths=NIC_KFUNC_PATHS | NIC_SKB_PATHS,
        fields=_fs("timestamp"),
        when=lambda c: not c.facts.hwtstamp_rx,
        then=lambda c: nodata("igc: no RX hwtstamp filter, TSIP clear"),
        source="igc_xdp_rx_timestamp: TSIP set ? 0 : -ENODATA",
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
        "igc-ts",
        drivers=_fs("igc"),
        paths=NIC_KFUNC_PATHS | NIC_SKB_PATHS,
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
        when=lambda c: c.facts.skb_vlan_offload and bool(c.pkt.vlans),
        then=_vlan_value("veth: tag from skb vlan metadata"),
        source="drivers/net/veth.c veth_xdp_rx_vlan_tag: __vlan_hwaccel_get_tag(skb)",
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
        then=lambda c: nodata("no tag in RX metadata (untagged, or tag left in the frame)"),
        source="rx_vlan_tag returns -ENODATA when no tag was stripped",
    ),
    # --- XDP_PASS -> skb --------------------------------------------------------------
    Rule(
        "virtio-xdp-pass-skb-hash",
        drivers=_fs("virtio_net"),
        paths=PASS_PATHS,
        fields=_fs("hash"),
        then=lambda c: nodata(
            "virtio_net: the skb built after XDP_PASS gets no virtio-net header in skb->cb, "
            "so the hash report reads as NONE and skb->hash is 0 (the `skb` path, without "
            "XDP, carries the hash)"
        ),
        source="drivers/net/virtio_net.c receive_small_xdp / receive_mergeable_xdp "
        "(virtnet_build_skb / build_skb_from_xdp_buff: no header copy) -> "
        "virtnet_receive_done -> virtio_skb_set_hash(zeroed cb)",
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
        "pass-ts",
        paths=NIC_SKB_PATHS,
        fields=_fs("timestamp"),
        then=lambda c: nodata(f"{c.facts.driver}: no hardware RX timestamp on the skb"),
        source="virtio_net/veth never set skb_hwtstamps",
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
        then=lambda c: nodata("untagged frame"),
        source="-",
    ),
)


def match_rule(facts: Facts, pkt: SentPacket, path: str, fld: str) -> Rule | None:
    """The first rule that applies, or None."""
    ctx = Ctx(facts, pkt, path, fld)
    for rule in RULES:
        if rule.matches(ctx):
            return rule
    return None


def expect(facts: Facts, pkt: SentPacket, path: str, fld: str) -> Expectation:
    """Expectation for one packet at one path for one field."""
    if path not in PATHS:
        raise ValueError(f"unknown path {path!r}")
    if fld not in FIELDS:
        raise ValueError(f"unknown field {fld!r}")
    rule = match_rule(facts, pkt, path, fld)
    if rule is None:
        return skip(f"no rule for {facts.driver}/{path}/{fld}")
    exp = rule.then(Ctx(facts, pkt, path, fld))
    return Expectation(exp.kind, exp.value, exp.lo, exp.hi, exp.reason, rule.name)


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
        for r in RULES
    ]


__all__ = [
    "DeterministicClock",
    "Expectation",
    "FIELDS",
    "Facts",
    "PATHS",
    "RULES",
    "Rule",
    "expect",
    "expect_all",
    "match_rule",
    "facts_from_probe",
    "parse_ethtool_driver",
    "parse_ethtool_features",
    "parse_ethtool_rss_key",
    "parse_rx_flow_hash",
    "rules_table",
]
