# SPDX-License-Identifier: GPL-2.0-or-later
"""The emulated Intel igc (I225/I226; our QEMU device, Linux igc).

It supplies RX timestamps and the RSS hash.  Because we own the device, the
host reads the RSS key and table the driver programmed over QMP, and every run
stamps frames with a deterministic clock (``CLOCK_START_NS`` + ``CLOCK_STEP_NS``
per frame), so timestamps are checked exactly; timer 1 gets its own sequence
(``CLOCK1_*``), so a driver reading the wrong timer fails the timestamp rows.
The skb's hardware stamp is the one SO_TIMESTAMPING hands a packet socket (igc
keeps a pointer in the skb's hwtstamp field with CONFIG_NET_RX_BUSY_POLL).

Path ``faults``: the model faults chosen packet ids (its ``rx-faults``, matched on
the packet id in the payload, so ids are exact whatever the order of arrival):
no RX timestamp, RSS type none, a checksum error bit (:func:`fault_plan`).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from harness.guest.records import with_skb_stamps
from harness.guest.stamps import StampReceiver
from harness.nics.base import CLI_PATHS, GuestNic, NicKind, RunHooks
from harness.nics.igc_model import IgcModel
from harness.oracle import NIC_SKB_PATHS, DeterministicClock, Facts
from harness.oracle.rx_filters import parse_ethtool_rules
from harness.traffic.packets import MAGIC

if TYPE_CHECKING:
    from harness.traffic.packets import SentPacket
    from harness.verdict.compare import Row

CLOCK_START_NS = 1_900_000_000 * 10**9 + 4242
CLOCK_STEP_NS = 1000
# Timer 1 (free running; the header's first 8 bytes, what a driver reading the wrong
# timer would get): its own start and step, so no stamp of it equals a timer-0 stamp.
CLOCK1_START_NS = 1_000_000 * 10**9 + 777_777
CLOCK1_STEP_NS = 1337

#: the faults of the plan's packets by position (i % 4): one in four untouched
FAULT_CYCLE: tuple[frozenset[str], ...] = (
    frozenset(), frozenset({"ts"}), frozenset({"rss"}), frozenset({"ts", "rss", "csum"}))
FAULT_NAMES = {"ts": "ts: no RX timestamp", "rss": "rss: RSS type none",
               "csum": "csum: checksum error bit"}
#: test-only (--test-fault): the model is told to fault nothing, the oracle still expects
#: the faults (the faults rows must fail)
UNDELIVERED = "faults-undelivered"
#: test-only (--test-fault): the model ignores the receive queue filters (its filters-off),
#: the oracle still expects them (queue rows of steered packets must fail)
FILTERS_OFF = "rx-filters-off"


def fault_plan(ids: Sequence[int]) -> dict[int, frozenset[str]]:
    """{packet id: faults} for a plan's ids (in send order); ids without faults left out."""
    return {pid: FAULT_CYCLE[i % len(FAULT_CYCLE)] for i, pid in enumerate(ids)
            if FAULT_CYCLE[i % len(FAULT_CYCLE)]}


def fault_pattern(pid: int) -> bytes:
    """The payload bytes that identify packet ``pid`` (magic + id, harness.traffic.packets)."""
    return MAGIC + struct.pack("<I", pid)


def stamps_with_faults(clock: DeterministicClock, ids: Sequence[int],
                       faults: Mapping[int, frozenset[str]]) -> dict[int, int]:
    """Device stamps when the ``ts`` faults take no stamp: the clock steps per stamped
    frame only, so each frame after a skipped one is stamped one step earlier."""
    out: dict[int, int] = {}
    k = 0
    for pid in ids:
        if "ts" in faults.get(pid, ()):
            continue
        out[pid] = clock.start_ns + clock.step_ns * k
        k += 1
    return out


