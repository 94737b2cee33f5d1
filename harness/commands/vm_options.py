# SPDX-License-Identifier: GPL-2.0-or-later
"""Command-line options shared by every subcommand that boots a VM."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from harness.artifacts.kernels import DEFAULT_KERNEL
from harness.errors import UsageError
from harness.vm import netns
from harness.vm.machine import NicSpec, VMSpec

NIC_KINDS = ("virtio-net", "igc")
BACKENDS = ("auto", "tap", "socket")


def resolve_backend(asked: str) -> tuple[str, str]:
    """(backend, why) for ``--backend``: ``auto`` is tap unless not root or the host's
    rtnl is wedged (then the unix-socket backend, which needs neither)."""
    if asked != "auto":
        return asked, "asked for"
    if os.geteuid() != 0:
        return "socket", "not root: taps need root"
    why = netns.rtnl_wedged()
    if why:
        return "socket", f"taps unusable: {why}"
    return "tap", "default"


def nic_list(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    for k in kinds:
        if k not in NIC_KINDS:
            raise argparse.ArgumentTypeError(
                f"unknown NIC {k!r} (choose from {', '.join(NIC_KINDS)})")
    return kinds


def add_vm_args(p: argparse.ArgumentParser, nics: bool = True) -> None:
    g = p.add_argument_group("VM")
    g.add_argument("--kernel", metavar="SPEC", default=DEFAULT_KERNEL,
                   help="debian:sid|trixie|experimental|<version>, or a bzImage/vmlinux path "
                        f"(default {DEFAULT_KERNEL})")
    g.add_argument("--modules", metavar="DIR",
                   help="with --kernel PATH: a `make modules_install INSTALL_MOD_PATH=DIR` tree")
    if nics:
        g.add_argument("--nic", type=nic_list, default=[], metavar="KIND[,KIND]",
                       help=f"test NICs to add ({', '.join(NIC_KINDS)})")
        g.add_argument("--queues", type=int, default=2, help="queue pairs per test NIC")
        g.add_argument("--backend", choices=BACKENDS, default="auto",
                       help="test NIC backend: tap (vnet header, needed for virtio-net hash "
                            "reports; root), socket (unix datagrams; no root), auto (tap "
                            "where usable)")
    g.add_argument("--cpus", type=int, default=2)
    g.add_argument("--memory", type=int, default=2048, metavar="MB")
    g.add_argument("--append", default="", metavar="ARGS", help="extra kernel command line")
    g.add_argument("--boot-timeout", type=float, metavar="S",
                   help="seconds from QEMU start to SSH (default scaled: 60 KVM, 240 TCG)")
    g.add_argument("--log-dir", type=Path, metavar="DIR",
                   help="where the serial console log is saved")
    g.add_argument("--qemu", type=Path, metavar="BINARY", help="QEMU binary to use")


def spec_from_args(args: argparse.Namespace) -> VMSpec:
    for what, value in (("--cpus", args.cpus), ("--memory", args.memory),
                        ("--queues", getattr(args, "queues", 1))):
        if value < 1:
            raise UsageError(f"{what} must be at least 1")
    backend = "tap"
    if getattr(args, "nic", None):
        backend, _why = resolve_backend(args.backend)
    return VMSpec(kernel=args.kernel, modules=args.modules,
                  nics=[NicSpec(kind=k, queues=args.queues, backend=backend)
                        for k in getattr(args, "nic", [])],
                  cpus=args.cpus, memory_mb=args.memory, append=args.append,
                  boot_timeout_s=args.boot_timeout, log_dir=args.log_dir, qemu=args.qemu)
