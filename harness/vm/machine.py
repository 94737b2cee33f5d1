# SPDX-License-Identifier: GPL-2.0-or-later
"""One VM from spec to SSH-ready guest, and back to nothing.

``running_vm(spec)`` is the only way in: it resolves the kernel and images,
picks the accelerator, creates the VM's network namespace and taps, starts
QEMU, waits for SSH, and on exit -- normal, exception, Ctrl-C or SIGTERM --
leaves no QEMU process, tap, namespace or temp directory behind. The serial
console is always saved (``vm.serial_log``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.artifacts import initramfs, kernels, rootfs
from harness.errors import EXIT_CRASH, HarnessError
from harness.paths import cache_dir
from harness.progress import BootReady, BootStarted, Emit, quiet
from harness.vm import accel as accel_mod
from harness.vm import leftovers, netns, qemu_cmd, userns
from harness.vm.console import Console
from harness.vm.qmp import Qmp, QmpError
from harness.vm.ssh import Ssh, SshError, key_pair

BOOT_TIMEOUT_KVM_S = 60.0
PORT_ATTEMPTS = 3  # tries to bind the SSH forward (the port is probed, then QEMU binds)


class VMError(HarnessError):
    """Infrastructure failure (exit code 2); ``detail`` has log lines."""


class GuestCrashed(VMError):
    """The guest kernel crashed (exit code 3); ``detail`` has the panic lines."""

    exit_code = EXIT_CRASH


@dataclass
class NicSpec:
    kind: str = "virtio-net"
    queues: int = 2
    # "tap": a multi-queue tap with vnet header in the VM's netns (needs root; the only
    # backend that gives virtio-net hash reports). "socket": a unix datagram socket pair
    # (no root, no netns; one datagram per frame).
    backend: str = "tap"


@dataclass
class VMSpec:
    kernel: str | None = None          # kernel spec (harness.artifacts.kernels); debian:sid
    modules: str | None = None         # with a kernel path: a modules_install tree
    patches: list[Path] = field(default_factory=list)  # with a source spec: applied in order
    nics: list[NicSpec] = field(default_factory=list)
    cpus: int = 2
    memory_mb: int = 2048
    append: str = ""                   # extra kernel command line
    guest_modules: list[str] = field(default_factory=list)  # loaded at boot (xdph.modules)
    boot_timeout_s: float | None = None
    log_dir: Path | None = None        # where serial.log goes (default: cache/logs/<name>)
    qemu: Path | None = None           # QEMU binary override


@dataclass
class TestNic:
    """One test NIC of a running VM: its spec plus what booting it made."""

    __test__ = False  # not a pytest test class

    spec: NicSpec
    index: int
    mac: str
    qdev_id: str
    tap: str = ""                     # tap backend: the tap, in namespace ``netns``
    netns: str = ""
    tap_fds: list[int] = field(default_factory=list)  # without root: QEMU gets the tap as fds
    host_sock: Path | None = None     # socket backend: bind here, send to qemu_sock
    qemu_sock: Path | None = None
    guest_ifname: str | None = None

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def queues(self) -> int:
        return self.spec.queues

    @property
    def backend_queues(self) -> int:
        """Queues of the tap (or socket) behind the device: its kind decides."""
        from harness import nics
        return nics.get(self.kind).backend_queues(self.queues)

    @property
    def backend(self) -> str:
        return self.spec.backend

    @property
    def netdev_id(self) -> str:
        return f"tn{self.index}"


@dataclass
class VM:
    name: str
    kernel: kernels.Kernel
    accel: accel_mod.Accel
    qemu: qemu_cmd.Qemu
    console: Console
    qmp: Qmp
    ssh: Ssh
    netns: str
    test_nics: list[TestNic]
    workdir: Path
    serial_log: Path
    ssh_key: Path
    boot_s: float = 0.0

    @property
    def ready_s(self) -> float | None:
        """Seconds from QEMU start to the guest's ready marker (sshd started)."""
        if self.console.ready_at is None:
            return None
        return self.console.ready_at - self.console.started

    @property
    def release(self) -> str | None:
        return self.console.release or self.kernel.release


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mac(tag: str, index: int) -> str:
    b = bytes.fromhex(tag[:6])
    return f"52:54:{b[0]:02x}:{b[1]:02x}:{b[2]:02x}:{index:02x}"


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Make SIGTERM unwind like Ctrl-C while a VM is up (main thread only)."""
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt(f"signal {signum}")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _test_nic(spec: NicSpec, i: int, tag: str, ns: str, workdir: Path,
              taps_at: str) -> TestNic:
    nic = TestNic(spec, i, mac=_mac(tag, i + 1), qdev_id=f"tnic{i}")
    if spec.backend == "tap":
        nic.tap, nic.netns = f"{taps_at}{i}", ns
    else:
        nic.host_sock, nic.qemu_sock = workdir / f"tn{i}.host", workdir / f"tn{i}.qemu"
    return nic


def qemu_devices(specs: list[NicSpec]) -> list[str]:
    """The QEMU devices the test NICs need (ValueError for an unknown kind)."""
    from harness import nics
    return [d for d in dict.fromkeys(nics.get(n.kind).qemu_device for n in specs) if d]


def kernel_cmdline(kernel: kernels.Kernel, has_initramfs: bool, mgmt_mac: str, pubkey: str,
                   hostname: str, extra: str, modules: list[str] | None = None) -> str:
    parts = ["console=ttyS0,115200", "loglevel=5", "panic=-1", "mitigations=off",
             "init=/sbin/xdp-hints-init", f"xdph.mgmt_mac={mgmt_mac}",
             f"xdph.hostname={hostname}", "xdph.sshkey=" + pubkey.replace(" ", ":", 1)]
    if has_initramfs:
        parts.append("rdinit=/init")
    else:
        parts += ["root=/dev/vda", "rw", "rootfstype=ext4"]
    if modules:
        parts.append("xdph.modules=" + ",".join(dict.fromkeys(modules)))
    return " ".join(parts + ([extra] if extra else []))


@contextlib.contextmanager
def running_vm(spec: VMSpec, emit: Emit = quiet) -> Iterator[VM]:
    """Boot ``spec`` and yield the SSH-ready VM; always tear everything down."""
    with _sigterm_as_interrupt():
        root = rootfs.ensure(emit=emit)  # first: without root it may say what root must run
        kernel = kernels.resolve(spec.kernel, spec.modules, emit=emit, patches=spec.patches)
        boot = initramfs.ensure(kernel, emit=emit)
        qemu = qemu_cmd.find(devices=qemu_devices(spec.nics),
                             override=spec.qemu)
        accel = accel_mod.choose(qemu.binary, kernel.image, boot.initramfs)
        taps = [n for n in spec.nics if n.backend == "tap"]
        rootless = bool(taps) and os.geteuid() != 0
        if rootless and (why := userns.unavailable()) is not None:
            raise VMError(f"test NICs without root need a user namespace: {why}")
        if taps and not rootless and (why := netns.rtnl_wedged()) is not None:
            raise VMError(why)
        leftovers.collect()
        tag = secrets.token_hex(3)
        name = leftovers.vm_name(tag)
        log_dir = spec.log_dir or cache_dir() / "logs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{tag}"
        log_dir.mkdir(parents=True, exist_ok=True)
        serial_log = log_dir / "serial.log"
        ns = name if taps else ""
        workdir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        taps_at = leftovers.tap_prefix()
        nics = [_test_nic(n, i, tag, ns, workdir, taps_at) for i, n in enumerate(spec.nics)]
        console: Console | None = None
        qmp = Qmp(workdir / "qmp.sock")
        key, pub = key_pair()
        ssh: Ssh | None = None
        holder: userns.TapHolder | None = None
        try:
            if rootless:
                holder = userns.TapHolder(ns)
                for nic in nics:
                    nic.tap_fds = holder.open_tap(nic.tap, nic.backend_queues)
            elif ns:
                netns.create_netns(ns)
            for nic in nics:
                if nic.tap and not rootless:
                    netns.create_tap(nic.tap, multi_queue=nic.backend_queues > 1)
            mgmt_mac = _mac(tag, 0)
            append = kernel_cmdline(kernel, boot.initramfs is not None, mgmt_mac, pub,
                                    "xdp-hints", spec.append, spec.guest_modules)
            emit(BootStarted(kernel.release or kernel.spec, accel.name, str(serial_log)))
            for attempt in range(PORT_ATTEMPTS):
                # the port was free a moment ago; another process may take it before QEMU
                # binds it: QEMU then exits at once, and a new port is tried
                port = _free_port()
                argv = qemu_cmd.command(
                    qemu, accel, name=name, kernel=kernel.image, initramfs=boot.initramfs,
                    append=append, rootfs=root.image, modules_disk=boot.modules_disk,
                    cpus=spec.cpus, memory_mb=spec.memory_mb, ssh_port=port,
                    mgmt_mac=mgmt_mac, qmp_socket=workdir / "qmp.sock", nics=nics)
                (log_dir / "qemu-cmdline.json").write_text(json.dumps(argv, indent=1))
                t0 = time.monotonic()
                console = Console(argv, serial_log, env={**os.environ, "TMPDIR": str(workdir)},
                                  pass_fds=[fd for n in nics for fd in n.tap_fds])
                try:
                    qmp.connect(timeout_s=30 * min(accel.slowdown, 4), alive=console.alive)
                    break
                except QmpError as e:
                    console.exited.wait(0.5)
                    if attempt + 1 < PORT_ATTEMPTS and _port_taken(console):
                        console.close()
                        (workdir / "qmp.sock").unlink(missing_ok=True)
                        continue
                    raise _failure(console, f"QEMU did not start: {e}", serial_log) from e
            for nic in nics:
                if nic.tap and not rootless:
                    netns.move_into(nic.tap, ns)
            timeout = spec.boot_timeout_s or BOOT_TIMEOUT_KVM_S * accel.slowdown / 2
            deadline = t0 + timeout
            ssh = Ssh(port, key, root.host_key)
            _wait_ready(console, ssh, deadline, serial_log, timeout)
            vm = VM(name=name, kernel=kernel, accel=accel, qemu=qemu, console=console, qmp=qmp,
                    ssh=ssh, netns=ns, test_nics=nics, workdir=workdir,
                    serial_log=serial_log, ssh_key=key, boot_s=time.monotonic() - t0)
            emit(BootReady(vm.boot_s))
            _resolve_guest_ifnames(vm)
            yield vm
            if console.crashed.is_set():
                raise _crash(console, serial_log)
        finally:
            # a teardown error is raised only when no other error is on its way out
            _teardown(ssh, console, qmp, ns, nics, workdir, holder,
                      raise_errors=sys.exc_info()[1] is None)


def _teardown(ssh: Ssh | None, console: Console | None, qmp: Qmp, ns: str,
              nics: list[TestNic], workdir: Path, holder: userns.TapHolder | None = None,
              raise_errors: bool = True) -> None:
    """Undo everything in order; every step runs even when an earlier one fails
    (the first failure is re-raised at the end, after the rest is gone)."""
    def quit_qemu() -> None:
        if console is None:
            return
        with contextlib.suppress(QmpError):
            if console.alive() and qmp.connected:
                qmp.command("quit")
        console.exited.wait(2)
        console.close()

    own_ns = [] if holder else [lambda: ns and netns.delete_netns(ns),
                                *[(lambda t=n.tap: netns.delete_link(t)) for n in nics if n.tap]]
    steps = [lambda: ssh and ssh.close(), quit_qemu, qmp.close,
             lambda: holder and holder.close(), *own_ns,
             lambda: shutil.rmtree(workdir, ignore_errors=True)]
    first: BaseException | None = None
    for step in steps:
        try:
            step()
        except BaseException as e:  # noqa: BLE001 - keep tearing down, report after
            first = first or e
    if first is not None and raise_errors:
        raise first


def _wait_ready(console: Console, ssh: Ssh, deadline: float, serial_log: Path,
                timeout: float) -> None:
    """Wait for the ready marker, then SSH; crash or QEMU exit end the wait early."""
    def keep_going() -> bool:
        return console.alive() and not console.crashed.is_set()

    while time.monotonic() < deadline and keep_going() and not console.ready.is_set():
        console.ready.wait(0.1)
    try:
        if keep_going() and console.ready.is_set():
            ssh.wait_ready(deadline, keep_going)
    except SshError:
        pass
    if console.crashed.is_set():
        console.exited.wait(3)  # let the panic lines reach the log
        raise _crash(console, serial_log)
    if ssh.client is None:
        if not console.alive():
            raise _failure(console, "QEMU exited before the guest answered SSH", serial_log)
        raise _failure(console, f"guest did not answer SSH within {timeout:.0f} s", serial_log)


def _port_taken(console: Console) -> bool:
    """QEMU exited because the SSH forward's port was taken meanwhile."""
    return not console.alive() and any("host forwarding" in line for line in console.tail(10))


