# SPDX-License-Identifier: GPL-2.0-or-later
"""Stacked devices and tunnels (harness.guest.stacked): the plan's roles, the guest
set-up script's answers, the reader's records judged by the oracle's stacked rules --
pass, documented loss, and fail (a kernel that keeps the metadata: table needs updating)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from harness.guest import stacked, tc_chain
from harness.nics.base import DEFAULT_PATHS, OPT_IN_PATHS
from harness.oracle import Facts, nic_hash
from harness.oracle.nic_model import FOUR_TUPLE, TWO_TUPLE
from harness.oracle.paths import STACKED_PATHS
from harness.suite import runs
from harness.traffic.packets import SentPacket, make_plan, outer_packet
from harness.verdict.compare import compare

#: igc as the suite sets it up: UDP hashed over the 4-tuple (ethtool -N rx-flow-hash sdfn)
SID = Facts(driver="igc", kernel_release="7.2.13+deb14-amd64", vlan_strip=True,
            hash_fields={f"{l4}{v}": FOUR_TUPLE for l4 in ("tcp", "udp") for v in "46"})
MAC = "52:54:00:12:34:56"
UPPERS = {11: "vlan-dev", 12: "vlan-dev", 13: "gre", 14: "vxlan"}
IFX = {"vlan-dev": 11, "vlan-dev-sw": 11, "gre": 13, "vxlan": 14}


class FakeGuest:
    """GuestNic stand-in: answers the set-up commands from a table."""

    def __init__(self, rxvlan: str = "on", fail: str = "") -> None:
        self.ifname, self.qifname, self.cmds = "eth1", "eth1", []
        self.rxvlan, self.fail = rxvlan, fail

    def sh(self, cmd: str, timeout: float = 60) -> Any:
        self.cmds.append(cmd)
        out = ""
        if cmd.startswith("ethtool -k"):
            out = f"rx-vlan-offload: {self.rxvlan}"
        elif "UP " in cmd:
            lines = []
            for p, devs in (("vlan-dev", ["eth1.100", "eth1.200"]),
                            ("vlan-dev-sw", ["eth1.100", "eth1.200"]),
                            ("gre", ["xhgre0"]), ("vxlan", ["xhvx0"])):
                if f"UP {p} " in cmd:
                    lines += [f"FAIL {p} RTNETLINK answers: Operation not supported"]
                    if p != self.fail:
                        lines = lines[:-1] + [f"UP {p} {d} {20 + len(lines) + i}"
                                              for i, d in enumerate(devs)]
            out = "\n".join(lines)
        return type("R", (), {"rc": 0, "stdout": out, "stderr": ""})()


def plan(paths: tuple[str, ...]) -> list[SentPacket]:
    st = stacked.Stack(FakeGuest(), paths)  # type: ignore[arg-type]
    p = make_plan(stacked.PACKETS_PER_PATH * len(paths), MAC, kinds=stacked.plan_kinds(paths),
                  first_id=100)
    return st.adapt(p)


PLAN = plan(("vlan-dev", "gre", "vxlan"))
SW_PLAN = plan(("vlan-dev-sw",))


def xdp_rec(p: SentPacket) -> dict[str, Any]:
    h, t = nic_hash(SID, outer_packet(p) if p.encap and p.encap["type"] == "vxlan" else p) \
        if not (p.encap and p.encap["type"] == "gre") else (0x5A5A, 1)
    return {"point": "xdp", "id": p.id, "pkt_flags": p.flags, "rx_timestamp_rc": -95,
            "rx_timestamp": 0, "rx_hash_rc": 0, "rx_hash": h, "rx_hash_type": t,
            "rx_vlan_tag_rc": -95, "rx_vlan_proto": 0, "rx_vlan_tci": 0, "rx_queue": 0,
            "ifindex": 2, "frame_vlan_count": 0}


def stk_rec(p: SentPacket, path: str, **over: Any) -> dict[str, Any]:
    """What a 7.2 kernel shows: VLAN devices keep the metadata, tunnels show the outer
    headers in its place; hash as the NIC's (VLAN), 0 (GRE), the outer flow's (VXLAN)."""
    meta = tc_chain.expected_meta(xdp_rec(p))
    lost = path in ("gre", "vxlan")
    hashes = {"gre": 0, "vxlan": nic_hash(SID, outer_packet(p))[0] if path == "vxlan" else 0}
    rec = {"point": "stacked", "id": p.id, "pkt_flags": p.flags, "ifindex": IFX[path],
           "frame_vlan_count": 0, "meta_len": 56, "meta_found": not lost,
           "meta": None if lost else meta, "skb_hash": hashes.get(path, xdp_rec(p)["rx_hash"]),
           "skb_vlan_present": False, "skb_vlan_tci": 0, "skb_vlan_proto": 0, "skb_hwtstamp": 0,
           "dynptr_rc": 0, "dynptr_read_rc": 0, "dynptr_meta_found": not lost,
           "dynptr_meta": None if lost else dict(meta), "hash_recalc": 0x77}
    rec.update(over)
    return rec


def judge(plan_: list[SentPacket], paths: tuple[str, ...], recs: list[dict],
          facts: Facts = SID) -> dict[tuple[str, str], Any]:
    uppers = {IFX[p]: p for p in paths}
    obs = stacked.canonical([xdp_rec(p) for p in plan_] + recs, uppers)
    return {(r.path, r.field): r for r in compare("igc", facts, plan_, obs, paths=paths)}


def good(plan_: list[SentPacket], path_of: dict[str, str] | None = None, **over: Any) -> list:
    out = []
    for p in plan_:
        path = (path_of or {}).get(stacked.path_of(p), stacked.path_of(p))
        out.append(stk_rec(p, path, **over.get(path, {})))
    return out


def test_roles_follow_the_plan_kinds() -> None:
    paths = ("vlan-dev", "gre", "vxlan")
    assert [stacked.path_of(p) for p in PLAN] == stacked.roles(len(PLAN), paths)
    assert sum(1 for p in PLAN if p.vlans) == stacked.PACKETS_PER_PATH
    assert all(not p.vlans for p in PLAN if p.encap)
    assert stacked.plan_kinds(("gre",)) == stacked.INNER_KINDS


def test_seven_two_kernel_verdicts() -> None:
    rows = judge(PLAN, ("vlan-dev", "gre", "vxlan"), good(PLAN))
    got = {k: r.verdict for k, r in rows.items()}
    assert got == {("vlan-dev", "meta"): "pass", ("vlan-dev", "hash"): "pass",
                   # the VLAN device stands for the tag: nothing to carry, the row shows
                   # the consumed tag as expected-unsupported (every packet -ENODATA)
                   ("vlan-dev", "vlan"): "expected-unsupported",
                   ("gre", "meta"): "expected-unsupported",
                   ("gre", "hash"): "expected-unsupported",
                   ("vxlan", "meta"): "expected-unsupported",
                   ("vxlan", "hash"): "expected-unsupported"}
    assert rows["gre", "meta"].checked == stacked.PACKETS_PER_PATH
    sw = judge(SW_PLAN, ("vlan-dev-sw",), good(SW_PLAN, {"vlan-dev": "vlan-dev-sw"}),
               replace(SID, vlan_strip=False))
    assert {k: r.verdict for k, r in sw.items()} == {
        ("vlan-dev-sw", "meta"): "pass", ("vlan-dev-sw", "hash"): "pass",
        ("vlan-dev-sw", "vlan"): "expected-unsupported"}


def test_kernel_that_keeps_tunnel_metadata_fails_table_needs_updating() -> None:
    intact = {p: {"meta_found": True, "dynptr_meta_found": True} for p in ("gre", "vxlan")}
    recs = []
    for p in PLAN:
        r = stk_rec(p, stacked.path_of(p))
        if p.encap:
            m = tc_chain.expected_meta(xdp_rec(p))
            r.update(intact[p.encap["type"]], meta=m, dynptr_meta=dict(m))
        recs.append(r)
    rows = judge(PLAN, ("vlan-dev", "gre", "vxlan"), recs)
    for path in ("gre", "vxlan"):
        row = rows[path, "meta"]
        assert row.verdict == "fail" and "table needs updating" in row.detail


@pytest.mark.parametrize("path,over,field", [
    ("vlan-dev", {"meta_found": False, "meta": None}, "meta"),  # VLAN decap lost it
    ("vlan-dev", {"dynptr_rc": -22}, "meta"),  # the dynptr view differs
    ("vlan-dev", {"skb_hash": 0}, "hash"),  # the NIC hash did not carry over
    ("vlan-dev", {"skb_vlan_present": True, "skb_vlan_tci": 100}, "vlan"),
    ("gre", {"skb_hash": 0x1234}, "hash"),  # a hash where the L3 one must be cleared
    ("gre", {"meta_len": 0, "meta_found": False, "meta": None}, "meta"),  # cleared
    ("vxlan", {"skb_hash": 0}, "hash"),  # the outer L4 hash must survive
])
def test_wrong_observations_fail(path: str, over: dict, field: str) -> None:
    rows = judge(PLAN, ("vlan-dev", "gre", "vxlan"), good(PLAN, **{path: over}))
    assert rows[path, field].verdict == "fail", rows[path, field].detail


def test_vxlan_outer_l3_hash_is_cleared() -> None:
    """UDP hashed over the addresses only (an L3 hash): cleared like GRE's."""
    l3 = replace(SID, hash_fields={"udp4": TWO_TUPLE, "udp6": TWO_TUPLE})
    rows = judge(PLAN, ("vlan-dev", "gre", "vxlan"), good(PLAN, vxlan={"skb_hash": 0}), l3)
    assert rows["vxlan", "hash"].verdict == "expected-unsupported"
    rows = judge(PLAN, ("vlan-dev", "gre", "vxlan"), good(PLAN), l3)
    assert rows["vxlan", "hash"].verdict == "fail"


