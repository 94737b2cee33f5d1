# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints matrix FILE.toml``: run every cell (kernel) of a matrix, in parallel.

``xdp-hints matrix plan FILE.toml --shards N --format github`` prints the CI job
matrix instead.  See :mod:`harness.suite.matrix` for the TOML and
:mod:`harness.suite.cellrun` for how a cell runs.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from harness.errors import UsageError
from harness.progress import Note, renderer
from harness.suite import cellrun
from harness.suite import matrix as mx


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "matrix", help="run a kernels x NICs x paths matrix (one VM per kernel), or plan shards",
        usage="xdp-hints matrix FILE.toml [-j N] [--shard K/N] [--out DIR]\n"
              "       xdp-hints matrix plan FILE.toml --shards N [--format github|json|text]",
        description="Run every cell of a matrix file (one cell = one kernel: one VM with all "
                    "the cell's NICs, every path), -j at a time, each as an `xdp-hints run` "
                    "with its JSON, JUnit, KTAP, serial log under DIR/<cell>/. An "
                    "infrastructure error is retried once (passes on retry: flaky); a guest "
                    "crash is a result (crash). `matrix plan` prints the GitHub Actions job "
                    "matrix for N shards.",
        epilog="exit codes: 0 every cell passed (flaky included), 1 a cell failed, "
               "2 a cell had an infrastructure error (or bad input), 3 a guest crashed")
    p.add_argument("target", metavar="FILE.toml | plan", help="the matrix file, or `plan`")
    p.add_argument("plan_file", nargs="?", metavar="FILE.toml", help=argparse.SUPPRESS)
    p.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="cells at once (default: what cores and memory allow)")
    p.add_argument("--shard", metavar="K/N", help="run only shard K of N (cells split by id)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="where cell directories go (default matrix-out/<matrix name>)")
    p.add_argument("--cells", metavar="ID[,ID]", help="run only these cells")
    p.add_argument("--shards", type=int, metavar="N", help="plan: number of shards")
    p.add_argument("--format", choices=("github", "json", "text"), default="github",
                   help="plan: github (one JSON line for $GITHUB_OUTPUT), json, text")
    p.set_defaults(func=run)


def _plan(args: argparse.Namespace) -> int:
    if not args.plan_file:
        raise UsageError("matrix plan: which matrix file? (xdp-hints matrix plan FILE --shards N)")
    if args.shards is None:
        raise UsageError("matrix plan: --shards N is required")
    if args.jobs or args.shard or args.out or args.cells:
        raise UsageError("matrix plan takes --shards and --format only")
    m = mx.load(Path(args.plan_file))
    plan = mx.plan(m, args.shards)
    if args.format == "github":
        print(json.dumps(plan, separators=(",", ":")))
    elif args.format == "json":
        print(json.dumps(plan, indent=2))
    else:
        for job in plan["include"]:
            print(f"shard {job['shard']}: {job['cells']}")
    return 0


def _select(m: mx.Matrix, args: argparse.Namespace) -> list[mx.Cell]:
    cells = list(m.cells)
    if args.cells:
        want = [c.strip() for c in args.cells.split(",") if c.strip()]
        unknown = [w for w in want if w not in {c.id for c in cells}]
        if unknown:
            raise UsageError(f"--cells: no cell {', '.join(unknown)} in {m.source} "
                             f"(cells: {', '.join(c.id for c in cells)})")
        cells = [c for c in cells if c.id in want]
    if args.shard:
        k, n = mx.parse_shard(args.shard)
        cells = mx.shard(cells, k, n)
    return cells


def _sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    if args.target == "plan":
        return _plan(args)
    if args.plan_file or args.shards is not None:
        raise UsageError("--shards goes with `xdp-hints matrix plan FILE`")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("-j must be at least 1")
    shard = mx.parse_shard(args.shard) if args.shard else None  # checked before the file
    m = mx.load(Path(args.target))
    cells = _select(m, args)
    out = args.out or Path("matrix-out") / Path(args.target).stem
    jobs = args.jobs or cellrun.default_jobs(max((c.memory for c in cells), default=2048))
    emit = renderer()
    emit(Note(f"matrix {m.source}: {len(cells)} of {len(m.cells)} cells"
              f"{f' (shard {shard[0]}/{shard[1]})' if shard else ''}, {jobs} at a time, "
              f"into {out}"))
    t0 = time.time()
    signal.signal(signal.SIGTERM, _sigterm)
    results = cellrun.run_matrix(cells, out, jobs, emit)
    summary = {"matrix": m.source, "shard": args.shard, "jobs": jobs,
               "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t0)),
               "duration_s": round(time.time() - t0, 1),
               "cells": {r.cell.id: r.status for r in results}}
    (out / f"matrix{'-' + args.shard.replace('/', 'of') if args.shard else ''}.json").write_text(
        json.dumps(summary, indent=2) + "\n")
    width = max((len(r.cell.id) for r in results), default=4)
    for r in results:
        print(f"{r.cell.id:<{width}}  {r.status:<6} {r.duration_s:6.0f} s  {r.summary()}")
        for line in r.panic[:8]:
            print(f"{'':<{width}}  | {line}")
    sys.stdout.flush()
    return cellrun.exit_code(results)
