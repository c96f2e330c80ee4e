"""System figures of `make bench` that only openv has (issues #5, #6, #7): the disk image booted
through OpenSBI + stock U-Boot, SSH over QEMU's port forward, and OFS against ext2 on the same
kind of virtual disk. Linux has no OFS and the reference kernel boots no U-Boot image here, so
these are measured for openv alone. tools/bench.py calls measure(); BENCH_SKIP_SYSTEM=1 skips,
BENCH_SKIP_NET=1 skips the SSH part (tools/bench_net.py has SSH for both kernels).

Every figure is {"value": ..., "unit": ...}; MB means 10^6 bytes. Times taken on the host
(boot, SSH) include QEMU's start; file system figures are timed in the guest by
/opt/tests/bench/fsbench (tests/bench/fsbench.c) with CLOCK_MONOTONIC.
"""

import contextlib
import lzma
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import pexpect  # noqa: E402

from guest import BUILD, REPO, Guest, GuestError, qemu_machine  # noqa: E402
from sshguest import (LOGIN_PROMPT, UBOOT, Ssh, build_image_with_key, free_port,  # noqa: E402
                      spawn_image)
import bench_cloudinit  # noqa: E402  (first boot with and without a cloud-init seed)

IMAGE = os.path.join(BUILD, "openv.img")
WORK = os.path.join(BUILD, "bench-system")     # not build/bench: that one goes into the initramfs
DEV_KEY = os.path.join(BUILD, "dev-ssh", "id_ed25519")     # the key `make run` generates
FSBENCH = "/opt/tests/bench/fsbench"
BENCH_LINE = re.compile(r"^BENCH (\S+) ([0-9.eE+-]+) (\S+)\s*$", re.M)

SSH_LATENCY_ROUNDS = int(os.environ.get("BENCH_SSH_ROUNDS", "10"))
SSH_TRANSFER_MIB = int(os.environ.get("BENCH_SSH_MIB", "32"))
FS_SMALL_FILES = int(os.environ.get("BENCH_FS_FILES", "200"))
FS_SEQ_MIB = int(os.environ.get("BENCH_FS_MIB", "32"))
DISK_MIB = 256


def fig(value, unit):
    return {"value": round(value, 4) if isinstance(value, float) else value, "unit": unit}


def log(msg):
    print(f"bench: system: {msg}", file=sys.stderr)


def console_log(name):
    os.makedirs(os.path.join(BUILD, "test-logs"), exist_ok=True)
    return open(os.path.join(BUILD, "test-logs", f"bench-{name}.log"), "w", encoding="utf-8")


# --- #5: the disk image ---------------------------------------------------------------------

def xz_size(path):
    """Bytes of `xz -T1 -6 -c path` (python's lzma with the same preset without xz)."""
    if shutil.which("xz"):
        with subprocess.Popen(["xz", "-T1", "-6", "-c", path], stdout=subprocess.PIPE) as p:
            total = 0
            while chunk := p.stdout.read(1 << 20):
                total += len(chunk)
        if p.returncode == 0:
            return total
    comp, total = lzma.LZMACompressor(preset=6), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            total += len(comp.compress(chunk))
    return total + len(comp.flush())


