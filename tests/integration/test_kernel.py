"""The kernel core, booted from QEMU with the initramfs: BusyBox's shell runs scripts, the guest
test programs (tests/guest) pass, and poweroff ends QEMU cleanly.

Run against the Linux reference kernel with OPENV_TEST_KERNEL=linux to check the tests
themselves: they encode Linux's behaviour."""

import os
import re

import pytest

from guest import BUILD, Guest, kernel_image, smp_count

pytestmark = pytest.mark.qemu

GUEST_DIR = os.path.join(BUILD, "guest")
GUEST_TESTS = sorted(f for f in os.listdir(GUEST_DIR)
                     if os.access(os.path.join(GUEST_DIR, f), os.X_OK)
                     and not f.endswith((".o", ".d", ".sh"))) if os.path.isdir(GUEST_DIR) else []
SMP = smp_count()


@pytest.fixture(scope="module")
def guest():
    with Guest.boot(smp=SMP) as g:
        yield g


def is_openv():
    return os.environ.get("OPENV_TEST_KERNEL", "") in ("", os.path.join(BUILD, "kernel", "Image"))


def test_boots_to_a_shell(guest):
    assert guest.check("echo alive") == "alive"
    uname = guest.check("uname -srm")
    assert uname.startswith("Linux ") and uname.endswith(" riscv64")
    if is_openv():
        assert "openv" in uname


def test_busybox_shell_script(guest):
    out, rc = guest.run("sh /opt/tests/scripts/shell_features.sh", timeout=120)
    summary = re.search(r"(\d+) passed, (\d+) failed", out)
    assert summary, out
    assert rc == 0 and summary.group(2) == "0", out


@pytest.mark.parametrize("name", GUEST_TESTS)
def test_guest_program(guest, name):
    out, rc = guest.run(f"/opt/tests/guest/{name} /opt/tests/guest/{name}", timeout=180)
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert not failures and rc == 0, out


def test_busybox_ipcs_and_ipcrm(guest):
    # SysV IPC seen through BusyBox: ipcs lists what /proc/sysvipc and the *_STAT calls say,
    # ipcrm removes by key.
    out = guest.check("/opt/tests/guest/sysvipc make")
    ids = re.search(r"ids (\d+) (\d+) (\d+)", out)
    assert ids, out
    listing = guest.check("ipcs")
    for key in ("0x0e1f0010", "0x0e1f0011", "0x0e1f0012"):
        assert key in listing, listing
    limits = guest.check("ipcs -l")
    assert re.search(r"max queues system wide = 32000", limits), limits
    out, rc = guest.run("ipcrm -Q 0x0e1f0010 -S 0x0e1f0011 -M 0x0e1f0012")
    assert rc == 0, out
    listing = guest.check("ipcs")
    assert "0x0e1f001" not in listing, listing


def test_hwclock(guest):
    # BusyBox hwclock over /dev/rtc (goldfish): -w writes the system time to the RTC, -s sets
    # the system time from it, -r reads it; the RTC and the clock end where the host is.
    import time
    try:
        out = guest.check("date -u -s '2031-05-06 07:08:09' >/dev/null && hwclock -u -w && "
                          "date -u -s '2001-01-01 00:00:00' >/dev/null && hwclock -u -s && "
                          "date -u +%Y-%m-%d; hwclock -u -r")
        lines = out.splitlines()
        assert lines[0] == "2031-05-06", out
        assert "2031" in lines[1] and "May" in lines[1], out
    finally:
        guest.check(f"date -u -s @{int(time.time())} >/dev/null && hwclock -u -w; echo ok")
    assert abs(int(guest.check("date -u +%s")) - time.time()) < 30


# The static Go program of tests/go (make go-tests): the Go runtime needs epoll for its
# netpoller and timers, threads, futexes and signals. The http mode runs in test_net.py.
@pytest.mark.parametrize("mode", ["goroutines", "files", "exec", "gc"])
def test_go_program(guest, mode):
    out, rc = guest.run(f"/opt/tests/go/gotest {mode}", timeout=300)
    assert rc == 0 and f"OK {mode}" in out, out


def test_kernel_survives_a_process_killed_by_sigsegv(guest):
    # A process killed by SIGSEGV shows status 139 in the shell; the kernel and the shell go on.
    out, rc = guest.run("sh -c 'kill -SEGV $$'; echo status=$?")
    assert "status=139" in out
    assert guest.check("echo still-here") == "still-here"


def test_poweroff_ends_qemu_with_status_0():
    assert os.path.exists(kernel_image())
    with Guest.boot(smp=SMP) as g:
        assert g.poweroff() == 0
