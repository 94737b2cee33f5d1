# SPDX-License-Identifier: GPL-2.0-or-later
"""The tap holder: runs inside a fresh user + network namespace (``unshare -Urn``).

Started by :mod:`harness.vm.userns` for a run without root. It makes what needs
privileges in the namespace -- tap devices, AF_PACKET sockets on them -- and hands
the file descriptors back over a unix socket (SCM_RIGHTS); QEMU attaches to a tap
through its fd (``-netdev tap,fd=``) and the host-side sender writes to the packet
socket, both from outside the namespace. It exits when the harness closes the
socket or dies (PR_SET_PDEATHSIG): the namespace and its taps go with it, so
nothing is left behind even after SIGKILL.

Standard library only: it runs as a script (``python3 -I -S tapd.py FD``).
Requests and answers are one JSON object a line:
``{"op": "tap", "name": N, "queues": Q}`` -> Q tap fds;
``{"op": "packet", "ifname": N, "proto": P}`` -> one bound AF_PACKET socket fd.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE = 0x0002, 0x1000, 0x4000, 0x0100
PR_SET_PDEATHSIG = 1


def open_tap(name: str, queues: int) -> list[int]:
    """``queues`` fds of one tap with a vnet header (multi-queue when > 1), link up,
    no IPv6 autoconf chatter into the guest."""
    flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (IFF_MULTI_QUEUE if queues > 1 else 0)
    fds = []
    for _ in range(queues):
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
        fds.append(fd)
    with open(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "w") as f:
        f.write("1")
    subprocess.run(["ip", "link", "set", "dev", name, "up"], check=True,
                   capture_output=True, timeout=20)
    return fds


def packet_socket(ifname: str, proto: int) -> int:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    s.bind((ifname, proto))
    return s.detach()


def serve(conn: socket.socket) -> None:
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            req = json.loads(line)
            try:
                if req["op"] == "tap":
                    fds = open_tap(req["name"], int(req["queues"]))
                else:
                    fds = [packet_socket(req["ifname"], int(req["proto"]))]
            except (OSError, subprocess.SubprocessError) as e:
                err = getattr(e, "stderr", b"") or b""
                conn.sendall(json.dumps({"error": f"{e} {err.decode(errors='replace')}".strip()})
                             .encode() + b"\n")
                continue
            socket.send_fds(conn, [json.dumps({"fds": len(fds)}).encode() + b"\n"], fds)
            if req["op"] == "packet":
                os.close(fds[0])
            # tap fds stay open here too: the tap lives as long as this process


def main() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, timeout=20)
    conn = socket.socket(fileno=int(sys.argv[1]))
    conn.sendall(b'{"ready": true}\n')
    serve(conn)


if __name__ == "__main__":
    main()
