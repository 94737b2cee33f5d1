# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints bisect --tree DIR --good REV --bad REV [--row NIC/PATH/FIELD]``: the first
commit that changed a row, by ``git bisect run`` over incremental kernel builds + the suite
restricted to the row's NIC and path (:mod:`harness.suite.bisect`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import nics
from harness.artifacts import kernel_build
from harness.artifacts.kernel_config import ConfigError
from harness.artifacts.kernel_source import SourceError, git
from harness.artifacts.kernel_tree import PatchError
from harness.artifacts.kernels import DEFAULT_KERNEL
from harness.commands.vm_options import add_vm_args, csv_of
from harness.errors import UsageError
from harness.nics.base import CLI_PATHS, DEFAULT_PATHS
from harness.progress import Note, renderer
from harness.suite import bisect as bis
from harness.suite.scenario import Options
from harness.vm.machine import GuestCrashed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bisect", help="find the commit that changed a row (git bisect run over builds + suite)",
        description="Bisect a kernel history between --good and --bad: each step builds the "
                    "commit (incrementally, in a build directory shared by the history) and "
                    "runs the suite on the row's NIC and path; a commit that does not build is "
                    "skipped. The bisection runs in a worktree of its own: your checkout and "
                    "bisect state are not touched. Without --row a step is bad when any row "
                    "fails.",
        epilog="exit codes: 0 found (first bad commit printed), 2 usage or no convergence")
    p.add_argument("--tree", type=Path, required=True, metavar="DIR", help="a kernel git tree")
    p.add_argument("--good", required=True, metavar="REV")
    p.add_argument("--bad", required=True, metavar="REV")
    p.add_argument("--row", metavar="NIC/PATH/FIELD",
                   help="the row that changed, e.g. igc/xdp/hash_type (restricts the suite to "
                        "that NIC and path)")
    p.add_argument("--path", type=csv_of(CLI_PATHS, "path", all_word=True), metavar="PATH[,PATH]",
                   help="paths when no --row is given (default all)")
    p.add_argument("--packets", type=int, default=Options.packets, metavar="N")
    add_vm_args(p, list(nics.KINDS), "; default: the --row's NIC, else igc and virtio-net")
    p.add_argument("--step", type=Path, help=argparse.SUPPRESS)  # one `git bisect run` step
    p.set_defaults(func=run, test_fault=None)


def _row(args: argparse.Namespace) -> bis.RowSpec | None:
    return bis.parse_row(args.row, list(nics.KINDS), CLI_PATHS) if args.row else None


def run(args: argparse.Namespace) -> int:
    row = _row(args)
    if args.packets < 1:
        raise UsageError("--packets must be at least 1")
    if args.patch or args.kernel != DEFAULT_KERNEL:
        raise UsageError("bisect builds each commit of --tree: --kernel/--patch do not apply")
    if args.step:
        return step(args, row)
    emit = renderer()
    argv = [sys.executable, "-m", "harness.cli", "bisect", "--tree", str(args.tree),
            "--good", args.good, "--bad", args.bad, "--packets", str(args.packets),
            "--backend", args.backend, "--queues", str(args.queues), "--cpus", str(args.cpus),
            "--memory", str(args.memory)]
    for opt, val in (("--row", args.row), ("--append", args.append),
                     ("--boot-timeout", args.boot_timeout), ("--qemu", args.qemu)):
        if val:
            argv += [opt, str(val)]
    if args.nic:
        argv += ["--nic", ",".join(args.nic)]
    if args.path:
        argv += ["--path", ",".join(args.path)]
    res = bis.bisect(args.tree, args.good, args.bad, argv, row, emit)
    print(f"first bad commit: {res.first_bad} {res.subject}")
    print(f"row {res.row}: {res.good_verdict or '?'} -> {res.bad_verdict}")
    return 0


def step(args: argparse.Namespace, row: bis.RowSpec | None) -> int:
    """One ``git bisect run`` step in the bisect worktree (the current directory)."""
    from harness.commands.run import _suite  # the same suite as `run`
    emit = renderer()
    wt = Path.cwd()
    commit = git(wt, "rev-parse", "HEAD").stdout.decode().strip()
    try:
        kernel_build.build(kernel_build.BuildRequest(f"tree:{wt}"), emit)
    except (kernel_build.CompileError, ConfigError, PatchError, SourceError) as e:
        emit(Note(f"{commit[:12]} does not build: skip ({e})"))
        bis.record_step(args.step, commit, "does not build", bis.SKIP)
        return bis.SKIP
    kinds = args.nic or ([row.nic] if row else ["igc", "virtio-net"])
    args.path = [row.cli_path] if row else (args.path or list(DEFAULT_PATHS))
    rows, meta, err = _suite(args, kinds, [], f"tree:{wt}", [], emit)
    if err is not None and not isinstance(err, GuestCrashed):
        emit(Note(f"{commit[:12]}: no verdict ({err}): abort"))
        bis.record_step(args.step, commit, f"error: {err}", bis.ABORT)
        return bis.ABORT
    code, verdict = bis.step_verdict([r.to_dict() for r in rows], row, err is not None)
    bis.record_step(args.step, commit, verdict, code)
    emit(Note(f"{commit[:12]}: {verdict} -> {'good' if code == bis.GOOD else 'bad'}"))
    return code
