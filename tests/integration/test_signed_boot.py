"""Signed boot through our U-Boot (bootloader/, docs/verified-boot.md): OpenSBI -> our U-Boot,
whose fixed boot command loads openv.itb from partition 1 and runs bootm on conf-1, which must
carry a valid signature by the key in the control DTB (QEMU -dtb, made by
bootloader/ctrl-dtb.sh) -> the kernel with its built-in command line (root hash) -> dm-verity.

That the signed path boots to a login prompt and lets ssh in is test_make_run.py's newcomer test
(`make run` boots it). Here: the host-side checks, and every tampered disk refused by U-Boot,
one short QEMU per case that stops at U-Boot's verdict; a signed image older than the control
DTB's minimum rollback index refused the same way; and one boot up to the root mount with a
seed disk probed before the image (U-Boot and the verity table find it by PARTUUID)."""

import os
import shutil
import subprocess
import sys

import pexpect
import pytest

from guest import BUILD, REPO, qemu_machine

sys.path.insert(0, os.path.join(REPO, "image"))
import mkimage  # noqa: E402

pytestmark = pytest.mark.qemu

OUR_KERNEL = os.path.join(BUILD, "kernel", "Image")
OUR_UBOOT = os.path.join(BUILD, "bootloader", "u-boot.bin")
FIT_CHECK_SIGN = os.path.join(BUILD, "bootloader", "bin", "fit_check_sign")
CTRL_DTB_SH = os.path.join(REPO, "bootloader", "ctrl-dtb.sh")
KEY_NODE = "/signature/key-openv"
REFUSED = "openv: signed boot failed: nothing was started"


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """(image, FIT, key DTB, control DTB) of a fresh `make image`-style build."""
    if not os.path.exists(OUR_KERNEL):
        pytest.skip("no kernel: run 'make kernel'")
    if not os.path.exists(OUR_UBOOT):
        pytest.skip("no U-Boot of ours: run 'make bootloader'")
    d = tmp_path_factory.mktemp("signed")
    image = str(d / "openv.img")
    mkimage.build(BUILD, OUR_KERNEL, image)
    ctrl = str(d / "ctrl.dtb")
    subprocess.run([CTRL_DTB_SH, str(d / "openv-key.dtb"), ctrl, *qemu_machine()], check=True)
    return image, str(d / "openv.itb"), str(d / "openv-key.dtb"), ctrl


