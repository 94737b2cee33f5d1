# SPDX-License-Identifier: GPL-2.0-or-later
"""redirect-store mode: the values harness.oracle.store expects are the ones
guest-bpf/xh_store.h makes the XDP program store."""

from __future__ import annotations

import re
from dataclasses import replace
from ipaddress import ip_address
from pathlib import Path

import pytest

from harness.oracle import store, uapi
from harness.traffic.packets import make_plan

SRC = Path(__file__).resolve().parents[2] / "guest-bpf"


def c_define(header: str, name: str) -> int:
    """The value of ``#define name EXPR`` for an integer EXPR of literals, shifts and ors."""
    m = re.search(rf"^#define\s+{name}\s+(.+?)\s*(?:/\*.*)?$", header, re.M)
    assert m, f"#define {name} not found"
    expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)U?L{0,2}\b", r"\1", m.group(1))
    assert re.fullmatch(r"[0-9a-fA-Fx()|<< ]+", expr), expr
    return int(eval(expr))  # noqa: S307 - literals and operators only (checked above)


HEADER = (SRC / "xh_store.h").read_text()


def test_stored_values_match_the_header() -> None:
    assert (c_define(HEADER, "XH_STORE_VLAN_PROTO"), c_define(HEADER, "XH_STORE_VLAN_TCI")) \
        == store.STORE_VLAN
    assert c_define(HEADER, "XH_STORE_TS_BASE") == store.STORE_TS_BASE
    assert c_define(HEADER, "XH_FNV_OFFSET") == store.fnv1a32(b"")
    assert store.fnv1a32(b"a") == 0xE40C292C  # the FNV-1a 32-bit test vector
    for c_name, value in (("XH_RSS_L3_IPV4", uapi.XDP_RSS_L3_IPV4),
                          ("XH_RSS_L3_IPV6", uapi.XDP_RSS_L3_IPV6),
                          ("XH_RSS_L4", uapi.XDP_RSS_L4), ("XH_RSS_L4_TCP", uapi.XDP_RSS_L4_TCP),
                          ("XH_RSS_L4_UDP", uapi.XDP_RSS_L4_UDP)):
        assert c_define(HEADER, c_name) == value, c_name


def test_store_flag_is_a_bit_of_its_own() -> None:
    """XH_CFG_STORE shares xh_cfg.flags with the other modes' bits."""
    bits = {}
    for h in SRC.glob("*.h"):
        for name, _ in re.findall(r"^#define\s+(XH_CFG_\w+)\s+(\(1U << \d+\))", h.read_text(),
                                  re.M):
            bits[name] = c_define(h.read_text(), name)
    assert "XH_CFG_STORE" in bits
    assert len(set(bits.values())) == len(bits), bits


def test_stored_tag_is_none_the_plan_sends() -> None:
    """The stored tag cannot be mistaken for a frame's own: TPID 802.1ad with a VID the
    plan never uses, and PCP and DEI set (a TCI masked to the VID or the PCP differs)."""
    proto, tci = store.STORE_VLAN
    assert proto == 0x88A8 and tci >> 13 == 5 and tci & 0x1000 and tci & 0xFFF == 0x123
    plan = make_plan(48, "52:54:00:00:00:01")
    assert all(t & 0xFFF != tci & 0xFFF for p in plan for _, t in p.vlans)


def test_store_hash_is_fnv1a_over_the_flow() -> None:
    """The bytes of xh_store_flow(): saddr, daddr, sport, dport, L4 protocol."""
    p = make_plan(48, "52:54:00:00:00:01")[0]
    p4 = replace(p, src_ip="198.18.0.7", dst_ip="192.0.2.1", sport=0x1234, dport=0x5678,
                 l3="ipv4", l4="tcp")
    key = bytes([198, 18, 0, 7, 192, 0, 2, 1, 0x12, 0x34, 0x56, 0x78, 6])
    assert store.store_hash(p4) == store.fnv1a32(key)
    p6 = replace(p4, src_ip="2001:db8:1::7", dst_ip="2001:db8::1", l3="ipv6", l4="udp")
    key6 = (ip_address("2001:db8:1::7").packed + ip_address("2001:db8::1").packed
            + bytes([0x12, 0x34, 0x56, 0x78, 17]))
    assert store.store_hash(p6) == store.fnv1a32(key6)
    assert store.store_hash(p4) != store.store_hash(replace(p4, sport=0x1235))


@pytest.mark.parametrize("l3,l4,rss", [("ipv4", "tcp", 0x19), ("ipv4", "udp", 0x29),
                                       ("ipv6", "tcp", 0x1A), ("ipv6", "udp", 0x2A)])
def test_rss_type_and_stamp(l3: str, l4: str, rss: int) -> None:
    p = replace(make_plan(48, "52:54:00:00:00:01")[5], l3=l3, l4=l4)
    assert store.store_rss_type(p) == rss
    assert store.store_ts(p) == store.STORE_TS_BASE + p.id
