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
    from harness.artifacts.debian_apt import AptError
    from harness.artifacts.kernels import KernelError
    from harness.artifacts.rootfs import ImageError
    from harness.vm.machine import VMError
    from harness.vm.netns import NetnsError
    from harness.vm.qemu_cmd import QemuError
    from harness.vm.qmp import QmpError
    from harness.vm.ssh import GuestCommandError, SshError

    if isinstance(exc, VMError):
        return exc.exit_code
    known = (AptError, KernelError, NetnsError, QemuError, QmpError, ImageError, SshError,
             GuestCommandError, UsageError, FileNotFoundError, PermissionError)
    return EXIT_INFRA if isinstance(exc, known) else None
