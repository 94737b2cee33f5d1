# SPDX-License-Identifier: GPL-2.0-or-later
"""The pytest plugin (entry point ``pytest11``: :mod:`harness.plugin.fixtures`): a thin
layer over vm/, nics/, traffic/, guest/ and oracle/ for users' own checks.

session (one booted guest per pytest session, rebooted after a crash), nic (a test NIC
prepared as the suite prepares it), program (a user's BPF object in the guest runner),
ground_truth (traffic with known truth and the oracle's expectation for it).
"""
