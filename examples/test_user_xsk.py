# SPDX-License-Identifier: GPL-2.0-or-later
"""A user's AF_XDP consumer layout: struct xsk_meta right in front of the frame in the
UMEM (user_xsk.bpf.c), decoded from the bytes the runner's AF_XDP socket found there;
the program's own counter read back from its map."""

import struct
from pathlib import Path

HERE = Path(__file__).parent
#: struct xsk_meta in user_xsk.bpf.c
XSK_META = struct.Struct("<QIIiiII")
XSK_META_MAGIC = 0x58534B31


def test_consumer_layout(xdp_nic, xdp_program, xdp_traffic, xdp_expect):
    prog = xdp_program(HERE / "user_xsk.bpf.c", mode="xsk")
    sent = xdp_traffic(16, program=prog)
    frames = {r["id"]: r for r in prog.records("xsk")}
    assert set(frames) == {p.id for p in sent}, "every packet reaches the AF_XDP socket"
    for p in sent:
        raw = bytes.fromhex(frames[p.id]["meta_raw"])
        ts, hash_, hash_type, hash_rc, ts_rc, pkt_id, magic = XSK_META.unpack(
            raw[-XSK_META.size:])
        assert magic == XSK_META_MAGIC and pkt_id == p.id
        xdp_expect.check(p, "xsk", "hash", hash_, rc=hash_rc)
        xdp_expect.check(p, "xsk", "hash_type", hash_type, rc=hash_rc)
        xdp_expect.check(p, "xsk", "timestamp", ts, rc=ts_rc)
    counter = prog.map("redirected")
    assert int.from_bytes(counter[0]["value"], "little") == len(sent)
