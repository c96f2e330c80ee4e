"""BusyBox's own testsuite, run inside openv (issue: testsuite parity with Linux).

The same static riscv64 BusyBox, run through qemu-user on a Linux host, passes 868 tests of this
testsuite (../shared/notes/packages.md); openv must pass at least as many. The script
tests/integration/guest-scripts/busybox-testsuite.sh runs it in a scratch copy under /tmp and
skips, by name and visibly, two bc tests that compute for many minutes under QEMU's CPU
emulation. Every failure must be listed, with its reason, in busybox-testsuite.expected-failures
next to this file; any other failure fails the test. Takes about ten minutes. At -smp 4
(`make test-smp4`) two copies of the testsuite split the applets and run at once."""

import os
import re

import pytest

from guest import Guest, smp_count

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

LINUX_QEMU_USER_PASSES = 868
EXPECTED = os.path.join(os.path.dirname(__file__), "busybox-testsuite.expected-failures")


def expected_failures():
    """Test name -> reason, from the committed list."""
    out = {}
    with open(EXPECTED, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" | ")
                assert reason, f"{EXPECTED}: no reason given for {name!r}"
                out[name.strip()] = reason.strip()
    return out


def test_busybox_testsuite_passes_at_least_as_many_as_linux():
    expected = expected_failures()
    # With several harts, two copies of the testsuite share the applets and run at once.
    jobs = 2 if smp_count() > 1 else 1
    with Guest.boot(mem="512M") as g:
        out, rc = g.run(f"sh /opt/tests/scripts/busybox-testsuite.sh /tmp/busybox-testsuite {jobs}",
                        timeout=2400)
        g.poweroff()
    summary = re.search(r"busybox-testsuite: (\d+) passed, (\d+) failed", out)
    assert summary, out[-3000:]
    passed, failed = int(summary.group(1)), int(summary.group(2))
    failures = [line[len("FAIL: "):].strip() for line in out.splitlines()
                if line.startswith("FAIL: ")]
    print(f"busybox testsuite in openv: {passed} passed, {failed} failed")
    for name in failures:
        print(f"  FAIL {name}: {expected.get(name, 'NOT EXPECTED')}")
    for name in sorted(set(expected) - set(failures)):
        print(f"  expected to fail but passed (network, or fixed): {name}")
    unexpected = [name for name in failures if name not in expected]
    assert not unexpected, ("failures not in tests/integration/busybox-testsuite.expected-failures"
                            f" (new failures, or add them with a reason): {unexpected}")
    assert passed >= LINUX_QEMU_USER_PASSES, f"{passed} passes, fewer than Linux's {LINUX_QEMU_USER_PASSES}"
