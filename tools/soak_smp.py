#!/usr/bin/python3
"""Soak the SMP kernel: boot -smp 4 and run many copies of a guest program at once, round after
round, while host processes compete for the host's cores (harts get descheduled for long
stretches, as when another QEMU shares the machine). Looks for the hang seen in
tests/integration/test_smp.py::test_guest_programs_in_parallel.

    tools/soak_smp.py --minutes 30                # threads, 8 copies a round, 2 host spinners
    tools/soak_smp.py --program fork_cow --copies 4 --spinners 0 --rounds 10
    tools/soak_smp.py --program pi_futex --copies 1 --spinners 0 --rounds 200 --round-timeout 90

A round that does not finish within --round-timeout is a hang: the tool sends a BREAK and
SysRq 't' on the serial console (kernel/kernel/sysrq.c: every task's state, hart and kernel
backtrace, and the futex waiters), waits for the dump, interrupts the shell and collects each
copy's output. Everything goes to build/soak/<UTC time>/: console.<round>.log (the serial log
of each boot), for a hung round hang.<round>/copy.<k>.out and sysrq-from-process.txt (the same
report asked through /proc/sysrq-trigger once the shell is back: it also shows each futex
waiter's word), summary.json. Exit status 0 if no round hung or failed, 1 otherwise.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from guest import BUILD, Guest, GuestError  # noqa: E402

GUEST_DIR = "/opt/tests/guest"
SYSRQ_END = "sysrq: end of task states"
BREAK = "\x01b"     # QEMU -nographic: Ctrl-A b sends a BREAK on the serial line


def start_spinners(n):
    """n host processes that only burn CPU, to take cores away from QEMU's hart threads."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def stop_spinners(procs):
    for p in procs:
        p.kill()
        p.wait()


def round_command(program, copies):
    path = f"{GUEST_DIR}/{program}"
    return " ".join(f"({path} {path} >/tmp/soak.{k} 2>&1; echo rc.{k}=$?) &"
                    for k in range(1, copies + 1)) + " wait"


def dump_hung_state(g, out_dir, copies):
    """SysRq 't' over the serial line, then the copies' own output. Best effort: the guest
    may be too stuck to answer."""
    g.child.send(BREAK)
    time.sleep(1)
    g.child.send("t")
    try:
        g.expect_exact(SYSRQ_END, timeout=120)
        dumped = True
    except GuestError:
        dumped = False
    # Stop the waiting shell (SIGINT to the foreground), then read what each copy printed.
    g.child.sendcontrol("c")
    time.sleep(2)
    for k in range(1, copies + 1):
        try:
            out, _ = g.run(f"cat /tmp/soak.{k}", timeout=30)
        except GuestError as e:
            out = f"(could not read: {e})"
        with open(os.path.join(out_dir, f"copy.{k}.out"), "w", encoding="utf-8") as f:
            f.write(out + "\n")
    # From a process the report also reads each futex waiter's word (sysrq.c, futex.c).
    try:
        out, _ = g.run("echo t > /proc/sysrq-trigger; sleep 1", timeout=60)
    except GuestError as e:
        out = f"(no answer: {e})"
    with open(os.path.join(out_dir, "sysrq-from-process.txt"), "w", encoding="utf-8") as f:
        f.write(out + "\n")
    return dumped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--program", default="threads", help="guest program in /opt/tests/guest")
    ap.add_argument("--copies", type=int, default=8, help="copies run at once in each round")
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--spinners", type=int, default=os.cpu_count() or 2,
                    help="host processes burning CPU meanwhile (default: one per host core)")
    ap.add_argument("--rounds", type=int, default=0,
                    help="stop after this many rounds (0: no limit)")
    ap.add_argument("--minutes", type=float, default=30, help="stop after this long")
    ap.add_argument("--round-timeout", type=int, default=600,
                    help="seconds before a round is a hang")
    ap.add_argument("--keep-going", action="store_true", help="reboot and go on after a hang")
    args = ap.parse_args()

    out_dir = os.path.join(BUILD, "soak", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    os.makedirs(out_dir)
    summary = {"program": args.program, "copies": args.copies, "smp": args.smp,
               "spinners": args.spinners, "rounds": [], "hangs": 0, "failures": 0}
    cmd = round_command(args.program, args.copies)
    deadline = time.monotonic() + args.minutes * 60
    spinners = start_spinners(args.spinners)
    n = 0
    try:
        while time.monotonic() < deadline and (not args.rounds or n < args.rounds):
            g = Guest.boot(smp=args.smp, append=f"maxcpus={args.smp}", timeout=300)
            try:
                while time.monotonic() < deadline and (not args.rounds or n < args.rounds):
                    n += 1
                    start = time.monotonic()
                    try:
                        out, _ = g.run(cmd, timeout=args.round_timeout)
                    except GuestError:
                        summary["hangs"] += 1
                        hung_dir = os.path.join(out_dir, f"hang.{n}")
                        os.makedirs(hung_dir)
                        dumped = dump_hung_state(g, hung_dir, args.copies)
                        summary["rounds"].append({"round": n, "hung": True, "sysrq_dump": dumped})
                        print(f"round {n}: HUNG after {args.round_timeout} s; state in {hung_dir}",
                              flush=True)
                        break
                    rcs = dict(re.findall(r"rc\.(\d+)=(\d+)", out))
                    bad = sorted(k for k in map(str, range(1, args.copies + 1))
                                 if rcs.get(k) != "0")
                    secs = round(time.monotonic() - start, 1)
                    summary["rounds"].append({"round": n, "seconds": secs, "failed_copies": bad})
                    if bad:
                        summary["failures"] += 1
                        for k in bad:
                            text, _ = g.run(f"cat /tmp/soak.{k}", timeout=60)
                            with open(os.path.join(out_dir, f"round{n}.copy{k}.out"), "w",
                                      encoding="utf-8") as f:
                                f.write(text + "\n")
                    print(f"round {n}: {secs} s, failed copies: {bad or 'none'}", flush=True)
            finally:
                g.close()
                shutil.copy(g.log_path, os.path.join(out_dir, f"console.{n}.log"))
            if summary["hangs"] and not args.keep_going:
                break
    finally:
        stop_spinners(spinners)
        with open(os.path.join(out_dir, "summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
    print(f"{n} rounds, {summary['hangs']} hung, {summary['failures']} failed; {out_dir}")
    return 1 if summary["hangs"] or summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
