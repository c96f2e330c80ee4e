"""sysfs, the part tools read: /sys/class/net/<if>/..., /sys/block/<disk>[/<part>]/... and
/sys/devices/system/cpu/{online,possible,present}; read-only attributes refuse writes.

One boot of the initramfs with a user-mode network (ip=dhcp) and a small scratch disk with a
GPT (partition 1 at sector 2048, 2 MiB). Run it against the Linux reference kernel with
OPENV_TEST_KERNEL=linux: the expected values are Linux's."""

import os
import re
import shutil
import subprocess

import pytest

from guest import Guest, smp_count

pytestmark = pytest.mark.qemu
SMP = smp_count()
DISK_BYTES = 8 << 20
PART1_START, PART1_SECTORS = 2048, 4096


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """An 8 MiB disk; partitioned (GPT) when sgdisk is there. Returns (path, partitioned)."""
    path = str(tmp_path_factory.mktemp("sysfs") / "scratch.img")
    with open(path, "wb") as f:
        f.truncate(DISK_BYTES)
    sgdisk = shutil.which("sgdisk")
    if sgdisk:
        subprocess.run([sgdisk, f"-n1:{PART1_START}:+{PART1_SECTORS * 512 >> 10}K", "-n2:0:0",
                        path], check=True, stdout=subprocess.DEVNULL)
    return path, bool(sgdisk)


@pytest.fixture(scope="module")
def guest(scratch):
    extra = ("-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0",
             "-drive", f"file={scratch[0]},format=raw,if=none,id=hd1",
             "-device", "virtio-blk-device,drive=hd1")
    with Guest.boot(append="ip=dhcp", smp=SMP, extra_args=extra) as g:
        # The initramfs /init may or may not have mounted it already.
        g.check("mountpoint -q /sys || mount -t sysfs -o nosuid,nodev,noexec sysfs /sys")
        g.check("ifconfig lo up")        # Linux's initramfs leaves lo down; openv's has it up
        eth0_up(g)
        yield g


def eth0_up(g):
    """Bring eth0 up (Linux's ip=dhcp may not have) and wait until its carrier is reported:
    Linux updates operstate from a deferred work item, so poll (bounded), never sleep blind."""
    g.check("ifconfig eth0 up")
    g.check("for i in $(seq 100); do [ \"$(cat /sys/class/net/eth0/operstate)\" = up ] && break;"
            " sleep 0.1; done; cat /sys/class/net/eth0/operstate", timeout=30)


def test_sysfs_is_a_filesystem_type_and_mounted(guest):
    assert "nodev\tsysfs" in guest.check("cat /proc/filesystems").splitlines()
    mounts = [l.split() for l in guest.check("cat /proc/mounts").splitlines()]
    assert any(m[0] == "sysfs" and m[1] == "/sys" and m[2] == "sysfs" for m in mounts), mounts
    # A second mount of the same tree works too.
    guest.check("mkdir -p /tmp/sys2 && mount -t sysfs sysfs /tmp/sys2")
    assert guest.check("cat /tmp/sys2/class/net/lo/type") == "772"
    guest.check("umount /tmp/sys2")


def test_network_interfaces(guest):
    names = guest.check("ls /sys/class/net | cat").split()
    assert "lo" in names and "eth0" in names, names
    mac = guest.check("ifconfig eth0 | sed -n 's/.*HWaddr //p'").strip().lower()
    assert len(mac) == 17, mac
    assert guest.check("cat /sys/class/net/eth0/address") == mac
    assert guest.check("cat /sys/class/net/eth0/mtu") == "1500"
    assert guest.check("cat /sys/class/net/eth0/type") == "1"
    assert guest.check("cat /sys/class/net/eth0/operstate") == "up"
    assert guest.check("cat /sys/class/net/eth0/carrier") == "1"
    # IFF_UP | IFF_BROADCAST | IFF_MULTICAST (IFF_RUNNING is not part of dev->flags).
    assert guest.check("cat /sys/class/net/eth0/flags") == "0x1003"
    assert guest.check("cat /sys/class/net/lo/type") == "772"
    assert guest.check("cat /sys/class/net/lo/address") == "00:00:00:00:00:00"
    assert guest.check("cat /sys/class/net/lo/mtu") == "65536"
    assert guest.check("cat /sys/class/net/lo/flags") == "0x9"
    assert guest.check("cat /sys/class/net/lo/operstate") == "unknown"
    assert guest.check("cat /sys/class/net/lo/ifindex") == "1"
    # The index is the one the interface ioctls and `ip link` report.
    link = guest.check("ip -o link show eth0")
    assert link.split(":")[0] == guest.check("cat /sys/class/net/eth0/ifindex")


