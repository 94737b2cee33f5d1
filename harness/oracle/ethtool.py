# SPDX-License-Identifier: GPL-2.0-or-later
"""Parsers of ``ethtool`` output read in the guest (features, rx-flow-hash fields,
RSS key and indirection table, driver name)."""

from __future__ import annotations

import re

from harness.oracle.uapi import IP_DST, IP_SRC, L4_0_1, L4_2_3

_ETHTOOL_FIELDS = (
    ("ip sa", IP_SRC),
    ("ip da", IP_DST),
    ("l4 bytes 0 & 1", L4_0_1),
    ("l4 bytes 2 & 3", L4_2_3),
    ("l2da", "l2da"),
    ("vlan tag", "vlan"),
    ("l3 proto", "l3_proto"),
)


def parse_ethtool_features(text: str) -> dict[str, bool]:
    """``ethtool -k <if>`` -> {feature: on}, e.g. ``rx-vlan-offload``, ``receive-hashing``."""
    out: dict[str, bool] = {}
    for line in text.splitlines():
        m = re.match(r"\s*([a-z0-9-]+):\s+(on|off)\b", line)
        if m:
            out[m.group(1)] = m.group(2) == "on"
    return out


def parse_rx_flow_hash(text: str) -> frozenset[str]:
    """Fields from ``ethtool -n <if> rx-flow-hash udp4`` output."""
    out: set[str] = set()
    for line in text.lower().splitlines():
        line = re.sub(r"\s+", " ", line.strip())
        for label, name in _ETHTOOL_FIELDS:
            if line.startswith(label):
                out.add(name)
    return frozenset(out)


#: ethtool's RXH_* bits (include/uapi/linux/ethtool.h) by the names parse_rx_flow_hash gives
_RXH_BITS = ((0x2, "l2da"), (0x4, "vlan"), (0x8, "l3_proto"), (0x10, IP_SRC), (0x20, IP_DST),
             (0x40, L4_0_1), (0x80, L4_2_3))


def parse_rxfh(text: str) -> dict[str, frozenset[str]]:
    """``xh-tools rxfh IF FLOW...`` lines (``FLOW 0 0xBITS`` or ``FLOW -ERRNO``) ->
    {flow type: fields}, the flows the driver answered with at least one field (as
    parse_rx_flow_hash reads ``ethtool -n IF rx-flow-hash FLOW``)."""
    out: dict[str, frozenset[str]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3 or parts[1] != "0":
            continue
        try:
            bits = int(parts[2], 16)
        except ValueError:
            continue
        got = frozenset(name for bit, name in _RXH_BITS if bits & bit)
        if got:
            out[parts[0]] = got
    return out


def parse_ethtool_rss_key(text: str) -> bytes:
    """The key from ``ethtool -x <if>`` (the lines after ``RSS hash key:``)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().lower().startswith("rss hash key"):
            hexpart = "".join(
                ln.strip()
                for ln in lines[i + 1 :]
                if re.fullmatch(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*", ln.strip())
            )
            if hexpart:
                return bytes.fromhex(hexpart.replace(":", ""))
    raise ValueError("no 'RSS hash key:' block in ethtool -x output")


def parse_ethtool_indir(text: str) -> tuple[int, ...]:
    """The indirection table from ``ethtool -x <if>`` (rows like ``  8:  0  1  0  1``)."""
    table: list[int] = []
    for line in text.splitlines():
        m = re.fullmatch(r"\s*(\d+):((?:\s+\d+)+)\s*", line)
        if m and int(m.group(1)) == len(table):
            table += [int(v) for v in m.group(2).split()]
    if not table:
        raise ValueError("no indirection table in ethtool -x output")
    return tuple(table)


def parse_ethtool_driver(text: str) -> str:
    """``driver: virtio_net`` line of ``ethtool -i <if>``."""
    m = re.search(r"^driver:\s*(\S+)", text, re.MULTILINE)
    if not m:
        raise ValueError("no 'driver:' line in ethtool -i output")
    return m.group(1)