def _crash(console: Console, serial_log: Path) -> GuestCrashed:
    return GuestCrashed(f"guest kernel crashed (serial log {serial_log})",
                        console.crash_lines[:40])


def raise_if_crashed(vm: VM, when: str, wait_s: float = 0.0,
                     cause: BaseException | None = None) -> None:
    """GuestCrashed (exit 3, the panic lines) if the guest's console showed a crash,
    waiting up to ``wait_s`` for one to show (after an error that may be its symptom)."""
    console = getattr(vm, "console", None)
    if console is None:
        return
    if console.crashed.is_set() or (wait_s > 0 and console.crashed.wait(wait_s)):
        why = f" ({cause})" if cause is not None else ""
        raise GuestCrashed(f"guest kernel crashed {when}{why} (serial log {vm.serial_log})",
                           list(console.crash_lines[:40])) from cause


def _failure(console: Console, message: str, serial_log: Path) -> VMError:
    console.exited.wait(0.5)
    return VMError(f"{message}; last serial console lines ({serial_log}):", console.tail(30))


def resolve_guest_ifnames(vm: VM, load: str | None = None) -> None:
    """Find each test NIC's interface name in the guest by its MAC (public entry for tests
    that boot a bare VM); ``load`` is a driver module to modprobe first when a name is
    still missing (the boot-time load may not have happened)."""
    if load and any(not n.guest_ifname for n in vm.test_nics):
        vm.ssh.run(f"modprobe {load}", timeout=60)
    _resolve_guest_ifnames(vm)


def _resolve_guest_ifnames(vm: VM) -> None:
    """Find each test NIC's interface name in the guest by its MAC.

    The guest loads test NIC drivers in the background after sshd starts, so
    this polls (bounded, scaled to the accelerator)."""
    if not vm.test_nics:
        return
    deadline = time.monotonic() + 30 * vm.accel.slowdown
    while True:
        try:
            links = json.loads(vm.ssh.check("ip -j link show", timeout=30))
        except ValueError:  # a link appearing mid-dump can garble one read
            links = []
        by_mac = {link.get("address", "").lower(): link["ifname"] for link in links}
        for nic in vm.test_nics:
            nic.guest_ifname = by_mac.get(nic.mac.lower())
        missing = [n for n in vm.test_nics if n.guest_ifname is None]
        if not missing:
            return
        if time.monotonic() > deadline:
            nic = missing[0]
            raise VMError(f"test NIC {nic.qdev_id} ({nic.kind}, {nic.mac}) has no interface in "
                          "the guest: driver not loaded? last dmesg lines:",
                          vm.ssh.run("dmesg | tail -n 30").stdout.splitlines())
        time.sleep(0.5)
