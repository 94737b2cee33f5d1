# SPDX-License-Identifier: GPL-2.0-or-later
"""Comparison: matching by id, verdicts, details."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

import harness.oracle as o
from harness.guest import records
from harness.oracle.paths import STORE_PATHS
from harness.oracle.store import STORE_KFUNCS, store_hash
from harness.suite import runs
from harness.traffic.packets import SentPacket, make_plan
from harness.verdict import compare as c
from harness.verdict import report

MAC = "52:54:00:00:00:01"
VIRTIO = o.Facts(driver="virtio_net", rss_key=bytes(range(40)))
IGC = o.Facts(driver="igc", hwtstamp_rx=True, ts_window=(1000, 2000), link_speed_mbps=1000)
PLAN = make_plan(24, MAC, seed=4)


def fake_records(facts: o.Facts, plan: list[SentPacket], path: str) -> list[dict[str, Any]]:
    """What a perfect guest runner would report at ``path``."""
    out = []
    for p in plan:
        rec: dict[str, Any] = {"point": path, "id": p.id}
        exps = {f: o.expect(facts, p, path, f) for f in o.FIELDS}
        for fld, exp in sorted(exps.items(), key=lambda kv: kv[1].kind == "skip"):
            keys = records.FIELD_KEYS[fld]
            if exp.kind == "skip" and keys.rc in rec:
                continue
            if exp.kind == "value":
                val = exp.value
            elif exp.kind == "window":
                val = exp.lo
            elif exp.kind == "present":
                val = 1
            else:
                val = (0, 0) if len(keys.values) == 2 else 0
            if keys.rc is not None:
                rec[keys.rc] = exp.rc if exp.rc is not None else 0
            vals = val if len(keys.values) == 2 else (val,)
            for k, v in zip(keys.values, vals, strict=True):
                rec[k] = v
        out.append(rec)
    return out


def rows_by(rows: list[c.Row]) -> dict[tuple[str, str], c.Row]:
    return {(r.path, r.field): r for r in rows}


def test_perfect_virtio_run_shuffled() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp") + fake_records(VIRTIO, PLAN, "pass")
    random.Random(1).shuffle(recs)
    rows = rows_by(c.compare("virtio-net", VIRTIO, PLAN, recs))
    assert {k[0] for k in rows} == {"xdp", "pass"}
    assert rows["xdp", "hash"].verdict == "pass"
    assert rows["xdp", "hash"].checked == rows["xdp", "hash"].matched == len(PLAN)
    assert rows["xdp", "hash_type"].verdict == "pass"
    assert rows["xdp", "timestamp"].verdict == "expected-unsupported"
    assert "no xmo_rx_timestamp" in rows["xdp", "timestamp"].detail
    assert rows["xdp", "vlan"].verdict == "expected-unsupported"
    assert rows["pass", "vlan"].verdict == "pass"  # tagged values + untagged ENODATA
    assert rows["pass", "timestamp"].verdict == "expected-unsupported"
    # nothing can observe these: no row at all
    assert ("xdp", "meta") not in rows and ("pass", "hash_type") not in rows
    assert not c.has_row("cpumap-skb", "hash_type") and c.has_row("xdp", "hash_type")
    assert report.exit_code(rows.values()) == 0


def test_order_never_matters() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp")
    bad = dict(recs[3], rx_hash=recs[3]["rx_hash"] ^ 1)
    recs[3] = bad
    a = c.compare("n", VIRTIO, PLAN, recs)
    b = c.compare("n", VIRTIO, PLAN, list(reversed(recs)))
    plan_rev = list(reversed(PLAN))
    d = c.compare("n", VIRTIO, plan_rev, recs)
    assert [r.to_dict() for r in a] == [r.to_dict() for r in b] == [r.to_dict() for r in d]
    assert rows_by(a)["xdp", "hash"].mismatches[0]["id"] == PLAN[3].id


def test_hash_mismatch_reports_ids_and_values() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp")
    want = recs[5]["rx_hash"]
    recs[5]["rx_hash"] = 0xDEADBEEF
    row = rows_by(c.compare("virtio-net", VIRTIO, PLAN, recs))["xdp", "hash"]
    assert row.verdict == "fail"
    assert (row.checked, row.matched) == (len(PLAN), len(PLAN) - 1)
    m = row.mismatches[0]
    assert m["id"] == PLAN[5].id
    assert m["expected"] == f"0x{want:08x}" and m["observed"] == "0xdeadbeef"
    assert f"id {PLAN[5].id}: expected 0x{want:08x}, observed 0xdeadbeef" in row.detail
    assert m["kind"] == PLAN[5].kind and f"by kind: {PLAN[5].kind} x1" in row.detail


def test_mismatch_list_is_capped() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp")
    for r in recs:
        r["rx_hash_type"] = 0
    row = rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "hash_type"]
    assert row.verdict == "fail" and row.matched == 0
    assert len(row.mismatches) == c.MAX_SHOWN
    assert f"{len(PLAN) - c.MAX_SHOWN} more" in row.detail


def test_missing_packets_by_id() -> None:
    recs = [r for r in fake_records(VIRTIO, PLAN, "xdp") if r["id"] not in (2, 3, 4, 9)]
    row = rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "hash"]
    assert row.verdict == "fail"
    assert row.missing == [2, 3, 4, 9]
    assert "missing ids: 2-4,9" in row.detail
    # the same loss is tolerated when allowed
    row = rows_by(c.compare("n", VIRTIO, PLAN, recs, allow_missing=4))["xdp", "hash"]
    assert row.verdict == "pass" and row.matched == len(PLAN) - 4


def test_unexpected_and_duplicate_ids() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp")
    recs.append(dict(recs[0], id=999))
    recs.append(dict(recs[1]))
    row = rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "hash"]
    assert row.verdict == "fail"
    assert row.extra == [999] and row.duplicates == [PLAN[1].id]
    assert "unexpected ids: 999" in row.detail and "duplicate ids" in row.detail


def test_value_where_unsupported_expected_fails() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp")
    recs[0]["rx_ts_rc"] = 0
    recs[0]["rx_ts"] = 123456
    row = rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "timestamp"]
    assert row.verdict == "fail"
    assert row.mismatches[0]["expected"] == "rc=-95 (EOPNOTSUPP)"
    assert row.mismatches[0]["observed"] == "123456"


def test_wrong_error_code_fails() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp")
    recs[7]["rx_vlan_rc"] = -61
    row = rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "vlan"]
    assert row.verdict == "fail"
    assert row.mismatches[0]["observed"] == "rc=-61 (ENODATA)"


def test_veth_nodata_is_expected_unsupported() -> None:
    recs = fake_records(VIRTIO, PLAN, "veth")
    rows = rows_by(c.compare("virtio-net", VIRTIO, PLAN, recs))
    for fld in ("hash", "hash_type", "timestamp", "vlan"):
        assert rows["veth", fld].verdict == "expected-unsupported", fld
        assert "ENODATA" in rows["veth", fld].detail
    assert rows["veth", "meta"].verdict == "pass"
    recs[0]["meta_ok"] = False
    assert rows_by(c.compare("n", VIRTIO, PLAN, recs))["veth", "meta"].verdict == "fail"


def test_timestamp_window() -> None:
    recs = fake_records(IGC, PLAN, "xdp")
    rows = rows_by(c.compare("igc", IGC, PLAN, recs))
    assert rows["xdp", "timestamp"].verdict == "pass"
    recs[2]["rx_ts"] = 2001
    row = rows_by(c.compare("igc", IGC, PLAN, recs))["xdp", "timestamp"]
    assert row.verdict == "fail" and "[700, 2000]" in row.detail


def test_vlan_tuple_compare() -> None:
    facts = replace(IGC, vlan_strip=True, xdp_features=frozenset({"hash", "timestamp", "vlan-tag"}))
    recs = fake_records(facts, PLAN, "xdp")
    assert rows_by(c.compare("igc", facts, PLAN, recs))["xdp", "vlan"].verdict == "pass"
    tagged = next(r for r in recs if r["rx_vlan_rc"] == 0)
    tagged["vlan_tci"] ^= 0x1000
    row = rows_by(c.compare("igc", facts, PLAN, recs))["xdp", "vlan"]
    assert row.verdict == "fail" and row.mismatches[0]["expected"].startswith("0x8100/")


def test_requested_path_without_records_fails() -> None:
    rows = rows_by(c.compare("n", VIRTIO, PLAN, [], paths=["cpumap"], fields=["meta"]))
    row = rows["cpumap", "meta"]
    assert row.verdict == "fail" and len(row.missing) == len(PLAN)
    assert report.exit_code(rows.values()) == 1


def test_point_not_reporting_a_field_is_skipped() -> None:
    recs = [{"point": "cpumap-skb", "id": p.id, "meta_ok": True} for p in PLAN]
    rows = rows_by(c.compare("n", VIRTIO, PLAN, recs))
    assert rows["cpumap-skb", "meta"].verdict == "pass"
    assert rows["cpumap-skb", "hash"].verdict == "skip"
    assert "does not report" in rows["cpumap-skb", "hash"].detail


def test_records_without_id_fail_rows() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp") + [{"point": "xdp", "rx_hash_rc": 0}]
    row = rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "hash"]
    assert row.verdict == "fail" and "without point/id" in row.detail


def test_string_ids_accepted() -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp")
    for r in recs:
        r["id"] = str(r["id"])
    assert rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "hash"].verdict == "pass"


def test_all_skip_row() -> None:
    facts = replace(VIRTIO, kfuncs=frozenset())
    rows = rows_by(c.compare("n", facts, PLAN, fake_records(VIRTIO, PLAN, "xdp")))
    assert rows["xdp", "hash"].verdict == "skip"
    assert "not in kernel BTF" in rows["xdp", "hash"].detail
    assert rows["xdp", "hash"].checked == 0


def test_row_to_dict() -> None:
    row = c.compare("virtio-net", VIRTIO, PLAN, fake_records(VIRTIO, PLAN, "xdp"))[0]
    d = row.to_dict()
    for k in ("nic", "path", "field", "verdict", "checked", "matched", "detail"):
        assert k in d
    assert d["nic"] == "virtio-net" and d["verdict"] in c.VERDICTS


def test_field_keys_single_table(monkeypatch: pytest.MonkeyPatch) -> None:
    recs = fake_records(VIRTIO, PLAN, "xdp")
    for r in recs:
        r["hash32"] = r.pop("rx_hash")
    keys = dict(records.FIELD_KEYS, hash=records.FieldKeys("rx_hash_rc", ("hash32",)))
    monkeypatch.setattr(records, "FIELD_KEYS", keys)
    assert rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "hash"].verdict == "pass"


@pytest.mark.parametrize(
    "ids,text", [([], ""), ([5], "5"), ([3, 1, 2], "1-3"), ([1, 2, 4, 6, 7], "1-2,4,6-7")]
)
def test_id_ranges(ids: list[int], text: str) -> None:
    assert c.id_ranges(ids) == text


def test_judge_kinds() -> None:
    assert c.judge(o.present(), 0, 5)
    assert not c.judge(o.present(), -61, 0)
    assert not c.judge(o.value(5), None, None)
    assert c.judge(o.window(1, 3), 0, 3) and not c.judge(o.window(1, 3), 0, 4)
    assert c.judge(o.skip("x"), None, None)


# --- guest runner records (guest-bpf/xdp_hints_guest.c on_record, xh_xsk.c) ---------

RUNNER_POINT = {
    "skb": "tc",  # a mode skb run: compare(..., points={"tc": "skb"})
    "xdp": "xdp",
    "xdp-late": "xdp_late",
    "pass": "tc",
    "pass-bare": "tc",  # a --no-meta run: compare(..., points=BARE_POINTS)
    "veth": "veth_xdp",
    "veth-skb": "veth_skb",
    "cpumap": "cpumap",
    "cpumap-skb": "cpumap_skb",
    "xsk": "xsk",
    "xsk-zc": "xsk",
    "veth-store": "veth_xdp",  # a --store run
    "veth-store-skb": "veth_skb",  # a --store run: compare(..., points=runs.RUNS[...].points)
    "cpumap-store-skb": "cpumap_skb",
    "faults": "xdp",  # a faults run: compare(..., points=FAULT_POINTS)
    "faults-skb": "tc",
}


def to_runner(rec: dict[str, Any], p: SentPacket) -> dict[str, Any]:
    """The JSON line the guest runner would print for a canonical record."""
    path = rec["point"]
    point = RUNNER_POINT[path]
    out: dict[str, Any] = {
        "point": point,
        "id": p.id,
        "pkt_flags": p.flags,
        "ifindex": 2,
        "rx_queue": 0,
        "frame_vlan_count": len(p.vlans),
    }
    kf = {k: rec[c] for c, k in records.RUNNER_KFUNC_KEYS.items() if c in rec}
    meta = {"version": 1, "id": p.id, "pkt_flags": p.flags}
    if point in ("xdp", "xdp_late", "veth_xdp"):
        out.update(kf)
    if point == "xsk":
        meta.update(kf)
        out["xsk_mode"] = "zerocopy" if path == "xsk-zc" else "copy"
    if point in ("tc", "veth_skb", "cpumap_skb"):
        out["skb_hash"] = rec.get("rx_hash", 0) if rec.get("rx_hash_rc") == 0 else 0
        out["skb_hwtstamp"] = rec.get("rx_ts", 0) if rec.get("rx_ts_rc") == 0 else 0
        present = rec.get("rx_vlan_rc") == 0
        out["skb_vlan_present"] = present
        out["skb_vlan_proto"] = rec["vlan_proto"] if present else 0
        out["skb_vlan_tci"] = rec["vlan_tci"] if present else 0
    if point not in ("xdp", "xdp_late"):
        out["meta_found"] = rec.get("meta_ok", True)
        out["meta"] = meta if out["meta_found"] else None
    else:
        out["adjust_meta_rc"] = 0
    return out


def runner_run(facts: o.Facts, paths: list[str]) -> list[dict[str, Any]]:
    by_id = {p.id: p for p in PLAN}
    return [to_runner(r, by_id[r["id"]]) for path in paths for r in fake_records(facts, PLAN, path)]


ALL_PATHS = list(o.PATHS)
BARE_POINTS = {"tc": "pass-bare"}
FAULT_POINTS = {"xdp": "faults", "tc": "faults-skb"}


@pytest.mark.parametrize("facts", [VIRTIO, IGC], ids=["virtio", "igc"])
def test_runner_records_same_verdicts_as_canonical(facts: o.Facts) -> None:
    canon = [r for path in ALL_PATHS for r in fake_records(facts, PLAN, path)]
    a = {(r.path, r.field): r.verdict for r in c.compare("n", facts, PLAN, canon)}
    # one runner invocation per run: the bare run's tc records are pass-bare, the skb
    # run's (no XDP program) are skb
    # (the tpacket path's observations are canonical already: harness.suite.tpacket)
    shared = [p for p in ALL_PATHS
              if p not in ("pass-bare", "skb", "tpacket", "faults", "faults-skb",
                           *STORE_PATHS)]
    runner = runner_run(facts, shared)
    random.Random(3).shuffle(runner)
    rows = c.compare("n", facts, PLAN, runner)
    rows += c.compare("n", facts, PLAN, fake_records(facts, PLAN, "tpacket"),
                      paths=["tpacket"])
    rows += c.compare("n", facts, PLAN, runner_run(facts, ["pass-bare"]), points=BARE_POINTS)
    rows += c.compare("n", facts, PLAN, runner_run(facts, ["skb"]), points={"tc": "skb"})
    for run, paths in (("veth-store", ["veth-store", "veth-store-skb"]),
                       ("cpumap-store", ["cpumap-store-skb"])):
        rows += c.compare("n", facts, PLAN, runner_run(facts, paths), paths=paths,
                          points=runs.RUNS[run].points)
    rows += c.compare("n", facts, PLAN, runner_run(facts, ["faults", "faults-skb"]),
                      points=FAULT_POINTS)
    b = {(r.path, r.field): r.verdict for r in rows}
    # the runner does not call the proposed checksum kfunc: its csum rows are skip
    assert {k: v for k, v in b.items() if k[1] == "csum"} == \
        {k: "skip" for k in a if k[1] == "csum"}
    a = {k: v for k, v in a.items() if k[1] != "csum"}
    b = {k: v for k, v in b.items() if k[1] != "csum"}
    assert a == b
    assert {p for p, _ in b} == set(o.PATHS)
    assert "fail" not in b.values()


def test_bare_run_tc_records_are_pass_bare() -> None:
    """A --no-meta run: tc records judged as pass-bare, where no data_meta is right."""
    recs = runner_run(IGC, ["pass-bare"])
    assert {r["point"] for r in recs} == {"tc"} and not any(r["meta_found"] for r in recs)
    rows = rows_by(c.compare("igc", IGC, PLAN, recs, paths=["pass-bare"], points=BARE_POINTS))
    assert rows["pass-bare", "meta"].verdict == "pass"
    assert rows["pass-bare", "meta"].matched == len(PLAN)
    assert rows["pass-bare", "timestamp"].verdict == "pass"
    assert ("pass-bare", "queue") not in rows
    # a struct that is there after all (the runner ignored --no-meta): fail
    wrote = [dict(r, meta_found=True, meta={"id": r["id"], "pkt_flags": r["pkt_flags"]})
             for r in recs]
    row = rows_by(c.compare("igc", IGC, PLAN, wrote, paths=["pass-bare"],
                            points=BARE_POINTS))["pass-bare", "meta"]
    assert row.verdict == "fail" and "expected False, observed True" in row.detail
    # without the override the same records are the pass path's
    assert {r.path for r in c.compare("igc", IGC, PLAN, recs)} == {"pass"}
    assert records.from_runner(recs[0], {"tc": "pass-bare"})["point"] == "pass-bare"


def test_runner_tc_record_conversion() -> None:
    p = next(x for x in PLAN if x.kind == "ipv4-udp-dot1q")
    raw = {
        "point": "tc",
        "id": p.id,
        "pkt_flags": p.flags,
        "frame_vlan_count": 1,
        "skb_hash": 0,
        "skb_vlan_present": True,
        "skb_vlan_proto": 0x8100,
        "skb_vlan_tci": p.vlans[0][1],
        "skb_hwtstamp": 0,
        "meta_found": True,
        "meta": {"id": p.id, "pkt_flags": p.flags},
    }
    got = records.from_runner(raw)
    assert got["point"] == "pass" and got["rx_hash_rc"] == o.ENODATA
    assert (got["rx_vlan_rc"], got["vlan_proto"], got["vlan_tci"]) == (0, 0x8100, p.vlans[0][1])
    assert got["rx_ts_rc"] == o.ENODATA and got["meta_ok"] is True
    wrong = dict(raw, meta={"id": p.id + 1, "pkt_flags": p.flags})
    assert records.from_runner(wrong)["meta_ok"] is False
    # hash 0 on the skb after XDP_PASS: virtio_net's known bug
    rows = rows_by(c.compare("n", VIRTIO, [p], [raw]))
    assert rows["pass", "hash"].verdict == "known-bug"
    assert rows["pass", "vlan"].verdict == "pass"
    # the same hash 0 without XDP, where virtio-net reports one: a fail
    rows = rows_by(c.compare("n", VIRTIO, [p], [raw], paths=["skb"], points={"tc": "skb"}))
    assert rows["skb", "hash"].verdict == "fail"
    assert rows["skb", "vlan"].verdict == "pass"


def test_runner_xsk_modes_and_meta_values() -> None:
    p = PLAN[0]
    meta = {
        "version": 1,
        "id": p.id,
        "pkt_flags": p.flags,
        "rx_timestamp_rc": -95,
        "rx_timestamp": 0,
        "rx_hash_rc": 0,
        "rx_hash": 5,
        "rx_hash_type": 0x29,
        "rx_vlan_tag_rc": -95,
        "rx_vlan_proto": 0,
        "rx_vlan_tci": 0,
    }
    raw = {
        "point": "xsk",
        "id": p.id,
        "pkt_flags": p.flags,
        "frame_vlan_count": 0,
        "xsk_mode": "zerocopy",
        "meta_found": True,
        "meta": meta,
    }
    got = records.from_runner(raw)
    assert got["point"] == "xsk-zc"
    assert (got["rx_hash_rc"], got["rx_hash"], got["rx_hash_type"]) == (0, 5, 0x29)
    assert got["rx_ts_rc"] == -95 and got["meta_ok"] is True
    assert records.from_runner(dict(raw, xsk_mode="copy"))["point"] == "xsk"
    lost = records.from_runner(dict(raw, meta_found=False, meta=None))
    assert lost["meta_ok"] is False and "rx_hash" not in lost


def test_runner_kfunc_not_called_is_not_reported() -> None:
    recs = runner_run(VIRTIO, ["xdp"])
    for r in recs:
        r["rx_vlan_tag_rc"] = None  # kernel without bpf_xdp_metadata_rx_vlan_tag
    rows = rows_by(c.compare("n", VIRTIO, PLAN, recs))
    assert rows["xdp", "vlan"].verdict == "skip"
    assert rows["xdp", "hash"].verdict == "pass"
    recs[0]["rx_vlan_tag_rc"] = -95  # mixed: the others now count as not reported
    row = rows_by(c.compare("n", VIRTIO, PLAN, recs))["xdp", "vlan"]
    assert row.verdict == "fail" and "not reported" in row.detail


def test_canonical_records_pass_through() -> None:
    rec = {"point": "xdp", "id": 1, "rx_hash_rc": 0, "rx_hash": 1}
    assert records.from_runner(rec) == rec


def test_queue_rows_only_at_the_xdp_hook() -> None:
    import harness.oracle as o
    from harness.traffic.packets import make_plan
    from harness.verdict import compare as c

    plan = make_plan(4, "52:54:00:00:00:01", kinds=("ipv4-tcp",))
    facts = o.Facts(driver="igc", reta=tuple(i % 2 for i in range(128)))
    obs = [{"point": p, "id": pk.id} for pk in plan for p in ("xdp", "pass")]
    rows = c.compare("igc", facts, plan, obs, paths=["xdp", "pass"])
    assert [(r.path, r.field) for r in rows if r.field == "queue"] == [("xdp", "queue")]


def test_cpumap_kfuncs_judged_by_the_probe() -> None:
    """cpumap records carry no kfunc rc: a refused probe makes that a documented loss,
    an accepted one (a kernel that allows dev-bound cpumap programs) a failure."""
    plan = PLAN[:4]
    recs = [{"point": "cpumap", "id": p.id, "pkt_flags": p.flags, "frame_vlan_count":
             len(p.vlans), "ts_rc": None, "hash_rc": None, "vlan_rc": None, "meta_found": True,
             "meta": {"id": p.id, "pkt_flags": p.flags}} for p in plan]
    refused = rows_by(c.compare("n", replace(VIRTIO, cpumap_dev_bound_rc=-22), plan, recs,
                                paths=["cpumap"]))
    for fld in ("hash", "timestamp", "vlan"):
        assert refused["cpumap", fld].verdict == "expected-unsupported", refused["cpumap", fld]
        assert "EINVAL" in refused["cpumap", fld].detail
    accepted = rows_by(c.compare("n", replace(VIRTIO, cpumap_dev_bound_rc=0), plan, recs,
                                 paths=["cpumap"]))
    assert accepted["cpumap", "hash"].verdict == "fail"
    assert "expectation table" in accepted["cpumap", "hash"].mismatches[0]["reason"]
    unprobed = rows_by(c.compare("n", VIRTIO, plan, recs, paths=["cpumap"]))
    assert unprobed["cpumap", "hash"].verdict == "skip"


# --- redirect-store (harness.oracle.store): a kernel with the store kfuncs ------------

STORE_FACTS = replace(IGC, kfuncs=frozenset(STORE_KFUNCS))


@pytest.mark.parametrize("run,path", [("veth-store", "veth-store-skb"),
                                      ("cpumap-store", "cpumap-store-skb")])
def test_store_run_passes_with_stored_values(run: str, path: str) -> None:
    recs = runner_run(STORE_FACTS, [path])
    assert {r["skb_hash"] for r in recs} == {store_hash(p) for p in PLAN}
    rows = rows_by(c.compare("igc", STORE_FACTS, PLAN, recs, paths=[path],
                             points=runs.RUNS[run].points))
    assert set(rows) == {(path, "hash"), (path, "timestamp"), (path, "vlan")}
    assert all(r.verdict == "pass" and r.matched == len(PLAN) for r in rows.values()), rows


def test_store_veth_peer_kfuncs_judged() -> None:
    """The veth peer's kfuncs read the stored hints back (series 5/7): exact values pass;
    the veth's own software hash (no stored hints) or a wrong RSS type fail."""
    recs = runner_run(STORE_FACTS, ["veth-store"])
    assert {r["rx_vlan_proto"] for r in recs} == {0x88A8}
    points = runs.RUNS["veth-store"].points
    rows = rows_by(c.compare("igc", STORE_FACTS, PLAN, recs, paths=["veth-store"],
                             points=points))
    assert set(rows) == {("veth-store", f) for f in ("hash", "hash_type", "timestamp", "vlan")}
    assert all(r.verdict == "pass" and r.matched == len(PLAN) for r in rows.values()), rows
    for r in recs:
        r["rx_hash_type"] = 0x08  # L4_ANY: what veth reports for its own l4 hash
        r["rx_timestamp_rc"], r["rx_timestamp"] = -61, 0  # -ENODATA: no stored stamp
    bad = rows_by(c.compare("igc", STORE_FACTS, PLAN, recs, paths=["veth-store"],
                            points=points))
    assert bad["veth-store", "hash_type"].verdict == "fail"
    assert bad["veth-store", "timestamp"].verdict == "fail"
    assert bad["veth-store", "hash"].verdict == "pass"


