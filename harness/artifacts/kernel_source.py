# SPDX-License-Identifier: GPL-2.0-or-later
"""Kernel sources to build from: a tree on disk (git or plain) or Debian's linux source.

Source specs (``xdp-hints kernel build SOURCE``; ``--kernel tree:PATH`` / ``debian:SUITE-source``):
  ``PATH`` / ``tree:PATH``  a kernel tree on disk, git or plain
  ``debian:SUITE-source``  Debian's ``linux-source-X.Y`` of that suite (the Debian-patched
      tarball), fetched through the private apt configuration, unpacked once into the
      cache (keyed by package version) and committed into a git repository there, so
      that every source is handled alike: as a git tree checked out into a worktree.

A :class:`Source` says where the pristine tree is and what identifies its contents
(git HEAD + a hash of the local changes, or the Debian package version); the build
never writes into it (:mod:`harness.artifacts.kernel_build`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from harness.artifacts.debian_apt import LISTS_MAX_AGE_S, AptError, AptSuite, depends_names
from harness.errors import HarnessError
from harness.paths import cache_dir, cached, recipe_key, staged
from harness.progress import BuildStep, Emit, quiet

DEBIAN_SOURCE = re.compile(r"^debian:(?P<suite>[a-z][a-z0-9-]*?)-source$")
GIT_ID = {"GIT_AUTHOR_NAME": "xdp-hints", "GIT_AUTHOR_EMAIL": "xdp-hints@localhost",
          "GIT_COMMITTER_NAME": "xdp-hints", "GIT_COMMITTER_EMAIL": "xdp-hints@localhost"}


#: git's repository-locating variables: `git bisect run` (and hooks) export some to their
#: children, which would make every git call below act on the *user's* repository
GIT_LOCATORS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX",
                "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES")


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without git's repository locators (plus ``extra``)."""
    env = {k: v for k, v in os.environ.items() if k not in GIT_LOCATORS}
    return {**env, **GIT_ID, **(extra or {})}


class SourceError(HarnessError):
    """A kernel source that cannot be used (not a kernel tree, unknown suite, ...)."""


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source spec: ``kind`` is ``tree`` (``path``) or ``debian`` (``suite``)."""

    kind: str
    path: Path | None = None
    suite: str | None = None

    def __str__(self) -> str:
        return f"debian:{self.suite}-source" if self.kind == "debian" else f"tree:{self.path}"


@dataclass(frozen=True)
class Source:
    """A kernel tree to build: ``tree`` is never written to."""

    spec: str           # as the user wrote it
    tree: Path          # the pristine tree (a git repository when ``git``)
    git: bool
    identity: str       # what its contents are: "git:<sha>+<local-changes-hash>" / "debian:..."
    version: str        # the kernel version from its Makefile (7.2.13)

    @property
    def build_id(self) -> str:
        """Key of the build directory kept for this tree (so rebuilds are incremental)."""
        return recipe_key("kbuild-dir-v1", str(self.tree.resolve()))


def is_build_spec(spec: str | None) -> bool:
    """True for kernel specs that name a source to build (``tree:``, ``debian:*-source``)."""
    return bool(spec) and (spec.startswith("tree:") or bool(DEBIAN_SOURCE.match(spec)))


def parse(spec: str) -> SourceSpec:
    """``tree:PATH`` / ``PATH`` / ``debian:SUITE-source`` -> SourceSpec (no I/O)."""
    m = DEBIAN_SOURCE.match(spec)
    if m:
        return SourceSpec("debian", suite=m.group("suite"))
    if spec.startswith("debian:"):
        raise SourceError(f"not a source spec: {spec!r} (Debian sources are debian:SUITE-source, "
                          "e.g. debian:sid-source)")
    path = spec[len("tree:"):] if spec.startswith("tree:") else spec
    if not path:
        raise SourceError("tree: needs a path (tree:~/linux)")
    return SourceSpec("tree", path=Path(path).expanduser())


def kernel_version(tree: Path) -> str:
    """``VERSION.PATCHLEVEL.SUBLEVEL`` from a kernel tree's top Makefile."""
    text = (tree / "Makefile").read_text(errors="replace")[:2000]
    parts = [re.search(rf"^{k}\s*=\s*(\d*)", text, re.M) for k in
             ("VERSION", "PATCHLEVEL", "SUBLEVEL")]
    return ".".join(p.group(1) for p in parts if p and p.group(1))


def check_tree(tree: Path) -> None:
    """Raise SourceError unless ``tree`` looks like a Linux kernel source tree."""
    if not tree.is_dir():
        raise SourceError(f"kernel tree not found: {tree}")
    needed = ("Makefile", "Kconfig", "arch/x86/Kconfig", "scripts/kconfig/merge_config.sh")
    lacking = [n for n in needed if not (tree / n).exists()]
    if lacking or not kernel_version(tree):
        raise SourceError(f"{tree} is not a Linux kernel source tree "
                          f"(missing {', '.join(lacking) or 'VERSION in Makefile'})")


