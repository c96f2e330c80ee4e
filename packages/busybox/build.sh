# BusyBox, static, with our committed config.
# Inputs: SRC (cwd), OUT, JOBS, DEP_MUSL (toolchain), SOURCE_DATE_EPOCH.
export PATH="$DEP_MUSL/bin:$PATH"
cp "$PKGDIR/busybox.config" .config
MAKEFLAGS_BB="CROSS_COMPILE=riscv64-linux-musl- EXTRA_CFLAGS=-ffile-prefix-map=$SRC=busybox"
# Refuse a config that does not match this BusyBox version exactly (no silent new defaults).
make -s $MAKEFLAGS_BB oldconfig </dev/null >/dev/null
# (The header's date line follows SOURCE_DATE_EPOCH; it is not configuration.)
sed 1,5d .config > .config.body
sed 1,5d "$PKGDIR/busybox.config" > .config.pinned
if ! cmp -s .config.body .config.pinned; then
    diff -u .config.pinned .config.body | head -40 >&2 || true
    echo "busybox: busybox.config is not complete for this version; update it (see diff above)" >&2
    exit 1
fi
make -s -j"$JOBS" $MAKEFLAGS_BB busybox >/dev/null
mkdir -p "$OUT/bin"
cp busybox "$OUT/bin/busybox"
# The applet list (one path per line) for whoever stages a root filesystem.
make -s $MAKEFLAGS_BB busybox.links >/dev/null
cp busybox.links "$OUT/busybox.links"
# BusyBox's own testsuite, run inside openv by the integration tests.
cp -R testsuite "$OUT/testsuite"
