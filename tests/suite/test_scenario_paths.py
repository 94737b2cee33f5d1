# SPDX-License-Identifier: GPL-2.0-or-later
"""Unit tests of the scenario's path plan, skip rows and the igc skb-stamp clobber check."""

from __future__ import annotations

from harness.oracle import Facts
from harness.traffic.packets import make_plan
from harness.verdict.compare import Row, compare

RETA = tuple(i % 2 for i in range(128))


def _igc_facts(plan: list) -> Facts:
    """igc as the suite has it on pass: deterministic clock, SO_TIMESTAMPING, ifindex 3."""
    from harness.oracle import DeterministicClock
    return Facts(driver="igc", hwtstamp_rx=True, link_speed_mbps=2500, rx_busy_poll=False,
                 clock=DeterministicClock(10**18, 1000, first_id=plan[0].id), ifindex=3,
                 reta=RETA)


def _clobber_case(stamp_of: object, path: str = "pass", kinds: tuple = ("ipv4-udp",)) -> Row:
    """An igc skb-timestamp row, stamps from ``stamp_of(meta, facts, pkt)``.

    The records carry what the XDP program wrote: meta rx_queue is the queue the packet
    arrived on (the XDP rx_queue_index, which the queue row checks against the RETA).
    """
    from harness.oracle import nic_queue
    plan = make_plan(6, dst_mac="52:54:00:00:00:01", kinds=kinds)
    facts = _igc_facts(plan)
    recs = []
    for p in plan:
        meta = {"id": p.id, "pkt_flags": p.flags, "rx_queue": nic_queue(facts, p)[0],
                "ifindex": 3}
        recs.append({"point": "tc", "id": p.id, "pkt_flags": p.flags, "frame_vlan_count": 0,
                     "meta_found": True, "meta": meta, "skb_hash": 1,
                     "skb_vlan_present": 0, "skb_hwtstamp": stamp_of(meta, facts, p)})
    points = {"tc": path}
    (row,) = compare("igc", facts, plan, recs, paths=[path], fields=["timestamp"],
                     points=points)
    return row


def test_scenario_path_grouping() -> None:
    from harness.suite import runs as scenarios
    assert set(scenarios.RUN_OF_PATH) == set(scenarios.CLI_PATHS)
    assert scenarios.RUN_OF_PATH["xdp"] == scenarios.RUN_OF_PATH["pass"] == "pass"
    from harness.oracle.paths import ALL_PATHS
    covered = {op for ops in scenarios.ORACLE_PATHS.values() for op in ops}
    assert covered == set(ALL_PATHS), "every oracle path is judged by some CLI path"


def test_igc_skb_stamp_clobbered_by_data_meta_is_recognised_only_exactly() -> None:
    def clobber(m: dict, _f: Facts, _p: object) -> int:
        return m["ifindex"] * 10**9 + m["rx_queue"] - 1485

    clobbered = _clobber_case(clobber)
    assert clobbered.verdict == "known-bug" and clobbered.matched == 6
    assert clobbered.rules == ["igc-ts-pass-clobbered"]
    assert "data_meta overwrote" in clobbered.detail
    # both queues of the table, hashed and unhashed packets alike
    mixed = _clobber_case(clobber, kinds=("ipv4-tcp", "ipv6-udp", "ipv4-udp-qinq"))
    assert mixed.verdict == "known-bug" and mixed.matched == 6, mixed
    garbage = _clobber_case(lambda m, f, p: 12345)
    assert garbage.verdict == "fail" and garbage.mismatches
    almost = _clobber_case(lambda m, f, p: m["ifindex"] * 10**9 + m["rx_queue"])  # no latency
    assert almost.verdict == "fail"
    no_stamp = _clobber_case(lambda m, f, p: None)  # no hardware stamp at all
    assert no_stamp.verdict == "fail"
    other_queue = _clobber_case(lambda m, f, p: clobber(m, f, p) + 1 - 2 * m["rx_queue"])
    assert other_queue.verdict == "fail"  # the stamp of the other queue: not this packet's


def test_igc_skb_stamp_exact_stays_pass() -> None:
    """Exact stamps pass where no data_meta was written (pass-bare); on pass, where the
    XDP program wrote one, an intact stamp would mean the kernel changed: fail."""
    from harness.oracle import expect

    def exact(_m: dict, f: Facts, p: object) -> int:
        return expect(f, p, "pass-bare", "timestamp").value

    bare = _clobber_case(exact, path="pass-bare", kinds=("ipv4-tcp",))
    assert bare.verdict == "pass" and bare.matched == 6
    fixed = _clobber_case(exact, kinds=("ipv4-tcp",))
    assert fixed.verdict == "fail" and "table needs updating" in fixed.detail
    assert fixed.mismatches[0]["bug_not_shown"] == "igc-rx-ts-headroom"


def test_skip_rows_match_compare_rows() -> None:
    """Rows made for a refused path have the same (path, field) keys compare() makes."""
    from harness.suite import runs
    plan = make_plan(2, dst_mac="52:54:00:00:00:01", kinds=("ipv4-udp",))
    for path in ("xdp", "xsk-zc", "veth-skb"):
        got = [(r.path, r.field) for r in compare("n", Facts(driver="igc"), plan, [],
                                                   paths=[path])]
        assert got == runs.row_keys([path])
        assert [(r.path, r.field) for r in runs.verdict_rows("n", [path], "skip", "x")] == got