@pytest.mark.parametrize("fld,key,bad", [
    ("hash", "skb_hash", "nic"),  # skb->hash is the NIC's hash, not the stored one
    ("timestamp", "skb_hwtstamp", 0),  # the stored stamp did not reach the skb
    ("vlan", "skb_vlan_tci", 0x64),  # the frame's own tag instead of the stored one
])
def test_store_run_fails_without_stored_values(fld: str, key: str, bad: Any) -> None:
    path = "cpumap-store-skb"
    recs = runner_run(STORE_FACTS, [path])
    nic = {p.id: o.expect(IGC, p, "xdp", "hash").value for p in PLAN}
    for r in recs:
        r[key] = nic[r["id"]] if bad == "nic" else bad
    rows = rows_by(c.compare("igc", STORE_FACTS, PLAN, recs, paths=[path],
                             points=runs.RUNS["cpumap-store"].points))
    assert rows[path, fld].verdict == "fail", rows[path, fld]
    others = {f for f in ("hash", "timestamp", "vlan") if f != fld}
    assert all(rows[path, f].verdict == "pass" for f in others)


def test_store_rows_skip_without_kfuncs() -> None:
    """On a kernel without the series: skip with the reason, no runner needed."""
    why = runs.not_runnable("veth-store", IGC)
    assert why is not None and "absent in this kernel's BTF" in why and "never merged" in why
    assert runs.not_runnable("veth-store", STORE_FACTS) is None
    assert runs.not_runnable("veth", IGC) is None
    rows = runs.verdict_rows("igc", runs.oracle_paths("veth-store", ["veth-store"]), "skip", why)
    assert {(r.path, r.field) for r in rows} == {
        *(("veth-store-skb", f) for f in ("hash", "timestamp", "vlan")),
        *(("veth-store", f) for f in ("hash", "hash_type", "timestamp", "vlan"))}
