# SPDX-License-Identifier: GPL-2.0-or-later
"""Build a guest kernel from source: patches, a lean config, an incremental O= build.

    kernel = build(BuildRequest("debian:sid-source", patches=(Path("0001-x.patch"),)))

Stages (each reported as a BuildStep; the compile count as BuildStatus lines):

1. **source**  :mod:`kernel_source` resolves the spec. The tree is checked out into a
   work directory of our own, ``kernel-build/<base>/src``: a git repository whose
   objects come from the source repository by ``alternates`` (nothing is written into
   the user's repository), ``git checkout -f`` of the source's HEAD (+ its local
   changes), so only files that differ from the last build get a new mtime. A plain
   tree is snapshotted into that repository first. ``<base>`` is the history's root
   commit, so every clone of one history (and every bisect step) shares one build.
2. **patches**  applied in order with ``git apply``; one that does not apply is a
   PatchError (exit 2) naming the patch, the file and the failing hunk.
3. **config**  ``tinyconfig kvm_guest.config`` + ``kconfigs/lean-guest.config`` +
   ``kconfigs/xdp-hints.config`` + ``kconfigs/build.config`` + the user's fragments
   (``merge_config.sh -m``, ``olddefconfig``) in a scratch O= dir; every option the
   fragments ask for is checked in the result, and each one that did not survive is
   named with its ``depends on`` (ConfigError, exit 2). The .config is copied into the
   build dir only when it changed (so an unchanged config does not rebuild).
4. **compile**  ``make O=<build dir> bzImage modules`` with ccache and ``-j`` = cores;
   the whole log is saved (``logs/kernel-build/``); a failure is a CompileError
   (exit 2) quoting the error lines and the log path.
5. **modules / BTF / boot files**  modules_install (stripped; BTF kept) into a staged
   cache entry ``kernels-built/<key>`` (key: source identity + patches + final .config +
   compiler), BTF checked in vmlinux and a module, then the entry is renamed into
   place (Ctrl-C leaves no half entry; the work tree is ours, the user's tree untouched).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.artifacts import kconfig, kernel_source
from harness.artifacts.kernel_config import ConfigError, describe_unmet, parse_fragment, unmet
from harness.artifacts.kernel_source import clean_env
from harness.artifacts.kernel_tree import apply_patches, base_id, checkout
from harness.artifacts.kernels import Kernel, KernelError, depmod
from harness.errors import HarnessError, UsageError
from harness.paths import REPO, cache_dir, cached, entry_lock, recipe_key, staged
from harness.progress import BuildStatus, BuildStep, Emit, Note, quiet

KCONFIGS = REPO / "kconfigs"
LEAN = KCONFIGS / "lean-guest.config"
BUILD = KCONFIGS / "build.config"
BASE_TARGETS = ("tinyconfig", "kvm_guest.config")
RECIPE_VERSION = "kbuild-v1"
#: cache kind of built kernels: apart from Debian's ``kernels/``, so that a bisect or a
#: series of patched builds (each a new entry) never evicts the Debian kernels in use
KIND = "kernels-built"
#: build directories kept (each is several GB); the least recently used go first
BUILD_DIRS_KEEP = 3


class CompileError(HarnessError):
    """The kernel build failed (exit 2); ``detail`` has the error lines."""


@dataclass(frozen=True)
class BuildRequest:
    """What to build: a source spec, patches applied in order, config fragments."""

    source: str
    patches: tuple[Path, ...] = ()
    fragments: tuple[Path, ...] = ()
    jobs: int | None = None

    def check(self) -> None:
        """Usage errors before any fetch or build: every file the request names exists."""
        for what, files in (("patch", self.patches), ("config fragment", self.fragments)):
            for f in files:
                if not Path(f).is_file():
                    raise UsageError(f"{what} not found: {f}")
        if self.jobs is not None and self.jobs < 1:
            raise UsageError("-j must be at least 1")


@dataclass
class BuildResult:
    """A built kernel plus what the build did (for ``--json`` and the bench)."""

    kernel: Kernel
    cached: bool
    log: Path | None
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)
    compiled: int = 0


# ---- config ----------------------------------------------------------------------------

def build_root() -> Path:
    """Where build directories live: ``$XDP_HINTS_KBUILD_ROOT`` or ``<cache>/kernel-build``
    (the bench points it at an empty directory for a cold build)."""
    return Path(os.environ.get("XDP_HINTS_KBUILD_ROOT") or cache_dir() / "kernel-build")


def _make_env() -> dict[str, str]:
    env = clean_env()  # setlocalversion runs git in the work tree: not in the user's repo
    ccache_dir = env.get("XDP_HINTS_CCACHE_DIR") or str(cache_dir() / "ccache")
    env.update(LC_ALL="C", KBUILD_BUILD_USER="xdp-hints", KBUILD_BUILD_HOST="xdp-hints",
               KBUILD_BUILD_TIMESTAMP="2026-01-01", CCACHE_DIR=ccache_dir,
               CCACHE_BASEDIR=str(cache_dir()), CCACHE_NOHASHDIR="1",
               CCACHE_MAXSIZE=env.get("CCACHE_MAXSIZE", "8G"))
    env.pop("ARCH", None)
    env.pop("CROSS_COMPILE", None)
    return env


def _quiet_make(work: Path, *args: str, log: Path) -> None:
    with log.open("a") as f:
        f.write(f"$ make {' '.join(args)}\n")
        f.flush()
        p = subprocess.run(["make", "-s", *args], cwd=work, stdout=f, stderr=subprocess.STDOUT,
                           env=_make_env())
    if p.returncode != 0:
        raise CompileError(f"`make {' '.join(args)}` failed (log {log})", detail=_tail(log))


def configure(work: Path, cfg_dir: Path, fragments: Sequence[Path], log: Path) -> Path:
    """The final .config in ``cfg_dir``; ConfigError names each requested option lost."""
    cfg_dir.mkdir(parents=True, exist_ok=True)
    _quiet_make(work, f"O={cfg_dir}", *BASE_TARGETS, log=log)
    merge = work / "scripts" / "kconfig" / "merge_config.sh"
    frags = [LEAN, KCONFIGS / "xdp-hints.config", BUILD, *[Path(f).resolve() for f in fragments]]
    with log.open("a") as f:
        p = subprocess.run(["bash", str(merge), "-m", "-O", str(cfg_dir), str(cfg_dir / ".config"),
                            *map(str, frags)], cwd=work, stdout=f, stderr=subprocess.STDOUT,
                           env=_make_env())
    if p.returncode != 0:
        raise ConfigError(f"merge_config.sh failed (log {log})", detail=_tail(log))
    _quiet_make(work, f"O={cfg_dir}", "olddefconfig", log=log)
    final = kconfig.parse((cfg_dir / ".config").read_text())
    requested = [(fr, parse_fragment(fr.read_text()), fr.parent == KCONFIGS) for fr in frags]
    missing = unmet(final, requested)
    if missing:
        lines = describe_unmet(work, missing)
        raise ConfigError(f"{len(missing)} requested config option(s) did not survive "
                          f"olddefconfig: {', '.join(m[0] for m in missing)}", detail=lines)
    return cfg_dir / ".config"


# ---- compile ---------------------------------------------------------------------------

ERROR_LINE = re.compile(r"(error:|Error \d|\*\*\*|undefined reference|fatal)", re.I)


def _tail(log: Path, n: int = 12) -> list[str]:
    """The error lines of a build log (or its last lines)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    errors = [ln for ln in lines if ERROR_LINE.search(ln)]
    return (errors or lines)[-n:]


