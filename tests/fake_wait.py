# SPDX-License-Identifier: GPL-2.0-or-later
"""The runner's ``wait`` subcommand in Python, for fake runner binaries in unit tests
(the real one, guest-bpf/xh_wait.c, is tested in tests/artifacts/test_bpf_build.py).

``WAIT`` is a program prologue: with ``sys.argv[1] == "wait"`` it waits as the C one
does (polling) and exits; otherwise it falls through to the fake runner after it.
"""

WAIT = '''import os, sys, time
if sys.argv[1:2] == ["wait"]:
    args = sys.argv[2:]
    def opt(k, d=None):
        return args[args.index(k) + 1] if k in args else d
    path = args[0] if args and not args[0].startswith("--") else None
    matches = [args[i + 1] for i, a in enumerate(args) if a == "--match"]
    def hit(line):
        return not matches or any(line.startswith(m[1:]) if m.startswith("^") else m in line
                                  for m in matches)
    end = time.monotonic() + float(opt("--timeout", "30"))
    while time.monotonic() < end:
        if path and os.path.exists(path):
            lines = open(path).read().split("\\n")[:-1]
            if len([ln for ln in lines if hit(ln)]) >= int(opt("--count", "1")):
                sys.exit(0)
        pid, pf = opt("--pid"), opt("--pid-file")
        if pf and os.path.exists(pf) and open(pf).read().strip():
            pid = open(pf).read().split()[0]
        if pid:
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                sys.exit(3 if path else 0)
        time.sleep(0.01)
    sys.exit(1)
'''
