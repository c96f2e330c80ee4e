"""openv's own kernel on disks: the image's ext2 root mounted read-only from root=, block-device
nodes, mount/umount/remount of ext2 on a scratch disk, an ext2 write workload that host e2fsck
finds clean and host debugfs reads back, a corrupt superblock that gives a mount error (not a
panic), and a missing root device that gives Linux's diagnostics.

(test_image.py boots the same image the stock way, OpenSBI -> U-Boot -> FIT, to the login
prompt.) Here the kernel is started with `-kernel` to skip U-Boot's wait, with a root shell
(openv.autologin), modern virtio-mmio devices and extra disks. OPENV_TEST_KERNEL=linux runs the
same tests on the Linux reference kernel."""

import hashlib
import os
import re
import subprocess
import sys

import pexpect
import pytest

from guest import BUILD, PROMPT, REPO, Guest, GuestError, kernel_image, qemu_machine

sys.path.insert(0, os.path.join(REPO, "image"))
import mkimage  # noqa: E402

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """build/openv.img's recipe with the kernel under test in the FIT (OPENV_TEST_KERNEL=linux
    puts the Linux reference kernel there instead, to check the tests against Linux)."""
    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel):
        pytest.skip("no kernel: run 'make kernel'")
    out = str(tmp_path_factory.mktemp("disk") / "openv.img")
    mkimage.build(BUILD, kernel, out, "")
    return out


def spawn(argv, name, timeout=120):
    log_dir = os.path.join(BUILD, "test-logs")
    os.makedirs(log_dir, exist_ok=True)
    log = os.path.join(log_dir, f"disk-{name}.log")
    child = pexpect.spawn("qemu-system-riscv64", argv, encoding="utf-8", codec_errors="replace",
                          timeout=timeout, echo=False)
    child.logfile_read = open(log, "w", encoding="utf-8")
    return child, log


def mke2fs(path, size, *extra):
    with open(path, "wb") as f:
        f.truncate(size)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", *extra, path], check=True,
                   stdout=subprocess.DEVNULL)


class DiskGuest(Guest):
    """A root shell on the disk's root (openv.autologin), driven like tests' Guest."""

    def wait_for_shell(self, timeout):
        # `HOSTNAME:DIR# `: a cloud-init seed on one of the disks may have renamed the machine.
        self.expect(r"[\w.-]+:[^\r\n]*# $", timeout)
        self.child.sendline(f"PS1='{PROMPT}'; stty -echo 2>/dev/null")
        self.expect_exact(PROMPT, timeout)
        self.child.sendline("")
        self.expect_exact(PROMPT, timeout)


def boot_root_shell(image, disks, name, append="", snapshot=True, net=False, readonly=False,
                    kernel=None, extra_args=()):
    """A root shell on `image` (vda) with `disks` after it (vdb...): snapshot keeps the image
    unchanged, net adds a user-mode NIC, readonly attaches the extra disks read-only; kernel
    (default: the one under test) and extra QEMU arguments are for tools/bench_disk.py."""
    argv = [*qemu_machine(), "-nographic", "-no-reboot", *extra_args,
            "-global", "virtio-mmio.force-legacy=false", "-kernel", kernel or kernel_image(),
            "-append", f"root=/dev/vda2 ro rootwait console=ttyS0 openv.autologin {append}".strip(),
            "-drive", f"file={image},format=raw,if=none,id=hd0{',snapshot=on' if snapshot else ''}",
            "-device", "virtio-blk-device,drive=hd0"]
    if net:
        argv += ["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0"]
    for i, d in enumerate(disks, 1):
        argv += ["-drive", f"file={d},format=raw,if=none,id=hd{i}{',readonly=on' if readonly else ''}",
                 "-device", f"virtio-blk-device,drive=hd{i}"]
    child, log = spawn(argv, name)
    g = DiskGuest(child, log)
    try:
        g.wait_for_shell(120)
    except GuestError:
        g.close()
        raise
    return g


# What tests/guest/filemap.c leaves in DIR/filemap.kept with FILEMAP_KEEP set.
FILEMAP_KEPT = bytes(ord("0") + i % 10 for i in range(3 * 4096))

# One command per line, run in turn in the guest's shell (cwd /mnt).
WORKLOAD = """
cd /mnt
mkdir -p a/b/c
echo hello-ext2 > a/b/c/file
dd if=/dev/urandom of=big bs=64k count=320 2>/dev/null
md5sum big > /tmp/big.md5
dd if=/dev/zero of=sparse bs=1 count=0 seek=70M 2>/dev/null
printf Z >> sparse
ln -s a/b/c/file fastlink
ln -s /mnt/a/b/c/this-target-name-is-longer-than-sixty-characters-so-it-needs-a-block slowlink
ln a/b/c/file hardlink
mkdir gone && rmdir gone
echo moved > before && mv before after
echo doomed > victim && rm victim
mkdir -p dir1/sub && mv dir1 dir2
yes 0123456789 | head -c 100000 > shrink && truncate -s 5000 shrink
for i in $(seq 1 150); do echo "entry $i" > "a/many-files-in-one-directory-$i"; done
for i in $(seq 3 3 150); do rm "a/many-files-in-one-directory-$i"; done
cd /
""".strip().splitlines()


