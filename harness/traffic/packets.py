# SPDX-License-Identifier: GPL-2.0-or-later
"""Test frames with ground truth: Ethernet (+802.1Q / QinQ), IPv4/IPv6, UDP/TCP, and
those frames inside a GRE (TEB) or VXLAN tunnel (:func:`encapsulate`).

Every frame's L4 payload starts with::

    b"XDPHINT1"  u32 packet id (LE)  u32 flags (LE)  padding

``flags`` describes the frame so a guest log is readable on its own:
bit 0 IPv6, bit 1 TCP, bits 2-3 number of VLAN tags.  The id is the only
key used to match observations to packets (never the order).
"""

from __future__ import annotations

import ipaddress
import random
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harness.traffic.checksum import inet_checksum, pseudo_header

MAGIC = b"XDPHINT1"
HEADER_LEN = len(MAGIC) + 8

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
IPPROTO_TCP = 6
IPPROTO_UDP = 17

FLAG_IPV6 = 1 << 0
FLAG_TCP = 1 << 1
FLAG_VLAN_SHIFT = 2

TCP_FLAGS_PSH_ACK = 0x18
MIN_FRAME = 60  # without FCS

#: tag layouts: name -> TPIDs outermost first
VLAN_LAYOUTS: dict[str, tuple[int, ...]] = {
    "untagged": (),
    "dot1q": (ETH_P_8021Q,),
    "qinq": (ETH_P_8021AD, ETH_P_8021Q),
}

#: default mix for make_plan: every L3 x L4 x tag layout
DEFAULT_KINDS: tuple[str, ...] = tuple(
    f"{l3}-{l4}-{tags}"
    for tags in ("untagged", "dot1q", "qinq")
    for l3 in ("ipv4", "ipv6")
    for l4 in ("udp", "tcp")
)


