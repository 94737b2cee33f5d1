# SPDX-License-Identifier: GPL-2.0-or-later
"""Frame builder: layout, checksums, VLAN stacks, payload id, plan determinism."""

from __future__ import annotations

import json
import struct

import pytest

from harness.traffic import packets as pk
from harness.traffic import parse
from harness.traffic.toeplitz import rss_hash

DST_MAC = "52:54:00:12:34:56"


def test_plan_round_trips_through_parser() -> None:
    plan = pk.make_plan(48, DST_MAC, seed=7)
    assert [p.id for p in plan] == list(range(1, 49))
    for p in plan:
        got = parse.parse_frame(p.frame)
        assert got.id == p.id
        assert got.flags == p.flags
        assert (got.src_ip, got.dst_ip, got.sport, got.dport) == (
            p.src_ip,
            p.dst_ip,
            p.sport,
            p.dport,
        )
        assert (got.l3, got.l4) == (p.l3, p.l4)
        assert got.vlans == p.vlans
        assert got.dst_mac == DST_MAC and got.src_mac == p.src_mac
        assert parse.checksums_ok(p.frame), p.kind
        assert len(p.frame) >= pk.MIN_FRAME


def test_default_kinds_all_present() -> None:
    plan = pk.make_plan(len(pk.DEFAULT_KINDS), DST_MAC)
    assert sorted(p.kind for p in plan) == sorted(pk.DEFAULT_KINDS)
    qinq = next(p for p in plan if p.kind == "ipv6-tcp-qinq")
    assert [t for t, _ in qinq.vlans] == [0x88A8, 0x8100]
    assert qinq.vlans[0][1] & 0xFFF in (10, 20)
    assert qinq.vlans[1][1] & 0xFFF in (100, 200)
    assert qinq.flags == pk.FLAG_IPV6 | pk.FLAG_TCP | (2 << pk.FLAG_VLAN_SHIFT)


def test_vlan_bytes_on_the_wire() -> None:
    p = pk.make_packet(
        5,
        src_mac="02:00:00:00:00:01",
        dst_mac=DST_MAC,
        src_ip="10.0.0.1",
        dst_ip="10.0.0.2",
        sport=1000,
        dport=2000,
        l4="udp",
        vlans=[(0x88A8, 0x2014), (0x8100, 0xA064)],
    )
    assert p.frame[12:22] == bytes.fromhex("88a8 2014 8100 a064 0800".replace(" ", ""))


def test_deterministic_and_seeded() -> None:
    a = pk.make_plan(20, DST_MAC, seed=1)
    b = pk.make_plan(20, DST_MAC, seed=1)
    c = pk.make_plan(20, DST_MAC, seed=2)
    assert [p.frame for p in a] == [p.frame for p in b]
    assert [p.frame for p in a] != [p.frame for p in c]


def test_many_flows_hit_both_queues() -> None:
    plan = pk.make_plan(32, DST_MAC, kinds=["ipv4-udp", "ipv6-tcp"], seed=3)
    assert len({(p.src_ip, p.sport, p.dport) for p in plan}) == 32
    low_bits = {rss_hash(p.src_ip, p.dst_ip, p.sport, p.dport) & 1 for p in plan}
    assert low_bits == {0, 1}


def test_known_ipv4_udp_header() -> None:
    p = pk.make_packet(
        0x01020304,
        src_mac="02:00:00:00:00:01",
        dst_mac=DST_MAC,
        src_ip="192.168.1.1",
        dst_ip="192.168.1.2",
        sport=0x1234,
        dport=0x5678,
        l4="udp",
        payload_len=16,
    )
    ip = p.frame[14:34]
    assert ip[0] == 0x45 and ip[9] == 17
    assert struct.unpack("!H", ip[2:4])[0] == 20 + 8 + 16
    assert struct.unpack("!H", ip[4:6])[0] == 0x0304  # ip id = low 16 bits of packet id
    # header checksum verifies to 0 with an independent fold
    words = struct.unpack("!10H", ip)
    total = sum(words)
    total = (total & 0xFFFF) + (total >> 16)
    assert total == 0xFFFF
    udp = p.frame[34:42]
    assert struct.unpack("!HHH", udp[:6]) == (0x1234, 0x5678, 24)
    payload = p.frame[42:58]
    assert payload[:8] == b"XDPHINT1"
    assert struct.unpack("<II", payload[8:16]) == (0x01020304, p.flags)


