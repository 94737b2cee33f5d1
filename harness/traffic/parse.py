# SPDX-License-Identifier: GPL-2.0-or-later
"""Parse test frames back: payload id and flags, headers, checksums."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from harness.traffic.checksum import ones_complement_sum, pseudo_header
from harness.traffic.packets import (
    ETH_P_8021AD,
    ETH_P_8021Q,
    ETH_P_IP,
    ETH_P_IPV6,
    HEADER_LEN,
    IPPROTO_TCP,
    IPPROTO_UDP,
    MAGIC,
)


def parse_payload(payload: bytes) -> tuple[int, int] | None:
    """(id, flags) if ``payload`` starts with the magic, else None."""
    if len(payload) < HEADER_LEN or not payload.startswith(MAGIC):
        return None
    pkt_id, flags = struct.unpack_from("<II", payload, len(MAGIC))
    return pkt_id, flags


def find_payload_id(data: bytes) -> int | None:
    """Packet id found by searching for the magic anywhere in ``data``."""
    pos = data.find(MAGIC)
    if pos < 0:
        return None
    got = parse_payload(data[pos:])
    return got[0] if got else None


@dataclass
class ParsedFrame:
    """What :func:`parse_frame` read back from a frame."""

    dst_mac: str
    src_mac: str
    vlans: list[tuple[int, int]]
    l3: str
    src_ip: str
    dst_ip: str
    l4: str
    sport: int
    dport: int
    l3_offset: int  # offset of the IP header in the frame
    l4_offset: int  # offset of the UDP/TCP header in the frame
    l4_length: int
    payload: bytes
    id: int | None
    flags: int | None


def _mac_str(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def parse_frame(frame: bytes) -> ParsedFrame:
    """Parse one of our frames (any number of 802.1Q/802.1ad tags); raise ValueError."""
    if len(frame) < 14:
        raise ValueError("short frame")
    off = 12
    vlans: list[tuple[int, int]] = []
    (etype,) = struct.unpack_from("!H", frame, off)
    while etype in (ETH_P_8021Q, ETH_P_8021AD):
        (tci,) = struct.unpack_from("!H", frame, off + 2)
        vlans.append((etype, tci))
        off += 4
        (etype,) = struct.unpack_from("!H", frame, off)
    off += 2
    if etype == ETH_P_IP:
        ihl = (frame[off] & 0x0F) * 4
        total = struct.unpack_from("!H", frame, off + 2)[0]
        proto = frame[off + 9]
        src = ipaddress.IPv4Address(frame[off + 12 : off + 16])
        dst = ipaddress.IPv4Address(frame[off + 16 : off + 20])
        l3, l4off, l4len = "ipv4", off + ihl, total - ihl
    elif etype == ETH_P_IPV6:
        plen = struct.unpack_from("!H", frame, off + 4)[0]
        proto = frame[off + 6]
        src = ipaddress.IPv6Address(frame[off + 8 : off + 24])
        dst = ipaddress.IPv6Address(frame[off + 24 : off + 40])
        l3, l4off, l4len = "ipv6", off + 40, plen
    else:
        raise ValueError(f"not IPv4/IPv6: ethertype 0x{etype:04x}")
    if proto == IPPROTO_UDP:
        l4, hlen = "udp", 8
    elif proto == IPPROTO_TCP:
        l4, hlen = "tcp", (frame[l4off + 12] >> 4) * 4
    else:
        raise ValueError(f"not UDP/TCP: protocol {proto}")
    sport, dport = struct.unpack_from("!HH", frame, l4off)
    payload = frame[l4off + hlen : l4off + l4len]
    got = parse_payload(payload)
    return ParsedFrame(
        dst_mac=_mac_str(frame[0:6]),
        src_mac=_mac_str(frame[6:12]),
        vlans=vlans,
        l3=l3,
        src_ip=str(src),
        dst_ip=str(dst),
        l4=l4,
        sport=sport,
        dport=dport,
        l3_offset=off,
        l4_offset=l4off,
        l4_length=l4len,
        payload=payload,
        id=got[0] if got else None,
        flags=got[1] if got else None,
    )


def checksums_ok(frame: bytes) -> bool:
    """True if the IPv4 header checksum (if any) and the L4 checksum verify."""
    p = parse_frame(frame)
    src = ipaddress.ip_address(p.src_ip).packed
    dst = ipaddress.ip_address(p.dst_ip).packed
    if p.l3 == "ipv4":
        if ones_complement_sum(frame[p.l3_offset : p.l4_offset]) != 0xFFFF:
            return False
    seg = frame[p.l4_offset : p.l4_offset + p.l4_length]
    proto = IPPROTO_UDP if p.l4 == "udp" else IPPROTO_TCP
    return ones_complement_sum(pseudo_header(src, dst, proto, len(seg)) + seg) == 0xFFFF