def test_a_down_interface(guest):
    try:
        guest.check("ifconfig eth0 down")
        assert guest.check("cat /sys/class/net/eth0/flags") == "0x1002"
        assert guest.check("cat /sys/class/net/eth0/operstate") == "down"
        out, rc = guest.run("cat /sys/class/net/eth0/carrier")     # unknown while down
        assert rc != 0 and "Invalid argument" in out, out
    finally:
        eth0_up(guest)
    assert guest.check("cat /sys/class/net/eth0/flags") == "0x1003"


def test_an_unknown_interface_is_absent(guest):
    out, rc = guest.run("cat /sys/class/net/eth9/mtu")
    assert rc != 0 and "No such file or directory" in out


def proc_partitions(guest):
    """name -> "major:minor" from /proc/partitions."""
    rows = [l.split() for l in guest.check("cat /proc/partitions").splitlines()[2:] if l.strip()]
    return {r[3]: f"{r[0]}:{r[1]}" for r in rows}


def test_block_disk(guest):
    assert "vda" in guest.check("ls /sys/block | cat").split()
    assert int(guest.check("cat /sys/block/vda/size")) == DISK_BYTES // 512
    assert guest.check("cat /sys/block/vda/ro") == "0"
    assert guest.check("cat /sys/block/vda/removable") == "0"
    assert guest.check("cat /sys/block/vda/dev") == proc_partitions(guest)["vda"]


def test_block_partitions(guest, scratch):
    if not scratch[1]:
        pytest.skip("sgdisk is not installed: the scratch disk has no partition table")
    assert "vda1" in guest.check("ls /sys/block/vda | cat").split()
    assert guest.check("cat /sys/block/vda/vda1/start") == str(PART1_START)
    assert guest.check("cat /sys/block/vda/vda1/size") == str(PART1_SECTORS)
    assert guest.check("cat /sys/block/vda/vda1/partition") == "1"
    assert guest.check("cat /sys/block/vda/vda2/partition") == "2"
    parts = proc_partitions(guest)
    assert guest.check("cat /sys/block/vda/vda1/dev") == parts["vda1"]
    assert guest.check("cat /sys/block/vda/vda2/dev") == parts["vda2"]
    # Partitions are under their disk, not in /sys/block itself.
    assert "vda1" not in guest.check("ls /sys/block | cat").split()


def test_cpu_lists(guest):
    expected = "0" if SMP == 1 else f"0-{SMP - 1}"
    assert guest.check("grep -c '^processor' /proc/cpuinfo") == str(SMP)
    for f in ("online", "possible", "present"):
        assert guest.check(f"cat /sys/devices/system/cpu/{f}") == expected, f


def test_attributes_are_read_only(guest):
    for path in ("/sys/class/net/eth0/address", "/sys/block/vda/size",
                 "/sys/devices/system/cpu/online"):
        before = guest.check(f"cat {path}")
        out, rc = guest.run(f"echo 1 > {path}")
        assert rc != 0 and "Permission denied" in out, (path, out)
        assert guest.check(f"cat {path}") == before
        assert guest.check(f"stat -c %a {path}") == "444"
    out, rc = guest.run("mkdir /sys/class/net/new")
    assert rc != 0


def test_the_image_rcS_mounts_sysfs(tmp_path):
    """The disk image's /etc/init.d/rcS mounts /sys (nosuid,nodev,noexec) without complaint."""
    import test_disk     # its image recipe and root-shell boot (-kernel, openv.autologin)
    kernel = test_disk.kernel_image()
    if not kernel or not os.path.exists(kernel):
        pytest.skip("no kernel: run 'make kernel'")
    image = str(tmp_path / "openv.img")
    test_disk.mkimage.build(test_disk.BUILD, kernel, image, "")
    g = test_disk.boot_root_shell(image, [], "sysfs-rcS")
    try:
        mount = [l.split() for l in g.check("cat /proc/mounts").splitlines()
                 if l.split()[1:2] == ["/sys"]]
        assert len(mount) == 1 and mount[0][2] == "sysfs", mount
        assert {"nosuid", "nodev", "noexec"} <= set(mount[0][3].split(",")), mount
        assert g.check("cat /sys/class/net/lo/type") == "772"
        with open(g.log_path, encoding="utf-8", errors="replace") as f:
            console = f.read()
        boot = re.split(r"openv:[^\r\n]*# ", console)[0]    # up to the first shell prompt
        assert "sysfs" not in boot and "/sys" not in boot, boot[-2000:]
    finally:
        g.close()
