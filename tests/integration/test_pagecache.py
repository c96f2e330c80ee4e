"""The page cache under memory pressure (docs/kernel.md, "The page cache"), in a 128 MiB guest:
a file written through one MAP_SHARED mapping, larger than RAM, on ext2 and on OFS, is whole
afterwards (read back with read(2): on ext2 a read of twice RAM), Dirty in /proc/meminfo stays
under the dirty limit while it is written, Cached stays below RAM, and nothing is OOM-killed;
a page dirtied through a mapping and left mapped reaches an OFS disk without any sync (the
flusher), so it is there after QEMU is killed.

The helpers are tests/guest/filemap.c's --mapwrite, --check and --dirty modes.
OPENV_TEST_KERNEL=linux runs the ext2 part on the Linux reference kernel (it has no OFS)."""
import os
import re
import signal
import subprocess
import time

import pytest

from guest import Guest, have_qemu

pytestmark = pytest.mark.skipif(not have_qemu(), reason="qemu-system-riscv64 not installed")

MEM = "128M"
FILEMAP = "/opt/tests/guest/filemap"


def disk(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def drive(path, i):
    return ("-drive", f"file={path},format=raw,if=none,id=hd{i}",
            "-device", f"virtio-blk-device,drive=hd{i}")


def meminfo(g, key):
    return int(re.search(rf"^{key}:\s+(\d+) kB", g.check("cat /proc/meminfo"), re.M).group(1))


def mapwrite_and_check(g, path, mb, mem_kb):
    out = g.check(f"{FILEMAP} --mapwrite {path} {mb}", timeout=600)
    m = re.search(r"mapwrite done max-dirty-kB (\d+) max-cached-kB (\d+) end-dirty-kB (\d+)", out)
    assert m, out
    dirty, cached = int(m.group(1)), int(m.group(2))
    # Dirty is true while pages are dirty, and bounded: the writer waits for write-back past
    # the dirty limit (1/8 of RAM on openv, 20% of what is available on Linux).
    assert 0 < dirty < mem_kb // 4, out
    assert cached < mem_kb, out
    out = g.check(f"{FILEMAP} --check {path} {mb}", timeout=600)
    m = re.search(r"check ok max-cached-kB (\d+)", out)
    assert m, out
    assert int(m.group(1)) < mem_kb, out
    return out


def no_oom(g):
    log = g.check("dmesg")
    assert "Out of memory" not in log and "Killed process" not in log, log[-3000:]


def test_mapped_writer_larger_than_ram_ext2(tmp_path):
    img = disk(str(tmp_path / "ext2.img"), 320 << 20)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", img], check=True,
                   stdout=subprocess.DEVNULL)
    with Guest.boot(mem=MEM, extra_args=drive(img, 0), timeout=120) as g:
        mem_kb = meminfo(g, "MemTotal")
        g.check("mkdir -p /mnt && mount -t ext2 /dev/vda /mnt")
        # 256 MiB: twice RAM, written through the mapping, then read with read(2).
        t = time.monotonic()
        mapwrite_and_check(g, "/mnt/big", 256, mem_kb)
        print(f"ext2: 256 MiB mapped write + read in {time.monotonic() - t:.1f} s")
        no_oom(g)
        g.check("umount /mnt", timeout=120)
    r = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def ofs_guest(img):
    g = Guest.boot(mem=MEM, append="ofs.format=empty", extra_args=drive(img, 0), timeout=120)
    if "ofs" not in g.check("cat /proc/filesystems"):
        g.close()
        pytest.skip("this kernel has no OFS")
    g.check("mkdir -p /data && mount -t ofs /dev/vda /data")
    return g


def test_mapped_writer_larger_than_ram_ofs(tmp_path):
    img = disk(str(tmp_path / "ofs.img"), 320 << 20)
    with ofs_guest(img) as g:
        mem_kb = meminfo(g, "MemTotal")
        t = time.monotonic()
        mapwrite_and_check(g, "/data/big", 160, mem_kb)
        print(f"ofs: 160 MiB mapped write + read in {time.monotonic() - t:.1f} s")
        no_oom(g)
        g.check("umount /data", timeout=120)
        g.poweroff()
    # What the mapping wrote is on the disk (the next mount reads it, not the cache).
    with ofs_guest(img) as g:
        g.check(f"{FILEMAP} --check /data/big 160", timeout=600)


def test_flusher_writes_a_mapped_page_without_sync(tmp_path):
    img = disk(str(tmp_path / "ofs.img"), 64 << 20)
    with ofs_guest(img) as g:
        g.check(f"{FILEMAP} --slot /data/f 0 base")      # the file exists, msync'd
        g.child.sendline(f"{FILEMAP} --dirty /data/f 3 flushed-by-the-flusher &")
        g.child.expect("dirtied", timeout=30)
        # The page-flush thread (5 s) writes it into OFS, whose flusher commits it (5 s).
        time.sleep(15)
        g.child.kill(signal.SIGKILL)
        g.child.wait()
    with ofs_guest(img) as g:
        out = g.check("dd if=/data/f bs=4096 skip=3 count=1 2>/dev/null | tr -d '\\0'")
        assert out.strip() == "flushed-by-the-flusher"
