# SPDX-License-Identifier: GPL-2.0-or-later
"""A private apt configuration for any Debian suite, without touching the host's apt.

The mirror is read from the host's own apt sources (deb822 ``*.sources`` or
``sources.list``); ``XDP_HINTS_DEBIAN_MIRROR`` overrides it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import cache_dir

SOURCES_DIR = Path("/etc/apt/sources.list.d")
SOURCES_LIST = Path("/etc/apt/sources.list")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
LISTS_MAX_AGE_S = 6 * 3600
# apt's AI_ADDRCONFIG makes glibc dump addresses over rtnetlink; on a host whose rtnl
# lock is stuck that blocks forever. Without it name resolution needs no netlink.
NO_ADDRCONFIG = ["-o", "Acquire::Connect::AddrConfig=false"]


class AptError(HarnessError):
    """apt could not resolve or fetch what was asked."""


def host_mirror() -> str:
    """The Debian mirror URI the host uses (or ``$XDP_HINTS_DEBIAN_MIRROR``)."""
    env = os.environ.get("XDP_HINTS_DEBIAN_MIRROR")
    if env:
        return env.rstrip("/")
    candidates: list[str] = []
    if SOURCES_DIR.is_dir():
        for f in sorted(SOURCES_DIR.glob("*.sources")):
            for line in f.read_text().splitlines():
                if line.startswith("URIs:"):
                    candidates += line.split()[1:]
    if SOURCES_LIST.exists():
        for line in SOURCES_LIST.read_text().splitlines():
            m = re.match(r"\s*deb(?:-src)?\s+(?:\[[^]]*\]\s+)?(\S+)", line)
            if m:
                candidates.append(m.group(1))
    for uri in candidates:
        if "security" not in uri:
            return uri.rstrip("/")
    raise AptError(
        "no Debian mirror found in the host's apt sources; set XDP_HINTS_DEBIAN_MIRROR"
    )


class AptSuite:
    """apt-get/apt-cache against one suite through a private configuration dir."""

    def __init__(self, suite: str, arch: str = "amd64", mirror: str | None = None) -> None:
        self.suite = suite
        self.arch = arch
        self.mirror = mirror or host_mirror()
        self.root = cache_dir() / "apt" / f"{suite}-{arch}"
        self._ready = False

    def _opts(self) -> list[str]:
        r = self.root
        return [
            "-o", f"Dir::Etc::sourcelist={r}/sources.list",
            "-o", f"Dir::Etc::sourceparts={r}/sources.list.d",
            "-o", f"Dir::State::lists={r}/lists",
            "-o", f"Dir::State::status={r}/status",
            "-o", f"Dir::Cache={r}/cache",
            "-o", f"APT::Architecture={self.arch}",
            "-o", "APT::Architectures::=",
            "-o", f"APT::Architectures::={self.arch}",
            "-o", "Debug::NoLocking=1",
            "-o", "Acquire::Languages=none",
            "-o", "APT::Sandbox::User=root",
            *NO_ADDRCONFIG,
        ]

    def update(self, force: bool = False) -> None:
        """Fetch the suite's package lists (refreshed when older than a few hours)."""
        r = self.root
        for d in ("sources.list.d", "lists/partial", "cache/archives/partial"):
            (r / d).mkdir(parents=True, exist_ok=True)
        (r / "status").touch()
        src = (
            f"deb [signed-by={KEYRING}] {self.mirror} {self.suite} main\n"
            f"deb-src [signed-by={KEYRING}] {self.mirror} {self.suite} main\n"
        )
        changed = not (r / "sources.list").exists() or (r / "sources.list").read_text() != src
        (r / "sources.list").write_text(src)
        stamp = r / "updated"
        fresh = stamp.exists() and time.time() - stamp.stat().st_mtime < LISTS_MAX_AGE_S
        if force or changed or not fresh:
            try:
                self._run(["apt-get", *self._opts(), "update", "-q"])
            except AptError as e:
                if not stamp.exists():  # never worked: leave no directory behind
                    shutil.rmtree(r, ignore_errors=True)
                if "does not have a Release file" in str(e):
                    raise AptError(f"unknown Debian suite {self.suite!r} "
                                   "(e.g. sid, trixie, experimental, bookworm-backports)") from e
                raise
            stamp.touch()
        self._ready = True

    def _run(self, cmd: list[str], cwd: Path | None = None) -> str:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        if p.returncode != 0:
            tail = "\n".join((p.stderr or p.stdout).strip().splitlines()[-5:])
            raise AptError(f"{' '.join(cmd[:1] + cmd[-3:])} failed (suite {self.suite}):\n{tail}")
        return p.stdout

    def _ensure(self) -> None:
        if not self._ready:
            self.update()

    def show(self, package: str) -> dict[str, str]:
        """Fields of the candidate version of ``package`` (Version, Depends, ...)."""
        self._ensure()
        out = self._run(["apt-cache", *self._opts(), "show", "--no-all-versions", package])
        fields: dict[str, str] = {}
        key = ""
        for line in out.splitlines():
            if not line:
                break
            if line[0].isspace() and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, val = line.partition(":")
                fields[key] = val.strip()
        return fields

    def versions(self, package: str) -> list[str]:
        """All versions of ``package`` the suite offers (newest first)."""
        self._ensure()
        out = self._run(["apt-cache", *self._opts(), "madison", package])
        return [cols[1].strip() for cols in (ln.split("|") for ln in out.splitlines()) if
                len(cols) >= 3]

    def download(self, packages: list[str], dest: Path) -> list[Path]:
        """``apt-get download`` binary packages (``name`` or ``name=version``) into ``dest``."""
        self._ensure()
        dest.mkdir(parents=True, exist_ok=True)
        before = set(dest.glob("*.deb"))
        self._run(["apt-get", *self._opts(), "download", "-q", *packages], cwd=dest)
        return sorted(set(dest.glob("*.deb")) - before) or sorted(dest.glob("*.deb"))

    def source(self, package: str, dest: Path, version: str | None = None) -> Path:
        """Download (not unpack) a source package into ``dest``; returns ``dest``."""
        self._ensure()
        dest.mkdir(parents=True, exist_ok=True)
        spec = f"{package}={version}" if version else package
        self._run(["apt-get", *self._opts(), "source", "--download-only", "-q", spec], cwd=dest)
        return dest


def depends_names(depends: str) -> list[str]:
    """Package names in a Depends field (first alternative of each, no versions)."""
    names = []
    for item in depends.split(","):
        first = item.split("|")[0].strip()
        if first:
            names.append(re.split(r"[\s(:]", first, maxsplit=1)[0])
    return names
