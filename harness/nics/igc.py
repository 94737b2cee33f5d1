# SPDX-License-Identifier: GPL-2.0-or-later
"""The emulated Intel igc (I225/I226; our QEMU device, Linux igc).

It supplies RX timestamps and the RSS hash.  Because we own the device, the
host reads the RSS key and table the driver programmed over QMP, and every run
stamps frames with a deterministic clock (``CLOCK_START_NS`` + ``CLOCK_STEP_NS``
per frame), so timestamps are checked exactly; timer 1 gets its own sequence
(``CLOCK1_*``), so a driver reading the wrong timer fails the timestamp rows.
The skb's hardware stamp is the one SO_TIMESTAMPING hands a packet socket (igc
keeps a pointer in the skb's hwtstamp field with CONFIG_NET_RX_BUSY_POLL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from harness.guest.records import with_skb_stamps
from harness.guest.stamps import StampReceiver
from harness.nics.base import GuestNic, NicKind, RunHooks
from harness.nics.igc_model import IgcModel
from harness.oracle import NIC_SKB_PATHS, DeterministicClock, Facts

if TYPE_CHECKING:
    from harness.traffic.packets import SentPacket
    from harness.verdict.compare import Row

CLOCK_START_NS = 1_900_000_000 * 10**9 + 4242
CLOCK_STEP_NS = 1000
# Timer 1 (free running; the header's first 8 bytes, what a driver reading the wrong
# timer would get): its own start and step, so no stamp of it equals a timer-0 stamp.
CLOCK1_START_NS = 1_000_000 * 10**9 + 777_777
CLOCK1_STEP_NS = 1337


class Igc(NicKind):
    name = "igc"
    driver = "igc"
    module = "igc"
    qemu_device = "igc"
    summary = "our emulated I225 (timestamp + hash; exact deterministic clock)"

    root_port = True  # the driver sees a real link (x1 2.5 GT/s)

    def backend_queues(self, queues: int) -> int:
        """One: frames reach the model in the order they were sent (from two tap queues
        QEMU may take them out of order under load), so the deterministic clock stamps
        them in send order; the model spreads them over its RX rings by RSS itself."""
        return 1

    def prepare(self, g: GuestNic) -> None:
        super().prepare(g)
        assert g.nic is not None
        g.model = IgcModel(g.vm.qmp.command, g.nic.qdev_id)
        if g.udp_4tuple:
            for ft in ("udp4", "udp6"):
                g.sh(f"ethtool -N {g.qifname} rx-flow-hash {ft} sdfn")

    def extra_facts(self, g: GuestNic) -> dict[str, Any]:
        return {"rss_key": g.model.rss_key(), "reta": tuple(g.model.reta())}

    def run_hooks(self, g: GuestNic, plan: Sequence[SentPacket],
                  oracle_paths: Sequence[str]) -> RunHooks:
        skb = bool(NIC_SKB_PATHS.intersection(oracle_paths))
        return IgcRun(g, [p.id for p in plan], skb)


class IgcRun(RunHooks):
    """Deterministic clock for the run; skb stamps through SO_TIMESTAMPING."""

    def __init__(self, g: GuestNic, ids: list[int], skb_stamps: bool) -> None:
        self.g = g
        self.ids = ids
        self.stamps: dict[int, int | None] | None = None
        self.tsrx = StampReceiver(g.vm, g.runner.remote_dir, g.ifname) if skb_stamps else None

    def before_send(self) -> None:
        if self.tsrx is not None:
            self.tsrx.start()
        self.g.model.set_deterministic(CLOCK_START_NS, CLOCK_STEP_NS,
                                       timer1=(CLOCK1_START_NS, CLOCK1_STEP_NS))
        self.g.model.clear_rx_log()

    def after(self) -> None:
        try:
            if self.tsrx is not None:
                self.stamps = self.tsrx.stop(set(self.ids))
        finally:
            self.g.model.set_realtime()

    def records(self, records: list[dict]) -> list[dict]:
        if self.stamps is None:
            return records
        # igc keeps a netdev_data pointer in skb_hwtstamps (CONFIG_NET_RX_BUSY_POLL): the
        # skb paths' stamp is what SO_TIMESTAMPING hands a socket, judged exactly
        return with_skb_stamps(records, self.stamps)

    def facts(self, facts: Facts) -> Facts:
        clock = DeterministicClock(CLOCK_START_NS, CLOCK_STEP_NS, first_id=self.ids[0])
        out = replace(facts, clock=clock)
        return replace(out, rx_busy_poll=False) if self.stamps is not None else out

    def annotate(self, rows: list[Row]) -> None:
        if self.stamps is None:
            return
        for r in rows:
            if r.path in NIC_SKB_PATHS and r.field == "timestamp":
                r.detail += "; skb stamps read through SO_TIMESTAMPING (packet socket)"


KIND = Igc()
