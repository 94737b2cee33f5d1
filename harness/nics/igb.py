# SPDX-License-Identifier: GPL-2.0-or-later
"""The control NIC: QEMU's built-in igb (82576), whose Linux driver has no XDP
metadata callbacks.  Hash, timestamp and VLAN at the XDP hook are
expected-unsupported; its skb hash is checked where the driver sets one; custom
metadata must survive every path."""

from __future__ import annotations

from harness.nics.base import NicKind


class Igb(NicKind):
    name = "igb"
    driver = "igb"
    module = "igb"
    qemu_device = "igb"
    summary = "QEMU's igb (82576): control NIC, no XDP metadata callbacks"
    root_port = True  # like igc: the driver sees a PCIe link


KIND = Igb()
