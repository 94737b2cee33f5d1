# SPDX-License-Identifier: GPL-2.0-or-later
"""Send a plan's frames into an interface that lives in a network namespace.

An AF_PACKET socket belongs to the namespace it was created in, so the
socket is made by a short-lived helper thread that joined the namespace
with ``setns(2)``; the calling thread never changes namespace.  Writing a
frame to a tap interface hands it to the tap's reader (QEMU), i.e. the
guest NIC receives it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from harness.traffic.packets import SentPacket
from harness.vm import userns
from harness.vm.netns import NETNS_DIR

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003

#: default gap between frames: a TCG guest drops frames when flooded
DEFAULT_GAP_S = 0.002

_libc = ctypes.CDLL(None, use_errno=True)


def netns_path(netns: str | os.PathLike[str] | None) -> Path | None:
    """Path of a namespace given by ``ip netns`` name or by path; None = current."""
    if netns is None:
        return None
    p = Path(netns)
    if p.is_absolute():
        return p
    return NETNS_DIR / str(netns)


def run_in_netns(netns: str | os.PathLike[str] | None, fn: Callable[[], T]) -> T:
    """Run ``fn`` in a helper thread that joined ``netns``; return its result.

    Objects bound to a namespace at creation (sockets, tun devices) keep it
    after the thread ends.  ``netns=None`` runs ``fn`` directly.
    """
    path = netns_path(netns)
    if path is None:
        return fn()
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            error.append(exc)
            return
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                error.append(OSError(err, f"setns({path}): {os.strerror(err)}"))
                return
            result.append(fn())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            error.append(exc)
        finally:
            os.close(fd)

    t = threading.Thread(target=target, name=f"netns-{path.name}", daemon=True)
    t.start()
    t.join()
    if error:
        raise error[0]
    return result[0]


def open_packet_socket(
    ifname: str, netns: str | os.PathLike[str] | None = None, *, receive: bool = False
) -> socket.socket:
    """AF_PACKET raw socket bound to ``ifname`` inside ``netns``.

    With ``receive=False`` the socket is bound to protocol 0 and never queues
    incoming frames (a pure sender).
    """
    proto = ETH_P_ALL if receive else 0
    if (holder := userns.holder(netns)) is not None:  # a run without root
        return holder.packet_socket(ifname, proto)

    def make() -> socket.socket:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        try:
            s.bind((ifname, proto))
        except OSError:
            s.close()
            raise
        return s

    return run_in_netns(netns, make)


class Sender:
    """Writes frames to one interface, stamping each SentPacket with its send time."""

    def __init__(
        self,
        ifname: str,
        netns: str | os.PathLike[str] | None = None,
        gap_s: float = DEFAULT_GAP_S,
        retries: int = 50,
    ) -> None:
        self.ifname = ifname
        self.netns = netns
        self.gap_s = gap_s
        self.retries = retries
        self.sock = open_packet_socket(ifname, netns)

    def send(self, pkt: SentPacket) -> None:
        """Send one frame; retry briefly on ENOBUFS/EAGAIN (full queue)."""
        for attempt in range(self.retries + 1):
            pkt.sent_realtime_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
            pkt.sent_monotonic_ns = time.monotonic_ns()
            try:
                n = self.sock.send(pkt.frame)
            except OSError as exc:
                if exc.errno in (errno.ENOBUFS, errno.EAGAIN) and attempt < self.retries:
                    time.sleep(0.005)
                    continue
                raise
            if n != len(pkt.frame):
                raise OSError(errno.EMSGSIZE, f"short send: {n} of {len(pkt.frame)} bytes")
            return

    def send_plan(self, plan: Iterable[SentPacket], gap_s: float | None = None) -> int:
        """Send every frame in order with ``gap_s`` between frames; return the count."""
        gap = self.gap_s if gap_s is None else gap_s
        count = 0
        for pkt in plan:
            if count and gap > 0:
                time.sleep(gap)
            self.send(pkt)
            count += 1
        return count

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send_plan(
    plan: Iterable[SentPacket],
    ifname: str,
    netns: str | os.PathLike[str] | None = None,
    gap_s: float = DEFAULT_GAP_S,
) -> int:
    """Send a plan into ``ifname`` in ``netns``; return the number of frames sent."""
    with Sender(ifname, netns, gap_s) as s:
        return s.send_plan(plan)


def send_unix(plan: Iterable[SentPacket], qemu_sock: str, gap_s: float) -> None:
    """One datagram per frame to QEMU's end of a unix socket backend."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        for p in plan:
            p.sent_realtime_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
            p.sent_monotonic_ns = time.monotonic_ns()
            s.sendto(p.frame, qemu_sock)
            time.sleep(gap_s)
    finally:
        s.close()
