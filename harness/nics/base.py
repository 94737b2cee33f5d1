# SPDX-License-Identifier: GPL-2.0-or-later
"""What every kind of NIC under test has: its QEMU device, its guest driver, its set-up.

A :class:`NicKind` is one kind of NIC (igc, virtio-net, igb, veth).  It owns
the ``-device`` arguments QEMU needs for it, the guest module and driver name,
its ``prepare()`` in the guest (ethtool settings, VLAN filters, rxhash) and the
facts only it can add (igc: the device model over QMP), the paths it offers and
the hooks around one runner invocation (igc: the deterministic clock).  The
suite (harness.suite) never branches on a kind's name.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.oracle import parse_ethtool_indir, parse_ethtool_rss_key
from harness.traffic.sender import send_plan, send_unix

if TYPE_CHECKING:
    from harness.guest.runner import GuestRunner
    from harness.oracle import Facts
    from harness.traffic.packets import SentPacket
    from harness.verdict.compare import Row
    from harness.vm.machine import TestNic
    from harness.vm.ssh import Result

#: CLI paths, in the order a suite runs them
CLI_PATHS: tuple[str, ...] = ("skb", "tpacket", "xdp", "xdp-late", "pass", "veth", "cpumap",
                               "xsk", "xsk-zc", "faults", "tc-helpers", "meta-sizes",
                               "vlan-dev", "gre", "vxlan", "vlan-dev-sw",
                               "veth-store", "cpumap-store")
#: CLI paths run only when asked for (cost under TCG in harness.commands.run's help)
OPT_IN_PATHS: tuple[str, ...] = ("meta-sizes", "vlan-dev-sw")
#: what a run without --path runs
DEFAULT_PATHS: tuple[str, ...] = tuple(p for p in CLI_PATHS if p not in OPT_IN_PATHS)
#: CLI paths only a device model we own can run (faults asked of the NIC): NIC kinds
#: without them get no rows for them, not skip rows
MODEL_PATHS: frozenset[str] = frozenset({"faults"})
#: CLI paths of stacked devices and tunnels on the NIC (harness.guest.stacked)
STACKED_CLI_PATHS: tuple[str, ...] = ("vlan-dev", "gre", "vxlan", "vlan-dev-sw")
#: the inner VIDs of traffic.packets.make_plan, registered on the NIC (VLAN filters)
PLAN_VIDS = (100, 200)


@dataclass
class GuestNic:
    """One NIC under test in a booted guest: what a kind's set-up and hooks work on."""

    vm: Any
    runner: GuestRunner
    nic: TestNic | None  # the VM's test NIC; None for a NIC made inside the guest (veth)
    ifname: str = ""
    tx_if: str = ""  # in-guest NICs: the interface frames are written into
    model: Any = None  # igc: the device model over QMP (harness.nics.igc_model.IgcModel)
    udp_4tuple: bool = True  # igc: hash UDP ports too (ethtool -N rx-flow-hash sdfn)
    test_fault: str | None = None  # test only: a fault of the NIC model (igc UNDELIVERED)

    def sh(self, cmd: str, timeout: float = 60) -> Result:
        """Run ``cmd`` in the guest (its exit status is the caller's to judge)."""
        return self.vm.ssh.run(cmd, timeout=timeout)

    @property
    def qifname(self) -> str:
        return shlex.quote(self.ifname)


class RunHooks:
    """What a kind does around one runner invocation (default: nothing)."""

    def launch(self) -> None:
        """Before the runner starts: start what takes a while in the guest (it gets
        ready while the runner loads; :meth:`before_send` waits for it)."""

    def abandon(self) -> None:
        """The runner did not start after :meth:`launch`: end what it started."""

    def before_send(self) -> None:
        """Right before the plan is sent (after the runner is ready)."""

    def after(self) -> None:
        """After the packets arrived or the wait ended; always called."""

    def records(self, records: list[dict]) -> list[dict]:
        """The runner's records, completed with what only this kind observes."""
        return records

    def facts(self, facts: Facts) -> Facts:
        """The run's facts, completed with what only this kind knows."""
        return facts

    def annotate(self, rows: list[Row]) -> None:
        """Add how this kind observed a row to its detail (after compare())."""


