# SPDX-License-Identifier: GPL-2.0-or-later
"""A kernel judged against its base: the suite on both, then the rows that changed.

    outcome = judge(run_one, Side("debian:sid-source", [patch]), Side("debian:sid-source"))
    print(diff.text(outcome.changes)); sys.exit(diff.exit_code(outcome.changes))

``run_one(side)`` runs the whole suite on one kernel and returns its ``run --json``
document (an error inside the run is in the document's ``error``, as ``run --json``
writes it, so a crashed kernel shows as ``crash`` rows).  Both kernels are built (or
found in the cache) first, so a build error stops everything before any boot; the
suites then run one after the other (on a 2-core machine two TCG guests at once only
slow each other down).  The comparison is :func:`harness.verdict.diff.diff`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.artifacts import kernels
from harness.progress import Emit, Note, quiet
from harness.verdict import diff


@dataclass(frozen=True)
class Side:
    """One kernel of the comparison: a spec and (for source specs) its patches."""

    kernel: str
    patches: tuple[Path, ...] = ()

    def label(self) -> str:
        return self.kernel + "".join(f" + {p.name}" for p in self.patches)


@dataclass
class Outcome:
    new: dict[str, Any]
    base: dict[str, Any]
    changes: list[diff.Change] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return diff.exit_code(self.changes)


def judge(run_one: Callable[[Side], dict[str, Any]], new: Side, base: Side,
          emit: Emit = quiet) -> Outcome:
    """Build both kernels, run the suite on the base then on the new one, diff them."""
    for side in (base, new):
        kernels.resolve(side.kernel, emit=emit, patches=side.patches)
    emit(Note(f"baseline run: {base.label()}"))
    base_doc = run_one(base)
    emit(Note(f"new run: {new.label()}"))
    new_doc = run_one(new)
    return Outcome(new_doc, base_doc, diff.diff(base_doc, new_doc))


def baseline_json_path(new_json: Path) -> Path:
    """Where the baseline's document goes next to ``--json FILE``: ``FILE.baseline.json``."""
    return new_json.with_name(new_json.name.removesuffix(".json") + ".baseline.json")
