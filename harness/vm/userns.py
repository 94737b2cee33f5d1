# SPDX-License-Identifier: GPL-2.0-or-later
"""Test NICs without root: a user + network namespace that holds the taps.

A non-root user cannot create taps or network namespaces, and cannot
``setns(2)`` into a namespace either (that needs CAP_SYS_ADMIN in its own
namespace too). So one helper process per VM (:mod:`harness.vm.tapd`) is
started in a fresh user + network namespace (``unshare --user
--map-root-user --net``), where it is root; it opens the taps and the
host-side packet sockets there and passes their file descriptors back. QEMU
attaches through ``-netdev tap,fd=``; the sender writes to the socket. The
namespace is private to the VM, as root's ``ip netns`` one is, and vanishes
with the helper, which dies with the harness.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from harness.errors import HarnessError

TAPD = Path(__file__).with_name("tapd.py")
TUN = "/dev/net/tun"
START_TIMEOUT_S = 20


class UsernsError(HarnessError):
    """The user namespace (or something in it) could not be made."""


@functools.cache
def unavailable() -> str | None:
    """Why this user cannot make a user + network namespace, or None."""
    if not shutil.which("unshare"):
        return "unshare(1) is missing (util-linux)"
    if not os.access(TUN, os.R_OK | os.W_OK):
        return (f"{TUN} is not open to this user (Debian's default mode is 0666; "
                "`make setup` as root restores it)")
    p = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"],
                       capture_output=True, text=True, timeout=20)
    if p.returncode != 0:
        return (f"unprivileged user namespaces are not available ({p.stderr.strip()}); "
                "run as root, or allow them (sysctl user.max_user_namespaces, "
                "kernel.unprivileged_userns_clone=1, or an AppArmor userns profile)")
    return None


#: holders of the running VMs, by the VM's namespace name
_holders: dict[str, TapHolder] = {}


class TapHolder:
    """The helper process of one VM: taps and packet sockets as file descriptors."""

    def __init__(self, name: str) -> None:
        self.name = name
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn = ours
        self.tap_fds: list[int] = []
        self._buf = b""
        try:
            self.proc = subprocess.Popen(
                ["unshare", "--user", "--map-root-user", "--net", "--",
                 sys.executable, "-I", "-S", str(TAPD), str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        finally:
            theirs.close()
        self.conn.settimeout(START_TIMEOUT_S)
        try:
            self._answer()
        except (OSError, UsernsError) as e:
            self.close()
            raise UsernsError(f"namespace helper did not start: {e}") from None
        _holders[name] = self

    def _answer(self) -> tuple[dict, list[int]]:
        while b"\n" not in self._buf:
            msg, fds, _flags, _addr = socket.recv_fds(self.conn, 4096, 16)
            if not msg:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise UsernsError(f"the helper exited: {err.strip() or self.proc.wait()}")
            self._buf += msg
            if fds:
                self._fds = fds
        line, self._buf = self._buf.split(b"\n", 1)
        reply, fds = json.loads(line), getattr(self, "_fds", [])
        self._fds = []
        if "error" in reply:
            raise UsernsError(reply["error"])
        return reply, fds

    def _ask(self, **req) -> list[int]:
        self.conn.sendall(json.dumps(req).encode() + b"\n")
        return self._answer()[1]

    def open_tap(self, name: str, queues: int) -> list[int]:
        """``queues`` fds of a new tap ``name`` in the namespace (kept open here for QEMU)."""
        fds = self._ask(op="tap", name=name, queues=queues)
        self.tap_fds += fds
        return fds

    def packet_socket(self, ifname: str, proto: int) -> socket.socket:
        """An AF_PACKET socket bound to ``ifname`` in the namespace."""
        (fd,) = self._ask(op="packet", ifname=ifname, proto=proto)
        return socket.socket(fileno=fd)

    def close(self) -> None:
        """Close everything; the helper exits and the namespace is gone."""
        _holders.pop(self.name, None)
        for fd in self.tap_fds:
            os.close(fd)
        self.tap_fds = []
        self.conn.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()


def holder(name: str | os.PathLike[str] | None) -> TapHolder | None:
    """The holder of namespace ``name`` if it is one of ours (a run without root)."""
    return _holders.get(str(name)) if name else None
