# Dropbear, static multi-call binary: dropbear, dbclient, dropbearkey, dropbearconvert, scp.
# Inputs: SRC (cwd), OUT, JOBS, MUSL_CC, SOURCE_DATE_EPOCH.
cp "$PKGDIR/localoptions.h" localoptions.h
# -O2, not -Os: most of an SSH transfer's CPU time is the bundled libtomcrypt's ChaCha20 and
# Poly1305 (chacha20-poly1305@openssh.com, what OpenSSH clients pick first), which run a quarter
# faster at -O2 (docs/network.md, "Throughput"); the binary grows by 16 KiB.
CC="$MUSL_CC" CFLAGS="-O2 -ffile-prefix-map=$SRC=dropbear" LDFLAGS="-static" \
./configure --host=riscv64-linux-musl --enable-static --disable-zlib --enable-bundled-libtom \
    --disable-lastlog --disable-utmp --disable-utmpx --disable-wtmp --disable-wtmpx \
    --disable-loginfunc --disable-pututline --disable-pututxline --disable-harden >/dev/null
make -s -j"$JOBS" PROGRAMS="dropbear dbclient dropbearkey dropbearconvert scp" MULTI=1 >/dev/null
riscv64-linux-gnu-strip -o "$SRC/dropbearmulti.stripped" dropbearmulti
mkdir -p "$OUT/bin"
cp dropbearmulti.stripped "$OUT/bin/dropbearmulti"
