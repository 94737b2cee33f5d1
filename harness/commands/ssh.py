# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints ssh -- CMD`` and ``xdp-hints shell``: commands in a fresh guest."""

from __future__ import annotations

import argparse
import subprocess
import sys

from harness import nics
from harness.commands.vm_options import add_vm_args, spec_from_args
from harness.errors import UsageError
from harness.progress import renderer
from harness.vm.machine import running_vm


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ssh", help="boot a guest, run one command in it, shut down",
                       description="Boot a guest, run CMD over SSH (its output and exit "
                                   "status become ours), shut down. Use -- before CMD.")
    add_vm_args(p, nics.qemu_kinds(), "; default: none")
    p.add_argument("--timeout", type=float, default=600, help="seconds CMD may take")
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="the command (after --)")
    p.set_defaults(func=run_ssh)
    s = sub.add_parser("shell", help="boot a guest and open an interactive shell in it",
                       description="Boot a guest and open an interactive SSH shell; the VM is "
                                   "torn down when the shell exits.")
    add_vm_args(s, nics.qemu_kinds(), "; default: none")
    s.set_defaults(func=run_shell)


def run_ssh(args: argparse.Namespace) -> int:
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        raise UsageError("no command given: xdp-hints ssh [options] -- CMD")
    with running_vm(spec_from_args(args), emit=renderer()) as vm:
        r = vm.ssh.run(" ".join(cmd), timeout=args.timeout)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    return r.rc


def run_shell(args: argparse.Namespace) -> int:
    with running_vm(spec_from_args(args), emit=renderer(show=True)) as vm:
        print(f"guest {vm.release} up in {vm.boot_s:.1f} s; exit the shell to shut it down",
              file=sys.stderr)
        for nic in vm.test_nics:
            print(f"  test NIC {nic.guest_ifname} ({nic.kind}); host side {nic.tap} in netns "
                  f"{nic.netns}", file=sys.stderr)
        return subprocess.call(vm.ssh.interactive_argv(vm.ssh_key))
