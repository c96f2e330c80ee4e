# U-Boot: stage the patched source tree; the signed-boot work builds it from here.
# Inputs: SRC (cwd), OUT.
mkdir -p "$OUT"
cp -R . "$OUT/src"
