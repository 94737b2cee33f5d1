# SPDX-License-Identifier: GPL-2.0-or-later
"""Reports: the text table, JSON, JUnit and the exit code."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.oracle import Facts
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
    assert doc["counts"] == {"pass": 1, "fail": 1, "expected-unsupported": 1, "known-bug": 0,
                             "skip": 1}
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
    from harness.oracle import expect
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
