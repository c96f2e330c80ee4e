#!/usr/bin/env python3
"""`make fuzz-disks N=200 [SEED=S]`: damaged filesystems against the kernel. Each disk is a small
image made on the host from one tree, with 1..300 random bytes flipped, half of them in the
first 256 KiB (1 MiB for FAT32) where the metadata is:
- ext2 (mke2fs -d) and OFS (mkfs.ofs -d): the guest mounts it read-write, lists and reads (the
  first MiB of) every file, writes one, syncs and unmounts. Errors are fine.
- iso9660 (genisoimage, Rock Ridge + Joliet) and vfat (mkfs.vfat + mtools; FAT12, FAT16 or
  FAT32): attached read-only, mounted read-only, walked WALK_DEPTH deep with every entry
  stat'ed (find, ls -ld: lstat and readlink), every file read. Every error must be EIO or
  EINVAL ("I/O error", "Invalid argument"), and an EIO must come with a kernel log line of
  that filesystem: another errno, or a silent EIO, fails the run as a wrong answer. (A mount
  that finds no filesystem at all is EINVAL, unlogged, as Linux's "wrong fs type"; a directory
  record naming its own ancestor is ELOOP with the VFS's "would have caused loop", as Linux.)
The filesystem follows from the seed (seed % 4: ext2, OFS, iso9660, vfat), so a boot of four
consecutive seeds has one of each. Four disks go to one boot of the initramfs as vda..vdd. A
kernel panic, or a disk that makes no progress for 60 s (a hang), fails the run and prints
the seed of the disk, which `make fuzz-disks N=1 SEED=S` replays. `make test` runs one boot
of four disks (tests/integration/test_fuzz_disks.py)."""

import argparse
import os
import random
import re
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
FS_KINDS = ("ext2", "ofs", "iso9660", "vfat")
READ_ONLY = ("iso9660", "vfat")
# vfat variants: FAT type, image size, sectors per cluster (the type follows from the count of
# clusters: FAT12 < 4085 <= FAT16 < 65525 <= FAT32), and how far the metadata reaches.
FAT_VARIANTS = {"fat12": (12, 16 << 20, 16, 256 << 10),
                "fat16": (16, 16 << 20, 4, 256 << 10),
                "fat32": (32, 40 << 20, 1, 1 << 20)}
# What a damaged read-only filesystem may answer (strerror texts as BusyBox prints them), and
# the kernel log line each must come with (None: none needed). A directory record that names
# an ancestor is ELOOP, with the VFS's line, as in Linux.
ALLOWED_ERRORS = {"I/O error": "fs", "Invalid argument": None,
                  "Symbolic link loop": "would have caused loop"}
# How deep the guest walks: a damaged directory may lead back up the tree (FAT, like Linux's,
# cannot tell), and a walk without a bound would go round it until the paths are too long.
WALK_DEPTH = 12


