# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints bpf build``: build (or find) the guest BPF object and runner."""

from __future__ import annotations

import argparse
import json

from harness.artifacts import bpf_build


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bpf", help="guest BPF programs and runner")
    bsub = p.add_subparsers(dest="bpf_cmd", metavar="ACTION", required=True)
    b = bsub.add_parser("build", help="build the guest BPF object and runner if their "
                                      "sources changed, print their paths",
                        description="clang -target bpf + gcc on the host, flags from "
                                    "guest-bpf/flags.mk; cached by sources, flags and tools.")
    b.add_argument("--force", action="store_true", help="rebuild even if cached")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    art = bpf_build.build(force=args.force)
    if args.json:
        print(json.dumps({"key": art.key, "files": [str(f) for f in art.files()]}, indent=2))
    else:
        print("\n".join(str(f) for f in art.files()))
    return 0
