# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints run``: boot, run every scenario, print one row per (NIC, path, field).

Exit codes: 0 every row pass / expected-unsupported / skip, 1 any fail,
2 infrastructure, 3 guest kernel crashed.  One VM carries every test NIC
asked for; each NIC runs all its paths in that VM.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from harness.commands.vm_options import BACKENDS, add_vm_args, resolve_backend, spec_from_args
from harness.errors import UsageError
from harness.progress import reporter
from harness.suite.scenario import CLI_PATHS, FAULTS, NIC_KINDS, NicScenario, Options, Scenario
from harness.verdict import report
from harness.verdict.compare import Row
from harness.vm.machine import NicSpec, running_vm

GUEST_MODULES = {"igc": "igc", "virtio-net": "virtio_net", "veth": "veth"}


def _csv(choices: tuple[str, ...], what: str) -> Any:
    def parse(text: str) -> list[str]:
        items = [t.strip() for t in text.split(",") if t.strip()]
        bad = [t for t in items if t not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(bad) or '(empty)'} (choose from {', '.join(choices)})")
        return items
    return parse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run", help="boot, check RX metadata on every NIC x path, print a verdict table",
        description="Boot a guest with the test NICs, load the BPF programs, send packets "
                    "with known ground truth and judge every (NIC, path, field): pass, fail "
                    "(expected vs observed), expected-unsupported (reason), skip (reason).",
        epilog="exit codes: 0 all pass/expected-unsupported/skip, 1 any fail, "
               "2 infrastructure error, 3 guest kernel crashed")
    add_vm_args(p, nics=False)
    p.add_argument("--nic", type=_csv(NIC_KINDS, "NIC"), metavar="KIND[,KIND]",
                   help=f"NICs under test ({', '.join(NIC_KINDS)}; default: igc and virtio-net, "
                        "igc where our QEMU build exists; veth, a pair inside the guest, only "
                        "when asked for)")
    p.add_argument("--path", type=_csv(CLI_PATHS, "path"), default=list(CLI_PATHS),
                   metavar="PATH[,PATH]",
                   help=f"paths ({', '.join(CLI_PATHS)}; default all): skb is the "
                        "driver's skb without XDP; pass adds pass-bare (the skb after an "
                        "XDP program that wrote no data_meta); veth and cpumap also report "
                        "the skb built from the frame (rows veth-skb, cpumap-skb)")
    p.add_argument("--packets", type=int, default=Options.packets, metavar="N",
                   help=f"packets per path run (default {Options.packets})")
    p.add_argument("--queues", type=int, default=2, help="queue pairs per test NIC")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="test NIC backend: tap (vnet header; needs root and a working rtnl), "
                        "socket (unix datagrams), auto = tap where usable (default)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write results as JSON")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    # test-only: load a deliberately wrong BPF program (the suite must fail it)
    p.add_argument("--test-fault", choices=FAULTS, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def default_nics() -> tuple[list[str], list[str]]:
    """(NICs this machine can offer, notes on the ones it cannot)."""
    from harness.vm import qemu_cmd
    nics, notes = ["virtio-net"], []
    try:
        qemu_cmd.find(need_igc=True)
        nics.insert(0, "igc")
    except Exception as e:  # noqa: BLE001 - reported, the other NICs still run
        notes.append(f"igc not offered: {e}")
    return nics, notes


def run_suite(vm: Any, kinds: list[str], paths: list[str], opts: Options,
              say: Any = None, out: list[Scenario] | None = None) -> list[Scenario]:
    """Every NIC in ``kinds`` x ``paths`` in the booted ``vm`` (test NICs in kind order).

    Finished NICs are appended to ``out`` as they complete (partial results survive an
    error).  An error while the guest's console shows a crash becomes GuestCrashed.
    """
    from harness.guest.runner import GuestRunner
    from harness.vm.machine import GuestCrashed
    out = [] if out is None else out
    try:
        runner = GuestRunner(vm)
        runner.install()
        by_kind = {n.kind: n for n in vm.test_nics}
        for kind in kinds:
            scn = NicScenario(vm, runner, kind, by_kind.get(kind), opts, say)
            out.append(scn.run(paths))
    except GuestCrashed:
        raise
    except Exception as e:
        console = getattr(vm, "console", None)
        if console is not None and (console.crashed.is_set() or console.crashed.wait(3)):
            raise GuestCrashed(f"guest kernel crashed during the suite ({e})",
                               list(console.crash_lines[:40])) from e
        raise
    return out


def print_table(rows: list[Row], meta: dict[str, Any]) -> None:
    print(f"kernel  {meta.get('kernel')}  ({meta.get('kernel_spec')})  accel {meta.get('accel')}"
          f"  backend {meta.get('backend')}  {meta.get('duration_s')} s")
    print(report.table(rows))
    print(report.summary_line(rows))


def run(args: argparse.Namespace) -> int:
    if args.packets < 1:
        raise UsageError("--packets must be at least 1")
    t0 = time.monotonic()
    say = reporter()
    notes: list[str] = []
    if args.nic:
        kinds = args.nic
    else:
        kinds, notes = default_nics()
    backend, why = resolve_backend(args.backend)
    if backend == "tap":
        from harness.vm import netns
        netns.require_root()
    for n in notes:
        say(n)
    args.nic = []
    spec = spec_from_args(args)
    spec.nics = [NicSpec(kind=k, queues=args.queues, backend=backend)
                 for k in kinds if k != "veth"]
    mods = ",".join(dict.fromkeys([GUEST_MODULES[k] for k in kinds] + ["veth", "8021q"]))
    spec.append = " ".join(x for x in (spec.append, f"xdph.modules={mods}") if x)
    opts = Options(packets=args.packets, fault=args.test_fault)
    meta: dict[str, Any] = {"kernel_spec": args.kernel, "backend": backend,
                            "backend_reason": why, "nics": kinds, "paths": args.path,
                            "packets_per_run": args.packets, "notes": notes}
    scenarios: list[Scenario] = []
    try:
        with running_vm(spec, progress=say) as vm:
            meta.update(kernel=vm.release, accel=vm.accel.name, boot_s=round(vm.boot_s, 1),
                        serial_log=str(vm.serial_log))
            run_suite(vm, kinds, args.path, opts, say, scenarios)
            meta["console_warnings"] = list(vm.console.warnings)
    except Exception as e:
        # CI still gets a machine-readable file: what finished, and why the rest did not
        meta["error"] = f"{type(e).__name__}: {e}"
        meta["error_detail"] = list(getattr(e, "detail", []))
        meta["duration_s"] = round(time.monotonic() - t0, 1)
        partial = [r for s in scenarios for r in s.rows]
        if args.json:
            report.write_json(args.json, partial, meta)
        if args.junit:
            report.write_junit(args.junit, partial, meta)
        raise
    rows = [r for s in scenarios for r in s.rows]
    meta["duration_s"] = round(time.monotonic() - t0, 1)
    meta["packets_sent"] = sum(st.packets for s in scenarios for st in s.stats)
    meta["facts"] = {s.nic: s.facts for s in scenarios}
    meta["runs"] = [vars(st) for s in scenarios for st in s.stats]
    if args.test_fault:
        meta["test_fault"] = args.test_fault
    print_table(rows, meta)
    if args.json:
        report.write_json(args.json, rows, meta)
    if args.junit:
        report.write_junit(args.junit, rows, meta)
    sys.stdout.flush()
    return report.exit_code(rows)