def test_tcp_header_fields() -> None:
    p = pk.make_plan(1, DST_MAC, kinds=["ipv6-tcp"])[0]
    tcp = p.frame[14 + 40 : 14 + 60]
    assert tcp[12] >> 4 == 5
    assert tcp[13] == pk.TCP_FLAGS_PSH_ACK
    assert p.frame[14] >> 4 == 6


@pytest.mark.parametrize("kind", pk.DEFAULT_KINDS)
def test_corruption_detected(kind: str) -> None:
    p = pk.make_plan(1, DST_MAC, kinds=[kind])[0]
    bad = bytearray(p.frame)
    parsed = parse.parse_frame(p.frame)
    bad[parsed.l4_offset + parsed.l4_length - 1] ^= 0x01  # last payload byte
    assert not parse.checksums_ok(bytes(bad))
    if p.l3 == "ipv4":
        bad = bytearray(p.frame)
        bad[parsed.l3_offset + 8] ^= 0x01  # TTL, covered by header checksum only
        assert not parse.checksums_ok(bytes(bad))


def test_udp_zero_checksum_becomes_ffff() -> None:
    # l4_checksum never returns 0 for UDP (0 means "no checksum")
    src = bytes(4)
    dst = bytes(4)
    # pick a segment whose sum is 0xffff -> checksum 0 -> must become 0xffff
    seg = struct.pack("!HHHH", 0xFFFF - 17 - 8 - 8, 0, 8, 0)
    assert pk.l4_checksum(src, dst, pk.IPPROTO_UDP, seg) == 0xFFFF


def test_payload_parsers() -> None:
    pl = pk.make_payload(77, 3, 40)
    assert len(pl) == 40
    assert parse.parse_payload(pl) == (77, 3)
    assert parse.parse_payload(b"XDPHINT2" + bytes(8)) is None
    assert parse.parse_payload(pk.MAGIC + b"\x00") is None
    assert parse.find_payload_id(b"\xaa" * 13 + pl) == 77
    assert parse.find_payload_id(b"nothing here") is None


def test_to_dict_and_kind() -> None:
    p = pk.make_plan(3, DST_MAC, kinds=["ipv4-udp-dot1q"])[2]
    d = p.to_dict()
    assert d["id"] == 3 and d["kind"] == "ipv4-udp-dot1q"
    assert bytes.fromhex(d["frame"]) == p.frame
    assert d["vlans"][0][0] == 0x8100
    p.sent_realtime_ns, p.sent_monotonic_ns = 5, 6
    back = pk.SentPacket.from_dict(json.loads(json.dumps(p.to_dict())))
    assert back == p and back.kind == p.kind


@pytest.mark.parametrize("kind", ["ipv5-udp", "ipv4-sctp", "ipv4-udp-triple", "x"])
def test_bad_kind(kind: str) -> None:
    with pytest.raises(ValueError):
        pk.make_plan(1, DST_MAC, kinds=[kind])


def test_parse_rejects_non_ip() -> None:
    with pytest.raises(ValueError):
        parse.parse_frame(bytes(12) + b"\x08\x06" + bytes(46))


def test_tags_carry_pcp_and_dei_that_vary() -> None:
    """Each tagged frame's TCI differs from its VID (PCP never 0), DEI is set on some
    tags and clear on others, and a QinQ frame's two tags differ in DEI."""
    plan = pk.make_plan(8 * len(pk.DEFAULT_KINDS), "02:00:00:00:00:01", seed=6)
    tags = [tci for p in plan for _, tci in p.vlans]
    assert tags and all(tci >> 13 for tci in tags)
    assert {tci & 0x1000 for tci in tags} == {0, 0x1000}
    assert len({tci >> 13 for tci in tags}) == 7
    for p in plan:
        if len(p.vlans) == 2:
            assert (p.vlans[0][1] ^ p.vlans[1][1]) & 0x1000
        for (_, tci), (_, got) in zip(p.vlans, parse.parse_frame(p.frame).vlans, strict=True):
            assert got == tci, "the frame carries the ground truth's TCI"


def test_tag_tci_layout() -> None:
    assert pk.tag_tci(1, 0, 5, 100) == (5 << 13) | 0x1000 | 100
    assert pk.tag_tci(2, 0, 0, 4095) == (3 << 13) | 4095
    assert pk.tag_tci(2, 1, 7, 0x1064) == (7 << 13) | 0x1000 | 0x064
