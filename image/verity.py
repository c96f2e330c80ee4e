#!/usr/bin/python3
"""A dm-verity hash tree, byte for byte what `veritysetup format` writes (format version 1,
sha256, 4 KiB data and hash blocks, a salt), so Linux's dm-verity, `veritysetup verify` and
openv's kernel all accept it.

Layout of the hash device (Documentation/admin-guide/device-mapper/verity.rst, cryptsetup's
lib/verity): block 0 is the 512-byte superblock (zero padded to the block), the tree starts at
hash block 1 with its top level first and the leaves (level 0) last. Every digest is
sha256(salt || block), zero-padded to a power-of-two slot (32 bytes for sha256); the unused
tail of a hash block is zero. The root hash is the digest of the single top-level block.

Usage: verity.py DATA HASH --salt HEX --uuid UUID  (writes HASH, prints the root hash)."""

import argparse
import hashlib
import struct
import sys
import uuid as uuidlib

BLOCK = 4096
DIGEST = 32                     # sha256
FORMAT_VERSION = 1              # salt first (version 0, Chrome OS's, appends the salt)
SUPERBLOCK_SIZE = 512


def levels(data_blocks, hash_block=BLOCK):
    """[(first hash block, block count)] for levels 0 (leaves) .. top, Linux's geometry."""
    bits = (hash_block // DIGEST).bit_length() - 1          # digests per block, as a shift
    n = 0
    while bits * n < 64 and (data_blocks - 1) >> (bits * n):
        n += 1
    out, position = [None] * n, 1                           # block 0: the superblock
    for i in range(n - 1, -1, -1):
        count = (data_blocks + (1 << ((i + 1) * bits)) - 1) >> ((i + 1) * bits)
        out[i] = (position, count)
        position += count
    return out


def superblock(data_blocks, salt, uuid):
    sb = struct.pack("<8sII16s32sIIQH6x", b"verity\0\0", FORMAT_VERSION, 1,
                     uuidlib.UUID(uuid).bytes, b"sha256", BLOCK, BLOCK, data_blocks, len(salt))
    sb += salt.ljust(256, b"\0")
    return sb.ljust(SUPERBLOCK_SIZE, b"\0")


def digest(salt, block):
    return hashlib.sha256(salt + block).digest()


def build_tree(data, salt):
    """data: bytes, a whole number of blocks. Returns (the hash blocks from hash block 1 on,
    in disk order, as bytes; the root hash)."""
    if not data or len(data) % BLOCK:
        raise ValueError(f"verity: the data must be a non-empty multiple of {BLOCK} bytes")
    if len(salt) > 256:
        raise ValueError("verity: a salt has at most 256 bytes")
    n = len(data) // BLOCK
    geometry = levels(n)
    digests = [digest(salt, data[i * BLOCK:(i + 1) * BLOCK]) for i in range(n)]
    stored = []                         # level 0 first; written top first
    for _first, count in geometry:
        per = BLOCK // DIGEST
        blocks = [b"".join(digests[i * per:(i + 1) * per]).ljust(BLOCK, b"\0")
                  for i in range(count)]
        stored.append(b"".join(blocks))
        digests = [digest(salt, b) for b in blocks]
    # No levels (one data block): the root is that block's digest.
    root = digests[0]
    return b"".join(reversed(stored)), root


def format_hash_device(data, salt, uuid):
    """The hash device's content (superblock, tree) and the root hash."""
    tree, root = build_tree(data, salt)
    sb = superblock(len(data) // BLOCK, salt, uuid).ljust(BLOCK, b"\0")
    return sb + tree, root


def table(data_dev, hash_dev, data_blocks, root, salt, opts=()):
    """The device-mapper table line of the verity target (Linux's syntax), for dm-mod.create."""
    line = (f"0 {data_blocks * BLOCK // 512} verity {FORMAT_VERSION} {data_dev} {hash_dev} "
            f"{BLOCK} {BLOCK} {data_blocks} 1 sha256 {root.hex()} {salt.hex() if salt else '-'}")
    if opts:
        line += f" {len(opts)} {' '.join(opts)}"
    return line


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data")
    ap.add_argument("hash")
    ap.add_argument("--salt", required=True, help="hex")
    ap.add_argument("--uuid", required=True)
    args = ap.parse_args()
    with open(args.data, "rb") as f:
        data = f.read()
    content, root = format_hash_device(data, bytes.fromhex(args.salt), args.uuid)
    with open(args.hash, "wb") as f:
        f.write(content)
    print(root.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
