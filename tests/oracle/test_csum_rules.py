# SPDX-License-Identifier: GPL-2.0-or-later
"""Field ``csum``: the proposed ``bpf_xdp_metadata_rx_checksum`` kfunc, judged against the
sent record's good / broken checksums.  No kernel has it yet: the records here are what
a kernel with it (and a driver with the callback) would produce."""

from __future__ import annotations

import struct
from dataclasses import replace

import pytest

from harness.oracle import Facts
from harness.oracle.uapi import (
    CHECKSUM_NONE,
    CHECKSUM_UNNECESSARY,
    ENODATA,
    EOPNOTSUPP,
    KFUNC_RX_CHECKSUM,
    KFUNC_RX_HASH,
    KFUNC_RX_TIMESTAMP,
)
from harness.traffic.checksum import inet_checksum
from harness.traffic.packets import break_checksum, make_plan
from harness.verdict.compare import compare

GOOD = make_plan(6, dst_mac="52:54:00:00:00:01", kinds=("ipv4-udp", "ipv6-tcp", "ipv4-tcp"))
PLAN = [GOOD[0], GOOD[1], break_checksum(GOOD[2], "l4"), break_checksum(GOOD[3], "l4"),
        break_checksum(GOOD[4], "l4"), break_checksum(GOOD[5], "l3")]
WITH = frozenset({KFUNC_RX_TIMESTAMP, KFUNC_RX_HASH, KFUNC_RX_CHECKSUM})
# a NIC with the callback (ice-like: the feature table entry is the netlink answer)
ICE = Facts(driver="ice", kfuncs=WITH,
            xdp_features=frozenset({"timestamp", "hash", "vlan-tag", "checksum"}))


def kernel_records(path: str, ip_summed: dict[int, int] | None = None,
                   rc: int = 0) -> list[dict]:
    """Canonical records as that kernel would give: UNNECESSARY for good, NONE for bad."""
    out = []
    for p in PLAN:
        v = CHECKSUM_NONE if p.bad_csum else CHECKSUM_UNNECESSARY
        if ip_summed and p.id in ip_summed:
            v = ip_summed[p.id]
        out.append({"point": path, "id": p.id, "rx_csum_rc": rc, "rx_csum": v if rc == 0 else 0})
    return out


def row(facts: Facts, path: str, recs: list[dict]):
    (r,) = compare(facts.driver, facts, PLAN, recs, paths=[path], fields=["csum"])
    return r


def test_broken_checksums_are_broken_and_recorded() -> None:
    udp = PLAN[2] if PLAN[2].l4 == "udp" else PLAN[3]
    assert PLAN[5].bad_csum == "l3" and PLAN[2].bad_csum == "l4"
    ip = PLAN[5].frame[14:34]
    assert inet_checksum(ip) != 0  # a header with a good checksum sums to 0
    assert inet_checksum(GOOD[5].frame[14:34]) == 0
    assert struct.unpack("!H", udp.frame[40:42])[0] != 0 or udp.l3 != "ipv4"
    assert PLAN[2].to_dict()["bad_csum"] == "l4"
    with pytest.raises(ValueError):
        break_checksum(GOOD[1], "l3")  # IPv6 has no header checksum


@pytest.mark.parametrize("path", ["xdp", "xsk"])
def test_nic_with_callback_pass_and_fail(path: str) -> None:
    ok = row(ICE, path, kernel_records(path))
    assert ok.verdict == "pass" and ok.matched == 6 and ok.rules == ["csum-nic"]
    # a driver that calls every frame verified: the broken ones fail
    lies = row(ICE, path, kernel_records(path, {p.id: CHECKSUM_UNNECESSARY for p in PLAN}))
    assert lies.verdict == "fail" and {m["id"] for m in lies.mismatches} == \
        {p.id for p in PLAN if p.bad_csum}
    # one that verifies nothing: the good ones fail
    none = row(ICE, path, kernel_records(path, {p.id: CHECKSUM_NONE for p in PLAN}))
    assert none.verdict == "fail"


@pytest.mark.parametrize("driver", ["igc", "virtio_net"])
def test_no_callback_is_expected_unsupported(driver: str) -> None:
    facts = Facts(driver=driver, kfuncs=WITH, xdp_features=frozenset({"timestamp", "hash"}))
    r = row(facts, "xdp", kernel_records("xdp", rc=EOPNOTSUPP))
    assert r.verdict == "expected-unsupported" and "no xmo_rx_checksum" in r.detail
    assert row(facts, "xdp", kernel_records("xdp")).verdict == "fail"  # a value: impossible


def test_veth_redirected_frame_has_none() -> None:
    veth = Facts(driver="igc", kfuncs=WITH)
    assert row(veth, "veth", kernel_records("veth", rc=ENODATA)).verdict != "fail"
    assert row(veth, "veth", kernel_records("veth")).verdict == "fail"


def test_absent_kfunc_skips_with_reason() -> None:
    facts = Facts(driver="igc", kfuncs=frozenset({KFUNC_RX_HASH}))
    r = row(facts, "xdp", [])
    assert r.verdict == "skip" and "bpf_xdp_metadata_rx_checksum not in kernel BTF" in r.detail
    assert row(replace(facts, kfuncs=WITH), "xdp", []).verdict == "fail"  # present: all missing
