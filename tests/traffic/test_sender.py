# SPDX-License-Identifier: GPL-2.0-or-later
"""Sender: frames written into a namespace's tap/veth arrive byte-identical.

Needs root (network namespaces); every namespace is private to the test and
removed afterwards, so no traffic leaves it.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import select
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.traffic import packets as pk
from harness.traffic import parse
from harness.traffic.sender import Sender, open_packet_socket, run_in_netns, send_plan

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2"
)


@pytest.fixture(autouse=True)
def _rtnl_usable() -> None:
    """Skip where the host's rtnl is wedged: every ip(8) call would leave a D-state task."""
    from harness.vm import netns as netns_mod

    why = netns_mod.rtnl_wedged()
    if why:
        pytest.skip(why)

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
IFF_MULTI_QUEUE = 0x0100
VNET_HDR_LEN = 10  # struct virtio_net_hdr, the tun default (TUNSETVNETHDRSZ not set)
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40


def ip(*args: str, timeout: float = 20.0, check: bool = True) -> str:
    """Run ip(8); fail (not hang) when the host's rtnl is wedged."""
    proc = subprocess.Popen(
        ["ip", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # may linger in D state; do not wait for it
        pytest.fail(f"ip {' '.join(args)} hung for {timeout:.0f} s (host rtnl wedged?)")
    if check and proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, ["ip", *args], out, err)
    return out


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"xhs-{os.getpid()}-{secrets.token_hex(3)}"
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        ip("netns", "del", name, check=False)


def mac_of(netns: str, ifname: str) -> str:
    out = ip("-n", netns, "-o", "link", "show", ifname)
    return out.split("link/ether ")[1].split()[0]


@pytest.fixture
def veth(netns: str) -> tuple[str, str, str]:
    ip("-n", netns, "link", "add", "xa0", "type", "veth", "peer", "name", "xb0")
    for dev in ("xa0", "xb0"):
        ip("-n", netns, "link", "set", dev, "up")
    return netns, "xa0", "xb0"


def open_tap(netns: str, name: str) -> int:
    def make() -> int:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        ifr = struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI)
        fcntl.ioctl(fd, TUNSETIFF, ifr)
        return fd

    fd = run_in_netns(netns, make)
    ip("-n", netns, "link", "set", name, "up")
    return fd


