#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot benchmark for the default kernel: harness boot vs the bare-boot floor.

(a) seconds from QEMU start to SSH ready (``running_vm``'s ``boot_s``);
(b) seconds for the same QEMU command line, kernel and initramfs to boot into
    ``/floor``, a trivial init that powers off at once (QEMU start to exit);
(c) the ratio a/b. Medians of N runs (default 3).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.vm.machine import VMSpec, running_vm  # noqa: E402


def harness_boot(kernel: str, log_dir: Path) -> float:
    with running_vm(VMSpec(kernel=kernel, log_dir=log_dir)) as vm:
        return vm.boot_s


def floor_boot(argv: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        argv = list(argv)
        argv[argv.index("-qmp") + 1] = f"unix:{tmp}/qmp.sock,server=on,wait=off"
        argv[argv.index("-append") + 1] += " rdinit=/floor"
        t0 = time.monotonic()
        p = subprocess.run(argv, capture_output=True, text=True, timeout=600,
                           stdin=subprocess.DEVNULL, env={"TMPDIR": tmp, "PATH": "/usr/bin:/bin"})
        elapsed = time.monotonic() - t0
        if "XDP-HINTS-FLOOR" not in p.stdout:
            raise SystemExit(f"floor boot did not reach /floor:\n{p.stdout[-2000:]}{p.stderr}")
        return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default="debian:sid")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    a, b = [], []
    with tempfile.TemporaryDirectory() as logs:
        for i in range(args.runs):
            log_dir = Path(logs) / str(i)
            a.append(harness_boot(args.kernel, log_dir))
            argv = json.loads((log_dir / "qemu-cmdline.json").read_text())
            b.append(floor_boot(argv))
    res = {"kernel": args.kernel, "runs": args.runs,
           "ssh_ready_s": round(statistics.median(a), 2),
           "floor_s": round(statistics.median(b), 2),
           "ratio": round(statistics.median(a) / statistics.median(b), 2),
           "ssh_ready_all": [round(x, 2) for x in a], "floor_all": [round(x, 2) for x in b]}
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"(a) QEMU start -> SSH ready     {res['ssh_ready_s']:6.2f} s  "
              f"{res['ssh_ready_all']}")
        print(f"(b) QEMU start -> /floor exit   {res['floor_s']:6.2f} s  {res['floor_all']}")
        print(f"(c) ratio a/b                   {res['ratio']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
