# SPDX-License-Identifier: GPL-2.0-or-later
"""Build QEMU with our igc device from Debian's qemu source package.

Recipe (all outputs under the cache dir, keyed by a hash of the recipe):

1. fetch Debian's ``qemu_<ver>+ds.orig.tar.xz`` through a private apt
   configuration (trixie, the host's mirror; pinned version, falling back to
   the newest 10.x the archive has),
2. unpack it, drop in our device sources (:data:`DEVICE_SOURCES`: the PCI glue
   ``igc.c``, the model ``igc_core.c``, the harness hooks ``igc_harness.c``
   and their headers) and append our Kconfig / meson / trace-events snippets,
   plus a minimal device config,
3. stop meson from unpacking the edk2 blobs (the +ds tarball has none) and make
   q35 the default machine (the i440FX board is not built),
4. configure with a private venv (meson 1.5 + pycotap, from PyPI) and build
   only ``qemu-system-x86_64`` with ninja,
5. install the binary into ``<cache>/qemu/<key>/bin``.

The result needs firmware from the distribution: see :func:`firmware_args`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import REPO, cache_dir, cached, recipe_key
from harness.progress import BuildStatus, BuildStep, Emit, quiet

# Bump when the build steps below change in a way that changes the binary.
RECIPE_VERSION = "3"
QEMU_SUITE = "trixie"
QEMU_VERSION = "1:10.0.13+ds-0+deb13u1"
VENV_REQUIREMENTS = ["meson==1.5.*", "pycotap>=1.1.0"]
QEMU_SRC_DIR = REPO / "qemu"
DEVICES_CONFIG = "x86_64-igc.mak"
# Our files copied into QEMU's hw/net (meson.build.igc lists the .c ones).
DEVICE_SOURCES = ("igc.c", "igc_core.c", "igc_core.h", "igc_filters.c", "igc_filters.h",
                  "igc_harness.c", "igc_harness.h", "igc_regs.h")
BINARY = "qemu-system-x86_64"

# A self-built QEMU does not know the distribution's firmware paths.
FIRMWARE_DIRS = ["/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu"]

CONFIGURE_ARGS = [
    "--target-list=x86_64-softmmu",
    "--without-default-features",
    "--without-default-devices",
    "--with-devices-x86_64=igc",
    "--disable-download",
    "--disable-install-blobs",
    "--enable-tcg",
    "--enable-kvm",
    "--enable-slirp",
    "--enable-fdt=system",
    "--enable-vhost-kernel",
    "--enable-vhost-net",
    "--enable-seccomp",  # -sandbox on: the device model runs under a syscall filter
    "--disable-docs",
    "--disable-tools",
    "--disable-guest-agent",
    "--disable-werror",
    "--disable-debug-info",
]


class QemuBuildError(HarnessError):
    """The QEMU recipe failed (download, configure or build)."""


def _recipe_files() -> list[Path]:
    return [p for p in QEMU_SRC_DIR.rglob("*") if p.is_file() and p.suffix != ".md"]


def key() -> str:
    """The recipe key: our device sources, the recipe version, pinned version and args."""
    return recipe_key("qemu", RECIPE_VERSION, QEMU_SUITE, QEMU_VERSION, *VENV_REQUIREMENTS,
                      *CONFIGURE_ARGS, files=_recipe_files())


def install_dir() -> Path:
    return cached("qemu", key())


def find_qemu() -> Path | None:
    """Binary of a finished cached build for the current recipe, else None."""
    d = install_dir()
    binary = d / "bin" / BINARY
    if (d / "done").exists() and binary.exists():
        return binary
    return None


def firmware_args() -> list[str]:
    """``-L`` options for the distribution's firmware (only directories that exist)."""
    return [a for d in FIRMWARE_DIRS if Path(d).is_dir() for a in ("-L", d)]


# ---------------------------------------------------------------------------
# steps


