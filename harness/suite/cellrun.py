# SPDX-License-Identifier: GPL-2.0-or-later
"""Run matrix cells: each one ``xdp-hints run`` subprocess, a bounded pool, one retry.

A cell runs in its own process (a crash, a hang or a leak stays in it) with its
files under ``OUT/<cell>/``: ``result.json``, ``junit.xml``, ``result.ktap``,
``serial.log``, ``run.log`` (the run's stdout and progress lines) and, when done,
``cell.json``: the run's JSON document plus the cell's status.

Status from the run's exit code: 0 ``pass``, 1 ``fail``, 3 ``crash`` (a result: the
panic lines are kept), 2 ``infra``.  An infrastructure error is retried once: the
first attempt's files move to ``OUT/<cell>/attempt-1/``; a retry that passes makes
the cell ``flaky`` (a retry that fails is ``fail`` with ``flaky`` set).  An exit 1
without a result file is a harness bug, counted as ``infra``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import EXIT_CRASH, EXIT_FAIL, EXIT_INFRA, EXIT_OK
from harness.progress import CellFinished, CellStarted, CellStatus, Emit, quiet
from harness.suite.matrix import Cell

STATUSES = ("pass", "fail", "flaky", "crash", "infra")
#: the files one attempt leaves in its directory
ATTEMPT_FILES = ("result.json", "junit.xml", "result.ktap", "serial.log", "run.log",
                 "qemu-cmdline.json")
PROGRESS_LINE = re.compile(r"^\[\s*[\d.]+s\] (.*)$")
VM_OVERHEAD_MB = 600  # QEMU + TCG translation cache + page tables, beyond guest RAM


@dataclass
class Attempt:
    """One ``xdp-hints run`` of a cell."""

    exit_code: int
    duration_s: float
    dir: str
    error: str = ""


@dataclass
class CellResult:
    """A finished cell: status, attempts, and the run's JSON document (``doc``)."""

    cell: Cell
    status: str
    attempts: list[Attempt] = field(default_factory=list)
    flaky: bool = False
    panic: list[str] = field(default_factory=list)
    error: str = ""
    duration_s: float = 0.0
    doc: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        counts = self.doc.get("counts") or {}
        text = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
        return text or self.error


Runner = Callable[[Cell, Path, Emit, int], Attempt]


def _live(proc: subprocess.Popen, log: Path, cell: Cell, emit: Emit) -> str:
    """Copy the child's output to ``log``, emitting its progress lines; the last
    ``xdp-hints: ...`` error line."""
    error = ""
    with open(log, "w") as f:
        assert proc.stdout is not None
        for line in proc.stdout:
            f.write(line)
            f.flush()
            line = line.rstrip("\n")
            m = PROGRESS_LINE.match(line)
            if m:
                emit(CellStatus(cell.id, m.group(1)))
            elif line.startswith("xdp-hints: "):
                error = line[len("xdp-hints: "):]
    return error


def run_attempt(cell: Cell, d: Path, emit: Emit = quiet, attempt: int = 1) -> Attempt:
    """One ``xdp-hints run`` subprocess for ``cell`` writing into ``d`` (killed after
    ``cell.timeout`` seconds: an infrastructure error)."""
    d.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "harness.cli", "run", *cell.run_args(),
           "--json", str(d / "result.json"), "--junit", str(d / "junit.xml"),
           "--ktap", str(d / "result.ktap"), "--log-dir", str(d),
           "--table"]  # run.log: a line per row, to grep
    env = {**os.environ, "XDP_HINTS_PROGRESS": "1"}
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, stdin=subprocess.DEVNULL)
    _RUNNING.add(proc)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.terminate()

    timer = threading.Timer(cell.timeout, kill)
    timer.start()
    try:
        error = _live(proc, d / "run.log", cell, emit)
        rc = proc.wait()
    finally:
        timer.cancel()
        _RUNNING.discard(proc)
    if timed_out.is_set():
        rc, error = EXIT_INFRA, f"timed out after {cell.timeout:.0f} s"
    elif rc < 0:
        rc, error = EXIT_INFRA, f"killed by signal {-rc}"
    return Attempt(rc, round(time.monotonic() - t0, 1), str(d), error)


_RUNNING: set[subprocess.Popen] = set()


def terminate_all() -> None:
    """SIGTERM every running cell process (each tears its VM down) and wait for them."""
    procs = list(_RUNNING)
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def status_of(rc: int, has_result: bool) -> str:
    """A cell status from an exit code (exit 1 without a result file is infra: a bug)."""
    if rc == EXIT_OK:
        return "pass"
    if rc == EXIT_FAIL and has_result:
        return "fail"
    if rc == EXIT_CRASH:
        return "crash"
    return "infra"


