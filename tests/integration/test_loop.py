"""Loop block devices with the BusyBox tools, as on Linux: `mount -o loop` of an ext2 image on
tmpfs (written, unmounted, mounted again and read back), a read-only loop mount refusing
writes, `losetup` showing, finding (-f) and detaching (-d) devices, autoclear on umount (and
`losetup -d` of a mounted device detaching lazily), no stale cached blocks after re-binding a
device to another file, and non-root users kept out.
The same test passes on Linux: OPENV_TEST_KERNEL=linux."""
import re

import pytest

from guest import Guest, have_qemu

pytestmark = pytest.mark.skipif(not have_qemu(), reason="qemu-system-riscv64 not installed")

DIR = "/tmp/lt"
IMG = f"{DIR}/img"
MNT = f"{DIR}/mnt"
IMG_MIB = 4


@pytest.fixture(scope="module")
def guest():
    with Guest.boot() as g:
        g.check("mountpoint -q /sys || mount -t sysfs sysfs /sys")
        g.check(f"mkdir -p {DIR} && mount -t tmpfs lt {DIR} && mkdir {MNT}")
        g.check(f"dd if=/dev/zero of={IMG} bs=1M count={IMG_MIB} 2>/dev/null && "
                f"mke2fs -F {IMG} >/dev/null 2>&1 && chmod 644 {IMG}")
        yield g
        g.poweroff()


def loop_of(g, mountpoint):
    """The loop device mounted on mountpoint, from /proc/mounts."""
    for line in g.check("cat /proc/mounts").splitlines():
        f = line.split()
        if f[1] == mountpoint:
            assert re.fullmatch(r"/dev/loop\d+", f[0]), line
            return f[0]
    raise AssertionError(f"{mountpoint} is not mounted")


def is_bound(g, dev):
    out, rc = g.run(f"losetup {dev}")
    return rc == 0


def free_loop(g):
    dev = g.check("losetup -f").strip()
    assert re.fullmatch(r"/dev/loop\d+", dev), dev
    assert not is_bound(g, dev)
    return dev


def test_unbound_devices_exist(guest):
    # Linux registers loop0..7 at boot: nodes in /dev and /sys/block, size 0, and an unbound
    # device is not in /proc/partitions.
    guest.check("test -b /dev/loop0 && test -b /dev/loop7 && test -c /dev/loop-control")
    assert guest.check("stat -c '%t:%T' /dev/loop3") == "7:3"
    assert "loop0" in guest.check("ls /sys/block | cat").split()
    assert guest.check("cat /sys/block/loop0/size") == "0"
    assert guest.check("cat /sys/block/loop0/dev") == "7:0"
    assert "loop" not in guest.check("cat /proc/partitions")
    out, rc = guest.run("losetup /dev/loop0")
    assert rc != 0 and "No such device or address" in out, out


def test_mount_write_umount_read_back(guest):
    guest.check(f"mount -o loop -t ext2 {IMG} {MNT}")
    dev = loop_of(guest, MNT)
    guest.check(f"echo persistent > {MNT}/file && mkdir {MNT}/dir && sync")
    guest.check(f"umount {MNT}")
    guest.check(f"mount -o loop -t ext2 {IMG} {MNT}")
    assert guest.check(f"cat {MNT}/file") == "persistent"
    guest.check(f"test -d {MNT}/dir")
    guest.check(f"umount {MNT}")
    # mount -o loop sets autoclear: the umount freed the device.
    assert not is_bound(guest, dev)


def test_read_only_loop_mount_refuses_writes(guest):
    guest.check(f"mount -r -o loop -t ext2 {IMG} {MNT}")
    dev = loop_of(guest, MNT)
    assert guest.check(f"cat {MNT}/file") == "persistent"
    out, rc = guest.run(f"echo no > {MNT}/new")
    assert rc != 0 and "Read-only file system" in out, out
    assert guest.check(f"cat /sys/block/{dev[5:]}/ro") == "1"
    # The tmpfs holding the image can go read-only: the loop has it open read-only.
    guest.check(f"mount -o remount,ro {DIR}")
    guest.check(f"mount -o remount,rw {DIR}")
    guest.check(f"umount -d {MNT}")
    assert not is_bound(guest, dev)


def test_losetup_show_find_and_detach(guest):
    dev = free_loop(guest)
    name = dev[len("/dev/"):]
    guest.check(f"losetup {dev} {IMG}")
    assert guest.check(f"losetup {dev}") == f"{dev}: 0 {IMG}"
    assert f"{dev}: 0 {IMG}" in guest.check("losetup -a")
    assert guest.check(f"cat /sys/block/{name}/size") == str(IMG_MIB * 2048)
    rows = [l.split() for l in guest.check("cat /proc/partitions").splitlines()[2:]]
    assert [r for r in rows if r[3] == name] == [["7", name[4:], str(IMG_MIB * 1024), name]]
    # It is taken now: -f offers another one.
    assert free_loop(guest) != dev
    # The device reads like the image.
    assert guest.check(f"cmp {dev} {IMG} && echo same") == "same"
    out, rc = guest.run(f"losetup {dev} {IMG}")
    assert rc != 0, "binding a bound device must fail (EBUSY)"
    guest.check(f"losetup -d {dev}")
    assert not is_bound(guest, dev)
    assert guest.check(f"cat /sys/block/{name}/size") == "0"
    out, rc = guest.run(f"losetup -d {dev}")
    assert rc != 0 and "No such device or address" in out, out