def stage_of(line: str) -> str | None:
    """The build stage a kbuild output line starts (compile -> link -> BTF -> modules)."""
    s = line.split()
    if s[:2] == ["LD", "vmlinux.o"]:
        return "link vmlinux"
    if s[:1] == ["BTF"] and "[M]" not in line:
        return "BTF"
    if s[:2] == ["BTF", "[M]"]:
        return "modules"
    return None


def compile_kernel(work: Path, obj: Path, jobs: int, log: Path, emit: Emit = quiet,
                   stages: dict[str, float] | None = None) -> int:
    """``make bzImage modules``; returns the number of objects compiled.

    Ctrl-C (or any error) kills the whole make process group before re-raising."""
    cc = "ccache gcc" if shutil.which("ccache") else "gcc"
    if cc == "gcc":
        emit(Note("ccache not installed (`make setup` installs it): rebuilds will be slower"))
    cmd = ["make", f"O={obj}", f"-j{jobs}", f"CC={cc}", "bzImage", "modules"]
    emit(BuildStep("kernel", f"compile: make -j{jobs} bzImage modules (log {log})"))
    stages = stages if stages is not None else {}
    t_stage = time.monotonic()
    stage = "compile"
    count = 0
    with log.open("a", buffering=1) as f:  # line-buffered: the log can be followed live
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=_make_env(), start_new_session=True, text=True,
                                errors="replace")
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                f.write(line)
                s = line.strip()
                if s.startswith(("CC ", "AS ", "CC [M]")):
                    count += 1
                    if count % 25 == 0:
                        emit(BuildStatus("kernel", f"compile: {count} objects  {s[:70]}"))
                name = stage_of(s) if s else None
                if name and name != stage and name not in stages:
                    now = time.monotonic()
                    stages[stage] = round(now - t_stage, 1)
                    stage, t_stage = name, now
                    emit(BuildStep("kernel", f"{name} ({count} objects compiled so far)"))
            rc = proc.wait()
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
    stages[stage] = round(time.monotonic() - t_stage, 1)
    if rc != 0:
        raise CompileError(f"kernel build failed (make exit {rc}); full log: {log}",
                           detail=_tail(log))
    return count


