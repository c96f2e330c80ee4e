#!/bin/sh
# Build the iso9660 images test_isofs reads, with the real tools:
#   mkimages.sh DIR
# DIR/tree: files of several sizes, nested directories, symlinks (relative, absolute, up the
# tree), a name longer than a directory record can hold (Rock Ridge continues it in a CE
# area), mixed case, modes. Then DIR/rock.iso (genisoimage -J -R), DIR/joliet.iso (-J only),
# DIR/plain.iso (neither), and DIR/seed.iso made by cloud-localds from DIR/user-data and
# DIR/meta-data, and DIR/deep.iso, a tree deeper than 8 levels. Deterministic contents; no root needed.
set -eu
d=$1
rm -rf "$d" && mkdir -p "$d/tree/sub/deeper" "$d/tree/empty-dir" "$d/deep/1/2/3/4/5/6/7/8/9/10"
t=$d/tree
printf 'hello, iso9660\n' > "$t/small.txt"
: > "$t/empty"
seq 1 20000 > "$t/medium.txt"                    # ~108 KB: many sectors
printf 'deep\n' > "$t/sub/deeper/file"
printf 'Mixed\n' > "$t/MixedCase.Name"
long=$(printf 'L%.0s' $(seq 1 200))
printf 'long\n' > "$t/$long"
ln -s small.txt "$t/rel-link"
ln -s /etc/hostname "$t/abs-link"
ln -s ../../small.txt "$t/sub/deeper/up-link"
chmod 0640 "$t/small.txt"
chmod 0750 "$t/sub"
quiet="-quiet"
genisoimage $quiet -V ROCKVOL -J -R -o "$d/rock.iso" "$t" 2>/dev/null
genisoimage $quiet -V JOLIETVOL -J -o "$d/joliet.iso" "$t" 2>/dev/null
genisoimage $quiet -V PLAINVOL -o "$d/plain.iso" "$t" 2>/dev/null
# Deeper than ISO 9660's 8 levels: Rock Ridge relocates it (RE/CL entries, rr_moved).
printf 'bottom\n' > "$d/deep/1/2/3/4/5/6/7/8/9/10/file"
genisoimage $quiet -V DEEP -R -o "$d/deep.iso" "$d/deep" 2>/dev/null
printf '#cloud-config\nhostname: seeded\n' > "$d/user-data"
printf 'instance-id: iid-test-1\nlocal-hostname: seeded\n' > "$d/meta-data"
cloud-localds "$d/seed.iso" "$d/user-data" "$d/meta-data"
