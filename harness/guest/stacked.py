# SPDX-License-Identifier: GPL-2.0-or-later
"""Stacked devices and tunnels on the test NIC: set-up in the guest, the plan's
frames, and the reader's records judged against what the XDP program wrote.

The NIC's XDP program writes struct xh_meta and passes the frame (runner
``--upper``: it finds the id inside GRE and VXLAN frames too); the reader
``xh_stk_read`` (guest-bpf/xh_stacked.bpf.c) on the tcx ingress of each upper
device records the upper skb (point ``stacked``): the metadata through
``data_meta`` and the skb-meta dynptr, ``skb->hash`` as the upper device got it,
its VLAN fields, and ``bpf_get_hash_recalc()`` (``hash_recalc``, the hash the
stack would use: the software flow hash of the inner flow where skb->hash was 0).

Oracle paths (one upper device kind each):

``vlan-dev``     VLAN sub-interfaces IF.<vid> (harness.nics.base.PLAN_VIDS) with
                 rx-vlan-offload on: the NIC strips the tag (802.1Q frames)
``vlan-dev-sw``  the same with rx-vlan-offload off: the stack untags
                 (skb_vlan_untag) before vlan_do_receive
``gre``          a gretap device (GRE, protocol TEB): the host sends Ethernet frames
                 in GRE in IPv4 to the NIC's address
``vxlan``        a VXLAN device (VNI 42, UDP 4789)

The ``meta`` field is the status word of harness.guest.tc_chain.status (``intact``,
``corrupted``, ``cleared``, ``dynptr-differs``); ``hash`` and ``vlan`` read the skb
as at the other skb points (harness.guest.records).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.guest import tc_chain
from harness.guest.records import ID_KEY, POINT_KEY, from_runner
from harness.traffic.packets import SentPacket, encapsulate

if TYPE_CHECKING:
    from harness.nics.base import GuestNic
    from harness.oracle import Facts
    from harness.verdict.compare import Row

POINT = "stacked"
#: every oracle path of the stacked devices
PATHS: tuple[str, ...] = ("vlan-dev", "vlan-dev-sw", "gre", "vxlan")
#: paths whose upper device is a VLAN device (vlan field observed)
VLAN_PATHS = frozenset({"vlan-dev", "vlan-dev-sw"})
#: the tunnels' outer addresses: the host's end, the NIC's address in the guest
OUTER_HOST_IP = "198.51.100.2"
OUTER_GUEST_IP = "198.51.100.1"
OUTER_PREFIX = 24
OUTER_HOST_MAC = "02:58:44:50:00:02"
VXLAN_VNI = 42
GRE_DEV = "xhgre0"
VXLAN_DEV = "xhvx0"
#: packet kinds of the plan, per path (the inner frame of a tunnelled packet)
INNER_KINDS = ("ipv4-udp-untagged", "ipv4-tcp-untagged", "ipv6-udp-untagged",
               "ipv6-tcp-untagged")
VLAN_KINDS = ("ipv4-udp-dot1q", "ipv4-tcp-dot1q", "ipv6-udp-dot1q", "ipv6-tcp-dot1q")
KINDS_OF_PATH: dict[str, tuple[str, ...]] = {"vlan-dev": VLAN_KINDS, "vlan-dev-sw": VLAN_KINDS,
                                             "gre": INNER_KINDS, "vxlan": INNER_KINDS}
#: packets per path and plan
PACKETS_PER_PATH = 8


class StackRefused(HarnessError):
    """The guest cannot make this upper device (or the offload setting): the rows skip."""


def path_of(pkt: SentPacket) -> str:
    """The stacked path a packet of the plan is for (``vlan-dev`` for a tagged one; a
    plan of run ``stacked-sw`` judges those as ``vlan-dev-sw``)."""
    return pkt.encap["type"] if pkt.encap else "vlan-dev"


def plan_kinds(paths: Sequence[str]) -> tuple[str, ...]:
    """make_plan kinds for ``paths`` (in PATHS order): their kinds, one after the other,
    so packet i is for path ``paths[(i % len) // 4]`` (:func:`roles`)."""
    return tuple(k for p in PATHS if p in paths for k in KINDS_OF_PATH[p])


def roles(n: int, paths: Sequence[str]) -> list[str]:
    """The path of each of ``n`` plan packets made with :func:`plan_kinds`."""
    order = [p for p in PATHS if p in paths for _ in KINDS_OF_PATH[p]]
    return [order[i % len(order)] for i in range(n)]


@dataclass
class Stack:
    """The upper devices of one runner invocation on the NIC ``g`` (``paths``: the
    oracle paths asked for, a subset of :data:`PATHS`)."""

    g: GuestNic
    paths: tuple[str, ...]
    uppers: dict[int, str] | None = None  # ifindex -> path, once up
    refused: dict[str, str] = field(default_factory=dict)  # path -> why it cannot run
    role: dict[int, str] = field(default_factory=dict)  # packet id -> its path (adapt)
    _undo: list[str] | None = None  # shell commands (ethtool)
    _undo_ip: list[str] = field(default_factory=list)  # ip -batch lines, in set-up order
    rxvlan_before: str | None = None

    def _sh(self, cmd: str) -> tuple[int, str]:
        r = self.g.sh(cmd, timeout=60)
        return r.rc, (r.stderr or r.stdout).strip()

    def _rxvlan(self, on: bool) -> None:
        """rx-vlan-offload as asked, or StackRefused (fixed, or the driver refused)."""
        q = self.g.qifname
        state = self._sh(f"ethtool -k {q} | grep '^rx-vlan-offload:'")[1]
        self.rxvlan_before = state.split(":", 1)[-1].split()[0] if ":" in state else None
        want = "on" if on else "off"
        if self.rxvlan_before == want:
            return
        if "[fixed]" in state:
            raise StackRefused(f"{self.g.ifname}: rx-vlan-offload is {self.rxvlan_before} "
                               "[fixed]: cannot turn it " + want)
        rc, err = self._sh(f"ethtool -K {q} rxvlan {want}")
        if rc != 0:
            raise StackRefused(f"{self.g.ifname}: ethtool -K rxvlan {want} failed: {err}")
        assert self._undo is not None
        self._undo.append(f"ethtool -K {q} rxvlan {self.rxvlan_before}")

    def up(self) -> list[str]:
        """Set rx-vlan-offload and make the upper devices in one guest script (one
        ``ip -batch`` per path); their names.  A path whose set-up fails lands in
        :attr:`refused` with the reason (its rows skip), the others go on."""
        from harness.nics.base import PLAN_VIDS

        self._undo, self._undo_ip, self.refused = [], [], {}
        # path -> (devices, shell lines printing its ip -batch commands)
        blocks: dict[str, tuple[list[str], list[str]]] = {}
        vlan = [p for p in self.paths if p in VLAN_PATHS]
        if vlan:
            try:
                self._rxvlan(vlan[0] == "vlan-dev")
                devs = [f"{self.g.ifname}.{vid}" for vid in PLAN_VIDS]
                blocks[vlan[0]] = (devs, [
                    f"[ -e /sys/class/net/{shlex.quote(d)} ] || echo "
                    f"{shlex.quote(f'link add link {self.g.ifname} name {d} type vlan id {vid}')}"
                    for d, vid in zip(devs, PLAN_VIDS, strict=True)])
                self._undo_ip += [f"link set {d} down" for d in devs]
            except StackRefused as e:
                self.refused[vlan[0]] = str(e)
        addr = f"{OUTER_GUEST_IP}/{OUTER_PREFIX}"
        tunnels = {"gre": (GRE_DEV, f"gretap local {OUTER_GUEST_IP} remote {OUTER_HOST_IP}"),
                   "vxlan": (VXLAN_DEV, f"vxlan id {VXLAN_VNI} local {OUTER_GUEST_IP} "
                                        f"dstport 4789 dev {self.g.ifname}")}
        for p, (dev, how) in tunnels.items():
            if p in self.paths:
                blocks[p] = ([dev], [
                    f"echo {shlex.quote(f'addr replace {addr} dev {self.g.ifname}')}",
                    f"echo {shlex.quote(f'link add {dev} type {how}')}"])
                self._undo_ip.append(f"link del {dev}")
        if any(p in tunnels for p in self.paths):
            self._undo_ip.append(f"addr del {addr} dev {self.g.ifname}")
        script = []
        for p, (devs, lines) in blocks.items():
            lines = [*lines, *(f"echo {shlex.quote(f'link set {d} up')}" for d in devs)]
            script.append(f"if {{ {'; '.join(lines)}; }} | ip -batch - >/dev/null "
                          f"2>/tmp/xh-stk.err; then "
                          f"for d in {' '.join(shlex.quote(d) for d in devs)}; do "
                          f"read -r i < /sys/class/net/$d/ifindex; echo \"UP {p} $d $i\"; "
                          f"done; else printf 'FAIL {p} '; tr '\\n' ' ' </tmp/xh-stk.err; "
                          f"echo; fi")
        self.uppers = {}
        out = self.g.sh("; ".join(script), timeout=120).stdout if script else ""
        names = []
        for line in out.splitlines():
            word, _, rest = line.partition(" ")
            path, _, rest = rest.partition(" ")
            if word == "FAIL":
                self.refused[path] = f"cannot make the {path} upper device: {rest.strip()}"
            elif word == "UP" and len(rest.split()) == 2 and rest.split()[1].isdigit():
                dev, idx = rest.split()
                self.uppers[int(idx)] = path
                names.append(dev)
        for p in blocks:
            if p not in self.refused and p not in self.uppers.values():
                self.refused[p] = f"set-up of the {p} upper device reported nothing: {out!r}"
        return names

    def down(self) -> None:
        """Undo :meth:`up` (last step first, one guest command: the ip commands in one
        ``ip -force -batch``); best effort."""
        cmds = []
        if self._undo_ip:
            lines = " ".join(shlex.quote(c) for c in reversed(self._undo_ip))
            cmds.append(f"printf '%s\\n' {lines} | ip -force -batch - >/dev/null 2>&1")
        cmds += reversed(self._undo or [])
        if cmds:
            self.g.sh("; ".join(cmds), timeout=120)
        self._undo, self._undo_ip = [], []

    def adapt(self, plan: list[SentPacket]) -> list[SentPacket]:
        """The plan as sent: packet i for path ``roles()[i]``; tunnel packets wrapped in
        their outer headers to the NIC's MAC and address."""
        out = []
        for pkt, path in zip(plan, roles(len(plan), self.paths), strict=True):
            self.role[pkt.id] = path
            if path in ("gre", "vxlan"):
                pkt = encapsulate(pkt, path, src_mac=OUTER_HOST_MAC, dst_mac=pkt.dst_mac,
                                  src_ip=OUTER_HOST_IP, dst_ip=OUTER_GUEST_IP, vni=VXLAN_VNI)
            out.append(pkt)
        return out

    def facts(self, facts: Facts) -> Facts:
        """The run's facts with rx-vlan-offload as :meth:`up` set it."""
        vlan = [p for p in self.paths if p in VLAN_PATHS]
        return replace(facts, vlan_strip=vlan[0] == "vlan-dev") if vlan else facts

    def annotate(self, rows: list[Row], observations: Iterable[Mapping[str, Any]]) -> None:
        """Add to each stacked hash row the hash the stack uses on the upper skb
        (``hash_recalc``: the software flow hash of the inner flow where skb->hash was 0)
        and whether it differs from the skb's own."""
        for row in rows:
            if row.path not in PATHS or row.field != "hash":
                continue
            recs = [o for o in observations if o.get(POINT_KEY) == row.path
                    and o.get("hash_recalc") is not None]
            if recs:
                # after the counts, before the reasons (the view lists what follows
                # "as expected" as reasons)
                own = sum(1 for o in recs if o["hash_recalc"] != o.get("rx_hash"))
                head, sep, rest = row.detail.partition("; ")
                row.detail = (f"{head}; upper skb's hash the stack uses "
                              f"(bpf_get_hash_recalc) differs from skb->hash for "
                              f"{own}/{len(recs)}, e.g. 0x{recs[0]['hash_recalc']:08x}"
                              f"{sep}{rest}")

    def keep(self, plan: list[SentPacket]) -> list[SentPacket]:
        """The packets of ``plan`` (from :meth:`adapt`) for paths not refused."""
        return [p for p in plan if self.role.get(p.id) not in self.refused]

    def canonical(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """:func:`canonical` with this stack's ifindex -> path map."""
        return canonical(records, self.uppers or {})


def canonical(records: Iterable[Mapping[str, Any]],
              uppers: Mapping[int, str]) -> list[dict[str, Any]]:
    """Records with every ``stacked`` one replaced by its observation of the path its
    device (``ifindex``) stands for: skb view as at ``tc``, ``meta_ok`` the status word
    against the packet's XDP record, ``meta_detail`` why; records of other devices
    are left out (not a path of this run)."""
    recs = list(records)
    xdp = {int(r[ID_KEY]): r for r in recs if r.get(POINT_KEY) == "xdp"}
    out: list[dict[str, Any]] = []
    for r in recs:
        if r.get(POINT_KEY) != POINT:
            out.append(dict(r))
            continue
        path = uppers.get(int(r.get("ifindex") or 0))
        if path is None:
            continue
        obs = from_runner(r, {POINT: path})
        word, detail = tc_chain.status(r, xdp.get(int(r[ID_KEY])))
        obs["meta_ok"] = word
        obs["meta_detail"] = detail
        obs["hash_recalc"] = r.get("hash_recalc")
        out.append(obs)
    return out
