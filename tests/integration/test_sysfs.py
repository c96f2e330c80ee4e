"""sysfs, the part tools read: /sys/class/net/<if>/..., /sys/block/<disk>[/<part>]/...,
/sys/devices/system/cpu/{online,possible,present} and /sys/bus/pci (BusyBox lspci); read-only
attributes refuse writes.

One boot of the initramfs with a user-mode network (ip=dhcp), a small scratch disk with a
GPT (partition 1 at sector 2048, 2 MiB), and PCI functions: a virtio-rng-pci on the root bus and
QEMU's pci-testdev behind a PCIe root port. Run it against the Linux reference kernel with
OPENV_TEST_KERNEL=linux: the expected values are Linux's (that kernel has no PCI: the PCI
checks are skipped there)."""

import os
import re
import shutil
import subprocess

import pytest

from guest import Guest, smp_count

pytestmark = pytest.mark.qemu
SMP = smp_count()
DISK_BYTES = 8 << 20
# Functions no openv driver uses (the disk and network stay on virtio-mmio), at fixed slots.
PCI_DEVICES = ("-device", "virtio-rng-pci,addr=05.0",
               "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=06.0",
               "-device", "pci-testdev,bus=rp1")
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
             "-device", "virtio-blk-device,drive=hd1", *PCI_DEVICES)
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
                 "/sys/devices/system/cpu/online", "/sys/bus/pci/devices/0000:00:05.0/vendor"):
        if "/pci/" in path and os.environ.get("OPENV_TEST_KERNEL"):
            continue
        before = guest.check(f"cat {path}")
        out, rc = guest.run(f"echo 1 > {path}")
        assert rc != 0 and "Permission denied" in out, (path, out)
        assert guest.check(f"cat {path}") == before
        assert guest.check(f"stat -c %a {path}") == "444"
    out, rc = guest.run("mkdir /sys/class/net/new")
    assert rc != 0


def pci_or_skip(guest):
    _, rc = guest.run("test -d /sys/bus/pci/devices")
    if rc != 0 and os.environ.get("OPENV_TEST_KERNEL"):
        pytest.skip("this kernel has no PCI")


def test_lspci(guest):
    """BusyBox lspci (it reads each /sys/bus/pci/devices/* link's uevent): the host bridge,
    the virtio-rng-pci (transitional id 1af4:1005, class 00ff), the root port and, behind it on
    bus 1, the pci-testdev, with QEMU's ids."""
    pci_or_skip(guest)
    assert guest.check("lspci").splitlines() == [
        "00:00.0 Class 0600: 1b36:0008",
        "00:05.0 Class 00ff: 1af4:1005",
        "00:06.0 Class 0604: 1b36:000c",
        "01:00.0 Class 00ff: 1b36:0005",
    ]
    machine = guest.check("lspci -m").splitlines()
    assert '00:05.0 "Class 00ff" "1af4" "1005" "1af4" "0004"' in machine, machine
    # -k adds the driver bound to a function, if any (virtio-pci may take the rng).
    for line in guest.check("lspci -k").splitlines():
        assert re.fullmatch(r"[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] Class [0-9a-f]{4}: "
                            r"[0-9a-f]{4}:[0-9a-f]{4}( \S+)?", line), line


def test_pci_function_attributes(guest):
    pci_or_skip(guest)
    rng = "/sys/bus/pci/devices/0000:00:05.0"
    assert guest.check(f"readlink {rng}") == "../../../devices/pci0000:00/0000:00:05.0"
    assert guest.check("readlink /sys/bus/pci/devices/0000:01:00.0") == \
        "../../../devices/pci0000:00/0000:00:06.0/0000:01:00.0"
    assert guest.check(f"cat {rng}/vendor {rng}/device {rng}/class {rng}/subsystem_vendor "
                       f"{rng}/subsystem_device").split() == \
        ["0x1af4", "0x1005", "0x00ff00", "0x1af4", "0x0004"]
    assert guest.check(f"cat {rng}/modalias") == \
        "pci:v00001AF4d00001005sv00001AF4sd00000004bc00scFFi00"
    assert int(guest.check(f"cat {rng}/irq")) > 0           # INTA, through the PLIC
    # Linux's resource format: BAR0 is 32 bytes of I/O, BAR1 4 KiB of memory, BAR4 a 64-bit
    # prefetchable 16 KiB; then the 5 other slots and the ROM are zeros.
    rows = [l.split() for l in guest.check(f"cat {rng}/resource").splitlines()]
    assert len(rows) == 7 and all(len(r) == 3 and all(re.fullmatch(r"0x[0-9a-f]{16}", v)
                                                      for v in r) for r in rows), rows
    span = [(int(r[0], 16), int(r[1], 16), int(r[2], 16)) for r in rows]
    assert span[0][1] - span[0][0] == 0x1f and span[0][2] == 0x40101, rows
    assert span[1][1] - span[1][0] == 0xfff and span[1][2] == 0x40200, rows
    assert span[4][1] - span[4][0] == 0x3fff and span[4][2] == 0x14220c, rows
    assert all(s == (0, 0, 0) for s in span[2:4] + span[5:]), rows
    # The config space: its first bytes are the ids (little-endian), 256 bytes of it, the
    # root port's 4096 (PCI Express), only 64 for a user who is not root.
    assert guest.check(f"hexdump -n 4 -e '4/1 \"%02x \"' {rng}/config").split() == \
        ["f4", "1a", "05", "10"]
    assert guest.check(f"wc -c < {rng}/config") == "256"
    assert guest.check("wc -c < /sys/bus/pci/devices/0000:00:06.0/config") == "4096"
    assert guest.check(f"su -s /bin/sh nobody -c 'wc -c < {rng}/config'") == "64"
    bridge = "/sys/devices/pci0000:00/0000:00:06.0"
    assert guest.check(f"cat {bridge}/secondary_bus_number {bridge}/subordinate_bus_number"
                       ).split() == ["1", "1"]
    assert "0000:01:00.0" in guest.check(f"ls {bridge} | cat").split()
    assert guest.check(f"readlink {bridge}/0000:01:00.0/subsystem") == "../../../../bus/pci"
    assert guest.check(f"cat {bridge}/0000:01:00.0/subsystem/devices/0000:01:00.0/device") == \
        "0x0005"


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
