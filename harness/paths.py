# SPDX-License-Identifier: GPL-2.0-or-later
"""Where things live: the checkout and the build cache outside it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """The cache root: ``$XDP_HINTS_CACHE`` or ``~/.cache/xdp-hints``."""
    env = os.environ.get("XDP_HINTS_CACHE")
    path = Path(env) if env else Path.home() / ".cache" / "xdp-hints"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        from harness.errors import HarnessError
        what = "XDP_HINTS_CACHE" if env else "the cache directory"
        raise HarnessError(f"{what} {path}: cannot be created ({e.strerror or e})") from None
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
    """Directory for one cached artifact ``<cache>/<kind>/<key>`` (not created).

    An existing entry is marked as used (mtime), so :func:`prune` keeps it."""
    path = cache_dir() / kind / key
    if path.is_dir():
        with contextlib.suppress(OSError):
            os.utime(path)
    return path


def cache_keep() -> int:
    """Entries kept per cache kind: ``$XDP_HINTS_CACHE_KEEP`` (default 8)."""
    try:
        return max(1, int(os.environ.get("XDP_HINTS_CACHE_KEEP", "8")))
    except ValueError:
        return 8


def prune(kind_dir: Path, keep: int | None = None, spare: Path | None = None) -> list[Path]:
    """Remove all but the ``keep`` most recently used entries of one cache kind.

    Every recipe change makes a new entry (a modules disk is ~0.6 GB), so
    without this the cache only grows.  ``spare`` is never removed.
    """
    keep = cache_keep() if keep is None else keep
    entries = sorted((p for p in kind_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    gone = [p for p in entries[keep:] if p != spare]
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return gone


@contextlib.contextmanager
def staged(out: Path) -> Iterator[tuple[Path, Path]]:
    """Build a cache entry atomically: yields ``(stage, scratch)``.

    Fill ``stage`` (an empty directory) with the artifact, using ``scratch`` for
    intermediate files. On success ``stage`` replaces ``out`` in one rename (and
    the kind's least recently used entries beyond :func:`cache_keep` go); on any
    failure (or Ctrl-C) both are removed and ``out`` is untouched.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    try:
        stage = scratch / "out"
        stage.mkdir()
        yield stage, scratch
        shutil.rmtree(out, ignore_errors=True)
        stage.rename(out)
        os.utime(out)
        prune(out.parent, spare=out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def entry_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on one cache entry (``<kind>/.<key>.lock``, flock: released
    when the process dies, so a killed builder never blocks the next)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


INTEGRITY = ".integrity.json"
HEAD_BYTES = 1 << 20


def _fingerprint(entry: Path) -> dict[str, list]:
    """Size and a hash of the first MiB of each file at the top of an entry."""
    out: dict[str, list] = {}
    for f in sorted(entry.iterdir()):
        if f.is_file() and f.name != INTEGRITY:
            with f.open("rb") as fh:
                head = hashlib.sha256(fh.read(HEAD_BYTES)).hexdigest()[:16]
            out[f.name] = [f.stat().st_size, head]
    return out


def damaged(entry: Path) -> str | None:
    """Why a finished entry cannot be trusted (a file truncated, changed or gone), or None.

    Entries from before fingerprints were recorded are trusted."""
    record = entry / INTEGRITY
    if not record.is_file():
        return None
    try:
        want = json.loads(record.read_text())
    except ValueError:
        return "its fingerprint record is unreadable"
    have = _fingerprint(entry)
    for name, (size, head) in want.items():
        if name not in have:
            return f"{name} is gone"
        if have[name][0] != size:
            return f"{name} is {have[name][0]} bytes, was {size}"
        if have[name][1] != head:
            return f"{name} changed"
    return None


def ensure_entry(out: Path, complete: Callable[[Path], bool],
                 build: Callable[[Path, Path], None],
                 notice: Callable[[str], None] | None = None) -> Path:
    """The cache entry ``out``, built once even when several processes want it at once.

    ``complete(out)`` says whether an entry is whole; ``build(stage, scratch)`` fills
    ``stage`` (see :func:`staged`).  Builders of one entry take turns under
    :func:`entry_lock`; the ones that waited find it complete and reuse it.  A finished
    entry whose files no longer match their fingerprints is rebuilt, and ``notice``
    is told why in one line.
    """
    if complete(out) and damaged(out) is None:
        with contextlib.suppress(OSError):
            os.utime(out)
        return out
    with entry_lock(out):
        if complete(out) and (why := damaged(out)) is not None:
            if notice is not None:
                notice(f"cache entry {out} is damaged ({why}): rebuilding it")
            shutil.rmtree(out, ignore_errors=True)
        if not complete(out):
            with staged(out) as (stage, scratch):
                build(stage, scratch)
                (stage / INTEGRITY).write_text(json.dumps(_fingerprint(stage)))
    return out
