# SPDX-License-Identifier: GPL-2.0-or-later
"""CLI subcommands: each module here exposes ``register(subparsers)``.

``harness.cli`` discovers every module in this package, so adding a
subcommand never touches another module.
"""
