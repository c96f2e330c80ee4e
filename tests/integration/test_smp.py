"""SMP: the kernel started on four harts (QEMU -smp 4, `maxcpus=4`) runs user code on all of
them at once, honours CPU affinity (BusyBox taskset, nproc) and passes the guest tests.

Also meaningful against the Linux reference kernel (OPENV_TEST_KERNEL=linux)."""

import os
import re

import pytest

from guest import BUILD, Guest

# Boots with -smp 4 itself, so the -smp 4 pass would only repeat it.
pytestmark = [pytest.mark.qemu, pytest.mark.same_at_any_smp]
NCPUS = 4

GUEST_DIR = os.path.join(BUILD, "guest")
GUEST_TESTS = sorted(f for f in os.listdir(GUEST_DIR)
                     if os.access(os.path.join(GUEST_DIR, f), os.X_OK)
                     and not f.endswith((".o", ".d", ".sh"))) if os.path.isdir(GUEST_DIR) else []

# A few seconds of pure user-mode work for the shell (no system calls in the loop).
BUSY = "i=0; while [ $i -lt 15000 ]; do i=$((i+1)); done"


@pytest.fixture(scope="module")
def guest():
    with Guest.boot(smp=NCPUS, append=f"maxcpus={NCPUS}") as g:
        yield g


def cpu_user_ticks(guest):
    """{cpu number: user+nice ticks} from /proc/stat."""
    ticks = {}
    for line in guest.check("cat /proc/stat").splitlines():
        m = re.match(r"cpu(\d+) (\d+) (\d+)", line)
        if m:
            ticks[int(m.group(1))] = int(m.group(2)) + int(m.group(3))
    return ticks


def test_every_hart_is_online(guest):
    assert guest.check("nproc") == str(NCPUS)
    assert guest.check("grep -c ^processor /proc/cpuinfo") == str(NCPUS)
    assert guest.check("taskset -p $$").endswith(f"current affinity mask: {(1 << NCPUS) - 1:x}")


def test_affinity_is_inherited_and_limits_nproc(guest):
    assert guest.check("taskset -c 2 nproc") == "1"
    assert guest.check("taskset -c 1,3 sh -c 'taskset -p $$'").endswith("current affinity mask: a")
    assert guest.check("taskset -c 1,3 sh -c nproc") == "2"


def test_affinity_to_an_absent_cpu_fails(guest):
    out, rc = guest.run("taskset -c 7 true 2>&1")
    assert rc != 0, out
    out, rc = guest.run("taskset -p 1 $$ >/dev/null; nproc")
    assert rc == 0 and out == "1", out
    guest.check(f"taskset -p {(1 << NCPUS) - 1:x} $$ >/dev/null")
    assert guest.check("nproc") == str(NCPUS)


def test_cpu_bound_processes_run_on_every_hart(guest):
    # One busy process pinned to each hart: each hart's user time grows. Pinning makes this
    # independent of load balancing and of how fast the host is.
    before = cpu_user_ticks(guest)
    cmd = " ".join(f"taskset -c {c} sh -c '{BUSY}' &" for c in range(NCPUS)) + " wait"
    guest.check(cmd, timeout=300)
    after = cpu_user_ticks(guest)
    for c in range(NCPUS):
        assert after[c] > before[c], (c, before, after)


def test_unpinned_processes_all_finish(guest):
    out = guest.check(f"for n in 1 2 3 4 5 6; do (sh -c '{BUSY}'; echo done$n) & done; wait",
                      timeout=300)
    assert sorted(re.findall(r"done\d", out)) == [f"done{n}" for n in range(1, 7)]


def test_fork_exec_and_pipes_across_harts(guest):
    out = guest.check("for n in $(seq 1 24); do (seq 1 2000 | sort -rn | sed -n 1p) & done; wait",
                      timeout=300)
    assert out.split() == ["2000"] * 24


@pytest.mark.parametrize("name", GUEST_TESTS)
def test_guest_program(guest, name):
    out, rc = guest.run(f"/opt/tests/guest/{name} /opt/tests/guest/{name}", timeout=300)
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert not failures and rc == 0, out


def test_guest_programs_in_parallel(guest):
    # Two copies of the thread and fork tests at once: threads of one process on several
    # harts (futexes, TLB shootdown on munmap/mprotect, COW after fork).
    progs = [p for p in ("threads", "fork_cow", "mm", "signals") if p in GUEST_TESTS]
    if not progs:
        pytest.skip("guest programs not built")
    cmd = " ".join(f"(/opt/tests/guest/{p} /opt/tests/guest/{p} >/tmp/par.{p}.{k} 2>&1;"
                   f" echo rc.{p}.{k}=$?) &" for p in progs for k in (1, 2)) + " wait"
    out = guest.check(cmd, timeout=600)
    for p in progs:
        for k in (1, 2):
            assert f"rc.{p}.{k}=0" in out, guest.run(f"cat /tmp/par.{p}.{k}")[0]


def test_poweroff_with_all_harts_running():
    # The spinners are orphaned by a subshell, so no SIGCHLD reaches the interactive shell
    # while it waits at its prompt: after `stty -echo` BusyBox ash reads the line with
    # fgets(), and a read interrupted by a signal ends the shell (PID 1), on Linux too.
    with Guest.boot(smp=NCPUS, append=f"maxcpus={NCPUS}") as g:
        g.check("(sh -c 'while :; do :; done' &); (sh -c 'while :; do :; done' &); true")
        assert g.poweroff() == 0


def test_one_hart_with_maxcpus_1():
    with Guest.boot(smp=NCPUS, append="maxcpus=1") as g:
        assert g.check("nproc") == "1"
        assert g.poweroff() == 0
