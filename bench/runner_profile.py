#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where one runner invocation's seconds go: ``xdp-hints run`` with timestamps.

Runs ``xdp-hints run ARGS`` in this process with the guest runner's step
timestamps on (``XH_TIMING=1``: CLOCK_MONOTONIC marks on its stderr, libbpf's
messages included) and the host side's phases timed per invocation:

- host: start (SSH: spawn the runner) + ready wait, send, wait for the last
  point, stop (SIGTERM, detach, read the records), the rest (plan, compare);
- guest: kernel probe (vmlinux BTF), object open, load (libbpf + verifier for
  every program loaded), held (a runner loaded during the invocation before
  it, ``--hold``: from its load until released), wiring (maps, veth, cpumap probe, AF_XDP sockets),
  attach (TC, ring buffer, hwtstamp, XDP), and teardown.

Prints one line per invocation and the medians; ``--json FILE`` keeps it all.
Extra arguments after ``--`` go to ``run`` (default: the default run).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MARK = re.compile(r"^xh-timing\s+([\d.]+) (.*)$")
#: guest steps: (name, mark that ends it); each starts where the previous ended
STEPS = (("exec+setup", "setup"), ("probe_btf", "probe_kernel done"),
         ("open", "open done, load"), ("load", "load done"), ("held", "released"),
         ("wire", "wired"),
         ("attach_tc+rb", "tc attached"), ("hwtstamp", "hwtstamp"), ("attach_xdp", "ready"))


def guest_steps(stderr: str) -> dict[str, float]:
    """{step: ms} from the runner's XH_TIMING marks."""
    marks: dict[str, float] = {}
    for line in stderr.splitlines():
        m = MARK.match(line.strip())
        if m and not m.group(2).startswith("libbpf"):
            marks.setdefault(m.group(2), float(m.group(1)))
    out: dict[str, float] = {}
    prev = 0.0
    for name, mark in STEPS:
        if mark in marks:
            out[name] = round(marks[mark] - prev, 1)
            prev = marks[mark]
    if "stop" in marks and "exit" in marks:
        out["teardown"] = round(marks["exit"] - marks["stop"], 1)
    return out


VLOG = re.compile(r"prog '(\w+)': -- BEGIN PROG LOAD LOG --(.*?)-- END PROG LOAD LOG --", re.S)
VTIME = re.compile(r"verification time (\d+) usec")
VINSNS = re.compile(r"processed (\d+) insns .*?total_states (\d+) peak_states (\d+)")


