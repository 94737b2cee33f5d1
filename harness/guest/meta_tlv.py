# SPDX-License-Identifier: GPL-2.0-or-later
"""The TLV metadata format (``run --meta-format tlv``, guest-bpf/xh_meta_tlv.h).

The NIC's XDP program writes :data:`AREA` bytes of data_meta: the TLV length T
first, zero padding, then the entries newest first (they grow bottom-up, the
first pushed sits right before the packet); an entry is type u8, length u8,
value.  It pushes seven entries (a repeated type, two zero-length flags) and
pops the last one; consumers copy the area raw (``meta_raw``, at TC also
``dynptr_raw``) and :func:`check` decodes it against :func:`expected`.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

AREA = 32  # XH_TLV_AREA
ID, FLAG, HALF, MIX, POPPED = 1, 2, 3, 4, 9  # enum xh_tlv_type

Entry = tuple[int, bytes]


def expected(pid: int) -> list[Entry]:
    """The entries packet ``pid`` must carry, in push order (the popped one is gone)."""
    return [
        (ID, struct.pack("<I", pid)),
        (FLAG, b""),
        (HALF, struct.pack("<H", pid & 0xFFFF)),
        (HALF, struct.pack("<H", ((pid >> 16) ^ 0x5A5A) & 0xFFFF)),
        (MIX, struct.pack("<Q", (pid * 0x9E3779B97F4A7C15) & (2**64 - 1))),
        (FLAG, b""),
    ]


def encode(entries: list[Entry]) -> bytes:
    """The area for ``entries`` (push order), as the XDP program lays it out."""
    body = b"".join(bytes((t, len(v))) + v for t, v in reversed(entries))
    if len(body) + 1 > AREA:
        raise ValueError("entries do not fit the area")
    return bytes((len(body) + 1,)) + bytes(AREA - 1 - len(body)) + body


def decode(area: bytes) -> list[Entry]:
    """The entries of an area, in push order; ValueError if it is malformed."""
    if len(area) != AREA:
        raise ValueError(f"area of {len(area)} bytes, not {AREA}")
    total = area[0]
    if not 1 <= total <= AREA:
        raise ValueError(f"TLV length {total}")
    if any(area[1:AREA - total + 1]):
        raise ValueError("padding not zero")
    out: list[Entry] = []
    off = AREA - total + 1
    while off < AREA:
        if off + 2 > AREA or off + 2 + area[off + 1] > AREA:
            raise ValueError(f"entry at {off} runs past the area")
        t, n = area[off], area[off + 1]
        out.append((t, area[off + 2:off + 2 + n]))
        off += 2 + n
    return out[::-1]


def check(rec: Mapping[str, Any]) -> str:
    """``ok`` if the record's area (and its dynptr view, where read) holds exactly the
    packet's entries in push order, else what is wrong."""
    pid = int(rec["id"])
    if rec.get("meta_len") != AREA:
        return f"meta_len {rec.get('meta_len')}, not {AREA}"
    views = [("data_meta", rec.get("meta_raw"))]
    if rec.get("dynptr_rc") is not None:
        views.append(("dynptr", rec.get("dynptr_raw")))
    for name, raw in views:
        if raw is None:
            return f"{name}: not read"
        try:
            got = decode(bytes.fromhex(raw)[-AREA:])  # AF_XDP: the struct-sized bytes
        except ValueError as e:
            return f"{name}: {e}"
        if got != expected(pid):
            return f"{name}: entries {[(t, v.hex()) for t, v in got]}"
    return "ok"
