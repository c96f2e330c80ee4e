"""The cloud-init agent's core on the disk image (the root read-only, state on /data): a boot
without a seed says "disabled" and changes nothing; a boot with a `cloud-localds` seed finds it
by label, records the instance under /var/lib/cloud, runs a `#!` user-data script once and
reports `status: done` with the datasource; the next boot with the same seed (same
instance-id) does not run the script again; `cloud-init clean --logs` makes the next boot a
first boot. Also: NoCloud over HTTP, vfat and ConfigDrive seeds, a malformed seed, and every
stage of the binary under qemu-user on a directory root. (ci-net's test_cloudinit.py covers the
modules, the formats and the bad seeds in full.)"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from guest import BUILD
from test_disk import boot_root_shell, image  # noqa: F401  (image: the module's fixture)

pytestmark = pytest.mark.qemu


def boot(disk, seed, name, append="", net=False, snapshot=False):
    return boot_root_shell(disk, [seed] if seed else [], name, append, snapshot=snapshot, net=net,
                           readonly=True)


def shutdown(g):
    g.check("sync")
    g.poweroff()
    g.close()


def test_no_seed_disabled_then_seed_runs_once_per_instance(image, tmp_path):  # noqa: F811
    disk = str(tmp_path / "openv.img")
    shutil.copyfile(image, disk)
    (tmp_path / "user-data").write_text("#!/bin/sh\necho core-script-ran\n"
                                        "echo ran >> /data/core-marker\n")
    (tmp_path / "meta-data").write_text("instance-id: iid-core-1\nlocal-hostname: corebox\n")
    seed = str(tmp_path / "seed.iso")
    subprocess.run(["cloud-localds", seed, tmp_path / "user-data", tmp_path / "meta-data"],
                   check=True)

    g = boot(disk, None, "cloudinit-core-noseed")
    try:
        out, rc = g.run("cloud-init status --long")
        assert rc == 0 and "status: disabled" in out, out
        assert g.check("ls --color=never -A /var/lib/cloud/") == "data", "only status.json is written"
        assert g.check("cloud-init --version").startswith("cloud-init ")
    finally:
        shutdown(g)

    g = boot(disk, seed, "cloudinit-core-seed1")
    try:
        out, rc = g.run("cloud-init status --wait --long", timeout=120)
        assert rc == 0, out
        assert "status: done" in out, out
        assert "detail: DataSourceNoCloud [seed=/dev/disk/by-label/cidata]" in out, out
        doc = json.loads(g.check("cloud-init status --format json"))
        assert doc["status"] == "done" and doc["errors"] == [], doc
        assert g.check("readlink /var/lib/cloud/instance") == "instances/iid-core-1"
        assert g.check("cat /var/lib/cloud/data/instance-id") == "iid-core-1"
        assert g.check("cat /data/core-marker") == "ran"
        assert "core-script-ran" in g.check("cat /var/log/cloud-init-output.log")
        sems = g.check("ls --color=never /var/lib/cloud/instance/sem/").split()
        assert "config_scripts_user" in sems and "config_users_groups" in sems, sems
        assert g.check("test -e /var/lib/cloud/instance/boot-finished && echo yes") == "yes"
    finally:
        shutdown(g)

    g = boot(disk, seed, "cloudinit-core-seed2")
    try:
        out, rc = g.run("cloud-init status --wait --long", timeout=120)
        assert rc == 0 and "status: done" in out, out
        assert g.check("cat /data/core-marker") == "ran", "the per-instance script ran again"
        assert "iid-core-1" in g.check("cat /var/log/cloud-init.log")
        g.check("cloud-init clean --logs")
        assert g.check("ls --color=never -A /var/lib/cloud/ | wc -l") == "0"
        assert g.check("ls --color=never /var/log/cloud-init.log 2>/dev/null | wc -l") == "0"
        out, rc = g.run("cloud-init status")
        assert rc == 0 and "status: not run" in out, out
    finally:
        shutdown(g)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nocloud_over_http_from_the_command_line(image, tmp_path):  # noqa: F811
    """ds=nocloud;s=http://10.0.2.2:PORT/seed/;h=... : QEMU's user network reaches the host's
    127.0.0.1, where python3 -m http.server serves the seed; h= wins over local-hostname."""
    seed = tmp_path / "www" / "seed"
    seed.mkdir(parents=True)
    (seed / "meta-data").write_text('{"instance-id": "iid-http-1", "local-hostname": "x"}\n')
    (seed / "user-data").write_text("#!/bin/sh\necho http-script-ran\n")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                               str(port), "--directory", str(tmp_path / "www")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        g = boot(image, None, "cloudinit-core-http",
                 append=f"ds=nocloud;s=http://10.0.2.2:{port}/seed/;h=httpbox", net=True,
                 snapshot=True)
        try:
            out, rc = g.run("cloud-init status --wait --long", timeout=120)
            assert rc == 0 and "status: done" in out, out
            assert f"DataSourceNoCloudNet [seed=http://10.0.2.2:{port}/seed/]" in out, out
            assert json.loads(g.check("cloud-init status --format json"))["datasource"] == "nocloud"
            assert g.check("cat /var/lib/cloud/data/instance-id") == "iid-http-1"
            assert g.check("cat /var/lib/cloud/instance/hostname-override") == "httpbox"
            assert "http-script-ran" in g.check("cat /var/log/cloud-init-output.log")
        finally:
            g.close()
    finally:
        server.terminate()
        server.wait()


def test_vfat_configdrive_and_bad_seeds(image, tmp_path):  # noqa: F811
    """A `cloud-localds -f vfat` seed and a `genisoimage -V config-2` ConfigDrive are found by
    label and mounted with the right filesystem; a seed whose cloud-config is not YAML gives
    status error (exit 1) with the line, and the boot still reaches sshd."""
    t = tmp_path
    (t / "user-data").write_text("#cloud-config\n")
    (t / "meta-data").write_text("instance-id: iid-vfat\n")
    vfat = str(t / "seed-vfat.img")
    subprocess.run(["cloud-localds", "-f", "vfat", vfat, t / "user-data", t / "meta-data"],
                   check=True)
    cd = t / "cd" / "openstack" / "latest"
    cd.mkdir(parents=True)
    (cd / "meta_data.json").write_text('{"uuid": "83679162-1378-4288-a2d4-70e13ec132aa", '
                                       '"hostname": "cfgdrive", "public_keys": {"k": "ssh-ed25519 AAAA"}}')
    (cd / "user_data").write_text("#!/bin/sh\necho configdrive-script-ran\n")
    configdrive = str(t / "configdrive.iso")
    subprocess.run(["genisoimage", "-quiet", "-V", "config-2", "-J", "-R", "-o", configdrive,
                    str(t / "cd")], check=True)
    bad = t / "bad"
    bad.mkdir()
    (bad / "user-data").write_text("#cloud-config\nwrite_files: [\n  - path: /x\n")
    (bad / "meta-data").write_text("instance-id: iid-bad\n")
    badseed = str(t / "bad.iso")
    subprocess.run(["cloud-localds", badseed, bad / "user-data", bad / "meta-data"], check=True)

    for seed, name, detail, iid in (
            (vfat, "vfat", "DataSourceNoCloud [seed=/dev/disk/by-label/cidata]", "iid-vfat"),
            (configdrive, "configdrive", "DataSourceConfigDrive [seed=/dev/disk/by-label/config-2]",
             "83679162-1378-4288-a2d4-70e13ec132aa")):
        g = boot(image, seed, f"cloudinit-core-{name}", snapshot=True)
        try:
            out, rc = g.run("cloud-init status --wait --long", timeout=120)
            assert rc == 0 and "status: done" in out and f"detail: {detail}" in out, out
            assert g.check("cat /var/lib/cloud/data/instance-id") == iid
            assert g.check("grep -c ' /run/cloud-init/seed ' /proc/mounts || true") == "0"
            if name == "configdrive":
                assert "configdrive-script-ran" in g.check("cat /var/log/cloud-init-output.log")
        finally:
            g.close()

    g = boot(image, badseed, "cloudinit-core-bad", snapshot=True)
    try:
        out, rc = g.run("cloud-init status --wait --long", timeout=120)
        assert rc == 1 and "status: error" in out, out
        assert "user-data: invalid cloud-config: line" in out, out
        assert g.check("test -s /run/dropbear.pid && echo up") == "up"
    finally:
        g.close()


def test_every_stage_of_the_guest_binary_under_qemu_user(qemu_user, tmp_path):
    """build/cloud-init/cloud-init itself, stage after stage, on a directory standing for the
    root (CLOUD_INIT_ROOT; there /dev/disk/by-label/cidata may be a directory holding the seed's
    files, and commands are recorded in /.ci-commands rather than run): a MIME user-data with a
    cloud-config part carrying an unknown key and a script ends `done`, degraded (exit 2)."""
    agent = os.path.join(BUILD, "cloud-init", "cloud-init")
    root = tmp_path / "root"
    seed = root / "dev" / "disk" / "by-label" / "cidata"
    seed.mkdir(parents=True)
    (root / "proc").mkdir()
    (root / "proc" / "cmdline").write_text("console=ttyS0 ds=nocloud;h=qemuuser\n")
    (seed / "meta-data").write_text("instance-id: iid-qemu-user\n")
    (seed / "user-data").write_text(
        'Content-Type: multipart/mixed; boundary="XX"\nMIME-Version: 1.0\n\n'
        '--XX\nContent-Type: text/cloud-config\n\n#cloud-config\nbogus_key: 1\n'
        '--XX\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho hi\n--XX--\n')
    env = dict(os.environ, CLOUD_INIT_ROOT=str(root))

    def agent_run(*args):
        return qemu_user([agent, *args], env=env, text=True)

    assert agent_run("--version").stdout.startswith("cloud-init ")
    for stage in (["init", "--local"], ["init"], ["modules", "--mode", "config"],
                  ["modules", "--mode", "final"]):
        r = agent_run(*stage)
        assert r.returncode == 0, (stage, r.stdout, r.stderr)
    r = agent_run("status", "--format", "json")
    assert r.returncode == 2, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "done" and doc["extended_status"] == "degraded done", doc
    assert any("bogus_key" in w for w in doc["recoverable_errors"]["WARNING"]), doc
    assert doc["detail"] == "DataSourceNoCloud [seed=/dev/disk/by-label/cidata]", doc
    inst = root / "var" / "lib" / "cloud" / "instances" / "iid-qemu-user"
    assert (inst / "hostname-override").read_text() == "qemuuser"
    # The line break before a MIME delimiter belongs to the delimiter (RFC 2046).
    assert (inst / "scripts" / "part-001").read_text() == "#!/bin/sh\necho hi"
    assert "scripts/part-001" in (root / ".ci-commands").read_text()
    assert (root / "var" / "log" / "cloud-init.log").stat().st_mode & 0o777 == 0o640
    r = agent_run("clean", "--logs")
    assert r.returncode == 0 and not any((root / "var" / "lib" / "cloud").iterdir())
