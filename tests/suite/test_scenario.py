# SPDX-License-Identifier: GPL-2.0-or-later
"""NicScenario without a VM: which runner invocations a path set makes, and the
``pass-bare`` invocation judged end to end on fake runner records."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import harness.oracle as o
from harness import nics
from harness.nics import igc
from harness.oracle.paths import ALL_PATHS
from harness.suite import runs
from harness.suite import scenario as s
from harness.traffic.packets import SentPacket
from harness.verdict.compare import Row

MAC = "52:54:00:00:00:01"
IGC = o.Facts(driver="igc", rss_key=bytes(range(40)), link_speed_mbps=2500, ifindex=3,
              reta=tuple(i % 2 for i in range(128)))


class _Nic:
    mac = MAC
    guest_ifname = "eth1"
    backend = "tap"


def _scenario(kind: str, runner: Any = None) -> s.NicScenario:
    scn = s.NicScenario(object(), runner, kind, _Nic(), s.Options(packets=8))
    scn.g.ifname = "eth1"
    scn.base = replace(IGC, driver=nics.get(kind).driver)
    return scn


@pytest.mark.parametrize("kind,paths,runs", [
    ("igc", list(runs.CLI_PATHS), [("skb", ["skb", "tpacket"]),
                                ("pass", ["xdp", "xdp-late", "pass"]),
                                ("pass-bare", ["pass"]),
                                ("veth", ["veth"]), ("cpumap", ["cpumap"]), ("xsk", ["xsk"]),
                                ("xsk-zc", ["xsk-zc"]), ("faults", ["faults"]),
                                ("tc-helpers", ["tc-helpers"]),
                                ("sizes-pass", ["meta-sizes"]), ("sizes-veth", ["meta-sizes"]),
                                ("sizes-cpumap", ["meta-sizes"]), ("sizes-xsk", ["meta-sizes"]),
                                ("sizes-xsk-zc", ["meta-sizes"]),
                                ("stacked", ["vlan-dev", "gre", "vxlan"]),
                                ("stacked-sw", ["vlan-dev-sw"])]),
    ("igc", ["pass"], [("pass", ["pass"]), ("pass-bare", ["pass"])]),
    ("igc", ["xdp"], [("pass", ["xdp"])]),
    ("virtio-net", ["xdp", "pass"], [("pass", ["xdp", "pass"]), ("pass-bare", ["pass"])]),
])
def test_invocations_per_path_set(monkeypatch: pytest.MonkeyPatch, kind: str,
                                  paths: list[str], runs: list[tuple[str, list[str]]]) -> None:
    calls: list[tuple[str, list[str]]] = []
    nexts: list[tuple[str, list[str]] | None] = []

    def fake_run_one(run: str, mine: list[str], nxt=None) -> tuple[list[Row], s.RunStats]:
        calls.append((run, list(mine)))
        nexts.append(nxt)
        return [], s.RunStats(kind, run, 8, 0.0)

    scn = _scenario(kind)
    monkeypatch.setattr(scn, "run_one", fake_run_one)
    monkeypatch.setattr(scn, "facts_summary", dict)
    out = scn.run(paths)
    assert calls == runs
    assert nexts == [*calls[1:], None]  # each invocation knows the next (its held runner)
    assert not [r for r in out.rows if r.path == "pass-bare"]  # fake run_one: no rows


def test_tlv_format_skips_the_struct_only_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    scn = s.NicScenario(object(), None, "igc", _Nic(), s.Options(packets=8, meta_format="tlv"))
    scn.g.ifname, scn.base = "eth1", IGC
    assert scn.extra_args == ["--meta-tlv"]
    monkeypatch.setattr(scn, "run_one", lambda run, mine, nxt=None: (
        calls.append(run) or [], s.RunStats("igc", run, 8, 0.0)))
    monkeypatch.setattr(scn, "facts_summary", dict)
    out = scn.run(["pass", "tc-helpers", "meta-sizes"])
    assert calls == ["pass", "pass-bare"]
    skipped = {r.path for r in out.rows if r.verdict == "skip"}
    assert skipped == {*runs.ORACLE_PATHS["tc-helpers"], *runs.ORACLE_PATHS["meta-sizes"]}


def test_path_a_kind_does_not_offer_gets_skip_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[str]]] = []
    scn = _scenario("virtio-net")
    monkeypatch.setattr(scn.kind, "paths", ("xdp", "pass", "xsk"))
    monkeypatch.setattr(scn, "run_one", lambda run, mine, nxt=None: (
        calls.append((run, list(mine))) or [], s.RunStats("virtio-net", run, 8, 0.0)))
    monkeypatch.setattr(scn, "facts_summary", dict)
    out = scn.run(["xdp", "xsk", "xsk-zc"])
    assert calls == [("pass", ["xdp"]), ("xsk", ["xsk"])]
    zc = [r for r in out.rows if r.path == "xsk-zc"]
    # no invocation, but the rows are there and say why
    assert [(r.path, r.field) for r in zc] == runs.row_keys(["xsk-zc"])
    assert {r.verdict for r in zc} == {"skip"}
    assert "virtio-net does not offer path xsk-zc" in zc[0].detail


def test_every_oracle_path_comes_from_exactly_one_invocation() -> None:
    yielded = [op for run in runs.RUNS.values() for op in run.yields]
    assert sorted(yielded) == sorted(ALL_PATHS)
    for cli, ops in runs.ORACLE_PATHS.items():
        mine = [runs.RUN_OF_PATH[cli], *runs.EXTRA_RUNS.get(cli, ())]
        assert sorted(ops) == sorted(op for r in mine for op in runs.RUNS[r].yields if op in ops)


class _Obs:
    def __init__(self, ready: dict[str, Any]) -> None:
        self.ready = ready
        self.records: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []

    def wait_for(self, *_a: Any, **_k: Any) -> list[dict[str, Any]]:
        return []

    def stop(self) -> None:
        pass


class _Runner:
    """observe() hands out an observation the fake send fills."""

    remote_dir = "/nonexistent"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.links: list[tuple[str | None, bool | None]] = []  # (xdp_link, xdp_link_keep)
        self.obs: _Obs | None = None

    def observe(self, ifname: str, mode: str, extra_args: Any = (), **kw: Any) -> _Obs:
        self.links.append((kw.pop("xdp_link", None), kw.pop("xdp_link_keep", None)))
        self.calls.append((mode, kw))
        obs = _Obs({"hwtstamp_rc": 0, "hwtstamp_rx_filter": 1,
                    "meta_write": not kw.get("no_meta")})
        if kw.get("hold"):  # released later: then it is the observation that gets records
            def release(also: Any = None, upper: Any = ()) -> _Obs:
                self.calls.append(("release", {"also": also}))
                self.obs = obs
                return obs
            obs.release = release  # type: ignore[attr-defined]
        else:
            self.obs = obs
        return obs


def _tc_record(facts: o.Facts, p: SentPacket, meta: bool) -> dict[str, Any]:
    """The tc line of a correct runner (skb hash and VLAN tag as the oracle has them)."""
    h = o.expect(facts, p, "pass", "hash")
    v = o.expect(facts, p, "pass", "vlan")
    rec: dict[str, Any] = {
        "point": "tc", "id": p.id, "pkt_flags": p.flags, "frame_vlan_count": 0,
        "skb_hash": h.value if h.kind == "value" else 0,
        "skb_vlan_present": v.kind == "value",
        "skb_vlan_proto": v.value[0] if v.kind == "value" else 0,
        "skb_vlan_tci": v.value[1] if v.kind == "value" else 0,
        "skb_hwtstamp": 0xFFFF888000000000,  # netdev_data pointer (replaced by tsrx)
        "meta_found": meta, "meta": None,
    }
    if meta:
        # rx_queue: the queue it arrived on (XDP rx_queue_index), as the RSS table picks it
        rec["meta"] = {"id": p.id, "pkt_flags": p.flags, "rx_queue": o.nic_queue(facts, p)[0],
                       "ifindex": 3}
    return rec


def _fake_igc(monkeypatch: pytest.MonkeyPatch, scn: s.NicScenario, send: Any,
              stamps: Any) -> None:
    """igc without a device: ``send`` replaces the host send, ``stamps(ids)`` the
    SO_TIMESTAMPING receiver's result, the QMP model does nothing."""
    class Receiver:
        def __init__(self, *_a: Any) -> None:
            pass

        def launch(self) -> None:
            pass

        def wait_ready(self) -> None:
            pass

        def stop(self, ids: set[int], wait_s: float = 10) -> dict[int, int | None]:
            return stamps(ids)

    class Model:
        def __getattr__(self, _name: str) -> Any:
            return lambda *_a, **_k: None

    scn.g.model = Model()
    monkeypatch.setattr(scn.kind, "send", send)
    monkeypatch.setattr(igc, "StampReceiver", Receiver)


