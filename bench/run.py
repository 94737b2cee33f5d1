#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Suite benchmark: wall time of ``xdp-hints run`` vs ``xdp-hints boot`` on one kernel.

(a) wall seconds of the default ``xdp-hints run`` (every NIC, every path) as a
    user runs it (separate process, cache warm);
(b) wall seconds of ``xdp-hints boot`` (boot, report, shut down) on the same kernel;
(c) suite overhead ratio a/b;
(d) packets checked per second: observations judged (sum of ``checked`` over
    every row) / (a - b), i.e. per second of suite work beyond the boot.
Medians of N runs (default 3).  Extra arguments after ``--`` go to ``run``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
XH = [sys.executable, "-m", "harness.cli"]


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.monotonic()
    p = subprocess.run([*XH, *argv], capture_output=True, text=True, cwd=REPO, timeout=3600)
    return time.monotonic() - t0, p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default="debian:sid")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("run_args", nargs="*", help="extra `xdp-hints run` arguments (after --)")
    args = ap.parse_args()
    runs, boots, checked, rows, packets = [], [], 0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            js = Path(tmp) / f"run{i}.json"
            t, p = timed(["run", "--kernel", args.kernel, "--json", str(js), *args.run_args])
            if p.returncode not in (0, 1) or not js.exists():
                raise SystemExit(f"xdp-hints run failed (rc {p.returncode}):\n{p.stderr[-3000:]}")
            runs.append(t)
            doc = json.loads(js.read_text())
            checked = sum(r["checked"] for r in doc["results"])
            rows, packets = len(doc["results"]), doc.get("packets_sent", 0)
            nics, backend = doc.get("nics"), doc.get("backend")
            t, p = timed(["boot", "--kernel", args.kernel])
            if p.returncode != 0:
                raise SystemExit(f"xdp-hints boot failed (rc {p.returncode}):\n{p.stderr[-3000:]}")
            boots.append(t)
    a, b = statistics.median(runs), statistics.median(boots)
    res = {"kernel": args.kernel, "runs": args.runs, "nics": nics, "backend": backend,
           "rows": rows, "packets_sent": packets, "observations_checked": checked,
           "run_s": round(a, 1), "boot_s": round(b, 1), "overhead_ratio": round(a / b, 2),
           "checked_per_s": round(checked / max(a - b, 1e-9), 1),
           "sent_per_s": round(packets / max(a - b, 1e-9), 1),
           "run_all": [round(x, 1) for x in runs], "boot_all": [round(x, 1) for x in boots]}
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"(a) xdp-hints run  (NICs {','.join(nics or [])}, {backend} backend, {rows} rows) "
              f"{res['run_s']:7.1f} s  {res['run_all']}")
        print(f"(b) xdp-hints boot                       {res['boot_s']:7.1f} s  "
              f"{res['boot_all']}")
        print(f"(c) suite overhead ratio a/b             {res['overhead_ratio']:7.2f}")
        print(f"(d) observations checked per second of suite work (a-b): "
              f"{res['checked_per_s']} ({checked} checked, {packets} packets sent: "
              f"{res['sent_per_s']} packets/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
