"""virtio-pci: the QEMU command lines people already use boot the image through stock OpenSBI +
U-Boot to `openv login:` and let the host's OpenSSH client in, whatever the virtio transport of
the disk and the NIC; disks are named as Linux names them (virtio-mmio ones first, then PCI in
bus order); a second disk on either transport is mountable and keeps its data over a reboot; a
missing root lists only real disks; a legacy-only virtio-pci device is refused, not fatal.

One QEMU per command line, each checked for login, ssh and the devices the guest found.

QEMU 7.2 (Debian 12) creates no NIC for `-nic user` on `-M virt` ("requested NIC ... was not
created"), whatever the guest: nic_user() then boots the equivalent `-netdev user` +
`-device virtio-net-pci` (docs/image.md)."""

import os
import re
import shutil
import subprocess

import pexpect
import pytest

from guest import BUILD, Guest, kernel_image, qemu_machine
from sshguest import LOGIN_PROMPT, UBOOT, Ssh, build_image_with_key, free_port

pytestmark = pytest.mark.qemu

MiB = 1 << 20


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "id_test",
                    "-f", str(d / "id_test")], check=True)
    return d


@pytest.fixture(scope="module")
def image(keys, tmp_path_factory):
    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel):
        pytest.skip("no kernel: run 'make kernel'")
    if not os.path.exists(UBOOT):
        pytest.skip(f"{UBOOT} not found: run 'make deps'")
    return build_image_with_key(kernel, tmp_path_factory.mktemp("vpci") / "openv.img",
                                keys / "id_test.pub")


def copy_of(image, dest):
    """Each boot gets its own image, used as the command line says (no snapshot=on)."""
    subprocess.run(["cp", "--sparse=always", image, str(dest)], check=True)
    return str(dest)


def ext2_disk(path, size=32 * MiB):
    with open(path, "wb") as f:
        f.truncate(size)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-L", "second", str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    return str(path)


def host_cat(disk, path):
    """A file of an ext2 disk image, read on the host: what the guest wrote reached the disk."""
    return subprocess.run(["debugfs", "-R", f"cat {path}", disk], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, check=True, text=True).stdout


_nic_user_works = None


