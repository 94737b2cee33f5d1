# SPDX-License-Identifier: GPL-2.0-or-later
"""Traffic with known ground truth (``xdp_traffic``) and the oracle's expectation for it
(``xdp_expect``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from harness import oracle
from harness.oracle import Expectation, Facts
from harness.plugin.program import XdpProgram
from harness.plugin.session import XdpNic
from harness.suite import runs
from harness.traffic.packets import DEFAULT_KINDS, SentPacket
from harness.verdict.compare import describe_observed, judge


class Sent(list):
    """The packets sent (harness.traffic.packets.SentPacket: ``.id``, ``.frame``,
    ``.l3``, ``.l4``, ``.vlan`` ...), in order, with the facts of their run."""

    def __init__(self, plan: Sequence[SentPacket], facts: Facts) -> None:
        super().__init__(plan)
        self.facts = facts


def send(nic: XdpNic, program: XdpProgram | None, n: int = 16,
         kinds: Sequence[str] = DEFAULT_KINDS, paths: Sequence[str] = ("xdp",),
         gap_s: float = 0.01, timeout: float = 60.0) -> Sent:
    """A fresh plan of ``n`` packets (ids no other plan uses) sent to ``nic``, with the
    kind's run hooks around it (igc: the deterministic clock), waiting until ``program``
    saw them all at one of its points."""
    scn = nic.scenario
    scn.opts = replace(scn.opts, packets=n, kinds=tuple(kinds))
    plan = scn._plan(runs.RUNS["pass"])  # a plain plan: the options' packets and kinds
    hooks = nic.kind.run_hooks(scn.g, plan, list(paths))
    before = program.seen() if program is not None else None
    hooks.before_send()
    try:
        nic.kind.send(scn.g, plan, gap_s)
        if program is not None and before is not None:
            program.wait_seen(before, len(plan), timeout)
    finally:
        hooks.after()
    return Sent(plan, hooks.facts(scn._facts_for(program.ready if program else {})))


class Expect:
    """``xdp_expect(pkt, path, field)``: the oracle's Expectation (``.kind``, ``.value``,
    ``.lo``/``.hi``, ``.reason``, ``.rule``, ``.describe()``); ``.check(...)`` asserts."""

    def __init__(self) -> None:
        self._facts: dict[int, Facts] = {}

    def remember(self, sent: Sent) -> Sent:
        for p in sent:
            self._facts[p.id] = sent.facts
        return sent

    def __call__(self, pkt: SentPacket, path: str, field: str) -> Expectation:
        if pkt.id not in self._facts:
            raise KeyError(f"packet {pkt.id} was not sent by xdp_traffic")
        return oracle.expect(self._facts[pkt.id], pkt, path, field)

    def check(self, pkt: SentPacket, path: str, field: str, observed: Any,
              rc: int | None = 0) -> Expectation:
        """AssertionError naming expected vs observed (and the rule and its reason)
        unless ``observed`` (with kfunc return code ``rc``) meets the expectation."""
        exp = self(pkt, path, field)
        if not judge(exp, rc, observed):
            raise AssertionError(
                f"packet {pkt.id} ({pkt.kind}) {path}/{field}: expected {exp.describe(field)}"
                f", observed {describe_observed(field, rc, observed)} "
                f"[rule {exp.rule}: {exp.reason}]")
        return exp
