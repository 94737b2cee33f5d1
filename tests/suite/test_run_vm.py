# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints run`` end to end, as a user runs it (separate process, real VMs).

Two boots in all: one VM carries igc, virtio-net and the igb control NIC and
runs every path of each (backend auto: tap where usable, else the unix socket backend); one VM
runs the negative test, a BPF object built to report hash + 1, which the
suite must fail (exit 1, expected vs observed per packet id).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import xdp_hints

pytestmark = pytest.mark.vm

PACKETS = 24
OK = ("pass", "expected-unsupported", "known-bug", "skip")


def _igc_available() -> str | None:
    from harness.artifacts.qemu_build import find_qemu
    return None if find_qemu() is not None else \
        "no QEMU build with igc in the cache (run: xdp-hints qemu build)"


def _bpf_missing() -> str | None:
    from harness.artifacts.bpf_build import missing_packages
    missing = missing_packages()
    return f"host lacks {' '.join(missing)} for the guest BPF build" if missing else None


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> dict:
    why = _igc_available() or _bpf_missing()
    if why:
        pytest.skip(why)
    out = tmp_path_factory.mktemp("run")
    js, junit, ktap = out / "r.json", out / "r.xml", out / "r.ktap"
    p = xdp_hints("run", "--nic", "igc,virtio-net,igb", "--packets", str(PACKETS),
                  "--backend", "auto", "--json", str(js), "--junit", str(junit),
                  "--ktap", str(ktap), timeout=1200)
    # kept where a failing run can be read afterwards (pytest rotates its tmp dirs)
    from harness.paths import cache_dir
    keep = cache_dir() / "logs" / "test_run_vm"
    keep.mkdir(parents=True, exist_ok=True)
    (keep / "stdout.txt").write_text(p.stdout + "\n--- stderr ---\n" + p.stderr)
    if js.exists():
        (keep / "r.json").write_text(js.read_text())
    assert js.exists(), f"no JSON (rc {p.returncode}):\n{p.stdout}\n{p.stderr}"
    doc = json.loads(js.read_text())
    rows = {(r["nic"], r["path"], r["field"]): r for r in doc["results"]}
    return {"proc": p, "doc": doc, "rows": rows, "junit": junit, "ktap": ktap}


def _row(suite: dict, nic: str, path: str, fld: str) -> dict:
    return suite["rows"][nic, path, fld]


def test_suite_exit_0_and_every_row_ok(suite: dict) -> None:
    p, doc = suite["proc"], suite["doc"]
    bad = [r for r in doc["results"] if r["verdict"] not in OK]
    assert not bad, "failing rows:\n" + "\n".join(
        f"{r['nic']} {r['path']} {r['field']}: {r['detail']}" for r in bad)
    assert p.returncode == 0, p.stdout + p.stderr
    assert doc["kernel"] and doc["accel"] in ("kvm", "tcg")
    # the matrix view (stdout is a pipe: no colour): a glyph per field, the counts last
    assert "\x1b" not in p.stdout
    lines = p.stdout.splitlines()
    assert next(ln.split() for ln in lines if ln.split()[:1] == ["xdp"])[1] == "✓", p.stdout
    assert lines[-1].startswith(f"{len(doc['results'])} rows: ") and ", 0 fail" in lines[-1]
    from harness.nics.base import DEFAULT_PATHS
    from harness.oracle.paths import FAULT_PATHS
    from harness.suite.runs import ORACLE_PATHS, row_keys
    default = [op for cli in DEFAULT_PATHS for op in ORACLE_PATHS[cli]]
    common = [p for p in default if p not in FAULT_PATHS]
    igc_only = [p for p in default if p in FAULT_PATHS]
    assert len(doc["results"]) == 3 * len(row_keys(common)) + len(row_keys(igc_only)), \
        "3 NICs x (point, field) pairs, and igc's fault rows"


def test_junit_one_testcase_per_row(suite: dict) -> None:
    root = ET.parse(suite["junit"]).getroot()
    assert len(root.findall("testcase")) == len(suite["doc"]["results"])
    assert root.get("failures") == "0"


