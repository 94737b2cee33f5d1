# SPDX-License-Identifier: GPL-2.0-or-later
"""Kernel config fragments and the check that every requested option survived.

Pure parts of the source build's config stage (harness.artifacts.kernel_build runs
``merge_config.sh`` and ``olddefconfig``; this module reads fragments and the final
``.config`` and names each lost option with its ``depends on`` from Kconfig).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError


class ConfigError(HarnessError):
    """Requested config options that did not survive olddefconfig (exit 2)."""


def parse_fragment(text: str) -> dict[str, str]:
    """A fragment's options: ``CONFIG_X`` -> value, ``n`` for ``# CONFIG_X is not set``."""
    opts = {}
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"^# (CONFIG_\w+) is not set$", line)
        if m:
            opts[m.group(1)] = "n"
        elif line.startswith("CONFIG_") and "=" in line:
            key, _, value = line.partition("=")
            opts[key] = value
    return opts


def satisfied(want: str, have: str | None, lenient_m: bool) -> bool:
    """Whether a requested value survived: ``n`` = unset; with ``lenient_m`` a wanted
    ``m`` is also met by ``y`` (our fragments mean "available", built in or not)."""
    if want == "n":
        return have in (None, "n")
    if want == "m" and lenient_m:
        return have in ("m", "y")
    return have == want


def unmet(final: dict[str, str], requested: Sequence[tuple[Path, dict[str, str], bool]]
          ) -> list[tuple[str, str, str | None, Path]]:
    """(option, wanted, have, fragment) for each requested option the final config lacks;
    a later fragment's value for an option overrides an earlier one's."""
    last: dict[str, tuple[str, Path, bool]] = {}
    for frag, opts, lenient in requested:
        for k, v in opts.items():
            last[k] = (v, frag, lenient)
    return [(k, v, final.get(k), frag) for k, (v, frag, lenient) in last.items()
            if not satisfied(v, final.get(k), lenient)]


def kconfig_depends(tree: Path, options: Sequence[str]) -> dict[str, list[str]]:
    """``depends on`` lines of each option's Kconfig entry (``CONFIG_`` prefix dropped)."""
    names = {o.removeprefix("CONFIG_") for o in options}
    deps: dict[str, list[str]] = {n: [] for n in names}
    pat = re.compile(r"^\s*(?:menu)?config\s+(\w+)\s*$")
    for kc in tree.rglob("Kconfig*"):
        if not kc.is_file():
            continue
        try:
            lines = kc.read_text(errors="replace").splitlines()
        except OSError:
            continue
        current = None
        for line in lines:
            m = pat.match(line)
            if m:
                current = m.group(1) if m.group(1) in names else None
            elif current and line.strip() in ("help", "---help---"):
                current = None  # help text may say anything
            elif current and line.strip().startswith("depends on"):
                deps[current].append(line.strip().removeprefix("depends on").strip())
            elif current and re.match(r"^\S", line):
                current = None
    return deps


def describe_unmet(tree: Path, missing: list[tuple[str, str, str | None, Path]]) -> list[str]:
    """One line per option that did not survive, with what it depends on."""
    deps = kconfig_depends(tree, [m[0] for m in missing])
    lines = []
    for opt, want, have, frag in missing:
        d = deps.get(opt.removeprefix("CONFIG_")) or []
        why = f"; depends on {' && '.join(f'({x})' if ' ' in x else x for x in d)}" if d else ""
        lines.append(f"{opt}={want} (from {frag.name}): have {have or 'unset'}{why}")
    return lines
