#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Matrix benchmark: cells per hour with -j1 and -j2, memory per VM, run/boot ratio.

Runs ``xdp-hints matrix FILE`` (default matrix/nightly.toml: every Debian suite, every
NIC, every path) once per ``-j`` value, as a user runs it (separate process, cache
warm), and prints:

(a) cells per hour for each -j (cells / wall time of the whole matrix), with the cells'
    statuses (a cell that failed still counts: read them before the rate);
(b) memory per VM: the peak resident set of each QEMU process (sampled every 0.5 s),
    median and max over the VMs;
(c) the default run's ratio to a boot: per cell, ``duration_s`` (the whole ``run``:
    boot + suite + teardown) / ``boot_s`` (QEMU start to SSH), median over cells.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
XH = [sys.executable, "-m", "harness.cli"]


def qemu_rss() -> dict[int, int]:
    """{pid: RSS kB} of every qemu-system process."""
    out = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if not (proc / "comm").read_text().startswith("qemu-system"):
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[int(proc.name)] = int(line.split()[1])
        except OSError:
            continue
    return out


def run_matrix(matrix: Path, jobs: int, out: Path, cells: str | None) -> tuple[float, dict, list]:
    """(wall seconds, {qemu pid: peak RSS kB}, cell documents)."""
    peaks: dict[int, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            for pid, rss in qemu_rss().items():
                peaks[pid] = max(rss, peaks.get(pid, 0))

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.monotonic()
    argv = [*XH, "matrix", str(matrix), "-j", str(jobs), "--out", str(out)]
    if cells:
        argv += ["--cells", cells]
    p = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=4 * 3600)
    wall = time.monotonic() - t0
    done.set()
    t.join()
    if p.returncode not in (0, 1):
        raise SystemExit(f"matrix -j{jobs} failed (rc {p.returncode}):\n"
                         f"{p.stdout}\n{p.stderr[-3000:]}")
    docs = [json.loads(f.read_text()) for f in sorted(out.glob("*/cell.json"))]
    return wall, peaks, docs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--matrix", type=Path, default=REPO / "matrix/nightly.toml")
    ap.add_argument("--jobs", default="1,2", help="comma-separated -j values (default 1,2)")
    ap.add_argument("--cells", help="only these cells (comma-separated ids)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    res: dict = {"matrix": str(args.matrix), "per_j": {}}
    all_peaks: list[int] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for j in (int(x) for x in args.jobs.split(",")):
            wall, peaks, docs = run_matrix(args.matrix, j, Path(tmp) / f"j{j}", args.cells)
            res["per_j"][j] = {"cells": len(docs), "wall_s": round(wall, 1),
                               "cells_per_hour": round(len(docs) * 3600 / wall, 1),
                               "statuses": {d["cell_id"]: d["status"] for d in docs}}
            all_peaks += list(peaks.values())
            ratios += [d["duration_s"] / d["boot_s"] for d in docs
                       if d.get("duration_s") and d.get("boot_s")]
            res["accel"] = sorted({d.get("accel") for d in docs if d.get("accel")})
    res["vm_rss_mb"] = {"median": round(statistics.median(all_peaks) / 1024),
                        "max": round(max(all_peaks) / 1024), "vms": len(all_peaks)} \
        if all_peaks else None
    res["run_to_boot_ratio"] = round(statistics.median(ratios), 2) if ratios else None
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    for j, r in res["per_j"].items():
        verdicts = Counter(r["statuses"].values())
        print(f"-j{j}: {r['cells']} cells in {r['wall_s']} s = {r['cells_per_hour']} cells/hour "
              f"({', '.join(f'{k} {n}' for k, n in sorted(verdicts.items()))})")
    if res["vm_rss_mb"]:
        m = res["vm_rss_mb"]
        print(f"memory per VM (QEMU peak RSS): median {m['median']} MB, max {m['max']} MB "
              f"over {m['vms']} VMs")
    print(f"default run / boot (per cell, median): {res['run_to_boot_ratio']}  "
          f"(accel {', '.join(res.get('accel', []))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
