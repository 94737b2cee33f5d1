# SPDX-License-Identifier: GPL-2.0-or-later
"""Host-side view of the emulated igc NIC, over QMP (QOM properties of the device).

The device (``-device igc,netdev=N,mac=M,id=ID``) exposes:

==================  =====  ==========================================================
property            mode   meaning
==================  =====  ==========================================================
``rss-key``         r      40-byte Toeplitz key as programmed in RSSRK (hex string)
``reta``            r      JSON list of the 128 RETA entries as programmed
``stats``           r      JSON object: per-queue ``rx_packets/rx_bytes/rx_drops/
                           tx_packets/tx_bytes`` lists + error counters
``rx-log``          r/w    JSON list of the metadata of the last 256 frames delivered
                           (``seq, queue, len, hash, rss_type, vlan_stripped, vlan_tci,
                           ts_valid, ts_ns, ts1_ns``: timers 0 and 1 at the stamp);
                           write ``"clear"`` to empty it
``clock-mode``      r/w    ``"realtime"`` (the timers follow the guest clock) or
                           ``"deterministic"`` (frozen; each timer advances by its
                           step per timestamped frame)
``systim-ns``       r/w    SYSTIM (timer 0, the one the driver adjusts) in ns
``clock-step-ns``   r/w    timer 0 step per timestamped frame in deterministic mode
``systim1-ns``      r/w    SYSTIM_1 (timer 1, free running) in ns
``clock1-step-ns``  r/w    timer 1 step per timestamped frame in deterministic mode
``fault-skip-ts``   r/w    the next N frames are delivered without an RX timestamp
``filters-off``     r/w    test fault: nonzero ignores the receive queue filters
``rx-faults``       r/w    ``"<flags>:<hex>;..."``: frames containing the bytes <hex> get
                           the faults <flags> (``t`` no RX timestamp, ``r`` RSS type
                           none and hash 0, ``c`` checksum error bit: L4E, or IPE
                           without an L4 check); read back with ``=<hits>`` per entry;
                           ``""`` clears
==================  =====  ==========================================================

``rss_type`` values are the I225 writeback codes (1 TCPv4, 2 IPv4, 3 TCPv6, 5 IPv6,
7 UDPv4, 8 UDPv6, 0 none); :data:`RSS_TYPE_NAMES` maps them.  Timestamps in the log
are the raw SYSTIM values the model wrote into the 16-byte header; the Linux driver
subtracts its RX latency (1485 ns at 2500 Mb/s) before handing them to the stack
and to the ``rx_timestamp`` kfunc: see :data:`harness.oracle.nic_model.IGC_RX_LATENCY_NS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.oracle.uapi import (
    XDP_RSS_L3_DYNHDR,
    XDP_RSS_L3_IPV4,
    XDP_RSS_L3_IPV6,
    XDP_RSS_L4,
    XDP_RSS_L4_TCP,
    XDP_RSS_L4_UDP,
)

RSS_TYPE_NAMES = {
    0: "none", 1: "tcp-ipv4", 2: "ipv4", 3: "tcp-ipv6", 4: "ipv6-ex", 5: "ipv6",
    6: "tcp-ipv6-ex", 7: "udp-ipv4", 8: "udp-ipv6", 9: "udp-ipv6-ex",
}
# enum xdp_rss_hash_type values the igc driver reports for each writeback code
XDP_RSS_TYPE = {
    0: 0,
    1: XDP_RSS_L3_IPV4 | XDP_RSS_L4 | XDP_RSS_L4_TCP,
    2: XDP_RSS_L3_IPV4,
    3: XDP_RSS_L3_IPV6 | XDP_RSS_L4 | XDP_RSS_L4_TCP,
    4: XDP_RSS_L3_IPV6 | XDP_RSS_L3_DYNHDR,
    5: XDP_RSS_L3_IPV6,
    6: XDP_RSS_L3_IPV6 | XDP_RSS_L3_DYNHDR | XDP_RSS_L4 | XDP_RSS_L4_TCP,
    7: XDP_RSS_L3_IPV4 | XDP_RSS_L4 | XDP_RSS_L4_UDP,
    8: XDP_RSS_L3_IPV6 | XDP_RSS_L4 | XDP_RSS_L4_UDP,
    9: XDP_RSS_L3_IPV6 | XDP_RSS_L3_DYNHDR | XDP_RSS_L4 | XDP_RSS_L4_UDP,
}

#: rx-faults letters: no RX timestamp, RSS type none, checksum error bit
FAULT_LETTERS = {"ts": "t", "rss": "r", "csum": "c"}


@dataclass(frozen=True)
class RxRecord:
    """Metadata of one frame the model delivered into a guest RX ring."""

    seq: int
    queue: int
    len: int
    hash: int
    rss_type: int
    vlan_stripped: bool
    vlan_tci: int
    ts_valid: bool
    ts_ns: int
    ts1_ns: int = 0     # timer 1 (builds before the second timer have no such key)

    @property
    def rss_type_name(self) -> str:
        return RSS_TYPE_NAMES.get(self.rss_type, f"reserved-{self.rss_type}")

    @property
    def xdp_rss_type(self) -> int:
        return XDP_RSS_TYPE.get(self.rss_type, 0)


class IgcModel:
    """QOM hooks of one igc device.

    ``command`` is a QMP command callable ``command(name, **args) -> result`` such as
    :meth:`harness.vm.qmp.Qmp.command`; ``qdev_id`` is the ``id=`` of the device.
    """

    def __init__(self, command: Callable[..., Any], qdev_id: str) -> None:
        self._cmd = command
        self.path = qdev_id if qdev_id.startswith("/") else f"/machine/peripheral/{qdev_id}"

    def _get(self, prop: str) -> Any:
        return self._cmd("qom-get", path=self.path, property=prop)

    def _set(self, prop: str, value: Any) -> None:
        self._cmd("qom-set", path=self.path, property=prop, value=value)

    # RSS state as the guest driver programmed it
    def rss_key(self) -> bytes:
        return bytes.fromhex(self._get("rss-key"))

    def reta(self) -> list[int]:
        return json.loads(self._get("reta"))

    # counters and the delivered-frame log
    def stats(self) -> dict[str, Any]:
        return json.loads(self._get("stats"))

    def rx_log(self) -> list[RxRecord]:
        return [RxRecord(**e) for e in json.loads(self._get("rx-log"))]

    def clear_rx_log(self) -> None:
        self._set("rx-log", "clear")

    # clock
    def systim_ns(self) -> int:
        return int(self._get("systim-ns"))

    def set_systim_ns(self, ns: int) -> None:
        self._set("systim-ns", int(ns))

    def clock_mode(self) -> str:
        return self._get("clock-mode")

    def set_deterministic(self, start_ns: int, step_ns: int,
                          timer1: tuple[int, int] | None = None) -> None:
        """Freeze SYSTIM at ``start_ns``; each timestamped frame advances it by ``step_ns``.

        ``timer1`` = (start, step) does the same for timer 1 (SYSTIM_1), so that a read
        of the wrong timer gives a different value; without it timer 1 freezes where it is.
        """
        self._set("clock-mode", "deterministic")
        self._set("clock-step-ns", int(step_ns))
        self._set("systim-ns", int(start_ns))
        if timer1 is not None:
            self._set("clock1-step-ns", int(timer1[1]))
            self._set("systim1-ns", int(timer1[0]))

    def systim1_ns(self) -> int:
        return int(self._get("systim1-ns"))

    def set_realtime(self) -> None:
        self._set("clock-mode", "realtime")

    # fault injection
    def skip_timestamps(self, n: int) -> None:
        """Deliver the next ``n`` frames without an RX timestamp."""
        self._set("fault-skip-ts", int(n))

    def pending_timestamp_skips(self) -> int:
        return int(self._get("fault-skip-ts"))

    def set_filters_off(self, off: bool) -> None:
        """Test fault: the model ignores (True) or applies the receive queue filters."""
        self._set("filters-off", int(off))

    def set_rx_faults(self, faults: Mapping[bytes, Iterable[str]]) -> None:
        """Fault every frame containing a pattern: {pattern: {"ts", "rss", "csum"}}."""
        self._set("rx-faults", ";".join(
            "".join(FAULT_LETTERS[f] for f in sorted(fs)) + ":" + pat.hex()
            for pat, fs in faults.items() if fs))

    def rx_faults(self) -> dict[bytes, tuple[frozenset[str], int]]:
        """{pattern: (faults, frames hit)} as the model holds them."""
        out: dict[bytes, tuple[frozenset[str], int]] = {}
        names = {v: k for k, v in FAULT_LETTERS.items()}
        for entry in filter(None, self._get("rx-faults").split(";")):
            flags, rest = entry.split(":", 1)
            pat, hits = rest.split("=", 1)
            out[bytes.fromhex(pat)] = (frozenset(names[c] for c in flags), int(hits))
        return out
