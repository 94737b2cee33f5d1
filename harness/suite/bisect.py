# SPDX-License-Identifier: GPL-2.0-or-later
"""Find the commit that changed a row: ``git bisect run`` over kernel builds + the suite.

The bisection runs in a worktree of its own (``git worktree add --detach``), so the
user's checkout and bisect state are untouched (refs/bisect/* are per worktree).  Each
step is ``xdp-hints bisect --step``: an incremental build of the worktree (the kernel
build directory is shared by every commit of one history, see
:mod:`harness.artifacts.kernel_build`) and the suite restricted to the row's NIC and
path.  Step exit codes follow ``git bisect run``: 0 good, 1 bad, 125 skip (the commit
does not build), 128 abort (infrastructure error: no verdict).  Each step records its
verdict in a state directory, so the driver can say what the row was on both sides.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.artifacts.kernel_source import SourceError, check_tree, git, is_git
from harness.errors import HarnessError, UsageError
from harness.oracle.paths import TC_HELPER_PATHS
from harness.paths import REPO, cache_dir
from harness.progress import BuildStep, Emit, quiet

GOOD, BAD, SKIP, ABORT = 0, 1, 125, 128
#: rows that a CLI path produces besides its own name
ROW_TO_CLI_PATH = {"pass-bare": "pass", "veth-skb": "veth", "cpumap-skb": "cpumap",
                   **{p: "tc-helpers" for p in TC_HELPER_PATHS}}
OK_VERDICTS = ("pass", "expected-unsupported", "known-bug")


class BisectError(HarnessError):
    """The bisection could not run or did not converge (exit 2)."""


@dataclass(frozen=True)
class RowSpec:
    """``NIC/PATH/FIELD`` (e.g. ``igc/xdp/hash_type``); ``cli_path`` is what ``--path`` runs."""

    nic: str
    path: str
    field: str

    @property
    def cli_path(self) -> str:
        return ROW_TO_CLI_PATH.get(self.path, self.path)

    def __str__(self) -> str:
        return f"{self.nic}/{self.path}/{self.field}"


def parse_row(text: str, nic_kinds: Sequence[str], cli_paths: Sequence[str]) -> RowSpec:
    """Parse ``NIC/PATH/FIELD`` (UsageError naming what is wrong)."""
    parts = text.split("/")
    if len(parts) != 3 or not all(parts):
        raise UsageError(f"--row wants NIC/PATH/FIELD (e.g. igc/xdp/hash_type), not {text!r}")
    row = RowSpec(*parts)
    if row.nic not in nic_kinds:
        raise UsageError(f"--row: unknown NIC {row.nic!r} (choose from {', '.join(nic_kinds)})")
    if row.cli_path not in cli_paths:
        raise UsageError(f"--row: unknown path {row.path!r} (choose from "
                         f"{', '.join([*cli_paths, *ROW_TO_CLI_PATH])})")
    return row


def step_verdict(results: Sequence[dict], row: RowSpec | None, crashed: bool) -> tuple[int, str]:
    """(GOOD/BAD, what the row was) for one step's result rows (``run --json`` dicts)."""
    if row is None:
        bad = crashed or any(r["verdict"] == "fail" for r in results)
        n = sum(r["verdict"] == "fail" for r in results)
        return (BAD if bad else GOOD), ("crash" if crashed else f"{n} failing rows")
    hit = [r for r in results if (r["nic"], r["path"], r["field"]) ==
           (row.nic, row.path, row.field)]
    verdict = hit[0]["verdict"] if hit else ("crash" if crashed else "missing")
    return (GOOD if verdict in OK_VERDICTS else BAD), verdict


def resolve_rev(tree: Path, rev: str) -> str:
    p = git(tree, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}", check=False)
    if p.returncode != 0:
        raise UsageError(f"{tree}: no commit {rev!r}")
    return p.stdout.decode().strip()