def has_btf(elf: Path) -> bool:
    """True when an ELF file (vmlinux, a .ko) has a ``.BTF`` section."""
    p = subprocess.run(["readelf", "-S", "-W", str(elf)], capture_output=True, text=True)
    return p.returncode == 0 and re.search(r"\s\.BTF\s", p.stdout) is not None


def install(work: Path, obj: Path, out: Path, spec: str, meta: dict, log: Path,
            emit: Emit = quiet) -> Kernel:
    """bzImage + modules_install into a staged cache entry ``out`` (renamed at the end)."""
    release = (obj / "include" / "config" / "kernel.release").read_text().strip()
    emit(BuildStep("kernel", "BTF: checking vmlinux and modules"))
    if not has_btf(obj / "vmlinux"):
        raise CompileError(f"vmlinux has no .BTF section (pahole? log {log})", detail=_tail(log))
    with staged(out) as (stage, scratch):
        emit(BuildStep("kernel", f"boot files: bzImage + modules_install for {release}"))
        shutil.copy2(obj / "arch" / "x86" / "boot" / "bzImage", stage / "bzImage")
        shutil.copy2(obj / ".config", stage / "config")
        _quiet_make(work, f"O={obj}", "modules_install", f"INSTALL_MOD_PATH={scratch / 'mod'}",
                    "INSTALL_MOD_STRIP=1", "DEPMOD=/bin/true", log=log)
        mods = scratch / "mod" / "lib" / "modules"
        for link in ("build", "source"):
            (mods / release / link).unlink(missing_ok=True)
        shutil.copy2(obj / ".config", mods / release / f"config-{release}")
        shutil.move(str(mods), stage / "modules")
        kos = list((stage / "modules" / release).rglob("*.ko"))
        if kos and not has_btf(kos[0]):
            raise CompileError(f"module {kos[0].name} has no .BTF section (log {log})")
        depmod(stage / "modules", release)
        shutil.copy2(log, stage / "build.log")
        (stage / "kernel.json").write_text(json.dumps({
            **meta, "image": str(out / "bzImage"), "release": release,
            "modules": str(out / "modules"), "config": str(out / "config")}, indent=1))
    return Kernel(out / "bzImage", release, out / "modules", spec, config=out / "config")


# ---- the whole build -------------------------------------------------------------------

def _files_hash(files: Sequence[Path]) -> list[str]:
    return [hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files]


def _compiler() -> str:
    p = subprocess.run(["gcc", "--version"], capture_output=True, text=True)
    pahole = subprocess.run(["pahole", "--version"], capture_output=True, text=True) \
        if shutil.which("pahole") else None
    return (p.stdout.splitlines() or ["?"])[0] + " pahole " + (
        pahole.stdout.strip() if pahole else "none")


def _kernel_from(out: Path, spec: str) -> Kernel:
    info = json.loads((out / "kernel.json").read_text())
    return Kernel(Path(info["image"]), info["release"], Path(info["modules"]), spec,
                  config=Path(info["config"]))