@pytest.mark.parametrize("path", ["xdp", "xsk", "xsk-zc"])
def test_igc_hash_and_timestamp_exact(suite: dict, path: str) -> None:
    """Hashes equal Toeplitz over the model's key; stamps equal the deterministic clock."""
    for fld in ("hash", "hash_type", "timestamp"):
        r = _row(suite, "igc", path, fld)
        assert r["verdict"] == "pass" and r["matched"] == r["checked"] == PACKETS, r
    assert "igc-ts" in _row(suite, "igc", path, "timestamp")["rules"]
    r = _row(suite, "igc", path, "vlan")
    assert r["verdict"] == "expected-unsupported" and "rx_vlan_tag" in r["detail"], r


@pytest.mark.parametrize("path", ["skb", "pass"])
def test_igc_skb_path(suite: dict, path: str) -> None:
    """skb (no XDP) and after XDP_PASS: hash exact, VLAN tag right, stamp through
    SO_TIMESTAMPING (exact without XDP; after our data_meta, the known clobber bug)."""
    for fld in ("hash", "vlan"):
        r = _row(suite, "igc", path, fld)
        assert r["verdict"] == "pass" and r["checked"] == r["matched"] == PACKETS, r
    ts = _row(suite, "igc", path, "timestamp")
    assert ts["verdict"] == ("pass" if path == "skb" else "known-bug"), ts
    assert "SO_TIMESTAMPING" in ts["detail"], ts
    assert ts["matched"] == ts["checked"] == PACKETS, ts


def test_igc_skb_stamp_exact_without_data_meta(suite: dict) -> None:
    """pass-bare: the XDP program wrote no data_meta, so igc's skb stamp (SO_TIMESTAMPING)
    equals the deterministic clock minus the RX latency, packet by packet."""
    ts = _row(suite, "igc", "pass-bare", "timestamp")
    assert ts["verdict"] == "pass" and ts["checked"] == ts["matched"] == PACKETS, ts
    assert ts["rules"] == ["igc-ts"] and "SO_TIMESTAMPING" in ts["detail"], ts
    for fld in ("hash", "vlan", "meta"):  # meta: none written, none found
        r = _row(suite, "igc", "pass-bare", fld)
        assert r["verdict"] == "pass" and r["checked"] == r["matched"] == PACKETS, r
    assert any(st["nic"] == "igc" and st["run"] == "pass-bare" and not st["error"]
               for st in suite["doc"]["runs"]), suite["doc"]["runs"]


def test_virtio_net_bare_run(suite: dict) -> None:
    """virtio-net's XDP_PASS skb: VLAN right, no data_meta found, hash lost either way."""
    for fld in ("vlan", "meta"):
        r = _row(suite, "virtio-net", "pass-bare", fld)
        assert r["verdict"] == "pass" and r["checked"] == r["matched"] == PACKETS, r
    assert any(st["nic"] == "virtio-net" and st["run"] == "pass-bare" and not st["error"]
               for st in suite["doc"]["runs"]), suite["doc"]["runs"]


@pytest.mark.parametrize("nic", ["igc", "virtio-net", "igb"])
def test_custom_metadata_intact_downstream(suite: dict, nic: str) -> None:
    paths = ["pass", "veth", "veth-skb", "cpumap", "cpumap-skb", "xsk"]
    if nic in ("igc", "igb"):
        paths.append("xsk-zc")
    for path in paths:
        r = _row(suite, nic, path, "meta")
        assert r["verdict"] == "pass" and r["matched"] == PACKETS, r


@pytest.mark.parametrize("nic", ["igc", "virtio-net", "igb"])
def test_redirect_losses_are_expected_unsupported(suite: dict, nic: str) -> None:
    for path, fields in (("veth", ("hash", "hash_type", "timestamp", "vlan")),
                         ("veth-skb", ("hash", "timestamp")),
                         ("cpumap-skb", ("hash", "timestamp"))):
        for fld in fields:
            r = _row(suite, nic, path, fld)
            assert r["verdict"] == "expected-unsupported", r
    if nic == "igc":
        # 802.1Q tags the NIC stripped do not survive the xdp_frame
        for path in ("veth-skb", "cpumap-skb"):
            r = _row(suite, nic, path, "vlan")
            assert r["verdict"] == "expected-unsupported" and "lost for" in r["detail"], r


