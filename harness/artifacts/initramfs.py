# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-kernel boot artifacts: a minimal initramfs and a modules disk.

The initramfs holds a static busybox, our ``/init`` (load what mounting root
needs, switch_root) and ``/floor`` (power off at once: the boot floor), plus
the root-disk modules of ``images/initramfs/modules`` and their dependencies,
decompressed. The modules disk is an ext4 image of the kernel's whole module
tree, mounted at ``/usr/lib/modules`` (by the initramfs, or the rootfs init
without one) so ``modprobe`` works.
"""

from __future__ import annotations

import gzip
import lzma
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.artifacts.kernels import Kernel, depmod
from harness.artifacts.rootfs import ImageError, ext4_image
from harness.paths import REPO, cached, ensure_entry, recipe_key
from harness.progress import BuildStep, Emit, notice, quiet

RECIPE = REPO / "images" / "initramfs"
BUSYBOX = Path("/bin/busybox")
#: busybox applets /init and /floor use (linked at build time; --install costs time in TCG)
APPLETS = ("sh", "mkdir", "mount", "insmod", "sleep", "echo", "switch_root", "poweroff")


@dataclass(frozen=True)
class BootFiles:
    initramfs: Path | None
    modules_disk: Path | None


def _wanted() -> list[str]:
    lines = (RECIPE / "modules").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _kernel_id(kernel: Kernel) -> str:
    st = kernel.image.stat()
    return f"{kernel.image}:{st.st_size}:{int(st.st_mtime)}:{kernel.modules}"


def ensure(kernel: Kernel, emit: Emit = quiet) -> BootFiles:
    """Cached initramfs + modules disk for ``kernel`` (None where not needed)."""
    if not kernel.modular:
        return BootFiles(None, None)
    key = recipe_key("boot-v2", _kernel_id(kernel), files=sorted(RECIPE.iterdir()))
    def build(stage: Path, scratch: Path) -> None:
        if not BUSYBOX.exists():
            raise ImageError("static busybox missing (/bin/busybox): run `make setup`")
        emit(BuildStep("initramfs", f"building initramfs and modules disk for {kernel.release}"))
        _initramfs(kernel, scratch / "initramfs", stage / "initramfs.cpio.gz")
        tree = _decompressed_tree(kernel, scratch / "modules")
        ext4_image(tree, stage / "modules.ext4", "xdphmods", slack_mb=16)

    out = ensure_entry(cached("boot", key), lambda o: (o / "modules.ext4").exists(), build,
                       notice(emit))
    return BootFiles(out / "initramfs.cpio.gz", out / "modules.ext4")


def module_files(kernel: Kernel, names: list[str]) -> list[Path]:
    """Module files to insmod for ``names``, dependencies first (builtins drop out)."""
    assert kernel.modules is not None and kernel.release
    base = tempfile.mkdtemp()
    try:
        (Path(base) / "lib").mkdir()
        (Path(base) / "lib" / "modules").symlink_to(kernel.modules)
        modprobe = shutil.which("modprobe") or "/usr/sbin/modprobe"
        files: list[Path] = []
        for name in names:
            p = subprocess.run([modprobe, "-d", base, "-S", kernel.release, "--show-depends",
                                name], capture_output=True, text=True)
            for line in p.stdout.splitlines():
                if line.startswith("insmod "):
                    path = Path(line.split()[1].replace(base + "/lib/modules", str(kernel.modules)))
                    if path not in files:
                        files.append(path)
        return files
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _decompressed(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".xz":
        return lzma.decompress(data)
    if path.suffix == ".gz":
        return gzip.decompress(data)
    if path.suffix == ".zst":
        return subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True).stdout
    return data


def _decompressed_tree(kernel: Kernel, dest: Path) -> Path:
    """A copy of the module tree with every module decompressed, depmod'ed again.

    Decompressing xz in a TCG guest costs seconds per boot; once on the host it
    costs a few seconds per kernel.
    """
    assert kernel.modules is not None and kernel.release
    shutil.copytree(kernel.modules, dest, symlinks=True)
    for mod in dest.rglob("*.ko.*"):
        if mod.suffix in (".xz", ".gz", ".zst"):
            mod.with_suffix("").write_bytes(_decompressed(mod))
            mod.unlink()
    depmod(dest, kernel.release)
    return dest


def _initramfs(kernel: Kernel, root: Path, dest: Path) -> None:
    for d in ("bin", "mods", "dev", "proc", "sys", "newroot"):
        (root / d).mkdir(parents=True)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    for f in ("init", "floor"):
        shutil.copy(RECIPE / f, root / f)
        (root / f).chmod(0o755)
    order = []
    for mod in module_files(kernel, _wanted()):
        name = mod.name.split(".ko")[0] + ".ko"
        (root / "mods" / name).write_bytes(_decompressed(mod))
        order.append(name)
    (root / "modules.order").write_text("\n".join(order) + "\n")
    find = subprocess.Popen(["find", ".", "-print0"], cwd=root, stdout=subprocess.PIPE)
    cpio = subprocess.run(["cpio", "--null", "-o", "-H", "newc", "--quiet"], cwd=root,
                          stdin=find.stdout, capture_output=True, check=True)
    find.wait()
    dest.write_bytes(gzip.compress(cpio.stdout, compresslevel=6))
    if not cpio.stdout:
        raise ImageError("empty initramfs")
