#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Soak: interrupt boots at random moments, count what is left; then boot N times.

1. ``--interrupts`` boots (``xdp-hints boot --nic virtio-net``: a tap and a namespace
   when run as root) are hit at a random moment (0.3-12 s) with SIGINT, SIGTERM or,
   ``--kills`` of them, SIGKILL.
2. One more boot (every start collects what dead owners left, harness.vm.leftovers).
3. Leak count: namespaces, taps and temp dirs whose owner process is gone, and
   harness QEMU processes without their owner.
4. ``--boots`` sequential boots, counting infrastructure failures.

Prints the figures; exits 1 on any leak or failure.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.vm import leftovers  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
XH = [sys.executable, "-m", "harness.cli"]


def boot_cmd() -> list[str]:
    nic = ["--nic", "virtio-net"] if os.geteuid() == 0 else []
    return [*XH, "boot", *nic]


def orphan_qemus() -> list[str]:
    """Harness QEMU processes whose owner is gone (re-parented to init)."""
    out = subprocess.run(["pgrep", "-P", "1", "-f", "qemu-system-x86_64 -name xdph-"],
                         capture_output=True, text=True).stdout.split()
    return out


def leaks() -> dict[str, list[str]]:
    """Resources of dead owners (other harness processes may run meanwhile)."""
    found = {k.name: [n for n in k.listing()
                      if (m := k.pattern.match(n)) and not leftovers.alive(int(m[1]))]
             for k in leftovers.KINDS}
    found["qemu"] = orphan_qemus()
    return found


def interrupt_once(sig: signal.Signals, rng: random.Random) -> tuple[float, int | None]:
    p = subprocess.Popen(boot_cmd(), cwd=REPO, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    at = rng.uniform(0.3, 12.0)
    time.sleep(at)
    p.send_signal(sig)
    try:
        rc = p.wait(timeout=90)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    time.sleep(0.5)  # QEMU follows a killed owner (PR_SET_PDEATHSIG)
    return at, rc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interrupts", type=int, default=20)
    ap.add_argument("--kills", type=int, default=5, help="how many of them are SIGKILL")
    ap.add_argument("--boots", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    sigs = [signal.SIGKILL] * args.kills + [
        rng.choice([signal.SIGINT, signal.SIGTERM]) for _ in range(args.interrupts - args.kills)]
    rng.shuffle(sigs)
    before = {k: len(v) for k, v in leaks().items()}
    t0 = time.monotonic()
    slow = 0
    for i, sig in enumerate(sigs, 1):
        at, rc = interrupt_once(sig, rng)
        slow += rc is None
        print(f"interrupt {i:2}/{len(sigs)}: {sig.name:7} at {at:4.1f} s -> exit {rc}",
              flush=True)
    collect = subprocess.run(boot_cmd(), cwd=REPO, capture_output=True, text=True)
    left = leaks()
    n_leaks = sum(len(v) for v in left.values())
    print(f"after {len(sigs)} interrupts ({args.kills} SIGKILL) and one more boot "
          f"(rc {collect.returncode}): {n_leaks} leaks "
          + ", ".join(f"{k} {len(v)}" for k, v in left.items())
          + f"; {slow} harness processes that did not exit within 90 s; before: {before}")
    times: list[float] = []
    failures = 0
    for i in range(1, args.boots + 1):
        t = time.monotonic()
        r = subprocess.run(boot_cmd(), cwd=REPO, capture_output=True, text=True)
        times.append(time.monotonic() - t)
        if r.returncode != 0:
            failures += 1
            tail = r.stderr.strip().splitlines()[-1:] or [""]
            print(f"boot {i}: exit {r.returncode}: {tail[0]}", flush=True)
    print(f"{args.boots} sequential boots: {failures} failures, median "
          f"{statistics.median(times):.1f} s per boot command; soak took "
          f"{time.monotonic() - t0:.0f} s")
    return 1 if n_leaks or failures or slow or collect.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
