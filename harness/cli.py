# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints``: one CLI, a subcommand per module in ``harness.commands``.

Exit codes: 0 all passed, 1 test failures, 2 usage/infrastructure error,
3 guest kernel crashed.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from harness import commands
from harness.errors import EXIT_INFRA, exit_code_for


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xdp-hints",
        description="Boot kernels in QEMU with emulated NICs and check XDP RX metadata.",
        epilog="exit codes: 0 all passed, 1 test failures, 2 usage/infrastructure error, "
               "3 guest kernel crashed")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("xdp-hints: interrupted; everything started was torn down", file=sys.stderr)
        return EXIT_INFRA
    except Exception as e:  # noqa: BLE001 - turned into an exit code with one clear message
        code = exit_code_for(e)
        if code is None:
            raise
        print(f"xdp-hints: {e}", file=sys.stderr)
        for line in getattr(e, "detail", []):
            print(f"  | {line}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
