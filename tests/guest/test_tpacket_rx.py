# SPDX-License-Identifier: GPL-2.0-or-later
"""The guest's TPACKET_V3 ring reader (pure parsing) and the tpacket path's observations."""

from __future__ import annotations

import importlib.util
import struct
from types import ModuleType

from harness.guest.scripts import script
from harness.oracle import ENODATA
from harness.suite import runs, tpacket


def _reader() -> ModuleType:
    spec = importlib.util.spec_from_loader("tpacket_rx", loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    exec(compile(script("tpacket_rx.py"), "tpacket_rx.py", "exec"), mod.__dict__)
    return mod


def _frame(pid: int) -> bytes:
    return b"\x00" * 42 + b"XDPHINT1" + struct.pack("<II", pid, 0) + b"\x00" * 4


def _block(pkts: list[tuple[int, int, int, bytes]]) -> bytearray:
    """One ring block: tpacket_block_desc, then tpacket3_hdr + frame per packet."""
    buf = bytearray(4096)
    first = 48
    struct.pack_into("<III", buf, 8, 1, len(pkts), first)  # TP_STATUS_USER, num, offset
    off = first
    for i, (sec, nsec, status, data) in enumerate(pkts):
        mac = 80
        nxt = 0 if i == len(pkts) - 1 else mac + len(data) + 8
        struct.pack_into("<IIIIIIH", buf, off, nxt, sec, nsec, len(data), len(data), status,
                         mac)
        buf[off + mac:off + mac + len(data)] = data
        off += nxt
    return buf


def test_ring_stamps_signed_seconds_and_status() -> None:
    m = _reader()
    hw = m.TP_STATUS_TS_RAW_HARDWARE | 1
    ptr = -0x0000777F00001234  # 0xffff8880ffffedcc read as a signed ktime
    sec, nsec = ptr // 10**9, ptr % 10**9
    block = _block([(1_900_000_000, 4242, hw, _frame(7)),
                    (sec & 0xFFFFFFFF, nsec, hw, _frame(8)),
                    (5, 6, 1, _frame(9)),  # no hardware stamp: software time only
                    (5, 6, hw, b"\x00" * 60)])  # not a test frame
    recs = [m.record(*f) for f in m.frames(block, 0)]
    assert recs[0] == {"id": 7, "hw": 1_900_000_000 * 10**9 + 4242, "status": hw}
    assert recs[1]["hw"] == ptr and recs[1]["id"] == 8
    assert recs[2]["hw"] is None and recs[3] is None


def test_tpacket_observations_and_runs() -> None:
    obs = tpacket.observations({3: 5, 4: None})
    assert obs == [{"point": "tpacket", "id": 3, "rx_ts_rc": 0, "rx_ts": 5},
                   {"point": "tpacket", "id": 4, "rx_ts_rc": ENODATA, "rx_ts": 0}]
    assert runs.invocations(["tpacket"]) == {"skb": ["tpacket"]}
    assert runs.invocations(["xdp-late", "xdp"]) == {"pass": ["xdp", "xdp-late"]}
    assert runs.RUNS["pass"].observe_args(["xdp", "xdp-late"]) == {"late_hints": True}
    assert runs.RUNS["pass"].observe_args(["xdp", "pass"]) == {}
    assert runs.RUNS["pass-bare"].observe_args(["pass-bare"]) == {"no_meta": True}
