# SPDX-License-Identifier: GPL-2.0-or-later
"""The metadata size sweep's records, judged against what the XDP program wrote.

Runner ``run --meta-sweep`` (guest-bpf/xh_meta_sweep.h): the NIC's XDP program
writes a blob of 4, 8, 32, 64, 128 or 252 bytes (by packet id) into data_meta;
every consumer checks that exactly that blob arrived (data_meta, and at TC the
skb-meta dynptr too; AF_XDP, whose descriptor has no metadata length, the blob's
bytes in front of the frame).  :func:`canonical` turns the records of the consumers into
observations of path ``sizes:<path>``, field ``meta``, whose value is one word:

``intact``         exactly the blob, every word right (and the dynptr agrees)
``refused``        bpf_xdp_adjust_meta() returned an error (a clean failure) and
                   the consumer saw no metadata
``truncated``      less metadata than written arrived
``corrupted``      the length is right or longer, the words are not
``cleared``        the XDP program wrote it, the consumer saw none
``dynptr-differs`` data_meta intact, the dynptr view is not

:func:`summarize` adds the row summary: the largest size that arrived intact, and
how the larger ones failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.guest.records import ID_KEY, POINT_KEY, from_runner
from harness.oracle.paths import SWEEP_SIZES
from harness.verdict.compare import Row

#: runner point -> sizes:<path>
POINTS: dict[str, str] = {
    "tc": "sizes:pass", "veth_xdp": "sizes:veth", "veth_skb": "sizes:veth-skb",
    "cpumap": "sizes:cpumap", "cpumap_skb": "sizes:cpumap-skb", "xsk": "sizes:xsk",
}


def size_of(pid: int) -> int:
    """The blob size of packet ``pid`` (xh_sweep_size)."""
    return SWEEP_SIZES[pid % len(SWEEP_SIZES)]


def status(rec: Mapping[str, Any], xdp: Mapping[str, Any] | None) -> str:
    """The status word of one consumer record (see the module doc)."""
    size = size_of(int(rec[ID_KEY]))
    got = rec.get("meta_len") or 0
    if xdp is not None and xdp.get("adjust_meta_rc"):
        # AF_XDP has no metadata length: the reader looked for the blob and found none
        none = not rec.get("meta_found") if rec.get(POINT_KEY) == "xsk" else got == 0
        return "refused" if none else "corrupted"
    if rec.get("meta_found"):
        if rec.get("dynptr_rc") is not None and (rec.get("dynptr_rc")
                                                 or not rec.get("dynptr_meta_found")):
            return "dynptr-differs"
        return "intact"
    if got == 0:
        return "cleared"
    return "truncated" if got < size else "corrupted"


def canonical(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Consumer records as ``sizes:<path>`` observations (``meta_ok`` = status word,
    ``meta_size`` the size written, ``adjust_meta_rc`` the writer's result)."""
    recs = list(records)
    xdp = {int(r[ID_KEY]): r for r in recs if r.get(POINT_KEY) == "xdp"}
    out: list[dict[str, Any]] = []
    for r in recs:
        if r.get(POINT_KEY) not in POINTS:
            out.append(dict(r))
            continue
        obs = from_runner(r, POINTS)
        if r.get(POINT_KEY) == "xsk" and r.get("xsk_mode") == "zerocopy":
            obs[POINT_KEY] = "sizes:xsk-zc"
        pid = int(r[ID_KEY])
        obs["meta_ok"] = status(r, xdp.get(pid))
        obs["meta_size"] = size_of(pid)
        obs["adjust_meta_rc"] = (xdp.get(pid) or {}).get("adjust_meta_rc")
        out.append(obs)
    return out


def summary(observations: Iterable[Mapping[str, Any]], path: str) -> str:
    """``largest intact N; larger: S bytes refused (rc R) ...`` for one path."""
    by_size: dict[int, set[str]] = {}
    rcs: dict[int, set[int]] = {}
    for o in observations:
        if o.get(POINT_KEY) != path or "meta_size" not in o:
            continue
        by_size.setdefault(o["meta_size"], set()).add(str(o["meta_ok"]))
        if o.get("adjust_meta_rc"):
            rcs.setdefault(o["meta_size"], set()).add(o["adjust_meta_rc"])
    intact = [s for s, w in by_size.items() if w == {"intact"}]
    best = max(intact, default=0)
    larger = []
    for s in sorted(x for x in by_size if x > best):
        words = "/".join(sorted(by_size[s]))
        rc = f" (rc {','.join(str(x) for x in sorted(rcs.get(s, ())))})" if s in rcs else ""
        how = "cleanly" if by_size[s] == {"refused"} else "silently"
        larger.append(f"{s} {words}{rc}: failed {how}")
    return (f"largest intact {best} bytes" if best else "no size intact") + \
        ("; " + "; ".join(larger) if larger else "; every size intact")


def summarize(rows: list[Row], observations: Iterable[Mapping[str, Any]]) -> None:
    """Prefix each ``sizes:`` row's detail with its :func:`summary`."""
    obs = list(observations)
    for r in rows:
        if r.path.startswith("sizes:"):
            r.detail = f"{summary(obs, r.path)}; {r.detail}".rstrip("; ")
