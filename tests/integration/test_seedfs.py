"""The seed filesystems in one boot: a NoCloud seed made by `cloud-localds` (iso9660, on a
virtio-mmio disk), one made by `cloud-localds -f vfat` and relabelled CIDATA (on a virtio-pci
disk, `if=virtio`), an OpenStack ConfigDrive made by `genisoimage -V config-2 -J -R` (mmio), a
truncated ISO and a FAT whose chain loops. The guest finds them by label (/dev/disk/by-label,
BusyBox blkid and findfs), mounts them (read-only: a read-write mount is refused with EROFS
and BusyBox retries read-only), and reads the seed files byte for byte (sha256sum against
the host's); the damaged ones give EIO and the system keeps running."""

import hashlib
import os
import re
import struct
import subprocess
import sys

import pytest

from guest import BUILD, REPO, kernel_image, qemu_machine
from test_disk import DiskGuest, spawn

sys.path.insert(0, os.path.join(REPO, "image"))
import mkimage  # noqa: E402

pytestmark = pytest.mark.qemu


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fat12_loop(img, name):
    """Make the FAT12 chain of root-directory file `name` (8.3, upper case) point back at its
    own first cluster, in every FAT copy."""
    with open(img, "r+b") as f:
        bs = f.read(512)
        bps, spc, reserved, nfats, root_entries = struct.unpack_from("<HBHBH", bs, 11)
        fatsz = struct.unpack_from("<H", bs, 22)[0]
        root = (reserved + nfats * fatsz) * bps
        f.seek(root)
        entries = f.read(root_entries * 32)
        short = name.upper().split(".")
        want = short[0].ljust(8).encode() + (short[1] if len(short) > 1 else "").ljust(3).encode()
        for i in range(0, len(entries), 32):
            if entries[i:i + 11] == want:
                first = struct.unpack_from("<H", entries, i + 26)[0]
                break
        else:
            raise AssertionError(f"{name} not in the root directory")
        for n in range(nfats):
            off = reserved * bps + n * fatsz * bps + first + first // 2
            f.seek(off)
            pair = bytearray(f.read(2))
            v = struct.unpack("<H", pair)[0]
            v = (v & 0x000f) | (first << 4) if first & 1 else (v & 0xf000) | first
            f.seek(off)
            f.write(struct.pack("<H", v))


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel):
        pytest.skip("no kernel: run 'make kernel'")
    out = str(tmp_path_factory.mktemp("seedfs") / "openv.img")
    mkimage.build(BUILD, kernel, out, "")
    return out


