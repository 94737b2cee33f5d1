# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints qemu build|path``: the QEMU build that carries our igc device."""

from __future__ import annotations

import argparse
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``qemu`` subcommand group."""
    p = subparsers.add_parser(
        "qemu",
        help="build QEMU with the emulated igc NIC, or print the cached binary",
        description="QEMU 10.0 from Debian's source package plus our igc device, "
        "cached under the cache dir by recipe hash.",
    )
    sub = p.add_subparsers(dest="qemu_cmd", required=True)
    b = sub.add_parser("build", help="build (or reuse) QEMU with igc; prints the binary path")
    b.add_argument("--quiet", action="store_true", help="no progress output")
    b.set_defaults(func=_build)
    pp = sub.add_parser("path", help="print the cached binary (exit 2 if not built)")
    pp.add_argument("--firmware-args", action="store_true",
                    help="also print the -L options the binary needs")
    pp.set_defaults(func=_path)


def _build(args: argparse.Namespace) -> int:
    from harness.artifacts.qemu_build import build
    from harness.progress import BuildStep, renderer

    t0 = time.monotonic()
    emit = renderer(show=False if args.quiet else None)  # quiet in CI logs, live on a terminal
    path = build(emit=emit)
    emit(BuildStep("qemu", f"ready in {time.monotonic() - t0:.1f} s"))
    print(path)
    return 0


def _path(args: argparse.Namespace) -> int:
    from harness.artifacts.qemu_build import find_qemu, firmware_args, key

    path = find_qemu()
    if path is None:
        print(f"no QEMU build for recipe {key()}; run: xdp-hints qemu build", file=sys.stderr)
        return 2
    print(path)
    if args.firmware_args:
        print(" ".join(firmware_args()))
    return 0
