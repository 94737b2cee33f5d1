# SPDX-License-Identifier: GPL-2.0-or-later
"""Scripts that run inside the guest (sent over SSH to the guest's python3)."""

from importlib.resources import files


def script(name: str) -> bytes:
    """The source of guest script ``name`` (e.g. ``nicinfo.py``)."""
    return files(__package__).joinpath(name).read_bytes()
