"""scp, sftp and sshfs from the host's stock OpenSSH client (Debian 12: OpenSSH 9, whose scp
speaks SFTP by default), against the disk image as `make run` boots it: Dropbear runs OpenSSH's
sftp-server (packages/openssh) for the "sftp" subsystem.

One guest serves the whole module. OPENV_TEST_KERNEL=linux puts the Linux reference kernel in
the image instead."""

import hashlib
import os
import shutil
import subprocess
import time

import pytest

from sshguest import booted_image, make_keys

pytestmark = pytest.mark.qemu

MiB = 1 << 20


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def booted(keys, tmp_path_factory):
    with booted_image(tmp_path_factory.mktemp("sftp"), keys, "sftp-console.log") as ssh:
        yield ssh


def client_opts(ssh, key=None):
    """scp's and sftp's options for the guest: ssh's, with -P for the port."""
    opts = ["-i", str(key or ssh.key), "-o", "IdentitiesOnly=yes"]
    it = iter(ssh.opts)
    for o in it:
        opts += ["-P", next(it)] if o == "-p" else [o]
    return opts


def scp(ssh, *args, key=None, timeout=300, check=True):
    r = subprocess.run(["scp", *client_opts(ssh, key), *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"scp {' '.join(args)}: {r.stderr}"
    return r


def sftp_batch(ssh, batch, cwd, key=None, timeout=300):
    """sftp -b: the batch aborts at the first failing command (no '-' prefix)."""
    r = subprocess.run(["sftp", *client_opts(ssh, key), "-b", "-", "root@127.0.0.1"],
                       input=batch, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    return r


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def host_tree(root):
    """{relative path: sha256 or 'dir'} of a host tree."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for d in dirs:
            out[os.path.normpath(os.path.join(rel, d))] = "dir"
        for f in files:
            out[os.path.normpath(os.path.join(rel, f))] = sha256(os.path.join(dirpath, f))
    return out


def guest_tree(ssh, root):
    """The same listing, made in the guest with BusyBox find and sha256sum."""
    dirs = ssh.run(f"cd '{root}' && find . -mindepth 1 -type d").stdout.decode().splitlines()
    sums = ssh.run(f"cd '{root}' && find . -type f -exec sha256sum {{}} +").stdout.decode()
    out = {os.path.normpath(d): "dir" for d in dirs}
    for line in sums.splitlines():
        digest, name = line.split("  ", 1)
        out[os.path.normpath(name)] = digest
    return out


def make_tree(root):
    """Nested directories, an empty one, empty and odd-sized files, a name with spaces."""
    sizes = {"a/empty": 0, "a/one": 1, "a/b/page": 4096, "a/b/c/odd": 65537,
             "a/b/c/d/deep": 300000, "top": 1234567, "with space/file name.txt": 777}
    for i in range(40):
        sizes[f"a/b/many/f{i:02d}"] = i * 113
    for rel, size in sizes.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    (root / "a" / "emptydir").mkdir()
    return root


def test_sftp_server_is_installed(booted):
    r = booted.run("/usr/libexec/sftp-server -Q requests")
    requests = set(r.stdout.decode().split())
    assert {"open", "read", "write", "posix-rename", "statvfs", "fsync", "lsetstat"} <= requests


def test_scp_16mib_up_and_down(booted, tmp_path):
    """Plain `scp file root@host:` (SFTP mode, into root's home on /data) and back."""
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(16 * MiB))
    digest = sha256(src)
    scp(booted, str(src), "root@127.0.0.1:")
    r = booted.run("sha256sum big.bin; wc -c < big.bin")
    out = r.stdout.decode().split()
    assert out[0] == digest and int(out[2]) == 16 * MiB, out
    back = tmp_path / "back.bin"
    scp(booted, "root@127.0.0.1:big.bin", str(back))
    assert sha256(back) == digest
    booted.run("rm big.bin")


def test_scp_to_tmp_and_preserve_times_and_modes(booted, tmp_path):
    """scp -p: setstat through sftp-server keeps the mtime and the mode."""
    src = tmp_path / "stamped"
    src.write_bytes(b"stamp\n")
    os.chmod(src, 0o640)
    os.utime(src, (1_000_000_000, 1_000_000_000))
    scp(booted, "-p", str(src), "root@127.0.0.1:/tmp/stamped")
    out = booted.run("stat -c '%a %Y' /tmp/stamped").stdout.decode().split()
    assert out == ["640", "1000000000"], out
    back = tmp_path / "back"
    back.mkdir()
    scp(booted, "-p", "root@127.0.0.1:/tmp/stamped", str(back))
    st = os.stat(back / "stamped")
    assert int(st.st_mtime) == 1_000_000_000 and st.st_mode & 0o777 == 0o640
    booted.run("rm /tmp/stamped")


def test_scp_recursive_tree_up_and_down(booted, tmp_path):
    tree = make_tree(tmp_path / "tree")
    expected = host_tree(tree)
    scp(booted, "-r", str(tree), "root@127.0.0.1:/data/scp-tree")
    assert guest_tree(booted, "/data/scp-tree") == expected
    down = tmp_path / "down"
    down.mkdir()
    scp(booted, "-r", "root@127.0.0.1:/data/scp-tree", str(down))
    assert host_tree(down / "scp-tree") == expected
    booted.run("rm -r /data/scp-tree")


def test_scp_errors_are_reported(booted, tmp_path):
    r = scp(booted, "root@127.0.0.1:/no/such/file", str(tmp_path / "x"), check=False)
    assert r.returncode != 0 and "No such file" in r.stderr, r.stderr
    src = tmp_path / "f"
    src.write_bytes(b"x")
    # The root filesystem of the image is read-only (/etc is an overlay: /usr is not).
    r = scp(booted, str(src), "root@127.0.0.1:/usr/f", check=False)
    assert r.returncode != 0, r.stderr
    assert booted.run("echo alive").stdout.decode().strip() == "alive"


def test_sftp_batch_session(booted, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "hello.txt").write_bytes(b"hello over sftp\n")
    (local / "blob.bin").write_bytes(os.urandom(3 * MiB + 17))
    batch = "\n".join([
        "mkdir /tmp/sftp-dir",
        "cd /tmp/sftp-dir",
        "put hello.txt",
        "put blob.bin",
        "ls -l",
        "rename hello.txt renamed.txt",
        "mkdir sub",
        "rename blob.bin sub/blob.bin",
        "ls -1 sub",
        "get renamed.txt got.txt",
        "get sub/blob.bin got.bin",
        "chmod 600 renamed.txt",
        "ln -s renamed.txt link.txt",
        "ls -1",
        "df -h",
        "pwd",
        "rm sub/blob.bin",
        "rmdir sub",
        "rm link.txt",
        "",
    ])
    r = sftp_batch(booted, batch, cwd=local)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Remote working directory: /tmp/sftp-dir" in r.stdout, r.stdout
    listing = r.stdout
    assert "hello.txt" in listing and "blob.bin" in listing and "renamed.txt" in listing
    assert (local / "got.txt").read_bytes() == b"hello over sftp\n"
    assert sha256(local / "got.bin") == sha256(local / "blob.bin")
    out = booted.run("cd /tmp/sftp-dir && ls -A && stat -c %a renamed.txt && cat renamed.txt")
    assert out.stdout.decode().split("\n") == ["renamed.txt", "600", "hello over sftp", ""]
    booted.run("rm -r /tmp/sftp-dir")


def test_sftp_batch_stops_at_a_failing_command(booted, tmp_path):
    r = sftp_batch(booted, "cd /tmp\nrm /tmp/does-not-exist\nmkdir /tmp/never-made\n",
                   cwd=tmp_path)
    assert r.returncode != 0
    assert booted.run("test -e /tmp/never-made", check=False).returncode == 1


def test_wrong_key_is_refused(booted, keys, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(b"x")
    r = scp(booted, str(src), "root@127.0.0.1:/tmp/refused", key=keys / "id_wrong", check=False,
            timeout=60)
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
    r = sftp_batch(booted, "ls /\n", cwd=tmp_path, key=keys / "id_wrong", timeout=60)
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
    assert booted.run("test -e /tmp/refused", check=False).returncode == 1


def fuse_usable():
    return shutil.which("sshfs") and shutil.which("fusermount3") and os.access("/dev/fuse", os.W_OK)


def test_sshfs_mount(booted, tmp_path):
    """sshfs (when the host has it and FUSE works here): write, read back, rename, list."""
    if not fuse_usable():
        pytest.skip("no sshfs/fusermount3 or /dev/fuse not usable (tools/deps.sh installs sshfs)")
    booted.run("mkdir -p /tmp/sshfs && echo from-guest > /tmp/sshfs/guest.txt")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    ssh_cmd = " ".join(["ssh", "-i", str(booted.key), "-o", "IdentitiesOnly=yes", *booted.opts])
    r = subprocess.run(["sshfs", "-o", f"ssh_command={ssh_cmd}", "root@127.0.0.1:/tmp/sshfs",
                        str(mnt)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    if r.returncode != 0 and "fuse" in r.stderr.lower():
        pytest.skip(f"FUSE mount not permitted here: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    try:
        assert (mnt / "guest.txt").read_text() == "from-guest\n"
        data = os.urandom(2 * MiB + 5)
        (mnt / "host.bin").write_bytes(data)
        os.rename(mnt / "host.bin", mnt / "moved.bin")
        (mnt / "d").mkdir()
        assert sorted(os.listdir(mnt)) == ["d", "guest.txt", "moved.bin"]
        assert (mnt / "moved.bin").read_bytes() == data
    finally:
        for _ in range(10):
            if subprocess.run(["fusermount3", "-u", str(mnt)]).returncode == 0:
                break
            time.sleep(1)
    digest = booted.run("sha256sum /tmp/sshfs/moved.bin").stdout.decode().split()[0]
    assert digest == hashlib.sha256(data).hexdigest()
    booted.run("rm -r /tmp/sshfs")