def test_virtio_pass_hash_bug_shows_through_the_vxlan_decap() -> None:
    """virtio-net's skb has no hash after XDP_PASS (known bug): the VXLAN row is
    known-bug with 0; the outer flow's hash (the bug gone) fails: table needs updating."""
    virtio = replace(SID, driver="virtio_net", hash_report=True)
    vx = [p for p in PLAN if p.encap and p.encap["type"] == "vxlan"]
    rows = judge(vx, ("vxlan",), good(vx, vxlan={"skb_hash": 0}), virtio)
    assert rows["vxlan", "hash"].verdict == "known-bug"
    rows = judge(vx, ("vxlan",), good(vx), virtio)
    assert rows["vxlan", "hash"].verdict == "fail"
    assert "table needs updating" in rows["vxlan", "hash"].detail


def test_inner_flow_hash_on_vxlan_fails() -> None:
    """The upper skb's hash is the outer flow's on 7.2: the inner flow's Toeplitz is not."""
    recs = []
    for p in PLAN:
        r = stk_rec(p, stacked.path_of(p))
        if p.encap and p.encap["type"] == "vxlan":
            r["skb_hash"] = nic_hash(SID, p)[0]
        recs.append(r)
    assert judge(PLAN, ("vlan-dev", "gre", "vxlan"), recs)["vxlan", "hash"].verdict == "fail"


