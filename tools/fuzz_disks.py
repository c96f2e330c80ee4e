#!/usr/bin/env python3
"""`make fuzz-disks N=200 [SEED=S]`: damaged filesystems against the kernel. Each disk is a small
ext2 or OFS image (made on the host from the same tree: mke2fs -d, mkfs.ofs -d) with 1..300
random bytes flipped, half of them in the first 256 KiB where the metadata is. Four disks go to
one boot of the initramfs as vda..vdd; the guest mounts each (read-write), lists and reads (the
first MiB of) every file, writes one, syncs and unmounts. Errors are fine; a kernel panic, or a
disk that makes no progress for 60 s (a hang), fails the run and prints the seed of the disk,
which `make fuzz-disks N=1 SEED=S` replays. openv reads no iso9660 or vfat, so those are not
made. `make test` runs one boot of four disks (tests/integration/test_fuzz_disks.py)."""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from guest import BUILD, Guest, GuestError  # noqa: E402

DISK_SIZE = 16 << 20
PER_BOOT = 4
STALL = 60
MKFS_OFS = os.path.join(BUILD, "tools", "mkfs.ofs")


def make_tree(top):
    """A small tree with every shape the readers walk: nested directories, empty and large
    files (indirect blocks, several extents), symlinks, a hard link, many names in one dir."""
    shutil.copytree(os.path.join(ROOT, "rootfs"), os.path.join(top, "rootfs"), symlinks=True)
    rng = random.Random(1)
    os.makedirs(os.path.join(top, "a", "b", "c"))
    with open(os.path.join(top, "a", "big"), "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(300 << 10)))
    open(os.path.join(top, "a", "b", "empty"), "w").close()
    many = os.path.join(top, "many")
    os.makedirs(many)
    for i in range(300):
        with open(os.path.join(many, f"file-with-a-longish-name-{i:04d}"), "w") as f:
            f.write(str(i) * (i % 50))
    os.symlink("../a/big", os.path.join(top, "a", "b", "c", "link"))
    os.symlink("x" * 200, os.path.join(top, "long-link"))
    os.link(os.path.join(top, "a", "big"), os.path.join(top, "a", "hard"))


def base_images(work):
    tree = os.path.join(work, "tree")
    make_tree(tree)
    ext2 = os.path.join(work, "base-ext2.img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", "-d", tree, ext2,
                    str(DISK_SIZE >> 10)], check=True, stdout=subprocess.DEVNULL)
    if not os.path.exists(MKFS_OFS):
        subprocess.run(["make", "--no-print-directory", "ofs-tools"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    ofs = os.path.join(work, "base-ofs.img")
    subprocess.run([MKFS_OFS, "-q", "-s", str(DISK_SIZE), "-d", tree, ofs], check=True)
    return {"ext2": ext2, "ofs": ofs}


def damaged(bases, seed, out):
    """The disk of `seed`: which filesystem, and how many flips; written to out."""
    rng = random.Random(seed)
    fs = "ext2" if rng.random() < 0.5 else "ofs"
    shutil.copyfile(bases[fs], out)
    flips = rng.randint(1, 300)
    with open(out, "r+b") as f:
        for _ in range(flips):
            off = rng.randrange(256 << 10) if rng.random() < 0.5 else rng.randrange(DISK_SIZE)
            f.seek(off)
            b = f.read(1)
            f.seek(off)
            f.write(bytes([b[0] ^ (1 << rng.randrange(8))]))
    return fs, flips


def guest_script(dev, fs):
    # Every step may fail on a damaged disk; only the kernel's answer (or silence) matters.
    return (f"mkdir -p /mnt/{dev}; "
            f"if mount -t {fs} /dev/{dev} /mnt/{dev} 2>/dev/null || "
            f"mount /dev/{dev} /mnt/{dev}; then "
            f"ls -lR /mnt/{dev} >/dev/null 2>&1; "
            # The first MiB of each file: a flipped size field can make a file terabytes of
            # holes, which reading to the end would take hours over (progress, not a hang).
            f"find /mnt/{dev} -type f -exec head -c 1048576 {{}} + >/dev/null 2>&1; "
            f"echo fuzz > /mnt/{dev}/new-file 2>/dev/null; mkdir /mnt/{dev}/new-dir 2>/dev/null; "
            f"rm -rf /mnt/{dev}/many 2>/dev/null; sync; "
            f"umount /mnt/{dev} || umount -l /mnt/{dev}; fi; echo disk-done")


def run(n, seed, log=print):
    """Fuzz n disks from seed on; returns a list of failure texts (empty: clean)."""
    failures = []
    with tempfile.TemporaryDirectory(prefix="fuzz-disks-") as work:
        bases = base_images(work)
        for first in range(0, n, PER_BOOT):
            seeds = [seed + i for i in range(first, min(n, first + PER_BOOT))]
            disks, extra = [], []
            for i, s in enumerate(seeds):
                path = os.path.join(work, f"disk-{s}.img")
                fs, flips = damaged(bases, s, path)
                disks.append((s, fs, flips, "vd" + "abcd"[i]))
                extra += ["-drive", f"file={path},format=raw,if=none,id=hd{i}",
                          "-device", f"virtio-blk-device,drive=hd{i}"]
            # The first -device is vda (QEMU fills the virtio-mmio slots from the top address,
            # which the kernel probes first).
            with Guest.boot(extra_args=extra) as g:
                for s, fs, flips, dev in disks:
                    what = f"seed {s} ({fs}, {flips} flips, /dev/{dev})"
                    try:
                        out, _ = g.run(guest_script(dev, fs), timeout=STALL)
                    except GuestError as e:
                        text = str(e)
                        kind = "KERNEL PANIC" if "Kernel panic" in g.tail(20000) else "HANG"
                        failures.append(f"{kind}: {what}; replay: make fuzz-disks N=1 SEED={s}; "
                                        f"console: {g.log_path}\n{text[-1500:]}")
                        log(failures[-1])
                        break
                    if "Kernel panic" in out or "disk-done" not in out:
                        failures.append(f"FAILED: {what}; replay: make fuzz-disks N=1 SEED={s}; "
                                        f"console: {g.log_path}\n{out[-1500:]}")
                        log(failures[-1])
                        break
                    log(f"ok {what}")
            if failures:
                break
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"fuzz-disks: {a.n} disks from seed {seed}", flush=True)
    failures = run(a.n, seed, log=lambda s: print(s, flush=True))
    print("fuzz-disks: " + ("FAILED" if failures else f"{a.n} disks clean (seed {seed})"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
