# SPDX-License-Identifier: GPL-2.0-or-later
"""Test-only faults: BPF objects built wrong on purpose (the suite must fail them).

``hash+1``: the device-bound program reports the RX hash plus one
(``-DXH_FAULT_HASH_PLUS_ONE``).
``tc-meta-byte``: the TC helper chain's first program flips one metadata byte
after its helper (``xh_tc_helpers.bpf.c -DXH_FAULT_TC_META_BYTE``).
"""

from __future__ import annotations

from pathlib import Path

from harness.artifacts import bpf_build

#: fault -> (its define, the BPF source built with it)
FAULTS: dict[str, tuple[str, str]] = {
    "hash+1": ("XH_FAULT_HASH_PLUS_ONE", bpf_build.BPF_SOURCE),
    "tc-meta-byte": ("XH_FAULT_TC_META_BYTE", bpf_build.TCH_SOURCE),
}


def fault_is_tc_chain(fault: str) -> bool:
    """Whether the fault's object replaces the TC helper chain (not the main object)."""
    return FAULTS[fault][1] == bpf_build.TCH_SOURCE


def fault_object(fault: str) -> Path:
    """The BPF object built with the fault's define (cached per sources and flags)."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")
    define, source = FAULTS[fault]
    return bpf_build.build_object(bpf_build.SRC_DIR / source, (define,),
                                  name=f"fault-{define}")
