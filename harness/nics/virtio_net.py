# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio-net with RSS and hash reports (QEMU's virtio-net-pci, Linux virtio_net)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.nics.base import GuestNic, NicKind, rss_from_ethtool

HASH_REPORT_BIT = 57  # VIRTIO_NET_F_HASH_REPORT

if TYPE_CHECKING:
    from harness.vm.machine import TestNic


class VirtioNet(NicKind):
    name = "virtio-net"
    driver = "virtio_net"
    module = "virtio_net"
    qemu_device = "virtio-net-pci"
    summary = "virtio-net with RSS + hash reports (hash only; tap backend for reports)"

    def device_options(self, nic: TestNic) -> str:
        # rss/hash: hash reports (with a vnet-header backend); iommu_platform +
        # modern-only: AF_XDP zero-copy; ctrl_vlan=off: no VLAN filter dropping
        # tagged test frames for VIDs the guest never registered; speed/duplex: a
        # link speed the guest reports (VIRTIO_NET_F_SPEED_DUPLEX) instead of -1.
        return (f",mq=on,vectors={2 * nic.queues + 2},rss=on,hash=on,"
                "iommu_platform=on,disable-legacy=on,ctrl_vlan=off,speed=10000,duplex=full")

    def prepare(self, g: GuestNic) -> None:
        super().prepare(g)
        # the hash kfunc returns -ENODATA unless NETIF_F_RXHASH is on
        g.runner.enable_rxhash(g.ifname)

    def extra_facts(self, g: GuestNic) -> dict[str, Any]:
        bits = g.sh(f"cat /sys/class/net/{g.qifname}/device/features").stdout.strip()
        hash_report = len(bits) > HASH_REPORT_BIT and bits[HASH_REPORT_BIT] == "1"
        return {**rss_from_ethtool(g), "hash_report": hash_report}


KIND = VirtioNet()
