# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints boot``: boot a kernel, report what came up, shut down."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from harness import nics
from harness.commands.vm_options import add_vm_args, spec_from_args
from harness.nics import info as nicinfo
from harness.progress import renderer
from harness.vm.machine import VM, running_vm


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("boot", help="boot a kernel in QEMU, report, shut down",
                       description="Boot a guest, wait for SSH, report kernel, accelerator, "
                                   "boot time and test NICs, then shut down.")
    add_vm_args(p, nics.qemu_kinds(), "; default: none")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def report(vm: VM) -> dict[str, Any]:
    release = vm.ssh.check("uname -r", timeout=30).strip()
    return {
        "kernel_release": release,
        "kernel_spec": vm.kernel.spec,
        "accel": vm.accel.name,
        "accel_reason": vm.accel.reason,
        "boot_s": round(vm.boot_s, 2),
        "ready_s": round(vm.ready_s, 2) if vm.ready_s is not None else None,
        "qemu": str(vm.qemu.binary),
        "serial_log": str(vm.serial_log),
        "nics": nicinfo.describe(vm),
        "console_warnings": list(vm.console.warnings),
    }


def print_summary(rep: dict[str, Any]) -> None:
    print(f"kernel   {rep['kernel_release']}  ({rep['kernel_spec']})")
    why = f"  ({rep['accel_reason']})" if rep["accel_reason"] else ""
    print(f"accel    {rep['accel']}{why}")
    print(f"boot     {rep['boot_s']:.1f} s from QEMU start to SSH ready "
          f"(guest ready marker at {rep['ready_s']} s)")
    print(f"qemu     {rep['qemu']}")
    print(f"serial   {rep['serial_log']}")
    for nic in rep["nics"]:
        meta = ",".join(nic.get("xdp_rx_metadata_features", [])) or "none"
        print(f"nic      {nic['name']}  {nic['kind']}  driver={nic.get('driver')}  "
              f"speed={nic.get('speed_mbps')}  "
              f"rxhash={nic.get('features', {}).get('receive-hashing')}  "
              f"xdp-rx-metadata={meta}  queues={nic.get('queues')}")
    for w in rep["console_warnings"]:
        print(f"warning  {w}")


def run(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    with running_vm(spec, emit=renderer()) as vm:
        rep = report(vm)
    if args.json:
        json.dump(rep, sys.stdout, indent=2)
        print()
    else:
        print_summary(rep)
    return 0
