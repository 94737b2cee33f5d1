# SPDX-License-Identifier: GPL-2.0-or-later
"""The QEMU process and its serial console, read through pexpect.

One reader thread owns the pexpect child: every byte goes to the serial log
file, lines are kept in a ring, and crash / warning patterns and the guest's
ready marker are turned into events.
"""

from __future__ import annotations

import collections
import ctypes
import functools
import os
import re
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pexpect
import ptyprocess

READY_MARKER = "XDP-HINTS-READY"
CRASH_RE = re.compile(r"Kernel panic|BUG: |Oops|KASAN|general protection fault|"
                      r"Attempted to kill init")
WARN_RE = re.compile(r"WARNING: ")
PR_SET_PDEATHSIG = 1


def _child_setup(pass_fds: tuple[int, ...]) -> None:
    """In the child: get SIGKILL when the harness dies, whatever the reason; keep the
    passed fds (tap fds of a run without root) open across exec."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    for fd in pass_fds:
        os.set_inheritable(fd, True)


class _Spawn(pexpect.spawn):
    """pexpect.spawn that keeps ``pass_fds`` open in the child (ptyprocess closes the rest)."""

    def __init__(self, *args, pass_fds: tuple[int, ...] = (), **kw) -> None:
        self._pass_fds = pass_fds
        super().__init__(*args, **kw)

    def _spawnpty(self, args, **kwargs):
        return ptyprocess.PtyProcess.spawn(args, pass_fds=self._pass_fds, **kwargs)


class Console:
    """Spawn ``argv`` with its stdio on a pty; watch and log what it prints."""

    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None,
                 pass_fds: Sequence[int] = ()) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
        self.child = _Spawn(argv[0], argv[1:], env=env, timeout=None, maxread=65536,
                            preexec_fn=functools.partial(_child_setup, tuple(pass_fds)),
                            dimensions=(50, 200), pass_fds=tuple(pass_fds))
        self.child.logfile_read = self._log
        self.lines: collections.deque[str] = collections.deque(maxlen=400)
        self.ready = threading.Event()
        self.crashed = threading.Event()
        self.exited = threading.Event()
        self.crash_lines: list[str] = []
        self.warnings: list[str] = []
        self.release: str | None = None
        self.started = time.monotonic()
        self.ready_at: float | None = None   # monotonic time the ready marker was seen
        self._partial = ""
        self._thread = threading.Thread(target=self._reader, name="serial", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        return self.child.pid

    def _reader(self) -> None:
        while True:
            try:
                chunk = self.child.read_nonblocking(65536, timeout=0.5)
            except pexpect.TIMEOUT:
                continue
            except (pexpect.EOF, OSError, ValueError):
                break
            self._feed(chunk.decode(errors="replace"))
        if self._partial:
            self._line(self._partial)
        self.exited.set()

    def _feed(self, text: str) -> None:
        text = self._partial + text.replace("\r", "")
        *complete, self._partial = text.split("\n")
        for line in complete:
            self._line(line)

    def _line(self, line: str) -> None:
        self.lines.append(line)
        if READY_MARKER in line:
            self.release = (line.split(READY_MARKER, 1)[1].split() or [None])[0]
            self.ready_at = time.monotonic()
            self.ready.set()
        if CRASH_RE.search(line):
            self.crash_lines.append(line.strip())
            self.crashed.set()
        elif self.crashed.is_set() and len(self.crash_lines) < 40:
            self.crash_lines.append(line.strip())
        if WARN_RE.search(line):
            self.warnings.append(line.strip())

    def tail(self, n: int = 30) -> list[str]:
        return list(self.lines)[-n:]

    def alive(self) -> bool:
        return self.child.isalive()

    def kill(self, grace_s: float = 3.0) -> None:
        """Terminate QEMU (SIGTERM, then SIGKILL) and wait for it."""
        if self.child.isalive():
            try:
                self.child.kill(signal.SIGTERM)
            except OSError:
                pass
            self.exited.wait(grace_s)
        if self.child.isalive():
            try:
                self.child.kill(signal.SIGKILL)
            except OSError:
                pass
        try:
            self.child.close(force=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
        self._thread.join(timeout=2)

    def close(self) -> None:
        self.kill()
        self._log.close()