def fdtget(dtb, node, prop):
    r = subprocess.run(["fdtget", dtb, node, prop], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def boot_partition_offset():
    parts, _ = mkimage.layout()
    return parts[0][4] * 512


def tampered(image, tmp_path, files=(), delete=()):
    """A copy of the image with partition 1's files replaced ({name: path}) or deleted."""
    out = str(tmp_path / "tampered.img")
    subprocess.run(["cp", "--sparse=always", image, out], check=True)
    fat = f"{out}@@{boot_partition_offset()}"
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for name in delete:
        subprocess.run(["mdel", "-i", fat, f"::{name}"], check=True, env=env)
    for name, src in files.items():
        if "/" in name:
            subprocess.run(["mmd", "-D", "s", "-i", fat, f"::{os.path.dirname(name)}"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["mcopy", "-o", "-i", fat, src, f"::{name}"], check=True, env=env)
    return out


def spawn(image, dtb, extra=(), timeout=60, before=()):
    """QEMU on our U-Boot with the image as a virtio disk; `before`: QEMU arguments ahead of
    it (a disk there is probed first: the image is then vdb)."""
    argv = [*qemu_machine(), "-nographic", "-no-reboot", "-kernel", OUR_UBOOT, *before,
            "-drive", f"file={image},format=raw,if=none,id=hd0,snapshot=on",
            "-device", "virtio-blk-device,drive=hd0", *extra]
    if dtb:
        argv += ["-dtb", dtb]
    log = open(os.path.join(BUILD, "test-logs", "signed-boot.log"), "a", encoding="utf-8") \
        if os.path.isdir(os.path.join(BUILD, "test-logs")) else None
    child = pexpect.spawn("qemu-system-riscv64", argv, encoding="utf-8", codec_errors="replace",
                          timeout=timeout)
    child.logfile_read = log
    return child


def expect_refusal(image, dtb, why):
    """U-Boot refuses: `why` (a regex) is printed, then our failure line; nothing started."""
    child = spawn(image, dtb)
    try:
        child.expect(why)
        child.expect_exact(REFUSED)
        assert "Starting kernel" not in child.before
    finally:
        child.terminate(force=True)


# ---------------------------------------------------------------------------------------------
# Host side


@pytest.mark.same_at_any_smp
def test_fit_is_signed_and_the_key_is_required(signed):
    image, fit, key_dtb, ctrl = signed
    assert fdtget(fit, "/configurations/conf-1/signature-1", "algo") == "sha256,rsa2048"
    assert fdtget(fit, "/configurations/conf-1/signature-1", "sign-images") == "kernel"
    assert fdtget(fit, "/configurations/conf-1/signature-1", "value")
    for dtb in (key_dtb, ctrl):
        assert fdtget(dtb, KEY_NODE, "required") == "conf", dtb
        assert fdtget(dtb, KEY_NODE, "algo") == "sha256,rsa2048", dtb
    # Rollback protection: the image's index is in the signed configuration, and it is the
    # minimum of the key DTB and of the control DTB made from it.
    index = str(mkimage.rollback_index())
    assert fdtget(fit, "/configurations/conf-1", mkimage.ROLLBACK_PROP) == index
    for dtb in (key_dtb, ctrl):
        assert fdtget(dtb, "/signature", mkimage.MIN_ROLLBACK_PROP) == index, dtb
    # The control DTB is QEMU's own tree for this machine, plus the key.
    assert fdtget(ctrl, "/chosen", "stdout-path")
    assert fdtget(ctrl, "/memory@80000000", "device_type") == "memory"


@pytest.mark.same_at_any_smp
def test_fit_check_sign_passes_and_fails_without_a_signature(signed, tmp_path):
    _, fit, key_dtb, ctrl = signed
    for dtb in (key_dtb, ctrl):
        r = subprocess.run([FIT_CHECK_SIGN, "-f", fit, "-k", dtb], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        assert r.returncode == 0, r.stdout
        assert "sha256,rsa2048:openv+" in r.stdout, r.stdout
    unsigned = str(tmp_path / "unsigned.itb")
    shutil.copy(os.path.join(BUILD, "kernel", "Image"), tmp_path / "Image")
    mkimage.make_fit(str(tmp_path / "Image"), unsigned, str(tmp_path))
    r = subprocess.run([FIT_CHECK_SIGN, "-f", unsigned, "-k", ctrl], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode != 0, r.stdout


@pytest.mark.same_at_any_smp
def test_ctrl_dtb_refuses_a_key_dtb_without_the_required_key(signed, tmp_path):
    """The build never makes a control DTB without the key (U-Boot would fail open)."""
    _, _, key_dtb, _ = signed
    nokey = str(tmp_path / "nokey.dtb")
    shutil.copy(key_dtb, nokey)
    subprocess.run(["fdtput", "-d", nokey, KEY_NODE, "required"], check=True)
    out = str(tmp_path / "ctrl.dtb")
    r = subprocess.run([CTRL_DTB_SH, nokey, out, *qemu_machine()], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode != 0 and "required" in r.stdout, r.stdout
    assert not os.path.exists(out)


# ---------------------------------------------------------------------------------------------
# Through the firmware: U-Boot refuses


def test_our_uboot_refuses_a_control_dtb_without_the_key(signed):
    """QEMU's own device tree (no -dtb) has no key: our boot command refuses before loading."""
    image, _, _, _ = signed
    expect_refusal(image, None, r"no required key /signature/key-openv in the control DTB")


def test_our_uboot_refuses_a_flipped_byte_in_the_kernel(signed, tmp_path):
    image, fit, _, ctrl = signed
    data = bytearray(open(fit, "rb").read())
    data[len(data) // 2] ^= 0x01          # the kernel is most of the FIT
    bad = tmp_path / "openv.itb"
    bad.write_bytes(bytes(data))
    expect_refusal(tampered(image, tmp_path, {"openv.itb": str(bad)}), ctrl,
                   r"Bad hash value for 'hash-1' hash node in 'kernel-1' image node")


def kernel_of(fit, out):
    subprocess.run(["dumpimage", "-T", "flat_dt", "-p", "0", "-o", out, fit], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def test_our_uboot_refuses_an_unsigned_fit_with_correct_hashes(signed, tmp_path):
    image, fit, _, ctrl = signed
    kernel = kernel_of(fit, str(tmp_path / "Image"))
    unsigned = str(tmp_path / "openv.itb")
    mkimage.make_fit(kernel, unsigned, str(tmp_path))
    expect_refusal(tampered(image, tmp_path, {"openv.itb": unsigned}), ctrl,
                   r"Failed to verify required signature 'key-openv'")


def test_our_uboot_refuses_a_fit_signed_with_another_key(signed, tmp_path):
    image, fit, _, ctrl = signed
    kernel = kernel_of(fit, str(tmp_path / "Image"))
    other = tmp_path / "other"
    old = os.environ.pop("SIGNING_KEY_DIR", None)
    try:
        keydir = mkimage.signing_key_dir(str(other))      # a fresh key in other/keys
    finally:
        if old is not None:
            os.environ["SIGNING_KEY_DIR"] = old
    resigned = str(tmp_path / "openv.itb")
    mkimage.make_fit(kernel, resigned, str(tmp_path), keydir, str(tmp_path / "other-key.dtb"))
    expect_refusal(tampered(image, tmp_path, {"openv.itb": resigned}), ctrl,
                   r"Failed to verify required signature 'key-openv'")


@pytest.mark.parametrize("kind", ["uimage", "raw"])
def test_our_uboot_refuses_a_legacy_uimage_or_a_raw_image(signed, tmp_path, kind):
    image, fit, _, ctrl = signed
    kernel = kernel_of(fit, str(tmp_path / "Image"))
    if kind == "uimage":
        replacement = str(tmp_path / "openv.uimg")
        subprocess.run(["mkimage", "-q", "-A", "riscv", "-O", "linux", "-T", "kernel", "-C", "none",
                        "-a", "0x80200000", "-e", "0x80200000", "-d", kernel, replacement],
                       check=True)
    else:
        replacement = kernel
    expect_refusal(tampered(image, tmp_path, {"openv.itb": replacement}), ctrl,
                   r"Wrong Image Format for bootm command")


def test_our_uboot_ignores_extlinux_and_boot_scripts(signed, tmp_path):
    """Partition 1 with a boot script and an extlinux.conf that would boot the kernel raw with
    root=/dev/vda2 (no verity), and no openv.itb: nothing of it runs."""
    image, fit, _, ctrl = signed
    kernel = kernel_of(fit, str(tmp_path / "Image"))
    conf = tmp_path / "extlinux.conf"
    conf.write_text("default evil\ntimeout 0\nlabel evil\n    kernel /Image\n"
                    "    append root=/dev/vda2 rw console=ttyS0\n")
    script = tmp_path / "boot.cmd"
    script.write_text("load virtio 0:1 ${kernel_addr_r} Image\n"
                      "setenv bootargs root=/dev/vda2 rw console=ttyS0\n"
                      "booti ${kernel_addr_r} - ${fdtcontroladdr}\n")
    scr = str(tmp_path / "boot.scr")
    subprocess.run(["mkimage", "-q", "-A", "riscv", "-T", "script", "-C", "none", "-d", str(script),
                    scr], check=True)
    bad = tampered(image, tmp_path, {"extlinux/extlinux.conf": str(conf), "boot.scr": scr,
                                     "Image": kernel}, delete=["openv.itb"])
    child = spawn(bad, ctrl)
    try:
        child.expect(r"Failed to load 'openv.itb'")
        child.expect_exact(REFUSED)
        assert "Starting kernel" not in child.before
        assert "Executing script" not in child.before and "Retrieving file" not in child.before
    finally:
        child.terminate(force=True)


def test_changed_bootargs_cannot_change_the_root(signed, tmp_path):
    """QEMU's -append lands in /chosen/bootargs, outside the signature: the kernel still takes
    the root and the verity table from its signed built-in command line. With a seed disk
    probed first (the image is vdb): U-Boot finds the image's boot partition by its PARTUUID,
    and the verity table names partitions 2 and 3 by theirs."""
    image, _, _, ctrl = signed
    seed = str(tmp_path / "seed.img")
    with open(seed, "wb") as f:
        f.truncate(2 << 20)
    subprocess.run(["mkfs.vfat", "-n", "CIDATA", seed], check=True, stdout=subprocess.DEVNULL)
    child = spawn(image, ctrl, extra=["-append", "root=/dev/vda2 rw dm-mod.create= console=ttyS0"],
                  timeout=120, before=["-drive", f"file={seed},format=raw,if=none,id=seed,readonly=on",
                                       "-device", "virtio-blk-device,drive=seed"])
    try:
        child.expect(r"Verifying Hash Integrity \.\.\. sha256,rsa2048:openv\+ OK")
        child.expect_exact("Kernel command line: built in;")
        child.expect(r"virtio-blk: vda: 4096 sectors \(2 MiB\)")
        child.expect_exact("vdb: vdb2: ")
        child.expect_exact("device-mapper: verity: 254:18: ")           # vdb2
        child.expect_exact("device-mapper: ioctl: dm-0 (vroot) is ready")
        child.expect_exact("VFS: Mounted root (ext2 filesystem) readonly on device 253:0.")
    finally:
        child.terminate(force=True)


def resigned(fit, tmp_path, rollback):
    """The FIT's kernel in a new FIT signed with the build's key, with another rollback index
    (None: none at all, as images made before rollback protection)."""
    kernel = kernel_of(fit, str(tmp_path / "Image"))
    out = str(tmp_path / "openv.itb")
    mkimage.make_fit(kernel, out, str(tmp_path), mkimage.signing_key_dir(BUILD),
                     str(tmp_path / "key.dtb"), rollback)
    return out


@pytest.mark.parametrize("older", ["lower-index", "no-index"])
def test_our_uboot_refuses_an_older_signed_image(signed, tmp_path, older):
    """Rollback protection: a FIT signed with the right key but with a rollback index below
    the control DTB's minimum (an older release) is refused after its signature checks out."""
    image, fit, _, ctrl = signed
    current = mkimage.rollback_index()
    assert current >= 1
    old = resigned(fit, tmp_path, current - 1 if older == "lower-index" else None)
    r = subprocess.run([FIT_CHECK_SIGN, "-f", old, "-k", ctrl], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout          # a genuine signature: only its age is wrong
    expect_refusal(tampered(image, tmp_path, {"openv.itb": old}), ctrl,
                   rf"sha256,rsa2048:openv\+ OK[\s\S]*openv: openv.itb has rollback index "
                   rf"{current - 1 if older == 'lower-index' else 0}, below the minimum {current} "
                   rf"in the control DTB: an older image, refused")


@pytest.mark.same_at_any_smp
def test_a_raised_rollback_index_breaks_the_signature(signed, tmp_path):
    """The index is signed: an older FIT whose index is edited up fails fit_check_sign (and so
    U-Boot's bootm, which checks the same signature before the index is compared)."""
    _, fit, _, ctrl = signed
    old = resigned(fit, tmp_path, 0)
    subprocess.run(["fdtput", "-t", "u", old, "/configurations/conf-1", mkimage.ROLLBACK_PROP,
                    str(mkimage.rollback_index() + 1)], check=True)
    r = subprocess.run([FIT_CHECK_SIGN, "-f", old, "-k", ctrl], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode != 0, r.stdout


@pytest.mark.same_at_any_smp
def test_a_release_key_is_taken_from_signing_key_dir_never_generated(tmp_path, monkeypatch):
    empty = tmp_path / "release"
    empty.mkdir()
    monkeypatch.setenv("SIGNING_KEY_DIR", str(empty))
    with pytest.raises(SystemExit, match="has no openv.key"):
        mkimage.signing_key_dir(str(tmp_path / "build"))
    assert not os.listdir(empty) and not (tmp_path / "build").exists()
    monkeypatch.delenv("SIGNING_KEY_DIR")
    dev = mkimage.signing_key_dir(str(tmp_path / "build"))          # a development key
    monkeypatch.setenv("SIGNING_KEY_DIR", dev)
    assert mkimage.signing_key_dir(str(tmp_path / "other")) == dev
    assert not (tmp_path / "other").exists()
    assert len(mkimage.key_fingerprint(dev)) == 64
