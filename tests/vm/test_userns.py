# SPDX-License-Identifier: GPL-2.0-or-later
"""The tap holder of runs without root: a real user + network namespace, a real tap.

No VM: a frame written to the tap's fd (as QEMU writes what the guest sends) arrives on
the holder's packet socket (the host side), and a frame sent there comes out of the tap
fd (what the guest receives). The tap never appears in the host's namespace and is gone
with the holder.
"""

from __future__ import annotations

import os
import select
from pathlib import Path

import pytest

from harness.vm import userns

VNET_HDR = bytes(10)  # struct virtio_net_hdr, all zero: no offloads
FRAME = bytes.fromhex("ffffffffffff" "525400aabbcc" "88b5") + b"xdp-hints userns test".ljust(46)


@pytest.fixture
def holder():
    why = userns.unavailable()
    if why:
        pytest.skip(why)
    h = userns.TapHolder(f"test-{os.getpid()}")
    yield h
    h.close()


def _read(fd: int, timeout: float = 5.0) -> bytes:
    assert select.select([fd], [], [], timeout)[0], "nothing arrived"
    return os.read(fd, 4096)


def test_tap_and_packet_socket_in_the_namespace(holder: userns.TapHolder) -> None:
    name = f"xhut{os.getpid() % 100000}"
    fds = holder.open_tap(name, 2)
    assert len(fds) == 2 and not Path(f"/sys/class/net/{name}").exists()
    assert userns.holder(holder.name) is holder
    sock = holder.packet_socket(name, 0x0003)  # ETH_P_ALL: receives too
    try:
        sock.settimeout(5)
        os.write(fds[0], VNET_HDR + FRAME)      # the "guest" sends
        assert sock.recv(4096) == FRAME
        sock.send(FRAME)                        # the host side sends
        got = _read(fds[0]) if select.select([fds[0]], [], [], 0.5)[0] else _read(fds[1])
        assert got[len(VNET_HDR):] == FRAME
    finally:
        sock.close()
    proc = holder.proc
    holder.close()
    assert proc.poll() is not None and userns.holder(holder.name) is None


def test_helper_error_is_reported(holder: userns.TapHolder) -> None:
    with pytest.raises(userns.UsernsError, match="No such device"):
        holder.packet_socket("no-such-if", 0)
