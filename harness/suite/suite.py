# SPDX-License-Identifier: GPL-2.0-or-later
"""The whole suite in one booted VM: every NIC kind asked for x every path.

    with running_vm(spec) as vm:
        scenarios = run_suite(vm, ["igc", "virtio-net"], list(CLI_PATHS), Options())
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import nics
from harness.artifacts.bpf_build import BpfArtifacts
from harness.guest.runner import GuestRunner
from harness.progress import Emit, quiet
from harness.suite.scenario import NicScenario, Options, Scenario
from harness.vm.machine import GuestCrashed, raise_if_crashed

#: modules the suite's paths need in the guest besides the NICs' drivers
#: (veth: the veth path; 8021q: VLAN filters for the plan's VIDs)
SUITE_MODULES = ("veth", "8021q")


def default_kinds(qemu: Path | None = None) -> tuple[list[str], list[str]]:
    """(NIC kinds this machine can offer by default, notes on the ones it cannot).

    ``qemu``: the binary ``--qemu`` names (it alone is asked, as the boot will use it)."""
    from harness.vm import qemu_cmd
    kinds, notes = [], []
    for name in nics.DEFAULT_KINDS:
        dev = nics.get(name).qemu_device
        try:
            qemu_cmd.find(devices=[dev] if dev else [], override=qemu)
            kinds.append(name)
        except Exception as e:  # noqa: BLE001 - reported, the other NICs still run
            notes.append(f"{name} not offered: {e}")
    return kinds, notes


def run_suite(vm: Any, kinds: Sequence[str], paths: Sequence[str], opts: Options,
              emit: Emit = quiet, out: list[Scenario] | None = None,
              artifacts: BpfArtifacts | None = None) -> list[Scenario]:
    """Every NIC in ``kinds`` x ``paths`` in the booted ``vm`` (test NICs matched by kind).

    Finished NICs are appended to ``out`` as they complete (partial results survive an
    error).  An error while the guest's console shows a crash becomes GuestCrashed.
    """
    out = [] if out is None else out
    try:
        runner = GuestRunner(vm, artifacts)
        runner.install()
        by_kind = {n.kind: n for n in vm.test_nics}
        for kind in kinds:
            scn = NicScenario(vm, runner, kind, by_kind.get(kind), opts, emit)
            out.append(scn.run(paths))
    except GuestCrashed:
        raise
    except Exception as e:
        raise_if_crashed(vm, "during the suite", wait_s=3, cause=e)
        raise
    return out