class Igc(NicKind):
    name = "igc"
    driver = "igc"
    module = "igc"
    qemu_device = "igc"
    summary = "our emulated I225 (timestamp + hash; exact deterministic clock)"

    root_port = True  # the driver sees a real link (x1 2.5 GT/s)
    paths = CLI_PATHS  # with faults: the model faults chosen packet ids

    def backend_queues(self, queues: int) -> int:
        """One: frames reach the model in the order they were sent (from two tap queues
        QEMU may take them out of order under load), so the deterministic clock stamps
        them in send order; the model spreads them over its RX rings by RSS itself."""
        return 1

    def prepare(self, g: GuestNic) -> None:
        super().prepare(g)
        assert g.nic is not None
        g.model = IgcModel(g.vm.qmp.command, g.nic.qdev_id)
        if g.udp_4tuple:  # as ethtool -N IF rx-flow-hash udp4 sdfn (and udp6), one exec
            g.sh(f"{g.runner.tools} rxfh {g.qifname} udp4=sdfn udp6=sdfn")

    def extra_facts(self, g: GuestNic) -> dict[str, Any]:
        rules = g.sh(f"ethtool -n {g.qifname}")
        return {"rss_key": g.model.rss_key(), "reta": tuple(g.model.reta()),
                "rx_rules": parse_ethtool_rules(rules.stdout) if rules.rc == 0 else None}

    def run_hooks(self, g: GuestNic, plan: Sequence[SentPacket],
                  oracle_paths: Sequence[str]) -> RunHooks:
        skb = bool((NIC_SKB_PATHS | {"faults-skb"}).intersection(oracle_paths))
        ids = [p.id for p in plan]
        faults = fault_plan(ids) if "faults" in oracle_paths else {}
        return IgcRun(g, ids, skb, faults, deliver=g.test_fault != UNDELIVERED,
                      filters_off=g.test_fault == FILTERS_OFF)


class IgcRun(RunHooks):
    """Deterministic clock for the run; skb stamps through SO_TIMESTAMPING."""

    def __init__(self, g: GuestNic, ids: list[int], skb_stamps: bool,
                 faults: Mapping[int, frozenset[str]] | None = None,
                 deliver: bool = True, filters_off: bool = False) -> None:
        self.g = g
        self.filters_off = filters_off
        self.ids = ids
        self.faults = dict(faults or {})
        self.deliver = deliver
        self.hits: dict[bytes, tuple[frozenset[str], int]] = {}
        self.stamps: dict[int, int | None] | None = None
        self.tsrx = StampReceiver(g.runner, g.ifname) if skb_stamps else None

    def launch(self) -> None:
        if self.tsrx is not None:
            self.tsrx.launch()

    def abandon(self) -> None:
        if self.tsrx is not None:
            self.tsrx.stop(set(), wait_s=0)

    def before_send(self) -> None:
        if self.tsrx is not None:
            self.tsrx.wait_ready()
        self.g.model.set_deterministic(CLOCK_START_NS, CLOCK_STEP_NS,
                                       timer1=(CLOCK1_START_NS, CLOCK1_STEP_NS))
        self.g.model.clear_rx_log()
        if self.filters_off:
            self.g.model.set_filters_off(True)
        if self.faults:
            self.g.model.set_rx_faults({fault_pattern(pid): fs for pid, fs in
                                        self.faults.items()} if self.deliver else {})

    def after(self) -> None:
        try:
            if self.tsrx is not None:
                self.stamps = self.tsrx.stop(set(self.ids))
        finally:
            self.g.model.set_realtime()
            if self.filters_off:
                self.g.model.set_filters_off(False)
            if self.faults:
                self.hits = self.g.model.rx_faults()
                self.g.model.set_rx_faults({})

    def records(self, records: list[dict]) -> list[dict]:
        if self.stamps is None:
            return records
        # igc keeps a netdev_data pointer in skb_hwtstamps (CONFIG_NET_RX_BUSY_POLL): the
        # skb paths' stamp is what SO_TIMESTAMPING hands a socket, judged exactly
        return with_skb_stamps(records, self.stamps)

    def facts(self, facts: Facts) -> Facts:
        clock = DeterministicClock(CLOCK_START_NS, CLOCK_STEP_NS, first_id=self.ids[0])
        out = replace(facts, clock=clock)
        if self.faults:
            out = replace(out, nic_faults=self.faults,
                          ts_by_id=stamps_with_faults(clock, self.ids, self.faults))
        return replace(out, rx_busy_poll=False) if self.stamps is not None else out

    def annotate(self, rows: list[Row]) -> None:
        if self.faults:
            hit = sum(1 for _, n in self.hits.values() if n)
            note = (f"model faulted {hit} of {len(self.faults)} chosen packet ids "
                    f"({', '.join(sorted(FAULT_NAMES))})")
            for r in rows:
                if r.path in ("faults", "faults-skb"):
                    r.detail = f"{r.detail}; {note}".lstrip("; ")
        if self.stamps is None:
            return
        for r in rows:
            if r.path in (NIC_SKB_PATHS | {"faults-skb"}) and r.field == "timestamp":
                r.detail += "; skb stamps read through SO_TIMESTAMPING (packet socket)"


KIND = Igc()
