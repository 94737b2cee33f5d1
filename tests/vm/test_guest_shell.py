# SPDX-License-Identifier: GPL-2.0-or-later
"""GuestShell's command protocol against a real local bash behind a channel-like
pipe (the SSH channel is the only stand-in)."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from harness.vm.guest_shell import GuestShell, ShellGone


class _PipeChannel:
    """The part of paramiko.Channel GuestShell uses, over a local ``bash``."""

    def __init__(self) -> None:
        self.p = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out, self.err = bytearray(), bytearray()
        self.lock = threading.Lock()
        self.closed = False
        for stream, buf in ((self.p.stdout, self.out), (self.p.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, buf), daemon=True).start()

    def _pump(self, stream, buf: bytearray) -> None:  # type: ignore[no-untyped-def]
        while chunk := os.read(stream.fileno(), 65536):
            with self.lock:
                buf += chunk

    def sendall(self, data: bytes) -> None:
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def recv_ready(self) -> bool:
        return bool(self.out)

    def recv_stderr_ready(self) -> bool:
        return bool(self.err)

    def _take(self, buf: bytearray, n: int) -> bytes:
        with self.lock:
            data = bytes(buf[:n])
            del buf[:n]
        return data

    def recv(self, n: int) -> bytes:
        return self._take(self.out, n)

    def recv_stderr(self, n: int) -> bytes:
        return self._take(self.err, n)

    def exit_status_ready(self) -> bool:
        return self.p.poll() is not None and not self.out and not self.err

    def close(self) -> None:
        self.closed = True
        self.p.kill()
        self.p.wait()


@pytest.fixture
def shell():  # type: ignore[no-untyped-def]
    sh = GuestShell(_PipeChannel())
    yield sh
    sh.close()


def test_status_stdout_stderr_apart(shell: GuestShell) -> None:
    assert shell.run("echo out; echo err >&2; exit 3", 10) == (3, b"out\n", b"err\n")
    # the exit stayed in the command's subshell: the shell runs the next one
    assert shell.run("printf 'no newline'", 10) == (0, b"no newline", b"")
    assert shell.alive


def test_commands_are_isolated_and_read_no_input(shell: GuestShell) -> None:
    shell.run("cd /; X=1", 10)
    assert shell.run('pwd; echo "${X:-unset}"', 10)[1] == f"{os.getcwd()}\nunset\n".encode()
    assert shell.run("cat; echo after", 10) == (0, b"after\n", b"")  # stdin: /dev/null


def test_syntax_error_is_a_status_not_a_stuck_shell(shell: GuestShell) -> None:
    rc, out, err = shell.run("echo 'unbalanced", 10)
    assert rc != 0 and out == b"" and err
    assert shell.run("echo fine", 10) == (0, b"fine\n", b"")


def test_timeout_closes_the_shell(shell: GuestShell) -> None:
    with pytest.raises(ShellGone) as e:
        shell.run("sleep 5", 0.3)
    assert e.value.timeout and not shell.alive
