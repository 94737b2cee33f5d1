# SPDX-License-Identifier: GPL-2.0-or-later
"""The harness's pytest plugin (installed with the package as a pytest11 entry point;
named here too so the examples also run from a plain checkout)."""

pytest_plugins = ["harness.plugin.fixtures"]
