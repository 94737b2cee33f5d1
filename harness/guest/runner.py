# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive the guest-side BPF runner (``xdp-hints-guest``) over the VM's SSH.

Usage from scenario code::

    from harness.guest.runner import GuestRunner

    runner = GuestRunner(vm)            # vm: harness.vm.machine.VM (needs vm.ssh)
    runner.install()                    # host build (cached) + push into the guest
    info = runner.probe("eth1")         # kfuncs in BTF, tcx, netdev xdp-rx-metadata-features
    runner.enable_rxhash("eth1")        # virtio-net: the hash kfunc needs `ethtool -K rxhash on`
    with runner.observe("eth1", mode="pass") as obs:   # returns once programs are attached
        ...send packets from the host...
        obs.wait_for(len(plan), point="xdp", timeout=30)  # optional: poll until they arrived
    obs.records                         # list[dict], every observation (after the with-block)
    obs.by_point("tc")                  # records of one point
    obs.index("xdp")                    # {packet id: record} for one point

    rx, tx = runner.veth_nic()          # a veth pair in the guest as the NIC under test
    with runner.observe(rx, "pass") as obs:
        runner.send_in_guest(tx, [p.frame for p in plan])

``observe(ifname, mode)`` starts ``xdp-hints-guest run`` in the background in
the guest (stdout/stderr to files there), waits for its ``ready`` event, and on
exit sends SIGTERM, waits for the runner to detach everything, and parses its
JSON lines.  Modes: ``pass`` (XDP_PASS to the stack), ``veth`` (devmap
redirect into a veth pair ``xhv0``/``xhv1`` made in the guest and kept),
``cpumap`` (redirect into a cpumap entry whose program reads data_meta; the
NIC's TC program then sees the skb the cpumap built), ``xsk`` (redirect into
an XSKMAP slot per rx queue; AF_XDP sockets in ``xsk_mode`` copy|zerocopy).
``no_meta=True`` (runner ``--no-meta``, any mode): the NIC's XDP program
still calls the kfuncs and records them but writes no data_meta, so the
headroom stays as the driver left it (igc: the RX timestamp header the skb's
hardware stamp is read from); downstream points then find no ``xh_meta``.
``late_hints=True`` (``--late-hints``): the NIC's XDP program calls the kfuncs
once more after writing data_meta and records them at point ``xdp_late``.

