# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints image build``: build (or find) the guest rootfs image."""

from __future__ import annotations

import argparse
import json

from harness.artifacts import rootfs
from harness.progress import renderer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("image", help="guest rootfs image")
    isub = p.add_subparsers(dest="image_cmd", metavar="ACTION", required=True)
    b = isub.add_parser("build", help="build the rootfs image if its recipe changed",
                        description="Debian trixie minbase + the packages in "
                                    "images/rootfs/packages, our init; cached by recipe.")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    r = rootfs.ensure(emit=renderer())
    info = {"image": str(r.image), "manifest": str(r.manifest)}
    print(json.dumps(info, indent=2) if args.json else r.image)
    return 0
