# SPDX-License-Identifier: GPL-2.0-or-later
"""pytest plugin (entry point ``pytest11``): options, fixtures and the crash hook.

Options: ``--xdp-kernel SPEC``, ``--xdp-nic KIND[,KIND]``, ``--xdp-backend
auto|tap|socket``, ``--xdp-log-dir DIR`` (as ``xdp-hints run``'s --kernel, --nic,
--backend, --log-dir).  Fixtures: ``xdp_vm`` (session), ``xdp_nic`` (parametrised over
the NICs), ``xdp_program``, ``xdp_traffic``, ``xdp_expect``.  Nothing boots until a test
asks for one of them, so the plugin costs nothing in other test suites.  A guest crash
fails the running test with the panic lines; the next test boots a fresh guest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import nics
from harness.plugin.ground_truth import Expect, Sent, send
from harness.plugin.program import XdpProgram, build
from harness.plugin.session import Settings, XdpNic, XdpSession, XdpVm

_KEY = pytest.StashKey[XdpSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("xdp-hints", "XDP RX metadata fixtures (xdp-hints-harness)")
    g.addoption("--xdp-kernel", metavar="SPEC",
                help="guest kernel, as xdp-hints run --kernel (default debian:sid)")
    g.addoption("--xdp-nic", metavar="KIND[,KIND]",
                help=f"test NICs ({', '.join(nics.KINDS)}); default: igc and virtio-net "
                     "(igc where our QEMU build exists)")
    g.addoption("--xdp-backend", choices=("auto", "tap", "socket"), default="auto",
                help="test NIC backend (default auto: tap where usable)")
    g.addoption("--xdp-log-dir", type=Path, metavar="DIR",
                help="where the guest's serial console log goes")


def pytest_configure(config: pytest.Config) -> None:
    asked = config.getoption("--xdp-nic")
    kinds = tuple(k.strip() for k in asked.split(",") if k.strip()) if asked else ()
    bad = [k for k in kinds if k not in nics.KINDS]
    if bad or (asked is not None and not kinds):
        raise pytest.UsageError(f"--xdp-nic {asked}: unknown NIC kind "
                                f"(choose from {', '.join(nics.KINDS)})")
    settings = Settings(config.getoption("--xdp-kernel"), kinds,
                        config.getoption("--xdp-backend"), config.getoption("--xdp-log-dir"))
    session = XdpSession(settings)
    config.stash[_KEY] = session
    config.add_cleanup(session.close)


def _session(config: pytest.Config) -> XdpSession:
    return config.stash[_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "xdp_nic" in metafunc.fixturenames:
        kinds = _session(metafunc.config).kinds()
        metafunc.parametrize("xdp_nic", kinds, indirect=True, ids=kinds)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    session = item.config.stash.get(_KEY, None)
    if session is None or not session.booted or call.when == "teardown":
        return
    rep = outcome.get_result()
    lines = session.crash_lines()
    if lines is not None and not session.dead:
        session.dead = True
        rep.outcome = "failed"
        rep.longrepr = ("guest kernel crashed during this test (the next test boots a "
                        "fresh guest):\n" + "\n".join(lines))
    if call.when == "call" and session.booted and not session.dead:
        item.user_properties.append(("xdp_kernel", str(session.vm().release)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    session = item.config.stash.get(_KEY, None)
    if session is not None and session.dead:
        session.close()


@pytest.fixture(scope="session")
def xdp_vm(pytestconfig: pytest.Config) -> XdpVm:
    """The session's booted guest (harness.vm.machine.VM), ``.runner`` its guest runner."""
    vm = XdpVm(_session(pytestconfig))
    vm.release  # noqa: B018 - boots it now, so the boot time is not one test's
    return vm


@pytest.fixture
def xdp_nic(request: pytest.FixtureRequest, xdp_vm: XdpVm) -> XdpNic:
    """A test NIC, prepared: ``.kind`` (NicKind), ``.ifname``, ``.facts``, ``.host``."""
    return _session(request.config).nic(request.param)


@pytest.fixture
def xdp_program(xdp_nic: XdpNic, tmp_path: Path,
                pytestconfig: pytest.Config) -> Iterator[Callable[..., XdpProgram]]:
    """``xdp_program(path_or_source, section=None, tc=None, mode="pass",
    xsk_mode="copy")``: build, push, load (device-bound if it calls kfuncs), attach on
    ``xdp_nic``; stopped after the test."""
    started: list[XdpProgram] = []

    def start(path_or_source: str | Path, section: str | None = None, tc: str | None = None,
              mode: str = "pass", xsk_mode: str = "copy") -> XdpProgram:
        user = build(path_or_source, tmp_path, section, tc)
        prog = XdpProgram(xdp_nic, user, mode, xsk_mode)
        started.append(prog)
        return prog

    yield start
    if not _session(pytestconfig).dead:
        for prog in started:
            prog.stop()


@pytest.fixture(scope="session")
def xdp_expect() -> Expect:
    """``xdp_expect(pkt, path, field)``: the oracle's Expectation with its reason;
    ``xdp_expect.check(pkt, path, field, observed, rc=0)`` asserts it."""
    return Expect()


@pytest.fixture
def xdp_traffic(xdp_nic: XdpNic, xdp_expect: Expect) -> Callable[..., Sent]:
    """``xdp_traffic(n=16, program=None, kinds=..., paths=("xdp",))``: send a fresh
    ground-truth plan to ``xdp_nic`` and return it (waits until ``program`` saw it)."""
    def go(n: int = 16, program: XdpProgram | None = None, **kw: Any) -> Sent:
        return xdp_expect.remember(send(xdp_nic, program, n, **kw))
    return go
