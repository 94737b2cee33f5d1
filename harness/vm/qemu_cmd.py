# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the QEMU command line for one VM (q35, direct kernel boot)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError
from harness.vm.accel import Accel

if TYPE_CHECKING:
    from harness.vm.machine import TestNic

MIN_SYSTEM_QEMU = (10, 0)


class QemuError(HarnessError):
    """No suitable QEMU binary."""


@dataclass(frozen=True)
class Qemu:
    binary: Path
    own_build: bool     # our build (with igc): needs the distribution firmware via -L

    def firmware_args(self) -> list[str]:
        if not self.own_build:
            return []
        from harness.artifacts.qemu_build import firmware_args
        return firmware_args()

    def has_device(self, name: str) -> bool:
        return name in _devices(self.binary)

    def sandbox_args(self) -> list[str]:
        """``-sandbox on`` (seccomp: the device model under a syscall filter) where the
        binary was built with it."""
        return ["-sandbox", "on"] if _has_sandbox(self.binary) else []


@functools.cache
def _devices(binary: Path) -> frozenset[str]:
    p = subprocess.run([str(binary), "-device", "help"], capture_output=True, text=True,
                       timeout=30)
    return frozenset(re.findall(r'name "([^"]+)"', p.stdout))


@functools.cache
def _has_sandbox(binary: Path) -> bool:
    p = subprocess.run([str(binary), "-sandbox", "on", "-machine", "none", "-display", "none",
                        "-nodefaults", "-version"], capture_output=True, text=True, timeout=30)
    return p.returncode == 0


def _own_build() -> Path | None:
    from harness.artifacts import qemu_build
    return qemu_build.find_qemu()


def find(devices: Iterable[str] = (), override: Path | None = None) -> Qemu:
    """Our QEMU build if present, else the system's (>= 10.0); each of ``devices`` must
    be in it (igc is only in ours)."""
    if override is not None:
        q = Qemu(override, own_build=True)
    elif (own := _own_build()) is not None:
        q = Qemu(own, own_build=True)
    else:
        system = shutil.which("qemu-system-x86_64")
        if system is None:
            raise QemuError("no QEMU: run `make setup` (system QEMU) or `make qemu` (with igc)")
        out = subprocess.run([system, "--version"], capture_output=True, text=True).stdout
        m = re.search(r"version (\d+)\.(\d+)", out)
        if not m or (int(m.group(1)), int(m.group(2))) < MIN_SYSTEM_QEMU:
            raise QemuError(f"{system} is too old ({out.splitlines()[0] if out else '?'}); "
                            "run `make setup` (QEMU >= 10.0 from backports) or `make qemu`")
        q = Qemu(Path(system), own_build=False)
    for dev in devices:
        if not q.has_device(dev):
            raise QemuError(f"{q.binary} has no {dev} device: build ours with `make qemu` "
                            "(or `xdp-hints qemu build`)")
    return q


def netdev_args(nic: TestNic) -> list[str]:
    """The ``-netdev`` of one test NIC: a multi-queue tap with a vnet header, or a unix
    datagram socket pair (one frame per datagram)."""
    if nic.backend == "socket":
        return ["-netdev", f"dgram,id={nic.netdev_id},local.type=unix,local.path={nic.qemu_sock},"
                f"remote.type=unix,remote.path={nic.host_sock}"]
    if nic.tap_fds:  # without root: the tap was opened in a user namespace (vm/userns.py)
        fds = ":".join(map(str, nic.tap_fds))
        return ["-netdev", f"tap,id={nic.netdev_id},{'fds' if len(nic.tap_fds) > 1 else 'fd'}="
                f"{fds},vhost=off"]
    return ["-netdev", f"tap,id={nic.netdev_id},ifname={nic.tap},script=no,downscript=no,"
            f"vhost=off,queues={nic.backend_queues}"]


def nic_args(nic: TestNic) -> list[str]:
    """Backend and device arguments of one test NIC (the device is its kind's)."""
    from harness import nics
    try:
        kind = nics.get(nic.kind)
    except ValueError as e:
        raise QemuError(str(e)) from None
    if kind.qemu_device is None:
        raise QemuError(f"NIC {nic.kind!r} is made inside the guest, not a QEMU device")
    return netdev_args(nic) + kind.device_args(nic, nic.netdev_id)


#: who QEMU runs as once its files, sockets and taps are open (started as root)
QEMU_USER = "nobody"


def privilege_args() -> list[str]:
    """Started as root (taps), QEMU -- and our device model in it -- drops to an
    unprivileged user after set-up; ``XDP_HINTS_QEMU_USER=root`` keeps root."""
    user = os.environ.get("XDP_HINTS_QEMU_USER", QEMU_USER)
    if os.geteuid() != 0 or user == "root":
        return []
    return ["-run-with", f"user={user}"]


def command(qemu: Qemu, accel: Accel, *, name: str, kernel: Path, initramfs: Path | None,
            append: str, rootfs: Path, modules_disk: Path | None, cpus: int, memory_mb: int,
            ssh_port: int, mgmt_mac: str, qmp_socket: Path, nics: list[TestNic]) -> list[str]:
    argv = [str(qemu.binary), "-name", name, *qemu.firmware_args(), *qemu.sandbox_args(),
            *privilege_args(),
            "-machine", "q35",
            *accel.args, "-smp", str(cpus), "-m", str(memory_mb), "-nodefaults",
            "-display", "none", "-no-reboot", "-serial", "stdio",
            "-qmp", f"unix:{qmp_socket},server=on,wait=off",
            "-kernel", str(kernel), "-append", append,
            "-drive", f"file={rootfs},if=none,id=root,format=raw,snapshot=on",
            "-device", "virtio-blk-pci,drive=root"]
    if initramfs is not None:
        argv += ["-initrd", str(initramfs)]
    if modules_disk is not None:
        argv += ["-drive", f"file={modules_disk},if=none,id=mods,format=raw,readonly=on",
                 "-device", "virtio-blk-pci,drive=mods"]
    # restrict=on: the kernel under test is untrusted; the guest reaches nothing on the
    # host or beyond it, only the SSH forward reaches the guest
    argv += ["-netdev", f"user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:{ssh_port}-:22",
             "-device", f"virtio-net-pci,netdev=mgmt,mac={mgmt_mac}"]
    for nic in nics:
        argv += nic_args(nic)
    return argv
