# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the QEMU command line for one VM (q35, direct kernel boot)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.vm.accel import Accel

FIRMWARE_DIRS = ("/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu")
MIN_SYSTEM_QEMU = (10, 0)


class QemuError(RuntimeError):
    """No suitable QEMU binary."""


@dataclass(frozen=True)
class Qemu:
    binary: Path
    own_build: bool     # our build (with igc): needs the distribution firmware via -L

    def firmware_args(self) -> list[str]:
        if not self.own_build:
            return []
        return [arg for d in FIRMWARE_DIRS if Path(d).is_dir() for arg in ("-L", d)]

    def has_device(self, name: str) -> bool:
        return name in _devices(self.binary)


@functools.cache
def _devices(binary: Path) -> frozenset[str]:
    p = subprocess.run([str(binary), "-device", "help"], capture_output=True, text=True,
                       timeout=30)
    return frozenset(re.findall(r'name "([^"]+)"', p.stdout))


def _own_build() -> Path | None:
    try:
        from harness.artifacts import qemu_build
    except ImportError:
        return None
    return qemu_build.find_qemu()


def find(need_igc: bool = False, override: Path | None = None) -> Qemu:
    """Our QEMU build if present, else the system's (>= 10.0); igc needs ours."""
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
    if need_igc and not q.has_device("igc"):
        raise QemuError(f"{q.binary} has no igc device: build ours with `make qemu` "
                        "(or `xdp-hints qemu build`)")
    return q


@dataclass
class NicArgs:
    """One test NIC as QEMU sees it."""

    kind: str
    netdev_id: str
    qdev_id: str
    tap: str
    mac: str
    queues: int
    backend: str = "tap"            # "tap" or "socket" (unix datagram, one frame each)
    qemu_sock: Path | None = None   # socket backend: QEMU's end
    host_sock: Path | None = None   # socket backend: the harness's end

    def args(self) -> list[str]:
        if self.backend == "socket":
            netdev = (f"dgram,id={self.netdev_id},local.type=unix,local.path={self.qemu_sock},"
                      f"remote.type=unix,remote.path={self.host_sock}")
        else:
            netdev = (f"tap,id={self.netdev_id},ifname={self.tap},script=no,downscript=no,"
                      f"vhost=off,queues={self.queues}")
        if self.kind == "virtio-net":
            # rss/hash: hash reports (with a vnet-header backend); iommu_platform +
            # modern-only: AF_XDP zero-copy; ctrl_vlan=off: no VLAN filter dropping
            # tagged test frames for VIDs the guest never registered; speed/duplex: a
            # link speed the guest reports (VIRTIO_NET_F_SPEED_DUPLEX) instead of -1.
            dev = (f"virtio-net-pci,netdev={self.netdev_id},id={self.qdev_id},mac={self.mac},"
                   f"mq=on,vectors={2 * self.queues + 2},rss=on,hash=on,"
                   "iommu_platform=on,disable-legacy=on,ctrl_vlan=off,speed=10000,duplex=full")
        elif self.kind == "igc":
            # Behind a PCIe root port the driver sees a real link (x1 2.5 GT/s).
            port = f"rp{self.qdev_id}"
            dev = f"igc,netdev={self.netdev_id},id={self.qdev_id},mac={self.mac},bus={port}"
            return ["-device", f"pcie-root-port,id={port},chassis={self.chassis}",
                    "-netdev", netdev, "-device", dev]
        else:
            raise QemuError(f"unknown NIC kind {self.kind!r} (virtio-net, igc)")
        return ["-netdev", netdev, "-device", dev]

    @property
    def chassis(self) -> int:
        return 10 + int(self.netdev_id.removeprefix("tn") or 0)


def command(qemu: Qemu, accel: Accel, *, name: str, kernel: Path, initramfs: Path | None,
            append: str, rootfs: Path, modules_disk: Path | None, cpus: int, memory_mb: int,
            ssh_port: int, mgmt_mac: str, qmp_socket: Path, nics: list[NicArgs]) -> list[str]:
    argv = [str(qemu.binary), "-name", name, *qemu.firmware_args(), "-machine", "q35",
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
    argv += ["-netdev", f"user,id=mgmt,hostfwd=tcp:127.0.0.1:{ssh_port}-:22",
             "-device", f"virtio-net-pci,netdev=mgmt,mac={mgmt_mac}"]
    for nic in nics:
        argv += nic.args()
    return argv
