# SPDX-License-Identifier: GPL-2.0-or-later
"""A user's BPF program in place of ours: what its object declares, and the record
contract it must follow on each path.

    prog = user_program("examples/contract_xdp.bpf.c")   # built with the harness's flags
    prog.missing("veth")        # [] or what the object lacks for that path
    args = prog.push(vm, remote_dir)                      # runner arguments (--xdp-obj ...)

The object is read on the host before anything boots: ``bpftool btf dump`` for its
maps and kfunc externs, ``llvm-dwarfdump`` for its structs (BTF keeps only the types
of globals and signatures, not a record built in a local), the ELF symbol table for
which section each program sits in.  The
contract is the runner's own (guest-bpf/xdp_hints_common.h, harness.guest.records):
its XDP program stands in for ``xh_xdp_dev``, and the runner shares with it every
map named like one of ours.  What each CLI path needs (:data:`NEEDS`):

- ``xdp``: records -- a ring buffer ``events`` and ``struct xh_rec`` (the runner
  prints what the program submits there, at point ``xdp``);
- every path after XDP: ``struct xh_meta`` (written at data_meta, read by our
  TC / veth / cpumap / AF_XDP points) and ``.rodata.cfg`` (``struct xh_cfg``:
  the mode to act on, and ``XH_CFG_NO_META`` for the pass-bare run);
- veth / cpumap / xsk: the map to redirect into (``tx_port``, ``cpu_map``, ``xsks``).

A declaration is what can be checked before a boot; whether the program fills the
structs right is what the run judges.  ``skb`` and ``tpacket`` run no XDP program and
need nothing; ``xdp-late`` is our program's own check of the drivers (a user's
program is never asked to call the kfuncs twice).
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.artifacts import bpf_build
from harness.errors import UsageError

#: BPF map types (include/uapi/linux/bpf.h) the contract names
MAP_TYPES = {"ringbuf": 27, "devmap": 14, "cpumap": 16, "xskmap": 17}
#: contract part -> (what it is, how the object shows it)
PARTS: dict[str, str] = {
    "records": "ring buffer map `events` fed with struct xh_rec (the runner prints its "
               "records)",
    "meta": "struct xh_meta written at data_meta (read by our TC, veth, cpumap and "
            "AF_XDP points)",
    "cfg": "`const volatile struct xh_cfg cfg SEC(\".rodata.cfg\")` (the mode to act on; "
           "XH_CFG_NO_META)",
    "tx_port": "devmap `tx_port` (mode veth: redirect into slot 0)",
    "cpu_map": "cpumap `cpu_map` (mode cpumap: redirect to cfg.cpumap_key)",
    "xsks": "xskmap `xsks` (mode xsk: redirect to the rx queue's slot)",
    "sweep": "the size sweep's blobs (XH_CFG_META_SWEEP): only the harness's own program "
             "writes them",
    "encap": "the packet id found inside GRE (TEB) and VXLAN frames (XH_CFG_ENCAP, "
             "xh_stacked.h xh_encap_inner): only the harness's own program parses them",
    "late": "records at point xdp_late under XH_CFG_LATE_HINTS (the kfuncs called again "
            "after writing data_meta: our program's check of the drivers, not a contract "
            "a user's program follows)",
}
_AFTER_XDP = ("meta", "cfg")
#: CLI path -> the contract parts it needs
NEEDS: dict[str, tuple[str, ...]] = {
    "skb": (),
    "tpacket": (),
    "xdp": ("records",),
    "xdp-late": ("records", "cfg", "late"),
    "pass": _AFTER_XDP,
    "veth": (*_AFTER_XDP, "tx_port"),
    "cpumap": (*_AFTER_XDP, "cpu_map"),
    "xsk": (*_AFTER_XDP, "xsks"),
    "xsk-zc": (*_AFTER_XDP, "xsks"),
    "veth-store": ("cfg", "tx_port"),
    "cpumap-store": ("cfg", "cpu_map"),
    "tc-helpers": _AFTER_XDP,
    "meta-sizes": ("sweep",),
    "faults": ("records", "cfg"),  # a --no-meta pass run: kfunc records, skb at TC
    "vlan-dev": _AFTER_XDP,
    "vlan-dev-sw": _AFTER_XDP,
    "gre": (*_AFTER_XDP, "encap"),
    "vxlan": (*_AFTER_XDP, "encap"),
}
KFUNC_PREFIX = "bpf_xdp_metadata_"


@dataclass(frozen=True)
class ObjectInfo:
    """What a BPF object declares."""

    programs: dict[str, str]  # program name -> ELF section
    maps: dict[str, int]  # map name -> BPF map type
    structs: dict[str, int]  # struct name -> size
    datasecs: dict[str, list[str]]  # section -> its variables
    kfuncs: frozenset[str]  # extern kfuncs it calls


def _elf_programs(data: bytes) -> dict[str, str]:
    """{global function: its section} from an ELF64 little-endian object."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise UsageError("not a 64-bit little-endian ELF object (a BPF .o built with "
                         "clang -target bpf?)")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]

    def cstr(off: int) -> str:
        return data[off:data.index(b"\0", off)].decode()

    def name(sec: tuple) -> str:
        return cstr(secs[shstrndx][4] + sec[0])

    out: dict[str, str] = {}
    for sec in secs:
        if sec[1] != 2:  # SHT_SYMTAB
            continue
        strtab = secs[sec[6]][4]
        for off in range(sec[4], sec[4] + sec[5], 24):
            st_name, st_info, _other, st_shndx = struct.unpack_from("<IBBH", data, off)
            exec_sec = 0 < st_shndx < len(secs) and secs[st_shndx][2] & 0x4  # SHF_EXECINSTR
            if st_info == 0x12 and exec_sec:  # STB_GLOBAL | STT_FUNC
                out[cstr(strtab + st_name)] = name(secs[st_shndx])
    return out


