"""The pinned packages, built: BusyBox, Dropbear and OpenSSH's sftp-server run (under qemu-user),
a corrupt tarball is refused, and two builds in different directories are byte-identical."""

import hashlib
import os
import shutil
import subprocess

import pytest

from conftest import REPO, build_path

BUSYBOX = build_path("pkg", "busybox", "bin", "busybox")
DROPBEAR = build_path("pkg", "dropbear", "bin", "dropbearmulti")
SFTP_SERVER = build_path("pkg", "openssh", "libexec", "sftp-server")
PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.same_at_any_smp     # host builds and qemu-user: no guest kernel


def test_busybox_is_static_riscv64():
    out = subprocess.run(["file", "-L", BUSYBOX], stdout=subprocess.PIPE, text=True).stdout
    assert "RISC-V" in out and "statically linked" in out


def test_busybox_applets_in_a_pipeline(qemu_user):
    bb = ["qemu-riscv64-static", BUSYBOX]
    p1 = subprocess.Popen(bb + ["printf", "b\\na\\nc\\na\\n"], stdout=subprocess.PIPE)
    p2 = subprocess.Popen(bb + ["sort"], stdin=p1.stdout, stdout=subprocess.PIPE)
    p3 = subprocess.Popen(bb + ["uniq", "-c"], stdin=p2.stdout, stdout=subprocess.PIPE)
    p1.stdout.close()
    p2.stdout.close()
    out = p3.communicate(timeout=60)[0].decode()
    assert [line.split() for line in out.splitlines()] == [["2", "a"], ["1", "b"], ["1", "c"]]


def test_busybox_shell_runs_a_script(qemu_user):
    script = 'x=$(echo one two three); set -- $x; echo "$# $2"; i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i'
    r = qemu_user([BUSYBOX, "sh", "-c", script])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\n")[:2] == ["3 two", "3"]


def test_busybox_has_the_appliance_applets(qemu_user):
    listed = set(qemu_user([BUSYBOX, "--list"]).stdout.decode().split())
    wanted = {"ash", "sh", "init", "getty", "login", "vi", "top", "ps", "mount", "wget", "nc",
              "httpd", "udhcpc", "ifconfig", "ip", "dmesg", "poweroff", "reboot", "cttyhack"}
    assert wanted <= listed, f"missing applets: {sorted(wanted - listed)}"


def test_dropbearkey_makes_an_ed25519_key(qemu_user, tmp_path):
    key = tmp_path / "hostkey"
    r = qemu_user([DROPBEAR, "dropbearkey", "-t", "ed25519", "-f", str(key)])
    assert r.returncode == 0, r.stderr
    assert b"ssh-ed25519 " in r.stdout
    r = qemu_user([DROPBEAR, "dropbearkey", "-y", "-f", str(key)])
    assert r.returncode == 0 and b"ssh-ed25519 " in r.stdout


def test_dropbear_reports_its_version(qemu_user):
    r = qemu_user([DROPBEAR, "dropbear", "-V"])
    assert b"Dropbear v2022.83" in r.stdout + r.stderr


def test_sftp_server_is_static_riscv64():
    out = subprocess.run(["file", "-L", SFTP_SERVER], stdout=subprocess.PIPE, text=True).stdout
    assert "RISC-V" in out and "statically linked" in out and "not stripped" not in out


def test_sftp_server_serves_the_host_sftp_client(tmp_path):
    """The host's sftp talks straight to sftp-server under qemu-user (sftp -D, no ssh)."""
    wrapper = tmp_path / "sftp-server"
    wrapper.write_text(f"#!/bin/sh\nexec qemu-riscv64-static {SFTP_SERVER}\n")
    wrapper.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.txt").write_bytes(b"over sftp-server\n")
    batch = "put a.txt b.txt\nmkdir d\nrename b.txt d/c.txt\nls -1 d\nget d/c.txt e.txt\n" \
            "rm d/c.txt\nrmdir d\n"
    r = subprocess.run(["sftp", "-D", str(wrapper), "-b", "-"], input=batch, cwd=work,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "d/c.txt" in r.stdout.split("sftp> ls -1 d")[1]
    assert (work / "e.txt").read_bytes() == b"over sftp-server\n"
    assert sorted(os.listdir(work)) == ["a.txt", "e.txt"]


def test_corrupt_tarball_in_cache_is_refused(tmp_path):
    """End to end through the command line: a damaged cached tarball stops the build."""
    downloads = tmp_path / "downloads"
    shutil.copytree(os.path.join(os.environ.get("OPENV_CACHE", os.path.expanduser("~/.cache/openv")),
                                 "downloads"), downloads,
                    ignore=shutil.ignore_patterns(".fetch-*"))
    tarball = downloads / "musl_1.2.3.orig.tar.gz"
    data = bytearray(tarball.read_bytes())
    data[1000] ^= 0x01
    tarball.write_bytes(bytes(data))
    env = dict(os.environ, OPENV_DOWNLOADS=str(downloads), OPENV_PKG_CACHE=str(tmp_path / "pkg"))
    r = subprocess.run([PYTHON, "packages/pkgtool.py", "build", "musl", str(tmp_path / "work")],
                       cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1
    assert "sha256 mismatch" in r.stderr and "musl_1.2.3.orig.tar.gz" in r.stderr
    assert not (tmp_path / "work" / "musl").exists(), "the refused tarball was unpacked"
    assert not list((tmp_path / "pkg").glob("musl-*/.openv-complete"))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def copy_tree(dest):
    skip = shutil.ignore_patterns(".git", "build", "__pycache__", ".pytest_cache")
    shutil.copytree(REPO, dest, ignore=skip, symlinks=True)


def test_warm_build_rebuilds_nothing():
    r = subprocess.run(["make", "-s", "packages"], cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    assert r.returncode == 0, r.stdout
    r = subprocess.run(["make", "-s", "packages"], cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0 and "[pkg] building" not in r.stdout, r.stdout


def offline():
    """A prefix that runs a command without network (a new network namespace), if we may."""
    ok = subprocess.run(["unshare", "--net", "true"], stderr=subprocess.DEVNULL).returncode == 0
    return ["unshare", "--net"] if ok else []


PKG_OUTPUTS = (("busybox", "bin/busybox"), ("dropbear", "bin/dropbearmulti"),
               ("openssh", "libexec/sftp-server"))


@pytest.mark.slow
def test_two_builds_in_different_directories_are_identical(tmp_path):
    """From the sources up: a second build in its own tree, build dir and package cache (so its
    own toolchain too), with only the verified downloads shared, gives this tree's packages byte
    for byte. This tree's build is the first one (CI builds it from an empty cache; a second
    build of our own here cost CI 4 minutes more). The second build runs with no network at
    all, which proves that a filled download cache is enough."""
    r = subprocess.run(["make", "-s", "packages"], cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:]
    here = {b: sha256(os.path.join(build_path("pkg", p), b)) for p, b in PKG_OUTPUTS}
    tree = tmp_path / "second-in-another-place" / "openv"
    copy_tree(tree)
    env = dict(os.environ, OPENV_PKG_CACHE=str(tmp_path / "pkgcache"))
    r = subprocess.run([*offline(), "make", "-s", "packages"], cwd=tree, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:]
    there = {b: sha256(tree / "build" / "pkg" / p / b) for p, b in PKG_OUTPUTS}
    assert here == there