@dataclass
class SentPacket:
    """One frame the host sent, with everything the oracle needs."""

    id: int
    frame: bytes
    src_mac: str
    dst_mac: str
    src_ip: str
    dst_ip: str
    sport: int
    dport: int
    l3: str  # "ipv4" | "ipv6"
    l4: str  # "udp" | "tcp"
    vlans: list[tuple[int, int]] = field(default_factory=list)  # [(tpid, tci)], outer first
    flags: int = 0
    # the outer tag went out of band (skb vlan metadata) through a VLAN device, and
    # ``frame`` is what was written to that device: the frame without the outer tag
    vlan_oob: bool = False
    sent_realtime_ns: int | None = None
    sent_monotonic_ns: int | None = None
    bad_csum: str = ""  # "" both checksums good; "l3" IPv4 header / "l4" UDP/TCP broken
    #: tunnelled (:func:`encapsulate`): the outer headers' truth (type "gre" | "vxlan",
    #: src_mac, dst_mac, src_ip, dst_ip, and for vxlan sport, dport, vni); the other
    #: fields describe the inner frame, ``frame`` is the outer one
    encap: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        """E.g. ``ipv4-udp-qinq``."""
        layout = next(
            (n for n, t in VLAN_LAYOUTS.items() if t == tuple(v[0] for v in self.vlans)),
            "tags" + "-".join(f"{v[0]:04x}" for v in self.vlans),
        )
        inner = f"{self.l3}-{self.l4}-{layout}"
        return f"{self.encap['type']}:{inner}" if self.encap else inner

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly record (frame as hex)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "src_mac": self.src_mac,
            "dst_mac": self.dst_mac,
            "src_ip": self.src_ip,
            "dst_ip": self.dst_ip,
            "sport": self.sport,
            "dport": self.dport,
            "l3": self.l3,
            "l4": self.l4,
            "vlans": [list(v) for v in self.vlans],
            "flags": self.flags,
            "vlan_oob": self.vlan_oob,
            "sent_realtime_ns": self.sent_realtime_ns,
            "sent_monotonic_ns": self.sent_monotonic_ns,
            "bad_csum": self.bad_csum,
            **({"encap": dict(self.encap)} if self.encap else {}),
            "frame": self.frame.hex(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SentPacket:
        """Inverse of :meth:`to_dict` (e.g. to judge saved results again)."""
        return cls(
            id=int(d["id"]),
            frame=bytes.fromhex(d["frame"]),
            src_mac=d["src_mac"],
            dst_mac=d["dst_mac"],
            src_ip=d["src_ip"],
            dst_ip=d["dst_ip"],
            sport=int(d["sport"]),
            dport=int(d["dport"]),
            l3=d["l3"],
            l4=d["l4"],
            vlans=[(int(t), int(c)) for t, c in d.get("vlans", [])],
            flags=int(d.get("flags", 0)),
            vlan_oob=bool(d.get("vlan_oob", False)),
            sent_realtime_ns=d.get("sent_realtime_ns"),
            sent_monotonic_ns=d.get("sent_monotonic_ns"),
            bad_csum=str(d.get("bad_csum", "")),
            encap=dict(d["encap"]) if d.get("encap") else None,
        )


def l4_checksum(src: bytes, dst: bytes, proto: int, segment: bytes) -> int:
    """UDP/TCP checksum over pseudo header + segment (checksum field zeroed)."""
    csum = inet_checksum(pseudo_header(src, dst, proto, len(segment)) + segment)
    if proto == IPPROTO_UDP and csum == 0:
        csum = 0xFFFF
    return csum


# --- builders --------------------------------------------------------------


def mac_bytes(mac: str) -> bytes:
    """``aa:bb:cc:dd:ee:ff`` -> 6 bytes."""
    parts = mac.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError(f"bad MAC: {mac!r}")
    return bytes(int(p, 16) for p in parts)


def make_payload(pkt_id: int, flags: int = 0, length: int = 32) -> bytes:
    """Magic, LE u32 id, LE u32 flags, then deterministic padding up to ``length``."""
    head = MAGIC + struct.pack("<II", pkt_id & 0xFFFFFFFF, flags & 0xFFFFFFFF)
    pad = bytes((pkt_id + i) & 0xFF for i in range(max(0, length - len(head))))
    return head + pad


def build_frame(
    *,
    src_mac: str,
    dst_mac: str,
    src_ip: str,
    dst_ip: str,
    sport: int,
    dport: int,
    l4: str,
    payload: bytes,
    vlans: Sequence[tuple[int, int]] = (),
    ip_id: int = 0,
    tcp_seq: int = 1,
    tcp_ack: int = 1,
    ttl: int = 64,
) -> bytes:
    """Build an Ethernet frame with correct IPv4 header and L4 checksums."""
    src = ipaddress.ip_address(src_ip)
    dst = ipaddress.ip_address(dst_ip)
    if src.version != dst.version:
        raise ValueError("address families differ")
    proto = {"udp": IPPROTO_UDP, "tcp": IPPROTO_TCP}[l4]
    if l4 == "udp":
        seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        csum = l4_checksum(src.packed, dst.packed, proto, seg)
        seg = seg[:6] + struct.pack("!H", csum) + seg[8:]
    else:
        seg = (
            struct.pack(
                "!HHIIBBHHH", sport, dport, tcp_seq, tcp_ack, 5 << 4, TCP_FLAGS_PSH_ACK, 65535, 0, 0
            )
            + payload
        )
        csum = l4_checksum(src.packed, dst.packed, proto, seg)
        seg = seg[:16] + struct.pack("!H", csum) + seg[18:]
    if src.version == 4:
        ethertype = ETH_P_IP
        hdr = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + len(seg),
            ip_id & 0xFFFF,
            0x4000,  # DF
            ttl,
            proto,
            0,
            src.packed,
            dst.packed,
        )
        hdr = hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]
    else:
        ethertype = ETH_P_IPV6
        hdr = struct.pack("!IHBB", 6 << 28, len(seg), proto, ttl) + src.packed + dst.packed
    l2 = mac_bytes(dst_mac) + mac_bytes(src_mac)
    for tpid, tci in vlans:
        l2 += struct.pack("!HH", tpid, tci)
    l2 += struct.pack("!H", ethertype)
    frame = l2 + hdr + seg
    if len(frame) < MIN_FRAME:
        frame += b"\x00" * (MIN_FRAME - len(frame))  # Ethernet padding after IP datagram
    return frame


