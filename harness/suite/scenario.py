# SPDX-License-Identifier: GPL-2.0-or-later
"""Run one NIC x path set in a booted VM and judge it field by field.

    from harness.suite.scenario import NicScenario, Options
    with running_vm(spec) as vm:
        runner = GuestRunner(vm); runner.install()
        scn = NicScenario(vm, runner, "igc", vm.test_nics[0], Options(packets=48))
        rows = scn.run(["xdp", "pass", "veth", "cpumap", "xsk", "xsk-zc"]).rows

The paths and the runner invocations they need are in harness.suite.runs.  The
NIC's kind (harness.nics) does its own set-up and adds the facts only it knows;
this module reads the facts every NIC has (harness.oracle.Facts): kfuncs from
the guest's BTF, xdp-rx-metadata-features from netlink (the runner's
``probe``), ``ethtool`` -k features, the RSS hash fields (``xh-tools rxfh``), the link speed,
and per run the runner's hwtstamp result and cpumap probe.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harness import nics, oracle
from harness.errors import HarnessError
from harness.guest import stacked
from harness.guest.runner import GuestRunner, Observation, RunnerError
from harness.nics.base import DEFAULT_PATHS, GuestNic
from harness.oracle import Facts
from harness.progress import Emit, RunFinished, RunStarted, quiet
from harness.suite import runs, tpacket
from harness.suite.faults import (
    GUEST_FAULTS,
    MODEL_FAULTS,
    fault_is_tc_chain,
    fault_is_upper,
    fault_object,
)
from harness.traffic.packets import DEFAULT_KINDS, SentPacket, make_plan, with_bad_checksums
from harness.verdict.compare import Row, compare
from harness.vm.machine import raise_if_crashed

#: ends each command's output in a batched read (followed by its exit status)
_SEP = "__XH_RC__"


#: a plan of up to this many frames goes out in one burst: every ring and queue on its
#: way (NIC RX rings, virtqueues, veth's XDP ring: 256; cpumap, AF_XDP: 512) holds it,
#: and QEMU holds back a tap's frames while a ring is full; longer plans are paced
PACE_FROM = 128


@dataclass
class Options:
    """Knobs of one scenario run."""

    packets: int = 48
    kinds: Sequence[str] = DEFAULT_KINDS
    gap_s: float = 0.002  # between frames of a plan longer than PACE_FROM
    wait_s: float = 120.0
    seed: int = 1
    fault: str | None = None  # test only: "hash+1" (harness.suite.faults)
    meta_format: str = "struct"  # "tlv": the XDP program writes TLV entries (runner --meta-tlv)
    program: Any = None  # a user's program in place of ours (harness.guest.program)
    udp_4tuple: bool = True  # igc: ethtool -N rx-flow-hash udp4/udp6 sdfn
    rx_rules: Sequence[str] = ()  # igc: ethtool -N <if> <rule> after set-up (run --rx-rule)


@dataclass
class RunStats:
    """What one runner invocation did (for reports and benchmarks)."""

    nic: str
    run: str
    packets: int
    seconds: float
    records: int = 0
    error: str = ""


@dataclass
class Scenario:
    """Result of one NIC: rows plus facts and per-run stats."""

    nic: str
    rows: list[Row] = field(default_factory=list)
    stats: list[RunStats] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


class _Ids:
    """Packet ids no other invocation in this process uses."""

    next_id = 1

    @classmethod
    def take(cls, n: int) -> int:
        first = cls.next_id
        cls.next_id += n
        return first


class NicScenario:
    """One NIC under test in a booted VM."""

    def __init__(self, vm: Any, runner: GuestRunner, kind: str, nic: Any | None,
                 opts: Options | None = None, emit: Emit | None = None) -> None:
        self.kind = nics.get(kind)
        self.vm = vm
        self.opts = opts or Options()
        self.emit = emit or quiet
        self.g = GuestNic(vm, runner, nic, udp_4tuple=self.opts.udp_4tuple)
        self.base: Facts | None = None
        self.extra_args: list[str] = ["--meta-tlv"] if self.opts.meta_format == "tlv" else []
        #: the next invocation's runner, loaded while this one's traffic flows (--hold)
        self._held: tuple[str, tuple[str, ...], Observation] | None = None
        #: the NIC's last invocation (run, paths): the one that detaches its XDP link
        self._last: tuple[str, tuple[str, ...]] | None = None
        self._kept = False  # an invocation was started with --xdp-link-keep
        self._mac: str | None = None

    @property
    def ifname(self) -> str:
        return self.g.ifname

    # -- set-up ------------------------------------------------------------
    def prepare(self, first: tuple[str, Sequence[str]] | None = None) -> Facts:
        """Bring the NIC up, let its kind configure it, read the facts that do not change
        per run.  ``first``: the first invocation (run, paths), whose runner then loads,
        held, while the rest of this goes on (not with a fault or a user's program: their
        objects are pushed here)."""
        g = self.g
        self.kind.attach(g)
        self.vm.ssh.check(f"ip link set {g.qifname} up", timeout=60)
        if first is not None and not self.opts.fault and self.opts.program is None:
            held = self._hold(first)
            if held is not None:
                held.launch()
        self.kind.prepare(g)
        for rule in self.opts.rx_rules:
            r = g.sh(f"ethtool -N {g.qifname} {shlex.join(shlex.split(rule))}")
            if r.rc != 0:
                raise HarnessError(f"ethtool -N {g.qifname} {rule}: {r.stderr.strip() or r.rc}")
        # the carrier wait and what ethtool and sysfs say: one round trip
        reads = self._read_link()
        probe = g.runner.probe(g.ifname)
        feats = oracle.parse_ethtool_features(reads[0][0])
        hash_fields = {ft: f for ft, f in oracle.parse_rxfh(reads[1][0]).items()
                       if ft in oracle.FLOW_TYPES}
        speed_txt = reads[2][0].strip()
        speed = int(speed_txt) if speed_txt.lstrip("-").isdigit() and int(speed_txt) > 0 \
            else None
        extra: dict[str, Any] = {
            "rxhash": feats.get("receive-hashing", True),
            "vlan_strip": feats.get("rx-vlan-offload"),
            "link_speed_mbps": speed,
            "hash_fields": hash_fields or None,
            "backend": getattr(g.nic, "backend", "guest"),
            "meta_format": self.opts.meta_format,
            **self.kind.extra_facts(g),
        }
        self.base = oracle.facts_from_probe(probe, g.ifname, self.kind.driver, **extra)
        if self.opts.fault in GUEST_FAULTS:
            self._panic_guest()
        elif self.opts.fault in MODEL_FAULTS:
            g.test_fault = self.opts.fault
        elif self.opts.fault:
            remote = f"{g.runner.remote_dir}/fault-{self.opts.fault}.bpf.o"
            self.vm.ssh.put(fault_object(self.opts.fault), remote, mode=0o644)
            if fault_is_tc_chain(self.opts.fault):
                g.runner.tc_chain_obj = remote
            elif fault_is_upper(self.opts.fault):
                g.runner.upper_obj = remote
            else:
                self.extra_args += ["--obj", remote]
        if self.opts.program is not None:
            self.extra_args += self.opts.program.push(self.vm, g.runner.remote_dir)
        return self.base

    def _panic_guest(self) -> None:
        """Test fault ``guest-panic``: a real kernel panic (sysrq c), seen as a crash."""
        try:
            self.vm.ssh.run("echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger",
                            timeout=20)
        except Exception as e:  # noqa: BLE001 - the session dies with the guest
            raise_if_crashed(self.vm, "after the guest-panic test fault", wait_s=10, cause=e)
            raise
        raise_if_crashed(self.vm, "after the guest-panic test fault", wait_s=10)
        raise RunnerError("test fault guest-panic: the guest did not crash (sysrq c)")

    def _read_link(self) -> list[tuple[str, int]]:
        """Wait (up to 60 s, the guest waits) for the carrier, then (stdout, rc) of
        ``ethtool -k``, the RSS hash fields per flow type (``xh-tools rxfh``, as
        ``ethtool -n IF rx-flow-hash FLOW`` reads them) and the sysfs speed (read by
        the shell: no exec)."""
        q = self.g.qifname
        cmds = [f"ethtool -k {q}", f"{self.g.runner.tools} rxfh {q} {' '.join(oracle.FLOW_TYPES)}",
                f"{{ read -r s < /sys/class/net/{q}/speed && echo \"$s\"; }} 2>/dev/null"]
        out = self.g.sh(
            f"{self.g.runner.tools} wait --carrier {q} --timeout 60; "
            + "".join(f"{c}; echo {_SEP} $?; " for c in cmds), timeout=120).stdout
        cut = re.split(rf"{_SEP} (\d+)\n", out)
        return [(cut[2 * k], int(cut[2 * k + 1])) if 2 * k + 1 < len(cut) else ("", 1)
                for k in range(len(cmds))]

    def facts_summary(self) -> dict[str, Any]:
        """The facts as JSON-friendly values (for the report)."""
        f = self.base
        if f is None:
            return {}
        return {
            "ifname": self.ifname,
            "driver": f.driver,
            "kernel": f.kernel_release,
            "xdp_rx_metadata_features": sorted(f.xdp_features or []),
            "kfuncs": sorted(f.kfuncs or []),
            "rss_key": f.rss_key.hex(),
            "hash_fields": {k: sorted(v) for k, v in (f.hash_fields or {}).items()},
            "rxhash": f.rxhash,
            "vlan_strip": f.vlan_strip,
            "link_speed_mbps": f.link_speed_mbps,
            "xsk_zc": f.xsk_zc,
            "hash_report": f.hash_report,
            "backend": f.backend,
            **({"rx_rules": [f"{r.location}: {r.filter} -> queue {r.queue}"
                             for r in f.rx_rules]} if f.rx_rules else {}),
        }

    # -- one runner invocation ------------------------------------------------
    def _plan(self, spec: runs.Run) -> list[SentPacket]:
        n = spec.packets or self.opts.packets
        first = _Ids.take(n)
        if self._mac is None:  # a guest-made NIC (veth): read once
            self._mac = self.g.nic.mac if self.g.nic is not None else \
                self.g.sh(f"cat /sys/class/net/{self.g.qifname}/address").stdout.strip()
        mac = self._mac
        plan = make_plan(n, dst_mac=mac, kinds=spec.kinds or self.opts.kinds,
                         seed=self.opts.seed + first, first_id=first, vids=nics.base.PLAN_VIDS)
        return self.kind.adapt_plan(with_bad_checksums(plan))

    def _facts_for(self, ready: dict) -> Facts:
        assert self.base is not None
        hw = ready.get("hwtstamp_rc") == 0 and bool(ready.get("hwtstamp_rx_filter", 1))
        probe = ready.get("cpumap_dev_bound_rc")  # 1: not probed (one CPU, not dev-bound)
        return replace(self.base, hwtstamp_rx=hw,
                       cpumap_dev_bound_rc=probe if isinstance(probe, int) and probe != 1
                       else None)

    @property
    def xdp_pin(self) -> str:
        """The bpffs pin the NIC's XDP link is handed over through between invocations
        (runner ``--xdp-link``)."""
        return f"/sys/fs/bpf/xh-link-{self.ifname}"

    def _observe_args(self, spec: runs.Run, opaths: Sequence[str], keep: bool) -> dict[str, Any]:
        """observe() keywords of one invocation: its run's, plus the XDP link handover
        (``keep``: an invocation follows on this NIC, leave the link pinned for it)."""
        kw = spec.observe_args(list(opaths))
        kw["xdp_link"] = self.xdp_pin
        kw["xdp_link_keep"] = keep
        self._kept = self._kept or keep
        return kw

    def drop_link(self) -> None:
        """Detach an XDP link an invocation left pinned (one whose successor did not
        start), if any invocation was asked to keep one (a shell test in the guest)."""
        if not self._kept:
            return
        self._kept = False
        pin = shlex.quote(self.xdp_pin)
        self.g.sh(f"if [ -e {pin} ]; then rm -f {pin}; fi")

    def _hold(self, nxt: tuple[str, Sequence[str]] | None) -> Observation | None:
        """A held runner for the invocation after this one, to launch with this one's
        start (a stacked run's upper devices are named when it is released)."""
        if nxt is None:
            return None
        run, paths = nxt
        spec = runs.RUNS[run]
        # one after it? run() knows the NIC's last invocation
        kw = self._observe_args(spec, runs.oracle_paths(run, paths),
                                keep=(run, tuple(paths)) != self._last)
        if spec.stacked:
            kw["upper_later"] = True
        obs = self.g.runner.observe(self.ifname, spec.mode, extra_args=self.extra_args,
                                    hold=True, **kw)
        self._held = (run, tuple(paths), obs)
        return obs

    def _start(self, run: str, paths: Sequence[str], spec: runs.Run, opaths: list[str],
               nxt: tuple[str, Sequence[str]] | None) -> Observation:
        """This invocation's runner ready: the held one if it was launched for it, else a
        new one; the next invocation's held runner launches in the same round trip."""
        held, self._held = self._held, None
        kw = self._observe_args(spec, opaths, keep=nxt is not None)
        if held is not None and (held[0], held[1]) == (run, tuple(paths)):
            return held[2].release(also=self._hold(nxt), upper=kw.get("upper", ()))
        if held is not None:
            held[2].stop()
        also = self._hold(nxt)
        if also is not None:
            kw["also"] = also
        return self.g.runner.observe(self.ifname, spec.mode, extra_args=self.extra_args, **kw)

    def drop_held(self) -> None:
        """Stop a held runner nobody will release (an error ended the NIC's runs)."""
        held, self._held = self._held, None
        if held is not None:
            held[2].stop()

    def run_one(self, run: str, paths: Sequence[str],
                nxt: tuple[str, Sequence[str]] | None = None) -> tuple[list[Row], RunStats]:
        """One runner invocation: observe, send a fresh plan, compare ``paths``.

        ``paths`` are CLI paths; of their oracle paths, the ones this run yields are judged.
        ``nxt``: the invocation after this one (run, paths): its runner loads, held,
        while this one's traffic flows.
        """
        spec = runs.RUNS[run]
        name = self.kind.name
        opaths = runs.oracle_paths(run, paths)
        stack = stacked.Stack(self.g, tuple(opaths)) if spec.stacked else None
        if stack is not None:  # the plan for the upper devices asked for, wrapped for them
            spec = replace(spec, kinds=stacked.plan_kinds(opaths),
                           packets=stacked.PACKETS_PER_PATH * len(opaths))
        plan = self._plan(spec)
        if stack is not None:
            plan = stack.adapt(plan)
        ids = {p.id for p in plan}
        t0 = time.monotonic()
        stats = RunStats(name, run, len(plan), 0.0)
        self.emit(RunStarted(name, run, tuple(paths), len(plan)))
        refused: list[Row] = []  # stacked paths whose upper device cannot be made: skip
        if stack is not None:
            upper = stack.up()
            for p, why in stack.refused.items():
                refused += runs.verdict_rows(name, [p], "skip", why)
            opaths = [p for p in opaths if p not in stack.refused]
            plan = stack.keep(plan)
            ids = {p.id for p in plan}
            if not upper:
                stack.down()
                self.emit(RunFinished(name, run, time.monotonic() - t0, 0, "no upper device"))
                return refused, stats
            spec = replace(spec, observe={**spec.observe, "upper": upper})
        # the ring receiver starts in the guest while the runner loads
        # (and so do the kind's receivers: hooks.launch)
        ring = tpacket.launch(self.g) if tpacket.PATH in opaths else None
        hooks = self.kind.run_hooks(self.g, plan, opaths)
        hooks.launch()
        try:
            obs = self._start(run, paths, spec, opaths, nxt)
        except RunnerError as e:
            hooks.abandon()
            if ring is not None:
                ring.stop(set(), wait_s=0)
            if stack is not None:
                stack.down()
            stats.seconds = time.monotonic() - t0
            stats.error = str(e).splitlines()[0]
            self.emit(RunFinished(name, run, stats.seconds, 0, stats.error))
            return self._refused(run, opaths, e), stats
        if ring is not None:
            hooks = tpacket.TpacketRun(hooks, ring, sorted(ids))
        interrupted = False
        try:
            hooks.before_send()
            self.kind.send(self.g, plan, self.opts.gap_s if len(plan) > PACE_FROM else 0.0)
            # and the runner stops in the same round trip (before hooks.after)
            obs.wait_for(len(plan), point=spec.last_point, ids=ids, timeout=self.opts.wait_s,
                         stop=True)
        except KeyboardInterrupt:
            # Ctrl-C / SIGTERM: the VM is torn down next; no waits for traffic that
            # will not come, no runner to stop politely
            interrupted = True
            raise
        finally:
            if not interrupted:
                try:
                    hooks.after()
                finally:
                    obs.stop()
                    if stack is not None:
                        stack.down()
        stats.seconds = time.monotonic() - t0
        stats.records = len(obs.records)
        raise_if_crashed(self.vm, "during the suite")
        facts = hooks.facts(self._facts_for(obs.ready or {}))
        if stack is not None:
            facts = stack.facts(facts)
        records = hooks.records(obs.records)
        if spec.convert is not None:
            records = spec.convert(records)
        if stack is not None:
            records = stack.canonical(records)
        rows = compare(name, facts, plan, records, paths=opaths, points=spec.points)
        hooks.annotate(rows)
        if stack is not None:
            stack.annotate(rows, records)
        if spec.annotate is not None:
            spec.annotate(rows, records)
        if obs.errors:
            msg = "; ".join(f"{e.get('stage')}: {e.get('msg')}" for e in obs.errors)
            for r in rows:
                r.detail = (r.detail + f"; runner errors: {msg}").lstrip("; ")
        self.emit(RunFinished(name, run, stats.seconds, stats.records))
        return rows + refused, stats

    def _refused(self, run: str, opaths: list[str], e: RunnerError) -> list[Row]:
        """Rows for an invocation the runner could not start."""
        name = self.kind.name
        if run in ("xsk-zc", "sizes-xsk-zc") and any(ev.get("stage") == "xsk_socket"
                                                     for ev in e.events):
            why = next((f"{ev.get('msg')}: {ev.get('error')}" for ev in e.events
                        if ev.get("stage") == "xsk_socket"), "")
            return runs.verdict_rows(name, opaths, "skip",
                                     f"{name}: AF_XDP zero-copy bind refused ({why})")
        return runs.verdict_rows(name, opaths, "fail", f"runner failed: {e}")

    def run(self, paths: Sequence[str] = DEFAULT_PATHS) -> Scenario:
        """Every asked path, grouped into as few runner invocations as possible."""
        serves = runs.invocations(paths)
        out = Scenario(self.kind.name)
        steps: list[list[Row] | tuple[str, list[str]]] = []  # skip rows, or an invocation
        for run, mine in serves.items():
            if self.opts.meta_format != "struct" and runs.RUNS[run].struct_only:
                steps.append(runs.verdict_rows(
                    self.kind.name, runs.oracle_paths(run, mine), "skip",
                    f"{run} runs with the struct metadata format only"))
                continue
            offered = [p for p in mine if p in self.kind.paths]
            for p in mine:
                if p not in offered and p not in nics.base.MODEL_PATHS:
                    steps.append(runs.verdict_rows(
                        self.kind.name, runs.oracle_paths(run, [p]), "skip",
                        self.kind.why_not(p)))
            if offered:
                steps.append((run, offered))
        first = next((s for s in steps if isinstance(s, tuple)), None)
        last = next((s for s in reversed(steps) if isinstance(s, tuple)), None)
        self._last = (last[0], tuple(last[1])) if last else None  # until the kernel says
        try:
            if self.base is None:
                self.prepare(first=first)
            out.facts = self.facts_summary()
            for k, step in enumerate(steps):  # what this kernel cannot run: skip rows
                why = runs.not_runnable(step[0], self.base) if isinstance(step, tuple) \
                    else None
                if why is not None:
                    steps[k] = runs.verdict_rows(
                        self.kind.name, runs.oracle_paths(step[0], step[1]), "skip", why)
            todo = [s for s in steps if isinstance(s, tuple)]
            self._last = (todo[-1][0], tuple(todo[-1][1])) if todo else None
            for step in steps:
                if isinstance(step, list):
                    out.rows.extend(step)
                    continue
                i = todo.index(step)
                rows, stats = self.run_one(*step, nxt=todo[i + 1] if i + 1 < len(todo)
                                           else None)
                out.rows.extend(rows)
                out.stats.append(stats)
        except KeyboardInterrupt:
            raise  # the VM is torn down next
        except BaseException:
            self.drop_held()
            self.drop_link()
            raise
        self.drop_held()  # one nobody took (a stacked run without upper devices)
        self.drop_link()
        return out
