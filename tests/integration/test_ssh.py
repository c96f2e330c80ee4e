"""SSH into openv the way a user does: the disk image boots through stock OpenSBI and U-Boot,
init starts Dropbear (host keys generated on the first boot, on /data), and the host's real
OpenSSH client logs in as root through QEMU's port forward with the key baked into the image
(DEV_SSH_KEY, as `make run` does).

OPENV_TEST_KERNEL=linux puts the Linux reference kernel in the image instead, to check that the
tests encode what a Linux box does."""

import concurrent.futures
import hashlib
import os
import socket
import subprocess
import time

import pexpect
import pytest

from sshguest import Ssh, booted_image, free_port, make_keys, spawn_image

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def booted(keys, tmp_path_factory):
    with booted_image(tmp_path_factory.mktemp("ssh"), keys, "ssh-console.log",
                      extra_forwards=(8080,)) as ssh:
        ssh.http_port = ssh.forwards[8080]
        yield ssh


def test_uname_over_ssh(booted):
    out = booted.run("uname -a").stdout.decode()
    assert out.startswith("Linux ") and "riscv64" in out
    if os.environ.get("OPENV_TEST_KERNEL", "") != "linux":
        assert "openv" in out


def test_exit_status_propagates(booted):
    assert booted.run("exit 3", check=False).returncode == 3


def test_root_is_readonly_and_data_persists_keys(booted):
    mounts = booted.run("cat /proc/mounts").stdout.decode()
    assert any(line.split()[1] == "/" and line.split()[3].startswith("ro")
               for line in mounts.splitlines()), mounts
    assert any(line.split()[1] == "/data" and line.split()[2] == "ofs"
               for line in mounts.splitlines()), mounts
    keys = booted.run("ls /data/etc/dropbear").stdout.decode().split()
    assert "dropbear_ed25519_host_key" in keys and "dropbear_ecdsa_host_key" in keys


def test_stdin_and_scp_round_trip(booted, tmp_path):
    data = os.urandom(16 << 20)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    with open(src, "rb") as fh:
        booted.run("cat > /tmp/up.bin", stdin=fh, timeout=300)
    assert booted.run("sha256sum /tmp/up.bin").stdout.decode().split()[0] == digest
    scp = ["scp", "-i", str(booted.key), "-o", "IdentitiesOnly=yes", "-O",
           *[o if o != "-p" else "-P" for o in booted.opts]]
    subprocess.run([*scp, str(src), "root@127.0.0.1:/tmp/scp.bin"], check=True, timeout=300)
    back = tmp_path / "down.bin"
    subprocess.run([*scp, "root@127.0.0.1:/tmp/scp.bin", str(back)], check=True, timeout=300)
    assert hashlib.sha256(back.read_bytes()).hexdigest() == digest
    booted.run("rm -f /tmp/up.bin /tmp/scp.bin")


def test_ten_concurrent_sessions(booted):
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda i: booted.run(f"echo session-{i}", check=False,
                                                     timeout=120), range(10)))
    for i, r in enumerate(results):
        assert r.returncode == 0 and r.stdout.decode().strip() == f"session-{i}", r.stderr


def test_wrong_key_and_passwords_are_refused(booted, keys):
    assert booted.run("true", check=False, key=keys / "id_wrong").returncode == 255
    r = booted.run("true", check=False,
                   extra=("-o", "PreferredAuthentications=password,keyboard-interactive"))
    assert r.returncode == 255


def test_server_survives_rapid_connects_and_garbage(booted):
    for i in range(50):
        with socket.create_connection(("127.0.0.1", booted.port), timeout=10) as s:
            if i % 5 == 0:
                s.sendall(os.urandom(512))
    assert booted.run("echo alive").stdout.decode().strip() == "alive"


def test_half_open_connections_leave_sshd_answering(booted):
    """Connections that never speak (fewer than Dropbear's per-address limit of 16: QEMU's
    user net makes every connection come from one address) do not stop a real login."""
    idle = [socket.create_connection(("127.0.0.1", booted.port), timeout=10) for _ in range(10)]
    try:
        assert booted.run("echo still-here").stdout.decode().strip() == "still-here"
    finally:
        for s in idle:
            s.close()
    assert booted.run("echo after").stdout.decode().strip() == "after"