def test_virtio_net_hash(suite: dict) -> None:
    """With a tap: exact Toeplitz at XDP and on the skb; on the socket backend: skip."""
    facts = suite["doc"]["facts"]["virtio-net"]
    r = _row(suite, "virtio-net", "xdp", "hash")
    if facts["backend"] == "socket":
        assert r["verdict"] == "skip" and "HASH_REPORT" in r["detail"], r
        pytest.skip("virtio-net on the socket backend (taps unusable here): no hash report, "
                    f"rows skipped: {r['detail']}")
    assert facts["hash_report"] is True
    assert r["verdict"] == "pass" and r["matched"] == PACKETS, r
    # the driver's skb without XDP: the same exact hash; after XDP_PASS: the known bug
    r = _row(suite, "virtio-net", "skb", "hash")
    assert r["verdict"] == "pass" and r["matched"] == PACKETS, r
    r = _row(suite, "virtio-net", "pass", "hash")
    assert r["verdict"] == "known-bug" and "skb->cb" in r["detail"], r
    # the hash kfunc after data_meta was written reads the program's bytes (known bug);
    # called first (the xdp row, above) it is exact
    for fld in ("hash", "hash_type"):
        r = _row(suite, "virtio-net", "xdp-late", fld)
        assert r["verdict"] == "known-bug" and r["matched"] == PACKETS, r
        assert r["rules"] == ["virtio-late-hash-headroom"], r


def test_xdp_late_and_tpacket_rows(suite: dict) -> None:
    """xdp-late: igc's timestamp kfunc, called after data_meta was written, returns the
    program's bytes (known bug, exact per packet); its hash is unchanged.  tpacket: igc's
    stamp in an af_packet mmap ring is a kernel pointer (known bug) where SO_TIMESTAMPING
    (the skb row) is exact; other NICs show no hardware stamp there either way."""
    for fld, verdict in (("timestamp", "known-bug"), ("hash", "pass"), ("hash_type", "pass"),
                         ("vlan", "expected-unsupported")):
        r = _row(suite, "igc", "xdp-late", fld)
        assert r["verdict"] == verdict and r["matched"] == r["checked"] == PACKETS, r
    r = _row(suite, "igc", "xdp-late", "timestamp")
    assert r["rules"] == ["igc-ts-late-clobbered"] and "igc-rx-ts-headroom" in r["detail"], r
    r = _row(suite, "igc", "tpacket", "timestamp")
    assert r["verdict"] == "known-bug" and r["matched"] == r["checked"] == PACKETS, r
    assert r["rules"] == ["igc-tpacket-netdev-data"] and "mmap ring" in r["detail"], r
    assert _row(suite, "igc", "skb", "timestamp")["verdict"] == "pass"
    for nic in ("virtio-net", "igb"):
        r = _row(suite, nic, "tpacket", "timestamp")
        assert r["verdict"] == "expected-unsupported" and r["matched"] == PACKETS, r
    for fld in ("hash", "hash_type", "timestamp", "vlan"):
        r = _row(suite, "igb", "xdp-late", fld)
        assert r["verdict"] == "expected-unsupported", r


def test_igc_faults_exact_per_packet(suite: dict) -> None:
    """The model faulted the chosen ids; the driver answered exactly for each."""
    from harness.oracle.paths import FAULT_FIELDS
    for path, fields in FAULT_FIELDS.items():
        for fld in fields:
            r = _row(suite, "igc", path, fld)
            assert r["verdict"] == "pass" and r["matched"] == r["checked"] == PACKETS, r
            assert f"model faulted {PACKETS * 3 // 4} of {PACKETS * 3 // 4}" in r["detail"], r
    assert "fault-no-ts" in _row(suite, "igc", "faults", "timestamp")["rules"]
    assert "fault-no-ts" in _row(suite, "igc", "faults-skb", "timestamp")["rules"]
    assert ("virtio-net", "faults", "hash") not in suite["rows"]


def test_negative_faults_not_delivered_fail(tmp_path: Path) -> None:
    """Faults asked for by the oracle but not delivered by the model: the rows fail."""
    why = _igc_available() or _bpf_missing()
    if why:
        pytest.skip(why)
    js = tmp_path / "neg.json"
    p = xdp_hints("run", "--nic", "igc", "--path", "faults", "--packets", "8",
                  "--backend", "auto", "--test-fault", "faults-undelivered", "--json",
                  str(js), timeout=900)
    assert p.returncode == 1, p.stdout + p.stderr
    rows = {(r["path"], r["field"]): r for r in json.loads(js.read_text())["results"]}
    for key in (("faults", "timestamp"), ("faults", "hash_type"), ("faults-skb", "timestamp"),
                ("faults-skb", "hash")):
        assert rows[key]["verdict"] == "fail", rows[key]
        assert "model faulted 0 of 6" in rows[key]["detail"], rows[key]
    # exactly the unstamped ids (positions 1, 3, 5, 7 of 8) got a stamp they should not have
    ts = rows["faults", "timestamp"]
    assert len({m["id"] for m in ts["mismatches"]}) >= 4, ts


