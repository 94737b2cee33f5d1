# SPDX-License-Identifier: GPL-2.0-or-later
"""Device tests of the emulated igc over QEMU's qtest protocol (no guest kernel).

QEMU runs with ``-accel qtest``; the test plays the driver: it programs PCI config
space through 0xcf8/0xcfc, the registers through BAR0, rings and buffers in guest
RAM, and injects frames through a ``-netdev dgram`` UDP socket.  MSI-X messages are
pointed at guest RAM so a raised interrupt shows up as a word written there.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from harness.artifacts.qemu_build import find_qemu, firmware_args
from harness.nics.igc_model import IgcModel
from harness.traffic.checksum import inet_checksum

QEMU = find_qemu()
pytestmark = pytest.mark.skipif(
    QEMU is None, reason="no QEMU build with igc in the cache (run: xdp-hints qemu build)")

MAC = "52:54:00:12:34:56"
MAC_B = bytes.fromhex(MAC.replace(":", ""))
BAR0 = 0xE0000000
BAR3 = 0xE0100000
DEVFN = 3 << 3                      # 00:03.0
MSI_ADDR = 0x00300000               # MSI-X messages land here (RAM)
RING = {0: 0x00100000, 1: 0x00110000}
BUFS = {0: 0x00200000, 1: 0x00240000}
TX_RING, TX_BUF = 0x00120000, 0x00280000
NDESC = 8
BUFSZ = 2048

# registers (offsets from the I225 datasheet / Linux igc_regs.h)
CTRL, STATUS, EECD, MDIC, VET = 0x0, 0x8, 0x10, 0x20, 0x38
RCTL, TCTL, EERD = 0x100, 0x400, 0x12014
ICR, IMS, GPIE, EIMS, EIAC, EIAM = 0x1500, 0x1508, 0x1514, 0x1524, 0x152C, 0x1530
IVAR0, IVAR_MISC = 0x1700, 0x1740
RAL0, RAH0, MRQC, RETA, RSSRK = 0x5400, 0x5404, 0x5818, 0x5C00, 0x5C80
TSYNCRXCTL, RLPML = 0xB620, 0x5004


def RDBAL(n): return 0xC000 + 0x40 * n          # noqa: E302,E704
def RDLEN(n): return 0xC008 + 0x40 * n          # noqa: E302,E704
def SRRCTL(n): return 0xC00C + 0x40 * n         # noqa: E302,E704
def RDH(n): return 0xC010 + 0x40 * n            # noqa: E302,E704
def RDT(n): return 0xC018 + 0x40 * n            # noqa: E302,E704
def RXDCTL(n): return 0xC028 + 0x40 * n         # noqa: E302,E704
def TDBAL(n): return 0xE000 + 0x40 * n          # noqa: E302,E704


KEY = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa")


# ---------------------------------------------------------------- independent oracle

def toeplitz(key: bytes, data: bytes) -> int:
    """Reference Toeplitz hash, written here independently of QEMU's and the harness's."""
    k = int.from_bytes(key, "big")
    klen = len(key) * 8
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                bit = i * 8 + b
                h ^= (k >> (klen - 32 - bit)) & 0xFFFFFFFF
    return h




def udp4_frame(src: str, dst: str, sport: int, dport: int, payload: bytes,
               vlan: int | None = None, proto: int = 17) -> bytes:
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 1024, 0, 0) + payload
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    pseudo = s + d + struct.pack("!BBH", 0, proto, len(l4))
    c = inet_checksum(pseudo + l4)
    off = 6 if proto == 17 else 16
    l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, s, d)
    ip = ip[:10] + struct.pack("!H", inet_checksum(ip)) + ip[12:]
    eth = MAC_B + bytes.fromhex("020000000001")
    if vlan is not None:
        eth += struct.pack("!HH", 0x8100, vlan)
    return eth + b"\x08\x00" + ip + l4


# ---------------------------------------------------------------- qtest / qmp clients

class QTest:
    """Minimal client of QEMU's qtest text protocol."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _cmd(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\n")
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("qtest connection closed (QEMU died?)")
                self.buf += chunk
            resp, self.buf = self.buf.split(b"\n", 1)
            text = resp.decode()
            if text.startswith("IRQ"):
                continue
            if not text.startswith("OK"):
                raise RuntimeError(f"qtest {line!r}: {text}")
            return text[3:]

    def readl(self, addr: int) -> int:
        return int(self._cmd(f"readl {addr:#x}"), 16)

    def writel(self, addr: int, val: int) -> None:
        self._cmd(f"writel {addr:#x} {val & 0xFFFFFFFF:#x}")

    def outl(self, port: int, val: int) -> None:
        self._cmd(f"outl {port:#x} {val:#x}")

    def inl(self, port: int) -> int:
        return int(self._cmd(f"inl {port:#x}"), 16)

    def memread(self, addr: int, size: int) -> bytes:
        return bytes.fromhex(self._cmd(f"read {addr:#x} {size:#x}")[2:])

    def memwrite(self, addr: int, data: bytes) -> None:
        self._cmd(f"write {addr:#x} {len(data):#x} 0x{data.hex()}")

    # PCI config through the legacy ports
    def cfg_read(self, reg: int) -> int:
        self.outl(0xCF8, 0x80000000 | (DEVFN << 8) | (reg & 0xFC))
        return self.inl(0xCFC)

    def cfg_write(self, reg: int, val: int) -> None:
        self.outl(0xCF8, 0x80000000 | (DEVFN << 8) | (reg & 0xFC))
        self.outl(0xCFC, val)


class Qmp:
    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.f = self.sock.makefile("rwb")
        json.loads(self.f.readline())
        self.command("qmp_capabilities")

    def command(self, _cmd: str, **args):
        name = _cmd
        self.f.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.f.flush()
        while True:
            msg = json.loads(self.f.readline())
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise RuntimeError(f"QMP {name}: {msg['error']}")