@dataclass
class BisectResult:
    first_bad: str          # commit id
    subject: str
    row: str                # the row (or "any failing row")
    bad_verdict: str        # what the row was at the first bad commit (run again if bisect
                            # never stepped on it)
    good_verdict: str       # ... and at the last good one tested (or "" if untested)
    log: str                # git bisect log


def bisect(tree: Path, good: str, bad: str, step_argv: Sequence[str], row: RowSpec | None,
           emit: Emit = quiet) -> BisectResult:
    """Run ``git bisect run <step_argv> --step STATE`` in a fresh worktree of ``tree``."""
    tree = tree.expanduser().resolve()
    try:
        check_tree(tree)
    except SourceError as e:
        raise UsageError(str(e)) from e
    if not is_git(tree):
        raise UsageError(f"{tree} is not a git repository (bisect needs history)")
    good_id, bad_id = resolve_rev(tree, good), resolve_rev(tree, bad)
    if git(tree, "merge-base", "--is-ancestor", good_id, bad_id, check=False).returncode != 0:
        raise UsageError(f"--good {good} is not an ancestor of --bad {bad}")
    root = cache_dir() / "bisect"
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bisect-", dir=root))
    wt, state = scratch / "tree", scratch / "state"
    state.mkdir()
    try:
        emit(BuildStep("bisect", f"worktree {wt} at {bad_id[:12]}"))
        git(tree, "worktree", "add", "-q", "--detach", str(wt), bad_id)
        git(wt, "bisect", "start", bad_id, good_id)
        emit(BuildStep("bisect", f"git bisect run: {good_id[:12]}..{bad_id[:12]}"))
        # the step runs in the worktree: it must still import this harness
        pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        p = subprocess.run(["git", "-C", str(wt), "bisect", "run", *step_argv, "--step",
                            str(state)], stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": pythonpath})
        log = git(wt, "bisect", "log", check=False).stdout.decode(errors="replace")
        m = re.search(r"^([0-9a-f]{40}) is the first bad commit", p.stdout, re.M)
        if p.returncode != 0 or not m:
            tail = p.stdout.strip().splitlines()[-8:]
            raise BisectError("git bisect run did not find a first bad commit "
                              f"(exit {p.returncode})", detail=tail)
        first = m.group(1)
        subject = git(tree, "show", "-s", "--format=%s", first).stdout.decode().strip()
        if not (state / f"{first}.json").exists():
            # the first bad commit may never have been a step (it is --bad): run it once,
            # so the row's verdict on both sides is shown, not assumed
            git(wt, "bisect", "reset", "-q", check=False)
            git(wt, "checkout", "-q", "--detach", first)
            emit(BuildStep("bisect", f"confirming {first[:12]} (the row's verdict there)"))
            subprocess.run([*step_argv, "--step", str(state)], cwd=wt, stdout=subprocess.DEVNULL,
                           env={**os.environ, "PYTHONPATH": pythonpath})
        steps = {f.stem: json.loads(f.read_text()) for f in state.glob("*.json")}
        parent = git(tree, "rev-parse", f"{first}^", check=False).stdout.decode().strip()
        bad_v = steps.get(first, {}).get("verdict", "?")
        good_v = steps.get(parent, {}).get("verdict", "")
        if not good_v and parent == good_id:
            good_v = "good (the --good commit, not re-run)"
        return BisectResult(first, subject, str(row) if row else "any failing row", bad_v,
                            good_v, log)
    finally:
        git(wt, "bisect", "reset", "-q", check=False) if wt.exists() else None
        git(tree, "worktree", "remove", "--force", str(wt), check=False)
        git(tree, "worktree", "prune", check=False)
        shutil.rmtree(scratch, ignore_errors=True)


def record_step(state: Path, commit: str, verdict: str, code: int) -> None:
    """What one step saw (read back by :func:`bisect`)."""
    (state / f"{commit}.json").write_text(json.dumps({"verdict": verdict, "exit": code}))