class NicKind:
    """One kind of NIC under test (subclasses set the class attributes)."""

    name: str = ""  # CLI name, e.g. "virtio-net"
    driver: str = ""  # Linux driver, as `ethtool -i` names it
    module: str = ""  # guest module to load
    qemu_device: str | None = None  # QEMU device it needs; None: made inside the guest
    root_port = False  # behind its own PCIe root port (the driver then sees a PCIe link)
    paths: tuple[str, ...] = tuple(p for p in CLI_PATHS if p not in MODEL_PATHS)  # offered
    summary: str = ""  # one line for --help

    # -- QEMU ------------------------------------------------------------------
    def device_args(self, nic: TestNic, netdev: str) -> list[str]:
        """The ``-device`` (and any bus) arguments for one NIC on ``netdev``."""
        if self.qemu_device is None:
            raise NotImplementedError(f"{self.name} has no QEMU device")
        dev = (f"{self.qemu_device},netdev={netdev},id={nic.qdev_id},mac={nic.mac}"
               f"{self.device_options(nic)}")
        if not self.root_port:
            return ["-device", dev]
        port = f"rp{nic.qdev_id}"
        return ["-device", f"pcie-root-port,id={port},chassis={10 + nic.index}",
                "-device", f"{dev},bus={port}"]

    def backend_queues(self, queues: int) -> int:
        """Queues of the tap behind a NIC with ``queues`` queue pairs (virtio-net: one
        per queue pair, its multi-queue needs them)."""
        return queues

    def device_options(self, nic: TestNic) -> str:
        """Extra ``-device`` properties (``,key=value...``)."""
        return ""

    # -- guest set-up -----------------------------------------------------------
    def attach(self, g: GuestNic) -> None:
        """Find or make the guest interface (sets ``g.ifname``)."""
        assert g.nic is not None and g.nic.guest_ifname
        g.ifname = g.nic.guest_ifname

    def prepare(self, g: GuestNic) -> None:
        """Driver settings before the facts are read (link up is done already)."""
        # VLAN filters: the plan's tagged frames must not be dropped (one round trip)
        g.sh("; ".join(f"{{ [ -e /sys/class/net/{g.qifname}.{vid} ] || ip link add link "
                       f"{g.qifname} name {g.qifname}.{vid} type vlan id {vid}; }}"
                       for vid in PLAN_VIDS) + "; true")

    def extra_facts(self, g: GuestNic) -> dict[str, Any]:
        """Facts only this kind knows (RSS key and table, ...), as Facts fields."""
        return rss_from_ethtool(g)

    def why_not(self, path: str) -> str:
        """Why a CLI path outside :attr:`paths` is not run on this kind."""
        return f"{self.name} does not offer path {path}"

    # -- one runner invocation --------------------------------------------------
    def adapt_plan(self, plan: list[SentPacket]) -> list[SentPacket]:
        """The plan as this kind sends it (default: unchanged; veth: some tags out of band)."""
        return plan

    def run_hooks(self, g: GuestNic, plan: Sequence[SentPacket],
                  oracle_paths: Sequence[str]) -> RunHooks:
        return RunHooks()

    def send(self, g: GuestNic, plan: Sequence[SentPacket], gap_s: float) -> None:
        """Send the plan to the NIC from the host, over its backend."""
        assert g.nic is not None
        if g.nic.backend == "socket":
            send_unix(plan, str(g.nic.qemu_sock), gap_s)
        else:
            send_plan(list(plan), g.nic.tap, g.nic.netns, gap_s=gap_s)


def rss_from_ethtool(g: GuestNic) -> dict[str, Any]:
    """RSS key and indirection table as the driver shows them (``ethtool -x``)."""
    out: dict[str, Any] = {}
    text = g.sh(f"ethtool -x {g.qifname}").stdout
    for key, parse in (("rss_key", parse_ethtool_rss_key), ("reta", parse_ethtool_indir)):
        try:
            out[key] = parse(text)
        except ValueError:
            pass
    return out
