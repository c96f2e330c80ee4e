"""tmpfs limits and options, as Linux has them: half of RAM by default, size=/nr_inodes=/mode=/
uid=/gid= honoured, ENOSPC when full with space back after rm, unknown options refused.
The same test passes on Linux: OPENV_TEST_KERNEL=linux."""
import pytest

from guest import Guest, have_qemu

pytestmark = pytest.mark.skipif(not have_qemu(), reason="qemu-system-riscv64 not installed")


@pytest.fixture(scope="module")
def guest():
    with Guest.boot(mem="256M") as g:
        g.check("mkdir -p /mnt/t")
        yield g
        g.poweroff()


def df_kib(g, path):
    """(total, used, available) KiB from df."""
    line = g.check(f"df -k {path} | tail -n 1").split()
    return int(line[1]), int(line[2]), int(line[3])


def test_size_limit_enospc_and_space_back(guest):
    guest.check("mount -t tmpfs -o size=1m t /mnt/t")
    assert df_kib(guest, "/mnt/t")[0] == 1024
    out, rc = guest.run("dd if=/dev/zero of=/mnt/t/f bs=4096 count=1000 2>&1")
    assert rc != 0 and "No space left on device" in out, out
    assert guest.check("stat -c %s /mnt/t/f") == str(1 << 20)
    assert df_kib(guest, "/mnt/t")[2] == 0
    guest.check("rm /mnt/t/f")
    assert df_kib(guest, "/mnt/t")[1] == 0
    guest.check("dd if=/dev/zero of=/mnt/t/g bs=4096 count=100 2>/dev/null && umount /mnt/t")


def test_inode_limit(guest):
    guest.check("mount -t tmpfs -o nr_inodes=4 t /mnt/t")
    out, rc = guest.run("for i in 1 2 3 4 5; do touch /mnt/t/f$i || break; done 2>&1; ls /mnt/t | wc -l")
    assert "No space left on device" in out and out.splitlines()[-1].strip() == "3", out
    guest.check("rm /mnt/t/f1 && touch /mnt/t/again && umount /mnt/t")


def test_mode_uid_gid_and_percent(guest):
    guest.check("mount -t tmpfs -o size=10%,mode=0710,uid=1000,gid=100 t /mnt/t")
    assert guest.check("stat -c '%a %u %g' /mnt/t") == "710 1000 100"
    total = df_kib(guest, "/mnt/t")[0]
    mem = int(guest.check("awk '/MemTotal/ {print $2}' /proc/meminfo"))
    assert abs(total - mem // 10) <= 4, (total, mem)
    guest.check("umount /mnt/t")


def test_default_is_half_of_ram(guest):
    guest.check("mount -t tmpfs t /mnt/t")
    total = df_kib(guest, "/mnt/t")[0]
    mem = int(guest.check("awk '/MemTotal/ {print $2}' /proc/meminfo"))
    assert abs(total - mem // 2) <= 4, (total, mem)
    guest.check("umount /mnt/t")


def test_bad_options_are_refused(guest):
    for opt in ("bogus=1", "size=12q", "mode=999", "size"):
        out, rc = guest.run(f"mount -t tmpfs -o {opt} t /mnt/t")
        assert rc != 0, (opt, out)
    assert not guest.run("mountpoint -q /mnt/t")[1] == 0
