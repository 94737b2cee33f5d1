# SPDX-License-Identifier: GPL-2.0-or-later
"""The igc driver's own self-test (``ethtool -t``) against our emulated igc.

``ethtool -t <if> offline`` runs the driver's register test (igc_diag.c: write
masks and read-only bits of ~200 registers), its EEPROM test (the NVM checksum,
through the flash path when EECD says "flash detected") and the link test;
``online`` the link test only.  One boot per kernel (sid = the default kernel,
trixie 6.12); each sub-test must report 0 (PASS) and the serial console must show
no oops, BUG or WARNING.
"""

from __future__ import annotations

import re
import time

import pytest

from harness.artifacts.qemu_build import find_qemu
from harness.vm.console import CRASH_RE, WARN_RE

pytestmark = [
    pytest.mark.vm,
    pytest.mark.skipif(find_qemu() is None,
                       reason="no QEMU build with igc in the cache (run: xdp-hints qemu build)"),
]

KERNELS = [None, "debian:trixie"]          # None: the harness's default (sid)
OFFLINE_TESTS = {"Register test  (offline)", "Eeprom test    (offline)",
                 "Interrupt test (offline)", "Loopback test  (offline)",
                 "Link test   (on/offline)"}


def parse_selftest(out: str) -> tuple[str, dict[str, int]]:
    """``ethtool -t`` output -> (PASS/FAIL, {sub-test name: result})."""
    m = re.search(r"The test result is (\w+)", out)
    results = {name.strip(): int(v) for name, v in
               re.findall(r"^\s*(\S.*?\))\s+(\d+)\s*$", out, re.MULTILINE)}
    return (m.group(1) if m else "?"), results


@pytest.fixture(scope="module", params=KERNELS, ids=["sid", "trixie"])
def selftest_vm(request):
    vm_mod = pytest.importorskip("harness.vm.machine")
    spec = vm_mod.VMSpec(kernel=request.param,
                         nics=[vm_mod.NicSpec(kind="igc", queues=1, backend="socket")],
                         append="xdph.modules=igc")
    with vm_mod.running_vm(spec) as vm:
        nic = vm.test_nics[0]
        vm_mod.resolve_guest_ifnames(vm, load="igc")
        ifn = nic.guest_ifname
        vm.ssh.check(f"ip link set {ifn} up")
        for _ in range(60):
            if vm.ssh.run(f"cat /sys/class/net/{ifn}/carrier", timeout=30).stdout.strip() == "1":
                break
            time.sleep(1)
        offline = vm.ssh.run(f"ethtool -t {ifn} offline", timeout=240)
        online = vm.ssh.run(f"ethtool -t {ifn} online", timeout=240)
        # the interface comes back after the offline test (igc_open)
        carrier = ""
        for _ in range(60):
            carrier = vm.ssh.run(f"cat /sys/class/net/{ifn}/carrier", timeout=30).stdout.strip()
            if carrier == "1":
                break
            time.sleep(1)
        dmesg = vm.ssh.run("dmesg", timeout=60).stdout
        yield {"offline": offline, "online": online, "carrier": carrier, "dmesg": dmesg,
               "serial": vm.serial_log}


def test_offline_selftest_every_subtest_passes(selftest_vm):
    r = selftest_vm["offline"]
    verdict, results = parse_selftest(r.stdout)
    assert set(results) == OFFLINE_TESTS, r.stdout + r.stderr
    failed = {k: v for k, v in results.items() if v != 0}
    assert verdict == "PASS" and r.rc == 0 and not failed, \
        f"{failed}\n{r.stdout}{r.stderr}\n" + "\n".join(
            ln for ln in selftest_vm["dmesg"].splitlines() if "igc" in ln)[-3000:]
    assert selftest_vm["carrier"] == "1", "link back after the offline test"


def test_online_selftest_passes(selftest_vm):
    r = selftest_vm["online"]
    verdict, results = parse_selftest(r.stdout)
    assert verdict == "PASS" and r.rc == 0, r.stdout + r.stderr
    assert results.get("Link test   (on/offline)") == 0


def test_no_splat_in_serial_log(selftest_vm):
    text = selftest_vm["serial"].read_text(errors="replace")
    bad = [ln for ln in text.splitlines() if CRASH_RE.search(ln) or WARN_RE.search(ln)]
    assert not bad, "\n".join(bad[:20])
    dmesg_bad = [ln for ln in selftest_vm["dmesg"].splitlines()
                 if "igc" in ln and re.search(r"failed|NVM|Hardware Error", ln)]
    assert not dmesg_bad, "\n".join(dmesg_bad)


def test_parse_selftest_reads_ethtool_output():
    out = ("The test result is FAIL\nThe test extra info:\n"
           "Register test  (offline)\t 44\nEeprom test    (offline)\t 0\n"
           "Interrupt test (offline)\t 0\nLoopback test  (offline)\t 0\n"
           "Link test   (on/offline)\t 0\n")
    verdict, res = parse_selftest(out)
    assert verdict == "FAIL" and res["Register test  (offline)"] == 44
    assert set(res) == OFFLINE_TESTS
