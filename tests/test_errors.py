# SPDX-License-Identifier: GPL-2.0-or-later
"""One exception base: every error the harness defines carries its exit code."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import harness
from harness.errors import EXIT_CRASH, EXIT_INFRA, HarnessError, UsageError, exit_code_for


def _harness_exceptions() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(harness.__path__, "harness."):
        if ".guest.scripts" in info.name:  # run in the guest, stdlib only
            continue
        mod = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == mod.__name__:
                found.append(obj)
    return found


def test_every_harness_exception_is_a_harness_error() -> None:
    found = _harness_exceptions()
    names = {e.__name__ for e in found}
    # the ones issue 9 found missing from the hand-written list must be among them
    assert {"BpfBuildError", "QemuBuildError", "RunnerError", "VMError"} <= names
    strays = [e.__qualname__ for e in found if not issubclass(e, HarnessError)]
    assert not strays, f"not HarnessError subclasses: {strays}"


def test_exit_codes() -> None:
    from harness.artifacts.bpf_build import BpfBuildError
    from harness.vm.machine import GuestCrashed
    assert exit_code_for(BpfBuildError("no clang")) == EXIT_INFRA
    assert exit_code_for(UsageError("bad")) == EXIT_INFRA
    assert exit_code_for(GuestCrashed("panic", ["Kernel panic"])) == EXIT_CRASH
    assert exit_code_for(FileNotFoundError("x")) == EXIT_INFRA
    assert exit_code_for(KeyError("bug")) is None  # a bug: traceback
    assert GuestCrashed("p", ["a"]).detail == ["a"]
