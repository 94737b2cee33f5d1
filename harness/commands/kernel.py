# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints kernel fetch SPEC``: download and unpack a Debian kernel into the cache."""

from __future__ import annotations

import argparse
import json

from harness.artifacts import initramfs, kernels
from harness.progress import renderer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kernel", help="guest kernels")
    ksub = p.add_subparsers(dest="kernel_cmd", metavar="ACTION", required=True)
    f = ksub.add_parser("fetch", help="fetch a Debian kernel (and build its boot files)",
                        description="Resolve debian:<suite|version> through linux-image-amd64, "
                                    "download kernel + modules, unpack, depmod, and build the "
                                    "initramfs and modules disk. Cached by package versions.")
    f.add_argument("spec", nargs="?", default=kernels.DEFAULT_KERNEL,
                   help="debian:sid|trixie|experimental|<version> "
                        f"(default {kernels.DEFAULT_KERNEL})")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=run_fetch)


def run_fetch(args: argparse.Namespace) -> int:
    emit = renderer()
    k = kernels.resolve(args.spec, emit=emit)
    boot = initramfs.ensure(k, emit=emit)
    info = {"spec": k.spec, "release": k.release, "image": str(k.image),
            "modules": str(k.modules), "initramfs": str(boot.initramfs),
            "modules_disk": str(boot.modules_disk)}
    print(json.dumps(info, indent=2) if args.json else f"{k.release}  {k.image}")
    return 0