def test_ext2_root_block_devices_mount_and_a_write_workload(image, tmp_path):
    scratch = str(tmp_path / "scratch.img")
    mke2fs(scratch, 64 << 20, "-b", "1024")
    # The page-cache test program (tests/guest/filemap.c), run from the scratch disk itself.
    filemap = os.path.join(BUILD, "guest", "filemap")
    assert os.path.exists(filemap), "no build/guest/filemap: run 'make initramfs'"
    for cmd in (f"write {filemap} filemap", "sif filemap mode 0100755"):
        subprocess.run(["debugfs", "-w", "-R", cmd, scratch], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Damaged filesystems: vdc's superblock says 2^137-byte blocks; vdd was cut to half its
    # size; vde's root directory points at a block past the end.
    bad_super, truncated, bad_root = (str(tmp_path / f"{n}.img") for n in ("sb", "cut", "root"))
    for img in (bad_super, truncated, bad_root):
        mke2fs(img, 8 << 20, "-b", "1024")
    with open(bad_super, "r+b") as f:
        f.seek(1024 + 24)                     # s_log_block_size
        f.write(b"\x7f\x00\x00\x00")
    os.truncate(truncated, 4 << 20)
    subprocess.run(["debugfs", "-w", "-R", "sif / block[0] 999999", bad_root], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    g = boot_root_shell(image, [scratch, bad_super, truncated, bad_root], "workload")
    try:
        # The root: ext2, read-only, from partition 2; files from the image are there.
        mounts = g.check("cat /proc/mounts")
        assert "/dev/root / ext2 ro" in mounts, mounts
        assert "ext2" in g.check("mount | grep ' on / '")
        assert "openv" in g.check("cat /etc/hostname")
        out, rc = g.run("touch /should-fail")
        assert rc != 0 and "Read-only file system" in out, out
        for t in ("proc", "devtmpfs", "tmpfs"):
            assert f" {t} " in mounts, mounts

        # Block device nodes as Linux's devtmpfs makes them (virtblk: major 254, 16 minors a disk).
        ls = g.check("ls --color=never -ln /dev/vda /dev/vda1 /dev/vda2 /dev/vda4 /dev/vdb /dev/vdc")
        for node, minor in (("vda", 0), ("vda1", 1), ("vda2", 2), ("vda4", 4), ("vdb", 16), ("vdc", 32)):
            pattern = rf"^brw-------\s+1\s+0\s+0\s+254,\s+{minor}\s.*/dev/{node}$"
            assert re.search(pattern, ls, re.M), ls
        assert g.check("dd if=/dev/vda2 bs=1024 skip=1 count=1 2>/dev/null | od -An -tx1 -j56 -N2").split() == ["53", "ef"]

        # mount(2): read-only first, then remount read-write.
        g.check("mount -o ro /dev/vdb /mnt")
        out, rc = g.run("touch /mnt/x")
        assert rc != 0 and "Read-only file system" in out, out
        g.check("mount -o remount,rw /mnt")
        assert "/dev/vdb /mnt ext2 rw" in g.check("cat /proc/mounts")
        for command in WORKLOAD:
            g.check(command, timeout=300)
        big_md5 = g.check("cat /tmp/big.md5").split()[0]
        # The page cache on ext2 with 1 KiB blocks: mappings, read and write agree; what a
        # shared mapping wrote (left unsynced) survives umount and mount and reaches debugfs.
        out, rc = g.run("FILEMAP_KEEP=1 /mnt/filemap /mnt", timeout=300)
        assert rc == 0 and "FAIL" not in out, out
        # Its user copies that fault on pages read from the disk switched tasks with user
        # memory closed (the kernel says so otherwise).
        assert "user memory open" not in g.check("dmesg")

        # Unmount and mount again (auto-detected type): the data comes back from the disk.
        g.check("umount /mnt")
        g.check("mount /dev/vdb /mnt")
        assert g.check("cat /mnt/a/b/c/file /mnt/fastlink /mnt/hardlink /mnt/after") == \
            "hello-ext2\nhello-ext2\nhello-ext2\nmoved"
        assert g.check("md5sum /mnt/big").split()[0] == big_md5
        assert g.check("md5sum /mnt/filemap.kept").split()[0] == hashlib.md5(FILEMAP_KEPT).hexdigest()
        assert g.check("stat -c '%h %s' /mnt/a/b/c/file /mnt/shrink /mnt/sparse") == \
            "2 11\n1 5000\n1 73400321"
        assert g.check("readlink /mnt/slowlink").endswith("needs-a-block")
        assert g.check("ls /mnt/a | wc -l") == "101"
        # A second mount of the same device shares the filesystem (one allocator, one cache).
        g.check("mkdir /tmp/again && mount /dev/vdb /tmp/again && echo shared > /tmp/again/shared")
        assert g.check("cat /mnt/shared") == "shared"
        g.check("umount /tmp/again && rm /mnt/shared")
        out, rc = g.run("mount -o ro /dev/vdb /tmp/again")     # would change its RO state
        assert rc != 0, out
        out, rc = g.run("umount /mnt/a")
        assert rc != 0
        out, rc = g.run("cd /mnt && umount /mnt")     # busy while it is a working directory
        assert rc != 0 and "busy" in out, out
        g.check("cd /")

        # Damaged filesystems: an error from mount or from the access, the kernel carries on.
        for disk in ("vdc", "vdd"):
            out, rc = g.run(f"mount -t ext2 /dev/{disk} /mnt/a")
            assert rc != 0, out
        # (Linux refuses this one at mount time, openv when the lookup reads the bad block.)
        out, rc = g.run("mount -t ext2 -o ro /dev/vde /mnt/a && stat /mnt/a/lost+found")
        assert rc != 0, out
        g.run("umount /mnt/a")
        assert g.check("echo still-alive") == "still-alive"
        out, rc = g.run("mount -t ext2 /dev/vda /tmp")       # a partitioned disk: not ext2
        assert rc != 0, out

        # umount writes everything back and marks the filesystem clean (s_state 1).
        g.check("umount /mnt")
        assert g.check("dd if=/dev/vdb bs=2 skip=541 count=1 2>/dev/null | od -An -tu2").strip() == "1"
        # Data written just before `poweroff -f` (BusyBox's sync(2), then reboot(2)'s own
        # write-back) is on the disk, with the filesystem still mounted.
        g.check("mount /dev/vdb /mnt && echo written-before-poweroff > /mnt/late")
        g.poweroff()
    finally:
        g.close()

    fsck = subprocess.run(["e2fsck", "-fn", scratch], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    assert fsck.returncode == 0, fsck.stdout

    def debugfs(cmd):
        return subprocess.run(["debugfs", "-R", cmd, scratch], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=True).stdout

    assert debugfs("cat /a/b/c/file") == b"hello-ext2\n"
    assert debugfs("cat /after") == b"moved\n"
    assert hashlib.md5(debugfs("cat /big")).hexdigest() == big_md5
    sparse = debugfs("cat /sparse")
    assert len(sparse) == 70 * 1024 * 1024 + 1 and sparse[-1:] == b"Z" and not any(sparse[:4096])
    assert debugfs("cat /shrink") == (b"0123456789\n" * 10000)[:5000]
    assert debugfs("cat /slowlink").endswith(b"so-it-needs-a-block")
    assert b'Fast link dest: "a/b/c/file"' in debugfs("stat /fastlink")
    assert debugfs("cat /late") == b"written-before-poweroff\n"
    assert debugfs("cat /filemap.kept") == FILEMAP_KEPT
    assert b"Links: 2" in debugfs("stat /hardlink")
    listing = debugfs("ls -l /").decode()
    for name in ("a", "big", "sparse", "fastlink", "slowlink", "hardlink", "after", "dir2", "shrink"):
        assert f" {name}" in listing, listing
    for name in ("gone", "before", "victim", "dir1"):
        assert f" {name}\n" not in listing and f" {name} " not in listing, listing
    assert b"sub" in debugfs("ls /dir2")


def test_a_missing_root_device_is_reported_with_the_devices_there_are(image):
    child, log = spawn([*qemu_machine(), "-nographic", "-no-reboot",
                        "-kernel", kernel_image(),
                        "-append", "root=PARTUUID=01234567-89ab-cdef-0123-456789abcdef rootwait=1 "
                                   "console=ttyS0",
                        "-drive", f"file={image},format=raw,if=none,id=hd0,snapshot=on",
                        "-device", "virtio-blk-device,drive=hd0"], "noroot", timeout=60)
    g = Guest(child, log)
    try:
        if os.environ.get("OPENV_TEST_KERNEL") != "linux":     # rootwait=N is Linux 6.5's
            g.expect_exact("Waiting for root device PARTUUID=01234567-89ab-cdef-0123-456789abcdef...")
            g.expect_exact("Disabling rootwait; root device still not ready after 1 seconds.")
        g.expect_exact('VFS: Cannot open root device "PARTUUID=01234567-89ab-cdef-0123-456789abcdef" '
                       'or unknown-block(0,0): error -6')
        g.expect(r"fe00\s+333824 vda\s")
        g.expect(r"fe02\s+49152 vda2 6f70656e-7600-4000-8000-000000000002")
        g.expect_exact("Kernel panic")
        g.expect_exact("VFS: Unable to mount root fs")
    finally:
        g.close()
