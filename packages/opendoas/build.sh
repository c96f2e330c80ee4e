# OpenDoas, static: /usr/bin/doas, checking passwords against /etc/shadow (no PAM), without the
# "persist" timestamps (configure's default). parse.y goes through the host's yacc (bison -y).
# Inputs: SRC (cwd), OUT, JOBS, MUSL_CC, SOURCE_DATE_EPOCH.
export CC="$MUSL_CC" CFLAGS="-Os -ffile-prefix-map=$SRC=opendoas" LDFLAGS="-static"
./configure --prefix=/usr --host=riscv64-unknown-linux-musl --enable-static \
    --without-pam --with-shadow >/dev/null 2>&1
make -s -j"$JOBS" YACC="bison -y" >/dev/null
riscv64-linux-gnu-strip -o doas.stripped doas
mkdir -p "$OUT/bin"
# The setuid bit is the image builders' (mkinitramfs.py, mkimage.py): the cache keeps 0755.
cp doas.stripped "$OUT/bin/doas"
chmod 0755 "$OUT/bin/doas"
