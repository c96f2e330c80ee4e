"""cloud-init end to end: the disk image booted through the real firmware (OpenSBI, U-Boot) with
seeds made by the real tools, as a user provisions an Ubuntu cloud image, and checked from the
host over ssh and the serial console.

Boots (each a QEMU; grouped so that one boot answers many questions):
  - one disk, three boots (a reboot ends QEMU under -no-reboot, so "reboot" = the same disk
    booted again): a `cloud-localds` iso9660 seed (hostname, users with a key and a hashed
    password, disable_root, write_files in each encoding, bootcmd, runcmd); the same seed
    again (bootcmd runs, nothing per-instance does); a `cloud-localds -f vfat` seed with a new
    instance-id and a static network-config v2 (re-provisioned; the port forward goes to the
    static address, so ssh working proves it);
  - a ConfigDrive v2 (`genisoimage -V config-2 -J -R`) whose user_data powers the machine off;
  - NoCloud over HTTP: a host `python3 -m http.server` on 127.0.0.1, `ds=nocloud;s=...` given
    through our signed U-Boot (QEMU -append with -dtb), so the ";" is checked on the way;
  - four malformed seeds (bad YAML, binary garbage, a truncated ISO, a FAT whose chain loops):
    the boot goes on, `cloud-init status` says error (exit 1), sshd answers.
`adduser`, `passwd`, `hostname` persisting across a reboot and `factory-reset` are in
test_ssh.py (test_etc_changes_persist_across_a_reboot_and_factory_reset)."""

import base64
import gzip
import json
import os
import re
import shlex
import socket
import struct
import subprocess
import sys
import time

import pexpect
import pytest

from guest import BUILD, REPO, kernel_image, qemu_machine
from sshguest import Ssh, build_image_with_key, free_port, make_keys

pytestmark = pytest.mark.qemu

STOCK_UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"
OUR_UBOOT = os.path.join(BUILD, "bootloader", "u-boot.bin")
CTRL_DTB_SH = os.path.join(REPO, "bootloader", "ctrl-dtb.sh")
AGENT = os.path.join(BUILD, "cloud-init", "cloud-init")
LOGIN = re.compile(r"(\S+) login: ")
STATIC_IP = "10.0.2.20"          # QEMU's user network: 10.0.2.0/24, gateway 10.0.2.2, DNS .3
ALICE_PW = "Alice-Pw-1"


class Boot:
    """One QEMU on a disk image with seeds; the console is a pexpect child."""

    def __init__(self, image, seeds=(), guest_ip=None, append=None, uboot=STOCK_UBOOT, dtb=None,
                 snapshot=False, log_name="cloudinit"):
        self.port = free_port()
        fwd = f"hostfwd=tcp:127.0.0.1:{self.port}-{guest_ip or ''}:22"
        drive = f"file={image},format=raw,if=none,id=hd0" + (",snapshot=on" if snapshot else "")
        argv = [*qemu_machine(), "-nographic", "-no-reboot", "-kernel", uboot,
                "-drive", drive, "-device", "virtio-blk-device,drive=hd0",
                "-netdev", f"user,id=n0,{fwd}", "-device", "virtio-net-device,netdev=n0",
                "-device", "virtio-rng-device"]
        if dtb:
            argv += ["-dtb", dtb]
        if append:
            argv += ["-append", append]
        for i, (path, iface) in enumerate(seeds, 1):
            if iface == "pci":      # what users type: -drive file=seed.iso,if=virtio
                argv += ["-drive", f"file={path},format=raw,if=virtio,readonly=on"]
            else:
                argv += ["-drive", f"file={path},format=raw,if=none,id=seed{i},readonly=on",
                         "-device", f"virtio-blk-device,drive=seed{i}"]
        self.child = pexpect.spawn("qemu-system-riscv64", argv, encoding="utf-8",
                                   codec_errors="replace", timeout=180)
        logs = os.path.join(BUILD, "test-logs")
        os.makedirs(logs, exist_ok=True)
        self.child.logfile_read = open(os.path.join(logs, f"{log_name}.log"), "w",
                                       encoding="utf-8")

    def login_prompt(self, timeout=180):
        """The hostname the console's login prompt shows."""
        self.child.expect(LOGIN, timeout=timeout)
        return self.child.match.group(1)

    def ssh(self, user, key, known_dir, within=60):
        s = Ssh(self.port, key, known_dir, user=user)
        r = s.wait_ready(within=within)
        assert r.returncode == 0, f"ssh {user}: {r.stderr.decode(errors='replace')}"
        return s

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.logfile_read.close()