def _panic_lines(doc: dict[str, Any], log: Path) -> list[str]:
    lines = [str(x) for x in doc.get("error_detail") or []]
    if not lines and log.exists():
        lines = [ln[4:] for ln in log.read_text(errors="replace").splitlines()
                 if ln.startswith("  | ")]
    return lines


def _stash(d: Path, n: int) -> Path:
    """Move attempt ``n``'s files into ``d/attempt-n/``."""
    dest = d / f"attempt-{n}"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ATTEMPT_FILES:
        if (d / name).exists():
            shutil.move(str(d / name), str(dest / name))
    return dest


def run_cell(cell: Cell, out: Path, emit: Emit = quiet, runner: Runner = run_attempt) -> CellResult:
    """Run ``cell`` into ``out/<cell.id>/`` (retrying an infrastructure error once) and
    write its ``cell.json``."""
    d = out / cell.id
    if d.exists():
        shutil.rmtree(d)
    t0 = time.monotonic()
    attempts: list[Attempt] = []
    for n in (1, 2):
        emit(CellStarted(cell.id, cell.kernel, n))
        a = runner(cell, d, emit, n)
        attempts.append(a)
        status = status_of(a.exit_code, (d / "result.json").exists())
        if status != "infra" or n == 2:
            break
        a.dir = str(_stash(d, n))
    doc = _load(d / "result.json")
    res = CellResult(cell, status, attempts, flaky=len(attempts) > 1 and status != "infra",
                     duration_s=round(time.monotonic() - t0, 1), doc=doc)
    if res.flaky and status == "pass":
        res.status = "flaky"
    if status == "crash":
        res.panic = _panic_lines(doc, d / "run.log")
    if status in ("crash", "infra"):
        res.error = attempts[-1].error or str(doc.get("error", "")) or \
            f"exit code {attempts[-1].exit_code}"
    write_cell_json(d / "cell.json", res)
    emit(CellFinished(cell.id, res.status, res.duration_s, res.summary()))
    return res


def cell_doc(res: CellResult) -> dict[str, Any]:
    """``cell.json``: the run's document (or an empty one) plus the cell's status."""
    doc: dict[str, Any] = {"kernel": None, "accel": None, "results": []}
    doc.update(res.doc)
    doc.setdefault("kernel_spec", res.cell.kernel)
    if res.error and not doc.get("error"):
        doc["error"] = res.error
    doc.update(cell=res.cell.to_dict(), cell_id=res.cell.id, status=res.status,
               flaky=res.flaky, panic=res.panic, cell_error=res.error,
               cell_duration_s=res.duration_s, attempts=[asdict(a) for a in res.attempts])
    return doc


def write_cell_json(path: Path, res: CellResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cell_doc(res), indent=2) + "\n")


def default_jobs(memory_mb: int = 2048) -> int:
    """Cells at once: one per core, as many as available memory holds (at least 1).

    Under TCG each VM is one busy host thread (``thread=single``), so cores bound it."""
    cores = len(os.sched_getaffinity(0))
    avail_mb = cores * (memory_mb + VM_OVERHEAD_MB)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail_mb = int(line.split()[1]) // 1024
    except OSError:
        pass
    return max(1, min(cores, avail_mb // (memory_mb + VM_OVERHEAD_MB)))


def run_matrix(cells: Sequence[Cell], out: Path, jobs: int, emit: Emit = quiet,
               runner: Runner = run_attempt) -> list[CellResult]:
    """Every cell, ``jobs`` at a time; results in the cells' order.  Ctrl-C / SIGTERM
    terminates the running cells (each tears down its VM) and re-raises."""
    out.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    def locked_emit(event: Any) -> None:
        with lock:
            emit(event)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cell")
    futures = []
    try:
        futures = [pool.submit(run_cell, c, out, locked_emit, runner) for c in cells]
        results = [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        terminate_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def exit_code(results: Sequence[CellResult]) -> int:
    """2 if a cell had an infrastructure error, else 3 if one crashed, else 1 if one
    failed, else 0 (flaky cells pass)."""
    statuses = {r.status for r in results}
    if "infra" in statuses:
        return EXIT_INFRA
    if "crash" in statuses:
        return EXIT_CRASH
    return EXIT_FAIL if "fail" in statuses else EXIT_OK
