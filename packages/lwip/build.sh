# lwIP: stage the patched sources for the kernel build.
# Inputs: SRC (cwd), OUT.
mkdir -p "$OUT"
cp -R src "$OUT/src"
cp COPYING "$OUT/COPYING"
# A fixed file list (the core, IPv4, IPv6, Ethernet) so the kernel build names no paths here.
test -f "$OUT/src/core/tcp.c" && test -f "$OUT/src/include/lwip/opt.h"