def test_interactive_session(booted):
    child = pexpect.spawn("ssh", ["-tt", *booted.argv()[1:]], encoding="utf-8",
                          codec_errors="replace", timeout=60, dimensions=(24, 80))
    try:
        child.expect(r"[#$] ")
        child.sendline("stty size")
        child.expect(r"24 80")
        child.setwinsize(40, 120)
        time.sleep(1)
        child.sendline("stty size")
        child.expect(r"40 120")
        child.sendline("sleep 100")
        time.sleep(1)
        child.sendintr()
        child.expect(r"[#$] ")
        child.sendline("echo after-interrupt")
        child.expect("after-interrupt\r\n")
        # Line editing: a typo erased with backspace never reaches the shell.
        child.send("echo edXit\x7f\x7f\x7fited\r")
        child.expect("\r\nedited\r\n")
        child.expect(r"[#$] ")
        # vi in the session's terminal: insert text, leave with :wq, read it back.
        child.sendline("vi /tmp/ssh-vi.txt")
        time.sleep(2)
        child.send("ityped over ssh")
        child.send("\x1b")
        time.sleep(0.5)
        child.send(":wq\r")
        child.expect(r"[#$] ")
        child.sendline("cat /tmp/ssh-vi.txt")
        child.expect("typed over ssh\r\n")
        child.expect(r"[#$] ")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_local_port_forward_to_guest_httpd(booted, tmp_path):
    booted.run("mkdir -p /tmp/www && echo forwarded > /tmp/www/index.html && "
               "httpd -p 127.0.0.1:8081 -h /tmp/www")
    local = free_port()
    fwd = subprocess.Popen([*booted.argv(extra=("-N", "-L", f"{local}:127.0.0.1:8081"))],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with socket.create_connection(("127.0.0.1", local), timeout=10) as s:
                    s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
                    reply = b""
                    while chunk := s.recv(4096):
                        reply += chunk
                    if b"forwarded" in reply:
                        body = reply
            except OSError:
                time.sleep(1)
        assert body is not None
    finally:
        fwd.terminate()
        fwd.wait(timeout=10)


def test_user_gets_its_own_pty_but_not_the_console(booted, keys):
    """A normal user logs in with a pty that Dropbear hands to it (uid:tty 0620), and cannot
    write to the serial line or the console (TIOCSTI into root's shell) or read the disk."""
    booted.run("adduser -D carol && mkdir -p /home/carol/.ssh && "
               "cp /data/root/.ssh/authorized_keys /home/carol/.ssh/ && "
               "chown -R carol /home/carol/.ssh && chmod 700 /home/carol/.ssh")
    try:
        argv = booted.argv(extra=("-tt",))
        argv[-1] = "carol@127.0.0.1"
        script = ("id -u; t=$(tty); stat -c 'pty %U %G %a' $t; "
                  "for d in /dev/ttyS0 /dev/console; do echo x 2>/dev/null >$d || echo no-$d; done; "
                  "head -c 1 /dev/vda >/dev/null 2>&1 || echo no-vda")
        r = subprocess.run([*argv, script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        out = r.stdout.decode().replace("\r", "")
        assert r.returncode == 0, (out, r.stderr)
        assert out.splitlines()[0] == "1000", out
        assert "pty carol tty 620" in out, out
        for denied in ("no-/dev/ttyS0", "no-/dev/console", "no-vda"):
            assert denied in out, out
    finally:
        booted.run("deluser --remove-home carol", check=False)


def test_etc_changes_persist_across_a_reboot_and_factory_reset(booted, keys):
    """The /etc overlay (upper layer on /data): adduser, chpasswd, passwd, a hostname change, a
    new file and a removed image file survive a reboot of the same disk; factory-reset brings
    back the image's /etc. Last in this module: it reboots the guest."""
    if "overlay" not in booted.run("cat /proc/filesystems").stdout.decode():
        pytest.skip("this kernel has no overlay filesystem")
    mounts = booted.run("cat /proc/mounts").stdout.decode()
    assert any(line.split()[1:3] == ["/etc", "overlay"] for line in mounts.splitlines()), mounts
    for command in ("adduser -D bob", "echo bob:bob-Pw-1 | chpasswd",
                    "printf 'root-Pw-2\\nroot-Pw-2\\n' | passwd root",
                    "echo persisted > /etc/hostname && hostname -F /etc/hostname",
                    "echo x > /etc/newfile && rm /etc/os-release && sync"):
        booted.run(command)
    shadow = booted.run("grep -E '^(root|bob):' /etc/shadow").stdout.decode()
    hashes = dict(line.split(":")[:2] for line in shadow.splitlines())
    assert len(hashes["bob"]) > 2 and len(hashes["root"]) > 2, shadow
    assert not hashes["root"].startswith("!") and not hashes["bob"].startswith("!"), shadow
    passwd = booted.run("cat /etc/passwd").stdout.decode().splitlines()
    assert [line.split(":")[0] for line in passwd] == ["root", "nobody", "bob"], passwd

    booted.console.sendline("")
    booted.console.expect("login:")
    booted.run("reboot", check=False)
    booted.console.expect(pexpect.EOF, timeout=120)     # -no-reboot: a reset ends QEMU
    booted.console.wait()

    port = free_port()
    child = spawn_image(booted.image, forwards=((port, 22),))
    try:
        child.expect_exact("persisted login:", timeout=180)     # the new hostname
        ssh = Ssh(port, keys / "id_test", booted.known_dir)
        assert ssh.wait_ready(within=60).returncode == 0
        run = lambda cmd: ssh.run(cmd).stdout.decode()  # noqa: E731
        assert run("grep -E '^(root|bob):' /etc/shadow") == shadow
        assert run("id -u bob").strip() == "1000"
        assert run("hostname").strip() == "persisted"
        assert run("cat /etc/newfile") == "x\n"
        assert ssh.run("test -e /etc/os-release", check=False).returncode == 1
        # Linux's whiteout format in the upper layer.
        assert run("stat -c %F:%t:%T /data/overlay/etc/upper/os-release").strip() == \
            "character special file:0:0"

        # Factory reset, at once (no process holds a file in /etc) and without the reboot.
        out = run("factory-reset -y -n")
        assert "image's defaults" in out, out
        assert ssh.run("grep -q ^bob: /etc/passwd", check=False).returncode == 1
        assert run("grep ^root: /etc/shadow").startswith("root:!:")
        assert run("cat /etc/hostname").strip() == "openv"
        assert ssh.run("test -e /etc/newfile", check=False).returncode == 1
        assert "openv" in run("cat /etc/os-release").lower()
    finally:
        child.terminate(force=True)
