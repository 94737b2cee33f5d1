# SPDX-License-Identifier: GPL-2.0-or-later
"""The ``tpacket`` path: the driver's skb hardware stamp as an af_packet mmap ring
(TPACKET_V3, as libpcap and ``tcpdump -j adapter_unsynced`` read it) shows it.

It rides on the ``skb`` invocation (no XDP program): xh-tools' ``tpacket``
receiver (guest-bpf/xh_stamps.c) listens in the guest while the plan is sent,
and each test frame it saw becomes one canonical observation at path ``tpacket``
(rc 0 and the ring's stamp when the frame carries TP_STATUS_TS_RAW_HARDWARE,
-ENODATA otherwise).  The right value is the one SO_TIMESTAMPING hands a socket
for the same skb (the ``skb`` row's stamp); where they differ, a rule says why
(harness.oracle.rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.guest.records import ID_KEY, POINT_KEY
from harness.guest.stamps import StampReceiver
from harness.nics.base import GuestNic, RunHooks
from harness.oracle.uapi import ENODATA

if TYPE_CHECKING:
    from harness.oracle import Facts
    from harness.verdict.compare import Row

PATH = "tpacket"
RECEIVER = "tpacket"  # the runner subcommand (guest-bpf/xh_stamps.c)


def observations(stamps: dict[int, int | None]) -> list[dict[str, Any]]:
    """Canonical ``tpacket`` observations from ``{packet id: ring stamp or None}``."""
    return [{POINT_KEY: PATH, ID_KEY: pid, "rx_ts_rc": 0 if hw is not None else ENODATA,
             "rx_ts": hw or 0} for pid, hw in sorted(stamps.items())]


def launch(g: GuestNic) -> StampReceiver:
    """Start the ring receiver on ``g``'s interface (it listens a moment later:
    :class:`TpacketRun` waits for it right before the send)."""
    rx = StampReceiver(g.runner, g.ifname, RECEIVER)
    rx.launch()
    return rx


class TpacketRun(RunHooks):
    """A NIC kind's hooks, plus the launched mmap-ring receiver around the send."""

    def __init__(self, inner: RunHooks, rx: StampReceiver, ids: list[int]) -> None:
        self.inner = inner
        self.ids = ids
        self.rx = rx
        self.stamps: dict[int, int | None] = {}

    def launch(self) -> None:
        self.inner.launch()

    def abandon(self) -> None:
        self.inner.abandon()

    def before_send(self) -> None:
        self.inner.before_send()
        self.rx.wait_ready()

    def after(self) -> None:
        try:
            self.stamps = self.rx.stop(set(self.ids))
        finally:
            self.inner.after()

    def records(self, records: list[dict]) -> list[dict]:
        return self.inner.records(records) + observations(self.stamps)

    def facts(self, facts: Facts) -> Facts:
        return self.inner.facts(facts)

    def annotate(self, rows: list[Row]) -> None:
        self.inner.annotate(rows)
