# SPDX-License-Identifier: GPL-2.0-or-later
"""The stock Linux igc driver against our emulated igc, in a real guest.

One VM (Debian sid kernel, one igc test NIC on a multi-queue tap) is shared by the
tests of this module.  The host knows the truth through the model's QOM hooks
(harness.nics.igc_model): the programmed RSS key/RETA, the metadata of every delivered frame,
a deterministic PTP clock.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from harness.artifacts.qemu_build import find_qemu
from harness.nics.igc_model import IgcModel
from harness.oracle import IGC_RX_LATENCY_NS as LINUX_RX_LATENCY_NS
from harness.traffic.checksum import inet_checksum

pytestmark = [
    pytest.mark.vm,
    pytest.mark.skipif(find_qemu() is None,
                       reason="no QEMU build with igc in the cache (run: xdp-hints qemu build)"),
]

HOST_IP, GUEST_IP = "10.99.0.1", "10.99.0.2"
HOST_MAC = "02:00:00:00:99:01"
PORT = 4791

RX_SCRIPT = textwrap.dedent("""
    import json, socket, struct, sys
    SO_TIMESTAMPING = 37
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # RX_HARDWARE | RX_SOFTWARE | SOFTWARE | RAW_HARDWARE
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, (1 << 2) | (1 << 3) | (1 << 4) | (1 << 6))
    s.bind(("0.0.0.0", int(sys.argv[1])))
    s.settimeout(float(sys.argv[3]))
    print("ready", flush=True)
    for _ in range(int(sys.argv[2])):
        try:
            data, anc, _, addr = s.recvmsg(4096, 1024)
        except socket.timeout:
            break
        hw = None
        for _lvl, typ, d in anc:
            if typ == SO_TIMESTAMPING:
                t = struct.unpack("6q", d[:48])
                hw = t[4] * 10**9 + t[5]
        pid = struct.unpack("<I", data[8:12])[0] if data[:8] == b"XDPHINT1" else None
        print(json.dumps({"id": pid, "sport": addr[1], "hw": hw}), flush=True)
