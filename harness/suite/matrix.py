# SPDX-License-Identifier: GPL-2.0-or-later
"""The regression matrix: a TOML spec, its cells, deterministic shards, a CI job plan.

One cell is one kernel: one VM carrying every NIC of the cell, running every
path of the cell (``xdp-hints run`` with those options).  The spec::

    # defaults for every cell (all optional)
    nics = ["igc", "virtio-net", "igb"]
    paths = "all"                # or a list of paths
    packets = 16
    cpus = 2
    memory = 2048                # MB per VM
    queues = 2
    append = ""                  # extra kernel command line
    boot_timeout = 240           # seconds; default scaled by the accelerator
    timeout = 3600               # seconds for one attempt of a cell
    test_fault = "guest-panic"   # test only: ``run --test-fault`` (harness.suite.faults)

    [[kernel]]
    spec = "debian:sid"          # any --kernel spec; a relative path is relative to this file
    id = "sid"                   # optional; default: the spec made file-name safe
    # any default above, overridden for this kernel only; `modules` with a path spec

Every error (unknown key, NIC, path; duplicate cell ids; bad shard) is a
:class:`~harness.errors.UsageError` raised before anything is built or booted.
Nothing here runs a VM: :mod:`harness.suite.cellrun` does.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness import nics
from harness.errors import UsageError
from harness.nics.base import CLI_PATHS, DEFAULT_PATHS
from harness.suite.faults import ALL_FAULTS

#: keys valid at the top level and in every ``[[kernel]]`` table, with their types
OPTION_TYPES: dict[str, type | tuple[type, ...]] = {
    "nics": list, "paths": (list, str), "packets": int, "cpus": int, "memory": int,
    "queues": int, "append": str, "boot_timeout": (int, float), "timeout": (int, float),
    "test_fault": str,
}
KERNEL_ONLY = {"spec": str, "id": str, "modules": str}
DEFAULT_NICS = ("igc", "virtio-net")
CELL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Cell:
    """One kernel of the matrix: what ``xdp-hints run`` gets for it."""

    id: str
    kernel: str
    nics: tuple[str, ...] = DEFAULT_NICS
    paths: tuple[str, ...] = tuple(DEFAULT_PATHS)
    packets: int = 16
    modules: str | None = None
    cpus: int = 2
    memory: int = 2048
    queues: int = 2
    append: str = ""
    boot_timeout: float | None = None
    timeout: float = 3600.0
    test_fault: str | None = None

    def run_args(self) -> list[str]:
        """The ``xdp-hints run`` options for this cell (output files not included)."""
        args = ["--kernel", self.kernel, "--nic", ",".join(self.nics),
                "--path", ",".join(self.paths), "--packets", str(self.packets),
                "--cpus", str(self.cpus), "--memory", str(self.memory),
                "--queues", str(self.queues)]
        if self.modules:
            args += ["--modules", self.modules]
        if self.append:
            args += ["--append", self.append]
        if self.boot_timeout:
            args += ["--boot-timeout", str(self.boot_timeout)]
        if self.test_fault:
            args += ["--test-fault", self.test_fault]
        return args

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kernel": self.kernel, "nics": list(self.nics),
                "paths": list(self.paths), "packets": self.packets, "modules": self.modules}


@dataclass(frozen=True)
class Matrix:
    """A parsed matrix spec: its cells in the order written."""

    source: str
    cells: tuple[Cell, ...] = field(default_factory=tuple)


def slug(spec: str) -> str:
    """A file-name-safe cell id from a kernel spec: ``debian:sid`` -> ``debian-sid``,
    ``/k/build/arch/x86/boot/bzImage`` -> ``k-build-arch-x86-boot-bzImage`` (last 64)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", spec).strip("-.")
    s = s[-64:].lstrip("-.")
    return s or "kernel"


def _check_type(where: str, key: str, value: Any, want: type | tuple[type, ...]) -> None:
    if isinstance(value, bool) or not isinstance(value, want):
        names = "/".join(t.__name__ for t in (want if isinstance(want, tuple) else (want,)))
        raise UsageError(f"{where}: `{key}` must be {names}, not {value!r}")


