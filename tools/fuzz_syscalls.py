#!/usr/bin/env python3
"""`make fuzz-syscalls MINUTES=N [SEED=S] [SMP=K]`: boot openv's initramfs and run the syscall
fuzzer (tests/guest/syscall_fuzz.c) for N minutes, watching it from the host. It fails, and
prints the seed and the batch that replays it, on a FAIL line (a wrong success or a task
SIGKILL does not end), a kernel panic, or no progress for 60 s (the fuzzer prints a line every
10 s; a stalled kernel stops them). The short pass of `make test` is the same program run for
20 s in the shared boot of tests/integration/test_kernel.py."""

import argparse
import os
import re
import sys

import pexpect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from guest import Guest  # noqa: E402

STALL = 60


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--seed", default="")
    ap.add_argument("--smp", type=int, default=None)
    a = ap.parse_args()
    seconds = int(a.minutes * 60)
    seed = f" --seed {a.seed}" if a.seed else ""
    with Guest.boot(smp=a.smp) as g:
        g.child.sendline(f"/opt/tests/guest/syscall_fuzz --seconds {seconds}{seed}; "
                         "echo __FUZZ''_END__")
        last = "(no progress line yet)"
        while True:
            i = g.child.expect([r"NOTE syscall_fuzz: info: (seed \d+[^\r\n]*)",
                                r"FAIL syscall_fuzz: [^\r\n]*", r"Kernel panic[^\r\n]*",
                                r"DONE syscall_fuzz (\d+) passed, (\d+) failed",
                                pexpect.TIMEOUT, pexpect.EOF], timeout=STALL)
            if i == 0:
                last = g.child.match.group(1)
                print(last, flush=True)
            elif i == 1:
                print(g.child.match.group(0), flush=True)
                print(f"fuzz-syscalls: FAILED (last progress: {last}); console: {g.log_path}")
                return 1
            elif i == 2:
                print(f"fuzz-syscalls: KERNEL PANIC after {last}; console: {g.log_path}")
                return 1
            elif i == 3:
                ok = g.child.match.group(2) == "0"
                print(f"fuzz-syscalls: {'passed' if ok else 'FAILED'} ({last})")
                return 0 if ok else 1
            else:
                what = "no progress for %d s" % STALL if i == 4 else "QEMU exited"
                print(f"fuzz-syscalls: HANG or crash: {what} after {last}; console: {g.log_path}")
                return 1


if __name__ == "__main__":
    sys.exit(main())
