# SPDX-License-Identifier: GPL-2.0-or-later
"""One long-lived guest shell on the SSH connection, for commands without stdin.

An exec channel per command costs ~75 ms under TCG (sshd forks a session, which
starts a shell: the guest's CPU is the run's bottleneck); a command sent to a
shell that is already running costs what the command costs (~2 ms for a
builtin).  Each command runs as ``( eval 'CMD' ) </dev/null`` in that shell: a
subshell of its own (``cd``, variables and ``exit`` stay inside it, as with
``bash -c``), a syntax error is the subshell's exit status, not a stuck shell,
and it cannot read the shell's own input.  After it, the shell prints an end
marker with the exit status on stdout and one on stderr; the caller reads up to
both.

A command that times out (or is interrupted) leaves the shell busy: it is
closed (as an exec channel's command, the command itself may go on running in
the guest) and the next command opens a new one.
"""

from __future__ import annotations

import re
import secrets
import shlex
import time

import paramiko

from harness.errors import HarnessError

POLL_S = 0.002


class ShellGone(HarnessError):
    """The shell ended or timed out; ``timeout`` tells which (Ssh.run turns it into
    an SshError)."""

    def __init__(self, msg: str, timeout: bool = False) -> None:
        super().__init__(msg)
        self.timeout = timeout


class GuestShell:
    """``bash`` on one session channel of ``transport``."""

    def __init__(self, chan: paramiko.Channel) -> None:
        """``chan``: a channel already running the shell (:meth:`open`)."""
        self.chan = chan

    @classmethod
    def open(cls, transport: paramiko.Transport) -> GuestShell:
        chan = transport.open_session()
        chan.exec_command("exec bash --noprofile --norc")
        return cls(chan)

    @property
    def alive(self) -> bool:
        return not (self.chan.closed or self.chan.exit_status_ready())

    def close(self) -> None:
        self.chan.close()

    def run(self, cmd: str, timeout: float) -> tuple[int, bytes, bytes]:
        """(exit status, stdout, stderr) of ``cmd``; ShellGone if the shell ends first or
        ``timeout`` passes (the shell is closed then)."""
        try:
            return self._run(cmd, timeout)
        except BaseException:
            # a timeout, a lost connection or Ctrl-C: the shell may still be busy with
            # this command, whose output would come before the next one's
            self.close()
            raise

    def _run(self, cmd: str, timeout: float) -> tuple[int, bytes, bytes]:
        mark = f"\x1e{secrets.token_hex(8)}:"
        self.chan.sendall((f"( eval {shlex.quote(cmd)}\n) </dev/null\n"
                           f"printf '%s%d\\n' '{mark}' $?\nprintf '%s\\n' '{mark}' >&2\n").encode())
        end_out = re.compile(re.escape(mark.encode()) + rb"(\d+)\n$")
        end_err = mark.encode() + b"\n"
        out, err = bytearray(), bytearray()
        rc: int | None = None
        err_done = False
        deadline = time.monotonic() + timeout
        while rc is None or not err_done:
            if self.chan.recv_ready():
                out += self.chan.recv(65536)
                m = end_out.search(out)
                if m:
                    rc = int(m.group(1))
                    del out[m.start():]
            elif self.chan.recv_stderr_ready():
                err += self.chan.recv_stderr(65536)
                if err.endswith(end_err):
                    err_done = True
                    del err[-len(end_err):]
            elif not self.alive:
                raise ShellGone("the guest shell ended")
            elif time.monotonic() > deadline:
                raise ShellGone(f"guest command timed out after {timeout:.0f} s", timeout=True)
            else:
                time.sleep(POLL_S)
        return rc, bytes(out), bytes(err)
