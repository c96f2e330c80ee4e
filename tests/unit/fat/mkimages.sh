#!/bin/sh
# Build the FAT images test_fat reads, with the real tools:
#   mkimages.sh DIR
# DIR/tree: files of several sizes (a chain of many clusters), nested directories, long
# names (several LFN entries), a name that fits 8.3 in lower case (NT case flags), a
# directory with enough entries to span clusters. Then DIR/fat12.img, fat16.img and
# fat32.img (mkfs.vfat -F N + mcopy -s) and DIR/seed-vfat.img made by cloud-localds -f vfat
# from DIR/user-data and DIR/meta-data. Deterministic contents; no root needed.
set -eu
d=$1
rm -rf "$d" && mkdir -p "$d/tree/sub/deeper" "$d/tree/many"
t=$d/tree
printf 'hello, vfat\n' > "$t/small.txt"
: > "$t/empty"
seq 1 20000 > "$t/medium.txt"                    # ~108 KB: many clusters
printf 'deep\n' > "$t/sub/deeper/file"
printf 'UPPER\n' > "$t/UPPER.TXT"
printf 'long\n' > "$t/A file with a rather long name, to need several LFN entries.text"
i=0
while [ $i -lt 60 ]; do
    printf '%d\n' $i > "$t/many/entry-number-$i"
    i=$((i + 1))
done
export MTOOLS_SKIP_CHECK=1
mk() {  # mk IMAGE FAT-BITS SIZE-KiB LABEL [mkfs options...]
    img=$1 bits=$2 size=$3 label=$4
    shift 4
    rm -f "$img"
    mkfs.vfat -C -F "$bits" -n "$label" "$@" "$img" "$size" >/dev/null
    mcopy -s -i "$img" "$t"/* ::/
}
mk "$d/fat12.img" 12 1024 F12LABEL
mk "$d/fat16.img" 16 16384 F16LABEL
mk "$d/fat32.img" 32 40000 F32LABEL -s 1
printf '#cloud-config\nhostname: seeded\n' > "$d/user-data"
printf 'instance-id: iid-test-1\nlocal-hostname: seeded\n' > "$d/meta-data"
cloud-localds -f vfat "$d/seed-vfat.img" "$d/user-data" "$d/meta-data"
