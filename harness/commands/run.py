# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints run``: boot, run every scenario, print a verdict per (NIC, path, field).

The terminal gets the matrix view (harness.verdict.view), or with ``--table`` one
line per row.

Exit codes: 0 every row pass / expected-unsupported / known-bug / skip, 1 any fail,
2 infrastructure, 3 guest kernel crashed.  One VM carries every test NIC
asked for; each NIC runs all its paths in that VM.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from harness import nics
from harness.artifacts import bpf_build
from harness.commands.vm_options import (
    add_vm_args,
    check_kernel_args,
    csv_of,
    resolve_backend,
    spec_from_args,
)
from harness.errors import HarnessError, UsageError
from harness.guest.program import user_program
from harness.nics.base import CLI_PATHS, DEFAULT_PATHS, OPT_IN_PATHS
from harness.progress import Emit, Note, renderer
from harness.suite import baseline
from harness.suite.faults import ALL_FAULTS
from harness.suite.scenario import Options, Scenario
from harness.suite.suite import SUITE_MODULES, default_kinds, run_suite
from harness.verdict import diff, ktap, report, view
from harness.verdict.compare import Row
from harness.vm.machine import GuestCrashed, running_vm


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run", help="boot, check RX metadata on every NIC x path, print the verdicts",
        description="Boot a guest with the test NICs, load the BPF programs, send packets "
                    "with known ground truth and judge every (NIC, path, field): pass, fail "
                    "(expected vs observed), expected-unsupported (reason), known-bug (a wrong "
                    "value for a kernel bug a rule cites: docs/kernel-bugs.md), skip (reason).",
        epilog="exit codes: 0 all pass/expected-unsupported/known-bug/skip, 1 any fail, "
               "2 infrastructure error, 3 guest kernel crashed")
    add_vm_args(p, list(nics.KINDS),
                "; default: igc, virtio-net and veth, igc where our QEMU build exists; igb: "
                "QEMU's 82576, a control NIC whose driver has no XDP metadata callbacks; veth: "
                "a pair inside the guest, tags inline and out of band (VLAN devices)")
    p.add_argument("--path", type=csv_of(CLI_PATHS, "path", all_word=True), default=None,
                   metavar="PATH[,PATH]",
                   help=f"paths ({', '.join(CLI_PATHS)}, or all; default all but "
                        f"{', '.join(OPT_IN_PATHS)}): skb is the "
                        "driver's skb without XDP; pass adds pass-bare (the skb after an "
                        "XDP program that wrote no data_meta); xdp-late: the kfuncs called "
                        "again after the program wrote data_meta (in the xdp invocation); "
                        "tpacket: the skb's hardware stamp through an af_packet mmap ring (in "
                        "the skb invocation); veth and cpumap also report "
                        "the skb built from the frame (rows veth-skb, cpumap-skb); faults (igc "
                        "only): the igc model faults chosen packet ids (no RX stamp, RSS type "
                        "none, checksum error) and rows faults / faults-skb demand exact "
                        "answers per packet (one more runner invocation); "
                        "tc-helpers: XDP writes data_meta, a tcx program calls one skb "
                        "helper per packet and the next one reads the metadata (rows "
                        "tc:<helper>, field meta; a plan of its own, 4 untagged frames "
                        "per helper; ~4 s per NIC under TCG); meta-sizes (opt-in, ~15 s "
                        "per NIC under TCG: five runner invocations): data_meta blobs of "
                        "4, 8, 32, 64, 128 and 252 bytes on pass, veth, cpumap, xsk and "
                        "xsk-zc, rows sizes:<path> with the largest size that arrived "
                        "intact and how larger ones failed; vlan-dev, gre, vxlan: XDP writes "
                        "data_meta, TC on an upper device (VLAN sub-interfaces with "
                        "rx-vlan-offload on, a gretap and a VXLAN device; the host sends "
                        "GRE/VXLAN frames) reads the metadata, skb hash and tag (rows "
                        "meta, hash, vlan; one runner invocation for the three, ~3 s per "
                        "NIC under TCG); vlan-dev-sw (opt-in, one more invocation, ~3 s per "
                        "NIC): the VLAN devices with rx-vlan-offload off; veth-store, "
                        "cpumap-store: the XDP program stores a hash, a VLAN tag and a stamp "
                        "with the bpf_xdp_store_rx_* kfuncs of the never-merged XDP_REDIRECT "
                        "RX hints series before redirecting (rows veth-store, veth-store-skb, "
                        "cpumap-store-skb); skip without a runner (0 s) where the kernel "
                        "lacks them, else one invocation each")
    p.add_argument("--meta-format", choices=("struct", "tlv"), default="struct",
                   help="what the XDP program writes into data_meta: struct (default, "
                        "struct xh_meta) or tlv (a total-length byte, then type-length-value "
                        "entries growing bottom-up: seven pushed, a repeated type and two "
                        "zero-length flags among them, one popped; every consumer checks "
                        "the six left in order); tc-helpers and meta-sizes skip under tlv")
    p.add_argument("--program", metavar="FILE.bpf.c[:SECTION]",
                   help="your XDP program (C, built with the harness's flags, or an object) "
                        "in place of ours on the NIC, on the paths where it follows the record "
                        "contract (guest-bpf/xdp_hints_common.h; see harness/guest/program.py)"
                        "; without --path those paths only (skb, which has no XDP program, "
                        "left out), an asked path it cannot serve is refused before the boot")
    p.add_argument("--packets", type=int, default=Options.packets, metavar="N",
                   help=f"packets per path run (default {Options.packets})")
    p.add_argument("--baseline", metavar="SPEC",
                   help="also run the suite on this kernel (e.g. the unpatched source) and "
                        "print only the rows that changed: regression / fix / new support; "
                        "exit 1 on a regression. --patch applies to --kernel only")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="write results as JSON (with --baseline, the baseline's next to it "
                        "as FILE.baseline.json)")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    p.add_argument("--ktap", type=Path, metavar="FILE",
                   help="write KTAP (the kernel selftests' format): a test per row, per NIC")
    p.add_argument("--table", action="store_true",
                   help="print one line per (NIC, path, field) instead of the matrix view "
                        "(per NIC a paths x fields matrix, then failures in full and each "
                        "expected-unsupported / skip reason once)")
    p.add_argument("--rx-rule", action="append", default=[], metavar="RULE",
                   help="igc only, repeatable: program a receive filter after the NIC's "
                        "set-up (ethtool -N <if> RULE, e.g. 'flow-type ether vlan 0xa000 "
                        "vlan-mask 0x1fff action 3'); the oracle reads the rules back "
                        "(ethtool -n) and predicts the rx queue through them before RSS")
    # test-only: load a deliberately wrong BPF program (the suite must fail it)
    p.add_argument("--test-fault", choices=ALL_FAULTS, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def print_table(rows: list[Row], meta: dict[str, Any], flat: bool = True) -> None:
    """The heading, then the flat table (``flat``) or the matrix view (harness.verdict.view)."""
    print(view.heading(meta))
    if flat:
        print(report.table(rows))
        print(report.summary_line(rows))
    else:
        print(view.render(view.rows_of(rows), view.style_for(sys.stdout)))


def _write(args: argparse.Namespace, rows: list[Row], meta: dict[str, Any]) -> None:
    """Every asked format; one that cannot be written does not stop the others."""
    failed: list[str] = []
    def write_ktap(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
        path.write_text(ktap.run_ktap(rows, meta))

    for option, path, write in (("--json", args.json, report.write_json),
                                ("--junit", args.junit, report.write_junit),
                                ("--ktap", args.ktap, write_ktap)):
        if path is None:
            continue
        try:
            write(path, rows, meta)
        except OSError as e:
            failed.append(f"{option} {path}: {e.strerror or e}")
    if failed:
        raise HarnessError("could not write " + "; ".join(failed))


def check_output(path: Path | None, option: str) -> None:
    """An output file's directory must exist and be writable before anything boots."""
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory")
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {path}: not writable")


def check_rx_rules(rules: list[str], kinds: list[str]) -> None:
    """--rx-rule: igc only, each a non-empty ethtool -N argument list."""
    if not rules:
        return
    if any(k != "igc" for k in kinds):
        raise UsageError(f"--rx-rule is for --nic igc only (NICs here: {', '.join(kinds)})")
    for r in rules:
        try:
            words = shlex.split(r)
        except ValueError as e:
            raise UsageError(f"--rx-rule {r!r}: {e}") from None
        if not words or "action" not in words:
            raise UsageError(f"--rx-rule {r!r}: an ethtool -N rule with an action "
                             "(e.g. 'flow-type ether proto 0x86dd action 1')")


def run(args: argparse.Namespace) -> int:
    if args.packets < 1:
        raise UsageError("--packets must be at least 1")
    check_output(args.json, "--json")
    check_output(args.junit, "--junit")
    check_output(args.ktap, "--ktap")
    emit = renderer()
    notes = _program(args)
    kinds = args.nic
    if not kinds:
        if args.qemu is not None and not os.access(args.qemu, os.X_OK):
            raise UsageError(f"--qemu {args.qemu}: not an executable file")
        kinds, kind_notes = default_kinds(args.qemu)
        if not kinds:
            raise UsageError("no NIC can be tested here: " + "; ".join(kind_notes))
        notes += kind_notes
    for n in notes:
        emit(Note(n))
    check_rx_rules(getattr(args, "rx_rule", []), kinds)
    spec_from_args(args, kinds, extra_modules=SUITE_MODULES)  # usage errors before any work
    if args.baseline:
        check_kernel_args(args.baseline, [])
        return _run_baseline(args, kinds, notes, emit)
    rows, meta, err = _suite(args, kinds, notes, args.kernel, args.patch, emit)
    _write(args, rows, meta)
    if err is not None:
        raise err
    print_table(rows, meta, flat=args.table)
    sys.stdout.flush()
    return report.exit_code(rows)


def _suite(args: argparse.Namespace, kinds: list[str], notes: list[str], kernel: str,
           patches: list[Path], emit: Emit) -> tuple[list[Row], dict[str, Any],
                                                     BaseException | None]:
    """Boot ``kernel`` and run the suite: (rows, meta, the error that stopped it or None).

    On an error the rows that finished and the error are still in ``meta`` (CI gets a
    machine-readable file)."""
    t0 = time.monotonic()
    spec = spec_from_args(args, kinds, extra_modules=SUITE_MODULES)
    spec.kernel, spec.patches = kernel, list(patches)
    backend, why = resolve_backend(args.backend)
    program = getattr(args, "user_program", None)
    opts = Options(packets=args.packets, fault=args.test_fault, program=program,
                   meta_format=getattr(args, "meta_format", "struct"),
                   rx_rules=tuple(getattr(args, "rx_rule", ())))
    artifacts = bpf_build.build()  # before the boot: a host that cannot build says so at once
    meta: dict[str, Any] = {"kernel_spec": kernel, "patches": [str(p) for p in patches],
                            "backend": backend, "backend_reason": why, "nics": kinds,
                            "paths": args.path, "packets_per_run": args.packets,
                            "notes": notes}
    scenarios: list[Scenario] = []
    try:
        with running_vm(spec, emit=emit) as vm:
            meta.update(kernel=vm.release, accel=vm.accel.name, boot_s=round(vm.boot_s, 1),
                        serial_log=str(vm.serial_log))
            run_suite(vm, kinds, args.path, opts, emit, scenarios, artifacts)
            meta["console_warnings"] = list(vm.console.warnings)
    except Exception as e:
        meta["error"] = f"{type(e).__name__}: {e}"
        meta["error_detail"] = list(getattr(e, "detail", []))
        meta["duration_s"] = round(time.monotonic() - t0, 1)
        return [r for s in scenarios for r in s.rows], meta, e
    rows = [r for s in scenarios for r in s.rows]
    meta["duration_s"] = round(time.monotonic() - t0, 1)
    meta["packets_sent"] = sum(st.packets for s in scenarios for st in s.stats)
    meta["facts"] = {s.nic: s.facts for s in scenarios}
    meta["runs"] = [vars(st) for s in scenarios for st in s.stats]
    if args.test_fault:
        meta["test_fault"] = args.test_fault
    if opts.meta_format != "struct":
        meta["meta_format"] = opts.meta_format
    if program is not None:
        meta["program"] = {"source": str(program.source), "prog": program.prog}
    return rows, meta, None


def _program(args: argparse.Namespace) -> list[str]:
    """``--program``: build and read it, and keep the paths it serves (before any boot).

    Sets ``args.user_program`` and ``args.path``; returns notes on paths left out.  An
    asked path (``--path``) it cannot serve is a usage error naming what is missing."""
    asked = args.path is not None
    args.path = list(args.path or DEFAULT_PATHS)
    args.user_program = None
    if not args.program:
        return []
    if args.test_fault:
        raise UsageError("--program and --test-fault do not go together")
    prog = user_program(args.program)
    if not asked:  # the paths without an XDP program do not run the user's
        args.path = [p for p in args.path if p not in ("skb", "tpacket")]
    gaps = {p: prog.missing(p) for p in args.path if prog.missing(p)}
    what = f"--program {args.program}: {prog.prog}"
    if gaps and asked:
        raise UsageError(f"{what} does not follow the record contract on "
                         + "; ".join(f"path {p} (missing: {', '.join(g)})"
                                     for p, g in gaps.items()))
    args.path = [p for p in args.path if p not in gaps]
    if not args.path:
        raise UsageError(f"{what} serves no path: "
                         + "; ".join(f"{p} needs {', '.join(g)}" for p, g in gaps.items()))
    args.user_program = prog
    return [f"{what}: path {p} left out (missing: {', '.join(g)})" for p, g in gaps.items()]


def _run_baseline(args: argparse.Namespace, kinds: list[str], notes: list[str],
                  emit: Emit) -> int:
    """``--baseline SPEC``: the suite on both kernels, only the changed rows printed."""
    def run_one(side: baseline.Side) -> dict[str, Any]:
        rows, meta, err = _suite(args, kinds, notes, side.kernel, list(side.patches), emit)
        if err is not None and not isinstance(err, GuestCrashed):
            raise err  # infrastructure: no verdict to compare
        return report.to_json(rows, meta)

    new = baseline.Side(args.kernel, tuple(args.patch))
    base = baseline.Side(args.baseline)
    out = baseline.judge(run_one, new, base, emit)
    if args.json:
        for path, doc in ((args.json, out.new), (baseline.baseline_json_path(args.json),
                                                 out.base)):
            path.write_text(json.dumps(doc, indent=2) + "\n")
    for what, side, doc in (("new", new, out.new), ("baseline", base, out.base)):
        err = f"  ERROR {doc['error']}" if doc.get("error") else ""
        print(f"{what:<8} {side.label()}: kernel {doc.get('kernel')}  "
              f"{_counts(doc)}{err}")
    print(diff.text(out.changes))
    sys.stdout.flush()
    return out.exit_code


def _counts(doc: dict[str, Any]) -> str:
    c = doc.get("counts", {})
    return ", ".join(f"{v} {k}" for k, v in c.items() if v) or "no rows"
