# SPDX-License-Identifier: GPL-2.0-or-later
"""Unit tests of the scenario's path plan, skip rows and the igc skb-stamp clobber check."""

from __future__ import annotations

from harness.oracle.rules import Facts
from harness.traffic.packets import make_plan
from harness.verdict.compare import Row, compare


def _clobber_case(stamp_of: object) -> Row:
    """An igc pass/timestamp row judged against the clock, stamps from ``stamp_of(meta)``."""
    from harness.oracle.rules import DeterministicClock
    from harness.suite.scenario import _igc_clobbered_stamp
    plan = make_plan(6, dst_mac="52:54:00:00:00:01", kinds=("ipv4-udp",))
    facts = Facts(driver="igc", hwtstamp_rx=True, link_speed_mbps=2500, rx_busy_poll=False,
                  clock=DeterministicClock(10**18, 1000, first_id=plan[0].id))
    recs = []
    for p in plan:
        meta = {"id": p.id, "pkt_flags": p.flags, "rx_queue": p.id % 2, "ifindex": 3}
        recs.append({"point": "tc", "id": p.id, "pkt_flags": p.flags, "frame_vlan_count": 0,
                     "meta_found": True, "meta": meta, "skb_hash": 1,
                     "skb_vlan_present": 0, "skb_hwtstamp": stamp_of(meta)})
    (row,) = compare("igc", facts, plan, recs, paths=["pass"], fields=["timestamp"])
    _igc_clobbered_stamp(row, recs, facts, len(plan))
    return row


def test_scenario_path_grouping() -> None:
    from harness.suite import runs as scenarios
    assert set(scenarios.RUN_OF_PATH) == set(scenarios.CLI_PATHS)
    assert scenarios.RUN_OF_PATH["xdp"] == scenarios.RUN_OF_PATH["pass"] == "pass"
    from harness.oracle.rules import PATHS
    covered = {op for ops in scenarios.ORACLE_PATHS.values() for op in ops}
    assert covered == set(PATHS), "every oracle path is judged by some CLI path"


def test_igc_skb_stamp_clobbered_by_data_meta_is_recognised_only_exactly() -> None:
    clobbered = _clobber_case(lambda m: m["ifindex"] * 10**9 + m["rx_queue"] - 1485)
    assert clobbered.verdict == "expected-unsupported" and clobbered.matched == 6
    assert "data_meta overwrote" in clobbered.detail
    garbage = _clobber_case(lambda m: 12345)
    assert garbage.verdict == "fail" and garbage.mismatches
    almost = _clobber_case(lambda m: m["ifindex"] * 10**9 + m["rx_queue"])  # latency missing
    assert almost.verdict == "fail"
    no_stamp = _clobber_case(lambda m: None)  # no hardware stamp at all
    assert no_stamp.verdict == "fail"


def test_igc_skb_stamp_exact_stays_pass() -> None:
    from harness.oracle.rules import DeterministicClock, expect
    from harness.suite.scenario import _igc_clobbered_stamp
    plan = make_plan(4, dst_mac="52:54:00:00:00:01", kinds=("ipv4-tcp",))
    facts = Facts(driver="igc", hwtstamp_rx=True, link_speed_mbps=2500, rx_busy_poll=False,
                  clock=DeterministicClock(10**18, 1000, first_id=plan[0].id))
    recs = [{"point": "tc", "id": p.id, "pkt_flags": p.flags, "frame_vlan_count": 0,
             "meta_found": True, "meta": {"id": p.id, "pkt_flags": p.flags},
             "skb_hwtstamp": expect(facts, p, "pass", "timestamp").value} for p in plan]
    (row,) = compare("igc", facts, plan, recs, paths=["pass"], fields=["timestamp"])
    _igc_clobbered_stamp(row, recs, facts, len(plan))
    assert row.verdict == "pass" and row.matched == 4


def test_skip_rows_match_compare_rows() -> None:
    """Rows made for a refused path have the same (path, field) keys compare() makes."""
    from harness.suite import runs
    plan = make_plan(2, dst_mac="52:54:00:00:00:01", kinds=("ipv4-udp",))
    for path in ("xdp", "xsk-zc", "veth-skb"):
        got = [(r.path, r.field) for r in compare("n", Facts(driver="igc"), plan, [],
                                                   paths=[path])]
        assert got == runs.row_keys([path])
        assert [(r.path, r.field) for r in runs.verdict_rows("n", [path], "skip", "x")] == got
