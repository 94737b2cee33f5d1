# SPDX-License-Identifier: GPL-2.0-or-later
"""xh-tools' ``wait`` and ``spawn`` in Python, for fake runner binaries in unit tests
(the real ones, guest-bpf/xh_wait.c and xh_spawn.c, are tested in
tests/artifacts/test_bpf_build.py).

``WAIT`` is a program prologue: with ``sys.argv[1]`` ``wait`` or ``spawn`` it does what
the C one does (the wait polling) and exits; otherwise it falls through to the fake
runner after it.
"""

WAIT = '''import os, sys, time
if sys.argv[1:2] == ["spawn"]:
    args = sys.argv[2:]
    cut = args.index("--")
    def opt(k):
        return args[args.index(k) + 1]
    prog = args[cut + 1:]
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        os.close(r)
        pid = os.fork()
        if pid == 0:
            os.close(w)
            fi = os.open("/dev/null", os.O_RDONLY)
            fo = os.open(opt("--out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            fe = os.open(opt("--err"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            for fd, to in ((fi, 0), (fo, 1), (fe, 2)):
                os.dup2(fd, to)
            try:
                os.execvp(prog[0], prog)
            finally:
                os._exit(127)
        with open(opt("--pid-file") + ".tmp", "w") as f:
            f.write(f"{pid}\\n")
        os.rename(opt("--pid-file") + ".tmp", opt("--pid-file"))
        os.write(w, b"1")
        os.close(w)
        for fd in (0, 1, 2):
            os.dup2(os.open("/dev/null", os.O_RDWR), fd)
        _, st = os.waitpid(pid, 0)
        code = 128 + os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)
        with open(opt("--status-file"), "w") as f:
            f.write(f"{code}\\n")
        os._exit(0)
    os.close(w)
    sys.exit(0 if os.read(r, 1) == b"1" else 1)
if sys.argv[1:2] == ["wait"]:
    args = sys.argv[2:]
    def opt(k, d=None):
        return args[args.index(k) + 1] if k in args else d
    cats = [args[i + 1] for i, a in enumerate(args) if a == "--cat"]
    def done(rc, pid=None):
        for i, c in enumerate(cats):
            if i and opt("--cat-sep"):
                sys.stdout.write("\\n" + opt("--cat-sep") + "\\n")
            if os.path.exists(c):
                sys.stdout.write(open(c).read())
        if opt("--alive") and pid:
            try:
                os.kill(int(pid), 0)
                sys.stdout.write(opt("--alive") + "\\n")
            except ProcessLookupError:
                pass
        sys.stdout.flush()
        sys.exit(rc)
    path = args[0] if args and not args[0].startswith("--") else None
    matches = [args[i + 1] for i, a in enumerate(args) if a == "--match"]
    def hit(line):
        return not matches or any(line.startswith(m[1:]) if m.startswith("^") else m in line
                                  for m in matches)
    if not path and not opt("--pid") and not opt("--pid-file"):
        done(0)
    end = time.monotonic() + float(opt("--timeout", "30"))
    pid = None
    while time.monotonic() < end:
        pid, pf = opt("--pid"), opt("--pid-file")
        if pf and os.path.exists(pf) and open(pf).read().strip():
            pid = open(pf).read().split()[0]
        if path and os.path.exists(path):
            lines = open(path).read().split("\\n")[:-1]
            if len([ln for ln in lines if hit(ln)]) >= int(opt("--count", "1")):
                done(0, pid)
        if pid:
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                done(3 if path else 0)
        time.sleep(0.01)
    done(1, pid)
'''
