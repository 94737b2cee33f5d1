# SPDX-License-Identifier: GPL-2.0-or-later
"""veth as the NIC under test: a pair inside the guest, frames written into its peer
from a packet socket there.  veth implements all three RX metadata kfuncs with
software values.  Opt-in (``--nic veth``): no QEMU device, no host traffic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.nics.base import GuestNic, NicKind

if TYPE_CHECKING:
    from harness.traffic.packets import SentPacket


class Veth(NicKind):
    name = "veth"
    driver = "veth"
    module = "veth"
    qemu_device = None
    summary = "a veth pair inside the guest (software metadata; opt-in)"

    def attach(self, g: GuestNic) -> None:
        g.ifname, g.tx_if = g.runner.veth_nic()

    def prepare(self, g: GuestNic) -> None:
        """No VLAN filters: frames come from a packet socket on the peer."""

    def extra_facts(self, g: GuestNic) -> dict[str, Any]:
        # veth never strips: its frames come with the tags in the data (rx-vlan-offload
        # only means it passes hwaccel tags through); its RSS key is no NIC's
        return {"vlan_strip": False}

    def send(self, g: GuestNic, plan: Sequence[SentPacket], gap_s: float) -> None:
        g.runner.send_in_guest(g.tx_if, [p.frame for p in plan], gap_s=gap_s)


KIND = Veth()