def make_packet(
    pkt_id: int,
    *,
    src_mac: str,
    dst_mac: str,
    src_ip: str,
    dst_ip: str,
    sport: int,
    dport: int,
    l4: str,
    vlans: Sequence[tuple[int, int]] = (),
    payload_len: int = 32,
) -> SentPacket:
    """Build one SentPacket (frame + ground truth)."""
    l3 = "ipv6" if ipaddress.ip_address(src_ip).version == 6 else "ipv4"
    flags = (
        (FLAG_IPV6 if l3 == "ipv6" else 0)
        | (FLAG_TCP if l4 == "tcp" else 0)
        | (len(vlans) << FLAG_VLAN_SHIFT)
    )
    frame = build_frame(
        src_mac=src_mac,
        dst_mac=dst_mac,
        src_ip=src_ip,
        dst_ip=dst_ip,
        sport=sport,
        dport=dport,
        l4=l4,
        payload=make_payload(pkt_id, flags, payload_len),
        vlans=vlans,
        ip_id=pkt_id,
    )
    return SentPacket(
        id=pkt_id,
        frame=frame,
        src_mac=src_mac.lower(),
        dst_mac=dst_mac.lower(),
        src_ip=str(ipaddress.ip_address(src_ip)),
        dst_ip=str(ipaddress.ip_address(dst_ip)),
        sport=sport,
        dport=dport,
        l3=l3,
        l4=l4,
        vlans=[(int(t), int(c)) for t, c in vlans],
        flags=flags,
    )


def break_checksum(pkt: SentPacket, which: str) -> SentPacket:
    """The same packet with its IPv4 header (``l3``) or UDP/TCP (``l4``) checksum wrong
    (bits flipped); the record says which (``bad_csum``)."""
    if which not in ("l3", "l4") or (which == "l3" and pkt.l3 != "ipv4"):
        raise ValueError(f"cannot break checksum {which!r} of a {pkt.l3} packet")
    l3_off = 14 + 4 * len(pkt.vlans)
    if which == "l3":
        off = l3_off + 10
    else:
        off = l3_off + (20 if pkt.l3 == "ipv4" else 40) + (6 if pkt.l4 == "udp" else 16)
    frame = bytearray(pkt.frame)
    frame[off] ^= 0x5A
    if which == "l4" and pkt.l4 == "udp" and frame[off] == frame[off + 1] == 0:
        frame[off + 1] ^= 1  # UDP checksum 0 means "none": keep it wrong
    return replace(pkt, frame=bytes(frame), bad_csum=which)


#: every BAD_CSUM_EVERY-th packet id has a broken checksum in the suite's plans
#: (:func:`with_bad_checksums`): id % 8 == 5 its UDP/TCP, id % 8 == 2 its IPv4 header
BAD_CSUM_EVERY = 8
BAD_CSUM_AT = {5: "l4", 2: "l3"}


def with_bad_checksums(plan: Iterable[SentPacket]) -> list[SentPacket]:
    """The plan with a few checksums broken on purpose, by packet id (:data:`BAD_CSUM_AT`;
    an IPv6 packet picked for ``l3`` stays good): ground truth for the ``csum`` rows."""
    out = []
    for p in plan:
        which = BAD_CSUM_AT.get(p.id % BAD_CSUM_EVERY, "")
        out.append(break_checksum(p, which) if which and (which, p.l3) != ("l3", "ipv6")
                   else p)
    return out
