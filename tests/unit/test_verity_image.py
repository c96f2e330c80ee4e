"""image/verity.py: the hash device it writes is byte for byte `veritysetup format`'s, over
sizes that cross every level boundary, and `veritysetup verify` accepts it (and rejects a
flipped byte)."""

import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "image"))
import verity  # noqa: E402

SALT = bytes.fromhex("5a" * 32)
UUID = "6f70656e-7600-4000-8000-0000000000f4"
VERITYSETUP = shutil.which("veritysetup") or "/usr/sbin/veritysetup"

needs_veritysetup = pytest.mark.skipif(not os.path.exists(VERITYSETUP),
                                       reason="veritysetup (cryptsetup-bin) is not installed")


def data(blocks, seed=1):
    # Deterministic, incompressible-enough content; one block all zero (a common case in
    # filesystems) and the rest distinct.
    out = bytearray()
    for i in range(blocks):
        out += b"\0" * verity.BLOCK if i == 1 else (bytes([seed, i & 0xff, i >> 8]) * 1366)[:verity.BLOCK]
    return bytes(out)


def veritysetup_format(tmp_path, content, salt=SALT):
    d, h = tmp_path / "data", tmp_path / "hash"
    d.write_bytes(content)
    r = subprocess.run([VERITYSETUP, "format", f"--salt={salt.hex() if salt else '-'}",
                        f"--uuid={UUID}", str(d), str(h)], stdout=subprocess.PIPE, text=True,
                       check=True)
    root = next(line.split()[-1] for line in r.stdout.splitlines() if line.startswith("Root hash"))
    return h.read_bytes(), bytes.fromhex(root)


@needs_veritysetup
@pytest.mark.parametrize("blocks", [1, 2, 127, 128, 129, 16384, 16385])
def test_hash_device_is_veritysetups(tmp_path, blocks):
    content = data(blocks)
    want, want_root = veritysetup_format(tmp_path, content)
    got, root = verity.format_hash_device(content, SALT, UUID)
    assert root == want_root
    assert got == want


@needs_veritysetup
def test_empty_salt(tmp_path):
    content = data(200)
    want, want_root = veritysetup_format(tmp_path, content, salt=b"")
    got, root = verity.format_hash_device(content, b"", UUID)
    assert (got, root) == (want, want_root)


def test_geometry():
    # 12288 blocks (the 48 MiB root): 96 leaf blocks after one top block, after the superblock.
    assert verity.levels(12288) == [(2, 96), (1, 1)]
    assert verity.levels(1) == []
    assert verity.levels(128) == [(1, 1)]
    assert verity.levels(129) == [(2, 2), (1, 1)]


def test_table_line():
    line = verity.table("/dev/vda2", "/dev/vda3", 12288, b"\x01" * 32, b"\x02" * 32)
    assert line == ("0 98304 verity 1 /dev/vda2 /dev/vda3 4096 4096 12288 1 sha256 "
                    + "01" * 32 + " " + "02" * 32)
    assert line.endswith("02" * 32)
    assert verity.table("a", "b", 1, b"\0" * 32, b"", ("ignore_zero_blocks",)).endswith(
        " - 1 ignore_zero_blocks")


def test_bad_input():
    with pytest.raises(ValueError):
        verity.build_tree(b"x" * 100, SALT)
    with pytest.raises(ValueError):
        verity.build_tree(b"", SALT)
    with pytest.raises(ValueError):
        verity.build_tree(b"\0" * 4096, b"s" * 257)


@needs_veritysetup
def test_veritysetup_verify_accepts_the_tree_and_catches_a_flipped_byte(tmp_path):
    content = bytearray(data(300))
    hashdev, root = verity.format_hash_device(bytes(content), SALT, UUID)
    d, h = tmp_path / "d", tmp_path / "h"
    d.write_bytes(content)
    h.write_bytes(hashdev)
    ok = subprocess.run([VERITYSETUP, "verify", str(d), str(h), root.hex()],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert ok.returncode == 0, ok.stdout
    content[4096 * 250 + 7] ^= 1
    d.write_bytes(content)
    bad = subprocess.run([VERITYSETUP, "verify", str(d), str(h), root.hex()],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert bad.returncode == 2 and "failed at position 1024000" in bad.stdout, bad.stdout


def test_the_image_and_the_boot_command_agree():
    """image/mkimage.py's fixed partition GUIDs and rollback properties are the ones the verity
    table and our U-Boot's boot command (packages/u-boot/openv.config) name."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "image"))
    import mkimage
    line = mkimage.verity_cmdline(b"\x01" * 32, b"\x02" * 32, 12288)
    assert f" verity 1 PARTUUID={mkimage.part_uuid(2)} PARTUUID={mkimage.part_uuid(3)} 4096 " in line
    config = open(os.path.join(os.path.dirname(__file__), "..", "..", "packages", "u-boot",
                               "openv.config"), encoding="utf-8").read()
    boot = next(l for l in config.splitlines() if l.startswith("CONFIG_BOOTCOMMAND="))
    assert f"test \\\"${{openv_uuid}}\\\" = {mkimage.part_uuid(1)};" in boot
    assert f"/configurations/conf-1 {mkimage.ROLLBACK_PROP};" in boot
    assert f"/signature {mkimage.MIN_ROLLBACK_PROP};" in boot
    assert 0 <= mkimage.rollback_index() < 1 << 24
