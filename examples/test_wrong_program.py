# SPDX-License-Identifier: GPL-2.0-or-later
"""A deliberately wrong program (wrong_meta.bpf.c: the hash stored byte-swapped) fails
the same check, naming expected vs observed.  The test asserts that failure."""

from pathlib import Path

import pytest
from test_user_meta import read_back

HERE = Path(__file__).parent


def test_swapped_hash_is_caught(xdp_nic, xdp_program, xdp_traffic, xdp_expect):
    prog = xdp_program(HERE / "wrong_meta.bpf.c", tc="user_meta_tc")
    sent = xdp_traffic(8, program=prog)
    got = read_back(prog, len(sent))
    assert set(got) == {p.id for p in sent}
    exp = xdp_expect(sent[0], "xdp", "hash")
    if exp.kind != "value":  # e.g. veth: a software hash, not checked exactly
        pytest.skip(f"{xdp_nic.name}: the hash is not exact here ({exp.reason})")
    with pytest.raises(AssertionError) as failure:
        for p in sent:
            _id, hash_, _type, hash_rc, *_ = got[p.id]
            xdp_expect.check(p, "xdp", "hash", hash_, rc=hash_rc)
    message = str(failure.value)
    print(message)  # e.g. "packet 3 (ipv4-udp) xdp/hash: expected 0x1a2b3c4d, observed 0x4d3c2b1a"
    assert "expected" in message and "observed" in message
