"""The serial console as a person uses it: job control with Ctrl-Z, bg, jobs, fg and Ctrl-C;
Ctrl-C interrupting `cat` waiting for input; `vi` writing a file; `top` once.

The initramfs shell is a login shell with a controlling terminal (setsid cttyhack sh -l), so job
control is on, as on a console login. OPENV_TEST_KERNEL=linux runs the same on Linux."""

import time

import pytest

from guest import PROMPT, Guest

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def guest():
    with Guest.boot() as g:
        yield g


def prompt(g, timeout=30):
    g.expect_exact(PROMPT, timeout)


def test_ctrl_z_bg_jobs_fg_ctrl_c(guest):
    c = guest.child
    c.sendline("sleep 100")
    time.sleep(1)
    c.sendcontrol("z")
    guest.expect(r"Stopped\s+sleep 100")
    prompt(guest)
    c.sendline("bg")
    guest.expect(r"sleep 100")
    prompt(guest)
    c.sendline("jobs")
    guest.expect(r"\[1\]\+?\s+Running\s+sleep 100")
    prompt(guest)
    c.sendline("fg")
    guest.expect(r"sleep 100\r+\n")
    time.sleep(1)
    c.sendcontrol("c")
    prompt(guest)
    out, rc = guest.run("jobs; echo jobs-done")
    assert "sleep" not in out and "jobs-done" in out


def test_ctrl_c_interrupts_cat_waiting_for_input(guest):
    c = guest.child
    c.sendline("cat")
    time.sleep(1)
    c.sendcontrol("c")
    prompt(guest)
    # The shell abandons the rest of a command line whose job died of SIGINT, so ask after.
    c.sendline("echo cat-status=$?")
    guest.expect(r"cat-status=130")
    prompt(guest)


def test_vi_writes_a_file(guest):
    c = guest.child
    c.sendline("vi /tmp/vi-test.txt")
    time.sleep(2)
    c.send("ihello from vi")
    c.send("\x1b")
    time.sleep(0.5)
    c.send(":wq\r")
    prompt(guest)
    assert guest.check("cat /tmp/vi-test.txt") == "hello from vi"


def test_top_once_ps_free(guest):
    out = guest.check("top -bn1 | head -5")
    assert "Mem:" in out and "Load average:" in out
    out = guest.check("ps")
    assert "PID" in out and "sh" in out
    total = guest.check("free | awk '/Mem:/ {print $2}'")
    assert int(total) > 100000
