# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the guest-side BPF object and runner on the host, cached by recipe.

    from harness.artifacts.bpf_build import build
    art = build()                 # BpfArtifacts; reuses the cache when nothing changed
    art.bpf_object, art.runner    # Paths: xdp_hints.bpf.o, xdp-hints-guest

What is built (sources in ``guest-bpf/``):

- ``xdp_hints.bpf.o``: ``clang -O2 -g -target bpf`` over ``xdp_hints.bpf.c``;
  BTF is needed (kfunc externs, ``.rodata.cfg``), hence ``-g``.
- ``xh_tc_helpers.bpf.o``: the same over ``xh_tc_helpers.bpf.c`` (the TC helper
  chain, runner ``--tc-chain``).
- ``xh_stacked.bpf.o``: the same over ``xh_stacked.bpf.c`` (the stacked-device
  reader, runner ``--upper-obj``).
- ``xdp-hints-guest``: ``gcc`` over the runner's C files, linked dynamically
  against ``libbpf.so.1`` and ``libxdp.so.1``.  Built against bookworm's
  libbpf 1.1 / libxdp 1.3 / glibc 2.36 and run against the guest's newer
  (trixie) ones, which keep those symbol versions.

The flags and the runner's source list come from ``guest-bpf/flags.mk``, which
``guest-bpf/Makefile`` includes too, so a hand build and this one agree.
:func:`build_object` compiles one more BPF C file (a user's program, a test-only
fault build) with the same flags and ``-I guest-bpf`` (so it can include
``xdp_hints_common.h``), cached by its content next to those.
The cache directory is ``<cache>/guest-bpf/<key>``; the key hashes every file
in ``guest-bpf/`` (``flags.mk`` included), the flags and the compilers'
version lines, so any change rebuilds.  A build happens in a temporary
directory renamed into place, so concurrent builds never see half a result.
Missing host tools raise BpfBuildError naming the Debian packages to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import REPO, cache_dir, cached, recipe_key

SRC_DIR = REPO / "guest-bpf"
FLAGS_FILE = "flags.mk"
BPF_SOURCE = "xdp_hints.bpf.c"
BPF_OBJECT = "xdp_hints.bpf.o"
#: the same programs with the store kfuncs (runner ``--store``; -DXH_WITH_STORE)
STORE_OBJECT = "xdp_hints_store.bpf.o"
#: the TC helper chain (runner ``--tc-chain``), a BPF object of its own
TCH_SOURCE = "xh_tc_helpers.bpf.c"
TCH_OBJECT = "xh_tc_helpers.bpf.o"
#: the stacked-device reader (runner ``--upper-obj``), a BPF object of its own
STK_SOURCE = "xh_stacked.bpf.c"
STK_OBJECT = "xh_stacked.bpf.o"
RUNNER = "xdp-hints-guest"
#: send, wait, tsrx, tpacket without libbpf, static (started ~100 times a run)
TOOLS = "xh-tools"

#: (what is checked, Debian package that provides it)
REQUIRED = (
    ("clang", "clang"),
    ("gcc", "gcc"),
    ("/usr/include/bpf/bpf_helpers.h", "libbpf-dev"),
    ("/usr/include/xdp/xsk.h", "libxdp-dev"),
    ("/usr/include/gelf.h", "libelf-dev"),
    ("/usr/include/zlib.h", "zlib1g-dev"),
    ("/usr/include/linux/bpf.h", "linux-libc-dev"),
)


class BpfBuildError(HarnessError):
    """The guest BPF build failed or cannot run on this host."""


def read_flags(path: Path) -> dict[str, tuple[str, ...]]:
    """The ``NAME := words`` lines of a flags.mk, as name -> words.

    Anything else (``+=``, ``$(...)``, conditionals) is refused rather than
    guessed at, so the Makefile can never mean more than this reads.
    """
    out: dict[str, tuple[str, ...]] = {}
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, value = line.partition(":=")
        name = name.strip()
        if not sep or not name.isidentifier() or "$" in value:
            raise BpfBuildError(f"{path}:{n}: expected NAME := words, got {raw!r}")
        out[name] = tuple(value.split())
    return out


_FLAGS = read_flags(SRC_DIR / FLAGS_FILE)
BPF_CFLAGS = _FLAGS["BPF_CFLAGS"]
CFLAGS = _FLAGS["CFLAGS"]
LDLIBS = _FLAGS["LDLIBS"]
RUNNER_SOURCES = _FLAGS["RUNNER_SRCS"]
TOOLS_SOURCES = _FLAGS["TOOLS_SRCS"]
TOOLS_LDFLAGS = _FLAGS["TOOLS_LDFLAGS"]


@dataclass(frozen=True)
class BpfArtifacts:
    """A finished build in the cache."""

    dir: Path
    key: str

    @property
    def bpf_object(self) -> Path:
        return self.dir / BPF_OBJECT

    @property
    def store_object(self) -> Path:
        return self.dir / STORE_OBJECT

    @property
    def tc_helpers_object(self) -> Path:
        return self.dir / TCH_OBJECT

    @property
    def stacked_object(self) -> Path:
        return self.dir / STK_OBJECT

    @property
    def runner(self) -> Path:
        return self.dir / RUNNER

    @property
    def tools(self) -> Path:
        return self.dir / TOOLS

    def files(self) -> list[Path]:
        """What has to go into the guest (the runner looks for the object next to itself)."""
        return [self.runner, self.tools, self.bpf_object, self.store_object,
                self.tc_helpers_object, self.stacked_object]


