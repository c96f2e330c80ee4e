"""Damaged disks end in a message, never in silence: the damaged ext2 root of
/work/shared/repro (../shared/repro relative to the repository; ext2-hang-root.img.xz, 299
byte flips) once left the console quiet after `devtmpfs: mounted`, as if the kernel hung.

What happens there: the flips damaged BusyBox's own data blocks (ext2 has no data checksums;
Linux reads the same bytes), so every program crashes at once and init respawns the console
getty every second. Linux says so on the console (`unhandled signal 11`, rate-limited); openv
now does too. The test writes the partition over a fresh image (a copy; the shared file is only
read) and boots it through U-Boot: one short boot."""

import lzma
import os
import shutil
import subprocess

import pexpect
import pytest

from guest import BUILD, REPO, kernel_image
from sshguest import spawn_image

pytestmark = pytest.mark.qemu

REPRO = os.path.join(REPO, "..", "shared", "repro")


def partition_first_sector(image, number):
    out = subprocess.run(["sgdisk", "-i", str(number), image], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("First sector:"):
            return int(line.split()[2])
    raise AssertionError(out)


def image_with_partition(tmp_path, xz_name, number):
    """A fresh disk image with partition `number` replaced by the repro partition."""
    import sys
    sys.path.insert(0, os.path.join(REPO, "image"))
    import mkimage
    src = os.path.join(REPRO, xz_name)
    if not os.path.exists(src):
        pytest.skip(f"no {src}")
    kernel = kernel_image()
    if not os.path.exists(kernel):
        pytest.skip("no kernel: run 'make kernel'")
    image = str(tmp_path / "bad.img")
    # A root partition replaced under dm-verity never mounts (test_verity.py shows that); what
    # this checks is ext2's own answer to the damage, so that root is mounted without verity.
    mkimage.build(BUILD, kernel, image, "", verity_root=(number != 2))
    first = partition_first_sector(image, number)
    with lzma.open(src) as part, open(image, "r+b") as disk:
        disk.seek(first * 512)
        shutil.copyfileobj(part, disk, 1 << 20)
    return image


def test_damaged_ext2_root_is_not_silent(tmp_path):
    image = image_with_partition(tmp_path, "ext2-hang-root.img.xz", 2)
    child = spawn_image(image, snapshot=True)
    logs = os.path.join(BUILD, "test-logs")
    if os.path.isdir(logs):
        child.logfile_read = open(os.path.join(logs, "damaged-ext2-console.log"), "w",
                                  encoding="utf-8")
    try:
        child.expect("devtmpfs: mounted", timeout=180)
        # A message within a minute: an ext2 error, Linux's panic text, the crash loop's
        # unhandled signals, or a login prompt if the damage spared the programs.
        i = child.expect([r"unhandled signal \d+", r"EXT2-fs|ext2: .*error",
                          "VFS: Unable to mount root fs", "No working init found",
                          "openv login:", pexpect.TIMEOUT], timeout=60)
        assert i != 5, "silent for 60 s after devtmpfs: mounted:\n" + child.before
    finally:
        child.terminate(force=True)