def image_figures(out):
    st = os.stat(IMAGE)
    out["image_size_raw"] = fig(st.st_size / 2**20, "MiB")
    out["image_size_allocated"] = fig(st.st_blocks * 512 / 2**20, "MiB")
    out["image_size_xz"] = fig(xz_size(IMAGE) / 2**20, "MiB")
    # The command line of `make run`, with the disk as a throw-away snapshot: build/openv.img
    # stays as built (its first boot formats /data and makes the SSH host keys).
    start = time.monotonic()
    child = spawn_image(IMAGE, forwards=((free_port(), 22),), snapshot=True)
    child.logfile_read = console_log("image")
    try:
        child.expect(LOGIN_PROMPT, timeout=180)
        out["image_boot_to_login"] = fig(time.monotonic() - start, "s")
    finally:
        child.terminate(force=True)
        child.logfile_read.close()
    # The same boot with disk and NIC on virtio-pci (Ubuntu's `if=virtio` command line).
    start = time.monotonic()
    child = pexpect.spawn(
        "qemu-system-riscv64",
        [*qemu_machine(), "-nographic", "-no-reboot", "-kernel", UBOOT,
         "-drive", f"file={IMAGE},format=raw,if=virtio,snapshot=on",
         "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{free_port()}-:22",
         "-device", "virtio-net-pci,netdev=n0", "-device", "virtio-rng-pci"],
        encoding="utf-8", codec_errors="replace", timeout=180)
    child.logfile_read = console_log("image-pci")
    try:
        child.expect(LOGIN_PROMPT, timeout=180)
        out["image_boot_to_login_pci"] = fig(time.monotonic() - start, "s")
        out["image_boot_pci_over_mmio"] = fig(out["image_boot_to_login_pci"]["value"] /
                                              out["image_boot_to_login"]["value"], "ratio")
    finally:
        child.terminate(force=True)
        child.logfile_read.close()
    # The same through our U-Boot (signature checked), the control DTB made for this machine.
    ours, key_dtb = os.path.join(BUILD, "bootloader", "u-boot.bin"), os.path.join(BUILD, "openv-key.dtb")
    if not (os.path.exists(ours) and os.path.exists(key_dtb)):
        log("image: no build/bootloader/u-boot.bin or build/openv-key.dtb: signed boot skipped "
            "(make bootloader image)")
        return
    os.makedirs(WORK, exist_ok=True)
    ctrl = os.path.join(WORK, "ctrl.dtb")
    subprocess.run([os.path.join(REPO, "bootloader", "ctrl-dtb.sh"), key_dtb, ctrl,
                    *qemu_machine()], check=True)
    start = time.monotonic()
    child = spawn_image(IMAGE, forwards=((free_port(), 22),), snapshot=True, uboot=ours,
                        extra_args=("-dtb", ctrl))
    child.logfile_read = console_log("image-signed")
    try:
        # Where the time goes: wall time from QEMU's start to each milestone, and QEMU's CPU
        # time at the login prompt (what the boot costs when the host is not shared).
        for name, text in SIGNED_BOOT_PHASES:
            child.expect_exact(text, timeout=120)
            out[f"image_signed_boot_{name}"] = fig(time.monotonic() - start, "s")
        child.expect(LOGIN_PROMPT, timeout=180)
        out["image_signed_boot_to_login"] = fig(time.monotonic() - start, "s")
        out["image_signed_boot_cpu"] = fig(process_cpu_seconds(child.pid), "s")
    finally:
        child.terminate(force=True)
        child.logfile_read.close()


# Milestones of the signed boot (image_signed_boot_<name>: seconds from QEMU's start).
SIGNED_BOOT_PHASES = (("uboot", "U-Boot 20"), ("verified", "sha256,rsa2048:openv+ OK"),
                      ("kernel", "Starting kernel"), ("root", "VFS: Mounted root"),
                      ("sshd", "dropbear: listening"))