def sshd_banner(port, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                return s.recv(64)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def sha512_crypt(password):
    return subprocess.run(["openssl", "passwd", "-6", "-salt", "openvtest", password],
                          check=True, stdout=subprocess.PIPE, text=True).stdout.strip()


def cloud_localds(out, user_data, meta_data, network_config=None, vfat=False):
    d = os.path.dirname(out)
    ud, md = os.path.join(d, "user-data"), os.path.join(d, "meta-data")
    with open(ud, "wb") as f:
        f.write(user_data if isinstance(user_data, bytes) else user_data.encode())
    with open(md, "w") as f:
        f.write(meta_data)
    argv = ["cloud-localds"] + (["-f", "vfat"] if vfat else [])
    if network_config:
        nc = os.path.join(d, "network-config")
        with open(nc, "w") as f:
            f.write(network_config)
        argv += ["-N", nc]
    subprocess.run([*argv, out, ud, md], check=True)
    return out


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return make_keys(tmp_path_factory.mktemp("cikeys"), names=("id_image", "id_root", "id_user",
                                                                    "id_other"))


@pytest.fixture(scope="module")
def base_image(keys, tmp_path_factory):
    """`make image` with keys/id_image.pub as root's key (what `make run` bakes in)."""
    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel):
        pytest.skip("no kernel: run 'make kernel'")
    if not os.path.exists(AGENT):
        pytest.skip("no cloud-init agent: run 'make cloud-init'")
    return build_image_with_key(kernel, tmp_path_factory.mktemp("ciimg") / "openv.img",
                                keys / "id_image.pub")


def pub(keys, name):
    return (keys / f"{name}.pub").read_text().strip()


PLAIN = "plain text\n"
B64 = "base64 text\n"
GZ = "gzip text\n" * 50
GZB64 = "gzip+base64 text\n" * 50
RUNCMD_LINE = "echo runcmd >> /etc/ci-runcmd.count"


def iso_user_data(keys):
    gz = base64.b64encode(gzip.compress(GZ.encode(), mtime=0)).decode()
    gzb64 = base64.b64encode(gzip.compress(GZB64.encode(), mtime=0)).decode()
    return f"""#cloud-config
hostname: ci-iso
users:
  - default
  - name: alice
    gecos: Alice Example
    shell: /bin/sh
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock_passwd: false
    hashed_passwd: '{sha512_crypt(ALICE_PW)}'
    ssh_authorized_keys:
      - {pub(keys, "id_user")}
disable_root: true
write_files:
  - path: /etc/ci/plain.txt
    content: {json.dumps(PLAIN)}
    owner: alice:alice
    permissions: '0640'
    defer: true
  - path: /etc/ci/b64.txt
    encoding: b64
    content: {base64.b64encode(B64.encode()).decode()}
    permissions: '0604'
  - path: /etc/ci/gz.txt
    encoding: gzip
    content: !!binary |
      {gz}
  - path: /etc/ci/gzb64.txt
    encoding: gz+b64
    content: {gzb64}
    owner: root:root
    permissions: '0755'
bootcmd:
  - echo bootcmd >> /etc/ci-bootcmd.count
runcmd:
  - {RUNCMD_LINE}
  - [sh, -c, 'echo RUNCMD-OUTPUT-$((6 * 7))']
"""


