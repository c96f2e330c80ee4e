"""dm-verity on the root: the image's hash tree passes `veritysetup verify`; openv's kernel makes
dm-0 from dm-mod.create= and mounts the root from it; tampering is caught.

Boots, as few as the checks allow:
- a modified copy of the image (one byte flipped in a file of the root, one in a leaf of the hash
  tree), started with -kernel and the image's own verity parameters plus openv.autologin: the
  file gives EIO and the log names the data block, the blocks under the bad leaf give EIO and
  the log names the hash block, other files read as they are; dm-0 is in /dev, /sys/block,
  /proc/partitions and /dev/disk/by-label, read-only; vda2 and vda3 are held by it (EBUSY);
- a wrong root hash: the device is refused with a clear message and the boot stops at the root
  (never a boot into unverified data); the same for a root partition from another build;
- through stock U-Boot, an extlinux.conf edited to boot partition 2 without verity (and with
  init=/bin/sh): the kernel's built-in command line wins, the root is dm-0."""

import hashlib
import os
import re
import shutil
import subprocess
import sys

import pexpect
import pytest

from guest import BUILD, PROMPT, REPO, Guest, GuestError, kernel_image, qemu_machine

sys.path.insert(0, os.path.join(REPO, "image"))
import mkimage  # noqa: E402
import verity  # noqa: E402

pytestmark = pytest.mark.qemu
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"
VERITYSETUP = shutil.which("veritysetup") or "/usr/sbin/veritysetup"   # not on a user's PATH
VICTIM = "/usr/libexec/sftp-server"     # not needed to boot or to log in on the console


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel) or os.environ.get("OPENV_TEST_KERNEL"):
        pytest.skip("openv's kernel only (the reference Linux has no device-mapper)")
    out = str(tmp_path_factory.mktemp("verity") / "openv.img")
    params = mkimage.build(BUILD, kernel, out)
    return out, params


def part_range(n):
    parts, _ = mkimage.layout()
    _, _, _, _, first, count = parts[n - 1]
    return first * 512, count * 512


def extract(image, n, dest):
    off, size = part_range(n)
    with open(image, "rb") as src, open(dest, "wb") as dst:
        src.seek(off)
        dst.write(src.read(size))
    return dest