def git(tree: Path, *args: str, check: bool = True, input: bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``tree`` (bytes out); raise SourceError on failure when ``check``."""
    p = subprocess.run(["git", "-C", str(tree), *args], capture_output=True, input=input,
                       env=clean_env(env))
    if check and p.returncode != 0:
        raise SourceError(f"git {' '.join(args[:3])} in {tree} failed: "
                          f"{p.stderr.decode(errors='replace').strip()[-400:]}")
    return p


def is_git(tree: Path) -> bool:
    p = git(tree, "rev-parse", "--show-toplevel", check=False)
    return p.returncode == 0 and Path(p.stdout.decode().strip()).resolve() == tree.resolve()


def local_changes(tree: Path) -> tuple[bytes, list[str]]:
    """(binary diff of tracked changes against HEAD, untracked non-ignored files)."""
    diff = git(tree, "diff", "HEAD", "--binary").stdout
    untracked = git(tree, "ls-files", "--others", "--exclude-standard", "-z").stdout
    return diff, sorted(f for f in untracked.decode().split("\0") if f)


def git_identity(tree: Path) -> str:
    """``git:<HEAD>`` plus a hash of the local changes (tracked diff + untracked files)."""
    head = git(tree, "rev-parse", "HEAD").stdout.decode().strip()
    diff, untracked = local_changes(tree)
    if not diff and not untracked:
        return f"git:{head}"
    h = hashlib.sha256(diff)
    for f in untracked:
        h.update(f.encode() + b"\0")
        p = tree / f
        if p.is_file():
            h.update(p.read_bytes())
    return f"git:{head}+{h.hexdigest()[:12]}"


def plain_identity(tree: Path) -> str:
    """A hash over every file's path, size and mtime (a plain tree has no HEAD)."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for f in sorted(files):
            st = os.lstat(os.path.join(root, f))
            h.update(f"{os.path.relpath(os.path.join(root, f), tree)}:{st.st_size}:"
                     f"{st.st_mtime_ns}\0".encode())
    return f"plain:{h.hexdigest()[:16]}"


def resolve(spec: str, emit: Emit = quiet) -> Source:
    """The Source for a spec; a Debian source is fetched and unpacked on first use."""
    s = parse(spec)
    if s.kind == "debian":
        assert s.suite
        return debian_source(s.suite, spec, emit)
    assert s.path is not None
    tree = s.path.resolve()
    check_tree(tree)
    if is_git(tree):
        return Source(spec, tree, True, git_identity(tree), kernel_version(tree))
    return Source(spec, tree, False, plain_identity(tree), kernel_version(tree))


def _debian_package(suite: str) -> str:
    """``linux-source-X.Y=VERSION`` the suite's ``linux-source`` meta package points at
    (remembered while apt lists stay fresh; reused stale when the archive is away)."""
    memo_path = cache_dir() / "kernel-src" / "resolved.json"
    memo = json.loads(memo_path.read_text()) if memo_path.exists() else {}
    hit = memo.get(suite)
    if hit and time.time() - hit["at"] < LISTS_MAX_AGE_S:
        return hit["package"]
    try:
        apt = AptSuite(suite)
        meta = apt.show("linux-source")
        names = [d for d in depends_names(meta.get("Depends", "")) if
                 d.startswith("linux-source-")]
        if not names:
            raise SourceError(f"linux-source in {suite} depends on no linux-source-X.Y")
        pkg = f"{names[0]}={apt.show(names[0])['Version']}"
    except AptError as e:
        if hit:
            return hit["package"]
        raise SourceError(str(e)) from e
    memo[suite] = {"package": pkg, "at": time.time()}
    memo_path.parent.mkdir(parents=True, exist_ok=True)
    memo_path.write_text(json.dumps(memo, indent=1))
    return pkg


def debian_source(suite: str, spec: str, emit: Emit = quiet) -> Source:
    """Debian's linux source for ``suite``: unpacked once, committed into a git repo."""
    pkg = _debian_package(suite)
    out = cached("kernel-src", recipe_key("debian-linux-source-v1", pkg))
    tree = out / "linux"
    identity = f"debian:{pkg}"
    if (out / "source.json").exists():
        return Source(spec, tree, True, identity, kernel_version(tree))
    emit(BuildStep("kernel-source", f"fetching {pkg} ({suite})"))
    with staged(out) as (stage, scratch):
        try:
            debs = AptSuite(suite).download([pkg], scratch / "debs")
        except AptError as e:
            raise SourceError(str(e)) from e
        emit(BuildStep("kernel-source", f"unpacking {debs[0].name}"))
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(scratch / "deb")], check=True)
        tarballs = sorted((scratch / "deb" / "usr" / "src").glob("linux-source-*.tar.*"))
        if not tarballs:
            raise SourceError(f"{debs[0].name} holds no linux-source tarball")
        unpack = scratch / "unpack"
        unpack.mkdir()
        subprocess.run(["tar", "-xf", str(tarballs[0]), "-C", str(unpack)], check=True)
        top = next(p for p in unpack.iterdir() if p.is_dir())
        top.rename(stage / "linux")
        check_tree(stage / "linux")
        emit(BuildStep("kernel-source", "committing the source into a git repository"))
        t = stage / "linux"
        git(t, "init", "-q")
        git(t, "add", "-A", "-f")  # Debian's .gitignore ignores the whole top level
        git(t, "commit", "-q", "--no-verify", "-m", f"Debian {pkg}")
        (stage / "source.json").write_text(json.dumps({"package": pkg, "suite": suite}))
    return Source(spec, tree, True, identity, kernel_version(tree))
