# SPDX-License-Identifier: GPL-2.0-or-later
# xdp-hints-harness: `make run` (the product), `make test` (everything, VM tests included).

VENV := .venv
XH := $(VENV)/bin/xdp-hints
PYTEST := $(VENV)/bin/pytest

.PHONY: setup run test unit vmtest lint image kernel qemu bench clean-logs help

help:
	@echo "make run     the suite: default kernel, every NIC and path, one verdict row per field"
	@echo "make test    all tests (unit + VM); installs what it needs first"
	@echo "make setup   host packages, QEMU >= 10.0, .venv (idempotent)"
	@echo "make image / kernel / qemu   build the cached guest rootfs / default kernel / QEMU with igc"
	@echo "make bench   benchmarks under bench/"

setup:
	@bash scripts/setup-host.sh

run: setup
	@$(XH) qemu build >/dev/null
	$(XH) run

test: setup
	@bash scripts/run-tests.sh

unit: setup
	$(PYTEST) -q -m "not vm"

vmtest: setup
	$(PYTEST) -q -m vm

lint: setup
	$(VENV)/bin/ruff check .

image: setup
	$(XH) image build

kernel: setup
	$(XH) kernel fetch

qemu: setup
	$(XH) qemu build

bench: setup
	$(VENV)/bin/python bench/boot.py
	$(VENV)/bin/python bench/igc.py
	$(VENV)/bin/python bench/run.py
	$(VENV)/bin/python bench/paths.py
	$(VENV)/bin/python bench/matrix.py
