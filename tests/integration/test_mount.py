"""Mount propagation (shared subtrees) with BusyBox mount, as Linux does it: peers see each
other's mounts and umounts, a slave receives but does not send, a private mount neither, an
unbindable mount cannot be bound, and only a mount's root changes type.
The same test passes on Linux: OPENV_TEST_KERNEL=linux."""
import pytest

from guest import Guest, have_qemu

pytestmark = pytest.mark.skipif(not have_qemu(), reason="qemu-system-riscv64 not installed")

SETUP = ("mkdir -p /tmp/p && mount -t tmpfs src /tmp/p && cd /tmp/p && "
         "mkdir a b c d e && mount -t tmpfs base a && mkdir a/sub a/x a/y a/z && "
         "mount --make-shared a && mount --bind a b && mount --bind a c && "
         "mount --make-slave c && mount --bind a d && mount --make-private d")


@pytest.fixture(scope="module")
def guest():
    with Guest.boot() as g:
        g.check(SETUP)
        yield g
        g.poweroff()


def mounted(g, path):
    out, rc = g.run(f"mountpoint -q {path}")
    return rc == 0


def test_peers_see_each_others_mounts_and_umounts(guest):
    guest.check("mount -t tmpfs one a/sub && touch a/sub/hello")
    guest.check("test -f b/sub/hello")
    guest.check("umount b/sub")
    assert not mounted(guest, "a/sub") and not mounted(guest, "b/sub")


def test_slave_receives_but_does_not_send(guest):
    guest.check("mount -t tmpfs two a/x")
    assert mounted(guest, "c/x"), "the slave did not receive the master's mount"
    guest.check("mount -t tmpfs three c/y")
    assert not mounted(guest, "a/y") and not mounted(guest, "b/y")
    guest.check("umount c/y && umount a/x")
    assert not mounted(guest, "c/x")


def test_private_mount_is_left_alone(guest):
    guest.check("mount -t tmpfs four a/z")
    assert not mounted(guest, "d/z")
    assert mounted(guest, "b/z")
    guest.check("umount a/z")


def test_new_mount_under_shared_parent_is_shared(guest):
    # e is bound from a fresh shared mount: a mount on it is seen through its peer.
    guest.check("mount -t tmpfs five e && mount --make-shared e && mkdir e/in && "
                "mkdir -p a/sub && mount --bind e a/sub")
    # a/sub is now a peer of e (a bind of a shared mount), and a copy sits on b/sub.
    assert mounted(guest, "b/sub")
    guest.check("mount -t tmpfs six e/in")
    assert mounted(guest, "a/sub/in") and mounted(guest, "b/sub/in")
    guest.check("umount e/in && umount b/sub && umount e")
    assert not mounted(guest, "a/sub")


def test_unbindable_and_bad_requests(guest):
    guest.check("mount --make-unbindable d")
    out, rc = guest.run("mount --bind d e")
    assert rc != 0, out
    out, rc = guest.run("mount --make-shared a/x")      # not a mount's root
    assert rc != 0, out


def test_mountinfo_shows_ids_roots_and_propagation(guest):
    """Runs last: d is unbindable by now."""
    lines = {}
    for line in guest.check("cat /proc/self/mountinfo").splitlines():
        fields = line.split()
        lines[fields[4]] = fields
    a, b, c, d = (lines[f"/tmp/p/{x}"] for x in "abcd")
    src = lines["/tmp/p"]
    assert a[1] == src[0] and b[1] == src[0], "parent ID is the mount below"
    assert a[3] == "/" and b[3] == "/", "a bind of a whole tmpfs shows its root as /"
    assert a[2] == b[2] == c[2], "binds share the device number"
    shared_a = [f for f in a[6:a.index("-")] if f.startswith("shared:")]
    assert shared_a and shared_a == [f for f in b[6:b.index("-")] if f.startswith("shared:")]
    assert "master:" + shared_a[0].split(":")[1] in c[6:c.index("-")]
    assert "unbindable" in d[6:d.index("-")]
    assert a[a.index("-") + 1:] == ["tmpfs", "base", "rw"]
