"""The first boot survives a power cut: QEMU is killed (SIGKILL, no shutdown) while the first
boot generates the Dropbear host keys on /data, and the next boot still answers SSH. Then, on
that second boot, the damage a cut can leave (a stale `<key>.new`, a key file with garbage in
it) is planted by hand and S50dropbear restarted: it removes the temporary, remakes the damaged
key, and the server answers with valid keys. Two boots in all."""

import os
import signal

import pytest

from sshguest import LOGIN_PROMPT, Ssh, build_image_with_key, free_port, make_keys, spawn_image
from guest import BUILD, kernel_image

pytestmark = pytest.mark.qemu

KEYDIR = "/data/etc/dropbear"


def console_log(name):
    logs = os.path.join(BUILD, "test-logs")
    return open(os.path.join(logs, name), "w", encoding="utf-8") if os.path.isdir(logs) else None


def test_power_cut_during_host_key_generation(tmp_path):
    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel):
        pytest.skip("no kernel: run 'make kernel'")
    (tmp_path / "keys").mkdir()
    keys = make_keys(tmp_path / "keys")
    image = build_image_with_key(kernel, tmp_path / "openv.img", keys / "id_test.pub")

    # Boot 1: the cut, as soon as the second key (ecdsa, the slower one) is being made; the
    # first is then on disk or in flight, depending on the write-back.
    log = console_log("firstboot-cut-console.log")
    child = spawn_image(image)
    child.logfile_read = log
    try:
        child.expect("dropbear: generating the ecdsa host key", timeout=240)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.close(force=True)
        if log:
            log.close()

    # Boot 2: sshd answers.
    port = free_port()
    log = console_log("firstboot-after-cut-console.log")
    child = spawn_image(image, forwards=((port, 22),))
    child.logfile_read = log
    try:
        child.expect(LOGIN_PROMPT, timeout=240)
        known = tmp_path / "known1"
        known.mkdir()
        ssh = Ssh(port, keys / "id_test", known)
        r = ssh.wait_ready(within=90)
        assert r.returncode == 0, r.stderr
        out = ssh.run(f"ls -a {KEYDIR}; for k in {KEYDIR}/*_host_key; do "
                      "dropbearkey -y -f $k >/dev/null && echo valid $k; done").stdout.decode()
        assert ".new" not in out, out
        assert f"valid {KEYDIR}/dropbear_ed25519_host_key" in out, out
        assert f"valid {KEYDIR}/dropbear_ecdsa_host_key" in out, out

        # What a cut at another moment leaves: a stale temporary and a damaged key.
        out = ssh.run(
            f"cd {KEYDIR} && head -c 100 /dev/urandom > dropbear_ecdsa_host_key.new && "
            "head -c 60 /dev/urandom > dropbear_ed25519_host_key && "
            "/etc/init.d/S50dropbear restart 2>&1; ls -a").stdout.decode()
        assert "dropbear_ed25519_host_key is damaged" in out, out
        assert "listening on port 22" in out, out
        assert ".new" not in out, out
        known2 = tmp_path / "known2"
        known2.mkdir()
        again = Ssh(port, keys / "id_test", known2)
        r = again.wait_ready(within=60)
        assert r.returncode == 0, r.stderr
        out = again.run(f"for k in {KEYDIR}/*_host_key; do "
                        "dropbearkey -y -f $k >/dev/null && echo valid $k; done").stdout.decode()
        assert out.count("valid") == 2, out
    finally:
        child.terminate(force=True)
        if log:
            log.close()
