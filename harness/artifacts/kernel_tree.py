# SPDX-License-Identifier: GPL-2.0-or-later
"""The source build's work tree: our own git repository, the source checked out into it,
the patches applied in order (the user's tree is never written to).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from harness.artifacts import kernel_source
from harness.artifacts.kernel_source import Source, SourceError, clean_env, git
from harness.errors import HarnessError
from harness.paths import recipe_key
from harness.progress import BuildStep, Emit, quiet


class PatchError(HarnessError):
    """A patch that does not apply (exit 2)."""


def failing_hunk(patch_text: str, file: str, line: int) -> str | None:
    """The ``@@`` header of the hunk of ``file`` starting at old line ``line``."""
    in_file = False
    for ln in patch_text.splitlines():
        if ln.startswith("+++ "):
            in_file = ln[4:].strip().split("/", 1)[-1] == file
        elif in_file and ln.startswith("@@"):
            m = re.match(r"@@ -(\d+)", ln)
            if m and int(m.group(1)) == line:
                return ln
    return None


def apply_patches(work: Path, patches: Sequence[Path], emit: Emit = quiet) -> None:
    """``git apply`` each patch in order in ``work``; PatchError names the one that fails."""
    for i, patch in enumerate(patches, 1):
        emit(BuildStep("kernel", f"applying patch {i}/{len(patches)}: {patch.name}"))
        p = subprocess.run(["git", "apply", "--whitespace=nowarn", "-v",
                            str(Path(patch).resolve())],
                           cwd=work, capture_output=True, text=True, env=clean_env())
        if p.returncode == 0:
            continue
        err = p.stderr.strip().splitlines()
        detail = [ln for ln in err if ln.startswith("error:")] or err[-5:]
        m = next((re.search(r"patch failed: (\S+):(\d+)", ln) for ln in err
                  if "patch failed:" in ln), None)
        where = ""
        if m:
            hunk = failing_hunk(Path(patch).read_text(errors="replace"), m.group(1),
                                int(m.group(2)))
            where = f": hunk {hunk or '@@ -' + m.group(2)} of {m.group(1)} does not apply"
        elif any("No valid patches" in ln for ln in err):
            where = ": not a patch (no diff in it)"
        raise PatchError(f"patch {patch} does not apply{where}", detail=detail)


# ---- the work tree ---------------------------------------------------------------------

def base_id(source: Source) -> str:
    """Key of the build directory: the history's root commit (git) or the tree's path."""
    if source.git:
        roots = git(source.tree, "rev-list", "--max-parents=0", "HEAD").stdout.decode().split()
        return recipe_key("kbuild-base-v1", sorted(roots)[0])
    return recipe_key("kbuild-base-v1", str(source.tree))


def _snapshot_plain(tree: Path, work: Path) -> str:
    """Commit a plain tree into ``work``'s repository (index kept apart); its commit id."""
    env = {"GIT_INDEX_FILE": str(work / ".git" / "snapshot-index")}
    gd = ["--git-dir", str(work / ".git"), "--work-tree", str(tree)]
    git(work, *gd, "add", "-A", "--", ".", env=env)
    t = git(work, *gd, "write-tree", env=env).stdout.decode().strip()
    return git(work, "commit-tree", t, "-m", f"snapshot of {tree}").stdout.decode().strip()


def checkout(source: Source, work: Path, emit: Emit = quiet) -> str:
    """Bring ``work`` to the source's contents; returns the commit checked out.

    Only files that differ from what ``work`` held are rewritten (new mtime), so the
    kept build directory rebuilds just what changed."""
    if not (work / ".git").is_dir():
        work.mkdir(parents=True, exist_ok=True)
        git(work, "init", "-q")
        git(work, "config", "core.autocrlf", "false")
        git(work, "config", "gc.auto", "0")
        emit(BuildStep("kernel", f"checking out {source.tree} into {work} (first time)"))
    alternates = work / ".git" / "objects" / "info" / "alternates"
    if source.git:
        objects = git(source.tree, "rev-parse", "--git-common-dir").stdout.decode().strip()
        objdir = (source.tree / objects / "objects").resolve()
        alternates.write_text(f"{objdir}\n")
        sha = git(source.tree, "rev-parse", "HEAD").stdout.decode().strip()
    else:
        alternates.unlink(missing_ok=True)
        sha = _snapshot_plain(source.tree, work)
    git(work, "checkout", "-q", "-f", "--detach", sha)
    git(work, "clean", "-q", "-fdx")
    if source.git:
        diff, untracked = kernel_source.local_changes(source.tree)
        if diff:
            p = subprocess.run(["git", "apply", "--binary", "--whitespace=nowarn"], cwd=work,
                               input=diff, capture_output=True, env=clean_env())
            if p.returncode != 0:
                raise SourceError(f"the local changes of {source.tree} do not apply to HEAD: "
                                  f"{p.stderr.decode(errors='replace')[-300:]}")
        for f in untracked:
            dst = work / f
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source.tree / f, dst)
    return sha
