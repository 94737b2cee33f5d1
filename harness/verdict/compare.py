# SPDX-License-Identifier: GPL-2.0-or-later
"""Match guest observations to sent packets by id and judge them field by field.

The runner's records become canonical observations through
:func:`harness.guest.records.from_runner` (the record schema and the canonical
keys per field live there); a run whose points mean another path passes
``points`` (the ``tc`` records of a ``--no-meta`` run are path ``pass-bare``:
``compare(..., points={"tc": "pass-bare"})``).  Matching is by packet id, never by
order.  What each observation should show comes from the oracle
(harness.oracle.expect); how a met expectation reads (a pass, or a documented
loss) is the expectation's ``loss`` marker; a met ``bug`` expectation (a known
kernel bug's wrong value) makes the row ``known-bug``, and an observation that
meets the bug's ``right`` value instead fails ("table needs updating").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.guest import records
from harness.guest.records import ID_KEY, POINT_KEY, RUNNER_POINTS, from_runner
from harness.oracle import (
    FIELDS,
    NOT_OBSERVABLE,
    PATHS,
    Expectation,
    Facts,
    errname,
    expect,
    format_value,
)
from harness.traffic.packets import SentPacket

#: fields observed on some paths only (no row elsewhere)
FIELD_PATHS: dict[str, tuple[str, ...]] = {"queue": ("xdp",),
                                           "csum": ("xdp", "veth", "xsk", "xsk-zc", "skb",
                                                    "pass", "pass-bare", "veth-skb",
                                                    "cpumap-skb")}


def has_row(path: str, fld: str) -> bool:
    """Whether (path, field) gets a row: observed there, and observable at all."""
    return path in FIELD_PATHS.get(fld, (path,)) and (path, fld) not in NOT_OBSERVABLE


VERDICTS = ("pass", "fail", "expected-unsupported", "known-bug", "skip")
#: verdicts that do not fail a run
OK_VERDICTS = frozenset({"pass", "expected-unsupported", "known-bug", "skip"})
MAX_SHOWN = 5
#: the keys of a row's JSON form, first (then mismatches, missing, extra, duplicates, rules)
RESULT_KEYS = ("nic", "path", "field", "verdict", "checked", "matched", "detail")

Oracle = Callable[[Facts, SentPacket, str, str], Expectation]


@dataclass
class Row:
    """Verdict for one (nic, path, field)."""

    nic: str
    path: str
    field: str
    verdict: str
    checked: int = 0
    matched: int = 0
    detail: str = ""
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    #: why a row that is not a pass reads as it does, each reason once: the loss reasons
    #: (expected-unsupported), ``bug: why`` (known-bug), the skip reasons; [] for pass and
    #: fail and for rows made elsewhere (readers then fall back to ``detail``)
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (:data:`RESULT_KEYS` first, then the id lists, rules, reasons)."""
        d: dict[str, Any] = {k: getattr(self, k) for k in RESULT_KEYS}
        for k in ("mismatches", "missing", "extra", "duplicates", "rules", "reasons"):
            d[k] = list(getattr(self, k))
        return d


def id_ranges(ids: Iterable[int]) -> str:
    """``[1,2,3,7]`` -> ``"1-3,7"``."""
    out: list[str] = []
    s = sorted(set(ids))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[j] + 1:
            j += 1
        out.append(str(s[i]) if i == j else f"{s[i]}-{s[j]}")
        i = j + 1
    return ",".join(out)


def observed_of(rec: Mapping[str, Any], fld: str) -> tuple[int | None, Any, bool]:
    """(rc, value, reported) of ``fld`` in one record; reported=False if keys are absent."""
    keys = records.FIELD_KEYS[fld]
    if any(k not in rec for k in keys.values) or (
        keys.rc is not None and rec.get(keys.rc) is None  # absent, or kfunc not called
    ):
        return None, None, False
    rc = 0 if keys.rc is None else rec[keys.rc]
    vals = tuple(rec[k] for k in keys.values)
    return rc, vals[0] if len(vals) == 1 else vals, True


def describe_observed(fld: str, rc: int | None, val: Any) -> str:
    """Human form of an observation."""
    if rc is None:
        return "not reported"
    if rc != 0:
        return f"rc={rc} ({errname(rc)})"
    return format_value(fld, val)


