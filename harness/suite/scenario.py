# SPDX-License-Identifier: GPL-2.0-or-later
"""Run one NIC x path set in a booted VM and judge it field by field.

    from harness.suite.scenario import NicScenario, Options
    with running_vm(spec) as vm:
        runner = GuestRunner(vm); runner.install()
        scn = NicScenario(vm, runner, "igc", vm.test_nics[0], Options(packets=48))
        rows = scn.run(["xdp", "pass", "veth", "cpumap", "xsk", "xsk-zc"])

CLI paths and what they check (oracle paths, see harness.oracle.paths):

=========  ==================  ===================================================
CLI path   runner invocation   rows (oracle paths)
=========  ==================  ===================================================
skb        skb (no XDP)        ``skb`` (the driver's own skb at TC ingress: baseline)
xdp        pass                ``xdp`` (kfuncs in the NIC's device-bound program)
pass       pass                ``pass`` (skb at TC ingress after XDP_PASS)
           pass-bare (pass     ``pass-bare`` (the same skb after an XDP program
           --no-meta)          that wrote no data_meta: igc's skb stamp intact)
veth       veth                ``veth`` (kfuncs on the peer), ``veth-skb``
cpumap     cpumap              ``cpumap`` (cpumap program), ``cpumap-skb``
xsk        xsk copy            ``xsk`` (metadata area in the UMEM)
xsk-zc     xsk zerocopy        ``xsk-zc``
=========  ==================  ===================================================

``xdp`` and ``pass`` share one runner invocation; ``pass`` adds a second one,
``pass-bare``, on the NICs in :data:`BARE_NICS` (all of them: it costs one runner
invocation and shows whether a driver's skb depends on what XDP did to the
headroom; elsewhere its rows would be ``skip``).  Every
runner invocation gets its own plan with ids that no other invocation uses,
and is compared on its own.  On igc the skb hardware stamp of ``pass`` and
``pass-bare`` is the one SO_TIMESTAMPING hands a packet socket
(harness/guest/scripts/tsrx.py).

Facts (harness.oracle.Facts) are built at run time: kfuncs from the guest's
BTF, xdp-rx-metadata-features from netlink (``probe``), ``ethtool`` (-k
features, -n rx-flow-hash, -x key), the link speed, the runner's hwtstamp
result, and for igc the device model over QMP (programmed RSS key, a
deterministic clock set right before each plan is sent).

NIC kinds: ``igc`` and ``virtio-net`` (a test NIC of the VM, frames from the
host over its tap or unix socket), ``veth`` (a veth pair inside the guest,
frames written into its peer from the guest).  virtio-net hash rows become
``skip`` when the device did not negotiate VIRTIO_NET_F_HASH_REPORT (bit 57;
QEMU offers it only on a tap with a vnet header): ``Facts.hash_report``, oracle
rule ``virtio-no-hash-report``.

Test-only fault: ``Options(fault="hash+1")`` loads a BPF object built with
``-DXH_FAULT_HASH_PLUS_ONE`` whose device-bound program reports hash + 1 (the
negative test: the suite must fail it).
"""

from __future__ import annotations

import shlex
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness import oracle
from harness.guest.records import with_skb_stamps
from harness.guest.runner import GuestRunner, RunnerError
from harness.oracle import DeterministicClock, Facts
from harness.traffic.packets import DEFAULT_KINDS, SentPacket, make_plan
from harness.verdict.compare import Row, compare, has_row

CLI_PATHS: tuple[str, ...] = ("skb", "xdp", "pass", "veth", "cpumap", "xsk", "xsk-zc")
NIC_KINDS: tuple[str, ...] = ("igc", "virtio-net", "veth")
DRIVER_OF = {"igc": "igc", "virtio-net": "virtio_net", "veth": "veth"}


@dataclass(frozen=True)
class Run:
    """One kind of runner invocation."""

    mode: str
    observe: dict[str, Any]  # GuestRunner.observe keyword arguments
    last_point: str  # the point that sees a packet last (waited for)
    yields: tuple[str, ...]  # oracle paths its records can give
    points: dict[str, str] | None = None  # runner point -> oracle path, where not compare's


