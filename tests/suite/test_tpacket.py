# SPDX-License-Identifier: GPL-2.0-or-later
"""The tpacket path's observations and the invocation it rides on (the guest's ring
reader, guest-bpf/xh_stamps.c, is tested on the host: tests/artifacts/test_bpf_build.py)."""

from __future__ import annotations

from harness.oracle import ENODATA
from harness.suite import runs, tpacket


def test_tpacket_observations_and_runs() -> None:
    obs = tpacket.observations({3: 5, 4: None})
    assert obs == [{"point": "tpacket", "id": 3, "rx_ts_rc": 0, "rx_ts": 5},
                   {"point": "tpacket", "id": 4, "rx_ts_rc": ENODATA, "rx_ts": 0}]
    assert runs.invocations(["tpacket"]) == {"skb": ["tpacket"]}
    assert runs.invocations(["xdp-late", "xdp"]) == {"pass": ["xdp", "xdp-late"]}
    assert runs.RUNS["pass"].observe_args(["xdp", "xdp-late"]) == {"late_hints": True}
    assert runs.RUNS["pass"].observe_args(["xdp", "pass"]) == {}
    assert runs.RUNS["pass-bare"].observe_args(["pass-bare"]) == {"no_meta": True}
