# SPDX-License-Identifier: GPL-2.0-or-later
"""NICs under test: one :class:`~harness.nics.base.NicKind` per kind, behind a registry.

Adding a kind is one module here with a ``KIND`` object, listed in :data:`KINDS`
(plus its driver's rules in harness.oracle).
"""

from __future__ import annotations

from harness.nics import igb, igc, veth, virtio_net
from harness.nics.base import CLI_PATHS, GuestNic, NicKind, RunHooks

#: every kind, by CLI name, in the order a suite runs them
KINDS: dict[str, NicKind] = {k.name: k for k in (igc.KIND, virtio_net.KIND, igb.KIND, veth.KIND)}
#: kinds a default run tests (igc where our QEMU build exists)
DEFAULT_KINDS = ("igc", "virtio-net", "veth")


def get(name: str) -> NicKind:
    """The kind called ``name``; ValueError naming the known ones otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown NIC {name!r} (choose from {', '.join(KINDS)})") from None


def qemu_kinds() -> tuple[str, ...]:
    """Kinds that are a QEMU device (what ``boot --nic`` can add)."""
    return tuple(n for n, k in KINDS.items() if k.qemu_device)


__all__ = ["CLI_PATHS", "DEFAULT_KINDS", "KINDS", "GuestNic", "NicKind", "RunHooks", "get",
           "qemu_kinds"]
