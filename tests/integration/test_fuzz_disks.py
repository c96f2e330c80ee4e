"""The short pass of the damaged-filesystem fuzzer (tools/fuzz_disks.py; `make fuzz-disks N=200`
runs it long): four disks with random byte flips in one boot, one each of ext2, OFS (mounted,
read, written, unmounted), iso9660 and vfat (read-only: mounted, listed and stat'ed, read,
unmounted). A panic, a hang, or on iso9660/vfat an errno other than EIO/EINVAL or an EIO
without a kernel log line fails, with the seed to replay."""

import os
import random
import sys

import pytest

from guest import REPO

sys.path.insert(0, os.path.join(REPO, "tools"))
import fuzz_disks  # noqa: E402

pytestmark = pytest.mark.qemu


def test_damaged_disks_neither_panic_nor_hang():
    if os.environ.get("OPENV_TEST_KERNEL") == "linux":
        pytest.skip("Linux has no OFS")
    seed = int(os.environ.get("FUZZ_DISKS_SEED", random.SystemRandom().randrange(1 << 32)))
    print(f"fuzz-disks seed {seed}")
    failures = fuzz_disks.run(4, seed)
    assert not failures, f"seed {seed}:\n" + "\n".join(failures)
