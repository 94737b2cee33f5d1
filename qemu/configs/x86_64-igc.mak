# SPDX-License-Identifier: GPL-2.0-or-later
# Minimal device set for the xdp-hints harness (used with --without-default-devices).
# Board + what the VM spine uses + the igc model.
CONFIG_Q35=y
CONFIG_PCIE_PORT=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_NET=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_SERIAL=y
CONFIG_VIRTIO_RNG=y
CONFIG_VGA_PCI=y
CONFIG_E1000E_PCI_EXPRESS=y
CONFIG_IGB_PCI_EXPRESS=y
CONFIG_IGC_PCI_EXPRESS=y