def flip(image, offset):
    with open(image, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


def copy(image, dest):
    subprocess.run(["cp", "--sparse=always", image, dest], check=True)
    return dest


@pytest.mark.same_at_any_smp
def test_veritysetup_verifies_the_images_root(image, tmp_path):
    img, params = image
    data = extract(img, 2, str(tmp_path / "root.ext2"))
    hashdev = extract(img, 3, str(tmp_path / "root.verity"))
    r = subprocess.run([VERITYSETUP, "verify", data, hashdev, params["root_hash"]],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    dump = subprocess.run([VERITYSETUP, "dump", hashdev], stdout=subprocess.PIPE, text=True,
                          check=True).stdout
    assert re.search(r"Data blocks:\s+12288", dump) and re.search(r"Hash type:\s+1", dump), dump
    assert params["salt"] in dump.replace(" ", "").replace("\n", "") or \
        re.search(r"Salt:\s+" + params["salt"], dump), dump
    bad = subprocess.run([VERITYSETUP, "verify", data, hashdev, "00" * 32],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert bad.returncode != 0


@pytest.mark.same_at_any_smp
def test_the_command_line_is_built_into_the_fit_kernel(image):
    img, params = image
    fit = open(os.path.join(os.path.dirname(img), "openv.itb"), "rb").read()
    at = fit.find(mkimage.BUILTIN_CMDLINE_MAGIC)
    assert at > 0 and params["builtin_cmdline"] == 1
    text = fit[at + 24:at + 24 + 2048].split(b"\0")[0].decode()
    assert text == params["cmdline"]
    assert f'sha256 {params["root_hash"]} {params["salt"]}"' in text and "root=/dev/dm-0" in text
    # And build/kernel/Image itself stays empty (so `-kernel Image` reads bootargs).
    raw = open(kernel_image(), "rb").read()
    at = raw.find(mkimage.BUILTIN_CMDLINE_MAGIC)
    assert not any(raw[at + 24:at + 24 + 2048])


class RootShell(Guest):
    """A root shell on the disk's root (openv.autologin)."""

    def wait_for_shell(self, timeout):
        self.expect(r"openv:[^\r\n]*# $", timeout)
        self.child.sendline(f"PS1='{PROMPT}'")
        self.expect_exact(PROMPT, timeout)
        self.child.sendline("")
        self.expect_exact(PROMPT, timeout)


def spawn(argv, name, timeout=120):
    log_dir = os.path.join(BUILD, "test-logs")
    os.makedirs(log_dir, exist_ok=True)
    log = os.path.join(log_dir, f"verity-{name}.log")
    child = pexpect.spawn("qemu-system-riscv64", argv, encoding="utf-8", codec_errors="replace",
                          timeout=timeout, echo=False)
    child.logfile_read = open(log, "w", encoding="utf-8")
    return child, log


def direct_boot_argv(image, cmdline):
    """openv's kernel as built (no built-in command line: bootargs is the command line)."""
    return [*qemu_machine(), "-nographic", "-no-reboot", "-kernel", kernel_image(),
            "-append", cmdline,
            "-drive", f"file={image},format=raw,if=none,id=hd0,snapshot=on",
            "-device", "virtio-blk-device,drive=hd0"]


def test_tampered_root_gives_eio_and_names_the_block(image, tmp_path):
    img, params = image
    bad = copy(img, str(tmp_path / "tampered.img"))
    root_off, _ = part_range(2)
    hash_off, _ = part_range(3)
    # A byte in the third block of a file.
    root = extract(img, 2, str(tmp_path / "root.ext2"))
    blocks = subprocess.run(["debugfs", "-R", f"blocks {VICTIM}", root], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, check=True).stdout.split()
    victim_block = int(blocks[2])
    flip(bad, root_off + victim_block * verity.BLOCK + 100)
    # A byte in the last leaf of the tree: it covers data blocks 12160..12287, free space at
    # the end of the filesystem (nothing reads it while booting).
    geometry = verity.levels(params["data_blocks"])
    leaf = geometry[0][0] + geometry[0][1] - 1
    first_covered = (geometry[0][1] - 1) * (verity.BLOCK // verity.DIGEST)
    free = subprocess.run(["debugfs", "-R", f"testb {first_covered} 128", root],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    assert free.count("not in use") == 128, free
    flip(bad, hash_off + leaf * verity.BLOCK + 7)
    want_md5 = hashlib.md5(open(os.path.join(BUILD, "pkg", "dropbear", "bin", "dropbearmulti"),
                                "rb").read()).hexdigest()

    child, log = spawn(direct_boot_argv(bad, params["cmdline"] + " openv.autologin"), "tamper")
    g = RootShell(child, log)
    try:
        g.wait_for_shell(120)
        # The tampered file: EIO, every time, and the log names the data block.
        out, rc = g.run(f"cat {VICTIM} > /dev/null")
        assert rc != 0 and "I/O error" in out, out
        out, rc = g.run(f"dd if={VICTIM} of=/dev/null bs=4096 skip=2 count=1")
        assert rc != 0, out
        # Its blocks before the bad one still read.
        assert g.check(f"dd if={VICTIM} bs=4096 count=2 2>/dev/null | wc -c").strip() == "8192"
        # Other files read as they are.
        assert g.check("md5sum /usr/bin/dropbearmulti").split()[0] == want_md5
        assert "root:x:0:0" in g.check("cat /etc/passwd")
        # The bad leaf: the blocks under it fail, with the hash block named.
        out, rc = g.run(f"dd if=/dev/dm-0 of=/dev/null bs=4096 skip={first_covered + 40} count=1")
        assert rc != 0, out
        g.check(f"dd if=/dev/dm-0 of=/dev/null bs=4096 skip={first_covered - 1} count=1")
        log_text = g.check("dmesg | grep device-mapper")
        assert f"device-mapper: verity: 254:2: data block {victim_block} is corrupted" in log_text
        assert f"device-mapper: verity: 254:2: metadata block {leaf} is corrupted" in log_text
        # dm-0: the device, read-only, where tools look for it.
        assert re.search(r"^\s*253\s+0\s+49152 dm-0$", g.check("cat /proc/partitions"), re.M)
        assert g.check("cat /sys/block/dm-0/size /sys/block/dm-0/ro /sys/block/dm-0/dev").split() \
            == ["98304", "1", "253:0"]
        assert g.check("ls -l /dev/dm-0").startswith("brw-------")
        out, rc = g.run("dd if=/dev/zero of=/dev/dm-0 bs=4096 count=1")
        assert rc != 0, out
        assert "/dev/root / ext2 ro" in g.check("cat /proc/mounts")
        # The root's label points at dm-0 (read in its 4096-byte blocks), not at vda2.
        assert g.check("readlink /dev/disk/by-label/openv-root").strip() == "../../dm-0"
        # vda2 and vda3 are held by dm-0 (Linux's bd_claim): no mount, no write open, no loop
        # device, and the whole disk cannot be mounted; a plain read-only open is fine, and the
        # data partition beside them stays writable.
        g.check("mkdir -p /tmp/m")
        for part in ("vda2", "vda3"):
            out, rc = g.run(f"dd if=/dev/zero of=/dev/{part} bs=4096 count=1 conv=notrunc")
            assert rc != 0 and "busy" in out, out
            out, rc = g.run(f"mount -o ro /dev/{part} /tmp/m")
            assert rc != 0 and "busy" in out, out
            out, rc = g.run(f"losetup -r /dev/loop0 /dev/{part}")
            assert rc != 0 and "busy" in out, out
            assert g.check(f"dd if=/dev/{part} bs=4096 count=1 2>/dev/null | wc -c").strip() == "4096"
        out, rc = g.run("mount -t ext2 -o ro /dev/vda /tmp/m")
        assert rc != 0 and "busy" in out, out
        g.check("dd if=/dev/null of=/dev/vda4 conv=notrunc 2>/dev/null")     # a write open
        assert "Can't open blockdev" in g.check("dmesg | grep /dev/vda2")
    except GuestError:
        raise
    finally:
        g.close()


@pytest.mark.same_at_any_smp
def test_a_wrong_root_hash_refuses_to_boot(image):
    img, params = image
    wrong = "%064x" % (int(params["root_hash"], 16) ^ 1)
    cmdline = params["cmdline"].replace(params["root_hash"], wrong)
    child, log = spawn(direct_boot_argv(img, cmdline), "wrong-root", timeout=90)
    try:
        child.expect_exact("device-mapper: verity: 254:2: metadata block 1 is corrupted")
        child.expect_exact("device-mapper: table: 253:0: verity: the root digest does not match "
                           "the hash tree")
        child.expect_exact('VFS: Cannot open root device "/dev/dm-0"')
        i = child.expect_exact(["Kernel panic", "openv login:", "# ", pexpect.EOF])
        assert i == 0, "booted without a verified root"
    finally:
        child.terminate(force=True)


@pytest.mark.same_at_any_smp
def test_a_root_partition_from_another_build_does_not_mount(image, tmp_path):
    img, params = image
    other = str(tmp_path / "other.img")
    mkimage.build(BUILD, kernel_image(), other, extra_files={"/etc/another-build": b"yes\n"})
    bad = copy(img, str(tmp_path / "swapped.img"))
    off, size = part_range(2)
    with open(other, "rb") as src, open(bad, "r+b") as dst:
        src.seek(off)
        dst.seek(off)
        dst.write(src.read(size))
    child, log = spawn(direct_boot_argv(bad, params["cmdline"]), "swapped-root", timeout=90)
    try:
        child.expect_exact("device-mapper: ioctl: dm-0 (vroot) is ready")
        child.expect(r"device-mapper: verity: 254:2: data block \d+ is corrupted")
        child.expect(r'VFS: Cannot open root device "/dev/dm-0" or unknown-block\(253,0\): '
                     r'error -\d+')
        i = child.expect_exact(["Kernel panic", "openv login:", "# ", pexpect.EOF])
        assert i == 0, "booted a root from another build"
    finally:
        child.terminate(force=True)


@pytest.mark.same_at_any_smp
def test_an_edited_extlinux_conf_cannot_change_the_root(image, tmp_path):
    img, _ = image
    bad = copy(img, str(tmp_path / "extlinux.img"))
    boot = extract(bad, 1, str(tmp_path / "boot.fat"))
    conf = tmp_path / "extlinux.conf"
    conf.write_text("default openv\ntimeout 0\nlabel openv\n    kernel /openv.itb\n"
                    "    append root=/dev/vda2 rw init=/bin/sh console=ttyS0 loglevel=7\n")
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    subprocess.run(["mcopy", "-o", "-i", boot, str(conf), "::extlinux/extlinux.conf"], check=True,
                   env=env)
    off, _ = part_range(1)
    with open(boot, "rb") as src, open(bad, "r+b") as dst:
        dst.seek(off)
        dst.write(src.read())
    child, log = spawn([*qemu_machine(), "-nographic", "-no-reboot", "-kernel", UBOOT,
                        "-drive", f"file={bad},format=raw,if=none,id=hd0,snapshot=on",
                        "-device", "virtio-blk-device,drive=hd0"], "extlinux")
    try:
        child.expect_exact("append: root=/dev/vda2 rw init=/bin/sh")
        child.expect_exact('ignoring "root=/dev/vda2" from the boot loader')
        child.expect_exact('ignoring "rw" from the boot loader')
        child.expect_exact('ignoring "init=/bin/sh" from the boot loader')
        child.expect(r"Kernel command line: dm-mod\.create=\S+ .* root=/dev/dm-0 ro "
                     r"console=ttyS0 loglevel=7\r")
        child.expect_exact("VFS: Mounted root (ext2 filesystem) readonly on device 253:0.")
        child.expect_exact("openv login: ")
    finally:
        child.terminate(force=True)