def test_rows_show_the_stack_hash() -> None:
    st = stacked.Stack(FakeGuest(), ("gre",))  # type: ignore[arg-type]
    gre = [p for p in PLAN if p.encap and p.encap["type"] == "gre"]
    obs = stacked.canonical([xdp_rec(p) for p in gre] + good(gre), {13: "gre"})
    rows = compare("igc", SID, gre, obs, paths=["gre"])
    st.annotate(rows, obs)
    hash_row = next(r for r in rows if r.field == "hash")
    assert "differs from skb->hash for 8/8, e.g. 0x00000077" in hash_row.detail


def test_records_of_other_devices_are_left_out() -> None:
    obs = stacked.canonical([stk_rec(PLAN[0], "vlan-dev", ifindex=99)], UPPERS)
    assert obs == []
    obs = stacked.canonical([stk_rec(PLAN[0], "vlan-dev")], UPPERS)
    assert obs[0]["point"] == "vlan-dev" and obs[0]["meta_ok"] == "no-xdp-record"


def test_runs_and_rows() -> None:
    assert runs.invocations(["vlan-dev", "gre", "vxlan", "vlan-dev-sw"]) == {
        "stacked": ["vlan-dev", "gre", "vxlan"], "stacked-sw": ["vlan-dev-sw"]}
    assert runs.oracle_paths("stacked-sw", ["vlan-dev-sw"]) == ["vlan-dev-sw"]
    assert "vlan-dev-sw" in OPT_IN_PATHS and "gre" in DEFAULT_PATHS
    keys = runs.row_keys(STACKED_PATHS)
    assert len(keys) == 10 and ("gre", "vlan") not in keys and ("vxlan", "hash") in keys


def test_stack_setup_refuses_per_path() -> None:
    g = FakeGuest(rxvlan="off [fixed]")
    st = stacked.Stack(g, ("vlan-dev", "gre", "vxlan"))  # type: ignore[arg-type]
    sent = st.adapt(make_plan(24, MAC, kinds=stacked.plan_kinds(st.paths)))
    assert st.up() == ["xhgre0", "xhvx0"]
    assert set(st.refused) == {"vlan-dev"} and "[fixed]" in st.refused["vlan-dev"]
    assert sorted(st.uppers.values()) == ["gre", "vxlan"]  # type: ignore[union-attr]
    assert sorted(stacked.path_of(p) for p in st.keep(sent)) == ["gre"] * 8 + ["vxlan"] * 8
    g2 = FakeGuest(fail="vxlan")
    st2 = stacked.Stack(g2, ("gre", "vxlan"))  # type: ignore[arg-type]
    assert st2.up() == ["xhgre0"] and "not supported" in st2.refused["vxlan"]
    st2.down()
    # undone in one ip -batch, last step first
    assert "ip -force -batch -" in g2.cmds[-1]
    assert g2.cmds[-1].index("'addr del 198.51.100.1/24 dev eth1'") \
        < g2.cmds[-1].index("'link del xhvx0'") < g2.cmds[-1].index("'link del xhgre0'")
