# SPDX-License-Identifier: GPL-2.0-or-later
"""The control NIC: QEMU's built-in igb (82576), whose Linux driver has no XDP
metadata callbacks.  Hash, timestamp and VLAN at the XDP hook are
expected-unsupported; its skb hash is checked where the driver sets one; custom
metadata must survive every path."""

from __future__ import annotations

from typing import Any

from harness.nics.base import GuestNic, NicKind, rss_from_ethtool
from harness.vm.qmp import pci_bar, read_dwords

#: 82576 RSS random key registers (RSSRK0..9), in BAR 0
RSSRK = 0x5C80


class Igb(NicKind):
    name = "igb"
    driver = "igb"
    module = "igb"
    qemu_device = "igb"
    summary = "QEMU's igb (82576): control NIC, no XDP metadata callbacks"
    root_port = True  # like igc: the driver sees a PCIe link

    def backend_queues(self, queues: int) -> int:
        """One, as igc: the device spreads frames over its rings by RSS itself."""
        return 1

    def extra_facts(self, g: GuestNic) -> dict[str, Any]:
        """The indirection table from ``ethtool -x``; the key, which igb's ethtool does
        not show, read from the device's RSSRK registers over QMP."""
        assert g.nic is not None
        words = read_dwords(g.vm.qmp.command, pci_bar(g.vm.qmp.command, g.nic.qdev_id) + RSSRK,
                            10)
        key = b"".join(w.to_bytes(4, "little") for w in words)
        return {**rss_from_ethtool(g), "rss_key": key}


KIND = Igb()