def test_negative_wrong_hash_program_fails(tmp_path: Path) -> None:
    why = _igc_available() or _bpf_missing()
    if why:
        pytest.skip(why)
    js = tmp_path / "neg.json"
    p = xdp_hints("run", "--nic", "igc", "--path", "xdp", "--packets", "12",
                  "--backend", "auto", "--test-fault", "hash+1", "--json", str(js),
                  timeout=900)
    assert p.returncode == 1, p.stdout + p.stderr
    doc = json.loads(js.read_text())
    rows = {(r["path"], r["field"]): r for r in doc["results"]}
    bad = rows["xdp", "hash"]
    assert bad["verdict"] == "fail" and bad["matched"] == 0 and bad["checked"] == 12, bad
    for m in bad["mismatches"]:
        assert int(m["observed"], 16) == int(m["expected"], 16) + 1, m
    assert f"id {bad['mismatches'][0]['id']}: expected" in bad["detail"]
    assert rows["xdp", "hash_type"]["verdict"] == "pass", "only the hash is wrong"
    # the view names the failure in full: expected vs observed by packet id
    assert "✗ igc xdp hash  0/12 matched" in p.stdout, p.stdout
    m = bad["mismatches"][0]
    assert f"expected {m['expected']}, observed {m['observed']}" in p.stdout, p.stdout


def test_stacked_rows(suite: dict) -> None:
    """VLAN devices keep the metadata (igc; virtio-net's rx-vlan-offload is off [fixed]:
    skip); the tunnels' decap loses it and their hash is the documented loss (veth, which
    skips these paths as its kind does not offer them, is not a NIC of this run)."""
    r = _row(suite, "igc", "vlan-dev", "meta")
    assert r["verdict"] == "pass" and r["matched"] == r["checked"] > 0, r
    assert _row(suite, "virtio-net", "vlan-dev", "meta")["verdict"] == "skip"
    for nic in ("igc", "virtio-net"):
        for path in ("gre", "vxlan"):
            r = _row(suite, nic, path, "meta")
            assert r["verdict"] == "expected-unsupported" and r["matched"] > 0, r
            assert _row(suite, nic, path, "hash")["verdict"] in (
                "expected-unsupported", "known-bug")


def test_tc_helper_chain_rows(suite: dict) -> None:
    """Every helper of the TC helper chain keeps the metadata on 7.2 (the preserve-skb-
    metadata series): one meta row per helper and NIC, its 4 packets intact."""
    from harness.oracle.paths import TC_HELPER_PATHS
    for nic in ("igc", "virtio-net", "igb"):
        for path in TC_HELPER_PATHS:
            r = suite["rows"][nic, path, "meta"]
            assert (r["verdict"], r["checked"], r["matched"]) == ("pass", 4, 4), r