def sources() -> list[Path]:
    """Every file of the recipe: all of guest-bpf/ except build output."""
    return sorted(
        p for p in SRC_DIR.rglob("*")
        if p.is_file() and (p.suffix in (".c", ".h", ".mk") or p.name == "Makefile")
    )


def missing_packages() -> list[str]:
    """Debian packages whose tools/headers are missing on this host."""
    missing: list[str] = []
    for what, pkg in REQUIRED:
        ok = Path(what).exists() if what.startswith("/") else shutil.which(what) is not None
        if not ok and pkg not in missing:
            missing.append(pkg)
    return missing


def _tool_version(tool: str) -> str:
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return f"{tool}: unavailable"
    return (out.stdout.splitlines() or [""])[0]


def _multiarch_include() -> list[str]:
    """``-I/usr/include/<triplet>`` so ``<asm/types.h>`` resolves for -target bpf."""
    try:
        triplet = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        triplet = ""
    if triplet and Path(f"/usr/include/{triplet}").is_dir():
        return [f"-I/usr/include/{triplet}"]
    return []


def build_key() -> str:
    return recipe_key(
        "guest-bpf-v1", " ".join(BPF_CFLAGS), " ".join(CFLAGS), " ".join(LDLIBS),
        " ".join(TOOLS_LDFLAGS),
        _tool_version("clang"), _tool_version("gcc"),
        files=sources(),
    )


def _run(cmd: list[str], cwd: Path) -> None:
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise BpfBuildError(
            f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}{p.stderr}".rstrip()
        )


def compile_into(out: Path) -> None:
    """Compile the object and the runner into ``out`` (no caching)."""
    missing = missing_packages()
    if missing:
        raise BpfBuildError(
            "cannot build guest BPF programs, missing host packages: "
            + " ".join(missing) + f" (apt-get install {' '.join(missing)})"
        )
    out.mkdir(parents=True, exist_ok=True)
    for cmd in commands(out):
        _run(cmd, cwd=out)


def bpf_command(source: str, obj: Path, *defines: str) -> list[str]:
    """The clang line that compiles one BPF source of guest-bpf/ into ``obj``."""
    return ["clang", *BPF_CFLAGS, *_multiarch_include(), *(f"-D{d}" for d in defines),
            "-I", str(SRC_DIR), "-c", str(SRC_DIR / source), "-o", str(obj)]


def commands(out: Path) -> list[list[str]]:
    """The compiler command lines (BPF objects, then runner) that build into ``out``."""
    return [
        bpf_command(BPF_SOURCE, out / BPF_OBJECT),
        bpf_command(BPF_SOURCE, out / STORE_OBJECT, "XH_WITH_STORE"),
        bpf_command(TCH_SOURCE, out / TCH_OBJECT),
        bpf_command(STK_SOURCE, out / STK_OBJECT),
        ["gcc", *CFLAGS, "-I", str(SRC_DIR), *[str(SRC_DIR / s) for s in RUNNER_SOURCES],
         "-o", str(out / RUNNER), *LDLIBS],
        ["gcc", *CFLAGS, "-I", str(SRC_DIR), *[str(SRC_DIR / s) for s in TOOLS_SOURCES],
         "-o", str(out / TOOLS), *TOOLS_LDFLAGS],
    ]


def build_object(source: Path, defines: tuple[str, ...] = (), name: str = "") -> Path:
    """``source`` compiled with the harness's BPF flags, cached by its content, the
    flags, ``defines``, the C files and headers next to it (it may include them) and
    guest-bpf/'s, and clang; BpfBuildError with the compiler's messages if it does not
    compile."""
    missing = [pkg for pkg in missing_packages() if pkg in ("clang", "libbpf-dev",
                                                            "linux-libc-dev")]
    if missing:
        raise BpfBuildError(f"cannot build {source}: missing host packages "
                            f"{' '.join(missing)} (apt-get install {' '.join(missing)})")
    key = recipe_key("bpf-object-v1", " ".join(BPF_CFLAGS), *defines, _tool_version("clang"),
                     files=[source, *source.parent.glob("*.[ch]"), *SRC_DIR.glob("*.h")])
    out = cache_dir() / "guest-bpf" / f"{name or source.name.split('.')[0]}-{key}.bpf.o"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    cmd = ["clang", *BPF_CFLAGS, *_multiarch_include(), *(f"-D{d}" for d in defines),
           "-I", str(SRC_DIR), "-c", str(source), "-o", str(tmp)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BpfBuildError(f"{source} does not compile with the harness's flags "
                            f"({' '.join(BPF_CFLAGS)}):\n{p.stderr.strip()}")
    tmp.rename(out)
    return out


def build(force: bool = False) -> BpfArtifacts:
    """Build (or reuse) the guest artifacts; returns where they are."""
    key = build_key()
    dest = cached("guest-bpf", key)
    art = BpfArtifacts(dest, key)
    if not force and all(f.is_file() for f in art.files()):
        return art
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{key}-", dir=dest.parent))
    try:
        compile_into(tmp)
        (tmp / "key").write_text(key + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        try:
            os.rename(tmp, dest)
        except OSError:
            # a concurrent build won the race; use its result
            if not all(f.is_file() for f in art.files()):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return art
