# SPDX-License-Identifier: GPL-2.0-or-later
"""StampReceiver's guest commands, run by a local shell standing in for the guest and
a fake runner binary (the real receivers: tests/artifacts/test_bpf_build.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.guest import stamps
from harness.guest.runner import RunnerError
from harness.vm.ssh import Result
from tests.fake_wait import WAIT

FAKE = """#!{python}
{wait}import json, os, sys, time
if sys.argv[1:3] != ["{kind}", "eth9"]:
    print("bad args", sys.argv, flush=True)
    sys.exit(2)
with open(sys.argv[3], "w") as f:
    f.write(f"{{os.getpid()}}\\n")
time.sleep(0.3)
print("ready", flush=True)
for i in (1, 2, 3):
    time.sleep(0.1)
    print(json.dumps({{"id": i, "hw": i * 10 if i != 2 else None}}), flush=True)
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


class _Runner:
    """A GuestRunner's surface: its VM, directory, binary; installed on demand."""

    def __init__(self, tmp: Path, program: str, installed: bool = True) -> None:
        self.vm = _Vm()
        self.remote_dir = str(tmp)
        self.binary = str(tmp / "xdp-hints-guest")
        self.tools = self.binary  # the fake serves xh-tools' receivers and wait too
        self.program = program
        self.installed = installed
        self.installs = 0
        if installed:
            self._put()

    def _put(self) -> None:
        Path(self.binary).write_text(self.program)
        Path(self.binary).chmod(0o755)

    def install(self) -> None:
        self._put()
        self.installed = True
        self.installs += 1


@pytest.mark.parametrize("kind", stamps.KINDS)
def test_launch_wait_stop_one_round_trip_each(tmp_path: Path, kind: str) -> None:
    runner = _Runner(tmp_path, FAKE.format(python=sys.executable, kind=kind, wait=WAIT),
                     installed=False)
    rx = stamps.StampReceiver(runner, "eth9", kind)
    rx.launch()
    assert runner.installs == 1  # not installed yet: the receiver installs the runner first
    rx.wait_ready(timeout_s=20)
    assert runner.vm.ssh.calls == 2
    got = rx.stop({1, 2, 3}, wait_s=20)
    assert got == {1: 10, 2: None, 3: 30} and runner.vm.ssh.calls == 3
    (pid_file,) = tmp_path.glob("*.pid")
    pid = int(pid_file.read_text().split()[0])
    for _ in range(100):  # ended (SIGTERM) and reaped
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        raise AssertionError(f"receiver {pid} still runs after stop()")


def test_receiver_that_never_listens(tmp_path: Path) -> None:
    runner = _Runner(tmp_path, f"#!{sys.executable}\nimport sys; print('boom'); sys.exit(1)\n")
    rx = stamps.StampReceiver(runner, "eth9")
    rx.launch()
    assert runner.installs == 0  # installed already: not again
    with pytest.raises(RunnerError, match="(?s)did not start.*boom"):
        rx.wait_ready(timeout_s=1)


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tsrx"):
        stamps.StampReceiver(_Runner(tmp_path, ""), "eth9", "tsrx.py")
