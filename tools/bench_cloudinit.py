"""What cloud-init provisioning costs on the first boot (issue 16): QEMU start to the first
successful `ssh true`, on a fresh copy of the image each time,
  - without a seed: root with the image's key (build/dev-ssh, as `make run` bakes it), the
    agent finding no datasource;
  - with a `cloud-localds` iso9660 seed that creates a user with a key (and sets the
    hostname, writes a file, runs a command): as that user.
The difference is what provisioning adds (target: under 0.5 s). Median of BENCH_CI_ROUNDS
boots each (default 3), alternated so that host load drifts hit both alike.
The host's figure includes QEMU, the firmware and the ssh polling (0.2 s steps), so the guest's
own clock is read too: when the SSH server started, in seconds since the kernel booted
(/proc/PID/stat's starttime of the oldest dropbear, in USER_HZ = 100 ticks), which rcS starts
right after cloud-init's stages: its difference is the agent's cost alone.

tools/bench_system.py calls figures() as its "cloudinit" part; BENCH_SKIP_CLOUDINIT=1 skips it.
Alone: python3 tools/bench_cloudinit.py
"""

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from guest import BUILD, GuestError  # noqa: E402
from sshguest import Ssh, build_image_with_key, free_port, spawn_image  # noqa: E402

WORK = os.path.join(BUILD, "bench-cloudinit")
DEV_KEY = os.path.join(BUILD, "dev-ssh", "id_ed25519")
ROUNDS = int(os.environ.get("BENCH_CI_ROUNDS", "3"))
USER = "bench"


def fig(value, unit):
    return {"value": round(value, 4) if isinstance(value, float) else value, "unit": unit}


def log(msg):
    print(f"bench: cloudinit: {msg}", file=sys.stderr)


def dev_key():
    if not os.path.exists(DEV_KEY):
        os.makedirs(os.path.dirname(DEV_KEY), exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "openv-dev",
                        "-f", DEV_KEY], check=True)
    return DEV_KEY


def make_seed(directory, key):
    with open(key + ".pub") as f:
        pub = f.read().strip()
    ud, md = os.path.join(directory, "user-data"), os.path.join(directory, "meta-data")
    with open(ud, "w") as f:
        f.write(f"#cloud-config\nhostname: bench\nusers:\n  - name: {USER}\n"
                f"    ssh_authorized_keys: [{pub}]\n"
                "write_files:\n  - path: /etc/bench.txt\n    content: provisioned\n"
                "runcmd:\n  - echo provisioned\n")
    with open(md, "w") as f:
        f.write("instance-id: iid-bench-1\n")
    seed = os.path.join(directory, "seed.iso")
    subprocess.run(["cloud-localds", seed, ud, md], check=True)
    return seed


SSHD_START = "for p in $(pidof dropbear); do cut -d' ' -f22 /proc/$p/stat; done"
USER_HZ = 100


def first_ssh(base, seed, key, user):
    """(seconds from QEMU's start to the first successful `ssh true` on a fresh copy of base,
    seconds from the guest kernel's start to its SSH server's start)."""
    image = os.path.join(WORK, "boot.img")
    subprocess.run(["cp", "--sparse=always", base, image], check=True)
    known = tempfile.mkdtemp(prefix="known-", dir=WORK)
    port = free_port()
    extra = ["-drive", f"file={seed},format=raw,if=none,id=seed,readonly=on",
             "-device", "virtio-blk-device,drive=seed"] if seed else []
    start = time.monotonic()
    child = spawn_image(image, forwards=((port, 22),), extra_args=extra)
    child.logfile_read = open(os.path.join(WORK, "console.log"), "w", encoding="utf-8")

    def drain():                # QEMU must never block on a full console
        try:
            child.expect("never printed", timeout=None)
        except Exception:       # EOF once QEMU is gone
            pass

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    try:
        ssh = Ssh(port, key, known, connect_timeout=5, user=user)
        r = ssh.wait_ready(within=240, retry=0.2)
        if r.returncode != 0:
            raise GuestError(f"ssh as {user} never succeeded: "
                             f"{r.stderr.decode(errors='replace')}")
        host = time.monotonic() - start
        ticks = [int(t) for t in ssh.run(SSHD_START).stdout.decode().split()]
        return host, min(ticks) / USER_HZ
    finally:
        child.terminate(force=True)
        t.join(timeout=10)
        child.logfile_read.close()
        shutil.rmtree(known, ignore_errors=True)


def figures(out, kernel):
    if shutil.which("cloud-localds") is None:
        raise GuestError("cloud-localds not found: run 'make deps' (cloud-image-utils)")
    key = dev_key()
    os.makedirs(WORK, exist_ok=True)
    base = os.path.join(WORK, "openv.img")
    with contextlib.redirect_stdout(sys.stderr):     # stdout is bench's JSON
        build_image_with_key(kernel, base, key + ".pub")
    seed = make_seed(WORK, key)
    plain, seeded = [], []
    for i in range(ROUNDS):
        plain.append(first_ssh(base, None, key, "root"))
        seeded.append(first_ssh(base, seed, key, USER))
        log(f"round {i + 1}: first ssh / sshd start: no seed {plain[-1][0]:.2f} / "
            f"{plain[-1][1]:.2f} s, seed {seeded[-1][0]:.2f} / {seeded[-1][1]:.2f} s")
    a, b = (statistics.median(x[0] for x in v) for v in (plain, seeded))
    ga, gb = (statistics.median(x[1] for x in v) for v in (plain, seeded))
    out["cloudinit_first_ssh_no_seed"] = fig(a, "s")
    out["cloudinit_first_ssh_seeded"] = fig(b, "s")
    out["cloudinit_provisioning_cost"] = fig(b - a, "s")
    out["cloudinit_guest_sshd_start_no_seed"] = fig(ga, "s")
    out["cloudinit_guest_sshd_start_seeded"] = fig(gb, "s")
    out["cloudinit_guest_provisioning_cost"] = fig(gb - ga, "s")


NOTE = ("fresh image copy per boot (stock U-Boot, -smp as QEMU_SMP of the "
        "bench), QEMU start to the first successful `ssh true`: no seed (root, image key) and "
        "a cloud-localds iso9660 seed creating a user with a key (as that user), median of "
        "BENCH_CI_ROUNDS (3) alternated boots; cost = seeded - no seed (target < 0.5 s); "
        "guest_*: the same boots, the SSH server's start on the guest's clock (starttime of "
        "the oldest dropbear), free of QEMU and ssh-polling noise")


if __name__ == "__main__":
    import json
    result = {}
    figures(result, os.path.join(BUILD, "kernel", "Image"))
    print(json.dumps(result, indent=2, sort_keys=True))
