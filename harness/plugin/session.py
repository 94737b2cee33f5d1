# SPDX-License-Identifier: GPL-2.0-or-later
"""One booted guest for a pytest session: booted on first use, torn down at the end (or
on Ctrl-C), thrown away after a guest crash so that the next test boots a fresh one."""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import nics
from harness.artifacts import bpf_build
from harness.commands.vm_options import add_vm_args, spec_from_args
from harness.errors import UsageError
from harness.guest.runner import GuestRunner
from harness.nics.base import NicKind
from harness.oracle import Facts
from harness.suite.scenario import NicScenario, Options
from harness.suite.suite import SUITE_MODULES, default_kinds
from harness.vm.machine import GuestCrashed, TestNic, VMSpec, running_vm


@dataclass(frozen=True)
class Settings:
    """The plugin's command-line options."""

    kernel: str | None = None
    nics: tuple[str, ...] = ()  # empty: the suite's default kinds
    backend: str = "auto"
    log_dir: Path | None = None

    def kinds(self) -> list[str]:
        """The asked NICs, else the suite's defaults this machine offers."""
        if self.nics:
            return list(self.nics)
        kinds, notes = default_kinds()
        if not kinds:
            raise UsageError("no NIC can be tested here: " + "; ".join(notes))
        return kinds

    def spec(self, kinds: list[str]) -> VMSpec:
        """The VM spec for ``kinds``, built and checked as ``xdp-hints run`` builds it."""
        p = argparse.ArgumentParser(add_help=False)
        add_vm_args(p, list(nics.KINDS))
        argv = ["--backend", self.backend]
        argv += ["--kernel", self.kernel] if self.kernel else []
        argv += ["--log-dir", str(self.log_dir)] if self.log_dir else []
        return spec_from_args(p.parse_args(argv), kinds, extra_modules=SUITE_MODULES)


@dataclass
class XdpNic:
    """A test NIC prepared as the suite prepares it (``xdp_nic``)."""

    scenario: NicScenario

    @property
    def kind(self) -> NicKind:
        return self.scenario.kind

    @property
    def name(self) -> str:
        return self.scenario.kind.name

    @property
    def ifname(self) -> str:
        """Its interface in the guest."""
        return self.scenario.ifname

    @property
    def facts(self) -> Facts:
        """What the guest and the NIC said about it (the oracle's input)."""
        assert self.scenario.base is not None
        return self.scenario.base

    @property
    def host(self) -> TestNic | None:
        """The host side: ``.tap`` + ``.netns`` (tap backend), ``.host_sock`` (socket)."""
        return self.scenario.g.nic


class XdpSession:
    """The session's guest: ``vm()`` boots it (again, after a crash)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack: contextlib.ExitStack | None = None
        self._vm: Any = None
        self.runner: GuestRunner | None = None
        self.generation = 0  # boots so far
        self.dead = False  # crashed during the running test: no more SSH into it
        self._nics: dict[str, XdpNic] = {}
        self._kinds: list[str] | None = None

    def kinds(self) -> list[str]:
        """The NICs the session's tests are parametrised over (looked up once)."""
        if self._kinds is None:
            self._kinds = self.settings.kinds()
        return self._kinds

    def vm(self) -> Any:
        if self._vm is None:
            spec = self.settings.spec(self.kinds())
            artifacts = bpf_build.build()
            stack = contextlib.ExitStack()
            try:
                self._vm = stack.enter_context(running_vm(spec))
                self.runner = GuestRunner(self._vm, artifacts)
                self.runner.install()
            except BaseException:
                self._vm = None
                stack.close()
                raise
            self._stack = stack
            self.generation += 1
            self.dead = False
        return self._vm

    @property
    def booted(self) -> bool:
        return self._vm is not None

    def crash_lines(self) -> list[str] | None:
        """The panic lines if the booted guest crashed, else None."""
        console = getattr(self._vm, "console", None)
        if console is None or not console.crashed.is_set():
            return None
        return list(console.crash_lines[:40])

    def nic(self, kind: str) -> XdpNic:
        """The NIC of ``kind``, prepared once per boot."""
        vm = self.vm()
        if kind not in self._nics:
            by_kind = {n.kind: n for n in vm.test_nics}
            if kind not in by_kind and nics.get(kind).qemu_device:
                raise RuntimeError(f"NIC {kind} is not in this session's VM "
                                   f"(--xdp-nic {','.join(self.settings.nics)})")
            assert self.runner is not None
            scn = NicScenario(vm, self.runner, kind, by_kind.get(kind), Options())
            scn.prepare()
            self._nics[kind] = XdpNic(scn)
        return self._nics[kind]

    def close(self) -> None:
        """Tear the guest down (QEMU, taps, namespace); the next ``vm()`` boots anew."""
        stack, self._stack, self._vm, self.runner = self._stack, None, None, None
        self._nics.clear()
        if stack is not None:
            # a crash the running test already failed with is not raised again
            with contextlib.suppress(GuestCrashed) if self.dead else contextlib.nullcontext():
                stack.close()


class XdpVm:
    """``xdp_vm``: the session's guest (harness.vm.machine.VM: ``.ssh``, ``.qmp``,
    ``.test_nics``, ``.release`` ...), the current one after a reboot."""

    def __init__(self, session: XdpSession) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session.vm(), name)

    @property
    def runner(self) -> GuestRunner:
        """The guest runner (harness.guest.runner.GuestRunner), installed."""
        self._session.vm()
        assert self._session.runner is not None
        return self._session.runner
