# SPDX-License-Identifier: GPL-2.0-or-later
"""One VM from spec to SSH-ready guest and back to nothing.

``running_vm(spec)`` (machine) is the way in; qemu_cmd builds the command line,
accel picks KVM or TCG, console watches the serial log, qmp and ssh talk to the
guest, netns owns the per-VM namespace and taps (as root); userns + tapd make
them in a user namespace for a run without root.
"""

from harness.vm.machine import VM, GuestCrashed, NicSpec, TestNic, VMError, VMSpec, running_vm

__all__ = ["VM", "GuestCrashed", "NicSpec", "TestNic", "VMError", "VMSpec", "running_vm"]