def _loss_reason(exp: Expectation, fld: str) -> str:
    """Why a met expectation is a loss: its reason, after the rc or error it expects
    (a lost value's own value differs per packet: the reason alone)."""
    return exp.reason if exp.kind in ("value", "window") else f"{exp.describe(fld)}: {exp.reason}"


def judge(exp: Expectation, rc: int | None, val: Any) -> bool:
    """True if the observation meets the expectation (skip is always True)."""
    if exp.kind == "skip":
        return True
    if exp.kind == "not-called":
        return rc is None
    if rc is None or rc != exp.rc:
        return False
    if exp.kind == "value":
        if isinstance(exp.value, tuple):
            return tuple(val) == exp.value
        if isinstance(exp.value, bool):
            return val is exp.value or val == exp.value
        return val == exp.value
    if exp.kind == "window":
        return (
            isinstance(val, int)
            and exp.lo is not None
            and exp.hi is not None
            and (exp.lo <= val <= exp.hi)
        )
    return True  # present / unsupported / nodata: the rc is the whole check


def _group(
    observations: Iterable[Mapping[str, Any]],
    points: Mapping[str, str] = RUNNER_POINTS,
) -> tuple[dict[str, dict[int, list[Mapping[str, Any]]]], int]:
    by_point: dict[str, dict[int, list[Mapping[str, Any]]]] = {}
    bad = 0
    for raw in observations:
        rec = from_runner(raw, points)
        try:
            pid = int(rec[ID_KEY])
            point = str(rec[POINT_KEY])
        except (KeyError, TypeError, ValueError):
            bad += 1
            continue
        by_point.setdefault(point, {}).setdefault(pid, []).append(rec)
    return by_point, bad


