# SPDX-License-Identifier: GPL-2.0-or-later
"""The TLV metadata format (harness.guest.meta_tlv) against the C that writes it, and
the check every consumer's record goes through (order, values, flags, padding)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from harness.guest import meta_tlv, records

SRC = Path(__file__).resolve().parents[2] / "guest-bpf"


def test_constants_match_the_header_and_the_push_sequence() -> None:
    h = (SRC / "xh_meta_tlv.h").read_text()
    assert int(re.search(r"XH_TLV_AREA\s+(\d+)", h).group(1)) == meta_tlv.AREA
    enum = dict((n, int(v)) for n, v in re.findall(r"XH_TLV_(\w+) = (\d+)", h))
    assert enum == {"ID": meta_tlv.ID, "FLAG": meta_tlv.FLAG, "HALF": meta_tlv.HALF,
                    "MIX": meta_tlv.MIX, "POPPED": meta_tlv.POPPED}
    c = (SRC / "xdp_hints.bpf.c").read_text()
    pushes = re.findall(r"xh_tlv_push\(b, &top, XH_TLV_(\w+), (\d+),", c)
    # the last push is popped again; the rest is what expected() lists, in order
    assert pushes[-1] == ("POPPED", "4") and "xh_tlv_pop(b, &top);" in c
    assert [(enum[t], int(n)) for t, n in pushes[:-1]] == \
        [(t, len(v)) for t, v in meta_tlv.expected(7)]


def test_layout_length_byte_padding_then_entries_newest_first() -> None:
    area = meta_tlv.encode(meta_tlv.expected(0x01020304))
    assert len(area) == meta_tlv.AREA and area[0] == 29 and area[1:4] == bytes(3)
    assert area[4:6] == bytes((meta_tlv.FLAG, 0))  # the last flag pushed comes first
    assert area[-6:] == bytes((meta_tlv.ID, 4)) + (0x01020304).to_bytes(4, "little")
    assert meta_tlv.decode(area) == meta_tlv.expected(0x01020304)


def rec(pid: int, **over: Any) -> dict[str, Any]:
    raw = meta_tlv.encode(meta_tlv.expected(pid)).hex()
    r = {"point": "tc", "id": pid, "pkt_flags": 0, "frame_vlan_count": 0,
         "meta_len": meta_tlv.AREA, "meta_found": False, "meta": None, "meta_raw": raw,
         "dynptr_rc": 0, "dynptr_raw": raw}
    r.update(over)
    return r


def swapped_halves(pid: int) -> str:
    e = meta_tlv.expected(pid)
    e[2], e[3] = e[3], e[2]
    return meta_tlv.encode(e).hex()


@pytest.mark.parametrize("over,ok", [
    ({}, True),
    ({"dynptr_rc": None, "dynptr_raw": None}, True),  # no dynptr kfunc: data_meta alone
    ({"meta_len": 0, "meta_raw": None}, False),
    ({"meta_raw": swapped_halves(9)}, False),  # repeated entries out of order
    ({"dynptr_raw": swapped_halves(9)}, False),
    ({"meta_raw": meta_tlv.encode(meta_tlv.expected(9)[:-1]).hex()}, False),  # flag lost
    ({"meta_raw": meta_tlv.encode([*meta_tlv.expected(9)[:4], (9, b"\xef\xbe\xad\xde")])
      .hex()}, False),  # a popped-type entry in place of the last two
    ({"meta_raw": "ff" + "00" * 31}, False),
])
def test_check_and_the_canonical_meta_ok(over: dict[str, Any], ok: bool) -> None:
    r = rec(9, **over)
    assert (meta_tlv.check(r) == "ok") is ok, meta_tlv.check(r)
    assert records.from_runner(r)["meta_ok"] is ok


def test_padding_must_be_zero() -> None:
    area = bytearray(meta_tlv.encode(meta_tlv.expected(3)))
    area[2] = 1
    with pytest.raises(ValueError, match="padding"):
        meta_tlv.decode(bytes(area))
