# SPDX-License-Identifier: GPL-2.0-or-later
"""StampReceiver's guest commands, run by a local shell standing in for the guest."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from harness.guest import stamps
from harness.guest.runner import RunnerError
from harness.vm.ssh import Result

FAKE = b"""import json, os, sys, time
with open(sys.argv[2], "w") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(0.3)
print("ready", flush=True)
for i in (1, 2, 3):
    time.sleep(0.1)
    print(json.dumps({"id": i, "hw": i * 10 if i != 2 else None}), flush=True)
time.sleep(60)
"""


class _Ssh:
    def __init__(self) -> None:
        self.calls = 0

    def run(self, cmd: str, timeout: float = 60.0, stdin: bytes | None = None) -> Result:
        self.calls += 1
        p = subprocess.run(["sh", "-c", cmd], input=stdin, capture_output=True, timeout=timeout)
        return Result(p.returncode, p.stdout.decode(), p.stderr.decode())


class _Vm:
    def __init__(self) -> None:
        self.ssh = _Ssh()


def test_launch_wait_stop_one_round_trip_each(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setattr(stamps, "script", lambda _name: FAKE)
    vm: Any = _Vm()
    rx = stamps.StampReceiver(vm, str(tmp_path), "eth9", "fake.py")
    rx.launch()
    rx.wait_ready(timeout_s=20)
    assert vm.ssh.calls == 2
    got = rx.stop({1, 2, 3}, wait_s=20)
    assert got == {1: 10, 2: None, 3: 30} and vm.ssh.calls == 3
    time.sleep(0.2)
    assert not list(tmp_path.glob("*.pid"))  # ended, its pid file gone


def test_receiver_that_never_listens(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(stamps, "script", lambda _name: b"import sys; print('boom'); sys.exit(1)")
    rx = stamps.StampReceiver(_Vm(), str(tmp_path), "eth9", "fake.py")
    rx.launch()
    with pytest.raises(RunnerError, match="did not start"):
        rx.wait_ready(timeout_s=1)