@pytest.fixture(scope="module")
def provisioned(keys, base_image, tmp_path_factory):
    """The first boot with the cloud-localds iso9660 seed, kept running for the module's
    checks; the disk (a copy) is booted again by the reboot tests."""
    d = tmp_path_factory.mktemp("ciiso")
    image = str(d / "openv.img")
    subprocess.run(["cp", "--sparse=always", base_image, image], check=True)
    # meta-data's public-keys go to the default user, and to root behind disable_root's
    # "Please login as the user" (root's own image key, id_image, is not the seed's business).
    seed = cloud_localds(str(d / "seed.iso"), iso_user_data(keys),
                         "instance-id: iid-iso-1\nlocal-hostname: ci-local\n"
                         f"public-keys:\n  - {pub(keys, 'id_root')}\n")
    known = d / "known"
    known.mkdir()
    b = Boot(image, seeds=[(seed, "mmio")], log_name="cloudinit-iso")
    try:
        b.hostname = b.login_prompt()
        b.alice = b.ssh("alice", keys / "id_user", known)
        b.image, b.seed, b.known, b.dir = image, seed, known, d
        yield b
    finally:
        b.close()


def as_root(s, command, timeout=60):
    """A command as root through the user's sudo rule (OpenDoas underneath)."""
    return s.run(f"sudo -n sh -c {shlex.quote(command)}", check=False, timeout=timeout)


# ---- the iso9660 NoCloud seed ---------------------------------------------------------------

def test_hostname_user_and_key(provisioned):
    b = provisioned
    assert b.hostname == "ci-iso"
    assert b.alice.out("hostname").strip() == "ci-iso"
    ident = b.alice.out("id -un; grep ^alice: /etc/passwd")
    assert ident.startswith("alice\n") and ":Alice Example:" in ident and \
        ident.rstrip().endswith(":/bin/sh"), ident
    # The distro's default user exists too (users: [default, ...]).
    assert b.alice.out("grep ^openv: /etc/passwd").startswith("openv:")


def test_sudo_rule(provisioned):
    r = as_root(provisioned.alice, "id -u")
    assert r.returncode == 0 and r.stdout.decode().strip() == "0", r.stderr


def test_root_key_refused_with_disable_root(provisioned, keys):
    """meta-data's key logs in as the default user, and is refused for root with cloud-init's
    message."""
    s = Ssh(provisioned.port, keys / "id_root", provisioned.known, user="openv")
    assert s.out("id -un") == "openv\n"
    r = Ssh(provisioned.port, keys / "id_root", provisioned.known, user="root").run(
        "echo root-shell", check=False)
    out = r.stdout.decode()
    assert "Please login as the user" in out and "root-shell" not in out, (out, r.stderr)
    assert r.returncode != 0


def test_write_files_encodings_owner_mode(provisioned):
    s = provisioned.alice
    stat = s.out("stat -c '%n %a %U:%G' /etc/ci/plain.txt /etc/ci/b64.txt /etc/ci/gz.txt "
                 "/etc/ci/gzb64.txt").split("\n")
    assert stat[:4] == ["/etc/ci/plain.txt 640 alice:alice", "/etc/ci/b64.txt 604 root:root",
                        "/etc/ci/gz.txt 644 root:root", "/etc/ci/gzb64.txt 755 root:root"], stat
    assert s.out("cat /etc/ci/plain.txt") == PLAIN
    assert s.out("cat /etc/ci/b64.txt") == B64
    assert s.out("cat /etc/ci/gzb64.txt") == GZB64
    assert s.out("cat /etc/ci/gz.txt") == GZ


def test_runcmd_output_log_and_status(provisioned):
    s = provisioned.alice
    r = s.run("cloud-init status --long", check=False)
    assert r.returncode == 0 and "status: done" in r.stdout.decode(), r.stdout
    assert s.out("cat /etc/ci-runcmd.count /etc/ci-bootcmd.count") == "runcmd\nbootcmd\n"
    log = as_root(s, "cat /var/log/cloud-init-output.log").stdout.decode()
    assert "RUNCMD-OUTPUT-42" in log, log


