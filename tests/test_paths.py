# SPDX-License-Identifier: GPL-2.0-or-later
"""The cache: recipe keys, staged (atomic) entries, lookups marking entries used, LRU pruning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import paths


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDP_HINTS_CACHE", str(tmp_path))
    monkeypatch.setenv("XDP_HINTS_CACHE_KEEP", "2")
    return tmp_path


def _entry(kind_dir: Path, name: str, age_s: int) -> Path:
    p = kind_dir / name
    p.mkdir(parents=True)
    (p / "artifact").write_text(name)
    t = 1_700_000_000 - age_s
    os.utime(p, (t, t))
    return p


def test_build_prunes_least_recently_used(cache: Path) -> None:
    kind = cache / "boot"
    old, older, oldest = (_entry(kind, n, a) for n, a in (("a", 10), ("b", 20), ("c", 30)))
    paths.cached("boot", "c")  # a lookup marks "c" as used: now the newest
    with paths.staged(paths.cached("boot", "new")) as (stage, _scratch):
        (stage / "artifact").write_text("new")
    left = sorted(p.name for p in kind.iterdir())
    assert left == ["c", "new"], left  # keep 2: the new one and the one just used
    assert not old.exists() and not older.exists() and oldest.exists()


def test_failed_build_prunes_nothing(cache: Path) -> None:
    kind = cache / "rootfs"
    for n, a in (("a", 10), ("b", 20), ("c", 30)):
        _entry(kind, n, a)
    with pytest.raises(RuntimeError), paths.staged(paths.cached("rootfs", "new")):
        raise RuntimeError("build failed")
    assert sorted(p.name for p in kind.iterdir()) == ["a", "b", "c"]


def test_keep_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDP_HINTS_CACHE_KEEP", "nonsense")
    assert paths.cache_keep() == 8
    monkeypatch.setenv("XDP_HINTS_CACHE_KEEP", "0")
    assert paths.cache_keep() == 1


def test_recipe_key_changes_with_file_contents(tmp_path):
    f = tmp_path / "recipe"
    f.write_text("a")
    k1 = paths.recipe_key("x", files=[f])
    f.write_text("b")
    assert paths.recipe_key("x", files=[f]) != k1
    assert paths.recipe_key("y", files=[f]) != paths.recipe_key("x", files=[f])


def test_staged_replaces_atomically_and_cleans_up_on_failure(tmp_path):
    staged = paths.staged
    out = tmp_path / "kind" / "key"
    with staged(out) as (stage, scratch):
        (stage / "artifact").write_text("v1")
        (scratch / "junk").write_text("x")
    assert (out / "artifact").read_text() == "v1"
    with pytest.raises(RuntimeError), staged(out) as (stage, _scratch):
        (stage / "artifact").write_text("half-built")
        raise RuntimeError("build failed")
    assert (out / "artifact").read_text() == "v1"
    assert sorted(p.name for p in out.parent.iterdir()) == ["key"]


def test_two_concurrent_builders_of_one_entry_both_succeed(tmp_path: Path) -> None:
    """Two processes want the same entry at once: one builds, the other waits and reuses
    it (before the lock, the second one's rmtree + rename broke the first's result)."""
    import subprocess
    import sys
    script = (
        "import sys, time, pathlib\n"
        "from harness.paths import ensure_entry\n"
        "out = pathlib.Path(sys.argv[1])\n"
        "def build(stage, scratch):\n"
        "    with open(out.parent / 'builds', 'a') as f: f.write('x')\n"
        "    time.sleep(1.0)\n"
        "    (stage / 'data').write_text('whole')\n"
        "ensure_entry(out, lambda o: (o / 'data').exists(), build)\n"
        "print((out / 'data').read_text())\n"
    )
    out = tmp_path / "kind" / "key"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=paths.REPO,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert results == ["whole", "whole"]
    assert (tmp_path / "kind" / "builds").read_text() == "x"  # built once


def test_ensure_entry_failure_leaves_no_entry(tmp_path: Path) -> None:
    out = tmp_path / "kind" / "key"

    def build(stage: Path, scratch: Path) -> None:
        (stage / "half").write_text("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        paths.ensure_entry(out, lambda o: (o / "data").exists(), build)
    assert not out.exists() and [p.name for p in out.parent.iterdir()] == [".key.lock"]


def test_a_truncated_entry_is_rebuilt_with_a_notice(tmp_path: Path) -> None:
    out = tmp_path / "rootfs" / "key"
    builds: list[int] = []

    def build(stage: Path, scratch: Path) -> None:
        builds.append(1)
        (stage / "rootfs.ext4").write_bytes(b"\xaa" * 3_000_000)

    def complete(o: Path) -> bool:
        return (o / "rootfs.ext4").exists()

    said: list[str] = []
    paths.ensure_entry(out, complete, build, said.append)
    paths.ensure_entry(out, complete, build, said.append)
    assert len(builds) == 1 and said == []  # whole: reused
    with (out / "rootfs.ext4").open("r+b") as f:
        f.truncate(1_000_000)
    assert paths.damaged(out) == "rootfs.ext4 is 1000000 bytes, was 3000000"
    paths.ensure_entry(out, complete, build, said.append)
    assert len(builds) == 2 and (out / "rootfs.ext4").stat().st_size == 3_000_000
    assert len(said) == 1 and "is damaged (rootfs.ext4 is 1000000 bytes" in said[0]
    (out / "rootfs.ext4").write_bytes(b"\xbb" * 3_000_000)  # same size, other bytes
    assert paths.damaged(out) == "rootfs.ext4 changed"