def collect(read_one, want: set[int], timeout: float = 5.0) -> dict[int, list[bytes]]:
    """Call read_one() -> bytes|None until every wanted id was seen or timeout."""
    got: dict[int, list[bytes]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not want <= got.keys():
        frame = read_one(deadline - time.monotonic())
        if frame is None:
            continue
        pid = parse.find_payload_id(frame)
        if pid is not None:
            got.setdefault(pid, []).append(frame)
    return got


def test_run_in_netns_isolated(netns: str) -> None:
    here = os.readlink("/proc/thread-self/ns/net")
    inside = run_in_netns(netns, lambda: os.readlink("/proc/thread-self/ns/net"))
    assert inside != here
    assert os.readlink("/proc/thread-self/ns/net") == here
    with pytest.raises(OSError):
        run_in_netns("xhs-does-not-exist-" + secrets.token_hex(3), lambda: 1)


def test_tap_receives_plan_byte_identical(netns: str) -> None:
    fd = open_tap(netns, "xtap0")
    try:
        plan = pk.make_plan(2 * len(pk.DEFAULT_KINDS), "52:54:00:00:00:01", seed=11)
        before = time.clock_gettime_ns(time.CLOCK_REALTIME)
        assert send_plan(plan, "xtap0", netns, gap_s=0.0005) == len(plan)

        def read_one(left: float) -> bytes | None:
            r, _, _ = select.select([fd], [], [], max(left, 0))
            return os.read(fd, 65536) if r else None

        got = collect(read_one, {p.id for p in plan})
    finally:
        os.close(fd)
    assert set(got) == {p.id for p in plan}, "missing ids"
    for p in plan:
        assert got[p.id] == [p.frame], f"id {p.id} ({p.kind}) differs or duplicated"
    stamps = [p.sent_realtime_ns for p in plan]
    assert all(s is not None and s >= before for s in stamps)
    mono = [p.sent_monotonic_ns or 0 for p in plan]
    assert mono == sorted(mono) and len(set(mono)) == len(mono)


def test_multiqueue_vnet_tap_like_qemu(netns: str) -> None:
    """The harness's taps: ``ip tuntap ... vnet_hdr multi_queue``, read by two queues."""
    ip("-n", netns, "tuntap", "add", "dev", "xmq0", "mode", "tap", "vnet_hdr", "multi_queue")

    def attach() -> int:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", b"xmq0", flags))
        return fd

    fds = [run_in_netns(netns, attach) for _ in range(2)]
    ip("-n", netns, "link", "set", "xmq0", "up")
    try:
        plan = pk.make_plan(4 * len(pk.DEFAULT_KINDS), "52:54:00:00:00:02", seed=12)
        send_plan(plan, "xmq0", netns, gap_s=0.0002)

        def read_one(left: float) -> bytes | None:
            r, _, _ = select.select(fds, [], [], max(left, 0))
            return os.read(r[0], 65536)[VNET_HDR_LEN:] if r else None

        got = collect(read_one, {p.id for p in plan})
    finally:
        for fd in fds:
            os.close(fd)
    assert set(got) == {p.id for p in plan}
    for p in plan:
        assert got[p.id] == [p.frame], f"id {p.id} ({p.kind})"


def _recv_with_vlan(sock: socket.socket, left: float) -> bytes | None:
    """One frame from an AF_PACKET socket, with the kernel-stripped tag put back."""
    sock.settimeout(max(left, 0.01))
    try:
        data, anc, _, addr = sock.recvmsg(65536, socket.CMSG_SPACE(32))
    except TimeoutError:
        return None
    if addr[2] == PACKET_OUTGOING:
        return None
    for level, typ, cdata in anc:
        if level == SOL_PACKET and typ == PACKET_AUXDATA:
            status, _, _, _, _, tci, tpid = struct.unpack_from("IIIHHHH", cdata)
            if status & TP_STATUS_VLAN_VALID:
                tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else 0x8100
                data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data


def test_veth_peer_captures_plan(veth: tuple[str, str, str]) -> None:
    ns, a, b = veth
    plan = pk.make_plan(len(pk.DEFAULT_KINDS), mac_of(ns, b), seed=5)
    cap = open_packet_socket(b, ns, receive=True)
    try:
        cap.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        with Sender(a, ns, gap_s=0.0) as s:
            s.send_plan(plan)
        got = collect(lambda left: _recv_with_vlan(cap, left), {p.id for p in plan})
    finally:
        cap.close()
    assert set(got) == {p.id for p in plan}
    for p in plan:
        assert got[p.id] == [p.frame], f"id {p.id} ({p.kind})"


def _snmp(ns: str) -> dict[str, int]:
    def read() -> str:
        return Path("/proc/thread-self/net/snmp").read_text()

    lines = [ln.split() for ln in run_in_netns(ns, read).splitlines()]
    out: dict[str, int] = {}
    for head, vals in zip(lines[::2], lines[1::2], strict=True):
        for k, v in zip(head[1:], vals[1:], strict=True):
            out[head[0].rstrip(":") + k] = int(v)
    return out


def test_kernel_accepts_checksums(veth: tuple[str, str, str]) -> None:
    """The receiving kernel validates IPv4/UDP/TCP checksums of our frames."""
    ns, a, b = veth
    ip("-n", ns, "addr", "add", "192.0.2.1/24", "dev", b)
    ip("-n", ns, "addr", "add", "2001:db8::1/64", "dev", b, "nodad")
    ip("-n", ns, "route", "add", "default", "dev", b)
    kinds = ["ipv4-udp", "ipv6-udp", "ipv4-tcp", "ipv6-tcp"]
    plan = pk.make_plan(8, mac_of(ns, b), kinds=kinds, seed=9, dports=[9999])
    bad = pk.make_plan(
        2, mac_of(ns, b), kinds=["ipv4-udp", "ipv4-tcp"], seed=1, dports=[9999], first_id=100
    )
    for p in bad:  # flip a payload bit: checksums no longer match
        p.frame = p.frame[:-1] + bytes([p.frame[-1] ^ 1])

    def socks() -> list[socket.socket]:
        out = []
        for fam, addr in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((addr, 9999))
            s.settimeout(0.5)
            out.append(s)
        return out

    udp4, udp6 = run_in_netns(ns, socks)
    try:
        before = _snmp(ns)
        send_plan(plan + bad, a, ns, gap_s=0.0)
        time.sleep(0.3)
        after = _snmp(ns)
        got: set[int] = set()
        for s in (udp4, udp6):
            while True:
                try:
                    got.add(parse.find_payload_id(s.recv(2048)) or -1)
                except TimeoutError:
                    break
    finally:
        udp4.close()
        udp6.close()
    assert got == {p.id for p in plan if p.l4 == "udp"}
    n_tcp = sum(p.l4 == "tcp" for p in plan)
    assert after["TcpInSegs"] - before["TcpInSegs"] == n_tcp + 1
    assert after["TcpInCsumErrors"] - before["TcpInCsumErrors"] == 1  # only the corrupted one
    assert after["UdpInCsumErrors"] - before["UdpInCsumErrors"] == 1