def compare_field(
    nic: str,
    facts: Facts,
    plan: list[SentPacket],
    recs: Mapping[int, list[Mapping[str, Any]]],
    path: str,
    fld: str,
    oracle: Oracle = expect,
    allow_missing: int = 0,
    bad_records: int = 0,
) -> Row:
    """Judge one (path, field) over the plan; ``recs`` maps packet id -> records at ``path``."""
    exps = {p.id: oracle(facts, p, path, fld) for p in plan}
    rules = sorted({e.rule for e in exps.values() if e.rule})
    row = Row(nic, path, fld, "skip", rules=rules)
    live = {pid: e for pid, e in exps.items() if e.kind != "skip"}
    skipped = {e.reason for e in exps.values() if e.kind == "skip"}
    if not live:
        row.reasons = sorted(skipped) or ["nothing to check"]
        row.detail = "; ".join(row.reasons)
        return row
    reported = any(observed_of(r[0], fld)[2] for r in recs.values() if r)
    if recs and not reported and not all(e.probed for e in live.values()):
        row.detail = f"point {path!r} does not report {fld!r}"
        row.reasons = [row.detail]
        return row

    by_id = {p.id: p for p in plan}
    plan_ids = set(by_id)
    row.extra = sorted(set(recs) - plan_ids)
    row.duplicates = sorted(pid for pid in live if len(recs.get(pid, ())) > 1)
    row.missing = sorted(pid for pid in live if pid not in recs)
    row.checked = len(live)
    bad: list[dict[str, Any]] = []
    example = ""  # one packet showing a known bug: observed vs right
    for pid, exp in sorted(live.items()):
        if pid not in recs:
            continue
        rc, val, _ = observed_of(recs[pid][0], fld)
        if judge(exp, rc, val):
            row.matched += 1
            if exp.bug and not example:
                right = f", right {exp.right.describe(fld)}" if exp.right else ""
                example = f"e.g. id {pid}: observed {describe_observed(fld, rc, val)}{right}"
        else:
            fixed = exp.right is not None and judge(exp.right, rc, val)
            bad.append(
                {
                    "id": pid,
                    "kind": by_id[pid].kind,
                    "expected": (f"the known bug {exp.bug} ({exp.describe(fld)})" if exp.bug
                                 else exp.describe(fld)),
                    "observed": describe_observed(fld, rc, val),
                    "rule": exp.rule,
                    "reason": (f"{f'known bug {exp.bug}' if exp.bug else 'the documented loss'}"
                               " did not show: the right value was observed (kernel "
                               "fixed?) -- the expectation table needs updating (rule "
                               f"{exp.rule})") if fixed else exp.reason,
                    **({"bug_not_shown": exp.bug or exp.rule} if fixed else {}),
                }
            )
    row.mismatches = bad[:MAX_SHOWN]

    failed = bool(bad or row.extra or row.duplicates or bad_records) or len(row.missing) > (
        allow_missing
    )
    parts = [f"{row.matched}/{row.checked} matched"]
    fixed = sorted({m["reason"] for m in bad if m.get("bug_not_shown")})
    if fixed:
        parts.append("; ".join(fixed))
    for m in row.mismatches:
        parts.append(f"id {m['id']}: expected {m['expected']}, observed {m['observed']}")
    if len(bad) > MAX_SHOWN:
        parts.append(f"... {len(bad) - MAX_SHOWN} more mismatches")
    if row.missing:
        parts.append(f"missing ids: {id_ranges(row.missing)}")
    if row.extra:
        parts.append(f"unexpected ids: {id_ranges(row.extra)}")
    if row.duplicates:
        parts.append(f"duplicate ids: {id_ranges(row.duplicates)}")
    if bad_records:
        parts.append(f"{bad_records} records without point/id")
    if bad or row.missing:
        kinds: dict[str, int] = {}
        for pid in [m["id"] for m in bad] + row.missing:
            kinds[by_id[pid].kind] = kinds.get(by_id[pid].kind, 0) + 1
        parts.append("by kind: " + ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())))
    if len(exps) > len(live):
        parts.append(f"{len(exps) - len(live)} not checked ({'; '.join(sorted(skipped))})")

    lost = [e for e in live.values() if e.loss]
    bugs = [e for e in live.values() if e.bug]
    if failed:
        row.verdict = "fail"
    elif bugs:
        # wrong values, for a cause a rule cites: shown apart, not a failure
        row.verdict = "known-bug"
        reasons = row.reasons = sorted({f"{e.bug}: {e.reason}" for e in bugs})
        parts.append(f"known kernel bug for {len(bugs)} of {len(live)} "
                     "(docs/kernel-bugs.md): " + "; ".join(reasons))
        if example:
            parts.append(example)
    elif all(e.loss or e.absent for e in live.values()):
        row.verdict = "expected-unsupported"
        reasons = row.reasons = sorted({_loss_reason(e, fld) for e in live.values()})
        parts.append("as expected: " + "; ".join(reasons))
    elif lost:
        # some packets carried the value and the kernel's documented path lost it:
        # not a plain pass, even if the other packets' values matched
        row.verdict = "expected-unsupported"
        reasons = row.reasons = sorted({_loss_reason(e, fld) for e in lost})
        parts.append(f"as expected, lost for {len(lost)} of {len(live)}: " + "; ".join(reasons))
    else:
        row.verdict = "pass"
    row.detail = "; ".join(parts)
    return row


def compare(
    nic: str,
    facts: Facts,
    packets: Iterable[SentPacket],
    observations: Iterable[Mapping[str, Any]],
    paths: Iterable[str] | None = None,
    fields: Iterable[str] = FIELDS,
    oracle: Oracle = expect,
    allow_missing: int = 0,
    points: Mapping[str, str] | None = None,
) -> list[Row]:
    """One Row per (path, field).

    ``paths`` defaults to the known points present in ``observations``; a path
    asked for explicitly but absent from the observations fails (all missing).
    ``points`` overrides entries of :data:`RUNNER_POINTS` for these observations.
    """
    plan = list(packets)
    by_point, bad_records = _group(observations, {**RUNNER_POINTS, **(points or {})})
    if paths is None:
        paths = [p for p in PATHS if p in by_point]
    rows: list[Row] = []
    for path in paths:
        recs = by_point.get(path, {})
        for fld in fields:
            if not has_row(path, fld):
                continue
            rows.append(
                compare_field(nic, facts, plan, recs, path, fld, oracle, allow_missing, bad_records)
            )
    return rows