def nic_user(port):
    """`-nic user,hostfwd=...` if this QEMU gives -M virt a NIC for it, else the equivalent."""
    global _nic_user_works
    fwd = f"hostfwd=tcp:127.0.0.1:{port}-:22"
    if _nic_user_works is None:
        # Stopped (-S) and told to quit at once: QEMU warns while it builds the machine.
        r = subprocess.run(["qemu-system-riscv64", "-M", "virt", "-nic", "user", "-S",
                            "-display", "none", "-serial", "none", "-monitor", "stdio"],
                           input="quit\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=20)
        _nic_user_works = "was not created" not in r.stderr
    if _nic_user_works:
        return ["-nic", f"user,{fwd}"]
    return ["-netdev", f"user,id=n0,{fwd}", "-device", "virtio-net-pci,netdev=n0"]


def netdev(port):
    return ["-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22"]


class Machine:
    """QEMU on the image through U-Boot; the console log is kept for the device checks."""

    def __init__(self, name, args, keys, known, port, mem="512M", smp=None, reboot=False):
        machine = qemu_machine(mem)
        if smp is not None:
            machine[machine.index("-smp") + 1] = str(smp)
        self.argv = [*machine, "-nographic", *([] if reboot else ["-no-reboot"]),
                     "-kernel", UBOOT, *args]
        os.makedirs(os.path.join(BUILD, "test-logs"), exist_ok=True)
        self.log_path = os.path.join(BUILD, "test-logs", f"vpci-{name}.log")
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.child = pexpect.spawn("qemu-system-riscv64", self.argv, encoding="utf-8",
                                   codec_errors="replace", timeout=180)
        self.child.logfile_read = self.log
        self.ssh = Ssh(port, keys / "id_test", known)

    def up(self):
        """Wait for the login prompt, then for ssh (the real OpenSSH client)."""
        try:
            self.child.expect_exact(LOGIN_PROMPT, timeout=180)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pytest.fail(f"no login prompt; qemu {' '.join(self.argv)}\n{self.console()[-3000:]}")
        r = self.ssh.wait_ready(within=90)
        assert r.returncode == 0, f"ssh: {r.stderr.decode(errors='replace')}\n" \
                                  f"{self.console()[-3000:]}"
        return self

    def console(self):
        self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def run(self, command, **kw):
        return self.ssh.run(command, **kw).stdout.decode()

    def disks(self):
        """{"vda": "legacy mmio"/"modern pci"} from the kernel log of the last boot."""
        boot = self.console().rsplit("OpenSBI v", 1)[-1]
        return dict(re.findall(r"virtio-blk: (vd[a-z]+): \d+ sectors .*?, (\w+ (?:mmio|pci))",
                               boot))

    def nics(self):
        boot = self.console().rsplit("OpenSBI v", 1)[-1]
        return dict(re.findall(r"virtio-net: (eth\d+): (\w+ (?:mmio|pci))", boot))

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()


@pytest.fixture
def machine(keys, tmp_path):
    started = []

    def start(name, args, port, **kw):
        m = Machine(name, args, keys, tmp_path, port, **kw)
        started.append(m)
        return m.up()
    yield start
    for m in started:
        m.close()


def check_root_and_net(m, root_disk="vda"):
    """The root is the image's ext2 on `root_disk` through dm-verity (dm-0 over its partitions
    2 and 3), /data its OFS, and eth0 has DHCP's address."""
    assert m.run("uname -s").strip() == "Linux"
    mounts = m.run("cat /proc/mounts")
    assert re.search(r" / ext2 ro", mounts) and " /data ofs rw" in mounts, mounts
    minor = 16 * (ord(root_disk[-1]) - ord("a")) + 2
    assert f"device-mapper: verity: 254:{minor}: 12288 data blocks" in m.console()
    assert "ext2: mounted dm-0 (ro" in m.console()
    parts = m.run("cat /proc/partitions")
    assert f" {root_disk}2\n" in parts and f" {root_disk}4\n" in parts, parts
    assert "inet 10.0.2.15/24" in m.run("ip -4 addr show eth0")


def write_then_reboot(m, disk, text):
    """Mount `disk`, write `text` to it, reboot the guest (same QEMU: U-Boot again) and check
    the file is still there."""
    m.run(f"mount -t ext2 /dev/{disk} /mnt && echo '{text}' > /mnt/kept && umount /mnt")
    assert m.run(f"mount -t ext2 /dev/{disk} /mnt && cat /mnt/kept && umount /mnt") \
        .strip() == text
    # In the background, so that ssh returns before the connection goes away.
    m.run("(sleep 1; reboot) </dev/null >/dev/null 2>&1 &")
    m.child.expect_exact("OpenSBI v", timeout=60)      # the second boot
    m.up()
    out = m.run(f"mount -t ext2 -o ro /dev/{disk} /mnt && cat /mnt/kept; umount /mnt")
    assert out.strip() == text


def test_ubuntu_style_if_virtio_and_nic_user(image, machine, tmp_path):
    """Ubuntu's riscv64 guide: `-drive ...,if=virtio` (a virtio-blk-pci disk) and `-nic user`."""
    port = free_port()
    img = copy_of(image, tmp_path / "openv.img")
    m = machine("if-virtio", ["-drive", f"file={img},format=raw,if=virtio", *nic_user(port)],
                port)
    check_root_and_net(m)
    assert m.disks() == {"vda": "modern pci"}
    assert m.nics() == {"eth0": "modern pci"}      # -nic's default model, or virtio-net-pci


def test_all_pci_with_a_second_pci_disk_kept_over_reboot(image, machine, tmp_path):
    port = free_port()
    img = copy_of(image, tmp_path / "openv.img")
    second = ext2_disk(tmp_path / "second.img")
    m = machine("pci", [
        "-drive", f"file={img},format=raw,if=none,id=hd0", "-device", "virtio-blk-pci,drive=hd0",
        "-device", "virtio-net-pci,netdev=n0", *netdev(port), "-device", "virtio-rng-pci",
        "-drive", f"file={second},format=raw,if=none,id=hd1", "-device", "virtio-blk-pci,drive=hd1",
    ], port, reboot=True)
    check_root_and_net(m)
    assert m.disks() == {"vda": "modern pci", "vdb": "modern pci"}
    assert m.nics() == {"eth0": "modern pci"}
    assert re.search(r"virtio-rng: modern pci \S+ irq \d+: \d+ bytes of entropy", m.console())
    assert m.run("cat /sys/block/vdb/size").strip() == str(32 * MiB // 512)
    write_then_reboot(m, "vdb", "pci-second-disk")
    assert m.disks() == {"vda": "modern pci", "vdb": "modern pci"}
    assert host_cat(second, "/kept") == "pci-second-disk\n"


def test_mmio_disk_pci_net_with_a_second_mmio_disk_kept_over_reboot(image, machine, tmp_path):
    port = free_port()
    img = copy_of(image, tmp_path / "openv.img")
    second = ext2_disk(tmp_path / "second.img")
    m = machine("mmio-disk-pci-net", [
        "-drive", f"file={img},format=raw,if=none,id=hd0",
        "-device", "virtio-blk-device,drive=hd0",
        "-drive", f"file={second},format=raw,if=none,id=hd1",
        "-device", "virtio-blk-device,drive=hd1",
        "-device", "virtio-net-pci,netdev=n0", *netdev(port), "-device", "virtio-rng-pci",
    ], port, reboot=True)
    check_root_and_net(m)
    assert m.disks() == {"vda": "legacy mmio", "vdb": "legacy mmio"}
    assert m.nics() == {"eth0": "modern pci"}
    write_then_reboot(m, "vdb", "mmio-second-disk")
    assert host_cat(second, "/kept") == "mmio-second-disk\n"


def test_pci_disk_mmio_net(image, machine, tmp_path):
    port = free_port()
    img = copy_of(image, tmp_path / "openv.img")
    m = machine("pci-disk-mmio-net", [
        "-drive", f"file={img},format=raw,if=none,id=hd0", "-device", "virtio-blk-pci,drive=hd0",
        *netdev(port), "-device", "virtio-net-device,netdev=n0", "-device", "virtio-rng-pci",
    ], port)
    check_root_and_net(m)
    assert m.disks() == {"vda": "modern pci"}
    assert m.nics() == {"eth0": "legacy mmio"}


@pytest.mark.same_at_any_smp
def test_qcow2_with_2g_and_four_harts(image, machine, tmp_path):
    """The Ubuntu guide's `-m 2048 -smp 4`, on a `qemu-img convert -O qcow2` of the image."""
    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img not found: run 'make deps' (qemu-utils)")
    qcow = str(tmp_path / "openv.qcow2")
    subprocess.run(["qemu-img", "convert", "-O", "qcow2", image, qcow], check=True)
    port = free_port()
    m = machine("qcow2-smp4", ["-drive", f"file={qcow},format=qcow2,if=virtio",
                               *nic_user(port), "-device", "virtio-rng-pci"],
                port, mem="2048M", smp=4)
    check_root_and_net(m)
    assert m.disks() == {"vda": "modern pci"}
    assert m.run("nproc").strip() == "4"
    total_kib = int(re.search(r"MemTotal:\s+(\d+) kB", m.run("cat /proc/meminfo")).group(1))
    assert 1900 * 1024 < total_kib <= 2048 * 1024


def test_missing_root_lists_only_real_disks(image):
    """Linux's "VFS: Cannot open root device" panic lists the disks there are: the PCI one
    and its partitions, not the empty loop devices."""
    argv = [*qemu_machine(), "-nographic", "-no-reboot", "-kernel", kernel_image(),
            "-append", "root=PARTUUID=01234567-89ab-cdef-0123-456789abcdef rootwait=1 "
                       "console=ttyS0",
            "-drive", f"file={image},format=raw,if=none,id=hd0,snapshot=on",
            "-device", "virtio-blk-pci,drive=hd0"]
    log = os.path.join(BUILD, "test-logs", "vpci-noroot.log")
    child = pexpect.spawn("qemu-system-riscv64", argv, encoding="utf-8",
                          codec_errors="replace", timeout=60)
    child.logfile_read = open(log, "w", encoding="utf-8")
    try:
        child.expect_exact('VFS: Cannot open root device "PARTUUID=01234567-89ab-cdef-'
                           '0123-456789abcdef" or unknown-block(0,0): error -6')
        child.expect_exact("Kernel panic")
        listing = child.before
        child.expect_exact("VFS: Unable to mount root fs")
    finally:
        child.terminate(force=True)
        child.logfile_read.close()
    assert re.search(r"fe00\s+\d+ vda\s+driver: virtio_blk", listing), listing
    assert re.search(r"fe02\s+49152 vda2 6f70656e-7600-4000-8000-000000000002", listing)
    assert "loop" not in listing and "(driver?)" not in listing, listing


def test_disk_names_mmio_first_then_pci_in_bus_order(tmp_path):
    """Disks are named as Linux names them: virtio-mmio ones first (drivers/virtio links
    virtio_mmio before virtio_pci, so virtio_blk meets the mmio devices first), then PCI in
    bus order, whatever the order on the command line. A modern-only PCI device
    (disable-legacy=on) works; a legacy-only one (disable-modern=on: no virtio capabilities)
    is refused with a message and the boot goes on. (Not through U-Boot: stock U-Boot boots
    from the first virtio disk only, which is the mmio one here.)"""
    disks = {name: ext2_disk(tmp_path / f"{name}.img", size * MiB)
             for name, size in (("pci1", 8), ("legacy", 9), ("mmio", 10), ("pci2", 11))}
    with Guest.boot(extra_args=[
            "-drive", f"file={disks['pci1']},format=raw,if=none,id=p1",
            "-device", "virtio-blk-pci,drive=p1,disable-legacy=on,addr=3",
            "-drive", f"file={disks['legacy']},format=raw,if=none,id=lg",
            "-device", "virtio-blk-pci,drive=lg,disable-modern=on,addr=4",
            "-drive", f"file={disks['mmio']},format=raw,if=none,id=mm",
            "-device", "virtio-blk-device,drive=mm",
            "-drive", f"file={disks['pci2']},format=raw,if=none,id=p2",
            "-device", "virtio-blk-pci,drive=p2,addr=2",
            "-device", "virtio-rng-pci,disable-legacy=on"]) as g:
        sizes = g.check("awk '/ vd/ { print $4 \"=\" $3 }' /proc/partitions")
        g.check("mkdir -p /mnt/c && mount -t ext2 /dev/vdc /mnt/c && umount /mnt/c")
        console = g.tail(200000)
    assert sizes.split() == [f"vda={10 * 1024}", f"vdb={11 * 1024}", f"vdc={8 * 1024}"]
    assert re.search(r"virtio-blk: vda: \d+ sectors .*legacy mmio", console)
    assert re.search(r"virtio-blk: vdb: \d+ sectors .*modern pci 0000:00:02\.0", console)
    assert re.search(r"virtio-blk: vdc: \d+ sectors .*modern pci 0000:00:03\.0", console)
    assert "virtio-pci 0000:00:04.0: legacy-only virtio device (1af4:1001" in console
    assert re.search(r"virtio-rng: modern pci", console)
