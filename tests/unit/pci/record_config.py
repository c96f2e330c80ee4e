#!/usr/bin/python3
"""Record the PCI configuration spaces QEMU virt presents at reset, as a fixture for
tests/unit/pci (read by fake_ecam.c).

    tests/unit/pci/record_config.py > tests/unit/pci/fixtures/qemu-virt-pci.cfg

QEMU starts stopped (-S: no firmware has touched PCI), and its monitor (over QMP) reads every
function of bus 0 straight out of the ECAM window with `xp`; `info pci` gives each BAR's
size, which config space does not hold (sizing writes to it). Functions behind bridges are not
reachable before bus numbers are assigned, so the tests place a recorded root-bus function
behind a recorded bridge themselves (QEMU's device models do not depend on the bus).
"""
import json
import re
import subprocess
import sys

ECAM = 0x30000000
# One of each device the kernel must cope with; the tests refer to them by slot.
DEVICES = [
    "-drive", "file=null-co://,format=raw,if=none,id=hd0",
    "-drive", "file=null-co://,format=raw,if=none,id=hd1",
    "-netdev", "user,id=n0", "-netdev", "user,id=n1",
    # 01.0 virtio-blk transitional (1af4:1001): I/O BAR 0, MSI-X BAR 1, 64-bit BAR 4
    "-device", "virtio-blk-pci,drive=hd0,addr=1",
    # 02.0 virtio-net modern only (1af4:1041): no I/O BAR
    "-device", "virtio-net-pci,netdev=n0,romfile=,disable-legacy=on,addr=2",
    # 03.0 PCI-to-PCI bridge (1b36:0001) with its SHPC BAR
    "-device", "pci-bridge,chassis_nr=1,id=b1,addr=3",
    # 04.0 virtio-rng transitional (1af4:1005)
    "-device", "virtio-rng-pci,addr=4",
    # 05.0 virtio-net transitional (1af4:1000): the tests move it behind 03.0
    "-device", "virtio-net-pci,netdev=n1,romfile=,addr=5",
    # 06.0/06.1 a multi-function slot: virtio-blk modern (1af4:1042), virtio-rng modern
    "-device", "virtio-blk-pci,drive=hd1,disable-legacy=on,addr=6.0,multifunction=on",
    "-device", "virtio-rng-pci,disable-legacy=on,addr=6.1",
    # 07.0 PCIe root port (1b36:000c)
    "-device", "pcie-root-port,id=rp1,chassis=2,slot=1,addr=7",
]
QEMU = ["qemu-system-riscv64", "-M", "virt", "-m", "512M", "-smp", "1", "-S",
        "-display", "none", "-serial", "none", "-monitor", "none", "-qmp", "stdio"] + DEVICES


class Qmp:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        self.read()                                 # greeting
        self.call("qmp_capabilities")

    def read(self):
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("QEMU exited")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def call(self, cmd, **args):
        self.p.stdin.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        self.p.stdin.flush()
        msg = self.read()
        if "error" in msg:
            raise RuntimeError(msg["error"])
        return msg["return"]

    def hmp(self, line):
        return self.call("human-monitor-command", **{"command-line": line})

    def close(self):
        self.call("quit")
        self.p.wait(timeout=10)


def bar_sizes(info):
    """{(slot, fn): [(bar, kind, size)]} from `info pci` (an unassigned BAR is shown at
    0xffffffffffffffff with end address addr + size - 1 = size - 2)."""
    out, cur = {}, None
    for line in info.splitlines():
        m = re.match(r"\s*Bus\s+(\d+), device\s+(\d+), function (\d+):", line)
        if m:
            cur = (int(m[1]), int(m[2]), int(m[3]))
            out[cur] = []
            continue
        m = re.match(r"\s*BAR(\d): (.*) at 0x([0-9a-f]+) \[0x([0-9a-f]+)\]", line)
        if m and cur is not None:
            assert int(m[3], 16) == 2**64 - 1, line
            kind = {"I/O": "io", "32 bit memory": "mem", "64 bit memory": "mem64",
                    "32 bit prefetchable memory": "mem pref",
                    "64 bit prefetchable memory": "mem64 pref"}[m[2]]
            out[cur].append((int(m[1]), kind, int(m[4], 16) + 2))
    return out


def main():
    q = Qmp(["timeout", "60"] + QEMU)
    version = q.call("query-version")["qemu"]
    info = q.hmp("info pci")
    sizes = bar_sizes(info)
    print("# PCI configuration spaces of QEMU %d.%d.%d -M virt at reset, recorded by"
          % (version["major"], version["minor"], version["micro"]))
    print("# tests/unit/pci/record_config.py (which lists the -device options).")
    print("# 'fn BB:DD.F' starts a function, 'bar N KIND SIZE' is a BAR's size from `info pci`,")
    print("# then its first 256 bytes as read through ECAM.")
    for (bus, dev, fn), bars in sorted(sizes.items()):
        assert bus == 0
        base = ECAM + ((dev << 3 | fn) << 12)
        words = []
        for line in q.hmp("xp /64xw %#x" % base).splitlines():
            words += [int(w, 16) for w in line.split(":", 1)[1].split()]
        assert len(words) == 64
        print("\nfn 00:%02x.%d" % (dev, fn))
        for bar, kind, size in bars:
            print("bar %d %s %#x" % (bar, kind, size))
        raw = b"".join(w.to_bytes(4, "little") for w in words)
        for off in range(0, 256, 16):
            print("%02x: %s" % (off, " ".join("%02x" % b for b in raw[off:off + 16])))
    q.close()


if __name__ == "__main__":
    sys.exit(main())
