# SPDX-License-Identifier: GPL-2.0-or-later
"""Map the harness's exceptions to CLI exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_INFRA = 2
EXIT_CRASH = 3


class UsageError(ValueError):
    """Bad command-line input that argparse could not catch (exit code 2)."""


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code for a known harness error, or None for a bug (traceback)."""
    from harness.debian_apt import AptError
    from harness.kernels import KernelError
    from harness.netns import NetnsError
    from harness.qemu_cmd import QemuError
    from harness.qmp import QmpError
    from harness.rootfs import ImageError
    from harness.ssh import GuestCommandError, SshError
    from harness.vm import VMError

    if isinstance(exc, VMError):
        return exc.exit_code
    known = (AptError, KernelError, NetnsError, QemuError, QmpError, ImageError, SshError,
             GuestCommandError, UsageError, FileNotFoundError, PermissionError)
    return EXIT_INFRA if isinstance(exc, known) else None
