# SPDX-License-Identifier: GPL-2.0-or-later
"""The control NIC: QEMU's built-in igb (82576), whose Linux driver has no XDP
metadata callbacks.  Hash, timestamp and VLAN at the XDP hook are
expected-unsupported; its skb hash is checked where the driver sets one; custom
metadata must survive every path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.nics.base import NicKind

if TYPE_CHECKING:
    from harness.vm.machine import TestNic


class Igb(NicKind):
    name = "igb"
    driver = "igb"
    module = "igb"
    qemu_device = "igb"
    summary = "QEMU's igb (82576): control NIC, no XDP metadata callbacks"

    def device_args(self, nic: TestNic, netdev: str) -> list[str]:
        # behind a PCIe root port, like igc: the driver sees a PCIe link
        port = f"rp{nic.qdev_id}"
        return ["-device", f"pcie-root-port,id={port},chassis={10 + nic.index}",
                "-device", f"igb,netdev={netdev},id={nic.qdev_id},mac={nic.mac},bus={port}"]


KIND = Igb()
