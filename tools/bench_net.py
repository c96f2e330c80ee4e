"""Network figures of `make bench` for any kernel (issue #13): SSH upload and download of
BENCH_SSH_MIB (32) MiB through QEMU's user network, with the initramfs's own Dropbear.

Both kernels boot the same initramfs on the same QEMU machine (`-M virt -m 512M -smp 1`,
virtio-net-device with a hostfwd to the guest's port 22), so openv and Linux are compared on
everything but the kernel. The initramfs's /init starts no services, so this does what an init
script would: lo and eth0 up (openv configures eth0 by DHCP itself; Linux gets the address
slirp's DHCP server would give, 10.0.2.15/24 via 10.0.2.2, statically), root's
authorized_keys, then /etc/init.d/S50dropbear start (host keys in /run/dropbear).

Upload: `ssh ... 'cat >/dev/null' < 32 MiB of random bytes`; download: `ssh ... 'dd
if=/dev/zero bs=64k count=512'` (the stream is encrypted either way). Not `head -c`: BusyBox's
copies a byte at a time through stdio and writes 1 KiB at a time, which costs 36 ms of guest
CPU per MiB by itself and, with its many small pipe writes, made the download about three
times slower than a `dd` of the same bytes. MB/s with the median `ssh true` time (connection
setup) taken off, the best of BENCH_SSH_TRANSFERS (3) rounds. Wall-clock figures follow the
host's load; two costs per MiB (ms/MiB, lower is better) follow it much less, so they are
reported too: the guest's own CPU time (/proc/stat, not idle, around each transfer; its kernel
part separately) and the host CPU time of the QEMU process (all its threads: the emulated
hart, the device models and the user network).
BENCH_SKIP_NET=1 skips all of it.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from guest import BUILD, Guest, GuestError  # noqa: E402
from sshguest import Ssh, free_port  # noqa: E402

WORK = os.path.join(BUILD, "bench-net")
SSH_MIB = int(os.environ.get("BENCH_SSH_MIB", "32"))
SETUP_ROUNDS = int(os.environ.get("BENCH_SSH_ROUNDS", "5"))
# Each transfer is repeated; the best round counts (the machine is shared and noisy).
TRANSFER_ROUNDS = int(os.environ.get("BENCH_SSH_TRANSFERS", "3"))
# BENCH_NET_ICOUNT=1: QEMU's -icount shift=0 (the guest clock counts instructions while the
# hart runs), so the guest CPU figures count work, not the host's load. Slower.
ICOUNT = ("-icount", "shift=0") if os.environ.get("BENCH_NET_ICOUNT") == "1" else ()

# What the guest sends: whole 64 KiB writes from a source that costs nothing, the mirror of
# the upload's `cat >/dev/null`.
DOWNLOAD_COMMAND = f"dd if=/dev/zero bs=65536 count={SSH_MIB * 16} 2>/dev/null"

NET_UP = ("ifconfig lo 127.0.0.1 up 2>/dev/null; "
          "for i in $(seq 1 20); do ifconfig eth0 2>/dev/null | grep -q 'inet addr:10.0.2.15' "
          "&& break; sleep 0.5; done; "
          "ifconfig eth0 | grep -q 'inet addr:10.0.2.15' || "
          "{ ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && "
          "route add default gw 10.0.2.2; }")


def fig(value, unit):
    return {"value": round(value, 4), "unit": unit}


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def keypair():
    os.makedirs(WORK, exist_ok=True)
    key = os.path.join(WORK, "id_ed25519")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "openv-bench",
                        "-f", key], check=True)
    return key


def payload():
    """SSH_MIB MiB of random bytes (incompressible), made once per run."""
    path = os.path.join(WORK, f"upload-{SSH_MIB}M.bin")
    if not os.path.exists(path) or os.path.getsize(path) != SSH_MIB << 20:
        with open(path + ".tmp", "wb") as f:
            f.write(os.urandom(SSH_MIB << 20))
        os.replace(path + ".tmp", path)
    return path


def busy_seconds(g):
    """Guest CPU time since boot (/proc/stat, USER_HZ on both kernels), in s: (not idle
    nor iowait, of which in the kernel: system, irq, softirq)."""
    fields = g.check("head -1 /proc/stat").split()
    t = [int(x) / 100.0 for x in fields[1:9]]
    return (sum(t) - t[3] - t[4], t[2] + t[5] + t[6])


def qemu_cpu_seconds(pid):
    """Host CPU time (user + system) of the QEMU process, every thread, in s."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sshd(g, pubkey):
    g.check(NET_UP, timeout=60)
    g.check(f"mkdir -p /root/.ssh && chmod 700 /root/.ssh && echo '{pubkey}' > "
            "/root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys")
    g.check("/etc/init.d/S50dropbear start", timeout=300)


