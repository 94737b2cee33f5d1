# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest kernels: Debian kernels fetched from the archive, or the user's own build.

Kernel specs:
  ``debian:sid`` / ``debian:trixie`` / ``debian:experimental`` / ``debian:bookworm-backports``
      the suite's ``linux-image-amd64`` meta package, resolved through its dependencies
  ``debian:<version>``  an exact Debian version of ``linux-image-amd64`` (e.g. ``6.12.107-1``),
      looked up in the known suites
  a path  a bzImage/vmlinuz (or vmlinux) the user built; ``modules`` optional
  ``tree:PATH`` / ``debian:SUITE-source``  a kernel built from source (with ``patches``
      applied) by :mod:`harness.artifacts.kernel_build`: the first use builds, later
      uses hit the cache
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.artifacts import kconfig
from harness.artifacts.debian_apt import LISTS_MAX_AGE_S, AptError, AptSuite, depends_names
from harness.errors import HarnessError
from harness.paths import cache_dir, cached, ensure_entry, recipe_key
from harness.progress import BuildStep, Emit, notice, quiet

DEFAULT_KERNEL = "debian:sid"
SUITES = ("sid", "trixie", "experimental", "bookworm-backports")
KERNEL_PKG = re.compile(r"^linux-(image|binary|modules)-")


class KernelError(HarnessError):
    """A kernel spec that cannot be resolved, fetched or used."""


@dataclass(frozen=True)
class Kernel:
    """A bootable kernel and (optionally) its module tree."""

    image: Path                 # bzImage / vmlinuz / vmlinux
    release: str | None         # uname -r, when known before boot
    modules: Path | None        # directory containing lib-style ``<release>/`` trees
    spec: str                   # what the user asked for
    config: Path | None = None  # the .config that was checked (user kernels)

    @property
    def modular(self) -> bool:
        return self.modules is not None


def resolve(spec: str | None, modules: str | Path | None = None, emit: Emit = quiet,
            patches: tuple[Path, ...] | list[Path] = ()) -> Kernel:
    """Turn a kernel spec into a local Kernel, fetching Debian packages or building a
    source (``tree:PATH``, ``debian:SUITE-source``, with ``patches``) if needed."""
    spec = spec or DEFAULT_KERNEL
    from harness.artifacts import kernel_build, kernel_source  # they build on this module
    if kernel_source.is_build_spec(spec):
        if modules:
            raise KernelError("--modules only goes with --kernel PATH")
        req = kernel_build.BuildRequest(spec, tuple(Path(p) for p in patches))
        return kernel_build.build(req, emit=emit).kernel
    if patches:
        raise KernelError(f"--patch needs a kernel built from source (--kernel tree:PATH or "
                          f"debian:SUITE-source), not {spec}")
    if spec.startswith("debian:"):
        if modules:
            raise KernelError("--modules only goes with --kernel PATH")
        return fetch_debian(spec[len("debian:"):], emit=emit)
    return local_kernel(Path(spec), Path(modules) if modules else None, spec)


def local_kernel(image: Path, modules: Path | None, spec: str) -> Kernel:
    """A kernel the user built (``--kernel PATH [--modules DIR]``)."""
    if not image.is_file():
        raise KernelError(f"kernel image not found: {image}")
    with image.open("rb") as f:
        head = f.read(0x206)
    if head[0x202:0x206] != b"HdrS" and head[:4] != b"\x7fELF":
        raise KernelError(f"{image}: not a kernel image (no bzImage header, not an ELF "
                          "vmlinux); pass arch/x86/boot/bzImage or vmlinux")
    release = None
    mod_root = None
    if modules is not None:
        if not modules.is_dir():
            raise KernelError(f"modules directory not found: {modules}")
        mod_root = _find_modules_root(modules)
        if mod_root is None:
            raise KernelError(
                f"no lib/modules/<release>/ tree under {modules} "
                "(expected a `make modules_install INSTALL_MOD_PATH=DIR` tree)")
        releases = sorted(p.name for p in mod_root.iterdir() if p.is_dir())
        release = releases[0] if len(releases) == 1 else None
    release = release or _release_from_image(image)
    config = kconfig.find_config(image, mod_root, release)
    if config is not None:
        lacking = kconfig.missing(kconfig.parse(config.read_text()), kconfig.required(),
                                  modules=mod_root is not None)
        if lacking:
            raise KernelError(f"{image}: its config ({config}) lacks options the harness needs "
                              f"(see kconfigs/xdp-hints.config): {', '.join(lacking)}")
    return Kernel(image=image.resolve(), release=release, modules=mod_root, spec=spec,
                  config=config)


def _find_modules_root(d: Path) -> Path | None:
    for cand in (d / "lib" / "modules", d / "usr" / "lib" / "modules", d):
        if cand.is_dir() and any((p / "kernel").is_dir() for p in cand.iterdir() if p.is_dir()):
            return cand
    return None