def test_hashed_password_on_the_serial_console(provisioned):
    c = provisioned.child
    c.sendline("")
    c.expect(LOGIN, timeout=30)
    c.sendline("alice")
    c.expect("assword:", timeout=30)
    c.sendline(ALICE_PW)
    c.expect(r"\$ ", timeout=30)
    c.sendline("echo console-$(id -un)")
    c.expect("console-alice", timeout=30)
    c.sendline("exit")
    c.expect(LOGIN, timeout=30)


def reboot(b, s):
    """Ends the machine so that its disk can be booted again: sync(2) (any user may) and a
    power cut, which OFS (/data: the /etc overlay, /var/lib/cloud) is made to survive. A
    clean `reboot` would need root, and root's login is what disable_root refuses."""
    if b.child.isalive():
        s.run("sync")
        b.close()


def test_reboot_same_instance_runs_only_bootcmd(provisioned, keys):
    """Last users of the first boot above: it reboots the guest."""
    reboot(provisioned, provisioned.alice)
    b = Boot(provisioned.image, seeds=[(provisioned.seed, "mmio")], log_name="cloudinit-iso-2")
    try:
        assert b.login_prompt() == "ci-iso"
        s = b.ssh("alice", keys / "id_user", provisioned.known)
        assert s.out("cat /etc/ci-bootcmd.count") == "bootcmd\nbootcmd\n"
        assert s.out("cat /etc/ci-runcmd.count") == "runcmd\n"      # per instance: not again
        assert s.run("cloud-init status", check=False).returncode == 0
        reboot(b, s)
    finally:
        b.close()


NETWORK_V2 = f"""version: 2
ethernets:
  nic0:
    match:
      name: eth*
    addresses: [{STATIC_IP}/24]
    gateway4: 10.0.2.2
    nameservers:
      addresses: [10.0.2.3]
      search: [ci.example]
"""


def test_new_instance_vfat_seed_reprovisions_with_static_network(provisioned, keys):
    """The same disk with a `cloud-localds -f vfat` seed (a virtio-pci disk, as users attach
    one with if=virtio), a new instance-id and a static address: the forward goes to
    10.0.2.20, so the ssh login itself shows the address is in use."""
    reboot(provisioned, provisioned.alice)      # the first boot, if still up, leaves the disk
    d = provisioned.dir / "vfat"
    d.mkdir()
    user_data = f"""#cloud-config
hostname: ci-vfat
users:
  - name: bob
    ssh_authorized_keys: [{pub(keys, "id_other")}]
runcmd:
  - {RUNCMD_LINE}
"""
    seed = cloud_localds(str(d / "seed.img"), user_data, "instance-id: iid-vfat-2\n",
                         network_config=NETWORK_V2, vfat=True)
    b = Boot(provisioned.image, seeds=[(seed, "pci")], guest_ip=STATIC_IP,
             log_name="cloudinit-vfat")
    try:
        assert b.login_prompt() == "ci-vfat"
        s = b.ssh("bob", keys / "id_other", provisioned.known)
        assert s.out("hostname").strip() == "ci-vfat"
        assert f"inet {STATIC_IP}/24" in s.out("/sbin/ip addr show dev eth0")
        assert "default via 10.0.2.2" in s.out("/sbin/ip route")
        resolv = s.out("cat /etc/resolv.conf")
        assert "nameserver 10.0.2.3" in resolv and "search ci.example" in resolv, resolv
        assert s.out("cat /etc/ci-runcmd.count") == "runcmd\nruncmd\n"   # a new instance
        # bootcmd was the old instance's config: this one has none.
        assert s.out("cat /etc/ci-bootcmd.count") == "bootcmd\n" * 2
    finally:
        b.close()


