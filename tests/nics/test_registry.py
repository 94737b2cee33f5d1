# SPDX-License-Identifier: GPL-2.0-or-later
"""The NIC kind registry: each kind names its device, driver, module and paths."""

from __future__ import annotations

import pytest

from harness import nics
from harness.oracle import DRIVER_XDP_FEATURES
from harness.vm.machine import NicSpec, TestNic


@pytest.mark.parametrize("name", list(nics.KINDS))
def test_every_kind_is_complete(name: str) -> None:
    kind = nics.get(name)
    assert kind.name == name and kind.driver and kind.module and kind.summary
    assert set(kind.paths) <= set(nics.CLI_PATHS)
    assert kind.driver in DRIVER_XDP_FEATURES, "the oracle knows its driver"
    if kind.qemu_device is None:
        assert name not in nics.qemu_kinds()
        return
    nic = TestNic(NicSpec(name, 2), 3, "52:54:00:00:00:09", "tnic3", tap="t")
    args = kind.device_args(nic, "tn3")
    dev = args[args.index("-device", len(args) - 2) + 1]
    assert dev.startswith(f"{kind.qemu_device},netdev=tn3,id=tnic3,mac=52:54:00:00:00:09")


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="igc, virtio-net, igb, veth"):
        nics.get("e1000")


def test_default_kinds_are_registered() -> None:
    assert set(nics.DEFAULT_KINDS) <= set(nics.KINDS)
