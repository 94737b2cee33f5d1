# SPDX-License-Identifier: GPL-2.0-or-later
"""Run-time facts about the kernel, the NIC and its configuration (:class:`Facts`),
and how the runner's ``probe`` output becomes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.oracle.nic_model import DEFAULT_HASH_FIELDS, DRIVER_XDP_FEATURES, rx_latency_ns
from harness.oracle.rx_filters import RxRule
from harness.oracle.uapi import FOUR_TUPLE, normalize_feature
from harness.traffic.packets import ETH_P_8021Q, SentPacket
from harness.traffic.toeplitz import MS_RSS_KEY


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

    driver: str  # "virtio_net" | "igc" | "igb" | "veth"
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
    vlan_strip: bool | None = None  # rx-vlan-offload (ethtool -k); None = not read: no strip
    xsk_zc: bool | None = None  # False = driver refused XDP_ZEROCOPY
    data_meta: bool = True  # driver reserves data_meta headroom
    link_speed_mbps: int | None = None  # ethtool speed; igc subtracts an RX latency per speed
    cpumap_dev_bound_rc: int | None = None  # runner probe: dev-bound prog into a cpumap
    rx_busy_poll: bool = True  # CONFIG_NET_RX_BUSY_POLL (Debian: y): igc skb stamp is a pointer
    # RSS indirection table as programmed (igc: the model's RETA over QMP; virtio-net:
    # ethtool -x); the rx queue is table[hash % len(table)] masked to the NIC's queues
    reta: tuple[int, ...] | None = None
    # receive queue filters the guest programmed (igc: ethtool -n), applied before RSS;
    # None = not read
    rx_rules: tuple[RxRule, ...] | None = None
    # virtio-net: VIRTIO_NET_F_HASH_REPORT (feature bit 57) negotiated; None = not
    # applicable or not read
    hash_report: bool | None = None
    backend: str = ""  # how frames reach the NIC (tap, socket, guest): for reasons only
    ifindex: int | None = None  # the NIC's ifindex in the guest (runner probe)
    meta_format: str = "struct"  # what the XDP program writes into data_meta (run --meta-format)
    # packet id -> faults the NIC model was asked for ("ts", "rss", "csum"): path faults
    nic_faults: Mapping[int, frozenset[str]] | None = None

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
        return rx_latency_ns(self.driver, self.link_speed_mbps)

    def strips(self, pkt: SentPacket) -> bool:
        """True if the NIC moved the outer tag out of the frame into RX metadata (or, veth
        as the NIC, the tag came out of band through a VLAN device on the peer)."""
        if pkt.vlan_oob:
            return True
        return bool(self.vlan_strip and pkt.vlans and pkt.vlans[0][0] == ETH_P_8021Q)


def facts_from_probe(probe: Mapping[str, Any], ifname: str, driver: str, **extra: Any) -> Facts:
    """Facts from ``xdp-hints-guest probe IFNAME`` JSON plus ``extra`` Facts fields.

    Takes the kernel release, the kfuncs present in BTF, the device's ifindex,
    its xdp-rx-metadata-features (None when the kernel lacks the netlink
    attribute) and whether it offers AF_XDP zero-copy.
    """
    iface = next((i for i in probe.get("ifaces", []) if i.get("ifname") == ifname), None)
    if iface is None:
        raise ValueError(f"probe has no interface {ifname!r}")
    kfuncs = probe.get("kfuncs")
    meta = iface.get("xdp_rx_metadata")
    names = iface.get("xdp_features_names")
    ifindex = iface.get("ifindex")
    fields: dict[str, Any] = {
        "driver": driver,
        "kernel_release": str(probe.get("kernel", "")),
        "kfuncs": None if kfuncs is None else frozenset(k for k, v in kfuncs.items() if v),
        "xdp_features": None if meta is None else frozenset(meta),
        "xsk_zc": None if names is None else "xsk-zerocopy" in names,
        "ifindex": ifindex if isinstance(ifindex, int) and ifindex > 0 else None,
    }
    fields.update(extra)
    return Facts(**fields)