# ---- ConfigDrive v2 and power_state ---------------------------------------------------------

@pytest.mark.same_at_any_smp
def test_configdrive_and_power_state_poweroff(base_image, tmp_path):
    latest = tmp_path / "cd" / "openstack" / "latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(
        '{"uuid": "5d1b7a4e-0a3c-4c59-9d43-3f2a8d2f4e11", "hostname": "cfgdrive", '
        '"name": "cfgdrive"}\n')
    (latest / "user_data").write_text(
        "#cloud-config\n"
        "runcmd:\n"
        "  - echo CONFIGDRIVE-$(hostname)-RAN > /dev/console\n"
        "power_state:\n"
        "  mode: poweroff\n"
        "  message: ci-test powering off\n")
    iso = str(tmp_path / "configdrive.iso")
    subprocess.run(["genisoimage", "-quiet", "-V", "config-2", "-J", "-R", "-o", iso,
                    str(tmp_path / "cd")], check=True)
    b = Boot(base_image, seeds=[(iso, "mmio")], snapshot=True, log_name="cloudinit-configdrive")
    try:
        b.child.expect("CONFIGDRIVE-cfgdrive-RAN", timeout=180)
        b.child.expect(pexpect.EOF, timeout=120)     # powered off: QEMU ends by itself
        b.child.wait()
        assert b.child.exitstatus == 0
    finally:
        b.close()


# ---- NoCloud over HTTP, ds= through the signed boot -----------------------------------------

