# SPDX-License-Identifier: GPL-2.0-or-later
"""Test-only faults: BPF objects built wrong on purpose (the suite must fail them).

``hash+1``: the device-bound program reports the RX hash plus one
(``-DXH_FAULT_HASH_PLUS_ONE``).

Faults of the NIC model instead of the BPF object (:data:`MODEL_FAULTS`):
``faults-undelivered``: path ``faults`` tells the igc model to fault nothing while
the oracle still expects the chosen faults (harness.nics.igc.UNDELIVERED).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from harness.artifacts import bpf_build
from harness.paths import cache_dir

FAULTS: dict[str, str] = {"hash+1": "XH_FAULT_HASH_PLUS_ONE"}
MODEL_FAULTS: tuple[str, ...] = ("faults-undelivered",)


def fault_object(fault: str) -> Path:
    """The BPF object built with the fault's define (cached per sources and flags)."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")
    define = FAULTS[fault]
    out = cache_dir() / "guest-bpf" / f"fault-{bpf_build.build_key()}-{define}.bpf.o"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    cmd = ["clang", *bpf_build.BPF_CFLAGS, *bpf_build._multiarch_include(),
           f"-D{define}", "-I", str(bpf_build.SRC_DIR), "-c",
           str(bpf_build.SRC_DIR / bpf_build.BPF_SOURCE), "-o", str(tmp)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise bpf_build.BpfBuildError(f"fault build failed: {p.stderr}")
    tmp.rename(out)
    return out
