# SPDX-License-Identifier: GPL-2.0-or-later
"""Unit tests of harness.verdict.report and the pure parts of ``xdp-hints run``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.oracle.rules import Facts
from harness.traffic.packets import make_plan
from harness.verdict import report
from harness.verdict.compare import Row, compare


def _rows() -> list[Row]:
    return [
        Row("igc", "xdp", "hash", "pass", 400, 400, "400/400 matched"),
        Row("igc", "xdp", "vlan", "expected-unsupported", 48, 48,
            "48/48 matched; as expected: rc=-95 (EOPNOTSUPP): igc has no xmo_rx_vlan_tag "
            "callback"),
        Row("igc", "xsk-zc", "hash", "fail", 48, 47, "47/48 matched; id 7: expected "
            "0x00000001, observed 0x00000002",
            mismatches=[{"id": 7, "kind": "ipv4-udp-untagged", "expected": "0x00000001",
                         "observed": "0x00000002", "rule": "nic-hash", "reason": "Toeplitz"}]),
        Row("virtio-net", "xdp", "hash", "skip", 0, 0, "no VIRTIO_NET_F_HASH_REPORT"),
    ]


META = {"kernel": "7.2.13+deb14-amd64", "accel": "tcg", "kernel_spec": "debian:sid",
        "duration_s": 12.5}


def test_table_one_line_per_row_with_counts_and_reasons() -> None:
    lines = report.table(_rows()).splitlines()
    assert len(lines) == 4
    assert lines[0].split() == ["igc", "xdp", "hash", "pass", "400/400"]
    assert "igc has no xmo_rx_vlan_tag" in lines[1]
    assert "expected 0x00000001, observed 0x00000002" in lines[2]
    assert lines[3].split()[:5] == ["virtio-net", "xdp", "hash", "skip", "-"]


def test_summary_and_exit_code() -> None:
    rows = _rows()
    assert report.summary_line(rows) == "4 rows: 1 pass, 1 fail, 1 expected-unsupported, 1 skip"
    assert report.exit_code(rows) == 1
    assert report.exit_code([r for r in rows if r.verdict != "fail"]) == 0
    assert report.exit_code([]) == 0


def test_json_has_kernel_accel_and_results(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    report.write_json(out, _rows(), META)
    doc = json.loads(out.read_text())
    assert doc["kernel"] == "7.2.13+deb14-amd64" and doc["accel"] == "tcg"
    assert doc["counts"] == {"pass": 1, "fail": 1, "expected-unsupported": 1, "skip": 1}
    assert len(doc["results"]) == 4
    first = doc["results"][0]
    for k in ("nic", "path", "field", "verdict", "checked", "matched", "detail"):
        assert k in first
    assert doc["results"][2]["mismatches"][0]["id"] == 7


def test_junit_one_testcase_per_row(tmp_path: Path) -> None:
    out = tmp_path / "r.xml"
    report.write_junit(out, _rows(), META)
    root = ET.parse(out).getroot()
    assert root.tag == "testsuite"
    assert root.get("tests") == "4" and root.get("failures") == "1" and root.get("skipped") == "1"
    cases = root.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("xdp-hints.igc.xdp", "hash"), ("xdp-hints.igc.xdp", "vlan"),
        ("xdp-hints.igc.xsk-zc", "hash"), ("xdp-hints.virtio-net.xdp", "hash")]
    assert cases[0].find("failure") is None and cases[0].find("skipped") is None
    assert cases[1].find("failure") is None and "EOPNOTSUPP" in cases[1].find("system-out").text
    fail = cases[2].find("failure")
    assert fail is not None and "id 7" in fail.text and "observed 0x00000002" in fail.text
    assert cases[3].find("skipped") is not None
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["kernel"] == "7.2.13+deb14-amd64" and props["accel"] == "tcg"


def test_wrong_hash_is_a_failing_row_end_to_end_through_compare() -> None:
    """compare() + report on synthetic records: hash+1 fails with expected vs observed."""
    plan = make_plan(12, dst_mac="52:54:00:00:00:01", kinds=("ipv4-tcp", "ipv6-tcp"))
    facts = Facts(driver="igc", kfuncs=None)
    from harness.oracle.rules import expect
    recs = []
    for p in plan:
        e = expect(facts, p, "xdp", "hash")
        t = expect(facts, p, "xdp", "hash_type")
        recs.append({"point": "xdp", "id": p.id, "rx_hash_rc": 0, "rx_hash": e.value + 1,
                     "rx_hash_type": t.value})
    rows = compare("igc", facts, plan, recs, paths=["xdp"], fields=["hash", "hash_type"])
    by_field = {r.field: r for r in rows}
    assert by_field["hash_type"].verdict == "pass"
    bad = by_field["hash"]
    assert bad.verdict == "fail" and bad.matched == 0 and bad.checked == 12
    m = bad.mismatches[0]
    assert int(m["observed"], 16) == int(m["expected"], 16) + 1
    assert report.exit_code(rows) == 1
    assert "fail" in report.table(rows)


def test_run_cli_parsing_and_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cli import build_parser
    from harness.commands import vm_options as vmargs
    args = build_parser().parse_args(["run", "--nic", "igc", "--path", "xdp,xsk-zc",
                                      "--backend", "socket", "--packets", "12"])
    assert args.nic == ["igc"] and args.path == ["xdp", "xsk-zc"] and args.packets == 12
    assert vmargs.resolve_backend("socket") == ("socket", "asked for")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--path", "xdp,bogus"])
    monkeypatch.setattr(vmargs.os, "geteuid", lambda: 1000)
    assert vmargs.resolve_backend("auto")[0] == "socket"
    monkeypatch.setattr(vmargs.os, "geteuid", lambda: 0)
    from harness.vm import netns
    monkeypatch.setattr(netns, "rtnl_wedged", lambda: "rtnl wedged")
    assert vmargs.resolve_backend("auto") == ("socket", "taps unusable: rtnl wedged")
    monkeypatch.setattr(netns, "rtnl_wedged", lambda: None)
    assert vmargs.resolve_backend("auto") == ("tap", "default")


def test_scenario_path_grouping() -> None:
    from harness.suite import scenario as scenarios
    assert set(scenarios.RUN_OF_PATH) == set(scenarios.CLI_PATHS)
    assert scenarios.RUN_OF_PATH["xdp"] == scenarios.RUN_OF_PATH["pass"] == "pass"
    from harness.oracle.rules import PATHS
    covered = {op for ops in scenarios.ORACLE_PATHS.values() for op in ops}
    assert covered == set(PATHS), "every oracle path is judged by some CLI path"


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
    from harness.suite import scenario as scenarios
    plan = make_plan(2, dst_mac="52:54:00:00:00:01", kinds=("ipv4-udp",))
    for path in ("xdp", "xsk-zc", "veth-skb"):
        got = [(r.path, r.field) for r in compare("n", Facts(driver="igc"), plan, [],
                                                   paths=[path])]
        assert got == scenarios._row_keys([path])
        assert [(r.path, r.field) for r in scenarios._skip_rows("n", [path], "x")] == got
