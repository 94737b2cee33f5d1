# SPDX-License-Identifier: GPL-2.0-or-later
"""Typed progress events, and the one renderer (used by the CLI only).

The core never prints: long work (builds, boots, runner invocations) takes an
``emit`` callable and hands it events.  ``renderer()`` turns them into lines on
stderr: live on a terminal, quiet in CI logs.  Tests collect events in a list.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass


class Event:
    """Something long-running code reports; ``text()`` is its one-line form."""

    def text(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Note(Event):
    """A remark (a NIC not offered, a cache hit, ...)."""

    msg: str

    def text(self) -> str:
        return self.msg


@dataclass(frozen=True)
class BuildStep(Event):
    """One step of building an artifact (kernel, rootfs, initramfs, QEMU, BPF)."""

    artifact: str
    step: str

    def text(self) -> str:
        return f"[{self.artifact}] {self.step}"


@dataclass(frozen=True)
class BuildStatus(Event):
    """A live status line of a long build step (e.g. ninja's [n/m]); terminals only."""

    artifact: str
    line: str

    def text(self) -> str:
        return f"[{self.artifact}] {self.line}"


@dataclass(frozen=True)
class BootStarted(Event):
    kernel: str
    accel: str
    serial_log: str

    def text(self) -> str:
        return f"booting {self.kernel} under {self.accel} (serial log {self.serial_log})"


@dataclass(frozen=True)
class BootReady(Event):
    seconds: float

    def text(self) -> str:
        return f"guest answered SSH after {self.seconds:.1f} s"


@dataclass(frozen=True)
class RunStarted(Event):
    """One runner invocation on one NIC begins."""

    nic: str
    run: str
    paths: tuple[str, ...]
    packets: int

    def text(self) -> str:
        return f"{self.nic}: {self.run} ({', '.join(self.paths)}): {self.packets} packets"


@dataclass(frozen=True)
class RunFinished(Event):
    nic: str
    run: str
    seconds: float
    records: int
    error: str = ""

    def text(self) -> str:
        tail = f"failed: {self.error}" if self.error else f"{self.records} records"
        return f"{self.nic}: {self.run} done in {self.seconds:.1f} s, {tail}"


@dataclass(frozen=True)
class CellStarted(Event):
    """One matrix cell (one kernel, one VM) starts an attempt."""

    cell: str
    kernel: str
    attempt: int = 1

    def text(self) -> str:
        again = f" (attempt {self.attempt}: retrying an infrastructure error)" \
            if self.attempt > 1 else ""
        return f"[{self.cell}] start: {self.kernel}{again}"


@dataclass(frozen=True)
class CellStatus(Event):
    """The latest progress line of a running cell; terminals only (a live line)."""

    cell: str
    line: str

    def text(self) -> str:
        return f"[{self.cell}] {self.line}"


@dataclass(frozen=True)
class CellFinished(Event):
    """A matrix cell is done: its status (pass, fail, flaky, crash, infra) and counts."""

    cell: str
    status: str
    seconds: float
    summary: str = ""

    def text(self) -> str:
        tail = f": {self.summary}" if self.summary else ""
        return f"[{self.cell}] {self.status} after {self.seconds:.0f} s{tail}"


Emit = Callable[[Event], None]


def quiet(_event: Event) -> None:
    """An ``emit`` that drops everything."""


def notice(emit: Emit) -> Callable[[str], None]:
    """A ``say(text)`` that hands ``emit`` a :class:`Note`."""
    return lambda text: emit(Note(text))


def live() -> bool:
    """True when progress should be shown: stderr is a terminal and ``CI`` is unset,
    or ``XDP_HINTS_PROGRESS=1`` forces it."""
    if os.environ.get("XDP_HINTS_PROGRESS") == "1":
        return True
    return sys.stderr.isatty() and not os.environ.get("CI")


def renderer(show: bool | None = None) -> Emit:
    """An ``emit`` that prints elapsed-time-stamped lines to stderr when :func:`live`
    (or ``show=True``); status lines overwrite each other on a terminal."""
    on = live() if show is None else show
    t0 = time.monotonic()
    status = [False]
    cells: dict[str, str] = {}  # running matrix cells -> their latest line

    def emit(event: Event) -> None:
        if not on:
            return
        if isinstance(event, CellStatus):
            cells[event.cell] = event.line
            event = BuildStatus("", " | ".join(f"{c}: {t}" for c, t in cells.items()))
        elif isinstance(event, CellFinished):
            cells.pop(event.cell, None)
        if isinstance(event, BuildStatus):
            text = event.text() if event.artifact else event.line
            sys.stderr.write("\r" + text[:110].ljust(110))
            status[0] = True
        else:
            if status[0]:
                sys.stderr.write("\n")
                status[0] = False
            sys.stderr.write(f"[{time.monotonic() - t0:6.1f}s] {event.text()}\n")
        sys.stderr.flush()

    return emit
