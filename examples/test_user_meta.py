# SPDX-License-Identifier: GPL-2.0-or-later
"""A user's XDP program stores the RX hash and timestamp at its own data_meta layout;
its TC program reads them back from the skb.  Every value is checked against the oracle
(the expectation for the kfunc at the XDP hook, with its reason)."""

import struct
from pathlib import Path

HERE = Path(__file__).parent
#: struct user_meta in user_meta.bpf.c
USER_META = struct.Struct("<IIIiQiI")


def read_back(prog, n):
    recs = [USER_META.unpack(b[:USER_META.size]) for b in prog.ringbuf("out", n=n)]
    return {r[0]: r for r in recs}


def test_hash_and_timestamp_at_tc(xdp_nic, xdp_program, xdp_traffic, xdp_expect):
    prog = xdp_program(HERE / "user_meta.bpf.c", tc="user_meta_tc")
    sent = xdp_traffic(16, program=prog)
    got = read_back(prog, len(sent))
    assert set(got) == {p.id for p in sent}, "every packet reaches TC with the struct"
    for p in sent:
        _id, hash_, hash_type, hash_rc, ts, ts_rc, _magic = got[p.id]
        xdp_expect.check(p, "xdp", "hash", hash_, rc=hash_rc)
        xdp_expect.check(p, "xdp", "hash_type", hash_type, rc=hash_rc)
        xdp_expect.check(p, "xdp", "timestamp", ts, rc=ts_rc)
