# SPDX-License-Identifier: GPL-2.0-or-later
"""The harness's exception base and the CLI's exit codes.

Every error the harness raises on purpose is a :class:`HarnessError` carrying its
exit code (2 infrastructure/usage unless a subclass says otherwise, e.g. 3 for a
guest kernel crash) and optional ``detail`` lines (a console tail, panic lines).
Anything else is a bug and gets a traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_INFRA = 2
EXIT_CRASH = 3


class HarnessError(RuntimeError):
    """An error the harness reports as one message (plus ``detail`` lines), no traceback."""

    exit_code = EXIT_INFRA

    def __init__(self, message: str = "", detail: list[str] | None = None) -> None:
        super().__init__(message)
        self.detail = list(detail or [])


class UsageError(HarnessError, ValueError):
    """Bad command-line input that argparse could not catch (exit code 2)."""


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code for a harness error (or a file/permission error on a path the user
    gave), or None for a bug (traceback)."""
    if isinstance(exc, HarnessError):
        return exc.exit_code
    if isinstance(exc, (FileNotFoundError, PermissionError)):
        return EXIT_INFRA
    return None