def test_igb_control_nic(suite: dict) -> None:
    """igb has no XDP metadata callbacks: every kfunc row is expected-unsupported with that
    driver fact; its skb hash (key read from the device's RSSRK) and the RSS queue are
    exact; no row is skipped but the checksum and store kfuncs'; the skb's checksum state
    is exact."""
    from harness.oracle.paths import NIC_SKB_PATHS, SKB_FROM_FRAME_PATHS, STORE_PATHS
    rows = {k: r for k, r in suite["rows"].items() if k[0] == "igb"}
    # the store kfuncs (XDP_REDIRECT RX hints series) are in no kernel we run either
    store = {k: rows.pop(k) for k in list(rows) if k[1] in STORE_PATHS}
    assert store and all(r["verdict"] == "skip" and "bpf_xdp_store_rx_hash" in r["detail"]
                         for r in store.values()), store
    # the proposed checksum kfunc is in no kernel we run: its rows skip with the reason;
    # the skb paths' csum (bpf_csum_level at TC) is judged per packet
    for k, r in rows.items():
        if k[2] != "csum":
            continue
        if k[1] in NIC_SKB_PATHS | SKB_FROM_FRAME_PATHS:
            assert r["verdict"] == "pass" and r["matched"] == r["checked"] > 0, r
        else:
            assert r["verdict"] == "skip" and "bpf_xdp_metadata_rx_checksum" in r["detail"], r
    assert rows and all(r["verdict"] in ("pass", "expected-unsupported")
                        for k, r in rows.items() if k[2] != "csum")
    assert ("igb", "xdp-late", "hash") in rows and ("igb", "tpacket", "timestamp") in rows
    for path in ("xdp", "xsk", "xsk-zc"):
        for fld in ("hash", "hash_type", "timestamp", "vlan"):
            r = rows["igb", path, fld]
            assert r["verdict"] == "expected-unsupported" and "igb has no xmo_rx_" in r["detail"]
    for path in ("skb", "pass", "pass-bare"):
        r = rows["igb", path, "hash"]
        assert r["verdict"] == "pass" and r["matched"] == PACKETS, r
    assert rows["igb", "xdp", "queue"]["verdict"] == "pass"


def test_ktap_parses_and_counts_equal_the_json(suite: dict) -> None:
    """The run's KTAP through the kernel's kunit_parser (when a kernel tree is cached)
    and tappy: a test per row, nested per NIC, counts equal to the JSON's."""
    from collections import Counter

    from tests.verdict.test_ktap import kunit_counts, tappy_levels
    text = suite["ktap"].read_text()
    c = Counter(r["verdict"] for r in suite["doc"]["results"])
    levels = tappy_levels(text)
    assert [len(t) for p, t in levels if p == len(t)] == [len(t) for _, t in levels]
    assert sum(len(t) for _, t in levels) == len(suite["doc"]["results"]) + 3  # + 3 NICs
    xfail = sum(bool(t.directive and t.directive.text.startswith("XFAIL"))
                for _, ts in levels for t in ts)
    assert xfail == c["expected-unsupported"]
    todo = sum(bool(t.directive and t.directive.text.startswith("TODO"))
               for _, ts in levels for t in ts)
    assert todo == c["known-bug"] > 0
    got = kunit_counts(text)
    if got is not None:
        leaves, errors = got
        assert errors == 0
        assert leaves == Counter({k: v for k, v in {
            # kunit_parser knows no TODO (ktap.rst: "not recognized"): a known-bug
            # line ("not ok ... # TODO") is a FAILURE leaf there
            "SUCCESS": c["pass"] + c["expected-unsupported"],
            "FAILURE": c["fail"] + c["known-bug"],
            "SKIPPED": c["skip"]}.items() if v})


def test_non_root_user_gets_the_same_rows(suite: dict) -> None:
    """A user without root (nobody) runs the same command: taps in a user namespace
    (vm/userns.py), QEMU and everything else unprivileged; every row equals root's."""
    from harness.paths import cache_dir
    from tests.conftest import REPO
    from tests.suite.nonroot import NonRootUser, unusable
    why = unusable()
    if why:
        pytest.skip(why)
    user = NonRootUser(REPO, cache_dir())
    try:
        probe = user.run("boot", "--help", timeout=60)
        assert probe.returncode == 0, probe.stderr
        js = user.home / "r.json"
        p = user.run("run", "--nic", "igc,virtio-net,igb", "--packets", str(PACKETS),
                     "--backend", "auto", "--json", str(js))
        assert js.exists(), f"rc {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
        doc = json.loads(js.read_text())
    finally:
        user.remove()
    if suite["doc"]["backend"] == "tap":  # it must not fall back to the socket backend
        assert doc["backend"] == "tap", (doc["backend"], doc.get("backend_reason"))
    key = ("verdict", "checked")
    ours = {(r["nic"], r["path"], r["field"]): tuple(r.get(k) for k in key) for r in doc["results"]}
    roots = {(r["nic"], r["path"], r["field"]): tuple(r.get(k) for k in key)
             for r in suite["doc"]["results"]}
    differ = {k: (roots.get(k), ours.get(k)) for k in set(ours) | set(roots)
              if ours.get(k) != roots.get(k)}
    assert not differ, f"non-root rows differ from root's: {differ}"
    assert p.returncode == suite["proc"].returncode