def _run(cmd: list[str], *, cwd: Path | None = None, log: Path, emit: Emit = quiet,
         env: dict[str, str] | None = None, nice: bool = False) -> None:
    """Run ``cmd`` with its output in ``log``; ninja's ``[n/m]`` lines and errors are
    handed to ``emit`` as live status lines."""
    if nice and shutil.which("nice"):
        cmd = ["nice", "-n", "10", *cmd]
    with log.open("ab") as lf:
        lf.write(f"\n$ {' '.join(cmd)}\n".encode())
        lf.flush()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        assert p.stdout is not None
        for line in p.stdout:
            lf.write(line)
            if line.startswith(b"[") or b"error" in line.lower():
                emit(BuildStatus("qemu", line.decode(errors="replace").rstrip()))
        rc = p.wait()
    if rc != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise QemuBuildError(f"{' '.join(cmd[:3])} ... failed (rc={rc}); log {log}:\n{tail}")


def _source_versions(apt) -> list[str]:
    """Source versions of qemu in the suite (newest first)."""
    out = apt._run(["apt-cache", *apt._opts(), "showsrc", "qemu"])
    vers = [ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Version:")]
    vers = [v for v in vers if v.split(":")[-1].startswith("10.")]
    return sorted(set(vers), key=_debver_key, reverse=True)


def _debver_key(v: str) -> tuple:
    import re
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"[.+~:-]", v))


def fetch_source(emit: Emit, log: Path) -> Path:
    """The orig tarball of the pinned (or fallback) qemu version, cached."""
    src_cache = cache_dir() / "qemu-src"
    src_cache.mkdir(parents=True, exist_ok=True)
    have = sorted(src_cache.glob("qemu_*+ds.orig.tar.xz"))
    upstream = QEMU_VERSION.split(":")[-1].split("-")[0]
    pinned = src_cache / f"qemu_{upstream}.orig.tar.xz"
    if pinned.exists():
        return pinned
    from harness.artifacts.debian_apt import AptError, AptSuite  # the spine's private apt

    apt = AptSuite(QEMU_SUITE)
    tried: list[str] = []

    def candidates():
        yield QEMU_VERSION
        try:
            apt.update()
            yield from (v for v in _source_versions(apt) if v != QEMU_VERSION)
        except AptError as e:
            emit(BuildStep("qemu", f"could not list qemu source versions: {e}"))

    dl = src_cache / "dl"
    for ver in candidates():
        shutil.rmtree(dl, ignore_errors=True)
        emit(BuildStep("qemu", f"fetching Debian source qemu={ver} ({QEMU_SUITE})"))
        try:
            apt.source("qemu", dl, version=ver)
        except AptError as e:
            tried.append(f"{ver}: {e}")
            continue
        tars = sorted(dl.glob("qemu_*.orig.tar.xz"))
        if tars:
            dest = src_cache / tars[0].name
            tars[0].replace(dest)
            shutil.rmtree(dl, ignore_errors=True)
            return dest
        tried.append(f"{ver}: no orig tarball")
    if have:
        emit(BuildStep("qemu", f"using already downloaded {have[-1].name}"))
        return have[-1]
    raise QemuBuildError("no qemu 10.x source package could be fetched:\n" + "\n".join(tried))


def ensure_venv(emit: Emit, log: Path) -> Path:
    """A venv with meson 1.5 and pycotap for QEMU's configure (cached)."""
    venv = cache_dir() / "qemu-venv" / recipe_key(*VENV_REQUIREMENTS)
    py = venv / "bin" / "python3"
    if (venv / "ok").exists() and py.exists():
        return py
    shutil.rmtree(venv, ignore_errors=True)
    emit(BuildStep("qemu", "creating build venv (meson 1.5, pycotap)"))
    _run([sys.executable, "-m", "venv", str(venv)], log=log)
    _run([str(py), "-m", "pip", "install", "-q", *VENV_REQUIREMENTS], log=log)
    (venv / "ok").touch()
    return py