# --- tunnels ---------------------------------------------------------------------
IPPROTO_GRE = 47
ETH_P_TEB = 0x6558  # Transparent Ethernet Bridging: an Ethernet frame inside GRE
VXLAN_PORT = 4789  # IANA
VXLAN_FLAG_VNI = 0x08  # the I flag: the VNI is valid
ENCAP_TYPES = ("gre", "vxlan")


def ipv4_header(src: str, dst: str, proto: int, payload_len: int, ip_id: int = 0,
                ttl: int = 64) -> bytes:
    """An IPv4 header without options, DF set, with its checksum."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ip_id & 0xFFFF, 0x4000,
                      ttl, proto, 0, ipaddress.IPv4Address(src).packed,
                      ipaddress.IPv4Address(dst).packed)
    return hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]


def vxlan_source_port(pkt: SentPacket) -> int:
    """The outer UDP source port for ``pkt``'s inner flow: 49152 + a CRC of the inner
    5-tuple (a sender spreads flows over the ephemeral range, as Linux's
    udp_flow_src_port does with the flow hash)."""
    key = f"{pkt.src_ip}|{pkt.dst_ip}|{pkt.sport}|{pkt.dport}|{pkt.l4}".encode()
    return 49152 + zlib.crc32(key) % 16384


def encapsulate(pkt: SentPacket, kind: str, *, src_mac: str, dst_mac: str, src_ip: str,
                dst_ip: str, vni: int = 42) -> SentPacket:
    """``pkt`` inside an outer Ethernet / IPv4 frame from ``src_ip`` to ``dst_ip``:
    ``gre`` -- GRE without flags, protocol TEB (a gretap device); ``vxlan`` -- UDP to
    port 4789 and the VXLAN header with VNI ``vni``.  The inner frame goes as it is
    (its Ethernet padding too); the record keeps the inner 5-tuple and the outer
    headers' truth in ``encap``."""
    if kind not in ENCAP_TYPES:
        raise ValueError(f"unknown encapsulation {kind!r} (choose from {', '.join(ENCAP_TYPES)})")
    if pkt.encap:
        raise ValueError(f"packet {pkt.id} is already tunnelled")
    encap: dict[str, Any] = {"type": kind, "src_mac": src_mac.lower(),
                             "dst_mac": dst_mac.lower(),
                             "src_ip": str(ipaddress.IPv4Address(src_ip)),
                             "dst_ip": str(ipaddress.IPv4Address(dst_ip))}
    if kind == "gre":
        proto = IPPROTO_GRE
        l4 = struct.pack("!HH", 0, ETH_P_TEB) + pkt.frame
    else:
        proto = IPPROTO_UDP
        sport = vxlan_source_port(pkt)
        body = struct.pack("!B3sI", VXLAN_FLAG_VNI, b"\0\0\0", (vni & 0xFFFFFF) << 8) + pkt.frame
        seg = struct.pack("!HHHH", sport, VXLAN_PORT, 8 + len(body), 0) + body
        csum = l4_checksum(ipaddress.IPv4Address(src_ip).packed,
                           ipaddress.IPv4Address(dst_ip).packed, proto, seg)
        l4 = seg[:6] + struct.pack("!H", csum) + seg[8:]
        encap.update(sport=sport, dport=VXLAN_PORT, vni=vni & 0xFFFFFF)
    frame = (mac_bytes(dst_mac) + mac_bytes(src_mac) + struct.pack("!H", ETH_P_IP)
             + ipv4_header(src_ip, dst_ip, proto, len(l4), ip_id=pkt.id) + l4)
    return replace(pkt, frame=frame, encap=encap)


def outer_packet(pkt: SentPacket) -> SentPacket:
    """The outer flow of a tunnelled VXLAN packet as a SentPacket of its own (what the
    NIC parses and hashes: IPv4/UDP to port 4789)."""
    e = pkt.encap
    if not e or e["type"] != "vxlan":
        raise ValueError(f"packet {pkt.id} is not VXLAN-tunnelled")
    return replace(pkt, src_mac=e["src_mac"], dst_mac=e["dst_mac"], src_ip=e["src_ip"],
                   dst_ip=e["dst_ip"], sport=e["sport"], dport=e["dport"], l3="ipv4",
                   l4="udp", vlans=[], vlan_oob=False, encap=None)


