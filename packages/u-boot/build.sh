# U-Boot for openv's signed boot (bootloader/README.md): qemu-riscv64_smode_defconfig with
# openv.config merged over it, built with the riscv64 cross gcc the kernel uses. Installs
# u-boot.bin (S-mode, loaded by OpenSBI with QEMU's -kernel) and the host tools built with the
# same configuration: mkimage and fit_check_sign (Debian's u-boot-tools has no fit_check_sign).
# Inputs: SRC (cwd), OUT, JOBS, PKGDIR, SOURCE_DATE_EPOCH.
CROSS=${CROSS_COMPILE:-riscv64-linux-gnu-}
command -v "${CROSS}gcc" >/dev/null ||
    { echo "u-boot: ${CROSS}gcc not found: run 'make deps' (gcc-riscv64-linux-gnu)" >&2; exit 1; }
echo "u-boot: configuring qemu-riscv64_smode + openv.config" >&2
make -s CROSS_COMPILE="$CROSS" qemu-riscv64_smode_defconfig
scripts/kconfig/merge_config.sh -m .config "$PKGDIR/openv.config" >/dev/null
make -s CROSS_COMPILE="$CROSS" olddefconfig
# Every setting of the fragment must have survived olddefconfig (a dependency can drop one).
grep -E '^CONFIG_' "$PKGDIR/openv.config" | while IFS= read -r line; do
    grep -qxF "$line" .config || { echo "u-boot: openv.config's '$line' is not in the final .config" >&2; exit 1; }
done
sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$PKGDIR/openv.config" | while read -r opt; do
    ! grep -q "^$opt=" .config || { echo "u-boot: openv.config unsets $opt, but the final .config sets it" >&2; exit 1; }
done
echo "u-boot: building (make -j$JOBS; about 2-3 minutes on 2 cores)" >&2
make -s -j"$JOBS" CROSS_COMPILE="$CROSS" KBUILD_BUILD_USER=openv KBUILD_BUILD_HOST=openv 2>&1 |
    grep -v 'LOAD segment with RWX permissions' >&2 || true
[ -s u-boot.bin ] || { echo "u-boot: no u-boot.bin was built" >&2; exit 1; }
mkdir -p "$OUT/bin"
cp u-boot.bin "$OUT/u-boot.bin"
cp .config "$OUT/u-boot.config"
cp tools/mkimage tools/fit_check_sign "$OUT/bin/"
