# SPDX-License-Identifier: GPL-2.0-or-later
"""SSH into the guest with paramiko: readiness wait, exec with timeout, SFTP.

The harness key pair is generated into the cache on first use and never
committed; its public half reaches the guest on the kernel command line.
"""

from __future__ import annotations

import base64
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paramiko

from harness.errors import HarnessError
from harness.paths import cache_dir
from harness.vm.guest_shell import GuestShell, ShellGone

# paramiko's transport thread logs every refused early connection with a traceback;
# failures reach the caller as exceptions anyway.
logging.getLogger("paramiko").setLevel(logging.CRITICAL)


class SshError(HarnessError):
    """The guest did not answer SSH, or a transfer failed."""


class GuestCommandError(HarnessError):
    """A guest command exited non-zero (``check``)."""

    def __init__(self, cmd: str, result: Result) -> None:
        super().__init__(f"guest command failed (exit {result.rc}): {cmd}\n"
                         f"{(result.stderr or result.stdout).strip()[-2000:]}")
        self.result = result


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str


def key_pair() -> tuple[Path, str]:
    """(private key path, public key line), generating the pair once."""
    d = cache_dir() / "ssh"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = d / "id_ed25519"
    if not key.exists():
        tmp = d / "id_ed25519.tmp"
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".pub").unlink(missing_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "xdp-hints",
                        "-f", str(tmp)], check=True)
        Path(str(tmp) + ".pub").rename(str(key) + ".pub")
        tmp.rename(key)
    pub = Path(str(key) + ".pub").read_text().split()
    return key, f"{pub[0]} {pub[1]}"


class Ssh:
    """One SSH connection to the guest (root@127.0.0.1:port)."""

    def __init__(self, port: int, key: Path, host_key: str | None = None) -> None:
        """``host_key``: the guest's public host key (``ssh-ed25519 AAAA...``) as the
        rootfs image was built with it; any other key is refused."""
        self.port = port
        self.key = paramiko.Ed25519Key.from_private_key_file(str(key))
        self.host_key = host_key
        self.client: paramiko.SSHClient | None = None
        #: the long-lived shell for commands without stdin (one caller at a time; a
        #: concurrent caller gets an exec channel)
        self._shell: GuestShell | None = None
        self._shell_lock = threading.Lock()

    def wait_ready(self, deadline: float, keep_going: Callable[[], bool]) -> None:
        """Connect with backoff until it works, ``deadline`` (monotonic) passes,
        or ``keep_going()`` says stop (QEMU died, kernel crashed)."""
        delay, last = 0.2, "no attempt"
        while time.monotonic() < deadline and keep_going():
            try:
                self._connect(timeout=max(1.0, min(20.0, deadline - time.monotonic())))
                return
            except paramiko.BadHostKeyException as e:
                raise SshError(f"the guest on 127.0.0.1:{self.port} offered SSH host key "
                               f"{e.key.get_base64()[:24]}..., not the one its rootfs image was "
                               "built with: another machine is on that port, or the image "
                               "changed under the harness") from None
            except (OSError, paramiko.SSHException, EOFError) as e:
                last = f"{type(e).__name__}: {e}"
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        raise SshError(f"no SSH answer on 127.0.0.1:{self.port} ({last})")

    def _connect(self, timeout: float) -> None:
        client = paramiko.SSHClient()
        if self.host_key:
            kind, blob = self.host_key.split()[:2]
            client.get_host_keys().add(f"[127.0.0.1]:{self.port}", kind,
                                       paramiko.PKey.from_type_string(kind, base64.b64decode(blob)))
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect("127.0.0.1", port=self.port, username="root", pkey=self.key,
                           timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
                           allow_agent=False, look_for_keys=False)
            client.get_transport().set_keepalive(15)
        except Exception:
            client.close()
            raise
        self.client = client

    def run(self, cmd: str, timeout: float = 60.0, stdin: bytes | None = None) -> Result:
        """Run ``cmd`` in the guest shell; SshError on timeout.  Without ``stdin`` it
        goes to the long-lived guest shell (harness.vm.guest_shell), with it to an exec
        channel of its own."""
        if self.client is None:
            raise SshError("not connected")
        if stdin is None and self._shell_lock.acquire(blocking=False):
            try:
                return self._run_in_shell(cmd, timeout)
            finally:
                self._shell_lock.release()
        return self._run_exec(cmd, timeout, stdin)

    def _run_in_shell(self, cmd: str, timeout: float) -> Result:
        try:
            if self._shell is None or not self._shell.alive:
                self._shell = GuestShell.open(self.client.get_transport())
            rc, out, err = self._shell.run(cmd, timeout)
        except ShellGone as e:
            self._shell = None
            if e.timeout:
                raise SshError(f"guest command timed out after {timeout:.0f} s: {cmd}") from None
            raise SshError(f"the guest shell ended during: {cmd}") from None
        except (OSError, EOFError, paramiko.SSHException) as e:
            self._shell = None
            raise SshError(f"guest command failed ({type(e).__name__}: {e}): {cmd}") from None
        return Result(rc, out.decode(errors="replace"), err.decode(errors="replace"))

    def _run_exec(self, cmd: str, timeout: float, stdin: bytes | None) -> Result:
        """``cmd`` on an exec channel of its own (``stdin`` sent, then EOF)."""
        chan = self.client.get_transport().open_session()
        chan.settimeout(timeout)
        try:
            chan.exec_command(cmd)
            if stdin is not None:
                chan.sendall(stdin)
            chan.shutdown_write()
            out, err = bytearray(), bytearray()
            end = time.monotonic() + timeout
            while True:
                if chan.recv_ready():
                    out += chan.recv(65536)
                elif chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                elif chan.exit_status_ready() and (chan.eof_received or chan.closed):
                    # sshd may send exit-status before the last of the output (it
                    # reports the child's exit while still draining its pipe): only
                    # the channel EOF says all data is here
                    while chan.recv_ready():
                        out += chan.recv(65536)
                    while chan.recv_stderr_ready():
                        err += chan.recv_stderr(65536)
                    break
                elif time.monotonic() > end:
                    raise SshError(f"guest command timed out after {timeout:.0f} s: {cmd}")
                else:
                    time.sleep(0.01)
            return Result(chan.recv_exit_status(), out.decode(errors="replace"),
                          err.decode(errors="replace"))
        except TimeoutError as e:
            raise SshError(f"guest command timed out after {timeout:.0f} s: {cmd}") from e
        finally:
            chan.close()

    def check(self, cmd: str, timeout: float = 60.0) -> str:
        r = self.run(cmd, timeout)
        if r.rc != 0:
            raise GuestCommandError(cmd, r)
        return r.stdout

    def put(self, local: Path | str, remote: str, mode: int | None = None) -> None:
        self.put_many([(local, remote, mode)])

    def put_many(self, files: list[tuple[Path | str, str, int | None]]) -> None:
        """(local, remote, mode) copies through one SFTP session (each session starts an
        sftp-server in the guest)."""
        with self.client.open_sftp() as sftp:
            for local, remote, mode in files:
                sftp.put(str(local), remote)
                if mode is not None:
                    sftp.chmod(remote, mode)

    def get(self, remote: str, local: Path | str) -> None:
        with self.client.open_sftp() as sftp:
            sftp.get(remote, str(local))

    def interactive_argv(self, key: Path) -> list[str]:
        """An ``ssh`` command line for an interactive shell in the guest."""
        return ["ssh", "-i", str(key), "-p", str(self.port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@127.0.0.1"]

    def close(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None
        if self.client is not None:
            self.client.close()
            self.client = None
