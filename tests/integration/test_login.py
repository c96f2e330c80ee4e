"""Logging in on the serial console: BusyBox init respawns getty, login checks the password
against /etc/shadow, and exiting the shell brings the login prompt back.

Root's password is locked in every image (no default passwords), so the test boots the
initramfs (a writable tmpfs root) under BusyBox init with autologin, sets a password with
chpasswd, switches the console entry in /etc/inittab to getty and reloads init with SIGHUP,
the way an administrator would. OPENV_TEST_KERNEL=linux runs the same on Linux."""

import time

import pexpect

import pytest

from guest import Guest

pytestmark = pytest.mark.qemu

PASSWORD = "openv-Test-7k2"
SHELL_PROMPT = r"openv:~# $"
GETTY = "ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100"


def login(g, password):
    g.expect(r"login: $", timeout=60)
    g.child.sendline("root")
    g.expect(r"Password: $")
    g.child.sendline(password)


def test_login_on_the_console_and_respawn():
    g = Guest.spawn(append="openv.autologin quiet", rdinit="/sbin/init", mem="256M")
    with g:
        g.expect(SHELL_PROMPT, timeout=90)
        c = g.child
        c.sendline(f"echo 'root:{PASSWORD}' | chpasswd && echo chpasswd-$((40+2))")
        g.expect("chpasswd-42")
        c.sendline(f"sed -i 's|^ttyS0::respawn:.*|{GETTY}|' /etc/inittab && kill -HUP 1 "
                   "&& echo reloaded-$((40+2))")
        g.expect("reloaded-42")
        g.expect(SHELL_PROMPT)
        # Give init a moment to act on SIGHUP before this shell, its old console entry, exits.
        time.sleep(1)
        c.sendline("exit")

        # A wrong password is refused and the prompt comes back.
        login(g, "not-the-password")
        g.expect("Login incorrect", timeout=30)

        login(g, PASSWORD)
        g.expect(SHELL_PROMPT, timeout=30)
        c.sendline("id -u; tty; echo pipe | tr a-z A-Z")
        g.expect(r"\n0\r+\n/dev/ttyS0\r+\nPIPE\r+\n")
        g.expect(SHELL_PROMPT)

        # init reaps the login shell and respawns getty: a second login works the same.
        c.sendline("exit")
        login(g, PASSWORD)
        g.expect(SHELL_PROMPT, timeout=30)
        c.sendline("echo second-$((40+2))")
        g.expect("second-42")
        g.expect(SHELL_PROMPT)
        assert g.poweroff() == 0


@pytest.mark.parametrize("how", ["poweroff", "reboot", "kill -INT 1"])
def test_init_shuts_down(how):
    """poweroff and reboot go through init: the shutdown entry (rcK) runs, every process is
    signalled, then the machine powers off or resets (QEMU runs with -no-reboot, so a reset
    also ends it). `kill -INT 1` is what the kernel sends init on Ctrl-Alt-Del: inittab's
    ctrlaltdel entry reboots."""
    g = Guest.spawn(append="openv.autologin quiet", rdinit="/sbin/init", mem="256M")
    with g:
        g.expect(SHELL_PROMPT, timeout=90)
        g.child.sendline(how)
        g.expect("The system is going down NOW!", timeout=60)
        g.expect("Requesting system (poweroff|reboot)", timeout=60)
        g.child.expect(pexpect.EOF, timeout=60)
        g.child.wait()
        assert g.child.exitstatus == 0
