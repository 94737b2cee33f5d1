# SPDX-License-Identifier: GPL-2.0-or-later
"""VM tests of the boot spine: real QEMU, real Debian kernel, real SSH."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.vm import leftovers, netns
from tests.conftest import REPO, XH, qemu_children, xdp_hints

pytestmark = pytest.mark.vm
NS, TAP, TMP = leftovers.KINDS


def test_boot_json_reports_kernel_accel_and_timing(guest_artifacts, tmp_path):
    r = xdp_hints("boot", "--json", "--log-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["kernel_release"] == guest_artifacts["kernel"].release
    assert rep["kernel_release"].split(".")[0].isdigit()
    assert rep["accel"] in ("kvm", "tcg")
    if rep["accel"] == "tcg":
        assert rep["accel_reason"], "TCG must say why KVM was not used"
    assert 0 < rep["boot_s"] < 600
    assert rep["nics"] == []
    log = tmp_path / "serial.log"
    assert log.exists() and "XDP-HINTS-READY" in log.read_text(errors="replace")


def test_boot_with_virtio_net_hash_reporting_and_igb(guest_artifacts, taps_usable):
    r = xdp_hints("boot", "--nic", "virtio-net,igb", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    nic, igb = rep["nics"]
    assert igb["driver"] == "igb" and igb["kind"] == "igb" and igb["name"]
    assert igb["xdp_rx_metadata_features"] == []  # the control NIC: no callbacks
    assert nic["driver"] == "virtio_net" and nic["kind"] == "virtio-net"
    assert nic["queues"] == 2
    assert nic["virtio_features"]["hash_report"], "VIRTIO_NET_F_HASH_REPORT (bit 57) not negotiated"
    assert nic["virtio_features"]["rss"], "VIRTIO_NET_F_RSS (bit 60) not negotiated"
    assert "hash" in nic["xdp_rx_metadata_features"]
    assert "receive-hashing" in nic["features"]


def test_ssh_runs_a_command_and_returns_its_status_and_host_loopback_is_unreachable(
        guest_artifacts):
    """One boot: the exit status comes back, and a server on the host's 127.0.0.1 is not
    reachable from the guest (user-mode network restrict=on; 10.0.2.2 is the host)."""
    import socket
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    probe = (f"python3 -c 'import socket; s = socket.socket(); s.settimeout(3); "
             f"print(\"reach\" if s.connect_ex((\"10.0.2.2\", {port})) == 0 else \"blocked\")'")
    try:
        r = xdp_hints("ssh", "--", f"uname -r; cat /proc/cmdline; {probe}; exit 7")
    finally:
        srv.close()
    assert r.returncode == 7, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == guest_artifacts["kernel"].release
    assert "init=/sbin/xdp-hints-init" in out[1]
    assert out[2] == "blocked", "the guest reached a server on the host's loopback"


def test_guest_has_module_tree_and_tools(guest_artifacts):
    from harness.vm.machine import VMSpec, running_vm
    with running_vm(VMSpec()) as vm:
        assert vm.ssh.run("modprobe veth && test -d /sys/module/veth").rc == 0
        tools = vm.ssh.run("command -v bpftool ethtool xdp-loader tcpdump phc_ctl python3")
        assert len(tools.stdout.split()) == 6, tools.stdout
        assert vm.ssh.check("mount | grep -c ' /sys/fs/bpf '").strip() == "1"
        local = vm.workdir / "probe.txt"
        local.write_text("hello guest\n")
        vm.ssh.put(local, "/tmp/probe.txt")
        vm.ssh.get("/tmp/probe.txt", vm.workdir / "back.txt")
        assert (vm.workdir / "back.txt").read_text() == "hello guest\n"
        # large output arrives whole: sshd may report the exit status before the last
        # of the output (the old read loop lost the tail of ~1 in 3 such commands)
        n = 60000
        want = "".join(f"{i}\n" for i in range(1, n + 1))
        for _ in range(10):
            got = vm.ssh.run(f"seq 1 {n}").stdout
            assert got == want, f"{len(got)} of {len(want)} bytes, tail {got[-40:]!r}"
        # QEMU, and our device model in it, gave up root once set up
        if os.geteuid() == 0:
            status = Path(f"/proc/{vm.console.child.pid}/status").read_text()
            uids = next(ln for ln in status.splitlines() if ln.startswith("Uid:")).split()[1:]
            assert set(uids) == {"65534"}, f"QEMU runs with uids {uids}, not as nobody"
        if vm.qemu.sandbox_args():  # built with seccomp: the filter is on (mode 2)
            status = Path(f"/proc/{vm.console.child.pid}/status").read_text()
            assert "Seccomp:\t2" in status, "QEMU runs without its seccomp sandbox"
        # the DNS is the user-mode network's; the host key is pinned from the image build
        assert vm.ssh.check("cat /etc/resolv.conf").split() == ["nameserver", "10.0.2.3"]
        assert vm.ssh.host_key and vm.ssh.host_key.startswith("ssh-ed25519 ")
        other = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                                str(vm.workdir / "other")], check=True)
        assert other.returncode == 0
        wrong = (vm.workdir / "other.pub").read_text().strip()
        from harness.vm.ssh import Ssh, SshError
        with pytest.raises(SshError, match="not the one its rootfs image was built with"):
            Ssh(vm.ssh.port, vm.ssh_key, wrong).wait_ready(time.monotonic() + 30, lambda: True)
        right = Ssh(vm.ssh.port, vm.ssh_key, vm.ssh.host_key)
        right.wait_ready(time.monotonic() + 30, lambda: True)
        assert right.check("echo ok").strip() == "ok"
        right.close()


def test_kernel_panic_is_exit_3_with_panic_lines(guest_artifacts, tmp_path):
    r = xdp_hints("boot", "--append", "init=/does-not-exist", "--log-dir", str(tmp_path))
    assert r.returncode == 3, r.stderr
    assert "Kernel panic" in r.stderr and "crashed" in r.stderr
    assert str(tmp_path / "serial.log") in r.stderr
    assert "Kernel panic" in (tmp_path / "serial.log").read_text(errors="replace")


def test_guest_without_ssh_is_exit_2_with_console_tail(guest_artifacts, tmp_path):
    r = xdp_hints("boot", "--append", "xdph.nosshd", "--boot-timeout", "30",
                  "--log-dir", str(tmp_path))
    assert r.returncode == 2, r.stderr
    assert "did not answer SSH within 30 s" in r.stderr
    assert str(tmp_path / "serial.log") in r.stderr
    tail = [ln for ln in r.stderr.splitlines() if ln.startswith("  | ")]
    assert 0 < len(tail) <= 30


def test_two_boots_at_the_same_moment(guest_artifacts):
    procs = [subprocess.Popen([*XH, "boot", "--json"], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=900) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    reps = [json.loads(out) for out, _ in outs]
    assert reps[0]["serial_log"] != reps[1]["serial_log"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_boot_leaves_nothing_behind(guest_artifacts, tmp_path, sig):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    use_tap = os.geteuid() == 0 and netns.rtnl_wedged() is None
    args = ["boot", *(["--nic", "virtio-net"] if use_tap else [])]
    p = subprocess.Popen([*XH, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "TMPDIR": str(tmpdir)})
    deadline = time.monotonic() + 120
    qemus: list[int] = []
    while time.monotonic() < deadline and not qemus and p.poll() is None:
        qemus = qemu_children(p.pid)
        time.sleep(0.2)
    assert qemus, "QEMU never started"
    time.sleep(2)  # mid-boot
    namespaces = leftovers.owned(NS, p.pid)
    if use_tap:
        assert namespaces, "the VM's namespace should exist while it boots"
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 2, err
    assert "interrupted" in err
    for pid in qemus:
        assert not Path(f"/proc/{pid}").exists() or \
            Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"
    assert leftovers.owned(NS, p.pid) == [] and leftovers.owned(TAP, p.pid) == []
    assert list(tmpdir.iterdir()) == []


def test_ssh_port_taken_before_qemu_binds_it_is_retried(guest_artifacts, monkeypatch):
    """The forward's port is probed free, then bound by QEMU: if another process takes it
    in between, QEMU exits ("Could not set up host forwarding") and a new port is tried."""
    import socket

    from harness.vm import machine
    thief = socket.socket()
    thief.bind(("127.0.0.1", 0))
    thief.listen(1)
    ports = [thief.getsockname()[1]]
    real = machine._free_port
    monkeypatch.setattr(machine, "_free_port", lambda: ports.pop() if ports else real())
    try:
        with machine.running_vm(machine.VMSpec()) as vm:
            assert vm.ssh.port != thief.getsockname()[1]
            assert vm.ssh.check("echo up").strip() == "up"
    finally:
        thief.close()
    assert ports == []  # the taken port was handed out first
