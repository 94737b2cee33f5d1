# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints kernel fetch SPEC``: download and unpack a Debian kernel into the cache;
``xdp-hints kernel build [SOURCE]``: build one from source (patches, config fragments)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.artifacts import initramfs, kernel_build, kernels
from harness.artifacts.kernel_source import SourceError, parse
from harness.errors import UsageError
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
    b = ksub.add_parser(
        "build", help="build a guest kernel from a tree or Debian's source (+ patches)",
        description="Build a kernel the harness boots like a Debian one: SOURCE is a kernel "
                    "tree (git or plain; default .) or debian:SUITE-source. Patches are applied "
                    "in order to a work tree of our own (never to SOURCE); the config is lean "
                    "(tinyconfig + kvm_guest.config + kconfigs/lean-guest.config + "
                    "kconfigs/xdp-hints.config + kconfigs/build.config + your fragments), and "
                    "every option asked for is checked in the final .config. The O= build "
                    "directory is kept per source history (incremental rebuilds), ccache is "
                    "used. Cached by source identity, patches and the final .config.",
        epilog="exit codes: 0 built (or cached), 2 bad source/patch/config or compile error "
               "(the error lines and the log path are printed)")
    b.add_argument("source", nargs="?", default=".", metavar="SOURCE",
                   help="a kernel tree (PATH or tree:PATH; default .) or debian:SUITE-source")
    b.add_argument("--patch", type=Path, action="append", default=[], metavar="FILE",
                   help="a patch (mbox or diff), applied in order; repeatable")
    b.add_argument("--config", type=Path, action="append", default=[], metavar="FRAGMENT",
                   help="a config fragment merged last; every option in it is checked")
    b.add_argument("-j", "--jobs", type=int, metavar="N", help="make -j (default: cores)")
    b.add_argument("--json", action="store_true", help="print the result as JSON")
    b.set_defaults(func=run_build)


def run_fetch(args: argparse.Namespace) -> int:
    emit = renderer()
    k = kernels.resolve(args.spec, emit=emit)
    boot = initramfs.ensure(k, emit=emit)
    info = {"spec": k.spec, "release": k.release, "image": str(k.image),
            "modules": str(k.modules), "initramfs": str(boot.initramfs),
            "modules_disk": str(boot.modules_disk)}
    print(json.dumps(info, indent=2) if args.json else f"{k.release}  {k.image}")
    return 0


def run_build(args: argparse.Namespace) -> int:
    try:
        parse(args.source)
    except SourceError as e:
        raise UsageError(str(e)) from e
    req = kernel_build.BuildRequest(args.source, tuple(args.patch), tuple(args.config), args.jobs)
    req.check()
    emit = renderer()
    res = kernel_build.build(req, emit=emit)
    k = res.kernel
    boot = initramfs.ensure(k, emit=emit)
    info = {"spec": k.spec, "release": k.release, "image": str(k.image),
            "modules": str(k.modules), "config": str(k.config), "cached": res.cached,
            "log": str(res.log) if res.log else None, "seconds": round(res.seconds, 1),
            "stages": res.stages, "compiled": res.compiled,
            "initramfs": str(boot.initramfs), "modules_disk": str(boot.modules_disk)}
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        how = "cached" if res.cached else f"built in {res.seconds:.0f} s"
        print(f"{k.release}  {k.image}  ({how}; log {res.log})")
    return 0
