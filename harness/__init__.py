# SPDX-License-Identifier: GPL-2.0-or-later
"""xdp-hints-harness: check XDP RX metadata on real kernels in QEMU."""
