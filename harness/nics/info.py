# SPDX-License-Identifier: GPL-2.0-or-later
"""What the guest says about its test NICs (driver, speed, features, XDP metadata)."""

from __future__ import annotations

import json
from typing import Any

from harness.errors import HarnessError
from harness.guest.scripts import script
from harness.vm.machine import VM


def describe(vm: VM) -> list[dict[str, Any]]:
    """One dict per test NIC: name, driver, speed_mbps, features, xdp_* lists, kind, mac."""
    names = [n.guest_ifname for n in vm.test_nics if n.guest_ifname]
    if not names:
        return []
    for name in names:
        vm.ssh.run(f"ip link set {name} up", timeout=30)
    out = vm.ssh.run("python3 - " + " ".join(names), timeout=60, stdin=script("nicinfo.py"))
    if out.rc != 0:
        raise HarnessError(f"nicinfo failed in the guest: {out.stderr.strip()[-500:]}")
    info = json.loads(out.stdout)
    result = []
    for nic in vm.test_nics:
        entry = dict(info.get(nic.guest_ifname, {"name": nic.guest_ifname}))
        entry.update(kind=nic.kind, mac=nic.mac, qdev_id=nic.qdev_id)
        result.append(entry)
    return result
