# SPDX-License-Identifier: GPL-2.0-or-later
"""The kernel's own ``xdp_hw_metadata`` against our emulated igc, in a real guest.

The tool (tools/testing/selftests/bpf, built from the guest kernel's Debian source
by harness.artifacts.selftest_tools) redirects UDP:9091 into AF_XDP, prints the
RX metadata its XDP program read through the kfuncs and answers each frame with
an AF_XDP transmit that asks for a TX timestamp; UDP:9092 goes to a socket whose
skb hardware stamp it prints.  Nobody here wrote it: the model has to satisfy
the kernel developers' reference tool, not only our own runner.

Checked: every printed ``rx_hash``/RSS type against our Toeplitz over the RSS key
programmed into the model's registers and the hash fields the driver reports
(ethtool), one per 9091 frame; an skb hardware stamp for every 9092 frame; a TX
completion with a hardware timestamp for every reply.  (The tool's printed RX
timestamp is not checked: its program writes data_meta before calling the kfunc,
which on igc overwrites the stamp -- a kernel bug, issue 13.)
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections import Counter

import pytest

from harness.artifacts.qemu_build import find_qemu

pytestmark = [
    pytest.mark.vm,
    pytest.mark.skipif(find_qemu() is None,
                       reason="no QEMU build with igc in the cache (run: xdp-hints qemu build)"),
]

SUITE = "sid"  # the default kernel (debian:sid) and the source the tool is built from
GUEST_IP, HOST_IP = "192.0.2.1", "192.0.2.2"
GUEST_IP6, HOST_IP6 = "2001:db8::1", "2001:db8::2"
HOST_MAC = "02:00:00:00:13:07"
XSK_FRAMES = 8  # UDP:9091, half IPv4, half IPv6
SKB_FRAMES = 4  # UDP:9092
REMOTE = "/root/xdp_hw_metadata"
OUT = "/tmp/xdp_hw_metadata.out"


@pytest.fixture(scope="module")
def tool():
    from harness.artifacts import kernels, selftest_tools
    try:
        selftest_tools.check_host()
    except selftest_tools.SelftestBuildError as e:
        pytest.skip(str(e))
    kernel = kernels.resolve(f"debian:{SUITE}")
    t0 = time.monotonic()
    path = selftest_tools.build_xdp_hw_metadata(SUITE, kernel.image, kernel.release)
    print(f"xdp_hw_metadata ready in {time.monotonic() - t0:.1f} s: {path}")
    return path


@contextlib.contextmanager
def _igc_guest(tool):
    """A booted guest with the igc test NIC set up and the tool copied in."""
    from harness.vm.machine import NicSpec, VMSpec, running_vm
    spec = VMSpec(kernel=f"debian:{SUITE}", nics=[NicSpec(kind="igc", queues=2, backend="tap")])
    with running_vm(spec) as vm:
        nic = vm.test_nics[0]
        ifn = nic.guest_ifname
        assert ifn, "igc test NIC not found in the guest"
        vm.ssh.check(f"ip link set {ifn} up && ip addr add {GUEST_IP}/24 dev {ifn} && "
                     f"ip -6 addr add {GUEST_IP6}/64 dev {ifn} nodad")
        for ft in ("udp4", "udp6"):  # hash the ports too: every flow its own hash
            vm.ssh.check(f"ethtool -N {ifn} rx-flow-hash {ft} sdfn")
        for _ in range(60):  # the watchdog reports link a few seconds after ifup under TCG
            if vm.ssh.run(f"cat /sys/class/net/{ifn}/carrier", timeout=30).stdout.strip() == "1":
                break
            time.sleep(1)
        vm.ssh.put(tool, REMOTE, mode=0o755)
        # the tool runs its tc/ethtool set-up through sudo; the guest is root already
        vm.ssh.check("mkdir -p /tmp/xhm-bin && printf '#!/bin/sh\\nexec \"$@\"\\n' "
                     "> /tmp/xhm-bin/sudo && chmod +x /tmp/xhm-bin/sudo")
        yield vm, nic


def _plan(nic):
    from harness.traffic.packets import make_packet
    plan = []
    for i in range(XSK_FRAMES + SKB_FRAMES):
        v6 = i < XSK_FRAMES and i % 2 == 1
        plan.append(make_packet(
            1000 + i, src_mac=HOST_MAC, dst_mac=nic.mac,
            src_ip=HOST_IP6 if v6 else HOST_IP, dst_ip=GUEST_IP6 if v6 else GUEST_IP,
            sport=20000 + 7919 * i % 40000, dport=9091 if i < XSK_FRAMES else 9092, l4="udp"))
    return plan


def _facts(vm, nic):
    """The RSS key the driver programmed (igc's ethtool shows none: read from the model's
    RSSRK registers over QMP) and the hash fields the driver reports."""
    from harness import oracle
    from harness.nics.igc_model import IgcModel
    ifn = nic.guest_ifname
    key = IgcModel(vm.qmp.command, nic.qdev_id).rss_key()
    fields = {ft: oracle.parse_rx_flow_hash(vm.ssh.check(f"ethtool -n {ifn} rx-flow-hash {ft}"))
              for ft in ("udp4", "udp6")}
    return oracle.Facts(driver="igc", rss_key=key, hash_fields=fields)


def _wait_for(vm, pattern: str, count: int, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    out = ""
    while time.monotonic() < deadline:
        out = vm.ssh.run(f"cat {OUT}", timeout=30).stdout
        if len(re.findall(pattern, out, re.M)) >= count:
            break
        time.sleep(0.5)
    return out


#: the one guest crash retried (once, in a new VM): a NULL rx_buffer_info[].xdp in igc's
#: zero-copy RX clean (igc_poll -> igc_clean_rx_irq_zc), seen once in five runs of this
#: test, never in the suite's own xsk-zc runs; not understood (driver race or model)
ZC_RX_CRASH = re.compile(r"RIP: .*igc_(poll|clean_rx_irq_zc)\+")


def test_xdp_hw_metadata_against_the_model(tool):
    from harness.vm import netns
    from harness.vm.machine import GuestCrashed, raise_if_crashed
    if os.geteuid() != 0:
        pytest.skip("the igc test NIC here is a tap: needs root")
    if why := netns.rtnl_wedged():
        pytest.skip(why)
    for attempt in (1, 2):
        try:
            with _igc_guest(tool) as (vm, nic):
                try:
                    _check_tool_against_the_model(vm, nic)
                except Exception as e:
                    raise_if_crashed(vm, "during xdp_hw_metadata", wait_s=5, cause=e)
                    raise
            return
        except GuestCrashed as e:
            if attempt == 2 or not any(ZC_RX_CRASH.search(ln) for ln in e.detail):
                raise
            print(f"attempt 1: {e}; retried once in a new VM:\n  " + "\n  ".join(e.detail[:12]))


def _check_tool_against_the_model(vm, nic) -> None:
    from harness.oracle.nic_model import nic_hash
    from harness.traffic.sender import send_plan
    ifn = nic.guest_ifname
    facts = _facts(vm, nic)
    plan = _plan(nic)
    vm.ssh.check(f"cd /tmp; PATH=/tmp/xhm-bin:$PATH setsid stdbuf -oL -eL {REMOTE} {ifn} "
                 f"> {OUT} 2>&1 < /dev/null & echo $! > {OUT}.pid")
    out = _wait_for(vm, r"^poll: ", 1, 120)
    assert re.search(r"^poll: ", out, re.M), f"xdp_hw_metadata did not start:\n{out[-3000:]}"
    try:
        send_plan(plan, nic.tap, nic.netns, gap_s=0.3)
        out = _wait_for(vm, r"^HW TX-complete-time:|^No tx_timestamp", XSK_FRAMES, 60)
        out = _wait_for(vm, r"^found skb hwtstamp|^skb hwtstamp is not found", SKB_FRAMES, 30)
    finally:
        vm.ssh.run(f"kill -INT $(cat {OUT}.pid); for i in $(seq 50); do "
                   f"kill -0 $(cat {OUT}.pid) 2>/dev/null || break; sleep 0.2; done", timeout=60)
        out = vm.ssh.run(f"cat {OUT}", timeout=30).stdout
    tail = out[-4000:]

    # RX hash and RSS type, one line per AF_XDP frame, against our Toeplitz
    got = Counter((int(h, 16), int(t, 16)) for h, t in
                  re.findall(r"^rx_hash: 0x([0-9A-F]+) with RSS type:0x([0-9A-F]+)", out, re.M))
    want = Counter(nic_hash(facts, p) for p in plan[:XSK_FRAMES])
    assert None not in want
    assert len(want) == XSK_FRAMES, "the flows' hashes differ, so a swapped hash shows"
    assert got == want, f"printed rx_hash/type {sorted(got)} != Toeplitz {sorted(want)}\n{tail}"
    assert "No rx_hash" not in out

    # skb hardware stamps through SO_TIMESTAMPING on the 9092 socket
    stamps = re.findall(r"^found skb hwtstamp = (\d+)\.(\d+)", out, re.M)
    assert len(stamps) == SKB_FRAMES and "skb hwtstamp is not found" not in out, tail
    assert all(int(s) > 0 for s, _ in stamps)

    # one TX completion with a hardware timestamp per AF_XDP reply
    tx = [int(v) for v in re.findall(r"^HW TX-complete-time:\s+(\d+)", out, re.M)]
    assert len(tx) == XSK_FRAMES and "No tx_timestamp" not in out, tail
    assert all(v > 0 for v in tx) and tx == sorted(tx), f"TX stamps not increasing: {tx}"
    assert "detaching bpf program" in out, f"xdp_hw_metadata did not exit cleanly:\n{tail}"
    print(f"xdp_hw_metadata: {sum(got.values())} rx_hash/type = Toeplitz, {len(stamps)} skb "
          f"hwtstamps, {len(tx)} TX completion stamps")