RUNS: dict[str, Run] = {
    "skb": Run("skb", {}, "tc", ("skb",), {"tc": "skb"}),
    "pass": Run("pass", {}, "tc", ("xdp", "pass")),
    "pass-bare": Run("pass", {"no_meta": True}, "tc", ("pass-bare",), {"tc": "pass-bare"}),
    "veth": Run("veth", {}, "veth_skb", ("veth", "veth-skb")),
    "cpumap": Run("cpumap", {}, "cpumap_skb", ("cpumap", "cpumap-skb")),
    "xsk": Run("xsk", {"xsk_mode": "copy"}, "xsk", ("xsk",)),
    "xsk-zc": Run("xsk", {"xsk_mode": "zerocopy"}, "xsk", ("xsk-zc",)),
}
#: CLI path -> the invocation it shares (xdp and pass: one)
RUN_OF_PATH = {"skb": "skb", "xdp": "pass", "pass": "pass", "veth": "veth", "cpumap": "cpumap",
               "xsk": "xsk", "xsk-zc": "xsk-zc"}
#: CLI path -> invocations of its own after that one
EXTRA_RUNS: dict[str, tuple[str, ...]] = {"pass": ("pass-bare",)}
ORACLE_PATHS = {"skb": ("skb",), "xdp": ("xdp",), "pass": ("pass", "pass-bare"),
                "veth": ("veth", "veth-skb"), "cpumap": ("cpumap", "cpumap-skb"),
                "xsk": ("xsk",), "xsk-zc": ("xsk-zc",)}
#: NICs that get the pass-bare invocation (igc: the skb stamp read lazily from the RX
#: header our data_meta overwrites; virtio-net: the XDP_PASS skb's hash loss, either way)
BARE_NICS = frozenset(NIC_KINDS)

VIDS = (100, 200)  # make_plan's inner VIDs: registered on the NIC (VLAN filters)
HASH_REPORT_BIT = 57  # VIRTIO_NET_F_HASH_REPORT
CLOCK_START_NS = 1_900_000_000 * 10**9 + 4242
CLOCK_STEP_NS = 1000
FAULTS = ("hash+1",)

Say = Callable[[str], None]


@dataclass
class Options:
    """Knobs of one scenario run."""

    packets: int = 48
    kinds: Sequence[str] = DEFAULT_KINDS
    gap_s: float = 0.01
    wait_s: float = 120.0
    seed: int = 1
    fault: str | None = None  # test only: "hash+1"
    udp_4tuple: bool = True  # igc: ethtool -N rx-flow-hash udp4/udp6 sdfn


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