def _run_pass(monkeypatch: pytest.MonkeyPatch, run: str,
              stamp: Any) -> tuple[list[Row], _Runner]:
    """run_one(run, ["pass"]) for igc; tsrx reports ``stamp(facts, pkt, rec)`` per packet."""
    runner = _Runner()
    scn = _scenario("igc", runner)
    sent: dict[str, Any] = {}

    def send(_g: Any, plan: list[SentPacket], _gap: float) -> None:
        clock = o.DeterministicClock(igc.CLOCK_START_NS, igc.CLOCK_STEP_NS, first_id=plan[0].id)
        facts = replace(scn._facts_for({"hwtstamp_rc": 0}), clock=clock)
        sent["facts"], sent["plan"] = facts, plan
        assert runner.obs is not None
        runner.obs.records = [_tc_record(facts, p, meta=run == "pass") for p in plan]

    def tsrx_stop(ids: set[int]) -> dict[int, int | None]:
        recs = {r["id"]: r for r in runner.obs.records} if runner.obs else {}
        facts = replace(sent["facts"], rx_busy_poll=False)
        return {p.id: stamp(facts, p, recs[p.id]) for p in sent["plan"]}

    _fake_igc(monkeypatch, scn, send, tsrx_stop)
    rows, stats = scn.run_one(run, ["pass"])
    assert stats.run == run and stats.packets == 8
    return rows, runner