def check_host() -> None:
    """Tools a kernel build needs; a clear error before any work."""
    need = {"make": "make", "gcc": "gcc", "flex": "flex", "bison": "bison", "bc": "bc",
            "pahole": "dwarves", "git": "git", "readelf": "binutils"}
    lacking = [pkg for tool, pkg in need.items() if not shutil.which(tool)]
    if lacking:
        raise KernelError(f"kernel builds need {', '.join(sorted(set(lacking)))} "
                          "(`make setup` installs them)")


def build(req: BuildRequest, emit: Emit = quiet, spec: str | None = None,
          force: bool = False) -> BuildResult:
    """Build (or find in the cache) the kernel ``req`` asks for; ``force`` always compiles
    (make decides what is out of date) and replaces the cache entry."""
    req.check()
    t0 = time.monotonic()
    spec = spec or req.source + "".join(f" +{Path(p).name}" for p in req.patches)
    source = kernel_source.resolve(req.source, emit)
    recipe = [RECIPE_VERSION, source.identity, *_files_hash(req.patches),
              *_files_hash([LEAN, KCONFIGS / "xdp-hints.config", BUILD, *req.fragments])]
    memo_key = recipe_key(*recipe, _compiler())
    memo_path = cache_dir() / "kernel-build" / "memo.json"
    memo = json.loads(memo_path.read_text()) if memo_path.exists() else {}
    if memo_key in memo and not force:
        out = cached(KIND, memo[memo_key])
        if (out / "kernel.json").exists():
            emit(Note(f"kernel build cached: {out}"))
            return BuildResult(_kernel_from(out, spec), True, out / "build.log",
                               time.monotonic() - t0)
    check_host()
    base = build_root() / base_id(source)
    logs = cache_dir() / "logs" / "kernel-build"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    log.write_text(f"# xdp-hints kernel build {spec}\n# source {source.identity}\n")
    emit(BuildStep("kernel", f"building {spec} ({source.version}); log {log}"))
    stages: dict[str, float] = {}
    with entry_lock(base):  # one builder per build directory
        base.mkdir(parents=True, exist_ok=True)
        os.utime(base)
        work, obj = base / "src", base / "obj"
        t = time.monotonic()
        sha = checkout(source, work, emit)
        apply_patches(work, req.patches, emit)
        stages["source"] = round(time.monotonic() - t, 1)
        emit(BuildStep("kernel", "config: tinyconfig + kvm_guest + lean-guest + xdp-hints "
                                 f"+ build{''.join(' + ' + Path(f).name for f in req.fragments)}"))
        t = time.monotonic()
        final = configure(work, base / "cfg", req.fragments, log)
        stages["config"] = round(time.monotonic() - t, 1)
        config_text = final.read_text()
        key = recipe_key(*recipe, config_text, _compiler())
        out = cached(KIND, key)
        if (out / "kernel.json").exists() and not force:
            _remember(memo_path, memo_key, key)
            emit(Note(f"kernel build cached: {out}"))
            return BuildResult(_kernel_from(out, spec), True, out / "build.log",
                               time.monotonic() - t0, stages)
        obj.mkdir(parents=True, exist_ok=True)
        if not (obj / ".config").exists() or (obj / ".config").read_text() != config_text:
            shutil.copy2(final, obj / ".config")
        jobs = req.jobs or os.cpu_count() or 1
        count = compile_kernel(work, obj, jobs, log, emit, stages)
        t = time.monotonic()
        meta = {"spec": spec, "source": source.identity, "commit": sha,
                "patches": [str(p) for p in req.patches],
                "fragments": [str(f) for f in req.fragments], "compiled": count}
        kernel = install(work, obj, out, spec, meta, log, emit)
        stages["install"] = round(time.monotonic() - t, 1)
    _remember(memo_path, memo_key, key)
    _prune_build_dirs(base)
    return BuildResult(kernel, False, log, time.monotonic() - t0, stages, count)


def _remember(memo_path: Path, memo_key: str, key: str) -> None:
    memo = json.loads(memo_path.read_text()) if memo_path.exists() else {}
    memo[memo_key] = key
    memo_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = memo_path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(memo, indent=1))
    tmp.rename(memo_path)


def _prune_build_dirs(current: Path) -> None:
    """Keep the BUILD_DIRS_KEEP most recently used build directories (several GB each)."""
    dirs = sorted((p for p in current.parent.iterdir() if p.is_dir() and p.name != "memo"),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for d in dirs[BUILD_DIRS_KEEP:]:
        if d != current:
            shutil.rmtree(d, ignore_errors=True)
