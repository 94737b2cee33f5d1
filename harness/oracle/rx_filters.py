# SPDX-License-Identifier: GPL-2.0-or-later
"""Receive queue filters an igc guest programmed (``ethtool -N``), read back as a fact
from ``ethtool -n <if>``, and the queue they give a packet before RSS.

Which hardware filter a rule becomes is the igc driver's choice (igc_ethtool.c, rules of
``flow-type ether`` only): one match field alone uses the simple filters -- ethertype ->
ETQF, source or destination MAC -> a RAR entry with queue select, VLAN priority (TCI mask
0xe000) -> VLANPQF; a full TCI, a VLAN ethertype, user data or several fields -> a flex
filter over the frame's first 32 bytes; no field -> MRQC's default queue.  ``ethtool -n``
shows the fields the driver kept, so classifying them again gives its filter.

The order the model (qemu/hw/net/igc_filters.c) applies them, first match wins:
ethertype, flex, MAC address, VLAN priority, then RSS; the default queue takes what RSS
does not hash.  A VLAN tag is one with TPID 0x8100 (VET), outer only.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

ETH_P_VET = 0x8100
FLEX_LEN = 32  # the driver's flex filter length
VLAN_PRIO_MASK = 0xE000


@dataclass(frozen=True)
class RxRule:
    """One ``ethtool -n`` rule: the fields it matches (None = not matched) and its queue."""

    location: int
    queue: int
    dst: bytes | None = None
    src: bytes | None = None
    etype: int | None = None
    vlan_etype: int | None = None
    vlan_tci: int | None = None
    vlan_mask: int = 0  # bits of the TCI matched
    user: bytes | None = None  # 8 bytes
    user_mask: bytes = bytes(8)  # bits matched

    @property
    def filter(self) -> str:
        """The hardware filter the igc driver uses for it."""
        fields = [n for n, v in (("dst", self.dst), ("src", self.src), ("etype", self.etype),
                                 ("vlan_etype", self.vlan_etype), ("vlan", self.vlan_tci),
                                 ("user", self.user)) if v is not None]
        if not fields:
            return "default"
        if (len(fields) > 1 or self.user is not None or self.vlan_etype is not None
                or (self.vlan_tci is not None and self.vlan_mask == 0xFFFF)):
            return "flex"
        return {"dst": "mac-dst", "src": "mac-src", "etype": "etype",
                "vlan": "vlan-prio"}[fields[0]]

    def flex_pattern(self) -> tuple[bytes, bytes]:
        """(data, byte mask) of the flex filter over the frame's first bytes, laid out as
        the driver does: MACs, VLAN ethertype at 12, TCI at 14, ethertype at 12 (16 with
        VLAN fields), user data after it."""
        data, mask = bytearray(FLEX_LEN), bytearray(FLEX_LEN)

        def put(off: int, val: bytes, m: bytes | None = None) -> None:
            data[off:off + len(val)] = val
            for i in range(len(val)):
                mask[off + i] = 0xFF if (m is None or m[i]) else 0

        vlan = bool(self.vlan_tci) or bool(self.vlan_etype)
        if self.dst is not None:
            put(0, self.dst)
        if self.src is not None:
            put(6, self.src)
        if self.vlan_etype is not None:
            put(12, struct.pack("!H", self.vlan_etype))
        if self.vlan_tci is not None:
            put(14, struct.pack("!H", self.vlan_tci))
        if self.etype is not None:
            put(16 if vlan else 12, struct.pack("!H", self.etype))
        if self.user is not None:
            put(18 if vlan else 14, self.user, self.user_mask)
        return bytes(data), bytes(mask)


def _mac(text: str) -> bytes:
    return bytes(int(b, 16) for b in text.split(":"))


def parse_ethtool_rules(text: str) -> tuple[RxRule, ...]:
    """Rules from ``ethtool -n <if>`` (masks there are bits ignored; stored as bits matched)."""
    rules: list[RxRule] = []
    for block in re.split(r"^Filter:\s*", text, flags=re.MULTILINE)[1:]:
        loc = int(block.split(None, 1)[0])
        f: dict[str, object] = {}
        queue = None
        for line in block.splitlines()[1:]:
            line = line.strip()
            m = re.fullmatch(r"(Src|Dest) MAC addr: (\S+) mask: (\S+)", line)
            if m and not any(int(b, 16) for b in m.group(3).split(":")):
                f["src" if m.group(1) == "Src" else "dst"] = _mac(m.group(2))
                continue
            m = re.fullmatch(r"(Ethertype|VLAN EtherType|VLAN|User-defined): (0x[0-9a-fA-F]+) "
                             r"mask: (0x[0-9a-fA-F]+)", line)
            if m:
                name, val, ign = m.group(1), int(m.group(2), 16), int(m.group(3), 16)
                if name == "Ethertype" and ign == 0:
                    f["etype"] = val
                elif name == "VLAN EtherType" and ign == 0:
                    f["vlan_etype"] = val
                elif name == "VLAN" and ign != 0xFFFF:
                    f["vlan_tci"], f["vlan_mask"] = val, ~ign & 0xFFFF
                elif name == "User-defined" and ign != 0xFFFFFFFFFFFFFFFF:
                    f["user"] = val.to_bytes(8, "big")
                    f["user_mask"] = (~ign & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
                continue
            m = re.fullmatch(r"Action: Direct to queue (\d+)", line)
            if m:
                queue = int(m.group(1))
        if queue is not None:
            rules.append(RxRule(location=loc, queue=queue, **f))  # type: ignore[arg-type]
    return tuple(rules)


def _tag(frame: bytes) -> tuple[int, int | None]:
    """(ethertype after the VET tag, the tag's TCI or None)."""
    t = struct.unpack_from("!H", frame, 12)[0]
    if t == ETH_P_VET and len(frame) >= 18:
        return struct.unpack_from("!H", frame, 16)[0], struct.unpack_from("!H", frame, 14)[0]
    return t, None


def _matches(rule: RxRule, frame: bytes) -> bool:
    kind = rule.filter
    etype, tci = _tag(frame)
    if kind == "etype":
        return etype == rule.etype
    if kind == "mac-dst":
        return frame[0:6] == rule.dst
    if kind == "mac-src":
        return frame[6:12] == rule.src
    if kind == "vlan-prio":
        return tci is not None and (tci >> 13) == ((rule.vlan_tci or 0) >> 13)
    if kind == "flex":
        data, mask = rule.flex_pattern()
        return len(frame) >= FLEX_LEN and all(
            not m or frame[i] == data[i] for i, m in enumerate(mask))
    return False


#: the order the filters are applied in, first match wins
FILTER_ORDER = ("etype", "flex", "mac-dst", "mac-src", "vlan-prio")


def filter_queue(rules: tuple[RxRule, ...], frame: bytes) -> tuple[int | None, str] | None:
    """(queue, how) the programmed filters give ``frame``; None = no filter matches (RSS).
    Queue None: more than one flex filter matches with different queues (their order in
    the hardware, by slot, is not what ``ethtool -n`` shows)."""
    for kind in FILTER_ORDER:
        hits = [r for r in rules if r.filter == kind and _matches(r, frame)]
        if not hits:
            continue
        queues = sorted({r.queue for r in hits})
        locs = ", ".join(str(r.location) for r in hits)
        if len(queues) > 1:
            return None, f"{kind} filters (rules {locs}) to queues {queues}: slot order unknown"
        return queues[0], f"{kind} filter (ethtool rule {locs}) -> queue {queues[0]}"
    return None


def default_queue(rules: tuple[RxRule, ...]) -> int | None:
    """MRQC default queue (a ``flow-type ether action Q`` rule), None = not set."""
    return next((r.queue for r in rules if r.filter == "default"), None)