def _release_from_image(image: Path) -> str | None:
    """The version string embedded in a bzImage header (or in a vmlinux)."""
    data = image.read_bytes()
    if data[0x202:0x206] == b"HdrS":
        off = int.from_bytes(data[0x20E:0x210], "little") + 0x200
        return data[off:off + 128].split(b" ", 1)[0].decode(errors="replace") or None
    m = re.search(rb"Linux version (\S+)", data)
    return m.group(1).decode(errors="replace") if m else None


def _suite_and_version(what: str) -> tuple[AptSuite, str | None]:
    if what in SUITES or not re.match(r"^\d", what):
        return AptSuite(what), None
    for suite in SUITES:
        apt = AptSuite(suite)
        try:
            if what in apt.versions("linux-image-amd64"):
                return apt, what
        except AptError:
            continue
    raise KernelError(f"no suite of {', '.join(SUITES)} has linux-image-amd64 version {what}")


def _kernel_packages(apt: AptSuite, version: str | None) -> list[str]:
    """Resolve linux-image-amd64 to the packages that carry vmlinuz and modules."""
    want = f"linux-image-amd64={version}" if version else "linux-image-amd64"
    todo, seen, found = [want], set(), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            fields = apt.show(name)
        except AptError as e:
            raise KernelError(f"cannot resolve {name} in {apt.suite}: {e}") from e
        base = name.split("=")[0]
        if KERNEL_PKG.match(base) and base != "linux-image-amd64":
            found.append(f"{base}={fields['Version']}")
        for dep in depends_names(fields.get("Depends", "")):
            if dep.startswith(("linux-image-", "linux-binary-", "linux-modules-")):
                todo.append(dep)
    # A meta package (sid's linux-image-<ver>) carries nothing: keep only real payloads later.
    if not found:
        raise KernelError(f"linux-image-amd64 in {apt.suite} resolves to no kernel package")
    return sorted(found)


def _resolve_packages(what: str) -> tuple[str, list[str]]:
    """(suite, packages) for a Debian spec; remembered as long as apt lists stay fresh,
    and reused (stale) when the archive cannot be reached."""
    memo_path = cache_dir() / "kernels" / "resolved.json"
    memo = json.loads(memo_path.read_text()) if memo_path.exists() else {}
    hit = memo.get(what)
    if hit and time.time() - hit["at"] < LISTS_MAX_AGE_S:
        return hit["suite"], hit["packages"]
    try:
        apt, version = _suite_and_version(what)
        pkgs = _kernel_packages(apt, version)
    except AptError as e:
        if hit:
            return hit["suite"], hit["packages"]
        raise KernelError(str(e)) from e
    memo[what] = {"suite": apt.suite, "packages": pkgs, "at": time.time()}
    memo_path.parent.mkdir(parents=True, exist_ok=True)
    memo_path.write_text(json.dumps(memo, indent=1))
    return apt.suite, pkgs


def fetch_debian(what: str, emit: Emit = quiet) -> Kernel:
    """Download and unpack a Debian kernel (cached by exact package versions)."""
    suite, pkgs = _resolve_packages(what)

    def build(stage: Path, scratch: Path) -> None:
        emit(BuildStep("kernel", f"fetching Debian kernel {', '.join(pkgs)} ({suite})"))
        try:
            debs = AptSuite(suite).download(pkgs, scratch / "debs")
        except AptError as e:
            raise KernelError(str(e)) from e
        root = scratch / "root"
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        mods = _find_modules_root(root)
        if mods is None:
            raise KernelError(f"no module tree in {', '.join(p.name for p in debs)}")
        release = sorted(p.name for p in mods.iterdir() if (p / "kernel").is_dir())[0]
        images = [*mods.glob(f"{release}/vmlinuz"), *(root / "boot").glob(f"vmlinuz-{release}")]
        if not images:
            raise KernelError(f"no vmlinuz for {release} in {', '.join(p.name for p in debs)}")
        shutil.move(str(images[0]), stage / "vmlinuz")
        shutil.move(str(mods), stage / "modules")
        depmod(stage / "modules", release)
        # paths relative to the entry: a copied or moved cache stays valid
        (stage / "kernel.json").write_text(json.dumps({
            "image": "vmlinuz", "release": release, "modules": "modules", "packages": pkgs}))

    out = ensure_entry(cached("kernels", recipe_key("debian-kernel-v1", *pkgs)),
                       lambda o: (o / "kernel.json").exists(), build, notice(emit))
    info = json.loads((out / "kernel.json").read_text())
    # entries from before relative paths hold absolute ones: the entry's own files win
    image = out / Path(info["image"]).name
    modules = out / Path(info["modules"]).name
    return Kernel(image, info["release"], modules, f"debian:{what}")


def depmod(modules_root: Path, release: str) -> None:
    """Run depmod on ``<root>/<release>`` (depmod wants a basedir with lib/modules)."""
    with tempfile.TemporaryDirectory() as base:
        (Path(base) / "lib").mkdir()
        (Path(base) / "lib" / "modules").symlink_to(modules_root)
        depmod = shutil.which("depmod") or "/usr/sbin/depmod"
        p = subprocess.run([depmod, "-b", base, release], capture_output=True, text=True)
        if p.returncode != 0:
            raise KernelError(f"depmod failed for {release}: {p.stderr.strip()[-400:]}")
