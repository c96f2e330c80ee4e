"""`make run` as a newcomer runs it: from the repository root, with HOME an empty directory
(no ~/.ssh, no key), through pexpect, to `openv login:` through our U-Boot (the signed path:
-kernel build/bootloader/u-boot.bin -dtb with the key); then the printed QEMU line is the one
line QEMU really runs with, and the printed ssh command, run as printed with the host's OpenSSH
client, gets a shell answer; Ctrl-A x quits.

Two things differ from a brand-new machine, so that nothing but the image is rebuilt: BUILD is
the usual build directory and OPENV_CACHE the usual package cache (the Makefile would otherwise
look for the cache under the empty HOME and rebuild every package). And SSH_PORT is a free port,
not 2222, so that the test never collides with another test or a developer's `make run`.

The printed ssh command is run unchanged. Its known_hosts is build/known_hosts (reset with each
new image), so it touches nothing in the real ~/.ssh: OpenSSH takes ~ from the password
database, not from HOME, so an empty HOME alone would not have kept it out."""

import os
import re
import shlex
import subprocess
import time

import pexpect
import pytest

from guest import BUILD, REPO
from sshguest import LOGIN_PROMPT, free_port

pytestmark = [pytest.mark.qemu, pytest.mark.same_at_any_smp]   # make run's own -smp 1

