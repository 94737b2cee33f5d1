# SPDX-License-Identifier: GPL-2.0-or-later
"""Test-only faults: BPF objects built wrong on purpose (the suite must fail them).

``hash+1``: the device-bound program reports the RX hash plus one
(``-DXH_FAULT_HASH_PLUS_ONE``).
``tc-meta-byte``: the TC helper chain's first program flips one metadata byte
after its helper (``xh_tc_helpers.bpf.c -DXH_FAULT_TC_META_BYTE``).
``stk-meta-byte``: the stacked-device reader flips one metadata byte before reading
it (``xh_stacked.bpf.c -DXH_FAULT_STK_META_BYTE``).

Faults of the NIC model instead of the BPF object (:data:`MODEL_FAULTS`):
``faults-undelivered``: path ``faults`` tells the igc model to fault nothing while
the oracle still expects the chosen faults (harness.nics.igc.UNDELIVERED).
``rx-filters-off``: the igc model ignores the receive queue filters the guest
programmed (``run --rx-rule``) while the oracle still expects them: queue rows fail.

A fault of the guest kernel (:data:`GUEST_FAULTS`): ``guest-panic`` panics the
guest (sysrq ``c``) once the first NIC is prepared: a real kernel panic for the
crash path end to end (exit 3, a matrix cell ``crash`` with its panic lines).
"""

from __future__ import annotations

from pathlib import Path

from harness.artifacts import bpf_build

#: fault -> (its define, the BPF source built with it)
FAULTS: dict[str, tuple[str, str]] = {
    "hash+1": ("XH_FAULT_HASH_PLUS_ONE", bpf_build.BPF_SOURCE),
    "tc-meta-byte": ("XH_FAULT_TC_META_BYTE", bpf_build.TCH_SOURCE),
    "stk-meta-byte": ("XH_FAULT_STK_META_BYTE", bpf_build.STK_SOURCE),
}


def fault_is_tc_chain(fault: str) -> bool:
    """Whether the fault's object replaces the TC helper chain (not the main object)."""
    return FAULTS[fault][1] == bpf_build.TCH_SOURCE


def fault_is_upper(fault: str) -> bool:
    """Whether the fault's object replaces the stacked-device reader."""
    return FAULTS[fault][1] == bpf_build.STK_SOURCE
MODEL_FAULTS: tuple[str, ...] = ("faults-undelivered", "rx-filters-off")
GUEST_FAULTS: tuple[str, ...] = ("guest-panic",)
#: every test fault, as ``run --test-fault`` and a matrix's ``test_fault`` take them
ALL_FAULTS: tuple[str, ...] = (*FAULTS, *MODEL_FAULTS, *GUEST_FAULTS)


def fault_object(fault: str) -> Path:
    """The BPF object built with the fault's define (cached per sources and flags)."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")
    define, source = FAULTS[fault]
    return bpf_build.build_object(bpf_build.SRC_DIR / source, (define,),
                                  name=f"fault-{define}")