def test_seeds_by_label_mounted_and_read_and_damaged_ones_fail_cleanly(image, tmp_path):
    t = tmp_path
    user_data, meta_data = t / "user-data", t / "meta-data"
    user_data.write_text("#cloud-config\nhostname: seeded\nruncmd:\n - [sh, -c, 'echo hi']\n")
    meta_data.write_text("instance-id: iid-seedfs-1\nlocal-hostname: seeded\n")
    seed_iso, seed_vfat = str(t / "seed.iso"), str(t / "seed-vfat.img")
    subprocess.run(["cloud-localds", seed_iso, user_data, meta_data], check=True)
    subprocess.run(["cloud-localds", "-f", "vfat", seed_vfat, user_data, meta_data], check=True)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    subprocess.run(["mlabel", "-i", seed_vfat, "::CIDATA"], check=True, env=env)

    cd = t / "configdrive" / "openstack" / "latest"
    cd.mkdir(parents=True)
    (cd / "meta_data.json").write_text('{"uuid": "83679162-1378-4288-a2d4-70e13ec132aa", '
                                       '"hostname": "cfgdrive", "name": "cfgdrive"}\n')
    (cd / "user_data").write_bytes(os.urandom(5000))
    (cd / "vendor_data.json").symlink_to("meta_data.json")
    os.chmod(cd / "user_data", 0o600)
    configdrive = str(t / "configdrive.iso")
    subprocess.run(["genisoimage", "-quiet", "-V", "config-2", "-J", "-R", "-o", configdrive,
                    str(t / "configdrive")], check=True)

    # A volume cut short: its big file's data lies past the end.
    big = t / "trunc-tree"
    big.mkdir()
    (big / "big").write_bytes(os.urandom(400_000))
    truncated = str(t / "truncated.iso")
    subprocess.run(["genisoimage", "-quiet", "-V", "TRUNC", "-R", "-o", truncated, str(big)],
                   check=True)
    os.truncate(truncated, 100 * 2048)
    # A FAT12 volume whose file's cluster chain loops back on itself.
    badfat = str(t / "badfat.img")
    subprocess.run(["mkfs.vfat", "-C", "-F", "12", "-n", "BADFAT", badfat, "1024"], check=True,
                   stdout=subprocess.DEVNULL)
    (t / "loop.txt").write_bytes(b"L" * 20000)
    subprocess.run(["mcopy", "-i", badfat, str(t / "loop.txt"), "::LOOP.TXT"], check=True, env=env)
    fat12_loop(badfat, "LOOP.TXT")

    mmio = [seed_iso, configdrive, truncated, badfat]
    argv = [*qemu_machine(), "-nographic", "-no-reboot",
            "-global", "virtio-mmio.force-legacy=false", "-kernel", kernel_image(),
            "-append", "root=/dev/vda2 ro rootwait console=ttyS0 openv.autologin",
            "-drive", f"file={image},format=raw,if=none,id=hd0,snapshot=on",
            "-device", "virtio-blk-device,drive=hd0"]
    for i, d in enumerate(mmio, 1):
        argv += ["-drive", f"file={d},format=raw,if=none,id=hd{i}",
                 "-device", f"virtio-blk-device,drive=hd{i}"]
    argv += ["-drive", f"file={seed_vfat},format=raw,if=virtio"]
    child, log = spawn(argv, "seedfs")
    g = DiskGuest(child, log)
    try:
        g.wait_for_shell(120)
        # /dev/disk/by-label, blkid and findfs.
        links = g.check("ls --color=never -1 /dev/disk/by-label")
        for label in ("cidata", "CIDATA", "config-2", "TRUNC", "BADFAT"):
            assert label in links.split(), links
        blkid = g.check("blkid")
        assert re.search(r'LABEL="cidata".*TYPE="iso9660"', blkid), blkid
        assert re.search(r'LABEL="config-2".*TYPE="iso9660"', blkid), blkid
        assert re.search(r'LABEL="CIDATA".*TYPE="vfat"', blkid), blkid
        dev = g.check("findfs LABEL=cidata")
        assert g.check("readlink -f /dev/disk/by-label/cidata") == dev, dev

        # The iso9660 seed: a read-write mount gets EROFS, BusyBox retries read-only (and says
        # so when not silent: "loud").
        g.check("mkdir -p /tmp/a /tmp/b /tmp/c /tmp/d /tmp/e")
        out = g.check("mount -o loud -t iso9660 /dev/disk/by-label/cidata /tmp/a 2>&1")
        assert "write-protected" in out, out
        assert re.search(r" /tmp/a iso9660 ro", g.check("cat /proc/mounts"))
        sums = g.check("sha256sum /tmp/a/user-data /tmp/a/meta-data")
        assert sha256(user_data) in sums and sha256(meta_data) in sums, sums
        out, rc = g.run("touch /tmp/a/x")
        assert rc != 0 and "Read-only file system" in out, out

        # The vfat seed (a PCI disk), read-only as asked; the type found by mount itself.
        g.check("mount -o ro /dev/disk/by-label/CIDATA /tmp/b")
        assert re.search(r" /tmp/b vfat ro", g.check("cat /proc/mounts"))
        sums = g.check("sha256sum /tmp/b/user-data /tmp/b/meta-data")
        assert sha256(user_data) in sums and sha256(meta_data) in sums, sums

        # The ConfigDrive, by findfs; Rock Ridge names in a subdirectory.
        g.check("mount -o ro $(findfs LABEL=config-2) /tmp/c")
        sums = g.check("sha256sum /tmp/c/openstack/latest/meta_data.json "
                       "/tmp/c/openstack/latest/user_data")
        assert sha256(cd / "meta_data.json") in sums and sha256(cd / "user_data") in sums, sums
        latest = "/tmp/c/openstack/latest"
        assert g.check(f"readlink {latest}/vendor_data.json") == "meta_data.json"
        assert g.check(f"cat {latest}/vendor_data.json") == (cd / "meta_data.json").read_text().strip()
        assert g.check(f"stat -c '%a %F' {latest}/user_data {latest}") == \
            "600 regular file\n" + oct(os.stat(cd).st_mode & 0o777)[2:] + " directory"
        assert g.check("ls --color=never /tmp/b").split() == ["meta-data", "user-data"]

        # Damage: EIO, nothing worse.
        g.run("mount -o ro /dev/disk/by-label/TRUNC /tmp/d")
        out, rc = g.run("cat /tmp/d/big > /dev/null")
        assert rc != 0 and "I/O error" in out, out
        g.check("mount -o ro /dev/disk/by-label/BADFAT /tmp/e")
        out, rc = g.run("cat /tmp/e/loop.txt > /dev/null")
        assert rc != 0 and "I/O error" in out, out
        assert "loops" in g.check("dmesg | tail -20")

        for m in ("a", "b", "c", "d", "e"):
            g.run(f"umount /tmp/{m}")
        assert g.check("echo still-running") == "still-running"
    finally:
        g.close()
