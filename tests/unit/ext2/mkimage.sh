#!/bin/sh
# Build the source tree and an ext2 image of it for test_ext2.
#   mkimage.sh TREE_DIR IMAGE BLOCK_SIZE SIZE
# The tree: files of many sizes, a sparse file with data past the triple-indirect boundary
# of 1 KiB blocks, fast and slow symlinks, hard links, a FIFO, a directory with hundreds of
# entries, nested directories; device nodes are added to the image with debugfs (no root
# needed). Deterministic: no random data.
set -eu
tree=$1 img=$2 bs=$3 size=$4
rm -rf "$tree" "$img"
mkdir -p "$tree/a/b/c" "$tree/many" "$tree/emptydir"
printf 'hello, ext2\n' > "$tree/small.txt"
: > "$tree/empty"
seq 1 30000 > "$tree/medium.txt"
seq 1 400000 | tr '\n' ' ' > "$tree/big.txt"          # ~2.6 MB: double indirect at 1 KiB
printf 'deep\n' > "$tree/a/b/c/file"
truncate -s 80M "$tree/sparse"
printf 'HEAD' | dd of="$tree/sparse" conv=notrunc status=none
printf 'MIDDLE' | dd of="$tree/sparse" bs=1 seek=1048576 conv=notrunc status=none
printf 'TRIPLE-INDIRECT' | dd of="$tree/sparse" bs=1 seek=73400320 conv=notrunc status=none
ln -s small.txt "$tree/fastlink"
ln -s "a/b/c/$(printf 'x%.0s' $(seq 1 100))/../../../../small.txt" "$tree/slowlink"
ln "$tree/medium.txt" "$tree/hardlink1"
ln "$tree/medium.txt" "$tree/a/hardlink2"
mkfifo "$tree/fifo"
chmod 4755 "$tree/small.txt"
chmod 0600 "$tree/a/b/c/file"
i=0
while [ $i -lt 300 ]; do
    printf 'entry %d\n' $i > "$tree/many/file-with-a-longish-name-$i"
    i=$((i + 1))
done
mke2fs -q -F -t ext2 -b "$bs" -d "$tree" "$img" "$size" >/dev/null
debugfs -w -f - "$img" >/dev/null 2>&1 <<'CMDS'
mknod null c 1 3
mknod bigdev b 300 700
CMDS
