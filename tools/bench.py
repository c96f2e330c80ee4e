#!/usr/bin/python3
"""make bench: openv against the Linux reference kernel, side by side, in one run.

Both kernels boot the same initramfs on the same QEMU machine, one after the other; each runs
the microbenchmarks in /opt/tests/bench (lines "BENCH <name> <value> <unit>") and we time QEMU
start -> shell prompt. The ratios openv/Linux are what matter: absolute times depend on this
(shared, noisy) machine. Output: a table on stderr, JSON on stdout and in build/bench.json.
Unless BENCH_SKIP_NET=1, tools/bench_net.py measures SSH upload and download of 32 MiB on each
kernel (the initramfs's Dropbear, QEMU's user network), so those are ratios too.
Unless BENCH_SKIP_DISK=1, tools/bench_disk.py boots each kernel on the disk image's ext2 root
(exec from it and from tmpfs, cold and warm reads; disk_* figures), ratios too.
Unless BENCH_SKIP_SYSTEM=1, tools/bench_system.py then adds openv-only figures under
"openv_system" (disk image boot over virtio-mmio and virtio-pci, size, SSH, OFS against ext2).
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from guest import BUILD, REPO, Guest, GuestError, reference_linux_image  # noqa: E402

import bench_disk  # noqa: E402  (the disk image's root, for both kernels)
import bench_net  # noqa: E402  (SSH throughput, for both kernels)
import bench_system  # noqa: E402  (openv-only figures: disk image, SSH, OFS)

BENCH_LINE = re.compile(r"^BENCH (\S+) ([0-9.eE+-]+) (\S+)\s*$", re.M)
BOOT_ROUNDS = int(os.environ.get("BENCH_BOOT_ROUNDS", "3"))
# Runs every microbenchmark in the guest (tests/bench/openv-bench.c).
GUEST_COMMAND = os.environ.get(
    "BENCH_GUEST_COMMAND",
    "/opt/tests/bench/openv-bench -x /opt/tests/bench/hello -s /bin/sh")


def boot_seconds(kernel):
    """QEMU start to the first shell prompt, median of BOOT_ROUNDS boots."""
    times = []
    for _ in range(BOOT_ROUNDS):
        start = time.monotonic()
        with Guest.boot(kernel=kernel, append="quiet") as g:
            times.append(g.first_prompt_at - start)
            g.poweroff()
    return statistics.median(times)


def run_benchmarks(kernel):
    with Guest.boot(kernel=kernel, append="quiet") as g:
        out, rc = g.run(GUEST_COMMAND, timeout=1800)
        figures = {m.group(1): {"value": float(m.group(2)), "unit": m.group(3)}
                   for m in BENCH_LINE.finditer(out)}
        if rc != 0 or not figures:
            print(f"bench: {GUEST_COMMAND} exited {rc}:\n{out[-2000:]}", file=sys.stderr)
        used = g.run("free | awk '/Mem:/ {print $3}'")[0].strip()
        if used.isdigit():
            figures["memory_used_after_boot"] = {"value": int(used) / 1024.0, "unit": "MB"}
        g.poweroff()
    return figures


def measure(name, kernel):
    print(f"bench: {name}: booting {kernel}", file=sys.stderr)
    result = {"kernel": os.path.relpath(kernel), "figures": {}}
    try:
        result["figures"]["boot_to_prompt"] = {"value": boot_seconds(kernel), "unit": "s"}
        result["figures"].update(run_benchmarks(kernel))
    except GuestError as e:
        result["error"] = str(e).splitlines()[0]
        print(f"bench: {name}: {e}", file=sys.stderr)
    if os.environ.get("BENCH_SKIP_NET") != "1":
        print(f"bench: {name}: SSH throughput", file=sys.stderr)
        try:
            result["figures"].update(bench_net.measure(kernel))
        except (GuestError, OSError, subprocess.SubprocessError, AssertionError) as e:
            result["net_error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
            print(f"bench: {name}: SSH: {e}", file=sys.stderr)
    if os.environ.get("BENCH_SKIP_DISK") != "1":
        print(f"bench: {name}: disk root", file=sys.stderr)
        try:
            result["figures"].update(bench_disk.measure(kernel, name))
        except (GuestError, OSError, subprocess.SubprocessError) as e:
            result["disk_error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
            print(f"bench: {name}: disk root: {e}", file=sys.stderr)
    return result


def release_sizes():
    """Sizes of the files of build/release/openv-VERSION-riscv64 (made by `make release`,
    which `make bench` does not run: its image must carry no development key); target: openv.img.xz under 4 MiB with the signed boot files; and the time of the
    last `make rebuild-check` (target: under 10 minutes on 2 cores)."""
    with open(os.path.join(REPO, "release", "VERSION"), encoding="utf-8") as f:
        name = f"openv-{f.read().strip()}-riscv64"
    d = os.path.join(BUILD, "release", name)
    out = {"dir": os.path.relpath(d, REPO), "figures": {}}
    for fname, key in (("openv.img.xz", "release_img_xz"), ("openv.qcow2", "release_qcow2")):
        p = os.path.join(d, fname)
        if os.path.isfile(p):
            out["figures"][key] = {"value": round(os.path.getsize(p) / 2**20, 3), "unit": "MiB"}
    if not out["figures"]:
        out["error"] = f"no {out['dir']}: run make release first"
    else:
        boot = [os.path.join(d, n) for n in ("u-boot.bin", "ctrl.dtb", "openv-key.dtb")]
        if all(os.path.isfile(p) for p in boot):
            out["figures"]["release_img_xz_with_boot_files"] = {
                "value": round((os.path.getsize(os.path.join(d, "openv.img.xz"))
                                + sum(os.path.getsize(p) for p in boot)) / 2**20, 3),
                "unit": "MiB"}
    # The last full rebuild from source with an empty cache: timed by make rebuild-check (its
    # JSON), not re-run here (about 20 minutes).
    last = os.path.join(BUILD, "rebuild-check-last.json")
    rc = {}
    if os.path.isfile(last):
        with open(last, encoding="utf-8") as f:
            rc = json.load(f)
    if rc.get("seconds"):
        out["figures"]["rebuild_from_source"] = {"value": rc["seconds"], "unit": "s"}
        if rc.get("cpu_seconds"):
            # The CPU time does not follow the shared host's load as the wall time does.
            out["figures"]["rebuild_from_source_cpu"] = {"value": rc["cpu_seconds"], "unit": "s"}
        out["rebuild_check"] = {k: rc.get(k) for k in ("commit", "jobs", "active_variations", "match",
                                                       "built_as", "load_average_at_end")}
    else:
        out["rebuild_note"] = "no make rebuild-check run yet (BUILD/rebuild-check-last.json)"
    return out


def main():
    kernels = {"openv": os.path.join(BUILD, "kernel", "Image"), "linux": reference_linux_image()}
    results = {name: measure(name, k) for name, k in kernels.items() if k and os.path.exists(k)}
    ratios = {}
    if "openv" in results and "linux" in results:
        ratios = bench_disk.ratios(results["openv"]["figures"], results["linux"]["figures"])
    report = {"machine": "qemu-system-riscv64 -M virt -m 512M -smp 1 (TCG)",
              "kernels": results, "ratio_openv_over_linux": ratios,
              "note": "latencies, times and CPU costs (ms/MiB): lower is better, ratio < 1 "
                      "means openv is faster; for bandwidths (MB/s) a ratio > 1 is better. "
                      "ssh_*: tools/bench_net.py (BENCH_NET_ICOUNT=1 for CPU costs that do "
                      "not follow the host's load)",
              "disk_note": bench_disk.NOTE}
    if os.environ.get("BENCH_SKIP_SYSTEM") != "1" and "openv" in results:
        report["openv_system"] = bench_system.measure(kernels["openv"])
    report["release"] = release_sizes()
    print(f"\n{'metric':28} {'openv':>12} {'linux':>12} {'ratio':>8}", file=sys.stderr)
    names = sorted({k for r in results.values() for k in r["figures"]})
    for key in names:
        cells = []
        for kname in ("openv", "linux"):
            fig = results.get(kname, {}).get("figures", {}).get(key)
            cells.append(f"{fig['value']:.4g} {fig['unit']}" if fig else "-")
        print(f"{key:28} {cells[0]:>12} {cells[1]:>12} {ratios.get(key, '-'):>8}", file=sys.stderr)
    if "openv_system" in report:
        bench_system.print_table(report["openv_system"])
    rel = report["release"]
    print(f"\n{'release (' + rel['dir'] + ')':40}", file=sys.stderr)
    for key, f in sorted(rel.get("figures", {}).items()):
        print(f"{key:40} {f['value']:>11.4g} {f['unit']:<7}", file=sys.stderr)
    if "error" in rel:
        print(f"{'release sizes: not measured':40} {rel['error']}", file=sys.stderr)
    if "rebuild_check" in rel:
        rc = rel["rebuild_check"]
        print(f"{'rebuild_from_source: as':40} {(rc.get('built_as') or {}).get('user', '?')}, "
              f"JOBS={rc.get('jobs')}, load {rc.get('load_average_at_end')}, match {rc.get('match')}, "
              f"variations {','.join(rc.get('active_variations') or [])}", file=sys.stderr)
    if "rebuild_note" in rel:
        print(f"{'rebuild_from_source: not measured':40} {rel['rebuild_note']}", file=sys.stderr)
    text = json.dumps(report, indent=2, sort_keys=True)
    os.makedirs(BUILD, exist_ok=True)
    with open(os.path.join(BUILD, "bench.json"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(text)
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