Records, events and the data_meta layout: harness.guest.records (the schema,
defined once, with the conversion into the verdict's canonical observations).
"""

from __future__ import annotations

import itertools
import json
import shlex
import signal
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.artifacts.bpf_build import BpfArtifacts, build
from harness.errors import HarnessError
from harness.guest.records import META_SIZE

REMOTE_DIR = "/opt/xdp-hints"
#: the guest waits (xh-tools wait) at most this long per SSH command
GUEST_WAIT_CHUNK_S = 5.0
ERR_SEPARATOR = "__XDP_HINTS_STDERR__"
_STOPPED = "__XDP_HINTS_STOPPED__"  # wait_for(stop=True): the runner was stopped
STOP_TIMEOUT_S = 60.0  # how long a stop waits for the runner to detach and exit
MODES = ("pass", "veth", "cpumap", "xsk", "skb")  # skb: no XDP program, TC only


def describe_status(text: str) -> str:
    """A shell's ``$?`` for the runner in words (128 + n: killed by signal n)."""
    text = text.strip()
    if not text.isdigit():
        return "exit status unknown (still running, or the wrapper was killed)"
    code = int(text)
    if code > 128:
        try:
            name = signal.Signals(code - 128).name
        except ValueError:
            name = f"signal {code - 128}"
        return f"killed by {name} (status {code})"
    return f"exited with status {code}"


def _cut(text: str, marker: str) -> tuple[str, bool, str]:
    """(text before a line ``marker`` that follows a newline, whether there is one, text
    after it)."""
    head, sep, tail = text.partition(f"\n{marker}\n")
    return (head, True, tail) if sep else (text, False, "")


class RunnerError(HarnessError):
    """The guest runner failed to start, attach, or stop."""

    def __init__(self, message: str, events: list[dict] | None = None, stderr: str = "") -> None:
        errors = [e for e in (events or []) if e.get("event") == "error"]
        detail = "".join(
            f"\n  {e.get('stage')}: {e.get('msg')} ({e.get('error')})" for e in errors
        )
        tail = "\n".join(stderr.strip().splitlines()[-40:])
        super().__init__(message + detail + (f"\n--- runner stderr ---\n{tail}" if tail else ""))
        self.events = events or []
        self.stderr = stderr


def parse_lines(text: str) -> tuple[list[dict], list[dict], list[str]]:
    """Split runner output into (records, events, non-JSON lines)."""
    records: list[dict] = []
    events: list[dict] = []
    junk: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            junk.append(line)
            continue
        if not isinstance(obj, dict):
            junk.append(line)
        elif "event" in obj:
            events.append(obj)
        elif "point" in obj:
            records.append(obj)
        else:
            junk.append(line)
    return records, events, junk


@dataclass
class Observation:
    """One runner invocation: its records and events (complete after stop())."""

    runner: GuestRunner
    ifname: str
    mode: str
    argv: list[str]
    out_path: str
    err_path: str
    pid_path: str
    records: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)
    stderr: str = ""
    ready: dict | None = None
    stopped: bool = False
    #: shell that starts the runner (run by observe(), or by a ready wait it rides on)
    start_cmd: str = ""
    launched: bool = False
    #: --hold: the runner loads, then waits for this file before it touches the NIC
    go_path: str | None = None
    no_meta: bool = False
    ready_timeout: float = 180.0

    # -- results ---------------------------------------------------------
    def by_point(self, point: str) -> list[dict]:
        return [r for r in self.records if r.get("point") == point]

    def index(self, point: str) -> dict[int, dict]:
        """{packet id: record} for one point (the last record wins on duplicates)."""
        return {int(r["id"]): r for r in self.by_point(point)}

    def points(self) -> set[str]:
        return {r["point"] for r in self.records}

    @property
    def errors(self) -> list[dict]:
        return [e for e in self.events if e.get("event") == "error"]

    @property
    def stats(self) -> dict | None:
        return next((e for e in self.events if e.get("event") == "stats"), None)

    @property
    def exit(self) -> dict | None:
        return next((e for e in self.events if e.get("event") == "exit"), None)

    # -- live access -----------------------------------------------------
    def read(self) -> tuple[list[dict], list[dict]]:
        """(records, events) written so far (reads the guest file; the runner keeps going)."""
        r = self.runner.vm.ssh.run(f"cat {self.out_path} 2>/dev/null", timeout=60)
        recs, events, _ = parse_lines(r.stdout)
        return recs, events

    def snapshot(self) -> list[dict]:
        """Records written so far."""
        return self.read()[0]

    def wait_for(self, n: int, point: str = "xdp", timeout: float = 30.0,
                 ids: Iterable[int] | None = None, poll_s: float = 0.5,
                 stop: bool = False) -> list[dict]:
        """Poll until ``n`` records at ``point`` (or all of ``ids``) arrived, or timeout.

        Returns the records of that point seen at the end; never raises on timeout
        (the caller's oracle reports what is missing).  ``stop``: then stop the
        runner in the same round trip (as :meth:`stop`), once the guest counts ``n``
        lines at ``point`` (ids are not checked there) or at the deadline.
        """
        want = set(ids) if ids is not None else None
        n = len(want) if want is not None else n
        # the guest waits for the count itself (no round trip per poll), in chunks so a
        # deadline or Ctrl-C is never far away; then the records are read once
        end = time.monotonic() + timeout
        while True:
            chunk = max(0.0, min(GUEST_WAIT_CHUNK_S, end - time.monotonic()))
            tail = ""
            if stop and not self.stopped:  # after the records so far, a stop's output
                last = time.monotonic() + chunk >= end
                tail = (f"if [ \"${{c:-0}}\" -ge {n} ]{' || true' if last else ''}; then "
                        f"echo; echo {_STOPPED}; {self.runner._stop_sh(self, STOP_TIMEOUT_S)}; fi")
            out = self.runner.vm.ssh.run(
                f"{self.runner.tools} wait {self.out_path} --match '\"point\":\"{point}\"' "
                f"--count {n} --pid-file {self.pid_path} --timeout {chunk:.2f} "
                f"--cat {self.out_path} && c={n}; {tail}",
                timeout=chunk + STOP_TIMEOUT_S + 60).stdout
            out, stopped, after = _cut(out, _STOPPED)
            if stopped:
                self.stopped = True
                self.runner._collect(self, after)
                return self.by_point(point)
            recs = [r for r in parse_lines(out)[0] if r.get("point") == point]
            got = {int(r["id"]) for r in recs}
            done = len(recs) >= n if want is None else want <= got
            if done or time.monotonic() >= end:
                if stop:
                    self.stop()
                    return self.by_point(point)
                return recs
            time.sleep(poll_s if len(recs) >= n else 0)  # enough lines, not the right ids

    # -- lifecycle ---------------------------------------------------------
    def release(self, also: Observation | None = None,
                upper: Sequence[str] = ()) -> Observation:
        """A held runner (``observe(hold=True)``): let it wire and attach, and wait for
        its ready event as observe() does (RunnerError alike).  ``also``: a held
        runner to launch in the same round trip (it loads while this one runs).
        ``upper``: the upper devices of a runner held with ``upper_later=True``."""
        if self.go_path is None:
            raise ValueError("release() is for runners started with hold=True")
        names = " ".join(shlex.quote(u) for u in upper)
        go = (f"printf '%s\\n' {names} > {self.go_path}.tmp && mv {self.go_path}.tmp "
              f"{self.go_path}; " if upper else f": > {self.go_path}; ")
        return self.runner._await_ready(self, go if self.launched else self.start_cmd + go,
                                        also)

    def launch(self) -> None:
        """Start a held runner on its own (it loads, then waits for :meth:`release`)."""
        if self.go_path is None or self.launched:
            raise ValueError("launch() is for held runners not yet launched")
        self.launched = True
        r = self.runner.vm.ssh.run(self.start_cmd, timeout=60)
        if r.rc != 0:
            raise RunnerError(f"held runner could not be started ({self.ifname}, mode "
                              f"{self.mode})", stderr=r.stderr)

    def stop(self, timeout: float = 60.0) -> None:
        if not self.stopped:
            self.stopped = True
            if self.launched:
                self.runner._stop(self, timeout)

    def __enter__(self) -> Observation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class GuestRunner:
    """Installs and runs ``xdp-hints-guest`` in one VM."""

    _seq = itertools.count(1)

    def __init__(self, vm: Any, artifacts: BpfArtifacts | None = None,
                 remote_dir: str = REMOTE_DIR) -> None:
        self.vm = vm
        self.artifacts = artifacts
        self.remote_dir = remote_dir
        self.installed = False
        #: the TC helper chain object ``observe(tc_chain=True)`` attaches (a test may
        #: point it at a fault build)
        self.tc_chain_obj = f"{remote_dir}/xh_tc_helpers.bpf.o"
        #: extra environment of every runner invocation (bench/runner_profile.py: XH_TIMING)
        self.env: dict[str, str] = {}
        #: the stacked-device reader ``observe(upper=[...])`` attaches
        self.upper_obj = f"{remote_dir}/xh_stacked.bpf.o"

    @property
    def binary(self) -> str:
        return f"{self.remote_dir}/xdp-hints-guest"

    @property
    def tools(self) -> str:
        """The guest path of ``xh-tools`` (send, wait, tsrx, tpacket: no libbpf, static)."""
        return f"{self.remote_dir}/xh-tools"

    def install(self) -> None:
        """Build on the host if needed (cached) and copy runner + object into the guest."""
        if self.artifacts is None:
            self.artifacts = build()
        ssh = self.vm.ssh
        ssh.check(f"mkdir -p {self.remote_dir}", timeout=60)
        art, d = self.artifacts, self.remote_dir
        ssh.put_many([(art.runner, self.binary, 0o755), (art.tools, self.tools, 0o755),
                      (art.bpf_object, f"{d}/xdp_hints.bpf.o", 0o644),
                      (art.store_object, f"{d}/xdp_hints_store.bpf.o", 0o644),
                      (art.tc_helpers_object, f"{d}/xh_tc_helpers.bpf.o", 0o644),
                      (art.stacked_object, self.upper_obj, 0o644)])
        r = ssh.run(f"{self.binary} abi", timeout=60)
        if r.rc != 0:
            raise RunnerError(f"runner does not start in the guest (rc {r.rc})", stderr=r.stderr)
        abi = json.loads(r.stdout.strip().splitlines()[-1])
        if abi.get("meta_size") != META_SIZE:
            raise RunnerError(f"runner ABI mismatch: {abi}")
        self.installed = True

    def _ensure(self) -> None:
        if not self.installed:
            self.install()

    def probe(self, *ifnames: str) -> dict:
        """Kernel/NIC capabilities: kfuncs in BTF, tcx, netdev-genl features per ifname."""
        self._ensure()
        args = " ".join(shlex.quote(i) for i in ifnames)
        out = self.vm.ssh.check(f"{self.binary} probe {args}", timeout=120)
        return json.loads(out.strip().splitlines()[-1])

    def enable_rxhash(self, ifname: str) -> bool:
        """``ethtool -K IF rxhash on`` (virtio-net reports no hash without it)."""
        return self.vm.ssh.run(f"ethtool -K {shlex.quote(ifname)} rxhash on", timeout=60).rc == 0

    def observe(self, ifname: str, mode: str = "pass", *, tc: str = "auto",
                xsk_mode: str = "copy", queues: int | None = None,
                cpumap_cpu: int | None = None, hwtstamp: bool = True,
                duration: float | None = None, count: int | None = None,
                disable_kfuncs: Iterable[str] = (), no_meta: bool = False,
                store: bool = False,
                tc_chain: bool = False, meta_sweep: bool = False,
                late_hints: bool = False, upper: Sequence[str] = (),
                upper_later: bool = False, xdp_link: str | None = None,
                xdp_link_keep: bool = False, extra_args: Iterable[str] = (),
                ready_timeout: float = 180.0, hold: bool = False,
                also: Observation | None = None) -> Observation:
        """Start the runner for ``ifname``/``mode``; returns once it reported ready.

        Use as a context manager (stops on exit) or call ``.stop()``.
        ``disable_kfuncs`` (e.g. ``["rx_vlan_tag"]`` or ``["all"]``) makes the
        programs skip kfuncs as if the kernel lacked them (their rc is null).
        ``no_meta``: the NIC's XDP program writes no data_meta (``--no-meta``).
        ``store``: redirect-store mode (``--store``, harness.oracle.store).
        ``tc_chain``: the TC helper chain (:attr:`tc_chain_obj`) on the NIC's tcx
        ingress (``--tc-chain``; records of point ``tc_helper``).
        ``meta_sweep``: the NIC's XDP program writes a 4..252-byte blob by packet id
        (``--meta-sweep``, harness.guest.meta_sizes).
        ``late_hints``: it also calls the kfuncs after writing it (``--late-hints``).
        ``upper_later`` (with ``hold``): the stacked-device reader loads, its upper
        devices are named by :meth:`Observation.release`.
        ``upper``: upper devices (VLAN, gretap, VXLAN) whose tcx ingress gets the
        stacked-device reader (:attr:`upper_obj`, ``--upper``; records of point
        ``stacked``, harness.guest.stacked).
        ``xdp_link``: a bpffs pin the NIC's XDP link is handed over through
        (``--xdp-link``): a link a previous run left there gets this run's program in
        place, no detach + attach (igc closes and opens on each); mode skb detaches it;
        ``xdp_link_keep``: pin it there at the end instead of detaching (the next run
        on the NIC takes it).
        Raises RunnerError if it fails before ready (load/verifier/attach errors
        are in the exception text, with the tail of the runner's stderr).
        ``hold``: nothing runs yet; the returned Observation is launched with the
        ready wait of another one (its ``also``) or by its own :meth:`Observation.release`,
        and its runner loads, then waits (``--hold``) until released: the next
        invocation's load overlaps this one's traffic.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self._ensure()
        argv = [self.binary, "run", "--ifname", ifname, "--mode", mode, "--tc", tc,
                "--xsk-mode", xsk_mode]
        if queues is not None:
            argv += ["--queues", str(queues)]
        if cpumap_cpu is not None:
            argv += ["--cpumap-cpu", str(cpumap_cpu)]
        if not hwtstamp:
            argv.append("--no-hwtstamp")
        if duration is not None:
            argv += ["--duration", str(duration)]
        if count is not None:
            argv += ["--count", str(count)]
        for k in disable_kfuncs:
            argv += ["--disable-kfunc", k]
        if no_meta:
            argv.append("--no-meta")
        if store:
            argv.append("--store")
        if tc_chain:
            argv += ["--tc-chain", self.tc_chain_obj]
        if meta_sweep:
            argv.append("--meta-sweep")
        if late_hints:
            argv.append("--late-hints")
        if upper or (upper_later and hold):
            argv += ["--upper-obj", self.upper_obj]
            for dev in upper:
                argv += ["--upper", dev]
        if xdp_link:
            argv += ["--xdp-link", xdp_link, *(["--xdp-link-keep"] if xdp_link_keep else [])]
        argv += list(extra_args)
        n = next(self._seq)
        # under remote_dir, not a fixed /tmp name: two harness processes sharing one
        # filesystem (tests with a local fake "guest") must not clobber each other's files
        base = f"{self.remote_dir}/run{n}"
        if hold:
            argv += ["--hold", f"{base}.go"]
        obs = Observation(self, ifname, mode, argv, f"{base}.jsonl", f"{base}.err",
                          f"{base}.pid", go_path=f"{base}.go" if hold else None,
                          no_meta=no_meta, ready_timeout=ready_timeout)
        # xh-tools spawn starts the runner in its own session and returns once its pid
        # is in the pid file (stop() signals exactly that process); a watcher it
        # leaves writes the exit status once the runner ends: a runner that dies
        # without its exit event is then explained (signal, status).  The file names
        # are new per invocation (nothing to remove first).
        env = "".join(f"{k}={shlex.quote(v)} " for k, v in self.env.items())
        obs.start_cmd = (
            f"{env}{self.tools} spawn --pid-file {obs.pid_path} --status-file "
            f"{obs.pid_path}.status --out {obs.out_path} --err {obs.err_path} -- "
            f"{' '.join(shlex.quote(a) for a in argv)}; ")
        if hold:
            return obs
        return self._await_ready(obs, obs.start_cmd, also)

    def _await_ready(self, obs: Observation, first: str,
                     also: Observation | None = None) -> Observation:
        """Run ``first`` (start or release ``obs``), then wait for its ready event."""
        obs.launched = True
        if also is not None:  # a held runner: its start rides in this round trip
            first += also.start_cmd
            also.launched = True
        cmd = first
        end = time.monotonic() + obs.ready_timeout
        # the guest waits for ready (or error/exit, or the runner's death) itself; the
        # first poll rides in the round trip that starts the runner
        settled = " ".join(f"--match '\"event\":\"{e}\"'" for e in ("ready", "error", "exit"))
        while True:
            chunk = max(0.0, min(GUEST_WAIT_CHUNK_S, end - time.monotonic()))
            start, cmd = cmd, ""
            r = self.vm.ssh.run(
                f"{start}{self.tools} wait {obs.out_path} {settled} "
                f"--pid-file {obs.pid_path} --timeout {chunk:.2f} --cat {obs.out_path} "
                f"--alive __ALIVE__", timeout=chunk + 60)
            alive = "__ALIVE__" in r.stdout
            _, events, _ = parse_lines(r.stdout.replace("__ALIVE__", ""))
            obs.ready = next((e for e in events if e.get("event") == "ready"), None)
            if obs.ready is not None:
                if obs.no_meta and obs.ready.get("meta_write") is not False:
                    obs.stop()
                    raise RunnerError(f"runner ignored --no-meta ({obs.ifname}): {obs.ready}",
                                      obs.events, obs.stderr)
                return obs
            if not alive or any(e.get("event") in ("error", "exit") for e in events):
                obs.stopped = True
                self._collect(obs)
                raise RunnerError(f"runner did not get ready ({obs.ifname}, mode {obs.mode})",
                                  obs.events, obs.stderr)
            if time.monotonic() > end:
                obs.stop()
                raise RunnerError(f"runner not ready after {obs.ready_timeout:.0f} s "
                                  f"({obs.ifname}, mode {obs.mode})", obs.events, obs.stderr)

    def _stop(self, obs: Observation, timeout: float) -> None:
        r = self.vm.ssh.run(self._stop_sh(obs, timeout), timeout=timeout + 60)
        self._collect(obs, r.stdout)

    def _stop_sh(self, obs: Observation, timeout: float) -> str:
        """Shell: SIGTERM, wait for a clean detach, SIGKILL as the last resort (its BPF
        links then go away with the process); then the records and stderr."""
        t = max(5, int(timeout))
        return (f"p=; {{ read -r p < {obs.pid_path}; }} 2>/dev/null; if [ -n \"$p\" ]; then "
                f"kill -TERM $p 2>/dev/null; {self.tools} wait --pid $p --timeout {t} "
                f"{self._cat_args(obs)}; kill -0 $p 2>/dev/null && kill -KILL $p; "
                f"else {self._cat(obs)}; fi; true")

    def _cat_args(self, obs: Observation) -> str:
        """xh-tools wait arguments printing the runner's output, a separator, then its
        stderr once the wait is over."""
        return f"--cat {obs.out_path} --cat {obs.err_path} --cat-sep {ERR_SEPARATOR}"

    def _cat(self, obs: Observation) -> str:
        """Shell printing the runner's output, a separator, then its stderr."""
        return f"{self.tools} wait {self._cat_args(obs)}; true"

    def _collect(self, obs: Observation, both: str | None = None) -> None:
        if both is None:
            both = self.vm.ssh.run(self._cat(obs), timeout=120).stdout
        out, _, obs.stderr = both.partition(f"\n{ERR_SEPARATOR}\n")
        obs.records, obs.events, obs.junk = parse_lines(out)
        if not any(e.get("event") == "exit" for e in obs.events):
            # died without its exit event: say what the guest kernel saw (segfault,
            # OOM kill, ...), since nobody reaps a setsid'd runner's status
            klog = self.vm.ssh.run(
                "dmesg | grep -E 'xdp-hints-gues|Out of memory|segfault' | tail -n 5",
                timeout=60).stdout.strip()
            status = self.vm.ssh.run(
                f"i=0; while [ ! -s {obs.pid_path}.status ] && [ $i -lt 20 ]; do sleep 0.1; "
                f"i=$((i+1)); done; cat {obs.pid_path}.status 2>/dev/null", timeout=60).stdout
            obs.stderr += (f"\n[no exit event; {describe_status(status)}; guest kernel log: "
                           f"{klog or 'nothing'}]")

    def veth_nic(self, name: str = "xhn0", peer: str = "xhn1") -> tuple[str, str]:
        """A veth pair in the guest usable as a NIC under test; returns (rx, tx).

        Run the runner on ``rx`` and send frames into ``tx`` with send_in_guest().
        veth implements all three RX metadata kfuncs (software values).  The
        pair is created once and kept (see guest-bpf/README.md: deleting a
        netdev with a device-bound program oopses current kernels).
        """
        self.vm.ssh.check(
            f"ip link show {peer} >/dev/null 2>&1 || "
            f"ip link add {name} type veth peer name {peer}; "
            f"ip link set {name} up && ip link set {peer} up", timeout=60)
        return peer, name

    def send_in_guest(self, ifname: str, frames: Iterable[bytes], gap_s: float = 0.01) -> int:
        """Write raw Ethernet frames to ``ifname`` from inside the guest (AF_PACKET)."""
        data = "".join(f"{ifname} 0 {f.hex()}\n" for f in frames).encode()
        r = self.vm.ssh.run(f"{self.tools} send {gap_s}",
                            timeout=120 + len(data) // 1000, stdin=data)
        if r.rc != 0:
            raise RunnerError(f"sending frames in the guest on {ifname} failed", stderr=r.stderr)
        return int(r.stdout.strip() or 0)
