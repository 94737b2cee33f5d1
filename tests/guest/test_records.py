# SPDX-License-Identifier: GPL-2.0-or-later
"""harness.guest.records against the C it describes: struct xh_meta in
guest-bpf/xdp_hints_common.h, and the JSON keys the runner's C sources print."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from harness.guest import records
from harness.oracle import uapi

SRC = Path(__file__).resolve().parents[2] / "guest-bpf"
C_TYPES = {"__u8": "B", "__u16": "H", "__u32": "I", "__u64": "Q",
           "__s8": "b", "__s16": "h", "__s32": "i", "__s64": "q"}


def _c_sources() -> str:
    files = sorted(SRC.glob("*.c"))
    assert files, f"no C sources under {SRC}"
    return "\n".join(f.read_text() for f in files)


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)


def parse_struct(header: str, name: str) -> list[tuple[str, int, str]]:
    """(field, offset, struct format) of a struct of fixed-width members, C layout."""
    m = re.search(rf"struct\s+{name}\s*\{{(.*?)\}};", _strip_comments(header), re.S)
    assert m, f"struct {name} not found"
    out, off = [], 0
    for typ, field in re.findall(r"(__[us]\d+)\s+(\w+)\s*;", m.group(1)):
        fmt = C_TYPES[typ]
        size = struct.calcsize("<" + fmt)
        off = (off + size - 1) // size * size  # natural alignment
        out.append((field, off, fmt))
        off += size
    return out


def parse_define(header: str, name: str) -> int:
    m = re.search(rf"#define\s+{name}\s+(0x[0-9a-fA-F]+|\d+)U?\b", header)
    assert m, f"#define {name} not found"
    return int(m.group(1), 0)


def printed_keys(src: str) -> set[str]:
    """Literal JSON keys in the C: jb_*(j, "key", ...) calls (any helper but jb_raw,
    whose string is a format) and \\"key\\": inside format strings."""
    keys = set(re.findall(r'\bjb_(?!raw\b)\w+\s*\(\s*[^,()"]+,\s*"([A-Za-z_]\w*)"', src))
    keys |= set(re.findall(r'\\"([A-Za-z_]\w*)\\":', src))
    return keys


def test_meta_layout_matches_the_header() -> None:
    header = (SRC / "xdp_hints_common.h").read_text()
    fields = parse_struct(header, "xh_meta")
    assert fields == list(records.META_FIELDS)
    last_name, last_off, last_fmt = fields[-1]
    size = last_off + struct.calcsize("<" + last_fmt)
    assert size == records.META_SIZE == struct.calcsize("<" + "".join(f for _, _, f in fields))
    assert parse_define(header, "XH_META_MAGIC") == records.META_MAGIC
    assert parse_define(header, "XH_META_VERSION") == records.META_VERSION
    assert parse_define(header, "XH_RC_NOT_CALLED") == records.RC_NOT_CALLED
    assert records.META_MAGIC.to_bytes(4, "little") == b"XMH1"


def test_every_printed_key_is_known_and_every_known_key_printed() -> None:
    in_c = printed_keys(_c_sources())
    known = records.printed_keys()
    assert in_c - known == set(), "keys the runner prints that records.py does not know"
    assert known - in_c == set(), "keys records.py knows that the runner does not print"


def test_point_names_and_dynamic_keys_are_in_the_c() -> None:
    src = _c_sources()
    names = set(re.findall(r'"([a-z_]+)"', src))
    assert set(records.POINTS) <= names
    # the stats event's keys, built at run time from name tables
    assert set(records.STATS_POINTS) <= names and set(records.STATS_COUNTERS) <= names
    kfuncs = set(re.findall(r'"(bpf_(?:xdp_metadata|xdp_store|dynptr)_\w+)"', src))
    assert kfuncs == set(records.RUNNER_KFUNCS) == set(uapi.KFUNCS)


def test_the_key_scan_catches_a_change() -> None:
    """The checks above can fail: a renamed key and a reordered struct are seen."""
    src = _c_sources()
    assert "rx_hash_type" in printed_keys(src)
    renamed = src.replace('"rx_hash_type"', '"rx_hash_kind"')
    assert "rx_hash_kind" in printed_keys(renamed) - records.printed_keys()
    header = (SRC / "xdp_hints_common.h").read_text()
    swapped = header.replace("__u32 rx_queue;", "__u16 rx_queue;")
    assert parse_struct(swapped, "xh_meta") != list(records.META_FIELDS)


def test_record_keys_cover_the_canonical_conversion() -> None:
    for canon, key in records.RUNNER_KFUNC_KEYS.items():
        assert key in records.RECORD_KEYS["xdp"] and key in records.META_KEYS, canon
    for point in records.SKB_POINTS:
        assert set(records.SKB_KEYS) <= set(records.RECORD_KEYS[point])
    assert set(records.RUNNER_POINTS) == set(records.POINTS) == set(records.RECORD_KEYS)


def test_with_skb_stamps_replaces_tc_stamps_only() -> None:
    recs = [{"point": "tc", "id": 1, "skb_hwtstamp": 0xFFFF888000000000},
            {"point": "tc", "id": 2, "skb_hwtstamp": 5},
            {"point": "xdp", "id": 1, "rx_timestamp": 7}]
    got = records.with_skb_stamps(recs, {1: 42, 2: None})
    assert [r.get("skb_hwtstamp") for r in got] == [42, 0, None]
    assert got[2] == recs[2] and recs[0]["skb_hwtstamp"] == 0xFFFF888000000000


@pytest.mark.parametrize("point", records.POINTS)
def test_from_runner_accepts_every_point(point: str) -> None:
    rec = {k: 0 for k in records.RECORD_KEYS[point]}
    rec.update(point=point, id=5, meta=None, xsk_mode="copy")
    out = records.from_runner(rec)
    assert out["point"].startswith(records.RUNNER_POINTS[point]) and out["id"] == 5