def test_next_invocation_loads_held_and_is_released(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_one(nxt=...): the next runner is launched held with this one's start, and the
    next run_one releases it instead of starting a runner."""
    runner = _Runner()
    scn = _scenario("igc", runner)

    def send(_g: Any, plan: list[SentPacket], _gap: float) -> None:
        assert runner.obs is not None
        facts = scn._facts_for({"hwtstamp_rc": 0})
        runner.obs.records = [_tc_record(facts, p, meta=False) for p in plan]

    _fake_igc(monkeypatch, scn, send, lambda ids: dict.fromkeys(ids))
    scn._last = ("pass-bare", ("pass",))  # as run() sets it
    scn.run_one("pass", ["pass"], nxt=("pass-bare", ["pass"]))
    (mode1, kw1), (mode0, kw0) = runner.calls  # the held one is made first
    assert mode1 == "pass" and kw1 == {"no_meta": True, "hold": True}
    assert mode0 == "pass" and kw0["also"] is not None and "hold" not in kw0
    # one XDP link handed over: the first keeps it pinned, the last detaches it
    pin = "/sys/fs/bpf/xh-link-eth1"
    assert runner.links == [(pin, False), (pin, True)]
    rows, stats = scn.run_one("pass-bare", ["pass"])
    assert runner.calls[2] == ("release", {"also": None})  # no runner started for it
    assert stats.run == "pass-bare" and {r.path for r in rows} == {"pass-bare"}
    assert scn._held is None


def _exact(facts: o.Facts, p: SentPacket, _rec: dict[str, Any]) -> int:
    return o.expect(facts, p, "pass-bare", "timestamp").value


def _clobbered(facts: o.Facts, _p: SentPacket, rec: dict[str, Any]) -> int:
    m = rec["meta"]
    return m["ifindex"] * 10**9 + m["rx_queue"] - (facts.rx_latency_ns() or 0)


def test_bare_run_judges_the_intact_skb_stamp_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, runner = _run_pass(monkeypatch, "pass-bare", _exact)
    assert runner.calls == [("pass", {"no_meta": True})]
    # on its own (no invocation after it): it detaches the XDP link at its end
    assert runner.links == [("/sys/fs/bpf/xh-link-eth1", False)]
    by = {(r.path, r.field): r for r in rows}
    assert set(by) == set(runs.row_keys(["pass-bare"]))
    ts = by["pass-bare", "timestamp"]
    assert ts.verdict == "pass" and ts.checked == ts.matched == 8, ts
    assert ts.rules == ["igc-ts"] and "SO_TIMESTAMPING" in ts.detail
    assert by["pass-bare", "meta"].verdict == "pass"  # no data_meta, as asked
    assert by["pass-bare", "hash"].verdict == "pass"
    assert by["pass-bare", "vlan"].verdict == "pass"


def test_bare_run_does_not_excuse_a_clobbered_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clobber is an expected loss on pass only; on pass-bare it fails."""
    rows, _ = _run_pass(monkeypatch, "pass", _clobbered)
    ts = next(r for r in rows if (r.path, r.field) == ("pass", "timestamp"))
    assert ts.verdict == "known-bug" and "data_meta overwrote" in ts.detail

    def clobbered_bare(facts: o.Facts, p: SentPacket, rec: dict[str, Any]) -> int:
        return 3 * 10**9 + (o.nic_queue(facts, p)[0] or 0) - (facts.rx_latency_ns() or 0)

    rows, _ = _run_pass(monkeypatch, "pass-bare", clobbered_bare)
    ts = next(r for r in rows if (r.path, r.field) == ("pass-bare", "timestamp"))
    assert ts.verdict == "fail" and ts.matched == 0, ts


def test_interrupt_while_sending_skips_every_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during the send: no SO_TIMESTAMPING wait, no runner stop (teardown at once)."""
    runner = _Runner()
    scn = _scenario("igc", runner)
    waited: list[str] = []

    def send(*_a: Any) -> None:
        assert runner.obs is not None
        runner.obs.stop = lambda: waited.append("runner")  # type: ignore[method-assign]
        raise KeyboardInterrupt

    _fake_igc(monkeypatch, scn, send, lambda ids: waited.append("tsrx") or {})
    with pytest.raises(KeyboardInterrupt):
        scn.run_one("pass", ["pass"])
    assert waited == []


def _run_tpacket(monkeypatch: pytest.MonkeyPatch, ring: Any) -> list[Row]:
    """run_one("skb", ["skb", "tpacket"]) for igc; the ring receiver reports
    ``ring(facts, pkt)`` per packet, SO_TIMESTAMPING the exact stamp."""
    from harness.suite import tpacket
    runner = _Runner()
    scn = _scenario("igc", runner)
    sent: dict[str, Any] = {}
    order: list[str] = []

    def send(_g: Any, plan: list[SentPacket], _gap: float) -> None:
        clock = o.DeterministicClock(igc.CLOCK_START_NS, igc.CLOCK_STEP_NS, first_id=plan[0].id)
        sent["facts"] = replace(scn._facts_for({"hwtstamp_rc": 0}), clock=clock,
                                rx_busy_poll=False)
        sent["plan"] = plan
        assert runner.obs is not None
        runner.obs.records = [_tc_record(sent["facts"], p, meta=False) for p in plan]

    class Ring:
        def __init__(self, *a: Any) -> None:
            assert a[-1] == tpacket.RECEIVER

        def launch(self) -> None:
            order.append("launch")

        def wait_ready(self) -> None:
            order.append("ready")

        def stop(self, ids: set[int], wait_s: float = 10) -> dict[int, int | None]:
            return {p.id: ring(sent["facts"], p) for p in sent["plan"]}

    _fake_igc(monkeypatch, scn, send, lambda ids: {p.id: _exact(sent["facts"], p, {})
                                                   for p in sent["plan"]})
    monkeypatch.setattr(tpacket, "StampReceiver", Ring)
    rows, _ = scn.run_one("skb", ["skb", "tpacket"])
    assert order == ["launch", "ready"] and runner.calls == [("skb", {})]
    return rows


def test_tpacket_rows_known_bug_pointer_and_table_needs_updating(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = {(r.path, r.field): r for r in _run_tpacket(
        monkeypatch, lambda f, p: -0x777F00000000 + p.id * 64)}  # kernel addresses
    assert rows["skb", "timestamp"].verdict == "pass"
    tp = rows["tpacket", "timestamp"]
    assert tp.verdict == "known-bug" and tp.matched == tp.checked == 8, tp
    assert "mmap ring" in tp.detail and [k for k in rows if k[0] == "tpacket"] == [
        ("tpacket", "timestamp")]
    fixed = {(r.path, r.field): r for r in _run_tpacket(
        monkeypatch, lambda f, p: _exact(f, p, {}))}["tpacket", "timestamp"]
    assert fixed.verdict == "fail" and "table needs updating" in fixed.detail
    garbage = {(r.path, r.field): r for r in _run_tpacket(
        monkeypatch, lambda f, p: 12345)}["tpacket", "timestamp"]
    assert garbage.verdict == "fail" and "table needs updating" not in garbage.detail


def test_xdp_late_asks_the_runner_for_late_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = _Runner()
    scn = _scenario("virtio-net", runner)
    monkeypatch.setattr(scn.kind, "send", lambda *_a: None)
    scn.run_one("pass", ["xdp", "xdp-late"])
    scn.run_one("pass", ["xdp"])
    assert runner.calls == [("pass", {"late_hints": True}), ("pass", {})]


def test_tpacket_ring_stopped_when_the_runner_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.guest.runner import RunnerError
    from harness.suite import tpacket
    stopped: list[float] = []

    class Ring:
        def __init__(self, *_a: Any) -> None:
            pass

        def launch(self) -> None:
            pass

        def stop(self, ids: set[int], wait_s: float = 10) -> dict[int, int | None]:
            stopped.append(wait_s)
            return {}

    class Refusing(_Runner):
        def observe(self, *_a: Any, **_k: Any) -> _Obs:
            raise RunnerError("no")

    scn = _scenario("virtio-net", Refusing())
    monkeypatch.setattr(tpacket, "StampReceiver", Ring)
    rows, stats = scn.run_one("skb", ["skb", "tpacket"])
    assert stopped == [0] and stats.error and {r.verdict for r in rows} == {"fail"}