def measure(kernel):
    """{"ssh_upload_host_to_guest": ..., "ssh_download_guest_to_host": ..., ...} for kernel."""
    key = keypair()
    with open(key + ".pub", encoding="utf-8") as f:
        pubkey = f.read().strip()
    data = payload()
    nbytes = SSH_MIB << 20
    port = free_port()
    known = tempfile.mkdtemp(prefix="known-", dir=WORK)
    extra = ("-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22",
             "-device", "virtio-net-device,netdev=n0", *ICOUNT)
    out = {}
    try:
        with Guest.boot(kernel=kernel, append="quiet", extra_args=extra, timeout=120) as g:
            start_sshd(g, pubkey)
            ssh = Ssh(port, key, known)
            r = Ssh(port, key, known, connect_timeout=5).wait_ready(within=60, retry=0.5)
            if r.returncode != 0:
                raise GuestError(f"ssh never succeeded: {r.stderr.decode(errors='replace')}")
            setup = statistics.median(timed(lambda: ssh.run("true"))
                                      for _ in range(SETUP_ROUNDS))
            out["ssh_connect_true"] = fig(setup * 1e3, "ms")
            ups, downs, up_cpu, down_cpu, up_host, down_host = [], [], [], [], [], []

            def upload():
                with open(data, "rb") as f:
                    ssh.run("cat >/dev/null", stdin=f, timeout=600)

            def download():
                n = len(ssh.run(DOWNLOAD_COMMAND, timeout=600).stdout)
                if n != nbytes:
                    raise GuestError(f"ssh download: {n} bytes, wanted {nbytes}")

            for _ in range(TRANSFER_ROUNDS):
                for fn, times, cpu, host in ((upload, ups, up_cpu, up_host),
                                             (download, downs, down_cpu, down_host)):
                    before = busy_seconds(g)
                    host_before = qemu_cpu_seconds(g.child.pid)
                    times.append(timed(fn))
                    host.append(qemu_cpu_seconds(g.child.pid) - host_before)
                    after = busy_seconds(g)
                    cpu.append((after[0] - before[0], after[1] - before[1]))
            out["ssh_upload_host_to_guest"] = fig(
                nbytes / 1e6 / max(min(ups) - setup, 1e-3), "MB/s")
            out["ssh_download_guest_to_host"] = fig(
                nbytes / 1e6 / max(min(downs) - setup, 1e-3), "MB/s")
            mib = nbytes / 2**20
            for name, cpu, host in (("upload", up_cpu, up_host), ("download", down_cpu, down_host)):
                total, kernel_part = min(cpu)
                out[f"ssh_{name}_guest_cpu"] = fig(total * 1e3 / mib, "ms/MiB")
                out[f"ssh_{name}_guest_cpu_kernel"] = fig(kernel_part * 1e3 / mib, "ms/MiB")
                out[f"ssh_{name}_qemu_cpu"] = fig(min(host) * 1e3 / mib, "ms/MiB")
            g.poweroff()
    finally:
        shutil.rmtree(known, ignore_errors=True)
    return out


if __name__ == "__main__":      # one kernel alone: python3 tools/bench_net.py [Image]
    import json
    from guest import reference_linux_image
    arg = sys.argv[1] if len(sys.argv) > 1 else os.path.join(BUILD, "kernel", "Image")
    print(json.dumps(measure(reference_linux_image() if arg == "linux" else arg), indent=2))
