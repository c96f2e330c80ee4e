"""Boot the disk image through stock OpenSBI + U-Boot with a port forward to the guest's SSH
server, and log in with the host's OpenSSH client. Shared by test_ssh.py and `make bench`
(tools/bench_system.py)."""

import contextlib
import os
import socket
import subprocess
import sys
import time

import pexpect

from guest import BUILD, REPO, kernel_image, qemu_machine

sys.path.insert(0, os.path.join(REPO, "image"))
import mkimage  # noqa: E402

UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"
LOGIN_PROMPT = "openv login:"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_image_with_key(kernel, out, pubkey):
    """The disk image of `make image`, with pubkey as root's login key (DEV_SSH_KEY)."""
    old = os.environ.get("DEV_SSH_KEY")
    os.environ["DEV_SSH_KEY"] = str(pubkey)
    try:
        mkimage.build(BUILD, kernel, str(out), "")
    finally:
        if old is None:
            del os.environ["DEV_SSH_KEY"]
        else:
            os.environ["DEV_SSH_KEY"] = old
    return str(out)


def spawn_image(image, forwards=(), snapshot=False, timeout=180, extra_args=(), uboot=UBOOT):
    """QEMU on the disk image, as `make run UBOOT=<stock>` starts it (with uboot= our U-Boot and
    -dtb in extra_args: as `make run` does); forwards: (host port, guest port) pairs on
    127.0.0.1. Returns the pexpect child (the serial console)."""
    netdev = "user,id=n0" + "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{g}" for h, g in forwards)
    drive = f"file={image},format=raw,if=none,id=hd0" + (",snapshot=on" if snapshot else "")
    return pexpect.spawn(
        "qemu-system-riscv64",
        [*qemu_machine(), "-nographic", "-no-reboot", "-kernel", uboot,
         "-drive", drive, "-device", "virtio-blk-device,drive=hd0",
         "-netdev", netdev, "-device", "virtio-net-device,netdev=n0",
         "-device", "virtio-rng-device", *extra_args],
        encoding="utf-8", codec_errors="replace", timeout=timeout)


class Ssh:
    def __init__(self, port, key, known_dir, connect_timeout=20, user="root"):
        self.port = port
        self.key = key
        self.user = user
        self.opts = ["-p", str(port), "-o", "BatchMode=yes",
                     "-o", f"ConnectTimeout={connect_timeout}",
                     "-o", "StrictHostKeyChecking=accept-new",
                     "-o", f"UserKnownHostsFile={known_dir}/known_hosts",
                     "-o", "LogLevel=ERROR"]

    def argv(self, key=None, extra=()):
        return ["ssh", "-i", str(key or self.key), "-o", "IdentitiesOnly=yes", *self.opts,
                *extra, f"{self.user}@127.0.0.1"]

    def run(self, command, check=True, timeout=60, key=None, stdin=None, extra=(),
            stdout=subprocess.PIPE):
        r = subprocess.run([*self.argv(key, extra), command], stdin=stdin or subprocess.DEVNULL,
                           stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
        if check:
            assert r.returncode == 0, r.stderr.decode(errors="replace")
        return r

    def out(self, command):
        """The command's standard output as text (it must succeed)."""
        return self.run(command).stdout.decode()

    def wait_ready(self, within=60, retry=2):
        """Retries `ssh true` until it succeeds or `within` seconds pass; returns the last
        CompletedProcess (returncode 0 once the server lets us in)."""
        deadline = time.monotonic() + within
        while True:
            try:
                r = self.run("true", check=False, timeout=30)
            except subprocess.TimeoutExpired as e:
                r = subprocess.CompletedProcess(e.cmd, 255, b"", b"ssh timed out")
            if r.returncode == 0 or time.monotonic() > deadline:
                return r
            time.sleep(retry)


def make_keys(directory, names=("id_test", "id_wrong")):
    """Fresh ed25519 key pairs (no passphrase) in directory; returns it."""
    for name in names:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                        "-f", str(directory / name)], check=True)
    return directory


@contextlib.contextmanager
def booted_image(tmp_dir, keys, log_name, extra_forwards=()):
    """The disk image with keys/id_test.pub baked in, booted to its login prompt with SSH on a
    free host port; yields an Ssh logged in with keys/id_test (its .console is the serial
    console, .forwards maps each of extra_forwards' guest ports to its host port). Skips
    when there is no kernel."""
    import pytest

    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel):
        pytest.skip("no kernel: run 'make kernel'")
    image = build_image_with_key(kernel, tmp_dir / "openv.img", keys / "id_test.pub")
    port = free_port()
    forwards = {g: free_port() for g in extra_forwards}
    logs = os.path.join(BUILD, "test-logs")
    log = open(os.path.join(logs, log_name), "w", encoding="utf-8") \
        if os.path.isdir(logs) else None
    child = spawn_image(image, forwards=((port, 22), *((h, g) for g, h in forwards.items())))
    child.logfile_read = log
    try:
        child.expect(LOGIN_PROMPT, timeout=180)
        known = tmp_dir / "known"
        known.mkdir(exist_ok=True)
        ssh = Ssh(port, keys / "id_test", known)
        r = ssh.wait_ready(within=60)
        assert r.returncode == 0, r.stderr
        ssh.console = child
        ssh.forwards = forwards
        ssh.image = image           # to boot the same disk again (a reboot ends QEMU)
        ssh.known_dir = known
        yield ssh
    finally:
        child.terminate(force=True)
        if log:
            log.close()