def prepare_tree(tarball: Path, work: Path, emit: Emit) -> Path:
    """Unpack QEMU and drop in the igc device; returns the source dir."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    emit(BuildStep("qemu", f"unpacking {tarball.name}"))
    if shutil.which("tar"):
        subprocess.run(["tar", "-xf", str(tarball), "-C", str(work)], check=True)
    else:
        with tarfile.open(tarball) as tf:
            tf.extractall(work)
    dirs = [d for d in work.iterdir() if d.is_dir()]
    if len(dirs) != 1:
        raise QemuBuildError(f"unexpected tarball layout in {work}")
    src = dirs[0]
    apply_device(src)
    return src


def apply_device(src: Path) -> None:
    """Put our igc sources and build hooks into a QEMU source tree."""
    net = src / "hw" / "net"
    ours = QEMU_SRC_DIR / "hw" / "net"
    for name in DEVICE_SOURCES:
        shutil.copy2(ours / name, net / name)
    for snippet, target in (("Kconfig.igc", "Kconfig"), ("meson.build.igc", "meson.build"),
                            ("trace-events-igc", "trace-events")):
        text = (ours / snippet).read_text()
        t = net / target
        t.write_text(t.read_text().rstrip("\n") + "\n\n" + text)
    dev_dir = src / "configs" / "devices" / "x86_64-softmmu"
    shutil.copy2(QEMU_SRC_DIR / "configs" / DEVICES_CONFIG, dev_dir / "igc.mak")
    top = src / "meson.build"
    text = top.read_text()
    needle = "unpack_edk2_blobs = bzip2.found()"
    if needle in text:
        top.write_text(text.replace(needle, "unpack_edk2_blobs = false"))
    # Without the i440FX board there is no default machine, and QEMU then refuses
    # even `-device help`: make the newest q35 the default.
    q35 = src / "hw" / "i386" / "pc_q35.c"
    text = q35.read_text()
    latest = 'pc_q35_init, false, "q35", major, minor)'
    if latest in text:
        q35.write_text(text.replace(latest, 'pc_q35_init, true, "q35", major, minor)'))


def build(emit: Emit = quiet) -> Path:
    """Build (or reuse) QEMU with igc; returns the binary path."""
    found = find_qemu()
    if found:
        emit(BuildStep("qemu", f"cached: {found}"))
        return found
    k = key()
    out = install_dir()
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"qemu-build-{k}.log"
    log.write_text("")
    t0 = time.monotonic()
    tarball = fetch_source(emit, log)
    py = ensure_venv(emit, log)
    work = cache_dir() / "qemu-work" / k
    src = prepare_tree(tarball, work, emit)
    bld = src / "build"
    bld.mkdir()
    emit(BuildStep("qemu", "configure"))
    _run([str(src / "configure"), f"--python={py}", f"--prefix={out}", *CONFIGURE_ARGS],
         cwd=bld, log=log)
    jobs = str(os.cpu_count() or 2)
    emit(BuildStep("qemu", f"ninja -j{jobs} {BINARY} (log: {log})"))
    _run(["ninja", "-j", jobs, BINARY], cwd=bld, log=log, emit=emit, nice=True)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "bin").mkdir(parents=True)
    shutil.copy2(bld / BINARY, tmp / "bin" / BINARY)
    info = {
        "key": k,
        "source": tarball.name,
        "configure": CONFIGURE_ARGS,
        "firmware_args": firmware_args(),
        "build_seconds": round(time.monotonic() - t0, 1),
    }
    (tmp / "recipe.json").write_text(json.dumps(info, indent=2) + "\n")
    (tmp / "done").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    shutil.rmtree(work, ignore_errors=True)
    emit(BuildStep("qemu", f"built in {info['build_seconds']} s: {out / 'bin' / BINARY}"))
    return out / "bin" / BINARY
