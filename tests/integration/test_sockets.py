"""Sockets as unmodified programs use them: BusyBox syslogd receives on the /dev/log datagram
socket what logger sends. The system-call details are in tests/guest/sockets_unix.c (run by test_kernel.py).

Run against the Linux reference kernel with OPENV_TEST_KERNEL=linux to check the tests."""

import pytest

from guest import Guest

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def guest():
    with Guest.boot() as g:
        yield g


def test_syslogd_and_logger_over_dev_log(guest):
    guest.check("rm -f /tmp/syslog.txt; syslogd -n -O /tmp/syslog.txt & echo $! > /tmp/syslogd.pid")
    # syslogd creates /dev/log when it is ready: wait for the socket node, not a fixed time.
    guest.check("i=0; while [ ! -S /dev/log ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done;"
                " [ -S /dev/log ]")
    guest.check("logger -t sockettest -p user.err 'hello over AF_UNIX'")
    guest.check("echo 'line from stdin' | logger -t sockettest")
    out = guest.check("i=0; while ! grep -q 'line from stdin' /tmp/syslog.txt && [ $i -lt 100 ];"
                      " do sleep 0.1; i=$((i+1)); done; cat /tmp/syslog.txt")
    assert "user.err sockettest: hello over AF_UNIX" in out, out
    assert "sockettest: line from stdin" in out, out
    guest.check("kill $(cat /tmp/syslogd.pid); wait 2>/dev/null; true")
