# SPDX-License-Identifier: GPL-2.0-or-later
"""Path ``faults``: the igc model faults chosen packet ids; the answers must be exact
per packet (fault rules in harness.oracle.rules, fault plan in harness.nics.igc)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.nics.igc import (
    FAULT_CYCLE,
    fault_pattern,
    fault_plan,
    stamps_with_faults,
)
from harness.oracle import DeterministicClock, Facts, nic_hash
from harness.oracle.uapi import ENODATA
from harness.traffic.packets import MAGIC, make_plan
from harness.verdict.compare import compare

LAT = 1485  # igc RX latency at 2500 Mb/s
CLOCK = DeterministicClock(10**18, 1000, first_id=1)
PLAN = make_plan(8, dst_mac="52:54:00:00:00:01", kinds=("ipv4-udp", "ipv6-tcp"))
IDS = [p.id for p in PLAN]
FAULTS = fault_plan(IDS)
FACTS = Facts(driver="igc", hwtstamp_rx=True, link_speed_mbps=2500, rx_busy_poll=False,
              clock=CLOCK, nic_faults=FAULTS,
              ts_by_id=stamps_with_faults(CLOCK, IDS, FAULTS))


def driver_records(faults: dict[int, frozenset[str]] = FAULTS, **change: Any) -> list[dict]:
    """Canonical records as igc answers when the model delivers ``faults``.

    ``change`` = {"<path>:<key>": fn(pid, value) -> value} alters one key per record.
    """
    stamps = stamps_with_faults(CLOCK, IDS, faults)
    out = []
    for p in PLAN:
        fs = faults.get(p.id, frozenset())
        got = nic_hash(FACTS, p)
        assert got is not None
        h, t = (0, 0) if "rss" in fs else got
        ts = None if "ts" in fs else stamps[p.id] - LAT
        xdp = {"point": "faults", "id": p.id, "rx_hash_rc": 0, "rx_hash": h,
               "rx_hash_type": t, "rx_ts_rc": ENODATA if ts is None else 0, "rx_ts": ts or 0}
        skb = {"point": "faults-skb", "id": p.id, "rx_hash_rc": 0 if h else ENODATA,
               "rx_hash": h, "rx_ts_rc": ENODATA if ts is None else 0, "rx_ts": ts or 0}
        for rec in (xdp, skb):
            for k, fn in change.items():
                path, key = k.split(":")
                if rec["point"] == path:
                    rec[key] = fn(p.id, rec[key])
        out += [xdp, skb]
    return out


def rows(recs: list[dict], facts: Facts = FACTS) -> dict[tuple[str, str], Any]:
    return {(r.path, r.field): r for r in compare("igc", facts, PLAN, recs,
                                                  paths=["faults", "faults-skb"])}


def test_fault_plan_and_pattern() -> None:
    assert FAULTS == {IDS[i]: FAULT_CYCLE[i % 4] for i in range(8) if i % 4}
    assert fault_pattern(0x01020304) == MAGIC + bytes([4, 3, 2, 1])
    # the clock steps per stamped frame: a skipped stamp shifts the later ones
    st = stamps_with_faults(CLOCK, IDS, FAULTS)
    assert IDS[1] not in st and st[IDS[2]] == CLOCK.start_ns + CLOCK.step_ns


def test_exact_answers_pass() -> None:
    got = rows(driver_records())
    assert set(got) == {("faults", "hash"), ("faults", "hash_type"), ("faults", "timestamp"),
                        ("faults-skb", "hash"), ("faults-skb", "timestamp")}
    for r in got.values():
        assert r.verdict == "pass" and r.matched == 8, r
    assert "fault-no-ts" in got[("faults", "timestamp")].rules
    assert "fault-rss-none" in got[("faults", "hash_type")].rules
    assert "fault-rss-none-skb" in got[("faults-skb", "hash")].rules


TS_FAULTED = {pid for pid, fs in FAULTS.items() if "ts" in fs}


@pytest.mark.parametrize("path", ["faults", "faults-skb"])
def test_invented_or_kept_stamp_fails(path: str) -> None:
    stamps = {pid: CLOCK.at(pid) - LAT for pid in IDS}
    invent = driver_records(**{f"{path}:rx_ts_rc": lambda pid, v: 0 if pid in TS_FAULTED else v,
                               f"{path}:rx_ts": lambda pid, v: stamps[pid]
                               if pid in TS_FAULTED else v})
    r = rows(invent)[(path, "timestamp")]
    assert r.verdict == "fail" and {m["id"] for m in r.mismatches} >= TS_FAULTED
    prev = {IDS[i]: IDS[i - 1] for i in range(1, 8)}
    kept = driver_records(faults=FAULTS)
    byid = {(x["point"], x["id"]): x for x in kept}
    for pid in TS_FAULTED:  # the previous packet's stamp, kept
        rec = byid[(path, pid)]
        rec["rx_ts_rc"], rec["rx_ts"] = 0, byid[(path, prev[pid])]["rx_ts"]
    assert rows(kept)[(path, "timestamp")].verdict == "fail"


def test_wrong_hash_type_fails() -> None:
    recs = driver_records(**{"faults:rx_hash_type": lambda pid, v: 1 if v == 0 else v})
    assert rows(recs)[("faults", "hash_type")].verdict == "fail"


def test_faults_not_delivered_fail() -> None:
    """The model faulted nothing while the oracle expects the faults: every row fails."""
    got = rows(driver_records(faults={}))
    for key in (("faults", "timestamp"), ("faults", "hash_type"), ("faults-skb", "hash"),
                ("faults-skb", "timestamp")):
        assert got[key].verdict == "fail", got[key]


def test_unfaulted_packets_follow_the_base_rules() -> None:
    no_faults = Facts(**{**FACTS.__dict__, "nic_faults": {}, "ts_by_id": None})
    got = rows(driver_records(faults={}), no_faults)
    assert all(r.verdict == "pass" for r in got.values()), got
    assert "igc-ts" in got[("faults", "timestamp")].rules