def fault_object(fault: str) -> Path:
    """The BPF object built with the fault's define (cached per source/flags)."""
    from harness.artifacts import bpf_build
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")
    define = {"hash+1": "XH_FAULT_HASH_PLUS_ONE"}[fault]
    key = bpf_build.build_key()
    out = Path(tempfile.gettempdir()) / f"xdp-hints-fault-{key}-{define}.bpf.o"
    if not out.is_file():
        tmp = out.with_suffix(".tmp")
        cmd = ["clang", *bpf_build.BPF_CFLAGS, *bpf_build._multiarch_include(),
               f"-D{define}", "-I", str(bpf_build.SRC_DIR), "-c",
               str(bpf_build.SRC_DIR / bpf_build.BPF_SOURCE), "-o", str(tmp)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise bpf_build.BpfBuildError(f"fault build failed: {p.stderr}")
        tmp.rename(out)
    return out


def _row_keys(paths: Iterable[str]) -> list[tuple[str, str]]:
    """(path, field) pairs that get a row, as compare() makes them."""
    return [(p, f) for p in paths for f in oracle.FIELDS if has_row(p, f)]


def _skip_rows(nic: str, paths: Iterable[str], reason: str) -> list[Row]:
    return [Row(nic, p, f, "skip", detail=reason) for p, f in _row_keys(paths)]


def _fail_rows(nic: str, paths: Iterable[str], reason: str) -> list[Row]:
    return [Row(nic, p, f, "fail", detail=reason) for p, f in _row_keys(paths)]


class NicScenario:
    """One NIC under test in a booted VM."""

    def __init__(self, vm: Any, runner: GuestRunner, kind: str, nic: Any | None,
                 opts: Options | None = None, say: Say | None = None) -> None:
        if kind not in NIC_KINDS:
            raise ValueError(f"unknown NIC kind {kind!r}")
        self.vm = vm
        self.runner = runner
        self.kind = kind
        self.nic = nic
        self.opts = opts or Options()
        self.say = say or (lambda _m: None)
        self.model: Any = None
        self.tx_if = ""
        self.ifname = ""
        self.base: Facts | None = None
        self.hash_report: bool | None = None
        self.extra_args: list[str] = []
        self.fault_remote = ""

    # -- set-up ------------------------------------------------------------
    def _sh(self, cmd: str, timeout: float = 60) -> Any:
        return self.vm.ssh.run(cmd, timeout=timeout)

    def prepare(self) -> Facts:
        """Bring the NIC up, configure it, read the facts that do not change per run."""
        if self.kind == "veth":
            self.ifname, self.tx_if = self.runner.veth_nic()
        else:
            self.ifname = self.nic.guest_ifname
        ifn = shlex.quote(self.ifname)
        self.vm.ssh.check(f"ip link set {ifn} up", timeout=60)
        if self.kind != "veth":
            # VLAN filters (virtio-net CTRL_VLAN, igc): register the plan's VIDs
            for vid in VIDS:
                self._sh(f"ip link show {ifn}.{vid} >/dev/null 2>&1 || "
                         f"ip link add link {ifn} name {ifn}.{vid} type vlan id {vid}")
        if self.kind == "igc":
            from harness.nics.igc_model import IgcModel
            self.model = IgcModel(self.vm.qmp.command, self.nic.qdev_id)
            if self.opts.udp_4tuple:
                for ft in ("udp4", "udp6"):
                    self._sh(f"ethtool -N {ifn} rx-flow-hash {ft} sdfn")
        if self.kind == "virtio-net":
            self.runner.enable_rxhash(self.ifname)
            bits = self._sh(f"cat /sys/class/net/{ifn}/device/features").stdout.strip()
            self.hash_report = len(bits) > HASH_REPORT_BIT and bits[HASH_REPORT_BIT] == "1"
        self._wait_carrier()
        probe = self.runner.probe(self.ifname)
        feats = oracle.parse_ethtool_features(self._sh(f"ethtool -k {ifn}").stdout)
        hash_fields: dict[str, frozenset[str]] = {}
        for ft in oracle.FLOW_TYPES:
            r = self._sh(f"ethtool -n {ifn} rx-flow-hash {ft}")
            got = oracle.parse_rx_flow_hash(r.stdout) if r.rc == 0 else frozenset()
            if got:
                hash_fields[ft] = got
        speed_txt = self._sh(f"cat /sys/class/net/{ifn}/speed").stdout.strip()
        speed = int(speed_txt) if speed_txt.lstrip("-").isdigit() and int(speed_txt) > 0 \
            else None
        extra: dict[str, Any] = {
            "rxhash": feats.get("receive-hashing", True),
            # veth never strips: its frames come with the tags in the data (rx-vlan-offload
            # only means it passes hwaccel tags through)
            "vlan_strip": False if self.kind == "veth" else feats.get("rx-vlan-offload"),
            "link_speed_mbps": speed,
            "hash_fields": hash_fields or None,
            "hash_report": self.hash_report,
            "backend": getattr(self.nic, "backend", ""),
        }
        if self.kind == "igc":
            extra["rss_key"] = self.model.rss_key()
            extra["reta"] = tuple(self.model.reta())
        elif self.kind == "virtio-net":
            ethtool_x = self._sh(f"ethtool -x {ifn}").stdout
            for key, parse in (("rss_key", oracle.parse_ethtool_rss_key),
                               ("reta", oracle.parse_ethtool_indir)):
                try:
                    extra[key] = parse(ethtool_x)
                except ValueError:
                    pass
        self.base = oracle.facts_from_probe(probe, self.ifname, DRIVER_OF[self.kind], **extra)
        if self.opts.fault:
            local = fault_object(self.opts.fault)
            self.fault_remote = f"{self.runner.remote_dir}/xdp_hints_fault.bpf.o"
            self.vm.ssh.put(local, self.fault_remote, mode=0o644)
            self.extra_args = ["--obj", self.fault_remote]
        return self.base

    def _wait_carrier(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._sh(f"cat /sys/class/net/{self.ifname}/carrier").stdout.strip() == "1":
                return
            time.sleep(1)

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
            "hash_report": self.hash_report,
            "backend": getattr(self.nic, "backend", "guest"),
        }

    # -- traffic -----------------------------------------------------------
    def _plan(self) -> list[SentPacket]:
        n = self.opts.packets
        first = _Ids.take(n)
        mac = self.nic.mac if self.nic is not None else self._guest_mac()
        return make_plan(n, dst_mac=mac, kinds=self.opts.kinds, seed=self.opts.seed + first,
                         first_id=first, vids=VIDS)

    def _guest_mac(self) -> str:
        return self._sh(f"cat /sys/class/net/{self.ifname}/address").stdout.strip()

    def _send(self, plan: list[SentPacket]) -> None:
        gap = self.opts.gap_s
        if self.kind == "veth":
            self.runner.send_in_guest(self.tx_if, [p.frame for p in plan], gap_s=gap)
            return
        if self.nic.backend == "socket":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                for p in plan:
                    p.sent_realtime_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
                    p.sent_monotonic_ns = time.monotonic_ns()
                    s.sendto(p.frame, str(self.nic.qemu_sock))
                    time.sleep(gap)
            finally:
                s.close()
            return
        from harness.traffic.sender import send_plan
        send_plan(plan, self.nic.tap, self.nic.netns, gap_s=gap)

    # -- judging -------------------------------------------------------------
    def _facts_for(self, ready: dict, plan: list[SentPacket]) -> Facts:
        assert self.base is not None
        hw = ready.get("hwtstamp_rc") == 0 and bool(ready.get("hwtstamp_rx_filter", 1))
        clock = None
        if self.kind == "igc":
            clock = DeterministicClock(CLOCK_START_NS, CLOCK_STEP_NS, first_id=plan[0].id)
        probe = ready.get("cpumap_dev_bound_rc")  # 1: not probed (one CPU, not dev-bound)
        return replace(self.base, hwtstamp_rx=hw, clock=clock,
                       cpumap_dev_bound_rc=probe if isinstance(probe, int) and probe != 1
                       else None)

    def run_one(self, run: str, paths: Sequence[str]) -> tuple[list[Row], RunStats]:
        """One runner invocation: observe, send a fresh plan, compare ``paths``.

        ``paths`` are CLI paths; of their oracle paths, the ones this run yields are judged.
        """
        spec = RUNS[run]
        mode, kw, last_point = spec.mode, spec.observe, spec.last_point
        opaths = [op for p in paths for op in ORACLE_PATHS[p] if op in spec.yields]
        plan = self._plan()
        ids = {p.id for p in plan}
        t0 = time.monotonic()
        stats = RunStats(self.kind, run, len(plan), 0.0)
        self.say(f"{self.kind}: {run} ({', '.join(paths)}): {len(plan)} packets")
        try:
            obs = self.runner.observe(self.ifname, mode, extra_args=self.extra_args, **kw)
        except RunnerError as e:
            stats.seconds = time.monotonic() - t0
            stats.error = str(e).splitlines()[0]
            if run == "xsk-zc" and any(ev.get("stage") == "xsk_socket" for ev in e.events):
                why = next((f"{ev.get('msg')}: {ev.get('error')}" for ev in e.events
                            if ev.get("stage") == "xsk_socket"), "")
                return _skip_rows(self.kind, opaths, f"{self.kind}: AF_XDP zero-copy bind "
                                  f"refused ({why})"), stats
            return _fail_rows(self.kind, opaths, f"runner failed: {e}"), stats
        sots: dict[int, int | None] | None = None
        tsrx = self.kind == "igc" and bool(oracle.NIC_SKB_PATHS.intersection(opaths))
        try:
            if tsrx:
                self._tsrx_start()
            if self.model is not None:
                self.model.set_deterministic(CLOCK_START_NS, CLOCK_STEP_NS)
                self.model.clear_rx_log()
            self._send(plan)
            obs.wait_for(len(plan), point=last_point, ids=ids, timeout=self.opts.wait_s)
        finally:
            if tsrx:
                sots = self._tsrx_stop(ids)
            obs.stop()
            if self.model is not None:
                self.model.set_realtime()
        stats.seconds = time.monotonic() - t0
        stats.records = len(obs.records)
        self._check_crash()
        facts = self._facts_for(obs.ready or {}, plan)
        records = obs.records
        if sots is not None:
            # igc keeps a netdev_data pointer in skb_hwtstamps (CONFIG_NET_RX_BUSY_POLL):
            # the skb path's stamp is what SO_TIMESTAMPING hands a socket, judged exactly
            records = with_skb_stamps(records, sots)
            facts = replace(facts, rx_busy_poll=False)
        rows = compare(self.kind, facts, plan, records, paths=opaths, points=spec.points)
        if sots is not None:
            for r in rows:
                if r.path in oracle.NIC_SKB_PATHS and r.field == "timestamp":
                    r.detail += "; skb stamps read through SO_TIMESTAMPING (packet socket)"
        if obs.errors:
            msg = "; ".join(f"{e.get('stage')}: {e.get('msg')}" for e in obs.errors)
            for r in rows:
                r.detail = (r.detail + f"; runner errors: {msg}").lstrip("; ")
        return rows, stats

    TSRX_OUT = "/tmp/xdp-hints-tsrx.jsonl"

    def _tsrx_start(self) -> None:
        from harness.guest.scripts import script
        remote = f"{self.runner.remote_dir}/tsrx.py"
        with tempfile.NamedTemporaryFile("wb", suffix=".py") as f:
            f.write(script("tsrx.py"))
            f.flush()
            self.vm.ssh.put(Path(f.name), remote)
        out = self.TSRX_OUT
        self.vm.ssh.check(f"rm -f {out} {out}.pid; setsid python3 {remote} "
                          f"{shlex.quote(self.ifname)} {out}.pid > {out} 2>&1 < /dev/null &",
                          timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready" in self._sh(f"head -c 200 {out}").stdout:
                return
            time.sleep(0.3)
        raise RunnerError("SO_TIMESTAMPING receiver did not start in the guest",
                          stderr=self._sh(f"cat {out}").stdout)

    def _tsrx_stop(self, ids: set[int]) -> dict[int, int | None]:
        import json
        out = self.TSRX_OUT
        deadline = time.monotonic() + 10
        got: dict[int, int | None] = {}
        while True:
            text = self._sh(f"cat {out}", timeout=120).stdout
            got = {}
            for line in text.splitlines():
                if line.startswith("{"):
                    rec = json.loads(line)
                    got.setdefault(int(rec["id"]), rec.get("hw"))
            if ids <= set(got) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self._sh(f"kill $(cat {out}.pid) 2>/dev/null; true")
        return got

    def _check_crash(self) -> None:
        console = getattr(self.vm, "console", None)
        if console is not None and console.crashed.is_set():
            from harness.vm.machine import GuestCrashed
            raise GuestCrashed("guest kernel crashed during the suite",
                               list(console.crash_lines[:40]))

    def run(self, paths: Sequence[str] = CLI_PATHS) -> Scenario:
        """Every asked path, grouped into as few runner invocations as possible."""
        for p in paths:
            if p not in CLI_PATHS:
                raise ValueError(f"unknown path {p!r} (choose from {', '.join(CLI_PATHS)})")
        out = Scenario(self.kind)
        if self.base is None:
            self.prepare()
        out.facts = self.facts_summary()
        serves: dict[str, list[str]] = {}  # invocation -> CLI paths, in CLI_PATHS order
        for p in CLI_PATHS:
            if p in paths:
                for run in (RUN_OF_PATH[p], *EXTRA_RUNS.get(p, ())):
                    serves.setdefault(run, []).append(p)
        for run, mine in serves.items():
            if run == "pass-bare" and self.kind not in BARE_NICS:
                out.rows.extend(_skip_rows(self.kind, RUNS[run].yields, (
                    f"pass-bare runs on {', '.join(sorted(BARE_NICS))} only (skb stamp read "
                    f"lazily from the RX header data_meta overwrites); {self.kind}: as pass")))
                continue
            rows, stats = self.run_one(run, mine)
            out.rows.extend(rows)
            out.stats.append(stats)
        return out