def print_vstats(prof: list[dict]) -> None:
    """Per invocation and program: verification ms, processed insns, states."""
    print(f"\n{'nic':11s} {'run':11s} {'program':16s} {'verify ms':>9s} {'insns':>8s} "
          f"{'states':>7s} {'peak':>6s}")
    total = 0.0
    for p in prof:
        for prog, log in VLOG.findall(p["stderr"]):
            t, n = VTIME.search(log), VINSNS.search(log)
            ms = int(t.group(1)) / 1e3 if t else float("nan")
            total += ms if t else 0.0
            ins, states, peak = n.groups() if n else ("?", "?", "?")
            print(f"{p['nic']:11s} {p['run']:11s} {prog:16s} {ms:9.0f} {ins:>8s} "
                  f"{states:>7s} {peak:>6s}")
    print(f"verification in all: {total / 1e3:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write every invocation's figures here")
    ap.add_argument("--run-json", type=Path, help="keep the run's own --json output here")
    ap.add_argument("--vstats", action="store_true",
                    help="also print the verifier's statistics per program (XH_VSTATS)")
    ap.add_argument("run_args", nargs="*", help="`xdp-hints run` arguments (after --)")
    args = ap.parse_args()

    from harness import cli
    from harness.guest import runner as runner_mod
    from harness.suite import scenario as scn_mod

    prof: list[dict] = []
    cur: dict = {}
    orig_init = runner_mod.GuestRunner.__init__
    orig_observe = runner_mod.GuestRunner.observe
    orig_release = runner_mod.Observation.release
    orig_wait = runner_mod.Observation.wait_for
    orig_stop = runner_mod.Observation.stop
    orig_run_one = scn_mod.NicScenario.run_one

    def init(self, *a, **kw):  # type: ignore[no-untyped-def]
        orig_init(self, *a, **kw)
        self.env["XH_TIMING"] = "1"
        if args.vstats:
            self.env["XH_VSTATS"] = "1"

    def timed(key, fn):  # type: ignore[no-untyped-def]
        def wrap(*a, **kw):  # type: ignore[no-untyped-def]
            t0 = time.monotonic()
            try:
                return fn(*a, **kw)
            finally:
                cur[key] = cur.get(key, 0.0) + time.monotonic() - t0
        return wrap

    def stop(self, *a, **kw):  # type: ignore[no-untyped-def]
        timed("stop", orig_stop)(self, *a, **kw)
        cur["guest"] = guest_steps(self.stderr)
        cur["records"] = len(self.records)
        cur["stderr"] = self.stderr

    def run_one(self, run, paths, nxt=None):  # type: ignore[no-untyped-def]
        cur.clear()
        t0 = time.monotonic()
        res = orig_run_one(self, run, paths, nxt=nxt)
        host = {k: round(cur.get(k, 0.0), 3) for k in ("start+ready", "wait", "stop")}
        total = time.monotonic() - t0
        host["send+rest"] = round(total - sum(host.values()), 3)
        prof.append({"nic": self.kind.name, "run": run, "total_s": round(total, 3),
                     "host": host, "guest_ms": cur.get("guest", {}),
                     "stderr": cur.get("stderr", "")})
        return res

    runner_mod.GuestRunner.__init__ = init  # type: ignore[method-assign]
    runner_mod.GuestRunner.observe = timed("start+ready", orig_observe)  # type: ignore
    runner_mod.Observation.release = timed("start+ready", orig_release)  # type: ignore
    runner_mod.Observation.wait_for = timed("wait", orig_wait)  # type: ignore[method-assign]
    runner_mod.Observation.stop = stop  # type: ignore[method-assign]
    scn_mod.NicScenario.run_one = run_one  # type: ignore[method-assign]

    with tempfile.TemporaryDirectory() as tmp:
        out = args.run_json or Path(tmp) / "run.json"
        t0 = time.monotonic()
        rc = cli.main(["run", "--json", str(out), *args.run_args])
        wall = time.monotonic() - t0
        doc = json.loads(out.read_text()) if out.exists() else {}
    print(f"\nrun rc {rc}, wall {wall:.1f} s, boot {doc.get('boot_s')} s, "
          f"duration {doc.get('duration_s')} s, {len(prof)} invocations")
    cols = ("start+ready", "wait", "stop", "send+rest")
    gcols = [s for s, _ in STEPS] + ["teardown"]
    print(f"{'nic':11s} {'run':11s} {'total':>6s} " + " ".join(f"{c:>10s}" for c in cols)
          + " | " + " ".join(f"{c[:10]:>10s}" for c in gcols))
    for p in prof:
        print(f"{p['nic']:11s} {p['run']:11s} {p['total_s']:6.2f} "
              + " ".join(f"{p['host'][c]:10.2f}" for c in cols) + " | "
              + " ".join(f"{p['guest_ms'].get(c, float('nan')):10.0f}" for c in gcols))
    med = {c: statistics.median(p["host"][c] for p in prof) for c in cols} if prof else {}
    gmed = {c: statistics.median(p["guest_ms"].get(c, 0.0) for p in prof) for c in gcols} \
        if prof else {}
    print(f"{'median':23s} " + " ".join(f"{med.get(c, 0):10.2f}" for c in cols) + " | "
          + " ".join(f"{gmed.get(c, 0):10.0f}" for c in gcols))
    if args.vstats:
        print_vstats(prof)
    if args.json:
        args.json.write_text(json.dumps({"rc": rc, "wall_s": wall, "boot_s": doc.get("boot_s"),
                                         "duration_s": doc.get("duration_s"),
                                         "invocations": prof}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
