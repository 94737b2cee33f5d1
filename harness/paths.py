# SPDX-License-Identifier: GPL-2.0-or-later
"""Where things live: the checkout and the build cache outside it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """The cache root: ``$XDP_HINTS_CACHE`` or ``~/.cache/xdp-hints``."""
    root = os.environ.get("XDP_HINTS_CACHE") or Path.home() / ".cache" / "xdp-hints"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def recipe_key(*parts: str | bytes | Path, files: Iterable[Path] = ()) -> str:
    """A short hash over recipe inputs: literal parts plus the contents of files."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else bytes(part) if isinstance(part, bytes)
                 else str(part).encode())
        h.update(b"\0")
    for f in sorted(Path(p) for p in files):
        h.update(str(f.relative_to(REPO) if f.is_relative_to(REPO) else f).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cached(kind: str, key: str) -> Path:
    """Directory for one cached artifact ``<cache>/<kind>/<key>`` (not created)."""
    return cache_dir() / kind / key


@contextlib.contextmanager
def staged(out: Path) -> Iterator[tuple[Path, Path]]:
    """Build a cache entry atomically: yields ``(stage, scratch)``.

    Fill ``stage`` (an empty directory) with the artifact, using ``scratch`` for
    intermediate files. On success ``stage`` replaces ``out`` in one rename; on
    any failure (or Ctrl-C) both are removed and ``out`` is untouched.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    try:
        stage = scratch / "out"
        stage.mkdir()
        yield stage, scratch
        shutil.rmtree(out, ignore_errors=True)
        stage.rename(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