def _options(where: str, table: Mapping[str, Any], allowed: Mapping[str, Any]) -> dict[str, Any]:
    """The known keys of ``table`` checked and normalised (lists -> tuples)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in allowed:
            raise UsageError(f"{where}: unknown key `{key}` "
                             f"(known: {', '.join(sorted(allowed))})")
        _check_type(where, key, value, allowed[key])
        if key == "nics":
            bad = [n for n in value if n not in nics.KINDS]
            if bad or not value:
                raise UsageError(f"{where}: unknown NIC {bad or '(empty list)'} "
                                 f"(choose from {', '.join(nics.KINDS)})")
            value = tuple(value)
        elif key == "paths":
            if value == "all":
                value = tuple(CLI_PATHS)
            elif isinstance(value, str):
                raise UsageError(f"{where}: `paths` is a list or \"all\", not {value!r}")
            bad = [p for p in value if p not in CLI_PATHS]
            if bad or not value:
                raise UsageError(f"{where}: unknown path {bad or '(empty list)'} "
                                 f"(choose from {', '.join(CLI_PATHS)})")
            value = tuple(value)
        elif key == "test_fault" and value not in ALL_FAULTS:
            raise UsageError(f"{where}: unknown test_fault {value!r} "
                             f"(choose from {', '.join(ALL_FAULTS)})")
        elif key in ("packets", "cpus", "memory", "queues", "timeout") and value < 1:
            raise UsageError(f"{where}: `{key}` must be at least 1")
        out[key] = value
    return out


def _kernel_spec(spec: str, base: Path | None) -> str:
    """A relative path spec (no ``scheme:``) made relative to the TOML file's folder."""
    if re.match(r"^[a-z][a-z0-9+-]*:", spec) or base is None or Path(spec).is_absolute():
        return spec
    return str((base / spec).resolve())


def parse(text: str, source: str = "<matrix>", base: Path | None = None) -> Matrix:
    """A matrix from TOML ``text`` (``base``: the folder relative kernel paths start from)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{source}: not valid TOML: {e}") from None
    kernels = doc.pop("kernel", None)
    defaults = _options(source, doc, OPTION_TYPES)
    if not isinstance(kernels, list) or not kernels:
        raise UsageError(f"{source}: no [[kernel]] tables (each needs spec = \"...\")")
    cells: list[Cell] = []
    for i, table in enumerate(kernels, 1):
        where = f"{source}: kernel #{i}"
        if not isinstance(table, dict):
            raise UsageError(f"{where}: must be a table ([[kernel]])")
        opts = _options(where, table, {**OPTION_TYPES, **KERNEL_ONLY})
        if not opts.get("spec"):
            raise UsageError(f"{where}: missing `spec` (e.g. \"debian:sid\" or a bzImage path)")
        spec = _kernel_spec(opts.pop("spec"), base)
        cid = opts.pop("id", None) or slug(spec)
        if not CELL_ID.match(cid):
            raise UsageError(f"{where}: id {cid!r} must match {CELL_ID.pattern}")
        if "modules" in opts:
            if spec.startswith("debian:"):
                raise UsageError(f"{where}: `modules` only goes with a kernel path")
            opts["modules"] = _kernel_spec(opts["modules"], base)
        cell = replace(Cell(id=cid, kernel=spec), **{**defaults, **opts})
        if any(c.id == cid for c in cells):
            raise UsageError(f"{where}: duplicate cell id {cid!r} (set `id` to tell them apart)")
        cells.append(cell)
    return Matrix(source=source, cells=tuple(cells))


def load(path: Path) -> Matrix:
    """Parse the matrix file at ``path`` (UsageError naming it when unreadable or wrong)."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise UsageError(f"{path}: cannot read the matrix file ({e.strerror})") from None
    return parse(text, str(path), Path(path).resolve().parent)


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 1 <= K <= N."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard {text!r}: want K/N with 1 <= K <= N (e.g. 1/4)")
    return int(m.group(1)), int(m.group(2))


def shard(cells: Sequence[Cell], k: int, n: int) -> list[Cell]:
    """Shard ``k`` of ``n``: the cells sorted by id, every n-th from the (k-1)-th.

    Deterministic (depends on the cell ids only, not on the order in the file) and
    balanced (shard sizes differ by at most one); the shards partition the cells.
    """
    if not 1 <= k <= n:
        raise UsageError(f"shard {k}/{n}: want 1 <= K <= N")
    ordered = sorted(cells, key=lambda c: c.id)
    return [c for i, c in enumerate(ordered) if i % n == k - 1]


def plan(matrix: Matrix, shards: int) -> dict[str, Any]:
    """The GitHub Actions job matrix: ``{"include": [{"shard": "K/N", "cells": "a b"}]}``.

    Shards that would get no cell are left out (more shards than cells)."""
    if shards < 1:
        raise UsageError("--shards must be at least 1")
    include = []
    for k in range(1, shards + 1):
        part = shard(matrix.cells, k, shards)
        if part:
            include.append({"shard": f"{k}/{shards}", "index": k,
                            "cells": " ".join(c.id for c in part)})
    return {"include": include}
