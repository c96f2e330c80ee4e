"""image/mkinitramfs.py: the archive is deterministic, readable by GNU cpio, and has the modes,
device nodes and links the kernel and BusyBox expect."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "image"))
import mkinitramfs  # noqa: E402


def fake_build(tmp_path):
    bb = tmp_path / "build" / "pkg" / "busybox"
    (bb / "bin").mkdir(parents=True)
    (bb / "bin" / "busybox").write_bytes(b"\x7fELF fake busybox")
    (bb / "busybox.links").write_text("/bin/sh\n/bin/ls\n/sbin/init\n/usr/bin/vi\n")
    return str(tmp_path / "build")


def listing(path):
    r = subprocess.run(["cpio", "-tv", "--quiet"], stdin=open(path, "rb"),
                       stdout=subprocess.PIPE, check=True, text=True)
    return {line.split()[-1] if "->" not in line else line.split()[-3]: line
            for line in r.stdout.splitlines()}


def test_archive_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    build = fake_build(tmp_path)
    a, b = tmp_path / "a.cpio", tmp_path / "b.cpio"
    mkinitramfs.build(build, str(a))
    os.utime(os.path.join(build, "pkg", "busybox", "bin", "busybox"), (1, 1))
    mkinitramfs.build(build, str(b))
    assert a.read_bytes() == b.read_bytes()


def test_archive_contents(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    out = tmp_path / "i.cpio"
    mkinitramfs.build(fake_build(tmp_path), str(out))
    entries = listing(out)
    assert entries["dev/console"].startswith("crw-------") and "5,   1" in entries["dev/console"]
    assert entries["tmp"].startswith("drwxrwxrwt")
    assert entries["etc/shadow"].startswith("-rw-------")
    assert entries["init"].startswith("-rwxr-xr-x")
    assert "-> /bin/busybox" in entries["bin/sh"] and "-> /bin/busybox" in entries["usr/bin/vi"]
    assert "2026" in entries["etc/passwd"], "mtime must be SOURCE_DATE_EPOCH"
    assert all(" root " in line for line in entries.values())


def test_os_release_carries_release_version(tmp_path):
    """/etc/os-release of the root (and the initramfs) gets release/VERSION."""
    with open(os.path.join(mkinitramfs.REPO, "release", "VERSION"), encoding="utf-8") as f:
        version = f.read().strip()
    tree = mkinitramfs.rootfs_tree(fake_build(tmp_path), initramfs=False)
    kind, mode, data = tree.entries["etc/os-release"]
    text = data.decode()
    assert kind == "file" and mode == 0o644
    assert 'ID=openv\n' in text
    assert f'VERSION_ID="{version}"\n' in text and f'VERSION="{version}"\n' in text
    assert f'PRETTY_NAME="openv {version} (riscv64 appliance)"\n' in text


def test_doas_is_setuid_root(tmp_path, monkeypatch):
    """doas keeps its setuid bit in the archive (and so, through mkimage.py's debugfs mode
    fix-ups, on the disk), next to the sudo front end."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    build = fake_build(tmp_path)
    doas = tmp_path / "build" / "pkg" / "opendoas" / "bin"
    doas.mkdir(parents=True)
    (doas / "doas").write_bytes(b"\x7fELF fake doas")
    out = tmp_path / "i.cpio"
    mkinitramfs.build(build, str(out))
    entries = listing(out)
    assert entries["usr/bin/doas"].startswith("-rwsr-xr-x")
    assert entries["usr/bin/sudo"].startswith("-rwxr-xr-x")
    sys.path.insert(0, os.path.join(mkinitramfs.REPO, "image"))
    import mkimage
    tree = mkinitramfs.rootfs_tree(build, initramfs=False)
    fixups = mkimage.stage_rootfs(tree, str(tmp_path / "stage"))
    assert "sif /usr/bin/doas mode 0104755" in fixups