def make_tree(top, links=True):
    """A small tree with every shape the readers walk: nested directories, empty and large
    files (indirect blocks, several extents, long cluster chains), symlinks, a hard link, many
    names in one dir (several directory blocks, long names). vfat gets it without links."""
    shutil.copytree(os.path.join(ROOT, "rootfs"), os.path.join(top, "rootfs"), symlinks=links)
    rng = random.Random(1)
    os.makedirs(os.path.join(top, "a", "b", "c", "d", "e", "f"))
    with open(os.path.join(top, "a", "big"), "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(300 << 10)))
    open(os.path.join(top, "a", "b", "empty"), "w").close()
    with open(os.path.join(top, "a", "b", "c", "d", "e", "f", "deep"), "w") as f:
        f.write("deep\n")
    many = os.path.join(top, "many")
    os.makedirs(many)
    for i in range(300):
        with open(os.path.join(many, f"file-with-a-longish-name-{i:04d}"), "w") as f:
            f.write(str(i) * (i % 50))
    if links:
        os.symlink("../a/big", os.path.join(top, "a", "b", "c", "link"))
        os.symlink("x" * 200, os.path.join(top, "long-link"))
        os.link(os.path.join(top, "a", "big"), os.path.join(top, "a", "hard"))


def _ensure_ofs_tools():
    if not os.path.exists(MKFS_OFS):
        subprocess.run(["make", "--no-print-directory", "ofs-tools"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)


def make_base(work, kind):
    """The undamaged image of one kind (ext2, ofs, iso9660, fat12, fat16, fat32)."""
    out = os.path.join(work, f"base-{kind}.img")
    tree = os.path.join(work, "tree-nolinks" if kind.startswith("fat") else "tree")
    if not os.path.isdir(tree):
        make_tree(tree, links=not kind.startswith("fat"))
    if kind == "ext2":
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", "-d", tree, out,
                        str(DISK_SIZE >> 10)], check=True, stdout=subprocess.DEVNULL)
    elif kind == "ofs":
        _ensure_ofs_tools()
        subprocess.run([MKFS_OFS, "-q", "-s", str(DISK_SIZE), "-d", tree, out], check=True)
    elif kind == "iso9660":
        # Rock Ridge (names, modes, symlinks, hard links) and Joliet (UCS-2 names), as a
        # cloud-init seed or a ConfigDrive is made.
        subprocess.run(["genisoimage", "-quiet", "-V", "FUZZ", "-R", "-J", "-joliet-long",
                        "-o", out, tree], check=True)
    else:
        bits, size, spc, _ = FAT_VARIANTS[kind]
        with open(out, "wb") as f:
            f.truncate(size)
        subprocess.run(["mkfs.vfat", "-F", str(bits), "-s", str(spc), "-n", "FUZZ", out],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
        names = sorted(os.listdir(tree))
        subprocess.run(["mcopy", "-s", "-Q", "-i", out, *(os.path.join(tree, n) for n in names),
                        "::/"], check=True, env=env)
    return out


class Bases:
    """Base images, made the first time a disk needs one."""

    def __init__(self, work):
        self.work = work
        self.paths = {}

    def __getitem__(self, kind):
        if kind not in self.paths:
            self.paths[kind] = make_base(self.work, kind)
        return self.paths[kind]


def base_images(work):
    return Bases(work)


def damaged(bases, seed, out):
    """The disk of `seed`: which filesystem (and variant), and how many flips; written to out."""
    rng = random.Random(seed)
    fs = FS_KINDS[seed % len(FS_KINDS)]
    kind, meta = fs, 256 << 10
    if fs == "vfat":
        kind = rng.choice(sorted(FAT_VARIANTS))
        meta = FAT_VARIANTS[kind][3]
    shutil.copyfile(bases[kind], out)
    size = os.path.getsize(out)
    flips = rng.randint(1, 300)
    with open(out, "r+b") as f:
        for _ in range(flips):
            off = rng.randrange(min(meta, size)) if rng.random() < 0.5 else rng.randrange(size)
            f.seek(off)
            b = f.read(1)
            f.seek(off)
            f.write(bytes([b[0] ^ (1 << rng.randrange(8))]))
    return fs, kind, flips


def guest_script(dev, fs):
    if fs in READ_ONLY:
        return guest_script_ro(dev, fs)
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


LOG_WORD = {"iso9660": "isofs", "vfat": "vfat"}


def guest_script_ro(dev, fs):
    """A read-only filesystem: mount ro, walk it (find: readdir and lstat; ls -ld: lstat and
    readlink of each entry), read the first MiB of every file, unmount; the errors (stderr) and
    the kernel's log lines since the mount come back between markers for check_ro()."""
    err = f"/tmp/fuzz-err-{dev}"
    walk = f"find /mnt/{dev} -maxdepth {WALK_DEPTH}"
    return (f"mkdir -p /mnt/{dev}; dmesg -c >/dev/null; : >{err}; "
            f"if mount -r -t {fs} /dev/{dev} /mnt/{dev} 2>>{err}; then "
            f"{walk} -exec ls -ld {{}} + >/dev/null 2>>{err}; "
            f"{walk} -type f -exec head -c 1048576 {{}} + >/dev/null 2>>{err}; "
            f"umount /mnt/{dev} 2>>{err} || umount -l /mnt/{dev}; fi; "
            f"echo '__ERR''S__'; cat {err}; echo '__LO''G__'; "
            f"dmesg | grep -e '{LOG_WORD[fs]}' -e 'would have caused loop' -e 'callbacks suppressed' "
            f"-e 'Kernel ''panic' -e 'BU''G' | head -n 40; "
            f"echo disk-done")


def check_ro(fs, out):
    """The problems in a read-only disk's output (empty: fine): an errno other than those of
    ALLOWED_ERRORS, or one without the kernel log line it needs; and a summary for the log."""
    m = re.search(r"__ERRS__\r?\n(.*?)__LOG__\r?\n(.*?)disk-done", out, re.S)
    if not m:
        return ["no error summary"], ""
    # Console lines of the kernel ("[   3.1] ...") may land among the errors: not errors.
    errs = [line.strip() for line in m.group(1).splitlines()
            if line.strip() and not re.match(r"\s*\[\s*\d+\.\d+\]", line)]
    log = [line.strip() for line in m.group(2).splitlines() if line.strip()]
    # The filesystem's own lines (not its "mounted" line); a rate-limited burst may end in
    # "<func>: N callbacks suppressed".
    fs_lines = [line for line in log if (LOG_WORD[fs] in line and "mounted" not in line)
                or "callbacks suppressed" in line]
    problems = []
    for line in errs:
        # "ls: /mnt/vda/x: I/O error", "mount: mounting /dev/vda on /mnt/vda failed: ...".
        reason = line.rsplit(": ", 1)[-1]
        if reason not in ALLOWED_ERRORS:
            problems.append(f"unexpected error: {line}")
            continue
        need = ALLOWED_ERRORS[reason]
        lines = fs_lines if need == "fs" else [x for x in log if need and need in x]
        if need and not lines:
            problems.append(f"{reason} without a kernel log line: {line}")
    mounted = not any(line.startswith("mount:") for line in errs)
    summary = (f"{'mounted' if mounted else 'not mounted'}, {len(errs)} errors, "
               f"{len(fs_lines)} log lines")
    return problems, summary


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
                fs, kind, flips = damaged(bases, s, path)
                disks.append((s, fs, kind, flips, "vd" + "abcd"[i]))
                ro = ",readonly=on" if fs in READ_ONLY else ""
                extra += ["-drive", f"file={path},format=raw,if=none,id=hd{i}{ro}",
                          "-device", f"virtio-blk-device,drive=hd{i}"]
            # The first -device is vda (QEMU fills the virtio-mmio slots from the top address,
            # which the kernel probes first).
            with Guest.boot(extra_args=extra) as g:
                for s, fs, kind, flips, dev in disks:
                    what = f"seed {s} ({kind}, {flips} flips, /dev/{dev})"
                    try:
                        out, _ = g.run(guest_script(dev, fs), timeout=STALL)
                    except GuestError as e:
                        text = str(e)
                        why = "KERNEL PANIC" if "Kernel panic" in g.tail(20000) else "HANG"
                        failures.append(f"{why}: {what}; replay: make fuzz-disks N=1 SEED={s}; "
                                        f"console: {g.log_path}\n{text[-1500:]}")
                        log(failures[-1])
                        break
                    if "Kernel panic" in out or "disk-done" not in out:
                        failures.append(f"FAILED: {what}; replay: make fuzz-disks N=1 SEED={s}; "
                                        f"console: {g.log_path}\n{out[-1500:]}")
                        log(failures[-1])
                        break
                    problems, summary = check_ro(fs, out) if fs in READ_ONLY else ([], "")
                    if problems:
                        failures.append(f"WRONG ANSWER: {what}; replay: make fuzz-disks N=1 "
                                        f"SEED={s}; console: {g.log_path}\n" +
                                        "\n".join(problems[:10]))
                        log(failures[-1])
                        continue
                    log(f"ok {what}" + (f": {summary}" if summary else ""))
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