def parse_kind(kind: str) -> tuple[str, str, tuple[int, ...]]:
    """``ipv6-tcp-qinq`` -> ("ipv6", "tcp", (0x88a8, 0x8100)); the tag part is optional."""
    parts = kind.split("-")
    if len(parts) == 2:
        parts.append("untagged")
    if (
        len(parts) != 3
        or parts[0] not in ("ipv4", "ipv6")
        or parts[1] not in ("udp", "tcp")
        or parts[2] not in VLAN_LAYOUTS
    ):
        raise ValueError(f"bad packet kind {kind!r} (e.g. ipv4-udp, ipv6-tcp-dot1q, ipv4-udp-qinq)")
    return parts[0], parts[1], VLAN_LAYOUTS[parts[2]]


def tag_tci(pkt_id: int, depth: int, pcp_draw: int, vid: int) -> int:
    """TCI of tag ``depth`` (0 outermost) of packet ``pkt_id``: PCP never 0 (a random
    ``pcp_draw`` in 0..7, 0 replaced by one cycling over 1..7), DEI set on every other
    packet and opposite in the two tags of a QinQ frame, then the VID."""
    pcp = pcp_draw or 1 + pkt_id % 7
    dei = (pkt_id + depth) & 1
    return (pcp << 13) | (dei << 12) | (vid & 0xFFF)


def make_plan(
    n: int,
    dst_mac: str,
    kinds: Iterable[str] = DEFAULT_KINDS,
    seed: int = 0,
    *,
    src_mac: str = "02:58:44:50:00:01",
    dst_ip4: str = "192.0.2.1",
    dst_ip6: str = "2001:db8::1",
    src_net4: str = "198.18.0.0/15",
    src_net6: str = "2001:db8:1::/64",
    dports: Sequence[int] = (),
    vids: Sequence[int] = (100, 200),
    outer_vids: Sequence[int] = (10, 20),
    first_id: int = 1,
    payload_len: int = 32,
) -> list[SentPacket]:
    """A deterministic mix of ``n`` packets cycling through ``kinds``.

    Source address and both ports are drawn from ``random.Random(seed)``, so
    the flows spread over RSS queues.  VLAN TCIs carry a VID from ``vids`` (inner /
    only tag) or ``outer_vids`` (802.1ad outer tag) and the PCP and DEI of
    :func:`tag_tci`, so a TCI read masked to the VID, or without PCP or DEI, differs.
    """
    kind_list = [parse_kind(k) for k in kinds]
    if not kind_list:
        raise ValueError("no packet kinds")
    rng = random.Random(seed)
    net4 = ipaddress.ip_network(src_net4)
    net6 = ipaddress.ip_network(src_net6)
    plan: list[SentPacket] = []
    for i in range(n):
        l3, l4, tpids = kind_list[i % len(kind_list)]
        net = net4 if l3 == "ipv4" else net6
        src_ip = str(net[rng.randrange(1, min(net.num_addresses - 1, 1 << 32))])
        sport = rng.randrange(1024, 65536)
        dport = rng.choice(list(dports)) if dports else rng.randrange(1024, 65536)
        vlans: list[tuple[int, int]] = []
        for depth, tpid in enumerate(tpids):
            outer = depth < len(tpids) - 1
            vid = rng.choice(list(outer_vids if outer else vids))
            vlans.append((tpid, tag_tci(first_id + i, depth, rng.randrange(8), vid)))
        plan.append(
            make_packet(
                first_id + i,
                src_mac=src_mac,
                dst_mac=dst_mac,
                src_ip=src_ip,
                dst_ip=dst_ip4 if l3 == "ipv4" else dst_ip6,
                sport=sport,
                dport=dport,
                l4=l4,
                vlans=vlans,
                payload_len=payload_len,
            )
        )
    return plan
