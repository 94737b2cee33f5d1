# SPDX-License-Identifier: GPL-2.0-or-later
"""Command-line options shared by every subcommand that boots a VM, and the one place
that turns them into a :class:`~harness.vm.VMSpec` (NICs and guest modules included)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from harness import nics
from harness.artifacts.kernels import DEFAULT_KERNEL
from harness.errors import UsageError
from harness.vm import netns, userns
from harness.vm.machine import NicSpec, VMSpec

BACKENDS = ("auto", "tap", "socket")


def resolve_backend(asked: str) -> tuple[str, str]:
    """(backend, why) for ``--backend``: ``auto`` is tap unless taps cannot be made (not
    root and no user namespace) or the host's rtnl is wedged (then the unix-socket
    backend, which needs neither)."""
    if asked != "auto":
        return asked, "asked for"
    if os.geteuid() != 0:
        why = userns.unavailable()
        return ("socket", f"not root, and {why}") if why else ("tap", "in a user namespace")
    why = netns.rtnl_wedged()
    if why:
        return "socket", f"taps unusable: {why}"
    return "tap", "default"


def csv_of(choices: Sequence[str], what: str,
           all_word: bool = False) -> Callable[[str], list[str]]:
    """An argparse type: a comma-separated list, each item one of ``choices``
    (``all_word``: ``all`` alone is every choice, as a matrix TOML's ``"all"``)."""
    def parse(text: str) -> list[str]:
        if all_word and text.strip() == "all":
            return list(choices)
        items = [t.strip() for t in text.split(",") if t.strip()]
        bad = [t for t in items if t not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(map(repr, bad)) or '(empty)'} "
                f"(choose from {', '.join(choices)})")
        return items
    return parse


def check_kernel_args(kernel: str | None, patches: Sequence[Path]) -> None:
    """Usage errors in the kernel options, before any build or boot."""
    from harness.artifacts.kernel_source import SourceError, is_build_spec, parse
    if kernel and kernel.startswith("tree:"):
        try:
            parse(kernel)
        except SourceError as e:
            raise UsageError(str(e)) from e
    if patches and not is_build_spec(kernel):
        raise UsageError("--patch needs a kernel built from source: --kernel tree:PATH or "
                         "debian:SUITE-source")
    for p in patches:
        if not p.is_file():
            raise UsageError(f"patch not found: {p}")


def add_vm_args(p: argparse.ArgumentParser, nic_kinds: Sequence[str] | None = None,
                nic_help: str = "") -> None:
    """The VM options; ``--nic/--queues/--backend`` when ``nic_kinds`` is given
    (``nic_help`` says what the default is)."""
    g = p.add_argument_group("VM")
    g.add_argument("--kernel", metavar="SPEC", default=DEFAULT_KERNEL,
                   help="debian:sid|trixie|experimental|<version>, a bzImage/vmlinux path, "
                        "or a source to build: tree:PATH, debian:SUITE-source "
                        f"(default {DEFAULT_KERNEL})")
    g.add_argument("--patch", type=Path, action="append", default=[], metavar="FILE",
                   help="with a source spec: a patch (mbox or diff) applied before the build; "
                        "repeatable, applied in order")
    g.add_argument("--modules", metavar="DIR",
                   help="with --kernel PATH: a `make modules_install INSTALL_MOD_PATH=DIR` tree")
    if nic_kinds is not None:
        g.add_argument("--nic", type=csv_of(nic_kinds, "NIC"), metavar="KIND[,KIND]",
                       help=f"test NICs ({', '.join(nic_kinds)}){nic_help}")
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


MIN_MEMORY_MB = 256  # the guest (Debian kernel, initramfs, sshd, BPF runner) needs it


def check_vm_args(args: argparse.Namespace, test_nics: bool = False) -> None:
    """Every VM number and path, checked before anything is built or booted."""
    for what, value in (("--cpus", args.cpus), ("--queues", getattr(args, "queues", 1))):
        if value < 1:
            raise UsageError(f"{what} must be at least 1 (got {value})")
    if args.memory < MIN_MEMORY_MB:
        raise UsageError(f"--memory {args.memory}: the guest needs at least {MIN_MEMORY_MB} MB "
                         "(kernel, initramfs, sshd and the BPF runner)")
    if args.boot_timeout is not None and args.boot_timeout <= 0:
        raise UsageError(f"--boot-timeout must be more than 0 seconds (got {args.boot_timeout})")
    queues = getattr(args, "queues", 1)
    if test_nics and queues > args.cpus:
        raise UsageError(f"--queues {queues} is more than --cpus {args.cpus}: the driver then "
                         "uses queues the RSS table does not predict (give --cpus "
                         f"{queues}, or fewer queues)")
    if args.log_dir is not None:
        d = args.log_dir
        if d.exists() and not d.is_dir():
            raise UsageError(f"--log-dir {d}: exists and is not a directory")
        parent = next((p for p in [d, *d.parents] if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK):
            raise UsageError(f"--log-dir {d}: cannot be created ({parent} is not a writable "
                             "directory)")
    if args.qemu is not None and not os.access(args.qemu, os.X_OK):
        raise UsageError(f"--qemu {args.qemu}: not an executable file")


def spec_from_args(args: argparse.Namespace, kinds: Sequence[str] | None = None,
                   extra_modules: Sequence[str] = ()) -> VMSpec:
    """The whole VM spec: a QEMU device per NIC kind that is one (in-guest kinds such as
    veth get none), their guest modules plus ``extra_modules``, the backend resolved.

    ``kinds`` defaults to ``--nic``; tap backends need root or a user namespace (checked
    here, before a boot).
    """
    check_kernel_args(args.kernel, getattr(args, "patch", []))
    kinds = list(kinds if kinds is not None else (getattr(args, "nic", None) or []))
    devices = [k for k in kinds if nics.get(k).qemu_device]
    check_vm_args(args, test_nics=bool(devices))
    backend = "tap"
    if devices:
        backend, _why = resolve_backend(args.backend)
        if backend == "tap":
            netns.require_taps()
    modules = [nics.get(k).module for k in kinds] + list(extra_modules) if kinds else []
    return VMSpec(kernel=args.kernel, modules=args.modules, patches=list(args.patch),
                  nics=[NicSpec(kind=k, queues=args.queues, backend=backend) for k in devices],
                  cpus=args.cpus, memory_mb=args.memory, append=args.append,
                  guest_modules=modules, boot_timeout_s=args.boot_timeout,
                  log_dir=args.log_dir, qemu=args.qemu)
