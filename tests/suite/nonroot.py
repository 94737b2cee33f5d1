# SPDX-License-Identifier: GPL-2.0-or-later
"""A user without root, made from root's set-up: what the non-root VM test runs as.

The user (``nobody``) gets its own copy of the harness and of the Python packages (a
checkout under /root is not readable by others) and its own cache directory whose
finished entries are hard links to root's (kernels, boot files, rootfs, QEMU, BPF),
read-only to it: everything a run writes goes to its own directories.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

USER = "nobody"
#: the cache kinds a run reads; their files are linked, their directories the user's
SHARED_KINDS = ("kernels", "boot", "rootfs", "qemu", "guest-bpf", "apt")
REPO_PARTS = ("harness", "guest-bpf", "images", "qemu", "kconfigs", "pyproject.toml")
SYSTEM_PYTHON = "/usr/bin/python3"


def unusable() -> str | None:
    """Why the test cannot make a non-root user here, or None."""
    if os.geteuid() != 0:
        return "needs root to switch to another user"
    if not shutil.which("setpriv"):
        return "setpriv (util-linux) is missing"
    if not Path(SYSTEM_PYTHON).is_file():
        return f"{SYSTEM_PYTHON} is missing"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[:2])"],
                           capture_output=True, text=True)
    if probe.stdout.strip() != str(sys.version_info[:2]):
        return (f"{SYSTEM_PYTHON} is {probe.stdout.strip()}, the venv {sys.version_info[:2]}: "
                "its compiled packages would not load")
    return None


def _link_tree(src: Path, dst: Path, uid: int, gid: int) -> None:
    """Hard-link (or copy) every file of ``src`` under ``dst``; directories are the user's."""
    for dirpath, _dirs, files in os.walk(src):
        d = dst / Path(dirpath).relative_to(src)
        d.mkdir(parents=True, exist_ok=True)
        os.chown(d, uid, gid)
        for f in files:
            try:
                os.link(Path(dirpath) / f, d / f)
            except OSError:
                shutil.copy2(Path(dirpath) / f, d / f)


class NonRootUser:
    """A temp home for ``nobody`` with the harness, its packages and a linked cache."""

    def __init__(self, repo: Path, cache: Path) -> None:
        pw = pwd.getpwnam(USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.home = Path(tempfile.mkdtemp(prefix="xdph-nonroot-", dir="/tmp"))
        self.home.chmod(0o755)
        os.chown(self.home, self.uid, self.gid)
        self.repo, self.site, self.cache = (self.home / n for n in ("repo", "site", "cache"))
        for part in REPO_PARTS:
            src = repo / part
            if src.is_dir():
                shutil.copytree(src, self.repo / part,
                                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            elif src.exists():
                self.repo.mkdir(exist_ok=True)
                shutil.copy2(src, self.repo / part)
        shutil.copytree(sysconfig.get_paths()["purelib"], self.site, symlinks=True,
                        ignore=shutil.ignore_patterns("__editable__*", "*.pth", "__pycache__"))
        for kind in SHARED_KINDS:
            if (cache / kind).is_dir():
                _link_tree(cache / kind, self.cache / kind, self.uid, self.gid)
        os.chown(self.cache, self.uid, self.gid)

    def run(self, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
        """``xdp-hints ARGS`` as the user, with a clean environment."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.home),
               "XDP_HINTS_CACHE": str(self.cache), "PYTHONPATH": f"{self.repo}:{self.site}",
               "LANG": "C.UTF-8"}
        return subprocess.run(
            ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
             SYSTEM_PYTHON, "-m", "harness.cli", *args],
            capture_output=True, text=True, timeout=timeout, cwd=self.home, env=env)

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