@pytest.fixture
def http_seed(tmp_path, keys):
    d = tmp_path / "www"
    d.mkdir()
    (d / "meta-data").write_text("instance-id: iid-http-1\n")
    (d / "user-data").write_text(f"""#cloud-config
hostname: ci-http
users:
  - name: carol
    ssh_authorized_keys: [{pub(keys, "id_user")}]
""")
    (d / "vendor-data").write_text("")
    port = free_port()
    log = open(tmp_path / "http.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                               "--directory", str(d), str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "http.server did not start"
                time.sleep(0.2)
        yield port, tmp_path / "http.log"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_nocloud_http_seed_from_the_signed_boot_command_line(base_image, http_seed, keys,
                                                             tmp_path):
    if not os.path.exists(OUR_UBOOT):
        pytest.skip("no U-Boot of ours: run 'make bootloader'")
    port, http_log = http_seed
    # The control DTB (the key) for this image's key and this -m/-smp, as `make run` makes it.
    ctrl = str(tmp_path / "ctrl.dtb")
    key_dtb = os.path.join(os.path.dirname(base_image), "openv-key.dtb")
    subprocess.run([CTRL_DTB_SH, key_dtb, ctrl, *qemu_machine()], check=True,
                   stdout=subprocess.DEVNULL)
    ds = f"ds=nocloud;s=http://10.0.2.2:{port}/"
    b = Boot(base_image, append=ds, uboot=OUR_UBOOT, dtb=ctrl, snapshot=True,
             log_name="cloudinit-http")
    try:
        assert b.login_prompt() == "ci-http"
        known = tmp_path / "known"
        known.mkdir()
        s = b.ssh("carol", keys / "id_user", known)
        assert ds in s.out("cat /proc/cmdline").split()       # ";" and all, through U-Boot
        assert s.out("hostname").strip() == "ci-http"
        assert "DataSourceNoCloud" in s.out("cloud-init status --long")
        served = http_log.read_text()
        assert '"GET /meta-data' in served and '"GET /user-data' in served, served
    finally:
        b.close()


# ---- malformed seeds ------------------------------------------------------------------------

def fat_loop_file(img, prefix):
    """Make the cluster chain of the first root-directory file whose 8.3 name starts with
    prefix point back at its own first cluster (FAT12 or FAT16, every FAT copy)."""
    with open(img, "r+b") as f:
        bs = f.read(512)
        bps, spc, reserved, nfats, root_entries = struct.unpack_from("<HBHBH", bs, 11)
        total = struct.unpack_from("<H", bs, 19)[0] or struct.unpack_from("<I", bs, 32)[0]
        fatsz = struct.unpack_from("<H", bs, 22)[0]
        root = (reserved + nfats * fatsz) * bps
        clusters = (total - reserved - nfats * fatsz - root_entries * 32 // bps) // spc
        fat12 = clusters < 4085
        f.seek(root)
        entries = f.read(root_entries * 32)
        for i in range(0, len(entries), 32):
            if entries[i + 11] != 0x0F and entries[i:i + len(prefix)] == prefix:
                first = struct.unpack_from("<H", entries, i + 26)[0]
                break
        else:
            raise AssertionError(f"no {prefix!r} in the root directory")
        for n in range(nfats):
            base = reserved * bps + n * fatsz * bps
            if fat12:
                off = base + first + first // 2
                f.seek(off)
                v = struct.unpack("<H", f.read(2))[0]
                v = (v & 0x000f) | (first << 4) if first & 1 else (v & 0xf000) | first
                f.seek(off)
                f.write(struct.pack("<H", v))
            else:
                f.seek(base + first * 2)
                f.write(struct.pack("<H", first))


def padded(text, size=300_000):
    """user-data big enough to span many clusters / ISO blocks."""
    return text + "".join(f"# padding line {i:08d}\n" for i in range(size // 24))


def malformed_seed(kind, d, keys):
    meta = (f"instance-id: iid-bad-{kind}\npublic-keys:\n  - {pub(keys, 'id_user')}\n")
    if kind == "bad-yaml":
        return cloud_localds(str(d / "seed.iso"), "#cloud-config\nusers: [name: {oops\n"
                             "  - : :\n\tbad\n", meta)
    if kind == "garbage":
        return cloud_localds(str(d / "seed.iso"), os.urandom(8192).replace(b"#", b"x"), meta)
    if kind == "truncated-iso":
        out = cloud_localds(str(d / "seed.iso"), padded("#cloud-config\nhostname: never\n"),
                            meta)
        os.truncate(out, 64 * 2048)      # the descriptors and meta-data stay, user-data is cut
        return out
    if kind == "fat-loop":
        # cloud-localds -f vfat makes a 128 KiB FAT: 40 KB of user-data is many clusters.
        out = cloud_localds(str(d / "seed.img"),
                            padded("#cloud-config\nhostname: never\n", 40_000), meta, vfat=True)
        fat_loop_file(out, b"USER")
        return out
    raise ValueError(kind)


@pytest.mark.same_at_any_smp
@pytest.mark.parametrize("kind", ["bad-yaml", "garbage", "truncated-iso", "fat-loop"])
def test_malformed_seed_boot_continues_status_error(kind, base_image, keys, tmp_path):
    seed = malformed_seed(kind, tmp_path, keys)
    b = Boot(base_image, seeds=[(seed, "mmio")], snapshot=True, log_name=f"cloudinit-{kind}")
    try:
        assert b.login_prompt() != "never"
        assert sshd_banner(b.port).startswith(b"SSH-2.0-")
        known = tmp_path / "known"
        known.mkdir()
        # Whoever may log in: the default user with meta-data's key, or root with the image's
        # key when no module ran.
        s = None
        for user, key in (("openv", "id_user"), ("root", "id_image")):
            cand = Ssh(b.port, keys / key, known, user=user)
            r = cand.wait_ready(within=20)
            if r.returncode == 0:
                s = cand
                break
        assert s is not None, "nobody can log in"
        r = s.run("cloud-init status --long", check=False)
        out = r.stdout.decode()
        assert r.returncode == 1 and "status: error" in out, out
        if kind == "garbage":
            assert "binary data of no known format" in out, out
        assert s.out("echo still-running") == "still-running\n"
    finally:
        b.close()