""")

XDP_PASS_C = """
__attribute__((section("xdp"), used)) int xdp_pass(void *ctx) { return 2; }
char _license[] __attribute__((section("license"), used)) = "GPL";
"""


def _payload(pkt_id: int) -> bytes:
    import struct
    return b"XDPHINT1" + struct.pack("<II", pkt_id, 0) + bytes(20)


def _backend() -> str:
    """tap (default) or socket (unix datagrams: no root, works while rtnl is wedged)."""
    env = os.environ.get("XDP_HINTS_IGC_VM_BACKEND")
    if env:
        return env
    try:
        from harness.vm import netns
        if os.geteuid() != 0 or netns.rtnl_wedged() is not None:
            return "socket"
    except Exception:  # noqa: BLE001
        return "socket"
    return "tap"




class HostLink:
    """The host end of the test NIC: sends frames in; answers ping on the socket backend."""

    def __init__(self, nic) -> None:
        self.nic = nic
        self.stop = threading.Event()
        self.thread = None
        if nic.backend == "socket":
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.bind(str(nic.host_sock))
            self.sock.settimeout(0.2)
            self.thread = threading.Thread(target=self._respond, daemon=True)
            self.thread.start()
        else:
            from harness.traffic.sender import open_packet_socket
            from harness.vm import netns
            netns.ip("addr", "add", f"{HOST_IP}/24", "dev", nic.tap, netns=nic.netns)
            netns.ip("link", "set", nic.tap, "address", HOST_MAC, netns=nic.netns)
            netns.ip("link", "set", nic.tap, "up", netns=nic.netns)
            self.sock = open_packet_socket(nic.tap, nic.netns)

    def send(self, frame: bytes) -> None:
        if self.nic.backend == "socket":
            self.sock.sendto(frame, str(self.nic.qemu_sock))
        else:
            self.sock.send(frame)

    def _respond(self) -> None:
        """Answer ICMP echo requests to HOST_IP (the guest has a static neighbour entry)."""
        host = socket.inet_aton(HOST_IP)
        while not self.stop.is_set():
            try:
                f = self.sock.recv(65536)
            except (TimeoutError, OSError):
                continue
            if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 1 or f[30:34] != host:
                continue
            ihl = (f[14] & 0xF) * 4
            icmp = bytearray(f[14 + ihl:])
            if icmp[0] != 8:
                continue
            icmp[0] = 0
            icmp[2:4] = b"\0\0"
            icmp[2:4] = struct.pack("!H", inet_checksum(bytes(icmp)))
            ip = bytearray(f[14:14 + ihl])
            ip[12:16], ip[16:20] = f[30:34], f[26:30]
            ip[10:12] = b"\0\0"
            ip[10:12] = struct.pack("!H", inet_checksum(bytes(ip)))
            try:
                self.send(f[6:12] + f[0:6] + f[12:14] + bytes(ip) + bytes(icmp))
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        if self.thread:
            self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def igc_vm():
    vm_mod = pytest.importorskip("harness.vm.machine")
    # XDP_HINTS_IGC_VM_KERNEL=debian:trixie runs the module against another kernel
    spec = vm_mod.VMSpec(kernel=os.environ.get("XDP_HINTS_IGC_VM_KERNEL") or None,
                         nics=[vm_mod.NicSpec(kind="igc", queues=2, backend=_backend())],
                         append="xdph.modules=igc")
    with vm_mod.running_vm(spec) as vm:
        nic = vm.test_nics[0]
        vm_mod.resolve_guest_ifnames(vm, load="igc")
        ifn = nic.guest_ifname
        vm.ssh.check(f"ip link set {ifn} up && ip addr add {GUEST_IP}/24 dev {ifn}")
        link = HostLink(nic)
        try:
            # the watchdog reports link a few seconds after ifup under TCG
            for _ in range(60):
                if vm.ssh.run(f"cat /sys/class/net/{ifn}/carrier", timeout=30).stdout.strip() \
                        == "1":
                    break
                time.sleep(1)
            vm.ssh.check(f"ip neigh replace {HOST_IP} lladdr {HOST_MAC} dev {ifn}")
            _put_text(vm, RX_SCRIPT, "/root/igc_rx.py")
            yield vm, nic, IgcModel(vm.qmp.command, nic.qdev_id), link
        finally:
            link.close()


def _put_text(vm, text: str, remote: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(text)
    try:
        vm.ssh.put(Path(f.name), remote)
    finally:
        Path(f.name).unlink()


def _send(link: HostLink, frames: list[bytes], gap_s: float = 0.02) -> None:
    for f in frames:
        link.send(f)
        time.sleep(gap_s)


def _frame(nic, pkt_id: int, sport: int, vlan: int | None = None) -> bytes:
    from harness.traffic.packets import build_frame
    return build_frame(src_mac=HOST_MAC, dst_mac=nic.mac, src_ip=HOST_IP, dst_ip=GUEST_IP,
                       sport=sport, dport=PORT, l4="udp", payload=_payload(pkt_id),
                       vlans=[(0x8100, vlan)] if vlan is not None else [])


class _GuestRx:
    """The SO_TIMESTAMPING receiver running in the guest while the host sends."""

    def __init__(self, vm, count: int, timeout_s: float = 30.0) -> None:
        self.vm, self.count, self.timeout_s = vm, count, timeout_s
        self.out = f"/tmp/igc_rx_{time.monotonic_ns()}.json"

    def __enter__(self):
        self.vm.ssh.check(f"nohup python3 /root/igc_rx.py {PORT} {self.count} {self.timeout_s} "
                          f"> {self.out} 2>&1 &")
        for _ in range(100):
            if "ready" in self.vm.ssh.run(f"cat {self.out}", timeout=30).stdout:
                return self
            time.sleep(0.2)
        raise AssertionError("guest receiver did not start: "
                             + self.vm.ssh.run(f"cat {self.out}", timeout=30).stdout)

    def __exit__(self, *exc) -> None:
        pass

    def records(self) -> list[dict]:
        deadline = time.monotonic() + self.timeout_s + 10
        while time.monotonic() < deadline:
            lines = self.vm.ssh.run(f"cat {self.out}", timeout=30).stdout.splitlines()
            recs = [json.loads(ln) for ln in lines if ln.startswith("{")]
            if len(recs) >= self.count:
                return recs
            time.sleep(0.5)
        return recs


def test_driver_binds_link_2500_no_warnings(igc_vm):
    vm, nic, _, _ = igc_vm
    ifn = nic.guest_ifname
    assert vm.ssh.check(f"basename $(readlink /sys/class/net/{ifn}/device/driver)").strip() \
        == "igc"
    assert vm.ssh.check(f"cat /sys/class/net/{ifn}/speed").strip() == "2500"
    assert vm.ssh.check(f"cat /sys/class/net/{ifn}/duplex").strip() == "full"
    dmesg = vm.ssh.check("dmesg")
    assert "NIC Link is Up 2500 Mbps Full Duplex" in dmesg
    bad = vm.ssh.run("dmesg --level=emerg,alert,crit,err,warn | grep -i igc", timeout=30).stdout
    assert bad.strip() == "", f"igc warnings/errors in dmesg:\n{bad}"
    queues = vm.ssh.check(f"ls /sys/class/net/{ifn}/queues").split()
    assert {"rx-0", "rx-1", "tx-0", "tx-1"} <= set(queues)


def test_ping_both_ways(igc_vm):
    vm, nic, model, link = igc_vm
    before = model.stats()
    r = vm.ssh.run(f"ping -c 3 -W 5 {HOST_IP}", timeout=60)
    assert r.rc == 0, r.stdout + r.stderr
    after = model.stats()
    assert sum(after["tx_packets"]) > sum(before["tx_packets"])
    assert sum(after["rx_packets"]) > sum(before["rx_packets"])


def test_ethtool_lists_hw_rx_timestamping(igc_vm):
    vm, nic, _, _ = igc_vm
    out = vm.ssh.check(f"ethtool -T {nic.guest_ifname}")
    assert "hardware-receive" in out and "hardware-raw-clock" in out
    filters = out.split("Hardware Receive Filter Modes:")[1]
    assert "all" in filters


def test_rxfh_reads_and_sets_what_ethtool_does(igc_vm):
    """``xh-tools rxfh`` (one exec for the suite's flow types) against ``ethtool -n/-N
    rx-flow-hash``: the same fields read, a set seen by ethtool, and igc's refusals."""
    from harness import oracle
    vm, nic, _, _ = igc_vm
    ifn = nic.guest_ifname
    tools = _runner(vm).tools
    flows = ("tcp4", "udp4", "tcp6", "udp6")

    def by_ethtool() -> dict:
        got = {ft: oracle.parse_rx_flow_hash(vm.ssh.check(f"ethtool -n {ifn} rx-flow-hash {ft}"))
               for ft in flows}
        return {ft: f for ft, f in got.items() if f}

    try:
        vm.ssh.check(f"ethtool -N {ifn} rx-flow-hash udp4 sd")
        read = oracle.parse_rxfh(vm.ssh.check(f"{tools} rxfh {ifn} {' '.join(flows)}"))
        assert read == by_ethtool() and read["udp4"] == oracle.TWO_TUPLE
        assert read["tcp4"] == oracle.FOUR_TUPLE  # igc always hashes TCP ports
        out = vm.ssh.check(f"{tools} rxfh {ifn} udp4=sdfn udp6=sdfn")
        assert oracle.parse_rxfh(out) == {"udp4": oracle.FOUR_TUPLE, "udp6": oracle.FOUR_TUPLE}
        assert by_ethtool()["udp4"] == oracle.FOUR_TUPLE
        # igc refuses to leave the IP addresses out: the line carries the errno
        out = vm.ssh.check(f"{tools} rxfh {ifn} udp4=fn")
        assert re.fullmatch(r"udp4 -\d+", out.strip()), out
        assert vm.ssh.run(f"{tools} rxfh {ifn} udp4=q", timeout=30).rc == 2
    finally:
        vm.ssh.run(f"ethtool -N {ifn} rx-flow-hash udp4 sdfn", timeout=30)


def test_rss_hash_and_queue_match_toeplitz(igc_vm):
    vm, nic, model, link = igc_vm
    from harness.traffic.toeplitz import rss_hash
    ifn = nic.guest_ifname
    vm.ssh.check(f"ethtool -N {ifn} rx-flow-hash udp4 sdfn")
    # igc does not report its key to ethtool ("RSS hash key: Operation not
    # supported"): the model's RSSRK is the truth; the RETA must match ethtool -x.
    key = model.rss_key()
    assert len(key) == 40 and any(key)
    reta = model.reta()
    shown = vm.ssh.check(f"ethtool -x {ifn}")
    table = [int(v) for ln in shown.splitlines() if ln.strip()[:1].isdigit() and ":" in ln
             for v in ln.split(":", 1)[1].split()]
    assert table == reta, "RETA in the model == indirection table shown by ethtool -x"
    model.clear_rx_log()
    # Toeplitz is linear over GF(2) and the driver's RETA alternates 0/1, so the queue is
    # one hash bit: ports that differ in only 4 bits (3000..3015) all land on one queue
    # for 1 random key in 16. Ports whose differences span 15 bits: 1 key in 2^15.
    flows = [0x4A31 ^ (1 << i) for i in range(15)] + [0x4A31]
    _send(link, [_frame(nic, i, sp) for i, sp in enumerate(flows)])
    deadline = time.monotonic() + 30
    while len(model.rx_log()) < len(flows) and time.monotonic() < deadline:
        time.sleep(0.5)
    log = model.rx_log()
    assert len(log) == len(flows)
    queues = set()
    for rec, sp in zip(log, flows, strict=True):
        h = rss_hash(HOST_IP, GUEST_IP, sp, PORT, key=key)
        assert rec.rss_type == 7 and rec.hash == h, (rec, hex(h))
        assert rec.queue == reta[h & 0x7F]
        queues.add(rec.queue)
    assert queues == {0, 1}, "16 flows should use both RX queues"


def test_hw_rx_timestamps_deterministic(igc_vm):
    vm, nic, model, link = igc_vm
    ifn = nic.guest_ifname
    r = vm.ssh.run(f"hwstamp_ctl -i {ifn} -r 1", timeout=30)
    assert r.rc == 0, r.stdout + r.stderr
    start, step = 1_800_000_000 * 10**9 + 777, 1000
    n = 6
    with _GuestRx(vm, n) as rx:
        model.set_deterministic(start, step)
        model.clear_rx_log()
        _send(link, [_frame(nic, 100 + i, 4000 + i) for i in range(n)], gap_s=0.1)
        recs = rx.records()
    model.set_realtime()
    log = model.rx_log()
    assert len(recs) == n and len(log) == n
    by_id = {r["id"]: r for r in recs}
    for i, rec in enumerate(log):
        assert rec.ts_valid and rec.ts_ns == start + i * step
    # the guest sees the header value minus the driver's 2500 Mb/s RX latency
    got = sorted(r["hw"] for r in by_id.values())
    want = sorted(rec.ts_ns - LINUX_RX_LATENCY_NS[2500] for rec in log)
    assert got == want


def test_timestamp_fault_injection(igc_vm):
    vm, nic, model, link = igc_vm
    vm.ssh.check(f"hwstamp_ctl -i {nic.guest_ifname} -r 1")
    with _GuestRx(vm, 2) as rx:
        model.skip_timestamps(1)
        model.clear_rx_log()
        _send(link, [_frame(nic, 200, 4100), _frame(nic, 201, 4101)], gap_s=0.3)
        recs = rx.records()
    log = model.rx_log()
    assert [r.ts_valid for r in log] == [False, True]
    hw = {r["id"]: r["hw"] for r in recs}
    assert hw.get(200) in (None, 0) and hw.get(201)


def test_vlan_strip(igc_vm):
    vm, nic, model, link = igc_vm
    ifn = nic.guest_ifname
    vm.ssh.run(f"ip link add link {ifn} name {ifn}.100 type vlan id 100", timeout=30)
    vm.ssh.check(f"ip link set {ifn}.100 up")
    feat = vm.ssh.check(f"ethtool -k {ifn}")
    if "rx-vlan-offload: off" in feat:
        vm.ssh.check(f"ethtool -K {ifn} rxvlan on")
    before = int(vm.ssh.check(f"cat /sys/class/net/{ifn}.100/statistics/rx_packets"))
    model.clear_rx_log()
    _send(link, [_frame(nic, 300 + i, 4200 + i, vlan=100) for i in range(4)])
    time.sleep(3)
    log = model.rx_log()
    assert len(log) == 4
    assert all(r.vlan_stripped and r.vlan_tci == 100 for r in log)
    after = int(vm.ssh.check(f"cat /sys/class/net/{ifn}.100/statistics/rx_packets"))
    assert after - before == 4


def test_native_xdp_attaches(igc_vm, tmp_path):
    vm, nic, _, _ = igc_vm
    clang = shutil.which("clang")
    if not clang:
        pytest.skip("clang not installed on the host")
    src = tmp_path / "xdp_pass.c"
    src.write_text(XDP_PASS_C)
    obj = tmp_path / "xdp_pass.o"
    subprocess.run([clang, "-O2", "-target", "bpf", "-c", str(src), "-o", str(obj)], check=True)
    vm.ssh.put(obj, "/root/xdp_pass.o")
    ifn = nic.guest_ifname
    r = vm.ssh.run(f"ip link set dev {ifn} xdpdrv obj /root/xdp_pass.o sec xdp", timeout=60)
    assert r.rc == 0, r.stdout + r.stderr
    try:
        out = vm.ssh.check(f"ip -d link show {ifn}")
        assert "xdp" in out and "prog/xdp" in out
        r = vm.ssh.run(f"ping -c 2 -W 5 {HOST_IP}", timeout=60)
        assert r.rc == 0, "traffic still flows with the native XDP program attached"
    finally:
        vm.ssh.run(f"ip link set dev {ifn} xdpdrv off", timeout=60)


def _runner(vm):
    gr = pytest.importorskip("harness.guest.runner")
    try:
        runner = gr.GuestRunner(vm)
        runner.install()
    except Exception as e:  # noqa: BLE001 - missing clang/libbpf on the host etc.
        pytest.skip(f"guest BPF runner unavailable: {e}")
    return runner


@pytest.mark.parametrize("mode", ["pass", "xsk-zerocopy"])
def test_xdp_kfuncs_see_the_models_hash_and_timestamp(igc_vm, mode):
    """Device-bound XDP: rx_hash / rx_timestamp return exactly what the model wrote."""
    vm, nic, model, link = igc_vm
    from harness.traffic.toeplitz import rss_hash
    ifn = nic.guest_ifname
    runner = _runner(vm)
    info = runner.probe(ifn)
    iface = next(i for i in info["ifaces"] if i["ifname"] == ifn)
    assert {"timestamp", "hash"} <= set(iface["xdp_rx_metadata"])
    vm.ssh.check(f"ethtool -N {ifn} rx-flow-hash udp4 sdfn")
    n, start, step = 8, 1_900_000_000 * 10**9 + 4242, 500
    kw = {"xsk_mode": "zerocopy"} if mode.startswith("xsk") else {}
    with runner.observe(ifn, "xsk" if mode.startswith("xsk") else "pass", **kw) as obs:
        model.set_deterministic(start, step)
        model.clear_rx_log()
        _send(link, [_frame(nic, 500 + i, 5000 + i) for i in range(n)], gap_s=0.1)
        obs.wait_for(n, point="xdp", timeout=60)
        if mode.startswith("xsk"):
            obs.wait_for(n, point="xsk", timeout=60)
    model.set_realtime()
    log = model.rx_log()
    assert len(log) == n
    want_ts = {rec.ts_ns - LINUX_RX_LATENCY_NS[2500] for rec in log}
    assert want_ts == {start + i * step - LINUX_RX_LATENCY_NS[2500] for i in range(n)}
    key = model.rss_key()
    xdp = obs.index("xdp")
    assert set(xdp) == {500 + i for i in range(n)}
    for i in range(n):
        r = xdp[500 + i]
        assert r["rx_hash_rc"] == 0 and r["rx_hash"] == rss_hash(HOST_IP, GUEST_IP, 5000 + i,
                                                                  PORT, key=key)
        assert r["rx_hash_type"] == 0x29, "XDP_RSS_TYPE_L4_IPV4_UDP"
        assert r["rx_timestamp_rc"] == 0 and r["rx_timestamp"] in want_ts
        assert r["rx_vlan_tag_rc"] == -95, "igc has no rx_vlan_tag kfunc"
    assert len({r["rx_timestamp"] for r in xdp.values()}) == n
    if mode.startswith("xsk"):
        xsk = obs.index("xsk")
        assert set(xsk) == set(xdp)
        assert all(r["xsk_mode"] == "zerocopy" and r["meta_found"] for r in xsk.values())
        assert all(r["meta"]["rx_hash"] == xdp[i]["rx_hash"] for i, r in xsk.items())