# What a user's environment might carry that would change what `make run` does.
DROP_ENV = ("DEV_SSH_KEY", "SSH_AUTH_SOCK", "QEMU_DISK", "QEMU_NET", "SSH_PORT", "SEED",
            "SEED_URL", "QEMU_SMP", "QEMU_MEM", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")


def package_cache():
    return os.environ.get("OPENV_CACHE") or os.path.join(os.path.expanduser("~"), ".cache",
                                                         "openv")


def qemu_below(pid):
    """(pid, argv) of the qemu-system-riscv64 process below pid (make -> run-image.sh, which
    execs QEMU), or (None, None)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0")[:-1]]
        except OSError:
            continue
        parents[int(entry)] = (int(stat.rsplit(")", 1)[1].split()[1]), argv)
    for p, (_, argv) in parents.items():
        if argv and os.path.basename(argv[0]) == "qemu-system-riscv64":
            q = p
            while q in parents and q != pid:
                q = parents[q][0]
            if q == pid:
                return p, argv
    return None, None


def ssh_until_answer(argv, within=90):
    """Runs the ssh command until the guest answers (dropbear may still be starting)."""
    deadline = time.monotonic() + within
    while True:
        # A new session: no controlling terminal, so ssh can never stop to ask for anything.
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60, start_new_session=True)
        if r.returncode == 0 or time.monotonic() > deadline:
            return r
        time.sleep(2)


def newcomer_env(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in DROP_ENV}
    env.update(HOME=str(home), OPENV_CACHE=package_cache())
    return env, home


def spawn_make_run(args, env, log_name):
    log_dir = os.path.join(BUILD, "test-logs")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, log_name)
    child = pexpect.spawn("make", ["run", *args], cwd=REPO, env=env, encoding="utf-8",
                          codec_errors="replace", timeout=600)
    child.logfile_read = open(log_path, "w", encoding="utf-8")

    def expect(pattern, timeout):
        try:
            child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            pytest.fail(f"make run: no {pattern!r} ({type(e).__name__}); see {log_path}")
        return child.match
    return child, expect


def stop(child, qemu_pid):
    if child.isalive():
        child.terminate(force=True)
    if qemu_pid:
        try:
            os.kill(qemu_pid, 9)     # its pid could only be reused after it was reaped
        except ProcessLookupError:
            pass
    child.logfile_read.close()


def test_make_run_as_a_newcomer(tmp_path):
    env, home = newcomer_env(tmp_path)
    port = free_port()
    child, expect = spawn_make_run([f"SSH_PORT={port}"], env, "make-run.log")
    qemu_pid = None
    try:
        ssh_line = expect(r"openv: log in with: ([^\r\n]*)\r\n", 900).group(1)
        qemu_line = expect(r"openv: qemu: ([^\r\n]*)\r\n", 60).group(1)
        # The signed path: our U-Boot checks conf-1's signature with the key of the -dtb.
        expect(re.escape("Verifying Hash Integrity ... sha256,rsa2048:openv+ OK"), 120)
        expect(re.escape(LOGIN_PROMPT), 300)

        # The QEMU line: one line of shell words that is exactly what runs, with absolute
        # paths, so that it can be copied and run from anywhere.
        qemu = shlex.split(qemu_line)
        assert qemu[0] == "qemu-system-riscv64", qemu_line
        qemu_pid, running = qemu_below(child.pid)
        assert running == qemu, (qemu_line, running)
        kernel = qemu[qemu.index("-kernel") + 1]
        drive = dict(kv.split("=", 1) for kv in qemu[qemu.index("-drive") + 1].split(","))
        dtb = qemu[qemu.index("-dtb") + 1]
        for path in (kernel, drive["file"], dtb):
            assert os.path.isabs(path) and os.path.exists(path), path
        assert os.path.samefile(kernel, os.path.join(BUILD, "bootloader", "u-boot.bin"))
        assert os.path.samefile(drive["file"], os.path.join(BUILD, "openv.img"))
        netdev = qemu[qemu.index("-netdev") + 1]
        assert f"hostfwd=tcp::{port}-:22" in netdev.split(","), netdev
        devices = [qemu[i + 1].split(",")[0] for i, a in enumerate(qemu) if a == "-device"]
        assert devices == ["virtio-blk-device", "virtio-net-device", "virtio-rng-device"]

        # The ssh command, as printed: the development key made for this empty HOME.
        ssh = shlex.split(ssh_line)
        assert ssh[0] == "ssh" and ssh[-1] == "root@localhost", ssh_line
        assert ssh[ssh.index("-p") + 1] == str(port), ssh_line
        identity = ssh[ssh.index("-i") + 1]
        assert os.path.samefile(identity, os.path.join(BUILD, "dev-ssh", "id_ed25519"))
        assert not (home / ".ssh").exists()
        r = ssh_until_answer([*ssh, "echo openv-$((6 * 7)); uname -s"])
        assert r.returncode == 0, r.stderr.decode(errors="replace")
        assert r.stdout.decode().split() == ["openv-42", "Linux"], r.stdout

        child.sendcontrol("a")
        child.send("x")
        expect(pexpect.EOF, 30)
        child.close()
        assert child.exitstatus == 0, (child.exitstatus, child.signalstatus)
    finally:
        stop(child, qemu_pid)


def test_make_run_on_pci(tmp_path):
    """QEMU_DISK=pci QEMU_NET=pci: the same machine with the virtio devices on PCI (the rng goes
    with the disk). QEMU starts (virtio-net-pci without QEMU's iPXE ROM, which ipxe-qemu would
    have to provide) and the firmware runs; the boot itself is the virtio-pci tests' business."""
    env, _ = newcomer_env(tmp_path)
    port = free_port()
    child, expect = spawn_make_run(["QEMU_DISK=pci", "QEMU_NET=pci", f"SSH_PORT={port}"], env,
                                   "make-run-pci.log")
    qemu_pid = None
    try:
        qemu = shlex.split(expect(r"openv: qemu: ([^\r\n]*)\r\n", 600).group(1))
        expect("OpenSBI v", 60)
        qemu_pid, running = qemu_below(child.pid)
        assert running == qemu
        devices = [qemu[i + 1] for i, a in enumerate(qemu) if a == "-device"]
        assert devices == ["virtio-blk-pci,drive=hd0", "virtio-net-pci,romfile=,netdev=n0",
                           "virtio-rng-pci"], devices
        child.sendcontrol("a")
        child.send("x")
        expect(pexpect.EOF, 30)
    finally:
        stop(child, qemu_pid)


@pytest.mark.parametrize("args, message", [
    (["QEMU_NET=virtio"], "QEMU_NET=virtio: use mmio or pci"),
    (["QEMU_DISK=PCI"], "QEMU_DISK=PCI: use mmio or pci"),
    (["SSH_PORT=22x"], "SSH_PORT=22x: not a TCP port number"),
    (["SEED=/nonexistent/seed.iso"], "SEED=/nonexistent/seed.iso: not a readable file"),
    (["SEED_URL=http://10.0.2.2/a;b"], "SEED_URL=http://10.0.2.2/a;b: an http:// URL without"),
    (["SEED_URL=http://10.0.2.2/", "UBOOT=/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"],
     "SEED_URL= works with our U-Boot only"),
])
def test_make_run_refuses_bad_settings(tmp_path, args, message):
    env, _ = newcomer_env(tmp_path)
    r = subprocess.run(["make", "run", *args], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert r.returncode != 0
    assert f"openv: make run: {message}" in r.stderr.decode(), r.stderr
    assert b"openv: qemu:" not in r.stdout