def _run_tool(cmd: list[str], path: Path, package: str) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as e:
        raise UsageError(f"{cmd[0]} is needed to read a BPF object (apt-get install "
                         f"{package})") from e
    if p.returncode != 0:
        raise UsageError(f"{path}: cannot read it with {cmd[0]} (build it with -g): "
                         f"{p.stderr.strip()}")
    return p.stdout


def _dwarf_structs(path: Path) -> dict[str, int]:
    """{struct name: byte size} from the object's DWARF."""
    out: dict[str, int] = {}
    text = _run_tool(["llvm-dwarfdump", "--debug-info", str(path)], path, "llvm")
    for block in re.split(r"\n(?=0x[0-9a-f]+:)", text):
        if "DW_TAG_structure_type" not in block:
            continue
        name = re.search(r'DW_AT_name\s+\("([^"]+)"\)', block)
        size = re.search(r"DW_AT_byte_size\s+\((0x[0-9a-f]+)\)", block)
        if name and size:
            out[name.group(1)] = int(size.group(1), 16)
    return out


def _map_type(types: dict[int, dict[str, Any]], type_id: int) -> int | None:
    """The ``type`` member of a BTF-defined map (``__uint(type, ...)``: a pointer to an
    array whose length is the value)."""
    t = types.get(type_id, {})
    for m in t.get("members", []):
        if m["name"] == "type":
            ptr = types.get(m["type_id"], {})
            arr = types.get(ptr.get("type_id", -1), {})
            return arr.get("nr_elems")
    return None


def inspect(path: Path) -> ObjectInfo:
    """What the object at ``path`` declares (UsageError if it is not a BPF object)."""
    btf = _run_tool(["bpftool", "-j", "btf", "dump", "file", str(path)], path, "bpftool")
    types = {t["id"]: t for t in json.loads(btf)["types"]}
    datasecs: dict[str, list[str]] = {}
    maps: dict[str, int] = {}
    kfuncs: set[str] = set()
    for t in types.values():
        if t["kind"] != "DATASEC":
            continue
        members = [types[v["type_id"]] for v in t.get("vars", [])]
        datasecs[t["name"]] = [m.get("name", "") for m in members]
        for m in members:
            if t["name"] == ".maps" and m["kind"] == "VAR":
                mt = _map_type(types, m["type_id"])
                if mt is not None:
                    maps[m["name"]] = mt
            elif t["name"] == ".ksyms" and m["kind"] == "FUNC" \
                    and m["name"].startswith(KFUNC_PREFIX):
                kfuncs.add(m["name"])
    return ObjectInfo(_elf_programs(path.read_bytes()), maps, _dwarf_structs(path), datasecs,
                      frozenset(kfuncs))


