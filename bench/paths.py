#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a path adds to the runner invocation it rides on, measured in one boot.

For each NIC (default igc, virtio-net) and each pair (base CLI paths, base +
the path), runs the one invocation alternately without and with the path, N
times each (default 3), and prints the median seconds of each and the
difference.  Alternating in one VM keeps load drift on a shared machine out
of the difference.  Pairs: ``skb`` vs ``skb,tpacket``; ``xdp`` vs
``xdp,xdp-late``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.artifacts import bpf_build  # noqa: E402
from harness.cli import build_parser  # noqa: E402
from harness.commands.vm_options import spec_from_args  # noqa: E402
from harness.guest.runner import GuestRunner  # noqa: E402
from harness.suite import runs  # noqa: E402
from harness.suite.scenario import NicScenario, Options  # noqa: E402
from harness.suite.suite import SUITE_MODULES  # noqa: E402
from harness.vm.machine import running_vm  # noqa: E402

PAIRS = (("skb", ("skb",), ("skb", "tpacket")), ("pass", ("xdp",), ("xdp", "xdp-late")))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default="debian:sid")
    ap.add_argument("--nic", default="igc,virtio-net")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    kinds = a.nic.split(",")
    args = build_parser().parse_args(["run", "--kernel", a.kernel, "--nic", a.nic])
    spec = spec_from_args(args, kinds, extra_modules=SUITE_MODULES)
    artifacts = bpf_build.build()
    out: list[dict] = []
    with running_vm(spec) as vm:
        runner = GuestRunner(vm, artifacts)
        runner.install()
        by_kind = {n.kind: n for n in vm.test_nics}
        for kind in kinds:
            scn = NicScenario(vm, runner, kind, by_kind.get(kind), Options())
            scn.prepare()
            for run, base, more in PAIRS:
                secs: dict[tuple[str, ...], list[float]] = {base: [], more: []}
                for _ in range(a.reps):
                    for paths in (base, more):
                        rows, stats = scn.run_one(run, list(paths))
                        if stats.error or any(r.verdict == "fail" for r in rows):
                            raise SystemExit(f"{kind} {run} {paths}: {stats.error or rows}")
                        secs[paths].append(stats.seconds)
                b, m = statistics.median(secs[base]), statistics.median(secs[more])
                out.append({"nic": kind, "run": run, "base": ",".join(base), "with": more[-1],
                            "base_s": round(b, 2), "with_s": round(m, 2),
                            "added_s": round(m - b, 2),
                            "all": {",".join(k): [round(x, 2) for x in v]
                                    for k, v in secs.items()}})
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        for r in out:
            print(f"{r['nic']:<11} {r['run']:<5} {r['base']:<4} {r['base_s']:6.2f} s   "
                  f"+{r['with']:<9} {r['with_s']:6.2f} s   added {r['added_s']:+.2f} s   "
                  f"{r['all']}")
    return 0


if __name__ == "__main__":
    assert runs.RUN_OF_PATH["tpacket"] == "skb" and runs.RUN_OF_PATH["xdp-late"] == "pass"
    sys.exit(main())
