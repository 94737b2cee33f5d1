#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The nightly workflow's commands (.github/workflows/nightly.yml runs exactly these;
# tests/suite/test_nightly_vm.py runs them locally):
#   nightly.sh plan MATRIX SHARDS          the GitHub job matrix (one JSON line)
#   nightly.sh shard MATRIX K/N OUT        run shard K of N into OUT/<cell>/
#   nightly.sh baseline DIR                fetch the previous night's merged.json (gh CLI)
#   nightly.sh merge CELLS REPORT [BASE]   merged.json, results.ktap, index.html (+ changes
#                                          since BASE); exit 1 on a regression against BASE
# XH: the xdp-hints command (default .venv/bin/xdp-hints); JOBS: -j for shards.
set -uo pipefail
XH=${XH:-.venv/bin/xdp-hints}
read -r -a xh <<<"$XH"
cmd=${1:-}; shift || true
case "$cmd" in
  plan)
    exec "${xh[@]}" matrix plan "$1" --shards "$2" --format github ;;
  shard)
    exec "${xh[@]}" matrix "$1" --shard "$2" --out "$3" ${JOBS:+-j "$JOBS"} ;;
  baseline)
    # the newest earlier run of this workflow that left a report; none is fine (first night)
    mkdir -p "$1"
    for id in $(gh run list --workflow nightly.yml --status completed --limit 10 \
                  --json databaseId --jq '.[].databaseId' 2>/dev/null); do
      [ "$id" = "${GITHUB_RUN_ID:-}" ] && continue
      if gh run download "$id" --name nightly-report --dir "$1" 2>/dev/null \
          && [ -f "$1/merged.json" ]; then
        echo "baseline: run $id"; exit 0
      fi
    done
    echo "baseline: no earlier nightly report; nothing to diff against"; exit 0 ;;
  merge)
    cells=$1 report=$2 base=${3:-}
    mkdir -p "$report"
    args=(--html "$report/index.html" --json "$report/merged.json" --ktap "$report/results.ktap")
    [ -n "$base" ] && [ -f "$base" ] && args+=(--baseline "$base")
    "${xh[@]}" report merge "$cells" "${args[@]}" || exit $?
    if [ -n "$base" ] && [ -f "$base" ]; then
      "${xh[@]}" report diff "$base" "$report/merged.json" --html "$report/index.html"
      exit $?
    fi
    exit 0 ;;
  *)
    echo "usage: nightly.sh plan|shard|baseline|merge ..." >&2; exit 2 ;;
esac
