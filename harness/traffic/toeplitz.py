# SPDX-License-Identifier: GPL-2.0-or-later
"""Toeplitz RSS hash as NICs compute it (Microsoft RSS specification).

The hash input is the concatenation, in network byte order, of source
address, destination address and, for the 4-tuple, source port and
destination port.  The key is any byte string at least 4 bytes longer
than the input (40 bytes covers the IPv6 4-tuple, 36 bytes).
"""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Microsoft's default / verification RSS key (also the key many drivers use).
MS_RSS_KEY = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa"
)


def toeplitz_hash(key: bytes, data: bytes) -> int:
    """Return the 32-bit Toeplitz hash of ``data`` under ``key``.

    For each input bit set (MSB of the first byte first) the 32 key bits
    starting at that bit position are XORed into the result.
    """
    if len(key) < len(data) + 4:
        raise ValueError(f"key of {len(key)} bytes too short for {len(data)} bytes of input")
    nbits = len(key) * 8
    k = int.from_bytes(key, "big")
    result = 0
    for i, byte in enumerate(data):
        if not byte:
            continue
        for b in range(8):
            if byte & (0x80 >> b):
                pos = i * 8 + b
                result ^= (k >> (nbits - 32 - pos)) & 0xFFFFFFFF
    return result


def _addr(value: str | IPAddress) -> IPAddress:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    return ipaddress.ip_address(value)


def rss_input(
    src: str | IPAddress,
    dst: str | IPAddress,
    sport: int | None = None,
    dport: int | None = None,
) -> bytes:
    """Hash input for the 2-tuple (no ports) or 4-tuple (both ports)."""
    s, d = _addr(src), _addr(dst)
    if s.version != d.version:
        raise ValueError(f"address families differ: {s} vs {d}")
    data = s.packed + d.packed
    if (sport is None) != (dport is None):
        raise ValueError("give both ports or neither")
    if sport is not None and dport is not None:
        for p in (sport, dport):
            if not 0 <= p <= 0xFFFF:
                raise ValueError(f"port out of range: {p}")
        data += sport.to_bytes(2, "big") + dport.to_bytes(2, "big")
    return data


def rss_hash(
    src: str | IPAddress,
    dst: str | IPAddress,
    sport: int | None = None,
    dport: int | None = None,
    key: bytes = MS_RSS_KEY,
) -> int:
    """Toeplitz hash of the IPv4/IPv6 2-tuple or 4-tuple under ``key``."""
    return toeplitz_hash(key, rss_input(src, dst, sport, dport))


def parse_key(text: str) -> bytes:
    """Parse a key written as ``6d:5a:...`` (ethtool -x style) or plain hex."""
    t = text.strip().lower()
    if t.startswith("0x"):
        t = t[2:]
    t = re.sub(r"[\s:\-]", "", t)
    if not t or len(t) % 2 or not re.fullmatch(r"[0-9a-f]+", t):
        raise ValueError(f"not a hex key: {text!r}")
    return bytes.fromhex(t)
