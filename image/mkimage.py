#!/usr/bin/python3
"""Build openv.img: the bootable, reproducible disk image.

GPT, fixed GUIDs:
  1 boot        FAT, legacy-BIOS-bootable: extlinux/extlinux.conf and openv.itb, a FIT with the
                kernel and its sha256 and conf-1 signed (RSA 2048, sha256; our U-Boot requires
                the signature, stock U-Boot checks the sha256; docs/verified-boot.md)
  2 root        ext2 made by mke2fs -d from the staged rootfs, mounted read-only
  3 root-verity the root's dm-verity hash tree (verity.py: `veritysetup format`'s bytes)
  4 data        the persistent data partition (all zero: formatted on first boot)

The signing key: SIGNING_KEY_DIR/openv.key, else build/keys/openv.key (made on first use); its
public key goes to <out dir>/openv-key.dtb as /signature/key-openv, required = "conf".

Reproducible by construction (with the same key): SOURCE_DATE_EPOCH for every time (mke2fs 1.47.0 leaks host
times, so every inode's times are rewritten with debugfs), fixed UUIDs, GUIDs and hash seed,
sorted inputs, mkfs.vfat --invariant, and owners, modes and device nodes set through debugfs
so that the build needs no root.
"""

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkinitramfs  # noqa: E402
import verity  # noqa: E402

MiB = 1 << 20
SECTOR = 512

# Fixed identities: part of the image's reproducibility (and the kernel command line).
DISK_GUID = "6f70656e-7600-4000-8000-000000000000"
PARTITIONS = [
    # (number, name, type GUID, unique GUID, size in MiB)
    (1, "boot", "bc13c2ff-59e6-4262-a352-b275fd6f7172", "6f70656e-7600-4000-8000-000000000001", 16),
    (2, "root", "72ec70a6-cf74-40e6-bd49-4bda08e8f224", "6f70656e-7600-4000-8000-000000000002", 48),
    (3, "root-verity", "b6ed5582-440b-4209-b8da-5ff7c419ea3d", "6f70656e-7600-4000-8000-000000000003", 4),
    (4, "data", "0fc63daf-8483-4772-8e79-3d69d8477de4", "6f70656e-7600-4000-8000-000000000004", 256),
]
ROOT_FS_UUID = "6f70656e-7600-4000-8000-0000000000f2"
ROOT_HASH_SEED = "6f70656e-7600-4000-8000-0000000000f3"
# The verity superblock's UUID (veritysetup format --uuid); the salt is derived from the root
# filesystem's bytes, so it is the same for the same build and differs between builds.
VERITY_UUID = "6f70656e-7600-4000-8000-0000000000f4"
VERITY_SALT_DOMAIN = b"openv dm-verity salt v1\0"
# The device-mapper device the kernel makes from dm-mod.create (Linux's dm-init syntax:
# name,uuid,minor,flags,table); the root is mounted from it.
VERITY_DM_NAME = "vroot"
FAT_LABEL = "OPENV-BOOT"
KERNEL_LOAD = 0x80200000


def run(argv, **kw):
    # Every tool sees the same epoch (mkimage stamps the FIT with the current time otherwise).
    kw["env"] = dict(kw.get("env") or os.environ, SOURCE_DATE_EPOCH=str(epoch()), LC_ALL="C", TZ="UTC")
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"mkimage: {' '.join(argv[:3])}... failed (exit {r.returncode}):\n{r.stdout[-3000:]}")
    return r.stdout


def epoch():
    return mkinitramfs.source_date_epoch()


def part_uuid(n):
    return next(p[3] for p in PARTITIONS if p[0] == n)


# ---------------------------------------------------------------------------------------------
# Root filesystem


def stage_rootfs(tree, stage):
    """Write the tree's dirs, files and symlinks to `stage`; return the debugfs fix-up commands
    (owner root, exact modes, device nodes) that a non-root build cannot express on disk."""
    fixups = []
    for path in sorted(tree.entries):
        kind, perm, payload = tree.entries[path]
        dest = os.path.join(stage, path)
        if kind == "dir":
            os.makedirs(dest, exist_ok=True)
        elif kind == "file":
            with open(dest, "wb") as f:
                f.write(payload)
        elif kind == "symlink":
            os.symlink(payload.decode(), dest)
        else:
            major, minor = payload
            parent, name = os.path.split(path)
            fixups.append(f"cd /{parent}")
            fixups.append(f"mknod {name} {'c' if kind == 'chr' else 'b'} {major} {minor}")
            fixups.append("cd /")
            type_bits = 0o20000 if kind == "chr" else 0o60000
            fixups.append(f"sif /{path} mode 0{type_bits | perm:o}")
            continue
        if kind != "symlink":
            type_bits = 0o40000 if kind == "dir" else 0o100000
            fixups.append(f"sif /{path} mode 0{type_bits | perm:o}")
    for path in sorted(tree.entries):
        fixups.append(f"sif /{path} uid 0")
        fixups.append(f"sif /{path} gid 0")
    return fixups


