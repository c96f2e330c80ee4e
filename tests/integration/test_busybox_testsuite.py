"""BusyBox's own testsuite, run inside openv (issue: testsuite parity with Linux).

The same static riscv64 BusyBox, run through qemu-user on a Linux host, passes 868 tests of this
testsuite (../shared/notes/packages.md); openv must pass at least as many. The script
tests/integration/guest-scripts/busybox-testsuite.sh runs it in a scratch copy under /tmp and
skips, by name and visibly, two bc tests that compute for many minutes under QEMU's CPU
emulation. Takes about ten minutes."""

import re

import pytest

from guest import Guest

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

LINUX_QEMU_USER_PASSES = 868


def test_busybox_testsuite_passes_at_least_as_many_as_linux():
    with Guest.boot(mem="512M") as g:
        out, rc = g.run("sh /opt/tests/scripts/busybox-testsuite.sh", timeout=2400)
        g.poweroff()
    summary = re.search(r"busybox-testsuite: (\d+) passed, (\d+) failed", out)
    assert summary, out[-3000:]
    passed, failed = int(summary.group(1)), int(summary.group(2))
    failures = "\n".join(line for line in out.splitlines() if line.startswith("FAIL"))
    print(f"busybox testsuite in openv: {passed} passed, {failed} failed\n{failures}")
    assert passed >= LINUX_QEMU_USER_PASSES, failures