@cache
def _ours() -> ObjectInfo:
    """Our own object: the sizes the contract's structs must have."""
    return inspect(bpf_build.build().bpf_object)


def _has(info: ObjectInfo, part: str) -> bool:
    ours = _ours()

    def same(st: str) -> bool:
        return info.structs.get(st) is not None and info.structs.get(st) == ours.structs[st]

    if part == "records":
        return info.maps.get("events") == MAP_TYPES["ringbuf"] and same("xh_rec")
    if part == "meta":
        return same("xh_meta")
    if part == "cfg":
        return "cfg" in info.datasecs.get(".rodata.cfg", []) and same("xh_cfg")
    if part in ("sweep", "late", "encap"):
        return False
    kind = {"tx_port": "devmap", "cpu_map": "cpumap", "xsks": "xskmap"}[part]
    return info.maps.get(part) == MAP_TYPES[kind]


@dataclass
class UserProgram:
    """A user's object and the program in it that stands in for ours on the NIC."""

    source: Path
    obj: Path
    prog: str
    info: ObjectInfo
    tc_prog: str | None = None
    _missing: dict[str, list[str]] = field(default_factory=dict)

    @property
    def dev_bound(self) -> bool:
        """It calls the RX metadata kfuncs, so it must be loaded device-bound."""
        return bool(self.info.kfuncs)

    def missing(self, path: str) -> list[str]:
        """What the object lacks for ``path`` (CLI path), as contract parts' descriptions."""
        if path not in self._missing:
            self._missing[path] = [PARTS[p] for p in NEEDS[path] if not _has(self.info, p)]
        return self._missing[path]

    def runner_args(self, remote: str) -> list[str]:
        """``xdp-hints-guest run`` arguments for the object pushed to ``remote``."""
        args = ["--xdp-obj", remote, "--xdp-prog", self.prog]
        if self.tc_prog:
            args += ["--tc-prog", self.tc_prog]
        return args + (["--xdp-dev-bound"] if self.dev_bound else [])

    def push(self, vm: Any, remote_dir: str) -> list[str]:
        """Copy the object into the guest; the runner arguments that use it."""
        remote = f"{remote_dir}/{self.obj.name}"
        vm.ssh.put(self.obj, remote, mode=0o644)
        return self.runner_args(remote)


def _pick(info: ObjectInfo, want: str | None, prefixes: tuple[str, ...], what: str,
          where: Path) -> str:
    """A program by name or section; without ``want`` the only one whose section
    starts with one of ``prefixes``."""
    if want:
        for name, sec in info.programs.items():
            if want in (name, sec):
                return name
        raise UsageError(f"{where}: no program or section {want!r} (it has: "
                         f"{', '.join(f'{n} ({s})' for n, s in info.programs.items()) or 'none'})")
    found = [n for n, s in info.programs.items() if s.split("/")[0].split(".")[0] in prefixes]
    if len(found) != 1:
        raise UsageError(f"{where}: {len(found)} {what} programs ({', '.join(found) or 'none'});"
                         f" name one as FILE:SECTION")
    return found[0]


def user_program(spec: str | Path, section: str | None = None,
                 tc_section: str | None = None) -> UserProgram:
    """``FILE.bpf.c[:SECTION]`` or ``FILE.o[:SECTION]``: built (C) and inspected, before
    any boot.  UsageError (exit 2) for a missing file, a program that does not compile or
    a section that is not there."""
    text = str(spec)
    if section is None and ":" in text and not Path(text).exists():
        text, section = text.rsplit(":", 1)
    src = Path(text)
    if not src.is_file():
        raise UsageError(f"program not found: {src}")
    if src.suffix == ".c":
        try:
            obj = bpf_build.build_object(src.resolve(), name=f"user-{src.name.split('.')[0]}")
        except bpf_build.BpfBuildError as e:
            raise UsageError(str(e)) from e
    else:
        obj = src
    info = inspect(obj)
    prog = _pick(info, section, ("xdp",), "XDP", src)
    if not info.programs[prog].startswith("xdp"):
        raise UsageError(f"{src}: {prog} is in section {info.programs[prog]!r}, not an XDP "
                         "program")
    tc = _pick(info, tc_section, ("tc", "tcx", "classifier"), "TC", src) if tc_section \
        else None
    return UserProgram(src, obj, prog, info, tc)
