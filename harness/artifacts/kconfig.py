# SPDX-License-Identifier: GPL-2.0-or-later
"""Check a user-built kernel's configuration against ``kconfigs/xdp-hints.config``.

The ``.config`` is looked for where a kernel build leaves it: above the image
(``arch/x86/boot/bzImage`` -> ``.config``, or next to ``vmlinux``), or through
the modules tree (``lib/modules/<release>/build/.config``, ``config-<release>``).
"""

from __future__ import annotations

from pathlib import Path

from harness.paths import REPO

FRAGMENT = REPO / "kconfigs" / "xdp-hints.config"


def parse(text: str) -> dict[str, str]:
    """``CONFIG_X`` -> value (``y``, ``m``, a string or number); unset options absent."""
    opts = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("CONFIG_") and "=" in line:
            key, _, value = line.partition("=")
            opts[key] = value
    return opts


def required() -> dict[str, str]:
    return parse(FRAGMENT.read_text())


def missing(config: dict[str, str], needed: dict[str, str], modules: bool) -> list[str]:
    """Options of ``needed`` the config lacks. ``=m`` needs may be met by ``m`` only when
    the kernel comes with a modules tree; ``=y`` needs must be built in."""
    lacking = []
    for key, want in needed.items():
        have = config.get(key)
        ok = have == "y" or (want == "m" and have == "m" and modules)
        if not ok:
            lacking.append(f"{key}={'y' if want == 'y' or not modules else 'y|m'}"
                           f" (have {have or 'unset'})")
    return lacking


def find_config(image: Path, modules_root: Path | None, release: str | None) -> Path | None:
    candidates = [image.parent / ".config"]
    candidates += [p / ".config" for p in list(image.parents)[:4]]
    if modules_root is not None and release:
        tree = modules_root / release
        candidates += [tree / "build" / ".config", tree / f"config-{release}",
                       modules_root.parent.parent / "boot" / f"config-{release}"]
    return next((c for c in candidates if c.is_file()), None)
