#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make test`: build the cached artifacts the VM tests need (live progress on a
# terminal, quiet in CI), then run the whole pytest suite, VM tests included.
set -uo pipefail
cd "$(dirname "$0")/.."
XH=.venv/bin/xdp-hints
t0=$(date +%s)
$XH kernel fetch >/dev/null || exit 2
$XH image build >/dev/null || exit 2
if $XH qemu --help >/dev/null 2>&1; then
  $XH qemu build >/dev/null || echo "[test] QEMU with igc could not be built: igc tests will skip"
fi
# the kernel built from Debian's source with the lean config: the kernel-build VM tests
# start from it, and every later build in them is incremental (one build dir per history)
if [ -z "${XDP_HINTS_SKIP_KERNEL_BUILD:-}" ]; then
  tk=$(date +%s)
  $XH kernel build debian:sid-source >/dev/null || echo "[test] kernel build from source failed: its tests will fail"
  echo "[test] kernel from debian:sid-source ready after $(( $(date +%s) - tk )) s"
fi
echo "[test] artifacts ready after $(( $(date +%s) - t0 )) s"
.venv/bin/ruff check . || exit 1
bash scripts/lint-workflows.sh || exit 1
.venv/bin/pytest -ra --durations=15 "$@"
rc=$?
# the examples (users' own checks through the pytest plugin): one session, one guest
if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then
  te=$(date +%s)
  .venv/bin/pytest -ra examples/
  erc=$?
  echo "[test] examples finished after $(( $(date +%s) - te )) s (pytest exit $erc)"
  [ "$rc" = 0 ] && rc=$erc
fi
echo "[test] finished after $(( $(date +%s) - t0 )) s (pytest exit $rc)"
[ "$rc" = 5 ] && { echo "[test] pytest collected no tests"; exit 1; }
exit "$rc"
