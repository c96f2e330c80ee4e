# musl -> static riscv64 sysroot + compiler wrapper.
# Inputs: SRC (unpacked source, cwd), OUT (install prefix), JOBS.
SYSROOT="$OUT/sysroot"
CFLAGS="-O2 -ffile-prefix-map=$SRC=musl" \
./configure --target=riscv64-linux-musl --prefix="$SYSROOT" --disable-shared --enable-wrapper=gcc \
    CROSS_COMPILE=riscv64-linux-gnu- >/dev/null
make -s -j"$JOBS"
make -s install >/dev/null

# Linux UAPI headers for riscv64 (from linux-libc-dev-riscv64-cross), as a libc sysroot needs.
for d in linux asm asm-generic mtd misc; do
    [ -d "/usr/riscv64-linux-gnu/include/$d" ] && cp -R "/usr/riscv64-linux-gnu/include/$d" "$SYSROOT/include/"
done

mkdir -p "$OUT/bin"
# The wrapper finds its sysroot relative to itself. The specs file musl installs names
# absolute paths, which is fine: the cache directory is keyed and never moves.
cat > "$OUT/bin/riscv64-linux-musl-gcc" <<WRAP
#!/bin/sh
# static riscv64 musl C compiler (openv toolchain)
exec riscv64-linux-gnu-gcc -specs "$SYSROOT/lib/musl-gcc.specs" -static \\
    -ffile-prefix-map="$SYSROOT"=/sysroot "\$@"
WRAP
chmod 755 "$OUT/bin/riscv64-linux-musl-gcc"
for t in ar ranlib strip nm objcopy objdump readelf ld as; do
    ln -sf "/usr/bin/riscv64-linux-gnu-$t" "$OUT/bin/riscv64-linux-musl-$t"
done
# Self-check: a static hello world must link.
printf '#include <stdio.h>\nint main(void){puts("ok");return 0;}\n' > "$SRC/hello.c"
"$OUT/bin/riscv64-linux-musl-gcc" -O2 -o "$SRC/hello" "$SRC/hello.c"
