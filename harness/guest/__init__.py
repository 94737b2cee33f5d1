# SPDX-License-Identifier: GPL-2.0-or-later
"""The guest side: the BPF runner driven over SSH (runner), its record schema
(records) and the Python scripts that run in the guest (scripts/)."""