def test_detach_of_mounted_device_is_lazy(guest):
    dev = free_loop(guest)
    guest.check(f"losetup {dev} {IMG} && mount -t ext2 {dev} {MNT}")
    # Linux: a device still in use is marked autoclear and goes when the last user does.
    guest.check(f"losetup -d {dev}")
    assert is_bound(guest, dev)
    assert guest.check(f"cat {MNT}/file") == "persistent"
    guest.check(f"umount {MNT}")
    assert not is_bound(guest, dev)


def test_rebind_shows_the_new_file_not_cached_blocks(guest):
    other = f"{DIR}/other"
    guest.check(f"dd if=/dev/zero of={other} bs=1M count={IMG_MIB} 2>/dev/null && "
                f"mke2fs -F {other} >/dev/null 2>&1")
    dev = free_loop(guest)
    guest.check(f"losetup {dev} {IMG} && mount -t ext2 {dev} {MNT} && cat {MNT}/file && "
                f"umount {MNT} && losetup -d {dev}")
    guest.check(f"losetup {dev} {other} && mount -t ext2 {dev} {MNT}")
    try:
        guest.check(f"test ! -e {MNT}/file && echo fresh > {MNT}/mark")
    finally:
        guest.check(f"umount {MNT} && losetup -d {dev}")
    guest.check(f"mount -o loop -t ext2 {IMG} {MNT}")
    assert guest.check(f"cat {MNT}/file") == "persistent"
    guest.check(f"test ! -e {MNT}/mark")
    guest.check(f"umount {MNT}")
    guest.check(f"rm {other}")


def test_offset_binding(guest):
    # losetup -o: the device starts that many bytes into the file.
    guest.check(f"printf 'headerXXpayload' > {DIR}/small && "
                f"dd if=/dev/zero bs=512 count=2 >> {DIR}/small 2>/dev/null")
    dev = free_loop(guest)
    guest.check(f"losetup -o 8 {dev} {DIR}/small")
    try:
        assert guest.check(f"losetup {dev}") == f"{dev}: 8 {DIR}/small"
        assert guest.check(f"head -c 7 {dev}") == "payload"
        assert guest.check(f"cat /sys/block/{dev[5:]}/size") == "2"
    finally:
        guest.check(f"losetup -d {dev}")


def test_non_root_is_refused(guest):
    dev = free_loop(guest)
    out, rc = guest.run(f"su -s /bin/sh nobody -c 'losetup {dev} {IMG}'")
    assert rc != 0 and "Permission denied" in out, out
    out, rc = guest.run(f"su -s /bin/sh nobody -c 'mount -o loop -t ext2 {IMG} {MNT}'")
    assert rc != 0, out
    assert not is_bound(guest, dev)
    # Root binds it; a non-root user still cannot detach it.
    guest.check(f"losetup {dev} {IMG}")
    out, rc = guest.run(f"su -s /bin/sh nobody -c 'losetup -d {dev}'")
    assert rc != 0, out
    assert is_bound(guest, dev)
    guest.check(f"losetup -d {dev}")


def test_loop_on_a_file_on_a_loop_mounted_ext2(guest):
    # The backing file can be on a disk filesystem too: here ext2, itself on a loop device.
    inner, mnt2 = f"{MNT}/inner", f"{DIR}/mnt2"
    guest.check(f"mkdir -p {mnt2} && mount -o loop -t ext2 {IMG} {MNT}")
    outer = loop_of(guest, MNT)
    try:
        guest.check(f"dd if=/dev/zero of={inner} bs=1k count=1024 2>/dev/null && "
                    f"mke2fs -F {inner} >/dev/null 2>&1")
        guest.check(f"mount -o loop -t ext2 {inner} {mnt2}")
        dev = loop_of(guest, mnt2)
        guest.check(f"echo nested > {mnt2}/n && umount {mnt2}")
        assert not is_bound(guest, dev)
        guest.check(f"mount -o loop -t ext2 {inner} {mnt2}")
        assert guest.check(f"cat {mnt2}/n") == "nested"
        guest.check(f"umount {mnt2} && rm {inner}")
    finally:
        guest.run(f"umount {mnt2}")
        guest.check(f"umount {MNT}")
    assert not is_bound(guest, outer)
