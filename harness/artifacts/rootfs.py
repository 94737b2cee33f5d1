# SPDX-License-Identifier: GPL-2.0-or-later
"""The guest root filesystem: Debian trixie minbase + our tools, as an ext4 image.

Recipe: ``images/rootfs/`` (package list, our init, sshd config). The image is
built with mmdebstrap and ``mkfs.ext4 -d`` (no loop mounts), cached under a key
of the recipe, and booted ``snapshot=on`` so no run changes it. A manifest of
package versions is saved next to it.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.artifacts.debian_apt import host_mirror
from harness.errors import HarnessError
from harness.paths import REPO, cache_dir, cached, ensure_entry, entry_lock, recipe_key
from harness.progress import BuildStep, Emit, notice, quiet

RECIPE = REPO / "images" / "rootfs"
SUITE = "trixie"


class ImageError(HarnessError):
    """A guest image could not be built."""


@dataclass(frozen=True)
class Rootfs:
    image: Path
    manifest: Path
    host_key: str | None = None  # the guest sshd's public key (``ssh-ed25519 AAAA...``)


def packages() -> list[str]:
    lines = (RECIPE / "packages").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


CUSTOM = ("xdp-hints-init", "sshd_config")


def ext4_image(src: Path, dest: Path, label: str, slack_mb: int = 64) -> None:
    """Pack a directory into an ext4 image with ``mkfs.ext4 -d`` (no mounts)."""
    used = int(subprocess.run(["du", "-sm", str(src)], capture_output=True, text=True,
                              check=True).stdout.split()[0])
    size = int(used * 1.25) + slack_mb
    mkfs = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"
    p = subprocess.run([mkfs, "-q", "-F", "-L", label, "-E", "root_owner=0:0",
                        "-d", str(src), str(dest), f"{size}M"], capture_output=True, text=True)
    if p.returncode != 0:
        raise ImageError(f"mkfs.ext4 failed for {dest.name}: {p.stderr.strip()}")


def _base_key() -> str:
    return recipe_key("rootfs-base-v1", SUITE, files=[RECIPE / "packages"])


def _key() -> str:
    return recipe_key("rootfs-v3", _base_key(), files=[RECIPE / f for f in CUSTOM])


def ensure(emit: Emit = quiet) -> Rootfs:
    """Return the cached rootfs image, building what the recipe changed.

    Two cache levels: the debootstrapped tree (keyed by suite + package list,
    about a minute to build) and the image with our init and sshd config on
    top (keyed by those files too, seconds to build).
    """
    def build(stage: Path, scratch: Path) -> None:
        if os.geteuid() != 0:
            raise ImageError(needs_root_once())
        base = _base_tree(emit)
        emit(BuildStep("rootfs", "packing the rootfs image"))
        tree = scratch / "tree"
        with entry_lock(base):  # nobody replaces the tree while it is copied
            subprocess.run(["cp", "-a", "--reflink=auto", str(base / "tree"), str(tree)],
                           check=True)
        _customise(tree)
        shutil.copy(base / "manifest.txt", stage / "manifest.txt")
        shutil.copy(tree / "etc" / "ssh" / "ssh_host_ed25519_key.pub", stage / "host_key.pub")
        ext4_image(tree, stage / "rootfs.ext4", "xdphroot", slack_mb=256)

    out = ensure_entry(cached("rootfs", _key()), lambda o: (o / "rootfs.ext4").exists(), build,
                       notice(emit))
    pub = out / "host_key.pub"
    return Rootfs(out / "rootfs.ext4", out / "manifest.txt",
                  pub.read_text().strip() if pub.is_file() else None)


def needs_root_once() -> str:
    """What a user without root runs once: the image holds files owned by root, so
    mmdebstrap runs as root; runs after that only read the image."""
    cache, user = cache_dir(), pwd.getpwuid(os.getuid()).pw_name
    build = shlex.join(["env", f"XDP_HINTS_CACHE={cache}", sys.executable, "-m", "harness.cli",
                        "image", "build"])
    repo = shlex.quote(str(REPO))
    return ("the guest rootfs is not built yet, and building it needs root once "
            f"(mmdebstrap; the image holds files owned by root). Run:\n"
            f"  cd {repo} && sudo {build} && sudo chown -R {user}: {shlex.quote(str(cache))}\n"
            "then run again as yourself (runs only read the image)")


def _base_tree(emit: Emit = quiet) -> Path:
    """The debootstrapped tree plus its package manifest (cached)."""
    def build(stage: Path, _scratch: Path) -> None:
        if not shutil.which("mmdebstrap"):
            raise ImageError("mmdebstrap is not installed: run `make setup`")
        emit(BuildStep("rootfs", f"building the {SUITE} rootfs tree (mmdebstrap, about a "
                                 "minute)"))
        tree = stage / "tree"
        cmd = ["mmdebstrap", "--quiet", "--mode=root", "--variant=minbase",
               "--include=" + ",".join(packages()),
               "--dpkgopt=path-exclude=/usr/share/{doc,man,info,locale}/*",
               "--dpkgopt=path-include=/usr/share/locale/locale.alias",
               "--aptopt=Acquire::Connect::AddrConfig \"false\"",
               SUITE, str(tree), f"deb {host_mirror()} {SUITE} main"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            tail = "\n".join(p.stderr.strip().splitlines()[-10:])
            raise ImageError(f"mmdebstrap failed:\n{tail}")
        manifest = subprocess.run(
            ["dpkg-query", f"--admindir={tree}/var/lib/dpkg", "-W",
             "-f", "${Package} ${Version}\n"], capture_output=True, text=True, check=True)
        (stage / "manifest.txt").write_text(manifest.stdout)
        shutil.rmtree(tree / "var" / "cache" / "apt", ignore_errors=True)
        shutil.rmtree(tree / "var" / "lib" / "apt" / "lists", ignore_errors=True)

    return ensure_entry(cached("rootfs-base", _base_key()),
                        lambda o: (o / "manifest.txt").exists(), build,
                        notice(emit))


def _customise(tree: Path) -> None:
    """Our init, sshd config and host keys, an empty modules mount point."""
    shutil.copy(RECIPE / "xdp-hints-init", tree / "sbin" / "xdp-hints-init")
    (tree / "sbin" / "xdp-hints-init").chmod(0o755)
    shutil.copy(RECIPE / "sshd_config", tree / "etc" / "ssh" / "sshd_config")
    for f in (tree / "etc" / "ssh").glob("ssh_host_*"):
        f.unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                    "-f", str(tree / "etc" / "ssh" / "ssh_host_ed25519_key")], check=True)
    (tree / "usr" / "lib" / "modules").mkdir(parents=True, exist_ok=True)
    (tree / "root" / ".ssh").mkdir(mode=0o700, parents=True, exist_ok=True)
    (tree / "etc" / "hostname").write_text("xdp-hints\n")
    (tree / "etc" / "fstab").write_text("")
    # the user-mode network's DNS (restrict=on: nothing answers beyond it)
    (tree / "etc" / "resolv.conf").unlink(missing_ok=True)
    (tree / "etc" / "resolv.conf").write_text("nameserver 10.0.2.3\n")
