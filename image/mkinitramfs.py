#!/usr/bin/python3
"""Build openv's initramfs: an uncompressed cpio "newc" archive.

The archive is written here rather than with cpio(1) so that it is reproducible by
construction (sorted entries, fixed inode numbers, owner root, mtime SOURCE_DATE_EPOCH) and can
hold device nodes without root privileges.

Contents:
  rootfs/              the root filesystem's own files (/etc, init scripts)
  image/initramfs/     what only the initramfs has (/init)
  BusyBox              /bin/busybox and a link per applet (from busybox.links)
  Dropbear             /usr/bin/dropbearmulti and its names
  OpenSSH              /usr/libexec/sftp-server (Dropbear's SFTPSERVER_PATH)
  OpenDoas             /usr/bin/doas (setuid root) and /usr/bin/sudo, its sudo front end
  cloud-init           /usr/bin/cloud-init; /var/lib/cloud (and, on the disk, /var/log) -> /data
  tests                /opt/tests/guest/*, /opt/tests/bench/*, /opt/tests/go/* when built, and the shell
                       scripts of tests/integration/guest-scripts in /opt/tests/scripts;
                       BusyBox's testsuite and .config in /opt/busybox
"""

import argparse
import os
import stat
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def source_date_epoch():
    """SOURCE_DATE_EPOCH, else the release's pinned epoch (release/SOURCE_DATE_EPOCH)."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    with open(os.path.join(REPO, "release", "SOURCE_DATE_EPOCH"), encoding="utf-8") as f:
        return int(f.read().strip())


def release_version():
    """The release version (release/VERSION): os-release, `uname -v`, the artefact names."""
    with open(os.path.join(REPO, "release", "VERSION"), encoding="utf-8") as f:
        return f.read().strip()


def os_release():
    """rootfs/etc/os-release (NAME, ID, ...) with the version lines of release/VERSION."""
    with open(os.path.join(REPO, "rootfs", "etc", "os-release"), encoding="utf-8") as f:
        base = f.read()
    v = release_version()
    return (base + f'VERSION_ID="{v}"\nVERSION="{v}"\n'
            f'PRETTY_NAME="openv {v} (riscv64 appliance)"\n').encode()


# Files whose mode is not what their x bit implies.
MODES = {"etc/shadow": 0o600}


class Archive:
    """Entries keyed by path; written sorted so parents precede children."""

    def __init__(self):
        self.entries = {}

    def _parents(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.entries:
                self.entries[d] = ("dir", 0o755, None)

    def dir(self, path, mode=0o755):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = ("dir", mode, None)

    def file(self, path, data, mode=0o644):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = ("file", mode, data)

    def symlink(self, path, target):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = ("symlink", 0o777, target.encode())

    def node(self, path, kind, major, minor, mode):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = (kind, mode, (major, minor))

    def add_tree(self, src_root, dest_root=""):
        """Copy a directory tree from the repo: modes from the files (x bit kept), rest fixed."""
        for root, dirs, files in os.walk(src_root):
            dirs.sort()
            rel_root = os.path.relpath(root, src_root)
            for d in dirs:
                rel = os.path.normpath(os.path.join(dest_root, rel_root, d))
                st = os.lstat(os.path.join(root, d))
                self.dir(rel, 0o1777 if rel in ("tmp",) else stat.S_IMODE(st.st_mode) & 0o755)
            for f in sorted(files):
                src = os.path.join(root, f)
                rel = os.path.normpath(os.path.join(dest_root, rel_root, f))
                if os.path.islink(src):
                    self.symlink(rel, os.readlink(src))
                    continue
                st = os.stat(src)
                mode = MODES.get(rel, 0o755 if st.st_mode & 0o111 else 0o644)
                with open(src, "rb") as fh:
                    self.file(rel, fh.read(), mode)

    def write(self, out, mtime):
        kinds = {"dir": stat.S_IFDIR, "file": stat.S_IFREG, "symlink": stat.S_IFLNK,
                 "chr": stat.S_IFCHR, "blk": stat.S_IFBLK}
        with open(out + ".tmp", "wb") as fh:
            ino = 1

            def emit(name, mode, data=b"", rdev=(0, 0), nlink=1):
                nonlocal ino
                name_b = name.encode() + b"\0"
                fields = [ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, rdev[0], rdev[1],
                          len(name_b), 0]
                hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
                fh.write(hdr + name_b)
                fh.write(b"\0" * (-(len(hdr) + len(name_b)) % 4))
                fh.write(data)
                fh.write(b"\0" * (-len(data) % 4))
                ino += 1

            for path in sorted(self.entries):
                kind, perm, payload = self.entries[path]
                mode = kinds[kind] | perm
                if kind == "dir":
                    emit(path, mode, nlink=2)
                elif kind in ("file", "symlink"):
                    emit(path, mode, payload)
                else:
                    emit(path, mode, rdev=payload)
            emit("TRAILER!!!", 0)
        os.replace(out + ".tmp", out)


def rootfs_tree(build_dir, initramfs):
    """The root filesystem as an Archive: shared by the initramfs and the disk image's root."""
    a = Archive()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "mnt", "run",
              "var", "data"):
        a.dir(d)
    a.dir("tmp", 0o1777)
    if initramfs:
        a.dir("root", 0o700)
        a.dir("home")
    else:
        # The disk's root is read-only: what users change lives on the data partition, which
        # rcS mounts on /data and fills on the first boot.
        a.symlink("root", "data/root")
        a.symlink("home", "data/home")
    dev_key = os.environ.get("DEV_SSH_KEY", "")
    if dev_key:
        # A development login key (make image DEV_SSH_KEY=...; never in release builds): rcS
        # installs it as root's authorized_keys on the first boot.
        with open(dev_key, "rb") as fh:
            a.file("etc/openv/dev_authorized_keys", fh.read(), 0o644)
    # Linux opens /dev/console for init before any devtmpfs exists; so does openv's kernel
    # when it has none yet. The same archive boots both kernels (benchmarks compare them).
    a.node("dev/console", "chr", 5, 1, 0o600)
    a.node("dev/null", "chr", 1, 3, 0o666)

    rootfs = os.path.join(REPO, "rootfs")
    if os.path.isdir(rootfs):
        a.add_tree(rootfs)
    a.file("etc/os-release", os_release(), 0o644)
    overlay = os.path.join(REPO, "image", "initramfs")
    if initramfs and os.path.isdir(overlay):
        a.add_tree(overlay)

    bb = os.path.join(build_dir, "pkg", "busybox")
    with open(os.path.join(bb, "bin", "busybox"), "rb") as fh:
        a.file("bin/busybox", fh.read(), 0o755)
    with open(os.path.join(bb, "busybox.links"), encoding="utf-8") as fh:
        for link in sorted(set(fh.read().split())):
            link = link.strip("/")
            if link != "bin/busybox" and link not in a.entries:
                a.symlink(link, "/bin/busybox")

    db = os.path.join(build_dir, "pkg", "dropbear", "bin", "dropbearmulti")
    if os.path.exists(db):
        with open(db, "rb") as fh:
            a.file("usr/bin/dropbearmulti", fh.read(), 0o755)
        for name in ("usr/sbin/dropbear", "usr/bin/dbclient", "usr/bin/dropbearkey",
                     "usr/bin/dropbearconvert", "usr/bin/scp"):
            a.symlink(name, "/usr/bin/dropbearmulti")

    # OpenSSH's sftp-server, which Dropbear runs for the "sftp" subsystem (SFTPSERVER_PATH in
    # packages/dropbear/localoptions.h): scp (SFTP mode), sftp and sshfs need it.
    sftp = os.path.join(build_dir, "pkg", "openssh", "libexec", "sftp-server")
    if os.path.exists(sftp):
        with open(sftp, "rb") as fh:
            a.file("usr/libexec/sftp-server", fh.read(), 0o755)

    # doas (packages/opendoas), setuid root, and its sudo front end: users' sudo rules from
    # cloud-init live in /etc/doas.conf (docs/cloud-init.md, "Users and sudo").
    doas = os.path.join(build_dir, "pkg", "opendoas", "bin", "doas")
    if os.path.exists(doas):
        with open(doas, "rb") as fh:
            a.file("usr/bin/doas", fh.read(), 0o4755)
        with open(os.path.join(REPO, "packages", "opendoas", "sudo"), "rb") as fh:
            a.file("usr/bin/sudo", fh.read(), 0o755)

    # The cloud-init agent (make cloud-init; cloud-init/README.md). Its state and logs live on
    # /data (S10cloud-init makes the directories), so a read-only root still provisions once.
    agent = os.path.join(build_dir, "cloud-init", "cloud-init")
    if os.path.exists(agent):
        with open(agent, "rb") as fh:
            a.file("usr/bin/cloud-init", fh.read(), 0o755)
    a.dir("var/lib")
    a.symlink("var/lib/cloud", "/data/var/lib/cloud")
    if not initramfs:
        a.symlink("var/log", "/data/var/log")

    # The OFS tools for the data partition (make ofs-guest-tools).
    for tool in ("mkfs.ofs", "fsck.ofs"):
        p = os.path.join(build_dir, "ofs-guest", "sbin", tool)
        if os.path.exists(p):
            with open(p, "rb") as fh:
                a.file(f"sbin/{tool}", fh.read(), 0o755)

    if not initramfs:
        return a

    scripts = os.path.join(REPO, "tests", "integration", "guest-scripts")
    if os.path.isdir(scripts):
        a.add_tree(scripts, "opt/tests/scripts")

    # BusyBox's own testsuite and the config it was built with (the testsuite skips what is
    # not configured); tests/integration/guest-scripts/busybox-testsuite.sh runs it.
    testsuite = os.path.join(build_dir, "pkg", "busybox", "testsuite")
    if os.path.isdir(testsuite):
        a.add_tree(testsuite, "opt/busybox/testsuite")
        with open(os.path.join(REPO, "packages", "busybox", "busybox.config"), "rb") as fh:
            a.file("opt/busybox/.config", fh.read(), 0o644)

    for kind in ("guest", "bench", "go"):
        d = os.path.join(build_dir, kind)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            if os.path.isfile(p) and not f.endswith((".o", ".d")):
                with open(p, "rb") as fh:
                    a.file(f"opt/tests/{kind}/{f}", fh.read(), 0o755 if os.access(p, os.X_OK) else 0o644)

    return a


def build(build_dir, out):
    a = rootfs_tree(build_dir, initramfs=True)
    a.write(out, source_date_epoch())
    print(f"initramfs: {out} ({os.path.getsize(out) // 1024} KiB, {len(a.entries)} entries)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    build(args.build, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
