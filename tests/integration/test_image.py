"""The disk image builder: a clean GPT and ext2, a reproducible image, and the stock boot chain
(OpenSBI -> U-Boot distro boot -> FIT with its sha256 checked -> kernel with its built-in
command line -> dm-verity -> ext2 root; test_verity.py tampers with it).

The image carries openv's own kernel (build/kernel/Image), as `make image` builds it; what that
kernel does with the disk is tested in test_disk.py. The same image with the Linux reference
kernel in the FIT also boots to the login prompt: the image and rootfs are not tied to
openv's kernel (that kernel has no device-mapper, so its image mounts partition 2 directly)."""

import hashlib
import os
import subprocess
import sys
import time

import pexpect
import pytest

from guest import BUILD, REPO, qemu_machine, reference_linux_image

sys.path.insert(0, os.path.join(REPO, "image"))
import mkimage  # noqa: E402

UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"
pytestmark = pytest.mark.qemu


OUR_KERNEL = os.path.join(BUILD, "kernel", "Image")


def build_image(out_dir, kernel=OUR_KERNEL, verity_root=True):
    out = os.path.join(out_dir, "openv.img")
    mkimage.build(BUILD, kernel, out, verity_root=verity_root)    # `make image`'s command line
    return out


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    if not os.path.exists(OUR_KERNEL):
        pytest.skip("no kernel: run 'make kernel'")
    return build_image(str(tmp_path_factory.mktemp("image")))


def partition(image, n, dest):
    parts, _ = mkimage.layout()
    _, _, _, _, first, count = parts[n - 1]
    subprocess.run(["dd", f"if={image}", f"of={dest}", "bs=512", f"skip={first}",
                    f"count={count}", "status=none", "conv=sparse"], check=True)
    return dest


def boot(image, timeout=90, modern=False):
    child = pexpect.spawn("qemu-system-riscv64", [
        *qemu_machine(), "-nographic", "-no-reboot", "-kernel", UBOOT,
        *(["-global", "virtio-mmio.force-legacy=false"] if modern else []),
        "-drive", f"file={image},format=raw,if=none,id=hd0,snapshot=on",
        "-device", "virtio-blk-device,drive=hd0"], encoding="utf-8", timeout=timeout)
    return child


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.same_at_any_smp
def test_partition_table_and_root_fs_are_clean(image, tmp_path):
    r = subprocess.run(["sgdisk", "-v", image], stdout=subprocess.PIPE, text=True)
    assert r.returncode == 0 and "No problems found" in r.stdout, r.stdout
    listing = subprocess.run(["sgdisk", "-p", image], stdout=subprocess.PIPE, text=True).stdout
    for name in ("boot", "root", "root-verity", "data"):
        assert f" {name}" in listing
    root = partition(image, 2, str(tmp_path / "root.ext2"))
    r = subprocess.run(["e2fsck", "-fn", root], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    shadow = subprocess.run(["debugfs", "-R", "stat /etc/shadow", root], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True).stdout
    assert "Mode:  0600" in shadow and "User:     0   Group:     0" in shadow


@pytest.mark.same_at_any_smp
def test_root_fs_has_dropbear_and_sftp_server(image, tmp_path):
    """Dropbear runs /usr/libexec/sftp-server (its SFTPSERVER_PATH) for scp, sftp and sshfs."""
    root = partition(image, 2, str(tmp_path / "root.ext2"))
    for path, size_from in (("/usr/libexec/sftp-server", ("openssh", "libexec", "sftp-server")),
                            ("/usr/bin/dropbearmulti", ("dropbear", "bin", "dropbearmulti"))):
        st = subprocess.run(["debugfs", "-R", f"stat {path}", root], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True).stdout
        size = os.path.getsize(os.path.join(BUILD, "pkg", *size_from))
        assert "Mode:  0755" in st and "User:     0   Group:     0" in st, st
        assert f"Size: {size}" in st, st


@pytest.mark.same_at_any_smp
def test_image_is_reproducible(image, tmp_path):
    time.sleep(1.1)     # a different second, a different directory
    again = build_image(str(tmp_path / "elsewhere"))
    assert sha256(again) == sha256(image)
    # The signed FIT too (PKCS#1 v1.5 is deterministic; the signature's timestamp is
    # SOURCE_DATE_EPOCH), and the public key beside it.
    here, there = os.path.dirname(image), os.path.dirname(again)
    for name in ("openv.itb", "openv-key.dtb"):
        assert sha256(os.path.join(there, name)) == sha256(os.path.join(here, name)), name
    sig = subprocess.run(["fdtget", os.path.join(there, "openv.itb"),
                          "/configurations/conf-1/signature-1", "algo"],
                         stdout=subprocess.PIPE, text=True).stdout.strip()
    assert sig == "sha256,rsa2048"


@pytest.mark.parametrize("virtio", ["legacy", "modern"])
def test_stock_uboot_boots_the_image_to_a_login_prompt(image, virtio):
    child = boot(image, modern=virtio == "modern")
    try:
        child.expect_exact("Verifying Hash Integrity ... sha256+ OK")
        child.expect_exact("Kernel command line: built in;")
        child.expect(r"Kernel command line: dm-mod.create=\"vroot,,,ro,0 98304 verity 1 "
                     r"PARTUUID=6f70656e-7600-4000-8000-000000000002 "
                     r"PARTUUID=6f70656e-7600-4000-8000-000000000003 "
                     r"4096 4096 12288 1 sha256 [0-9a-f]{64} [0-9a-f]{64}\" "
                     r"root=/dev/dm-0 ro console=ttyS0\r")
        child.expect(rf"virtio-blk: vda: \d+ sectors \(\d+ MiB\), {virtio} mmio")
        child.expect_exact("device-mapper: ioctl: dm-0 (vroot) is ready")
        child.expect_exact("VFS: Mounted root (ext2 filesystem) readonly on device 253:0.")
        child.expect_exact("openv login: ")
    finally:
        child.terminate(force=True)


def test_the_same_image_boots_the_linux_reference_kernel(tmp_path):
    linux = reference_linux_image()
    if not linux:
        pytest.skip("the Linux reference kernel is not beside the repo (../shared/reference)")
    child = boot(build_image(str(tmp_path), linux, verity_root=False))
    try:
        child.expect_exact("Verifying Hash Integrity ... sha256+ OK")
        child.expect_exact("openv login: ")
    finally:
        child.terminate(force=True)


def test_uboot_refuses_a_tampered_kernel(image, tmp_path):
    bad = str(tmp_path / "tampered.img")
    subprocess.run(["cp", "--sparse=always", image, bad], check=True)
    fit = open(os.path.join(os.path.dirname(image), "openv.itb"), "rb").read()
    with open(bad, "r+b") as disk:
        data = disk.read()
        at = data.find(fit[:4096])
        assert at > 0, "the FIT is not stored contiguously in the boot partition"
        victim = at + 0xb8 + 0x10000          # a byte inside the kernel's data
        disk.seek(victim)
        disk.write(bytes([data[victim] ^ 0xff]))
    child = boot(bad)
    try:
        child.expect_exact("Bad Data Hash")
        i = child.expect_exact(["Starting kernel", "=>", "Scanning disk", pexpect.TIMEOUT], timeout=20)
        assert i != 0, "U-Boot jumped to a tampered kernel"
    finally:
        child.terminate(force=True)