class Dev:
    """One QEMU with one igc, driven over qtest; frames in/out over UDP."""

    def __init__(self, extra: str = "") -> None:
        self.tmp = tempfile.mkdtemp(prefix="igcqt-")
        qsock = os.path.join(self.tmp, "qtest.sock")
        msock = os.path.join(self.tmp, "qmp.sock")
        srv = socket.socket(socket.AF_UNIX)
        srv.bind(qsock)
        srv.listen(1)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(5)
        host_port = self.udp.getsockname()[1]
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        self.qemu_port = probe.getsockname()[1]
        probe.close()
        cmd = [str(QEMU), *firmware_args(), "-machine", "q35", "-accel", "qtest",
               "-qtest", f"unix:{qsock}", "-qmp", f"unix:{msock},server=on,wait=off",
               "-display", "none", "-nodefaults", "-m", "256",
               "-netdev", f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,"
               f"local.port={self.qemu_port},remote.type=inet,remote.host=127.0.0.1,"
               f"remote.port={host_port}",
               "-device", f"igc,netdev=n0,mac={MAC},id=tnic0,addr=0x3{extra}"]
        self.log = open(os.path.join(self.tmp, "qemu.log"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        srv.settimeout(20)
        try:
            conn, _ = srv.accept()
        except TimeoutError:
            self.proc.kill()
            raise RuntimeError("QEMU did not connect to qtest: " + self.qemu_log()) from None
        srv.close()
        self.qt = QTest(conn)
        for _ in range(100):
            if os.path.exists(msock):
                break
            time.sleep(0.05)
        self.qmp = Qmp(msock)
        self.model = IgcModel(self.qmp.command, "tnic0")

    def qemu_log(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.udp.close()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # device access
    def r(self, off: int) -> int:
        return self.qt.readl(BAR0 + off)

    def w(self, off: int, val: int) -> None:
        self.qt.writel(BAR0 + off, val)

    def send(self, frame: bytes) -> None:
        self.udp.sendto(frame, ("127.0.0.1", self.qemu_port))

    def enable_pci(self, msix: bool = True) -> None:
        self.qt.cfg_write(0x10, BAR0)
        self.qt.cfg_write(0x1C, BAR3)
        self.qt.cfg_write(0x04, 0x0006)              # memory + bus master
        if msix:
            ctl = self.qt.cfg_read(0x70)
            assert ctl & 0xFF == 0x11, f"MSI-X capability expected at 0x70: {ctl:#x}"
            self.qt.cfg_write(0x70, ctl | (1 << 31))  # MSI-X enable
            for v in range(5):
                e = BAR3 + 16 * v
                self.qt.writel(e + 0, MSI_ADDR + 4 * v)
                self.qt.writel(e + 4, 0)
                self.qt.writel(e + 8, 0xA0 + v)
                self.qt.writel(e + 12, 0)            # unmasked
            self.qt.memwrite(MSI_ADDR, bytes(32))

    def msix_fired(self, v: int) -> bool:
        return struct.unpack("<I", self.qt.memread(MSI_ADDR + 4 * v, 4))[0] == 0xA0 + v

    def setup_rx(self, queues=(0, 1), timestamp=True, vlan_strip=True, bufsz=BUFSZ) -> None:
        for i in range(10):
            self.w(RSSRK + 4 * i, int.from_bytes(KEY[4 * i:4 * i + 4], "little"))
        for i in range(32):                         # RETA: entry j -> queue j % 2
            self.w(RETA + 4 * i, 0x01000100)
        self.w(MRQC, 0x2 | (1 << 16) | (1 << 17) | (1 << 20) | (1 << 21) | (1 << 22)
               | (1 << 23))
        self.w(GPIE, (1 << 4) | (1 << 30) | (1 << 31) | 1)
        self.w(IVAR0, (0x80 | 1) | ((0x80 | 2) << 16))  # rx q0 -> vec 1, rx q1 -> vec 2
        self.w(IVAR_MISC, (0x80 | 0) << 8)
        self.w(EIAC, 0x1F)
        self.w(EIAM, 0x1F)
        self.w(EIMS, 0x1F)
        self.w(VET, 0x8100)
        self.w(CTRL, self.r(CTRL) | ((1 << 30) if vlan_strip else 0))
        if timestamp:
            self.w(TSYNCRXCTL, 0x10 | 0x08)
        for q in queues:
            ring, bufs = RING[q], BUFS[q]
            desc = b"".join(struct.pack("<QQ", bufs + i * bufsz, 0) for i in range(NDESC))
            self.qt.memwrite(ring, desc)
            self.w(RDBAL(q), ring)
            self.w(RDBAL(q) + 4, 0)
            self.w(RDLEN(q), NDESC * 16)
            self.w(SRRCTL(q), (bufsz // 1024) | (1 << 25) | ((1 << 30) if timestamp else 0))
            self.w(RDH(q), 0)
            self.w(RDT(q), NDESC - 1)
            self.w(RXDCTL(q), 1 << 25)
        self.w(RLPML, 1522)
        self.w(RCTL, (1 << 1) | (1 << 15) | (1 << 5) | (1 << 26))

    def wait_rdh(self, q: int, value: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.r(RDH(q)) == value:
                return
            time.sleep(0.02)
        raise AssertionError(f"RDH({q}) stayed {self.r(RDH(q))}, expected {value}; "
                             f"stats {self.model.stats()}")

    def desc(self, q: int, i: int) -> tuple[int, int, int, int, int]:
        lo, hsh, st, ln, vl = struct.unpack("<IIIHH", self.qt.memread(RING[q] + 16 * i, 16))
        return lo, hsh, st, ln, vl


@pytest.fixture
def dev():
    d = Dev()
    try:
        yield d
    finally:
        d.close()


# ---------------------------------------------------------------- tests

def test_pci_identity_and_reset_values(dev):
    ids = dev.qt.cfg_read(0x00)
    assert ids == 0x15F28086
    dev.enable_pci(msix=False)
    status = dev.r(STATUS)
    assert status & 0x3 == 0x3, "link up + full duplex"
    assert status & (1 << 7) and status & (1 << 22), "2500 Mb/s = SPEED_1000|SPEED_2500"
    assert status & (1 << 19), "GIO master enabled"
    assert dev.r(EECD) & (1 << 9), "NVM auto-read done"
    ral, rah = dev.r(RAL0), dev.r(RAH0)
    assert struct.pack("<IH", ral, rah & 0xFFFF) == MAC_B
    assert rah & (1 << 31), "RAH0 address valid"
    # global reset keeps the MAC, clears the rings
    dev.w(RDLEN(0), 0x400)
    dev.w(CTRL, dev.r(CTRL) | (1 << 26))
    assert dev.r(CTRL) & (1 << 26) == 0
    assert dev.r(RDLEN(0)) == 0
    assert dev.r(RAL0) == ral


def test_i226_device_id():
    d = Dev(extra=",device-id=0x125b")
    try:
        assert d.qt.cfg_read(0x00) == 0x125B8086
    finally:
        d.close()


def mdic_read(dev, reg: int, phy: int = 0) -> int:
    dev.w(MDIC, (reg << 16) | (phy << 21) | (1 << 27))
    v = dev.r(MDIC)
    assert v & (1 << 28), "MDIC ready"
    return v


def test_phy_over_mdic_and_nvm_over_eerd(dev):
    dev.enable_pci(msix=False)
    assert mdic_read(dev, 2) & 0xFFFF == 0x67C9
    assert mdic_read(dev, 3) & 0xFFF0 == 0xDC00
    st = mdic_read(dev, 1) & 0xFFFF
    assert st & 0x0004 and st & 0x0020, "PHY link + autoneg complete"
    assert mdic_read(dev, 1, phy=1) & (1 << 30), "PHY address != 0 -> MDIC error"
    # MMD 7 register 0x20 through MMDAC/MMDAAD
    dev.w(MDIC, (13 << 16) | (1 << 26) | 7)
    dev.w(MDIC, (14 << 16) | (1 << 26) | 0x20)
    dev.w(MDIC, (13 << 16) | (1 << 26) | 0x4007)
    assert mdic_read(dev, 14) & 0xFFFF == 0x0080
    words = []
    for a in range(3):
        dev.w(EERD, (a << 2) | 1)
        v = dev.r(EERD)
        assert v & 2, "EERD done"
        words.append(v >> 16)
    assert struct.pack("<HHH", *words) == MAC_B
    total = 0
    for a in range(0x40):
        dev.w(EERD, (a << 2) | 1)
        total += dev.r(EERD) >> 16
    assert total & 0xFFFF == 0xBABA, "NVM checksum"


def test_rx_rss_vlan_timestamp_msix(dev):
    dev.enable_pci()
    dev.setup_rx()
    start = 1_700_000_000 * 10**9 + 123_456_789
    dev.model.set_deterministic(start, 1000)
    assert dev.model.clock_mode() == "deterministic"
    assert dev.model.rss_key() == KEY
    assert dev.model.reta()[:4] == [0, 1, 0, 1]

    flows = [("10.0.0.1", "10.0.0.2", 1000 + i, 4791) for i in range(6)]
    expect = []
    for n, (s, d, sp, dp) in enumerate(flows):
        tci = ((n % 7 + 1) << 13) | ((n & 1) << 12) | (100 + n)  # PCP, DEI kept whole
        frame = udp4_frame(s, d, sp, dp, b"id%04d" % n + bytes(40), vlan=tci)
        data = (ipaddress.IPv4Address(s).packed + ipaddress.IPv4Address(d).packed
                + struct.pack("!HH", sp, dp))
        h = toeplitz(KEY, data)
        expect.append((h, h & 1, len(frame) - 4, tci))
        dev.send(frame)
        # wait until the model took it (keeps the deterministic ts order == send order)
        deadline = time.monotonic() + 5
        while dev.model.stats()["rx_seq"] < n + 1 and time.monotonic() < deadline:
            time.sleep(0.02)

    per_q = {0: 0, 1: 0}
    log = dev.model.rx_log()
    assert len(log) == len(flows)
    for n, (h, q, ln, tci) in enumerate(expect):
        i = per_q[q]
        per_q[q] += 1
        lo, hsh, st, dlen, vlan = dev.desc(q, i)
        assert st & 0x3 == 0x3, f"frame {n}: DD+EOP, status {st:#x}"
        assert st & 0x8, "VP: VLAN stripped"
        assert st & 0x8000, "TSIP: timestamp in packet"
        assert lo & 0xF == 7, "RSS type UDP/IPv4"
        assert hsh == h, f"frame {n}: hash {hsh:#x} != Toeplitz {h:#x}"
        assert vlan == tci
        assert dlen == ln + 16, "length includes the 16-byte timestamp header"
        buf = dev.qt.memread(BUFS[q] + i * BUFSZ, dlen)
        t1l, t1h, t0l, t0h = struct.unpack("<IIII", buf[:16])
        ts = start + 1000 * n
        assert (t0h, t0l) == (ts // 10**9, ts % 10**9), f"frame {n}: timer0"
        assert (t1h, t1l) == (t0h, t0l)
        assert buf[16:22] == MAC_B and buf[28:30] == b"\x08\x00", "VLAN tag removed"
        rec = log[n]
        assert (rec.queue, rec.hash, rec.rss_type, rec.vlan_tci) == (q, h, 7, tci)
        assert rec.ts_valid and rec.ts_ns == ts
        assert rec.xdp_rss_type == 0x29
    assert per_q[0] and per_q[1], "RETA spread the flows over both queues"
    assert dev.r(RDH(0)) == per_q[0] and dev.r(RDH(1)) == per_q[1]
    stats = dev.model.stats()
    assert stats["rx_packets"][:2] == [per_q[0], per_q[1]]
    assert dev.msix_fired(1) and dev.msix_fired(2), "RX vectors raised"
    assert dev.model.systim_ns() == start + 1000 * len(flows)


def test_fault_skip_timestamp_and_realtime_clock(dev):
    dev.enable_pci()
    dev.setup_rx(queues=(0,), vlan_strip=False)
    dev.w(MRQC, 0)                                   # RSS off: all to queue 0
    dev.model.skip_timestamps(1)
    f = udp4_frame("10.1.0.1", "10.1.0.2", 5, 6, b"x" * 30)
    dev.send(f)
    dev.wait_rdh(0, 1)
    lo, hsh, st, ln, _ = dev.desc(0, 0)
    assert not st & 0x8000 and ln == len(f), "first frame without timestamp"
    assert lo & 0xF == 0 and hsh == 0, "RSS disabled: no hash"
    assert dev.model.pending_timestamp_skips() == 0
    dev.send(f)
    dev.wait_rdh(0, 2)
    _, _, st, ln, _ = dev.desc(0, 1)
    assert st & 0x8000 and ln == len(f) + 16
    # VLAN frame with CTRL.VME clear: tag stays in the data, no VP
    dev.send(udp4_frame("10.1.0.1", "10.1.0.2", 5, 6, b"y" * 30, vlan=7))
    dev.wait_rdh(0, 3)
    _, _, st, ln, _ = dev.desc(0, 2)
    assert not st & 0x8 and ln == len(f) + 4 + 16


def test_rx_faults_by_payload_match(dev):
    """rx-faults: frames are picked by the bytes they carry (the suite's packet id), each
    gets exactly its faults; the deterministic clock steps only for stamped frames."""
    from harness.nics.igc import fault_pattern
    dev.enable_pci()
    dev.setup_rx(vlan_strip=False)
    start = 1_600_000_000 * 10**9
    dev.model.set_deterministic(start, 1000)
    asked = {2: {"ts"}, 3: {"rss"}, 4: {"ts", "rss", "csum"}}
    dev.model.set_rx_faults({fault_pattern(i): fs for i, fs in asked.items()})
    for bad in ("q:00", "t:0", "t:" + "00" * 33, "t00"):
        with pytest.raises(RuntimeError, match="rx-faults"):
            dev.model._set("rx-faults", bad)
    assert {fs for fs, _ in dev.model.rx_faults().values()} == \
        {frozenset(f) for f in asked.values()}, "a bad list leaves the old one"
    for n, pid in enumerate((1, 2, 3, 4, 9)):
        payload = b"XDPHINT1" + struct.pack("<II", pid, 0) + bytes(20)
        dev.send(udp4_frame("10.2.0.1", "10.2.0.2", 7000 + pid, 9, payload))
        deadline = time.monotonic() + 5
        while dev.model.stats()["rx_seq"] < n + 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    log = dev.model.rx_log()
    assert [r.ts_valid for r in log] == [True, False, True, False, True]
    assert [r.ts_ns for r in log if r.ts_valid] == [start, start + 1000, start + 2000]
    assert [r.rss_type for r in log] == [7, 7, 0, 0, 7] and log[2].hash == log[3].hash == 0
    assert all(r.hash for r in (log[0], log[1], log[4]))
    seen = {0: 0, 1: 0}
    for n, r in enumerate(log):
        _, _, st, _, _ = dev.desc(r.queue, seen[r.queue])
        seen[r.queue] += 1
        err = st & ((1 << 29) | (1 << 30))          # L4E, IPE
        assert bool(err) == (n == 3), f"frame {n}: status {st:#x}"
    assert {p: hits for p, (_, hits) in dev.model.rx_faults().items()} == \
        {fault_pattern(i): 1 for i in asked}
    dev.model.set_rx_faults({})
    assert dev.model.rx_faults() == {}


def test_ptp_clock_registers(dev):
    dev.enable_pci(msix=False)
    SYSTIML, SYSTIMH, TIMINCA = 0xB600, 0xB604, 0xB608
    dev.w(SYSTIML, 500)
    dev.w(SYSTIMH, 42)
    ns, sec = dev.r(SYSTIML), dev.r(SYSTIMH)
    assert sec == 42 and 500 <= ns < 500 + 10**6
    dev.qt._cmd("clock_step 1000000000")             # 1 s of virtual time
    ns2, sec2 = dev.r(SYSTIML), dev.r(SYSTIMH)
    assert (sec2 * 10**9 + ns2) - (sec * 10**9 + ns) == pytest.approx(10**9, abs=10**6)
    # +100 ppm: INCVALUE = ppm * 2^30 / 78125 (the driver's adjfine formula)
    dev.w(TIMINCA, 100 * 2**30 // 78125)
    t0 = dev.r(SYSTIML) + dev.r(SYSTIMH) * 10**9
    dev.qt._cmd("clock_step 1000000000")
    t1 = dev.r(SYSTIML) + dev.r(SYSTIMH) * 10**9
    assert t1 - t0 == pytest.approx(10**9 + 100_000, abs=2000)


def test_tx_frame_reaches_backend_and_writes_back(dev):
    dev.enable_pci()
    frame = udp4_frame("10.2.0.1", "10.2.0.2", 7, 9, b"hello-igc" * 5)
    dev.qt.memwrite(TX_BUF, frame)
    cmd = len(frame) | (0x3 << 20) | (1 << 24) | (1 << 25) | (1 << 27) | (1 << 29)
    dev.qt.memwrite(TX_RING, struct.pack("<QII", TX_BUF, cmd, len(frame) << 14)
                    + bytes(16 * 7))
    dev.w(TDBAL(0), TX_RING)
    dev.w(TDBAL(0) + 4, 0)
    dev.w(TDBAL(0) + 8, NDESC * 16)
    dev.w(TDBAL(0) + 0x28, 1 << 25)
    dev.w(IVAR0, (0x80 | 3) << 8)                    # tx q0 -> vector 3
    dev.w(GPIE, (1 << 4) | (1 << 30))
    dev.w(EIMS, 0x1F)
    dev.w(TCTL, 1 << 1)
    dev.w(TDBAL(0) + 0x18, 1)                        # TDT = 1
    got, _ = dev.udp.recvfrom(65536)
    assert got == frame
    assert dev.r(TDBAL(0) + 0x10) == 1, "TDH advanced"
    assert struct.unpack("<I", dev.qt.memread(TX_RING + 12, 4))[0] & 1, "DD written back"
    assert dev.msix_fired(3)
    assert dev.model.stats()["tx_packets"][0] == 1


def test_legacy_intx_cause_and_icr_clear(dev):
    dev.enable_pci(msix=False)
    dev.w(IMS, 1 << 2)
    dev.w(0x1504, 1 << 2)                            # ICS: LSC
    v = dev.r(ICR)
    assert v & (1 << 2) and v & (1 << 31), f"ICR {v:#x}: LSC + INT_ASSERTED"
    assert dev.r(ICR) == 0, "ICR clears on read"


def test_bad_input_does_not_crash(dev):
    dev.enable_pci()
    dev.setup_rx(queues=(0,))
    dev.w(MRQC, 0)
    before = dev.model.stats()
    dev.w(0x1F000, 0xDEADBEEF)                       # reserved register
    dev.r(0x1F004)
    assert dev.model.stats()["unknown_reg_access"] == before["unknown_reg_access"] + 2
    dev.send(b"\x01" * 10)                            # runt
    good = udp4_frame("10.3.0.1", "10.3.0.2", 1, 2, b"z" * 20)
    broken = good[:14] + b"\x4f" + good[15:24]       # IHL 15 but truncated header
    dev.send(broken)
    dev.wait_rdh(0, 1)
    lo, _, st, ln, _ = dev.desc(0, 0)
    assert st & 1 and ln == len(broken) + 16, "broken IP still delivered"
    deadline = time.monotonic() + 5
    while dev.model.stats()["rx_runt"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dev.model.stats()["rx_runt"] == 1
    dev.send(good[:14] + bytes(2000))                # oversize vs RLPML 1522
    # ring outside guest RAM: frame dropped, counted, device still answers
    dev.w(RDBAL(0), 0xFFFF0000)
    dev.w(RDBAL(0) + 4, 0xFF)
    dev.send(good)
    deadline = time.monotonic() + 5
    while dev.model.stats()["rx_bad_ring"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    st = dev.model.stats()
    assert st["rx_bad_ring"] >= 1 and st["rx_oversize"] == 1
    assert dev.r(STATUS) & 2 and dev.proc.poll() is None


def test_link_toggle_raises_lsc_on_other_vector(dev):
    dev.enable_pci()
    dev.w(GPIE, (1 << 4) | (1 << 30) | (1 << 31) | 1)
    dev.w(IVAR_MISC, (0x80 | 0) << 8)                # "other" causes -> vector 0
    dev.w(IMS, 1 << 2)
    dev.w(EIMS, 0x1F)
    dev.qmp.command("set_link", name="n0", up=False)
    assert dev.r(STATUS) & 2 == 0, "link down in STATUS"
    assert mdic_read(dev, 1) & 0x4 == 0, "link down in the PHY"
    assert dev.msix_fired(0), "LSC on the misc vector"
    assert dev.r(ICR) & (1 << 2)
    dev.qmp.command("set_link", name="n0", up=True)
    assert dev.r(STATUS) & 2


def tcp6_frame(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x18, 1024, 0, 0) + payload
    c = inet_checksum(s + d + struct.pack("!IxxxB", len(l4), 6) + l4)
    l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(l4), 6, 64) + s + d
    return MAC_B + bytes.fromhex("020000000001") + b"\x86\xdd" + ip6 + l4


def test_rss_types_tcp4_tcp6_ipv4_fallback(dev):
    dev.enable_pci()
    dev.setup_rx(timestamp=False)
    cases = []
    f = udp4_frame("192.0.2.1", "192.0.2.2", 1111, 2222, b"t" * 20, proto=6)
    cases.append((f, 1, ipaddress.IPv4Address("192.0.2.1").packed
                  + ipaddress.IPv4Address("192.0.2.2").packed + struct.pack("!HH", 1111, 2222)))
    f = tcp6_frame("2001:db8::1", "2001:db8::2", 3333, 4444, b"s" * 20)
    cases.append((f, 3, ipaddress.IPv6Address("2001:db8::1").packed
                  + ipaddress.IPv6Address("2001:db8::2").packed + struct.pack("!HH", 3333, 4444)))
    # UDP with the IPv4/UDP hash field disabled falls back to the 2-tuple
    f = udp4_frame("192.0.2.7", "192.0.2.8", 5, 6, b"u" * 20)
    cases.append((f, 2, ipaddress.IPv4Address("192.0.2.7").packed
                  + ipaddress.IPv4Address("192.0.2.8").packed))
    dev.model.clear_rx_log()
    for n, (frame, _, _) in enumerate(cases):
        if n == 2:
            dev.w(MRQC, dev.r(MRQC) & ~(1 << 22))
        dev.send(frame)
        deadline = time.monotonic() + 5
        while dev.model.stats()["rx_seq"] < n + 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    log = dev.model.rx_log()
    assert len(log) == 3
    for rec, (frame, rtype, data) in zip(log, cases, strict=True):
        h = toeplitz(KEY, data)
        assert (rec.rss_type, rec.hash, rec.queue) == (rtype, h, h & 1), rec
        assert rec.len == len(frame)


def test_ptm_trigger_completes(dev):
    """The driver polls PTM_STAT after triggering a cycle (re-probe path)."""
    dev.enable_pci(msix=False)
    assert dev.r(0x12544) & 1 == 0
    dev.w(0x12540, 1 << 31)
    assert dev.r(0x12544) & 1, "PTM_STAT.VALID once triggered"
    dev.w(0x12540, 0)
    dev.w(0x12544, 0xFF)
    assert dev.r(0x12544) == 0


def test_tx_tso_segments_with_valid_checksums(dev):
    dev.enable_pci(msix=False)
    payload = bytes(range(256)) + bytes(144)             # 400 bytes
    frame = udp4_frame("10.4.0.1", "10.4.0.2", 1000, 2000, payload, proto=6)
    mss = 100
    dev.qt.memwrite(TX_BUF, frame)
    ctx = struct.pack("<IIII", 20 | (14 << 9), 0,
                      (0x2 << 20) | (1 << 29) | 0x400 | 0x800, (20 << 8) | (mss << 16))
    cmd = len(frame) | (0x3 << 20) | (1 << 24) | (1 << 25) | (1 << 27) | (1 << 29) | (1 << 31)
    data = struct.pack("<QII", TX_BUF, cmd, (len(payload) << 14) | 0x300)
    dev.qt.memwrite(TX_RING, ctx + data + bytes(16 * 6))
    dev.w(TDBAL(0), TX_RING)
    dev.w(TDBAL(0) + 8, NDESC * 16)
    dev.w(TDBAL(0) + 0x28, 1 << 25)
    dev.w(TCTL, 1 << 1)
    dev.w(TDBAL(0) + 0x18, 2)
    segs = [dev.udp.recvfrom(65536)[0] for _ in range(4)]
    got = b""
    seq0 = struct.unpack("!I", frame[38:42])[0]
    for i, seg in enumerate(segs):
        ip, tcp = seg[14:34], seg[34:54]
        assert len(seg) == 14 + 20 + 20 + mss
        assert inet_checksum(ip) == 0, "IPv4 header checksum"
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(seg) - 34)
        assert inet_checksum(pseudo + seg[34:]) == 0, f"segment {i}: TCP checksum"
        assert struct.unpack("!I", tcp[4:8])[0] == seq0 + i * mss
        got += seg[54:]
    assert got == payload
    assert struct.unpack("<I", dev.qt.memread(TX_RING + 16 + 12, 4))[0] & 1


def test_msi_fallback_interrupt():
    """With msix=off the device offers MSI: an RX frame raises it (ICR.RXT0)."""
    d = Dev(extra=",msix=off")
    try:
        q = d.qt
        q.cfg_write(0x10, BAR0)
        q.cfg_write(0x04, 0x0006)
        cap = q.cfg_read(0x50)
        assert cap & 0xFF == 0x05, f"MSI capability at 0x50: {cap:#x}"
        q.cfg_write(0x54, MSI_ADDR)
        q.cfg_write(0x58, 0)
        q.cfg_write(0x5C, 0xBEEF)
        q.cfg_write(0x50, cap | (1 << 16))            # message control: enable
        q.memwrite(MSI_ADDR, bytes(4))
        d.setup_rx(queues=(0,), timestamp=False)
        d.w(MRQC, 0)
        d.w(GPIE, 0)
        d.w(IMS, 1 << 7)                              # RXT0
        d.send(udp4_frame("10.5.0.1", "10.5.0.2", 1, 2, b"m" * 20))
        d.wait_rdh(0, 1)
        assert struct.unpack("<I", q.memread(MSI_ADDR, 4))[0] == 0xBEEF, "MSI message written"
        assert d.r(ICR) & (1 << 7)
    finally:
        d.close()


def test_random_register_writes_never_crash(dev):
    """A fixed-seed storm of random writes over the whole register file, with traffic."""
    import random
    rnd = random.Random(1234)
    dev.enable_pci()
    dev.setup_rx()
    hot = [CTRL, RCTL, TCTL, MDIC, EERD, ICR, 0x1504, IMS, 0x150C, GPIE, 0x1520, EIMS,
           0x1528, IVAR0, IVAR_MISC, MRQC, TSYNCRXCTL, 0xB600, 0xB604, 0xB608, 0xB60C,
           0xB614, 0xB66C, 0x12540, 0x12544] + \
          [base + 0x40 * q + off for base in (0xC000, 0xE000) for q in range(4)
           for off in (0, 4, 8, 0xC, 0x10, 0x18, 0x28)]
    frame = udp4_frame("10.6.0.1", "10.6.0.2", 1, 2, b"f" * 64)
    for i in range(3000):
        off = rnd.choice(hot) if rnd.random() < 0.7 else rnd.randrange(0, 0x20000, 4)
        if off == CTRL:
            val = rnd.getrandbits(32) & ~(1 << 31)
        else:
            val = rnd.choice([0, 0xFFFFFFFF, rnd.getrandbits(32), rnd.getrandbits(8),
                              0x00100000, 0x00110000, BAR0, BAR3, BAR0 + RDT(0)])
        dev.w(off, val)
        if i % 200 == 0:
            dev.send(frame)
            dev.send(frame[:20])
            dev.r(rnd.randrange(0, 0x20000, 4))
    assert dev.proc.poll() is None, "QEMU died: " + dev.qemu_log()[-2000:]
    # the device still works after a global reset
    dev.w(CTRL, 1 << 26)
    dev.setup_rx(queues=(0,), timestamp=False)
    dev.w(MRQC, 0)
    dev.send(frame)
    dev.wait_rdh(0, 1)


def test_dma_into_own_registers_is_harmless(dev):
    """Rings/buffers pointing at the device's own BARs (re-entrant DMA) must not crash."""
    dev.enable_pci()
    dev.setup_rx(queues=(0,), timestamp=False)
    dev.w(MRQC, 0)
    desc = b"".join(struct.pack("<QQ", BAR0 + RDT(0) - 8, 0) for _ in range(NDESC))
    dev.qt.memwrite(RING[0], desc)                     # buffers on top of RDH/RDT
    dev.send(udp4_frame("10.7.0.1", "10.7.0.2", 1, 2, b"r" * 40))
    time.sleep(0.3)
    dev.w(RDBAL(0), BAR3)                              # the ring itself in the MSI-X BAR
    dev.send(udp4_frame("10.7.0.1", "10.7.0.2", 1, 2, b"s" * 40))
    frame = udp4_frame("10.7.0.1", "10.7.0.2", 3, 4, b"t" * 40)
    cmd = len(frame) | (0x3 << 20) | (1 << 24) | (1 << 27) | (1 << 29)
    dev.qt.memwrite(TX_RING, struct.pack("<QII", BAR0 + TCTL, cmd, 0) + bytes(16 * 7))
    dev.w(TDBAL(0), TX_RING)
    dev.w(TDBAL(0) + 8, NDESC * 16)
    dev.w(TDBAL(0) + 0x28, 1 << 25)
    dev.w(TCTL, 1 << 1)
    dev.w(TDBAL(0) + 0x18, 1)
    time.sleep(0.3)
    assert dev.proc.poll() is None, dev.qemu_log()[-2000:]
    assert dev.r(STATUS) & 2


# ---------------------------------------------------------------- register file, NVM, timers

# The Linux driver's register self-test (igc_diag.c reg_test[]): (reg, count, stride,
# readable mask, written bits); the pattern test writes p & write, expects p & write & mask.
REG_PATTERN_TESTS = [
    (0x0028, 1, 0, 0xFFFFFFFF, 0xFFFFFFFF),        # FCAL
    (0x002C, 1, 0, 0x0000FFFF, 0xFFFFFFFF),        # FCAH
    (0x0030, 1, 0, 0x0000FFFF, 0xFFFFFFFF),        # FCT
    (0xC004, 4, 0x40, 0xFFFFFFFF, 0xFFFFFFFF),     # RDBAH
    (0xC000, 4, 0x40, 0xFFFFFF80, 0xFFFFFF80),     # RDBAL
    (0xC008, 4, 0x40, 0x000FFF80, 0x000FFFFF),     # RDLEN
    (0xC018, 4, 0x40, 0x0000FFFF, 0x0000FFFF),     # RDT
    (0x2168, 1, 0, 0x0003FFF0, 0x0003FFF0),        # FCRTH
    (0x0170, 1, 0, 0x0000FFFF, 0x0000FFFF),        # FCTTV
    (0x0410, 1, 0, 0x3FFFFFFF, 0x3FFFFFFF),        # TIPG
    (0xE004, 4, 0x40, 0xFFFFFFFF, 0xFFFFFFFF),     # TDBAH
    (0xE000, 4, 0x40, 0xFFFFFF80, 0xFFFFFF80),     # TDBAL
    (0xE008, 4, 0x40, 0x000FFF80, 0x000FFFFF),     # TDLEN
    (0xE018, 4, 0x40, 0x0000FFFF, 0x0000FFFF),     # TDT
    (RAL0, 16, 8, 0xFFFFFFFF, 0xFFFFFFFF),         # RAL
    (RAH0, 16, 8, 0x900FFFFF, 0xFFFFFFFF),         # RAH
    (0x5200, 128, 4, 0xFFFFFFFF, 0xFFFFFFFF),      # MTA
]


def test_register_write_masks_as_the_driver_selftest_expects(dev):
    dev.enable_pci(msix=False)
    toggle = 0x6800D3                                # STATUS: these bits ignore writes
    before = dev.r(STATUS)
    dev.w(STATUS, toggle)
    assert dev.r(STATUS) & toggle == before & toggle
    for reg, count, stride, mask, write in REG_PATTERN_TESTS:
        for i in range(count):
            a = reg + i * stride
            old = dev.r(a)
            for pat in (0x5A5A5A5A, 0xA5A5A5A5, 0x00000000, 0xFFFFFFFF):
                dev.w(a, pat & write)
                got = dev.r(a)
                assert got == pat & write & mask, \
                    f"reg {a:#06x}: wrote {pat & write:#010x}, read {got:#010x}"
            dev.w(a, old)
    for val in (0xFFFFFFFF, 0x04CFB2FE):             # RCTL set-and-check
        dev.w(RCTL, val & 0x003FFFFB)
        assert dev.r(RCTL) & 0x04CFB2FE == val & 0x003FFFFB & 0x04CFB2FE
    dev.w(RCTL, 0)
    assert dev.r(RAH0) & (1 << 31) and dev.r(RAL0) == int.from_bytes(MAC_B[:4], "little")


def test_nvm_in_flash_validate_and_update_paths(dev):
    SRWR, FLASH_DETECTED, FLUPD, FLUDONE = 0x12018, 1 << 19, 1 << 23, 1 << 26
    dev.enable_pci(msix=False)
    eecd = dev.r(EECD)
    assert eecd & FLASH_DETECTED, "flash detected: the driver validates the NVM"
    assert eecd & FLUDONE and eecd & (1 << 8) and eecd & (1 << 9)
    dev.w(EECD, 0)                                   # read-only bits survive a write
    assert dev.r(EECD) & (FLASH_DETECTED | FLUDONE) == FLASH_DETECTED | FLUDONE
    dev.w(EECD, 1 << 6)                              # REQ -> GNT
    assert dev.r(EECD) & (1 << 7)
    dev.w(EECD, 0)
    assert not dev.r(EECD) & (1 << 7)
    # the update path: a shadow-RAM write, then FLUPD, FLUDONE polled
    dev.w(SRWR, (0x30 << 2) | (0xBEEF << 16) | 1)
    assert dev.r(SRWR) & 2, "SRWR done"
    dev.w(EERD, (0x30 << 2) | 1)
    assert dev.r(EERD) >> 16 == 0xBEEF
    dev.w(EECD, dev.r(EECD) | FLUPD)
    v = dev.r(EECD)
    assert v & FLUDONE and not v & FLUPD
    dev.w(SRWR, (0x400 << 2) | (0x1234 << 16) | 1)   # beyond the NVM: ignored, done
    assert dev.r(SRWR) & 2


SYSTIML_1, SYSTIMH_1, TIMINCA_1 = 0xB688, 0xB68C, 0xB690


def _timer(dev, lo: int) -> int:
    ns = dev.r(lo)
    return dev.r(lo + 4) * 10**9 + ns


def test_two_timers_timer1_not_moved_by_timer0_adjustments(dev):
    dev.enable_pci(msix=False)
    dev.w(0xB600, 0)
    dev.w(0xB604, 1_000_000)                         # timer 0 at 1e6 s
    dev.w(SYSTIML_1, 0)
    dev.w(SYSTIMH_1, 5)                              # timer 1 at 5 s
    t0, t1 = _timer(dev, 0xB600), _timer(dev, SYSTIML_1)
    assert t0 // 10**9 == 1_000_000 and t1 // 10**9 == 5
    dev.w(0xB60C, 250_000)                           # TIMADJ +250 us: timer 0 only
    dev.w(0xB608, 100 * 2**30 // 78125)              # TIMINCA +100 ppm: timer 0 only
    dev.qt._cmd("clock_step 1000000000")
    d0 = _timer(dev, 0xB600) - t0
    d1 = _timer(dev, SYSTIML_1) - t1
    assert d0 == pytest.approx(10**9 + 250_000 + 100_000, abs=5000)
    assert d1 == pytest.approx(10**9, abs=5000), "timer 1 runs free at the nominal rate"
    dev.w(TIMINCA_1, (1 << 31) | (50 * 2**30 // 78125))   # timer 1's own rate: -50 ppm
    t1 = _timer(dev, SYSTIML_1)
    dev.qt._cmd("clock_step 1000000000")
    assert _timer(dev, SYSTIML_1) - t1 == pytest.approx(10**9 - 50_000, abs=5000)


def _rx_headers(dev, srrctl_sel: int, n: int) -> list[tuple[int, int]]:
    """Send n frames to queue 0 with the given SRRCTL timer selects; the header slots."""
    dev.w(SRRCTL(0), dev.r(SRRCTL(0)) & ~((3 << 14) | (3 << 17)) | srrctl_sel)
    base = dev.model.stats()["rx_seq"]
    heads = []
    for k in range(n):
        dev.send(udp4_frame("10.3.0.1", "10.3.0.2", 40 + k, 9, b"t" * 30))
        dev.wait_rdh(0, (base + k + 1) % NDESC)
        i = (base + k) % NDESC
        _, _, st, _, _ = dev.desc(0, i)
        assert st & 0x8000, "TSIP"
        t1l, t1h, t0l, t0h = struct.unpack("<IIII", dev.qt.memread(BUFS[0] + i * BUFSZ, 16))
        heads.append((t1h * 10**9 + t1l, t0h * 10**9 + t0l))
        dev.w(RDT(0), i)                             # give the buffer back
    return heads


def test_rx_header_carries_the_timers_srrctl_selects(dev):
    dev.enable_pci()
    dev.setup_rx(queues=(0,), vlan_strip=False)
    dev.w(MRQC, 0)
    s0, s1 = 1_800_000_000 * 10**9 + 11, 3_000 * 10**9 + 999
    dev.model.set_deterministic(s0, 1000, timer1=(s1, 1337))
    # the driver's choice: first slot timer 1 (TIMER1SEL=1), second timer 0 (TIMER0SEL=0)
    heads = _rx_headers(dev, (1 << 14) | (0 << 17), 3)
    assert heads == [(s1 + 1337 * k, s0 + 1000 * k) for k in range(3)]
    log = dev.model.rx_log()
    assert [(r.ts_ns, r.ts1_ns) for r in log] == [(b, a) for a, b in heads]
    # swapped selects swap the slots; both on timer 0 repeat it
    heads = _rx_headers(dev, (0 << 14) | (1 << 17), 1)
    assert heads == [(s0 + 3000, s1 + 3 * 1337)]
    heads = _rx_headers(dev, 0, 1)
    assert heads == [(s0 + 4000, s0 + 4000)]
    # timers 2/3 are not modelled: zeros, never a value of timer 0 or 1
    heads = _rx_headers(dev, (2 << 14) | (0 << 17), 1)
    assert heads == [(0, s0 + 5000)]
    assert dev.model.systim_ns() == s0 + 6000 and dev.model.systim1_ns() == s1 + 6 * 1337


def test_tx_timestamp_from_the_timer_the_descriptor_selects(dev):
    dev.enable_pci(msix=False)
    TSYNCTXCTL = 0xB614
    s0, s1 = 1_800_000_000 * 10**9 + 11, 3_000 * 10**9 + 999
    dev.model.set_deterministic(s0, 1000, timer1=(s1, 1337))
    frame = udp4_frame("10.2.0.1", "10.2.0.2", 7, 9, b"ptp" * 20)
    dev.qt.memwrite(TX_BUF, frame)
    base = len(frame) | (0x3 << 20) | (1 << 24) | (1 << 25) | (1 << 27) | (1 << 29) | (1 << 19)
    descs = [struct.pack("<QII", TX_BUF, base, len(frame) << 14),                  # reg 0, t0
             struct.pack("<QII", TX_BUF, base | (1 << 16), (len(frame) << 14) | 0x20)]  # reg 1, t1
    dev.qt.memwrite(TX_RING, b"".join(descs) + bytes(16 * 6))
    dev.w(TDBAL(0), TX_RING)
    dev.w(TDBAL(0) + 8, NDESC * 16)
    dev.w(TDBAL(0) + 0x28, 1 << 25)
    dev.w(TSYNCTXCTL, 0x10)
    dev.w(TCTL, 1 << 1)
    dev.w(TDBAL(0) + 0x18, 2)
    for _ in range(2):
        dev.udp.recvfrom(65536)
    assert dev.r(TSYNCTXCTL) & 0x3 == 0x3, "TXTT_0 and TXTT_1"
    assert dev.r(0xB61C) * 10**9 + dev.r(0xB618) == s0, "register 0: timer 0"
    assert dev.r(0xB69C) * 10**9 + dev.r(0xB698) == s1, "register 1: timer 1"


VLANPQF, WUFC, FHFT0 = 0x55B0, 0x5808, 0x9000


def ETQF(n): return 0x5CB0 + 4 * n              # noqa: E302,E704


def _queues_of(dev, frames: list[bytes]) -> list[int]:
    """The queue the model put each frame in (rx-log), the rings refilled after each."""
    dev.model.clear_rx_log()
    for n, frame in enumerate(frames):
        dev.send(frame)
        deadline = time.monotonic() + 5
        while dev.model.stats()["rx_seq"] < n + 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        for q in (0, 1):
            dev.w(RDT(q), (dev.r(RDH(q)) - 1) % NDESC)
    log = dev.model.rx_log()
    assert len(log) == len(frames), dev.model.stats()
    return [rec.queue for rec in log]


def test_receive_queue_filters_before_rss(dev):
    """ETQF, flex, RAH queue select and VLANPQF steer a frame before RSS, in that order;
    MRQC's default queue takes what RSS does not hash; filters-off leaves it all to RSS."""
    dev.enable_pci()
    dev.setup_rx(timestamp=False, vlan_strip=False)
    for i in range(32):                             # RSS: every entry -> queue 0
        dev.w(RETA + 4 * i, 0)
    udp = udp4_frame("10.0.0.1", "10.0.0.2", 1000, 4791, bytes(40))
    tcp = udp4_frame("10.0.0.1", "10.0.0.2", 1000, 4791, bytes(40), proto=6)
    src_b = bytes.fromhex("0200000000bb")

    def tagged(pcp: int, etype: bytes = b"\x08\x00") -> bytes:
        return MAC_B + bytes.fromhex("020000000001") + struct.pack("!HH", 0x8100,
                                                                   pcp << 13 | 7) \
            + etype + udp[14:]

    ptp = MAC_B + bytes.fromhex("020000000001") + b"\x88\xf7" + bytes(46)
    from_b = tcp[:6] + src_b + tcp[12:]            # TCP: the flex filter misses it
    frames = [udp, tcp, tagged(5), tagged(2), ptp, tagged(5, b"\x88\xf7"), from_b]
    assert _queues_of(dev, frames) == [0] * len(frames), "no filter: RSS (all queue 0)"

    dev.w(VLANPQF, (0x8 | 1) << (4 * 5))            # priority 5 -> queue 1
    dev.w(ETQF(2), 0x88F7 | (0 << 16) | (1 << 26) | (1 << 31))  # PTP -> queue 0
    dev.w(ETQF(3), 0x88B5 | (1 << 26))              # filter without queue enable: ignored
    # RAR 1: source address 02:..:bb, queue select 1 (AV, QSEL_ENABLE, ASEL source)
    dev.w(RAL0 + 8, int.from_bytes(src_b[:4], "little"))
    dev.w(RAH0 + 8, int.from_bytes(src_b[4:], "little") | 1 << 16 | 1 << 18 | 1 << 28
          | 1 << 31)
    # flex filter 0, 32 bytes: our MAC, IPv4, IP protocol UDP -> queue 1
    pattern = bytearray(32)
    pattern[0:6], pattern[12:14], pattern[23] = MAC_B, b"\x08\x00", 17
    masked = list(range(6)) + [12, 13, 23]
    for row in range(4):
        chunk = pattern[8 * row:8 * row + 8]
        dev.w(FHFT0 + 16 * row, int.from_bytes(chunk[:4], "little"))
        dev.w(FHFT0 + 16 * row + 4, int.from_bytes(chunk[4:], "little"))
        dev.w(FHFT0 + 16 * row + 8, sum(1 << (i - 8 * row) for i in masked
                                        if 8 * row <= i < 8 * row + 8))
    dev.w(FHFT0 + 0xFC, 32 | (1 << 8))
    dev.w(WUFC, (1 << 14) | (1 << 16))              # FLEX_HQ, FLX0
    want = [1, 0, 1, 0, 0, 0, 1]
    assert _queues_of(dev, frames) == want, "flex, -, VLAN prio, -, ETQF, ETQF over VLAN, MAC"

    # the src-address entry steers; it does not make the MAC take that destination
    assert not dev.model.stats()["rx_filtered"]
    dev.send(src_b + bytes.fromhex("020000000001") + udp[12:])
    time.sleep(0.3)
    assert dev.model.stats()["rx_filtered"] == 1

    dev.model.set_filters_off(True)
    assert _queues_of(dev, frames) == [0] * len(frames), "filters off: RSS only"
    dev.model.set_filters_off(False)
    dev.w(MRQC, dev.r(MRQC) | (1 << 3))             # default queue 1: unhashed frames
    assert _queues_of(dev, [udp, tcp, ptp, ptp[:12] + b"\x88\xb5" + ptp[14:]]) == \
        [1, 0, 0, 1]
