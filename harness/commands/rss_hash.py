# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints rss-hash``: print the Toeplitz RSS hash of a 2- or 4-tuple."""

from __future__ import annotations

import argparse
import json
import sys

from harness.traffic.toeplitz import MS_RSS_KEY, parse_key, rss_hash, rss_input


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``rss-hash`` subcommand."""
    p = subparsers.add_parser(
        "rss-hash",
        help="compute the Toeplitz RSS hash of an IPv4/IPv6 2-tuple or 4-tuple",
        description="Print the Toeplitz hash as 0x%08x. Key: '6d:5a:...' or plain hex "
        "(default: Microsoft's key).",
    )
    p.add_argument("--key", default=None, help="RSS key (default: Microsoft's 40-byte key)")
    p.add_argument("--src", required=True, help="source IPv4/IPv6 address")
    p.add_argument("--dst", required=True, help="destination IPv4/IPv6 address")
    p.add_argument("--sport", default=None, help="source port (4-tuple; needs --dport)")
    p.add_argument("--dport", default=None, help="destination port (4-tuple; needs --sport)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=handler)


def _port(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    try:
        value = int(text, 0)
    except ValueError:
        raise ValueError(f"{name}: not a number: {text!r}") from None
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{name}: out of range 0..65535: {value}")
    return value


def handler(args: argparse.Namespace) -> int:
    """Compute and print the hash; exit 2 with one line on bad input."""
    try:
        key = MS_RSS_KEY if args.key is None else parse_key(args.key)
        sport = _port(args.sport, "--sport")
        dport = _port(args.dport, "--dport")
        data = rss_input(args.src, args.dst, sport, dport)
        value = rss_hash(args.src, args.dst, sport, dport, key=key)
    except ValueError as exc:
        print(f"xdp-hints rss-hash: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "hash": f"0x{value:08x}",
                    "hash_int": value,
                    "tuple": 4 if sport is not None else 2,
                    "input": data.hex(),
                    "key": key.hex(),
                }
            )
        )
    else:
        print(f"0x{value:08x}")
    return 0
