#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Kernel build benchmark: cold lean build, incremental rebuild, boot vs Debian's kernel.

(a) cold build of SOURCE (default debian:sid-source) with the lean config: a fresh
    build directory and an empty ccache (both temporary; the shared cache is not
    touched except that the result replaces its kernels/ entry);
(b) incremental rebuild after a one-line change to one ``drivers/net`` .c file
    (a patch adding a comment to ``drivers/net/veth.c``), in the same build directory;
(c) QEMU start to SSH ready for the built kernel vs Debian's (``--debian``, default
    debian:sid), medians of N boots each (default 2), in the same run.
``--skip-cold`` measures (b) and (c) against the shared build directory; ``--work DIR``
keeps the cold build directory and ccache in DIR (for later builds to reuse);
``--boots 0`` skips (c).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.artifacts import kernel_build, kernel_source  # noqa: E402
from harness.vm.machine import VMSpec, running_vm  # noqa: E402

TOUCHED = "drivers/net/veth.c"


def one_line_patch(tree: Path, rel: str, dest: Path) -> Path:
    old = (tree / rel).read_text().splitlines(keepends=True)
    new = old + [f"/* bench {time.time()} */\n"]  # at the end: never inside a comment
    dest.write_text("".join(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}")))
    return dest


def boot_s(kernel: str, patches: list[Path], log_dir: Path) -> float:
    with running_vm(VMSpec(kernel=kernel, patches=patches, log_dir=log_dir)) as vm:
        return vm.boot_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="debian:sid-source")
    ap.add_argument("--debian", default="debian:sid")
    ap.add_argument("--boots", type=int, default=2)
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--work", type=Path, help="keep the cold build dir and ccache here")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    res: dict = {"source": args.source, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="xdph-kbench-") as tmp:
        t = Path(tmp)
        if args.work and not args.skip_cold:
            if args.work.exists() and any(args.work.iterdir()):
                ap.error(f"--work {args.work} is not empty: the cold build needs an empty one")
            t = args.work.resolve()
            t.mkdir(parents=True, exist_ok=True)
        if not args.skip_cold:
            os.environ["XDP_HINTS_KBUILD_ROOT"] = str(t / "kbuild")
            os.environ["XDP_HINTS_CCACHE_DIR"] = str(t / "ccache")
        tree = kernel_source.resolve(args.source).tree
        cold = kernel_build.build(kernel_build.BuildRequest(args.source), force=True)
        res["cold_s"] = round(cold.seconds, 1)
        res["cold_stages"] = cold.stages
        res["cold_objects"] = cold.compiled
        patch = one_line_patch(tree, TOUCHED, t / "touch.patch")
        inc = kernel_build.build(kernel_build.BuildRequest(args.source, (patch,)), force=True)
        res["incremental_s"] = round(inc.seconds, 1)
        res["incremental_stages"] = inc.stages
        res["incremental_objects"] = inc.compiled
        res["touched"] = TOUCHED
        built, debian = [], []
        for i in range(args.boots):
            built.append(boot_s(args.source, [], t / f"b{i}"))
            debian.append(boot_s(args.debian, [], t / f"d{i}"))
        if args.boots:
            res["boot_built_s"] = round(statistics.median(built), 1)
            res["boot_debian_s"] = round(statistics.median(debian), 1)
            res["boot_all"] = {"built": [round(x, 1) for x in built],
                               "debian": [round(x, 1) for x in debian]}
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        cold_what = "(shared build dir, not cold)" if args.skip_cold else "(empty ccache)"
        print(f"(a) cold build {args.source}    {res['cold_s']:7.1f} s  {cold_what}  "
              f"{res['cold_objects']} objects  stages {res['cold_stages']}")
        print(f"(b) incremental, {TOUCHED} changed  {res['incremental_s']:7.1f} s  "
              f"{res['incremental_objects']} objects  stages {res['incremental_stages']}")
        if args.boots:
            print(f"(c) QEMU start -> SSH: built {res['boot_built_s']:.1f} s vs {args.debian} "
                  f"{res['boot_debian_s']:.1f} s  {res['boot_all']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