def process_cpu_seconds(pid):
    """User + system CPU time of a process so far (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- #6: SSH ----------------------------------------------------------------------------------

def dev_key():
    if not os.path.exists(DEV_KEY):
        os.makedirs(os.path.dirname(DEV_KEY), exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "openv-dev",
                        "-f", DEV_KEY], check=True)
    return DEV_KEY


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def ssh_figures(out, kernel):
    key = dev_key()
    os.makedirs(WORK, exist_ok=True)
    with contextlib.redirect_stdout(sys.stderr):     # stdout is bench's JSON
        image = build_image_with_key(kernel, os.path.join(WORK, "openv-ssh.img"), key + ".pub")
    port = free_port()
    known = tempfile.mkdtemp(prefix="known-", dir=WORK)
    # A short connect timeout while polling: before the guest's network is up QEMU accepts
    # the connection and the banner never comes.
    poll = Ssh(port, key, known, connect_timeout=5)
    ssh = Ssh(port, key, known)
    start = time.monotonic()
    child = spawn_image(image, forwards=((port, 22),))
    child.logfile_read = console_log("ssh")
    login_at = []

    def watch_console():         # drains the console too, so that QEMU never blocks on it
        try:
            child.expect(LOGIN_PROMPT, timeout=180)
            login_at.append(time.monotonic())
            child.expect("never printed", timeout=None)
        except Exception:       # EOF once QEMU is gone
            pass

    watcher = threading.Thread(target=watch_console, daemon=True)
    watcher.start()
    try:
        r = poll.wait_ready(within=240, retry=0.5)
        if r.returncode != 0:
            raise GuestError(f"ssh never succeeded: {r.stderr.decode(errors='replace')}")
        out["ssh_ready_first_boot"] = fig(time.monotonic() - start, "s")
        if login_at:
            out["ssh_image_boot_to_login"] = fig(login_at[0] - start, "s")
        setup = statistics.median(timed(lambda: ssh.run("true"))
                                  for _ in range(SSH_LATENCY_ROUNDS))
        out["ssh_connect_true"] = fig(setup * 1e3, "ms")
        nbytes = SSH_TRANSFER_MIB << 20
        with tempfile.TemporaryFile(dir=WORK) as f:
            f.write(os.urandom(nbytes))     # incompressible, whatever the cipher does
            f.flush()
            f.seek(0)
            up = timed(lambda: ssh.run("cat >/dev/null", stdin=f, timeout=600))
        received = []
        down = timed(lambda: received.append(
            len(ssh.run(f"dd if=/dev/zero bs=65536 count={SSH_TRANSFER_MIB * 16} 2>/dev/null",
                        timeout=600).stdout)))
        if received != [nbytes]:
            raise GuestError(f"ssh download: {received} bytes, wanted {nbytes}")
        # Throughput of the data stream: the connection setup measured above is taken off.
        out["ssh_upload_host_to_guest"] = fig(nbytes / 1e6 / max(up - setup, 1e-3), "MB/s")
        out["ssh_download_guest_to_host"] = fig(nbytes / 1e6 / max(down - setup, 1e-3), "MB/s")
    finally:
        child.terminate(force=True)     # the image is bench's own copy: no clean shutdown needed
        watcher.join(timeout=10)
        child.logfile_read.close()
        shutil.rmtree(known, ignore_errors=True)


# --- #7: OFS, with ext2 on the same kind of disk for comparison ------------------------------

def sparse_disk(path, mib):
    with open(path, "wb") as f:
        f.truncate(mib << 20)
    return path


def two_disks(ofs_disk, ext2_disk):
    return ("-drive", f"file={ofs_disk},format=raw,if=none,id=hd0",
            "-device", "virtio-blk-device,drive=hd0",
            "-drive", f"file={ext2_disk},format=raw,if=none,id=hd1",
            "-device", "virtio-blk-device,drive=hd1")


def guest_figures(g, command, timeout=600):
    out = g.check(command, timeout=timeout)
    return {m.group(1): fig(float(m.group(2)), m.group(3)) for m in BENCH_LINE.finditer(out)}


def find_devices(g):
    """(OFS device, ext2 device): which /dev/vd* is which depends on the virtio-mmio slots."""
    for ext2, ofs in (("/dev/vdb", "/dev/vda"), ("/dev/vda", "/dev/vdb")):
        if g.run(f"mount -t ext2 {ext2} /mnt/ext2 2>/dev/null")[1] == 0:
            return ofs, ext2
    raise GuestError("the scratch ext2 disk does not mount")


def fs_round(g, name, dev, mnt, fstype):
    """Small files, then a sequential write; the read comes after umount + mount, so that it
    starts from the disk (openv's buffer cache keeps at most 4 MiB of unused blocks, less
    than the file; the host's page cache under QEMU stays warm)."""
    figures = guest_figures(
        g, f"mkdir {mnt}/small && {FSBENCH} -p {name}_ files {mnt}/small {FS_SMALL_FILES} 1000"
           f" && {FSBENCH} -p {name}_ write {mnt}/big {FS_SEQ_MIB}")
    g.check(f"umount {mnt} && mount -t {fstype} {dev} {mnt}", timeout=300)
    figures.update(guest_figures(g, f"{FSBENCH} -p {name}_ read {mnt}/big"))
    # Again: from the page cache now.
    figures.update(guest_figures(g, f"{FSBENCH} -p {name}_warm_ read {mnt}/big"))
    return figures


# Writes until QEMU is killed: files rewritten in place, small files, no sync in between.
CRASH_WORKLOAD = ("( ( i=0; while :; do i=$((i+1)); "
                  f"{FSBENCH} write /data/crash$((i % 4)) 4 >/dev/null; "
                  "echo $i > /data/n$i; done ) >/dev/null 2>&1 & )")


def ofs_figures(out, kernel):
    os.makedirs(WORK, exist_ok=True)
    ofs_disk = sparse_disk(os.path.join(WORK, "ofs.img"), DISK_MIB)
    ext2_disk = sparse_disk(os.path.join(WORK, "ext2.img"), DISK_MIB)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", ext2_disk], check=True)
    g = Guest.boot(kernel=kernel, append="quiet ofs.format=empty",
                   extra_args=two_disks(ofs_disk, ext2_disk))
    try:
        g.check("mkdir -p /data /mnt/ext2")
        ofs_dev, ext2_dev = find_devices(g)
        g.check(f"mount -t ofs {ofs_dev} /data")     # formats the empty disk
        out.update(fs_round(g, "ofs", ofs_dev, "/data", "ofs"))
        out.update(fs_round(g, "ext2", ext2_dev, "/mnt/ext2", "ext2"))
        g.check("umount /data")
        out.update(guest_figures(g, f"{FSBENCH} -p ofs_clean_ mount {ofs_dev} /data ofs"))
        g.check(CRASH_WORKLOAD)
        time.sleep(5)
        g.check("[ -e /data/n1 ]")      # the workload is running: the kill lands in it
        g.child.kill(signal.SIGKILL)
        g.child.wait()
    finally:
        g.close()
    g = Guest.boot(kernel=kernel, append="quiet", extra_args=two_disks(ofs_disk, ext2_disk))
    try:
        g.check("mkdir -p /data /mnt/ext2")
        ofs_dev, _ = find_devices(g)
        out.update(guest_figures(g, f"{FSBENCH} -p ofs_crash_ mount {ofs_dev} /data ofs"))
        g.check("umount /data /mnt/ext2")
        g.poweroff()
    finally:
        g.close()


# --- #15: dm-verity on the root ---------------------------------------------------------------

VERITY_FILE = "/opt/bench/verity-20m"
VERITY_FILE_MIB = 20
ROOT_FSBENCH = "/opt/bench/fsbench"     # the disk root has no /opt/tests (the initramfs has)
ROOT_OPENV_BENCH = "/opt/bench/openv-bench"
SMALL_DIR = "/opt/bench/small"          # SMALL_FILES files of 1-8 KiB (bench_disk.py)
SMALL_FILES = 500
BENCH_IMAGE = os.path.join(WORK, "openv-bench.img")
_bench_image = []


def bench_files():
    """The bench's files on the root, the same bytes every time: the 20 MiB file (a 64 KiB
    pattern repeated), fsbench and openv-bench, and SMALL_FILES files of pseudo-random size
    and bytes (Python's Random, seeded)."""
    import random
    pattern = bytes((i * 2654435761 >> 13) & 0xff for i in range(1 << 16))
    files = {VERITY_FILE: pattern * (VERITY_FILE_MIB * 16)}
    for path, name in ((ROOT_FSBENCH, "fsbench"), (ROOT_OPENV_BENCH, "openv-bench")):
        with open(os.path.join(BUILD, "bench", name), "rb") as f:
            files[path] = (f.read(), 0o755)
    rng = random.Random(14)
    for i in range(SMALL_FILES):
        files[f"{SMALL_DIR}/f{i:03d}"] = rng.randbytes(rng.randint(1024, 8192))
    return files


def bench_image():
    """build/bench-system/openv-bench.img: build/openv.img's recipe (image/mkimage.py, openv's
    build/kernel/Image in its FIT) with bench_files() on the root; built once per run. Returns
    (path, the verity parameters). The bench boots it with -kernel, any kernel. Not the shipped
    image: make image never adds these files."""
    if not _bench_image:
        import mkimage      # image/ (sshguest put it on the path)
        os.makedirs(WORK, exist_ok=True)
        with contextlib.redirect_stdout(sys.stderr):
            params = mkimage.build(BUILD, os.path.join(BUILD, "kernel", "Image"), BENCH_IMAGE,
                                   extra_files=bench_files())
        _bench_image.append((BENCH_IMAGE, params))
    return _bench_image[0]


def verity_figures(out, kernel):
    """Sequential read of a 20 MiB root file through dm-verity (the root, dm-0 from the image's
    dm-mod.create) and of the same file straight from the partition (partition 2 mounted
    read-only on /mnt beside it), alternated three times in one boot; medians. Each read is
    cold in the guest (after drop_caches: the page cache would keep the whole file), the
    host's page cache is warm. The kernel is started with -kernel (build/kernel/Image has no
    built-in command line). dm-0 holds its partitions exclusively (as Linux does), so the
    plain one is a second disk, the same image: whichever of vda2 and vdb2 dm-0 did not take."""
    image, params = bench_image()
    g = pexpect_root_shell(kernel, image, f"{params['cmdline']} quiet openv.autologin", "verity")
    try:
        g.check("mount -t ext2 -o ro /dev/vdb2 /mnt 2>/dev/null || "
                "mount -t ext2 -o ro /dev/vda2 /mnt")
        runs = {"verity": [], "plain": []}
        for _ in range(3):
            for name, path in (("plain", "/mnt" + VERITY_FILE), ("verity", VERITY_FILE)):
                g.check("sync; echo 3 > /proc/sys/vm/drop_caches")
                figures = guest_figures(g, f"{ROOT_FSBENCH} -p {name}_ read {path}")
                runs[name].append(figures[f"{name}_seq_read"]["value"])
        g.check("umount /mnt")
        g.poweroff()
    finally:
        g.close()
    plain, verified = statistics.median(runs["plain"]), statistics.median(runs["verity"])
    out["root_plain_seq_read_20m"] = fig(plain, "MB/s")
    out["root_verity_seq_read_20m"] = fig(verified, "MB/s")
    out["root_verity_read_cost"] = fig(100 * (1 - verified / plain), "%")


def pexpect_root_shell(kernel, image, append, name):
    import pexpect
    from guest import PROMPT
    child = pexpect.spawn("qemu-system-riscv64", [
        "-M", "virt", "-m", "512M", "-smp", "1", "-nographic", "-no-reboot", "-kernel", kernel,
        "-append", append, "-drive", f"file={image},format=raw,if=none,id=hd0,snapshot=on",
        "-device", "virtio-blk-device,drive=hd0",
        "-drive", f"file={image},format=raw,if=none,id=hd1,snapshot=on",
        "-device", "virtio-blk-device,drive=hd1"], encoding="utf-8", codec_errors="replace",
        timeout=120, echo=False)
    child.logfile_read = console_log(f"verity-{name}")
    g = Guest(child, child.logfile_read.name)
    g.expect(r"openv:[^\r\n]*# $", 120)
    child.sendline(f"PS1='{PROMPT}'")
    g.expect_exact(PROMPT, 60)
    return g


def measure(kernel):
    """The figures, or {"error": ...} for a part that failed; runs each part in turn."""
    result = {"figures": {}, "notes": NOTES}
    parts = [("image", lambda f: image_figures(f)), ("ssh", lambda f: ssh_figures(f, kernel)),
             ("ofs", lambda f: ofs_figures(f, kernel)),
             ("verity", lambda f: verity_figures(f, kernel)),
             ("cloudinit", lambda f: bench_cloudinit.figures(f, kernel))]
    only = os.environ.get("BENCH_SYSTEM_PARTS")
    for name, part in parts:
        if only and name not in only.split(","):
            continue
        if name == "ssh" and os.environ.get("BENCH_SKIP_NET") == "1":
            continue
        if name == "cloudinit" and os.environ.get("BENCH_SKIP_CLOUDINIT") == "1":
            continue
        log(f"{name}...")
        start = time.monotonic()
        try:
            part(result["figures"])
        except (GuestError, OSError, subprocess.SubprocessError, AssertionError) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            result.setdefault("errors", {})[name] = msg
            log(f"{name}: {e}")
        log(f"{name}: {time.monotonic() - start:.0f} s")
    return result


NOTES = {
    "cloudinit_*": bench_cloudinit.NOTE,
    "image_*": "build/openv.img: file size, allocated bytes of the sparse file, `xz -T1 -6` "
               "size; boot = QEMU start (make run's command line, disk as snapshot) to "
               "'openv login:' through OpenSBI + stock U-Boot; _pci: the same with disk, NIC and "
               "RNG on virtio-pci (if=virtio, virtio-net-pci, virtio-rng-pci); "
               "image_signed_boot_to_login: the same through our U-Boot (signature checked, "
               "-dtb with the key); image_signed_boot_<phase>: the same boot's milestones (U-Boot's "
               "banner, the signature checked, 'Starting kernel', the root mounted, sshd "
               "listening), image_signed_boot_cpu: QEMU's CPU seconds (user + system) at the login "
               "prompt, the boot's cost on a host nobody else uses (a first boot: /data is "
               "formatted and the SSH host keys made)",
    "ssh_*": "image with build/dev-ssh key, first boot (host keys made then): QEMU start to "
             "the first successful `ssh true`; median of `ssh true`; upload `cat >/dev/null` "
             "and download `dd if=/dev/zero bs=64k` of 32 MiB, MB/s with the connection setup "
             "taken off",
    "ofs_*, ext2_*": "initramfs boot, 256 MiB sparse raw disks on virtio-blk, fsbench in the "
                     "guest: create+write 1000 B+fsync+close per file; 32 MiB in 1 MiB "
                     "writes + fsync; read after umount+mount (host page cache warm); "
                     "*_warm_read: the same read again, from openv's page cache",
    "root_*_seq_read_20m": "a 20 MiB file of the bench image's root in 1 MiB read()s, "
                           "through dm-verity (the root, dm-0) and from partition 2 of a "
                           "second copy of the disk mounted beside it, alternated 3 times in "
                           "one boot, medians; cold in the guest (drop_caches before each), "
                           "host page cache warm; root_verity_read_cost = the throughput "
                           "lost, %",
    "ofs_clean_mount / ofs_crash_mount": "mount(2) of /data after umount, and after SIGKILL "
                                         "of QEMU 5 s into a write workload without sync",
}


def print_table(result, file=sys.stderr):
    print(f"\n{'openv system (no Linux counterpart)':40} {'value':>11}", file=file)
    for key in sorted(result["figures"]):
        f = result["figures"][key]
        print(f"{key:40} {f['value']:>11.4g} {f['unit']:<7}", file=file)
    for part, msg in sorted(result.get("errors", {}).items()):
        print(f"{part + ': failed':40} {msg}", file=file)


if __name__ == "__main__":      # the system figures alone: python3 tools/bench_system.py
    import json
    result = measure(os.path.join(BUILD, "kernel", "Image"))
    print_table(result)
    print(json.dumps(result, indent=2, sort_keys=True))
