# SPDX-License-Identifier: GPL-2.0-or-later
"""veth as the NIC under test: a pair inside the guest, frames written into its peer
from a packet socket there.  veth implements all three RX metadata kfuncs with
software values.

Tagged frames go two ways (alternating per packet kind, see :func:`mark_oob`):
inline, written with their tags to the peer itself (the kfunc has no tag:
-ENODATA), or out of band, written without the outer tag to a VLAN device on the
peer (802.1Q for single tags, 802.1ad for QinQ outer tags, as the kernel's
``xdp_metadata`` selftest does): the VLAN device puts the tag into
``skb->vlan_tci``/``vlan_proto``, veth hands that skb to XDP and the kfunc
returns it.  The tag's PCP comes from the socket's ``SO_PRIORITY`` through the
VLAN device's identity egress-qos-map; DEI cannot be set that way
(``vlan_dev_set_egress_priority`` keeps only the PCP bits), so an out-of-band
tag's ground truth has DEI clear (the plan sets it on every other packet; the
inline tags keep it).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from harness.guest.runner import RunnerError
from harness.nics.base import STACKED_CLI_PATHS, GuestNic, NicKind
from harness.traffic.packets import ETH_P_8021AD, ETH_P_8021Q

if TYPE_CHECKING:
    from harness.traffic.packets import SentPacket

#: VLAN device protocol names (``ip link add ... type vlan proto``)
VLAN_PROTO = {ETH_P_8021Q: ("802.1Q", "q"), ETH_P_8021AD: ("802.1ad", "ad")}
#: the TCI's drop eligible indicator
VLAN_DEI = 0x1000
#: skb->priority p -> PCP p
EGRESS_QOS_MAP = " ".join(f"{p}:{p}" for p in range(8))
#: frame lines up to this size go in the command (a here-document), bigger ones on stdin
#: (the guest shell parses the command twice, char by char: slow for big plans under TCG)
INLINE_FRAMES_MAX = 64 * 1024

def vlan_dev(tx_if: str, tpid: int, vid: int) -> str:
    """Name of the VLAN device on ``tx_if`` for (tpid, vid), e.g. ``xhn0.ad10``."""
    return f"{tx_if}.{VLAN_PROTO[tpid][1]}{vid}"


def mark_oob(plan: list[SentPacket]) -> list[SentPacket]:
    """Every other tagged packet of each kind (the 1st, 3rd, ...) goes out of band: its
    ``frame`` loses the outer tag, which the VLAN device will add as metadata (without
    DEI, which a VLAN device cannot set: the ground truth's outer TCI drops it)."""
    seen: dict[str, int] = {}
    out = []
    for p in plan:
        n = seen.get(p.kind, 0)
        seen[p.kind] = n + 1
        if p.vlans and p.vlans[0][0] in VLAN_PROTO and n % 2 == 0:
            (tpid, tci), rest = p.vlans[0], p.vlans[1:]
            p = replace(p, frame=p.frame[:12] + p.frame[16:], vlan_oob=True,
                        vlans=[(tpid, tci & ~VLAN_DEI), *rest])
        out.append(p)
    return out


class Veth(NicKind):
    name = "veth"
    driver = "veth"
    module = "veth"
    qemu_device = None
    summary = "a veth pair inside the guest (software metadata; tags inline and out of band)"
    paths = tuple(p for p in NicKind.paths if p not in STACKED_CLI_PATHS)

    def why_not(self, path: str) -> str:
        if path in STACKED_CLI_PATHS:
            return ("veth: its frames are written into the peer by packet sockets in the "
                    "guest, some tags out of band (mark_oob); the stacked paths test what a "
                    "NIC's driver hands an upper device from the wire")
        return super().why_not(path)

    def attach(self, g: GuestNic) -> None:
        g.ifname, g.tx_if = g.runner.veth_nic()

    def prepare(self, g: GuestNic) -> None:
        """No VLAN filters: frames come from packet sockets on the peer."""

    def extra_facts(self, g: GuestNic) -> dict[str, Any]:
        # veth never strips: inline tags stay in the data (rx-vlan-offload only means it
        # passes hwaccel tags through); its RSS key is no NIC's
        return {"vlan_strip": False}

    def adapt_plan(self, plan: list[SentPacket]) -> list[SentPacket]:
        return mark_oob(plan)

    def send(self, g: GuestNic, plan: Sequence[SentPacket], gap_s: float) -> None:
        lines, devs = [], {}
        for p in plan:
            ifname, prio = g.tx_if, 0
            if p.vlan_oob:
                tpid, tci = p.vlans[0]
                ifname, prio = vlan_dev(g.tx_if, tpid, tci & 0xFFF), tci >> 13
                devs[ifname] = (tpid, tci & 0xFFF)
            lines.append(f"{ifname} {prio} {p.frame.hex()}\n")
        tx = shlex.quote(g.tx_if)
        # the VLAN devices (made once, then kept) and the send: one round trip
        mk = "".join(
            f"{{ [ -e /sys/class/net/{shlex.quote(d)} ] || {{ ip link add link {tx} "
            f"name {shlex.quote(d)} type vlan proto {VLAN_PROTO[tpid][0]} id {vid} "
            f"egress-qos-map {EGRESS_QOS_MAP} && ip link set {shlex.quote(d)} up; }}; }} && "
            for d, (tpid, vid) in sorted(devs.items()))
        data = "".join(lines)
        send = f"{mk}{g.runner.tools} send {gap_s}"
        if len(data) <= INLINE_FRAMES_MAX:  # in the command: the long-lived shell takes it
            r = g.vm.ssh.run(f"{send} <<'XH_FRAMES'\n{data}XH_FRAMES",
                             timeout=120 + len(data) // 1000)
        else:  # stdin: an exec channel of its own (~75 ms of guest CPU to open)
            r = g.vm.ssh.run(send, timeout=120 + len(data) // 1000, stdin=data.encode())
        if r.rc != 0:
            raise RunnerError(f"sending frames in the guest on {g.tx_if} failed", stderr=r.stderr)


KIND = Veth()
