# SPDX-License-Identifier: GPL-2.0-or-later
"""The TC helper chain's records, judged against what the XDP program wrote.

Runner ``run --tc-chain xh_tc_helpers.bpf.o`` (guest-bpf/xh_tc_helpers.bpf.c):
the NIC's XDP program writes struct xh_meta and passes the frame; at TC ingress
(tcx) ``xh_tch_apply`` calls one skb helper (packet id % len(TC_HELPERS)) and
``xh_tch_read``, next in the chain, records the metadata through ``data_meta``
and through ``bpf_dynptr_from_skb_meta()`` (point ``tc_helper``).

:func:`canonical` turns those records into observations of path
``tc:<helper>``, field ``meta``, whose value is one word (:data:`STATUSES`):

``intact``         data_meta holds exactly the struct the XDP program wrote for
                   this packet (every field the XDP record shows), and the dynptr
                   view, where the kernel has the kfunc, holds the same bytes
``corrupted``      data_meta is there but is not that struct (shifted, overwritten)
``cleared``        the kernel dropped the metadata (data_meta == data)
``dynptr-differs`` data_meta intact, the dynptr view is not (or its read failed)
``helper-failed``  the helper returned an error (nothing was tested)
``no-xdp-record``  nothing to compare with (the XDP record of the id is missing)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.guest.records import ID_KEY, KFUNC_KEYS, META_VERSION, POINT_KEY, from_runner
from harness.oracle.expectation import errname

POINT = "tc_helper"
STATUSES = ("intact", "corrupted", "cleared", "dynptr-differs", "helper-failed",
            "no-xdp-record")
#: keys of a ``meta`` object the XDP record predicts (magic and size: meta_found)
_FROM_XDP = (ID_KEY, "pkt_flags", *KFUNC_KEYS, "rx_queue", "ifindex")


def expected_meta(xdp: Mapping[str, Any]) -> dict[str, Any]:
    """The ``meta`` object a reader must find, from the NIC's XDP record of the packet."""
    return {"version": META_VERSION, **{k: xdp.get(k) for k in _FROM_XDP}}


def differing(meta: Mapping[str, Any] | None, want: Mapping[str, Any]) -> list[str]:
    """Keys of ``want`` that ``meta`` (a record's ``meta`` object) gets wrong."""
    if not meta:
        return ["magic/version/size"]
    return [k for k, v in want.items() if meta.get(k) != v]


def status(rec: Mapping[str, Any], xdp: Mapping[str, Any] | None) -> tuple[str, str]:
    """(status word, detail) of one ``tc_helper`` record against its XDP record."""
    rc = rec.get("helper_rc")
    if rc:
        return "helper-failed", f"{rec.get('helper')} rc={rc} ({errname(rc)})"
    if xdp is None:
        return "no-xdp-record", ""
    if not rec.get("meta_len"):
        return "cleared", f"meta_len {rec.get('meta_len')} (was {rec.get('meta_len_before')})"
    want = expected_meta(xdp)
    bad = differing(rec.get("meta") if rec.get("meta_found") else None, want)
    if bad:
        return "corrupted", f"data_meta ({rec.get('meta_len')} bytes): {', '.join(bad)} differ"
    if rec.get("dynptr_rc") is not None:
        if rec.get("dynptr_rc") or rec.get("dynptr_read_rc"):
            return "dynptr-differs", (f"dynptr rc={rec.get('dynptr_rc')} "
                                      f"read rc={rec.get('dynptr_read_rc')}")
        dbad = differing(rec.get("dynptr_meta") if rec.get("dynptr_meta_found") else None,
                         want)
        if dbad:
            return "dynptr-differs", f"dynptr view: {', '.join(dbad)} differ"
    return "intact", ""


def canonical(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records with every ``tc_helper`` one replaced by its observation of path
    ``tc:<helper>``: ``meta_ok`` is the status word, ``meta_detail`` says why."""
    recs = list(records)
    xdp = {int(r[ID_KEY]): r for r in recs if r.get(POINT_KEY) == "xdp"}
    out: list[dict[str, Any]] = []
    for r in recs:
        if r.get(POINT_KEY) != POINT:
            out.append(dict(r))
            continue
        obs = from_runner(r)
        word, detail = status(r, xdp.get(int(r[ID_KEY])))
        obs["meta_ok"] = word
        obs["meta_detail"] = detail
        out.append(obs)
    return out
