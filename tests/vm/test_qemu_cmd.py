# SPDX-License-Identifier: GPL-2.0-or-later
"""The QEMU command line: NICs, snapshot root, unknown NIC kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.vm import qemu_cmd
from harness.vm.accel import _tcg
from harness.vm.machine import NicSpec, TestNic


def test_qemu_command_has_nics_and_snapshot(tmp_path):
    q = qemu_cmd.Qemu(Path("/usr/bin/qemu-system-x86_64"), own_build=False)
    nics = [TestNic(NicSpec("virtio-net", 4), 0, "52:54:00:00:00:02", "tnic0", tap="tap0"),
            TestNic(NicSpec("igc", 2, "socket"), 1, "52:54:00:00:00:03", "tnic1",
                    qemu_sock=tmp_path / "q", host_sock=tmp_path / "h"),
            TestNic(NicSpec("igb", 2), 2, "52:54:00:00:00:04", "tnic2", tap="tap2")]
    argv = qemu_cmd.command(q, _tcg(), name="n", kernel=Path("/k"), initramfs=Path("/i"),
                            append="a", rootfs=Path("/r"), modules_disk=Path("/m"), cpus=2,
                            memory_mb=512, ssh_port=2222, mgmt_mac="52:54:00:00:00:01",
                            qmp_socket=tmp_path / "qmp", nics=nics)
    joined = " ".join(argv)
    assert "file=/r,if=none,id=root,format=raw,snapshot=on" in joined
    assert "tap,id=tn0,ifname=tap0,script=no,downscript=no,vhost=off,queues=4" in joined
    assert "mq=on,vectors=10,rss=on,hash=on" in joined
    assert f"dgram,id=tn1,local.type=unix,local.path={tmp_path / 'q'}" in joined
    assert "tap,id=tn2,ifname=tap2,script=no,downscript=no,vhost=off,queues=1" in joined
    assert "igc,netdev=tn1,id=tnic1" in joined and "pcie-root-port,id=rptnic1,chassis=11" in joined
    assert "igb,netdev=tn2,id=tnic2,mac=52:54:00:00:00:04,bus=rptnic2" in joined
    assert "user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22" in joined
    assert "-L" not in argv  # distribution QEMU knows its firmware


def test_unknown_nic_kind_rejected():
    with pytest.raises(qemu_cmd.QemuError, match="unknown NIC"):
        qemu_cmd.nic_args(TestNic(NicSpec("e1000"), 0, "m", "q", tap="t"))
    with pytest.raises(qemu_cmd.QemuError, match="inside the guest"):
        qemu_cmd.nic_args(TestNic(NicSpec("veth"), 0, "m", "q", tap="t"))


def test_tap_given_as_fds_without_root():
    """A run without root hands QEMU the taps it opened in a user namespace as fds."""
    one = TestNic(NicSpec("igc", 1), 0, "52:54:00:00:00:02", "tnic0", tap="t0", tap_fds=[7])
    two = TestNic(NicSpec("virtio-net", 2), 1, "52:54:00:00:00:03", "tnic1", tap="t1",
                  tap_fds=[8, 9])
    assert qemu_cmd.netdev_args(one) == ["-netdev", "tap,id=tn0,fd=7,vhost=off"]
    assert qemu_cmd.netdev_args(two) == ["-netdev", "tap,id=tn1,fds=8:9,vhost=off"]
