# SPDX-License-Identifier: GPL-2.0-or-later
"""The pytest plugin's guest lifecycle, in a pytest run of its own: a guest crash fails
the running test with the panic lines, the next test gets a fresh guest, JUnit records
both, and nothing is left behind.  Two boots (~1 min under TCG)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.paths import REPO

CRASHING = '''
def test_crash(xdp_vm):
    xdp_vm.ssh.run("echo c > /proc/sysrq-trigger", timeout=20)

def test_after_the_crash(xdp_vm):
    assert xdp_vm.ssh.check("echo alive", timeout=60).strip() == "alive"
'''


@pytest.mark.vm
def test_crash_fails_the_test_and_the_session_reboots(tmp_path: Path) -> None:
    (tmp_path / "test_crash_then_more.py").write_text(CRASHING)
    junit = tmp_path / "junit.xml"
    p = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "harness.plugin.fixtures", "-p",
         "no:cacheprovider", "-q", f"--junitxml={junit}", "--xdp-nic", "virtio-net",
         "--xdp-log-dir", str(tmp_path / "logs"), str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    out, _ = p.communicate(timeout=900)
    assert p.returncode == 1, out
    assert "1 failed, 1 passed" in out, out
    assert "guest kernel crashed during this test" in out and "sysrq" in out, out
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["test_crash"].find("failure") is not None, junit.read_text()
    assert cases["test_after_the_crash"].find("failure") is None, junit.read_text()
    props = {p.get("name"): p.get("value")
             for p in cases["test_after_the_crash"].iter("property")}
    assert props.get("xdp_kernel", "").endswith("-amd64")
    left = subprocess.run(["pgrep", "-f", f"xdph-{p.pid}-"], capture_output=True, text=True)
    assert left.stdout == "", f"QEMU of the finished session still runs: {left.stdout}"
    assert (tmp_path / "logs" / "serial.log").is_file()
