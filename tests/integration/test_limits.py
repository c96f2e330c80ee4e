"""Resource limits and pressure (issue 4): an unprivileged fork bomb hits RLIMIT_NPROC and the
system stays usable; the scheduler shares the CPU fairly and honours nice; a shell answers
while a CPU hog runs; a memory hog is killed by the OOM killer (logged, exit status 137) and
its memory comes back.

Run against the Linux reference kernel with OPENV_TEST_KERNEL=linux to check the tests
themselves: they encode Linux's behaviour. The margins are wide on purpose: the tests run on
a noisy, shared machine and must not depend on timing."""

import os
import re
import time

import pytest

from guest import Guest, smp_count

pytestmark = pytest.mark.qemu
SMP = smp_count()
L = "/opt/tests/guest/limits"       # tests/guest/limits.c: checks, and helper modes
USER = 1000


@pytest.fixture(scope="module")
def guest():
    with Guest.boot(smp=SMP) as g:
        yield g


def wait_for(guest, command, predicate, timeout=60, what=""):
    """Run command until predicate(output) holds; returns the last output."""
    deadline = time.monotonic() + timeout
    while True:
        out, _ = guest.run(command, timeout=timeout)
        if predicate(out) or time.monotonic() > deadline:
            assert predicate(out), f"{what or command}: still {out!r} after {timeout}s"
            return out
        time.sleep(1)


def user_tasks(guest):
    out = guest.check(f"grep -l '^Uid:[[:space:]]*{USER}[[:space:]]' /proc/[0-9]*/status "
                      "2>/dev/null | wc -l")
    return int(out.split()[-1])


def cpu_ticks(guest, pids):
    """utime + stime (clock ticks) of each pid, read in one go from /proc/<pid>/stat."""
    out = guest.check("cat " + " ".join(f"/proc/{p}/stat" for p in pids))
    ticks = []
    for line in out.splitlines():
        fields = line[line.rindex(")") + 2:].split()
        ticks.append(int(fields[11]) + int(fields[12]))   # fields 14 and 15 of stat
    assert len(ticks) == len(pids), out
    return ticks


def test_limits_checks(guest):
    out, rc = guest.run(L, timeout=120)
    assert rc == 0 and "FAIL" not in out, out


def test_unprivileged_fork_bomb_hits_rlimit_nproc(guest):
    guest.check("rm -f /tmp/bomb.log")
    guest.check(f"(ulimit -u 50; exec {L} run-as {USER} {L} bomb /tmp/bomb.log) "
                ">/dev/null 2>&1 & echo started")
    try:
        log = wait_for(guest, "cat /tmp/bomb.log 2>/dev/null | sort | uniq -c",
                       lambda o: "EAGAIN" in o, timeout=120, what="fork bomb reaching EAGAIN")
        assert "ERRNO" not in log, log
        assert user_tasks(guest) <= 50
        # The system stays usable with the bomb going.
        assert guest.check("echo alive", timeout=60) == "alive"
        assert guest.check("ls /proc/self/ >/dev/null && echo ok", timeout=60) == "ok"
    finally:
        out, rc = guest.run(f"{L} kill-user {USER}", timeout=120)
    assert rc == 0, out
    wait_for(guest, f"grep -l '^Uid:[[:space:]]*{USER}[[:space:]]' /proc/[0-9]*/status "
             "2>/dev/null | wc -l", lambda o: o.split()[-1] == "0", timeout=60,
             what="bomb processes left")
    guest.run("wait", timeout=60)
    assert guest.check("echo still-here") == "still-here"


def spin_two(guest, nice_a, nice_b, seconds=6):
    """Two CPU-bound spinners on CPU 0 at the given nice values; their CPU ticks."""
    a = int(guest.check(f"nice -n {nice_a} taskset 1 {L} spin >/dev/null 2>&1 & echo $!"))
    b = int(guest.check(f"nice -n {nice_b} taskset 1 {L} spin >/dev/null 2>&1 & echo $!"))
    try:
        time.sleep(seconds)
        return cpu_ticks(guest, [a, b])
    finally:
        guest.run(f"kill -9 {a} {b}; wait {a} {b} 2>/dev/null")


def test_equal_nice_gets_equal_cpu(guest):
    ta, tb = spin_two(guest, 0, 0)
    assert ta > 0 and tb > 0, (ta, tb)
    assert 0.5 <= ta / tb <= 2.0, (ta, tb)


def test_nice_10_gets_much_less_cpu_than_nice_0(guest):
    t0, t10 = spin_two(guest, 0, 10)
    assert t0 > 0, (t0, t10)
    # Linux's weights give nice 0 about 9 times the CPU of nice 10.
    assert t0 > 2.5 * max(t10, 1), (t0, t10)


def test_shell_stays_responsive_while_yes_runs(guest):
    y = int(guest.check("yes >/dev/null 2>&1 & echo $!"))
    try:
        for _ in range(5):
            start = time.monotonic()
            assert guest.check("ls / >/dev/null && echo ok", timeout=60) == "ok"
            assert time.monotonic() - start < 20
        assert cpu_ticks(guest, [y])[0] > 0     # yes really was running
    finally:
        guest.run(f"kill -9 {y}; wait {y} 2>/dev/null")


def mem_free_kb(g):
    out = g.check("cat /proc/meminfo")
    return int(re.search(r"^MemFree:\s+(\d+) kB", out, re.M).group(1))


def test_memory_hog_is_oom_killed_and_memory_comes_back():
    with Guest.boot(smp=SMP, mem="128M") as g:
        g.check("dmesg -c >/dev/null 2>&1; true")
        before = mem_free_kb(g)
        for round_ in range(2):
            out, rc = g.run(f"{L} hog", timeout=300)
            assert rc == 137, f"round {round_}: hog exited {rc}: {out}"
            assert g.check("echo alive") == "alive"
            dmesg = g.check("dmesg")
            assert re.search(r"Out of memory: Killed process \d+ \(limits\) total-vm:\d+kB, "
                             r"anon-rss:\d+kB", dmesg), dmesg[-2000:]
        # The largest process is the victim even when another one runs out: a sleeping
        # process holding most of the memory goes first, then the hog itself.
        hold = int(g.check(f"{L} hold 64 >/tmp/held & echo $!"))
        wait_for(g, "cat /tmp/held", lambda o: "held" in o, timeout=120, what="hold 64 MiB")
        out, rc = g.run(f"{L} hog", timeout=300)
        assert rc == 137, f"hog after hold exited {rc}: {out}"
        g.run(f"wait {hold}", timeout=60)     # (ash may have reaped it already)
        assert g.run(f"kill -0 {hold}")[1] != 0, "the holder is still alive"
        assert re.search(rf"Out of memory: Killed process {hold} \(limits\)", g.check("dmesg"))
        after = mem_free_kb(g)
        # The hog's memory is free again (allow some slack for caches and the kernel log).
        assert after > before - 8 * 1024, (before, after)
