"""The released artefacts boot (docs/release.md): the release's README command lines, run as a
user would type them in the release directory (tools/release.py's BOOT_METHODS, the port
forward on a free port): the decompressed openv.img.xz through our U-Boot with the shipped
ctrl.dtb (signed boot) and through Debian's U-Boot, and the qcow2. One boot per path.

A release image has no SSH key and root's password is locked: each boot reaches `openv login:`,
the SSH server on the port forward answers with its host key (ssh-keyscan) and refuses a key it
was not given. The README's seed line is the login: a `cloud-localds` seed with the user's key
provisions the default user `openv`, who logs in over ssh and has sudo (docs/cloud-init.md);
there release/VERSION is in `uname -v`, /proc/version and /etc/os-release's VERSION_ID."""

import os
import shlex
import shutil
import subprocess
import sys

import pexpect
import pytest

from guest import BUILD, REPO, kernel_image
from sshguest import LOGIN_PROMPT, free_port

sys.path.insert(0, os.path.join(REPO, "image"))
sys.path.insert(0, os.path.join(REPO, "tools"))
import mkimage  # noqa: E402
import release as release_tool  # noqa: E402

# The README's lines are for -smp 1 (ctrl.dtb is QEMU's tree for exactly that machine).
pytestmark = [pytest.mark.qemu, pytest.mark.same_at_any_smp]
METHODS = {"signed": "signed boot", "stock": "stock U-Boot", "seed": "with a cloud-init seed",
           "qcow2": "qcow2"}


def make_seed(where, key):
    """The seed a user makes for the README's seed line, with the README's commands
    (release.SEED_SETUP, as printed) and HOME at a home whose ~/.ssh/id_ed25519 is `key`."""
    home = key.parent / "home"
    (home / ".ssh").mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    str(home / ".ssh" / "id_ed25519")], check=True)
    shutil.copy(home / ".ssh" / "id_ed25519", key)
    os.chmod(key, 0o600)
    with open(os.path.join(where, "README"), encoding="utf-8") as f:
        readme = f.read()
    for line in release_tool.SEED_SETUP:
        assert f"  {line}\n" in readme, line
        subprocess.run(line, shell=True, cwd=where, check=True, env=dict(os.environ, HOME=str(home)))


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A TEST release of a fresh `make image`-style build, made by tools/release.py."""
    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel) or os.environ.get("OPENV_TEST_KERNEL"):
        pytest.skip("openv's kernel only (a release holds openv's image)")
    if not os.path.exists(os.path.join(BUILD, "bootloader", "u-boot.bin")):
        pytest.skip("no U-Boot of ours: run 'make bootloader'")
    tmp = tmp_path_factory.mktemp("release-boot")
    image = str(tmp / "openv.img")
    mkimage.build(BUILD, kernel, image)
    key = str(tmp / "key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    r = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tools", "release.py"),
                        "--build", BUILD, "--image", image, "--out", str(tmp / "out"),
                        "--key", key], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout
    (d,) = (tmp / "out").iterdir()
    return tmp, str(d)


def readme_method(release_dir, title_start):
    """(setup command, QEMU argv) of the README's boot method whose title starts so."""
    with open(os.path.join(release_dir, "README"), encoding="utf-8") as f:
        readme = f.read()
    for title, lines in release_tool.BOOT_METHODS:
        if title.startswith(title_start):
            # What the user reads is what is run: the lines must be in the README as they are.
            assert "\n".join(f"  {line}" for line in lines) in readme, title
            return lines[0], shlex.split(" ".join(l.rstrip("\\ ") for l in lines[1:]))
    raise AssertionError(f"no boot method {title_start!r} in tools/release.py")


@pytest.mark.parametrize("method", list(METHODS))
def test_release_boots_to_login_and_ssh_answers(released, method):
    tmp, release_dir = released
    where = tmp / method
    shutil.copytree(release_dir, where)
    setup, argv = readme_method(release_dir, METHODS[method])
    subprocess.run(setup, shell=True, cwd=where, check=True)
    if method == "seed":
        make_seed(where, tmp / "user-key")
    port = free_port()
    argv = [a.replace("hostfwd=tcp::2222-:22", f"hostfwd=tcp:127.0.0.1:{port}-:22") for a in argv]
    assert any(str(port) in a for a in argv), argv
    logs = os.path.join(BUILD, "test-logs")
    log = open(os.path.join(logs, f"release-boot-{method}.log"), "w", encoding="utf-8") \
        if os.path.isdir(logs) else None
    child = pexpect.spawn(argv[0], argv[1:] + ["-no-reboot"], cwd=str(where), encoding="utf-8",
                          codec_errors="replace", timeout=240)
    child.logfile_read = log
    try:
        child.expect(LOGIN_PROMPT, timeout=240)
        if method != "stock":
            # Our U-Boot checked conf-1's signature with the key of the shipped ctrl.dtb.
            assert "sha256,rsa2048:openv+ OK" in child.before, child.before[-3000:]
        scan = ""
        for _ in range(15):
            r = subprocess.run(["ssh-keyscan", "-T", "10", "-p", str(port), "127.0.0.1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            scan = r.stdout
            if "ssh-" in scan:
                break
        assert "ssh-ed25519" in scan or "ssh-rsa" in scan, f"no host key from port {port}: {scan!r}"
        # No key is installed in a release: an unknown key is refused, not let in.
        key = tmp / f"unknown-{method}"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        r = subprocess.run(["ssh", "-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                            "-o", "ConnectTimeout=20", "-p", str(port), "root@127.0.0.1", "true"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        assert r.returncode == 255 and "Permission denied" in r.stderr, r.stderr
        if method == "seed":
            # The seed's key logs in as the default user, who has sudo (doas, no password).
            r = subprocess.run(["ssh", "-i", str(tmp / "user-key"), "-o", "IdentitiesOnly=yes",
                                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                                "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20",
                                "-p", str(port), "openv@127.0.0.1",
                                "id -un; sudo id -u; cloud-init status --wait; uname -v; "
                                "cat /proc/version; . /etc/os-release; echo VERSION_ID=$VERSION_ID"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=180)
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert r.stdout.split()[:2] == ["openv", "0"], r.stdout
            assert "status: done" in r.stdout, r.stdout
            # release/VERSION, in the released image: the kernel's uname -v and /proc/version,
            # and /etc/os-release's VERSION_ID.
            ver = release_tool.version()
            lines = r.stdout.splitlines()
            assert f"#1 SMP openv {ver}" in lines, r.stdout
            assert any(l.startswith("Linux version ") and l.endswith(f"#1 SMP openv {ver}")
                       for l in lines), r.stdout
            assert f"VERSION_ID={ver}" in lines, r.stdout
    finally:
        child.terminate(force=True)
        if log:
            log.close()
