# SPDX-License-Identifier: GPL-2.0-or-later
"""Choose the accelerator: KVM only when a probe VM really runs under it, else TCG.

``/dev/kvm`` existing is not enough (e.g. a PVM hypervisor that cannot run
stock kernels): the probe boots the kernel with the initramfs's ``/floor``
(power off at once) under KVM and requires the floor marker and a clean exit.
The verdict is cached per host boot and kernel.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from harness.paths import cache_dir

PROBE_TIMEOUT_S = 30
FLOOR_MARKER = "XDP-HINTS-FLOOR"


@dataclass(frozen=True)
class Accel:
    name: str          # "kvm" or "tcg"
    args: list[str]    # QEMU arguments
    slowdown: float    # timeout multiplier relative to KVM
    reason: str        # why this one


def _tcg() -> Accel:
    """TCG, single-threaded unless ``XDP_HINTS_TCG_THREAD=multi``.

    Multi-threaded TCG was ~7% faster to boot here, but once in ~150 boots the
    guest oopsed on an ``int3`` at a just-patched static-key site (a vCPU ran the
    stale text_poke breakpoint after patching completed). One thread runs the
    vCPUs in turn, so code patching is coherent: no false "kernel crashed".
    """
    thread = "multi" if os.environ.get("XDP_HINTS_TCG_THREAD") == "multi" else "single"
    return Accel("tcg", ["-accel", f"tcg,thread={thread}", "-cpu", "max"], 8.0, "")

KVM = Accel("kvm", ["-accel", "kvm", "-cpu", "host"], 1.0, "")


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def choose(qemu: Path, kernel: Path, initramfs: Path | None) -> Accel:
    """KVM if it demonstrably works here for this kernel, else TCG (with the reason)."""
    tcg = _tcg()
    forced = os.environ.get("XDP_HINTS_ACCEL")
    if forced == "tcg":
        return replace(tcg, reason="XDP_HINTS_ACCEL=tcg")
    if not os.path.exists("/dev/kvm"):
        return replace(tcg, reason="no /dev/kvm")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):  # users get KVM through the kvm group
        return replace(tcg, reason="/dev/kvm is not open to this user (join the kvm group)")
    if initramfs is None:
        return replace(tcg, reason="no initramfs to probe KVM with")
    cache = cache_dir() / "accel-probe.json"
    key = f"{_boot_id()}:{qemu}:{kernel}"
    verdicts = json.loads(cache.read_text()) if cache.exists() else {}
    if key not in verdicts:
        verdicts[key] = _probe(qemu, kernel, initramfs)
        cache.write_text(json.dumps(verdicts))
    ok, why = verdicts[key]
    if ok:
        return replace(KVM, reason="probe VM ran under KVM")
    return replace(tcg, reason=f"KVM probe failed: {why}")


def _probe(qemu: Path, kernel: Path, initramfs: Path) -> tuple[bool, str]:
    cmd = [str(qemu), "-machine", "q35", *KVM.args, "-m", "256", "-nodefaults",
           "-display", "none", "-no-reboot", "-serial", "stdio", "-kernel", str(kernel),
           "-initrd", str(initramfs), "-append", "console=ttyS0 rdinit=/floor panic=-1 quiet"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f"probe VM did not power off within {PROBE_TIMEOUT_S} s"
    out = p.stdout + p.stderr
    if FLOOR_MARKER in out and p.returncode == 0:
        return True, ""
    last = [ln for ln in out.splitlines() if ln.strip()][-1:] or ["no output"]
    return False, last[0][:160]