def make_root_ext2(tree, out, size_mib, epoch, work):
    stage = os.path.join(work, "rootfs")
    os.makedirs(stage)
    fixups = stage_rootfs(tree, stage)
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(epoch))
    run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", "-L", "openv-root",
         "-U", ROOT_FS_UUID, "-E", f"hash_seed={ROOT_HASH_SEED},root_owner=0:0",
         "-N", "2048", "-m", "0", "-d", stage, out, f"{size_mib}M"], env=env)
    # Every inode's times, and the fix-ups. Paths come from the tree; the root, lost+found and
    # their parents are added explicitly.
    cmds = list(fixups)
    paths = ["/", "/lost+found"] + [f"/{p}" for p in sorted(tree.entries)]
    for p in paths:
        for field in ("atime", "ctime", "mtime", "crtime"):
            cmds.append(f"sif {p} {field} @{epoch}")
    script = os.path.join(work, "debugfs.cmds")
    with open(script, "w", encoding="utf-8") as f:
        f.write("\n".join(cmds) + "\n")
    run(["debugfs", "-w", "-f", script, out], env=env)
    fsck = subprocess.run(["e2fsck", "-fn", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if fsck.returncode != 0:
        sys.exit(f"mkimage: the root filesystem is not clean:\n{fsck.stdout[-3000:]}")


# ---------------------------------------------------------------------------------------------
# Boot partition


FIT_SOURCE = """/dts-v1/;

/ {{
    description = "openv";
    #address-cells = <1>;

    images {{
        kernel-1 {{
            description = "openv kernel";
            data = /incbin/("{kernel}");
            type = "kernel";
            arch = "riscv";
            os = "linux";
            compression = "none";
            load = <0x{load:08x}>;
            entry = <0x{load:08x}>;
            hash-1 {{
                algo = "sha256";
            }};
        }};
    }};

    configurations {{
        default = "conf-1";
        conf-1 {{
            description = "openv";
            kernel = "kernel-1";{rollback}{signature}
        }};
    }};
}};
"""

# The configuration's signature: covers the configuration and every image it loads (the kernel,
# and with it the built-in command line: the root, the verity root hash and salt). PKCS#1 v1.5,
# deterministic: the same key signs the same FIT to the same bytes.
SIGNATURE = """
            signature-1 {{
                algo = "sha256,rsa2048";
                key-name-hint = "{key}";
                sign-images = "kernel";
            }};"""
KEY_NAME = "openv"

# Rollback protection (docs/verified-boot.md): the image's rollback index (release/ROLLBACK_INDEX,
# raised by a release that must not be downgraded from) goes into conf-1, under the signature;
# the key DTB carries it as the minimum our U-Boot accepts (/signature, openv,min-rollback-index),
# and so does every control DTB ctrl-dtb.sh makes from it.
ROLLBACK_PROP = "openv,rollback-index"
MIN_ROLLBACK_PROP = "openv,min-rollback-index"
ROLLBACK = """
            {prop} = <{index}>;"""


def rollback_index():
    """The image's rollback index: ROLLBACK_INDEX, else release/ROLLBACK_INDEX."""
    text = os.environ.get("ROLLBACK_INDEX") or open(
        os.path.join(mkinitramfs.REPO, "release", "ROLLBACK_INDEX"), encoding="utf-8").read()
    text = text.strip()
    # Below 2^24: U-Boot's `fdt get value` shows a 4-byte value whose first byte is not zero
    # as a string when it happens to look like one.
    if not text.isdigit() or int(text) >= 1 << 24:
        sys.exit(f"mkimage: rollback index {text!r} is not a number from 0 to 16777215")
    return int(text)

# Debian's U-Boot refuses an extlinux `append` longer than its console buffer ("bootarg
# overflow 322+0+0+1 > 256", then no boot at all): the line there must stay below 256 bytes.
# So extlinux.conf names the verity partitions /dev/vda2 and /dev/vda3 (Debian's U-Boot boots
# the first virtio disk only, which the kernel calls vda), and only the built-in command line,
# which is what openv's kernel uses, takes the longer PARTUUID= names.
EXTLINUX_MAX = 255
EXTLINUX = """# openv: read by U-Boot's distro boot (extlinux)
default openv
timeout 0

label openv
    kernel /openv.itb
    append {cmdline}
"""


# ---------------------------------------------------------------------------------------------
# dm-verity and the trusted command line


def make_root_verity(root, out):
    """Write the root's hash device to `out`; return (root hash, salt, data blocks)."""
    with open(root, "rb") as f:
        data = f.read()
    salt = hashlib.sha256(VERITY_SALT_DOMAIN + data).digest()
    content, root_hash = verity.format_hash_device(data, salt, VERITY_UUID)
    with open(out, "wb") as f:
        f.write(content)
    return root_hash, salt, len(data) // verity.BLOCK


def verity_cmdline(root_hash, salt, data_blocks, by_partuuid=True):
    """Linux's convention: dm-mod.create makes dm-0 from the table, root= mounts it. The
    table names partitions 2 and 3 by their fixed PARTUUIDs (Linux's dm-init resolves table
    devices through early_lookup_bdev, which takes PARTUUID=), so the root is found whatever
    disk the image is (vda, or vdb behind a seed disk probed first). by_partuuid=False: as
    /dev/vda2 and /dev/vda3, short enough for extlinux.conf (see EXTLINUX_MAX)."""
    if by_partuuid:
        data, hashdev = f"PARTUUID={part_uuid(2)}", f"PARTUUID={part_uuid(3)}"
    else:
        data, hashdev = "/dev/vda2", "/dev/vda3"
    table = verity.table(data, hashdev, data_blocks, root_hash, salt)
    return f'dm-mod.create="{VERITY_DM_NAME},,,ro,{table}" root=/dev/dm-0'


# The kernel's built-in command line (kernel/kernel/cmdline.c): a region in the kernel image
# that starts with this magic, then the capacity (u32 LE) and a reserved u32, then the text
# (all zero as the kernel is built). Patching it before the FIT is made puts the command line
# under the FIT's hash (and later its signature); the kernel prefers it to /chosen/bootargs.
BUILTIN_CMDLINE_MAGIC = b"openv:cmdline:v1"


def patch_builtin_cmdline(kernel, cmdline, out):
    """Copy `kernel` to `out` with `cmdline` in its built-in region. Returns False (and copies
    the kernel unchanged) if the kernel has none (the Linux reference kernel)."""
    with open(kernel, "rb") as f:
        image = bytearray(f.read())
    at = image.find(BUILTIN_CMDLINE_MAGIC)
    if at >= 0:
        if image.find(BUILTIN_CMDLINE_MAGIC, at + 1) >= 0:
            sys.exit(f"mkimage: {kernel} has two built-in command line regions")
        capacity = int.from_bytes(image[at + 16:at + 20], "little")
        text = at + 24
        raw = cmdline.encode()
        if len(raw) >= capacity:
            sys.exit(f"mkimage: the command line ({len(raw)} bytes) does not fit the kernel's "
                     f"built-in region ({capacity} bytes)")
        if any(image[text:text + capacity]):
            sys.exit(f"mkimage: {kernel}'s built-in command line region is not empty")
        image[text:text + len(raw)] = raw
    with open(out, "wb") as f:
        f.write(image)
    return at >= 0


# ---------------------------------------------------------------------------------------------
# The signing key and the FIT


def signing_key_dir(build_dir):
    """The directory with openv.key (RSA 2048, PEM) and openv.crt: SIGNING_KEY_DIR (a release
    key, never generated), else build/keys (a development key, generated on first use)."""
    release = os.environ.get("SIGNING_KEY_DIR")
    if release:
        for name in (f"{KEY_NAME}.key", f"{KEY_NAME}.crt"):
            if not os.path.isfile(os.path.join(release, name)):
                sys.exit(f"mkimage: SIGNING_KEY_DIR={release} has no {name} (docs/verified-boot.md "
                         f"says how to make a release key)")
        return release
    keydir = os.path.join(build_dir, "keys")
    key = os.path.join(keydir, f"{KEY_NAME}.key")
    os.makedirs(keydir, exist_ok=True)
    # Parallel builds (test workers on a fresh build/) must not make two keys: the second
    # would replace the first's key after the first signed with it, or fail on its .tmp.
    with open(os.path.join(keydir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        make_dev_key(keydir, key)
    return keydir


def make_dev_key(keydir, key):
    """A development key pair in keydir, unless one is there (called under keydir's lock)."""
    if not os.path.exists(key):
        run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", key + ".tmp"])
        run(["openssl", "req", "-batch", "-new", "-x509", "-days", "36500", "-subj",
             "/CN=openv development key", "-key", key + ".tmp", "-out",
             os.path.join(keydir, f"{KEY_NAME}.crt")])
        os.replace(key + ".tmp", key)
        print(f"image: generated a development signing key {key} (never commit it; a release "
              f"build takes SIGNING_KEY_DIR=)")


def key_fingerprint(keydir):
    """sha256 of the public key (DER SubjectPublicKeyInfo), as hex."""
    der = subprocess.run(["openssl", "pkey", "-in", os.path.join(keydir, f"{KEY_NAME}.key"),
                          "-pubout", "-outform", "DER"], stdout=subprocess.PIPE, check=True).stdout
    return hashlib.sha256(der).hexdigest()


def make_fit(kernel, out, work, keydir=None, key_dtb=None, rollback=None):
    """The FIT: the kernel with its sha256, conf-1 with the rollback index `rollback` (None:
    no index, as images before rollback protection), and with keydir the configuration signed;
    key_dtb then receives the public key as /signature/key-openv, required = "conf", and the
    index as the minimum (/signature, openv,min-rollback-index)."""
    its = os.path.join(work, "openv.its")
    signature = SIGNATURE.format(key=KEY_NAME) if keydir else ""
    index = ROLLBACK.format(prop=ROLLBACK_PROP, index=rollback) if rollback is not None else ""
    with open(its, "w", encoding="utf-8") as f:
        f.write(FIT_SOURCE.format(kernel=os.path.abspath(kernel), load=KERNEL_LOAD,
                                  signature=signature, rollback=index))
    if not keydir:
        run(["mkimage", "-q", "-f", its, out])
        return
    empty = os.path.join(work, "empty.dts")
    with open(empty, "w", encoding="utf-8") as f:
        f.write("/dts-v1/;\n/ {\n    signature {\n"
                + (f"        {MIN_ROLLBACK_PROP} = <{rollback}>;\n" if rollback is not None else "")
                + "    };\n};\n")
    run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", key_dtb, empty])
    run(["mkimage", "-q", "-f", its, "-k", keydir, "-K", key_dtb, "-r", out])


def make_boot_fat(fit, cmdline, out, size_mib, work):
    with open(out, "wb") as f:
        f.truncate(size_mib * MiB)
    run(["mkfs.vfat", "--invariant", "-F", "16", "-n", FAT_LABEL, out])
    conf = os.path.join(work, "extlinux.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(EXTLINUX.format(cmdline=cmdline))
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    run(["mmd", "-i", out, "::extlinux"], env=env)
    run(["mcopy", "-i", out, conf, "::extlinux/extlinux.conf"], env=env)
    run(["mcopy", "-i", out, fit, "::openv.itb"], env=env)


# ---------------------------------------------------------------------------------------------
# Disk


def layout():
    """[(number, name, type, guid, first sector, sectors)], 1 MiB aligned."""
    parts, start = [], MiB // SECTOR
    for n, name, ptype, guid, size in PARTITIONS:
        parts.append((n, name, ptype, guid, start, size * MiB // SECTOR))
        start += size * MiB // SECTOR
    return parts, start + MiB // SECTOR      # room for the backup GPT


def make_disk(out, images):
    parts, total = layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.truncate(total * SECTOR)
    argv = ["sgdisk", "-Z", "-U", DISK_GUID]
    for n, name, ptype, guid, first, count in parts:
        argv += [f"-n{n}:{first}:{first + count - 1}", f"-t{n}:{ptype}", f"-u{n}:{guid}", f"-c{n}:{name}"]
    argv += ["-A1:set:2", tmp]
    run(argv)
    with open(tmp, "r+b") as disk:
        for n, name, ptype, guid, first, count in parts:
            src = images.get(n)
            if not src:
                continue
            if os.path.getsize(src) > count * SECTOR:
                sys.exit(f"mkimage: partition {name} is too small for {src}")
            disk.seek(first * SECTOR)
            with open(src, "rb") as f:
                while True:
                    chunk = f.read(MiB)
                    if not chunk:
                        break
                    if chunk.count(0) == len(chunk):
                        disk.seek(len(chunk), os.SEEK_CUR)     # keep the file sparse
                    else:
                        disk.write(chunk)
    run(["sgdisk", "-v", tmp])
    os.replace(tmp, out)


def build(build_dir, kernel, out, cmdline_extra="", verity_root=True, extra_files=None):
    """Build the image. With verity_root (the default) the root is mounted through dm-verity
    (dm-0 over partitions 2 and 3) and the command line is also built into the kernel; without
    it (a kernel with no dm-verity, such as the Linux reference kernel) straight from
    partition 2. Returns the verity parameters (None without verity_root) and writes them
    beside `out` as <out>.verity (key=value lines). extra_files ({path: bytes or (bytes,
    mode)}, default mode 0644) adds files to the root (the benchmark's)."""
    with tempfile.TemporaryDirectory(prefix="openv-image-") as work:
        tree = mkinitramfs.rootfs_tree(build_dir, initramfs=False)
        for path, payload in sorted((extra_files or {}).items()):
            data, mode = payload if isinstance(payload, tuple) else (payload, 0o644)
            tree.file(path, data, mode)
        root = os.path.join(work, "root.ext2")
        make_root_ext2(tree, root, PARTITIONS[1][4], epoch(), work)
        hashdev = os.path.join(work, "root.verity")
        root_hash, salt, data_blocks = make_root_verity(root, hashdev)
        if os.path.getsize(hashdev) > PARTITIONS[2][4] * MiB:
            sys.exit("mkimage: the root's hash tree does not fit partition 3")
        if verity_root:
            root_arg = verity_cmdline(root_hash, salt, data_blocks)
            short_root_arg = verity_cmdline(root_hash, salt, data_blocks, by_partuuid=False)
        else:
            root_arg = short_root_arg = f"root=PARTUUID={part_uuid(2)}"
        cmdline = f"{root_arg} ro console=ttyS0 {cmdline_extra}".strip()
        extlinux_cmdline = f"{short_root_arg} ro console=ttyS0 {cmdline_extra}".strip()
        if len(extlinux_cmdline) > EXTLINUX_MAX:
            sys.exit(f"mkimage: the extlinux.conf command line is {len(extlinux_cmdline)} bytes: "
                     f"Debian's U-Boot takes at most {EXTLINUX_MAX}")
        fit_kernel = os.path.join(work, "Image")
        builtin = patch_builtin_cmdline(kernel, cmdline if verity_root else "", fit_kernel)
        fit = os.path.join(work, "openv.itb")
        keydir = signing_key_dir(build_dir)
        key_dtb = os.path.join(os.path.dirname(os.path.abspath(out)), "openv-key.dtb")
        os.makedirs(os.path.dirname(key_dtb), exist_ok=True)
        rollback = rollback_index()
        make_fit(fit_kernel, fit, work, keydir, key_dtb + ".tmp", rollback)
        os.replace(key_dtb + ".tmp", key_dtb)
        boot = os.path.join(work, "boot.fat")
        make_boot_fat(fit, extlinux_cmdline, boot, PARTITIONS[0][4], work)
        make_disk(out, {1: boot, 2: root, 3: hashdev})
        shutil.copy(fit, os.path.join(os.path.dirname(out), "openv.itb"))
    params = {"root_hash": root_hash.hex(), "salt": salt.hex(), "data_blocks": data_blocks,
              "hash_start_block": 1, "uuid": VERITY_UUID, "cmdline": cmdline,
              "extlinux_cmdline": extlinux_cmdline,
              "builtin_cmdline": int(builtin), "rollback_index": rollback}
    with open(out + ".verity", "w", encoding="utf-8") as f:
        f.write("".join(f"{k}={v}\n" for k, v in params.items()))
    where = "built into the kernel and in extlinux.conf" if builtin else "in extlinux.conf"
    print(f"image: openv.itb signed with {keydir}/{KEY_NAME}.key, public key sha256 "
          f"{key_fingerprint(keydir)} (in {os.path.relpath(key_dtb)}); rollback index {rollback}")
    print(f"image: {out} ({os.path.getsize(out) // MiB} MiB, sparse); "
          f"{'root=/dev/dm-0 (dm-verity)' if verity_root else 'root=PARTUUID=' + part_uuid(2)}, "
          f"root hash {root_hash.hex()}; command line {where}")
    return params if verity_root else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--kernel", required=True, help="the kernel Image to put in the FIT")
    ap.add_argument("--out", required=True)
    ap.add_argument("--append", default="", help="extra kernel command line")
    ap.add_argument("--no-verity", action="store_true",
                    help="mount the root straight from partition 2 (a kernel without dm-verity)")
    args = ap.parse_args()
    build(args.build, args.kernel, args.out, args.append, verity_root=not args.no_verity)
    return 0


if __name__ == "__main__":
    sys.exit(main())
