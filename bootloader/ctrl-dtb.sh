#!/bin/bash
# ctrl-dtb.sh KEY_DTB OUT QEMU_MACHINE_ARGS...: U-Boot's control DTB for signed boot. QEMU's own
# device tree for exactly these machine options (-M virt -m ... -smp ...: QEMU's dumpdtb), plus
# the /signature/key-openv node of KEY_DTB (written by image/mkimage.py while signing the FIT).
# QEMU is then started with -dtb OUT: U-Boot checks the FIT's signature against that key, and
# the kernel gets the same tree QEMU would have made (the key node aside). Refuses to write OUT
# unless the key node is there with required = "conf" (U-Boot boots unsigned FITs without it).
#
# Rollback protection: KEY_DTB's /signature openv,min-rollback-index (the rollback index of the
# image it was made with) comes along, so our U-Boot refuses any openv.itb whose signed
# openv,rollback-index is lower. MIN_ROLLBACK_INDEX=N sets another minimum (the host decides:
# raise it when a release must never be booted again; docs/verified-boot.md).
set -euo pipefail
fail() { echo "ctrl-dtb: $*" >&2; exit 1; }
[ $# -ge 3 ] || fail "usage: ctrl-dtb.sh KEY_DTB OUT QEMU_MACHINE_ARGS... (e.g. -M virt -m 512M -smp 1)"
key=$1 out=$2; shift 2
QEMU=${QEMU:-qemu-system-riscv64}
for t in dtc fdtget "$QEMU"; do
    command -v "$t" >/dev/null || fail "$t not found: run 'make deps'"
done
[ -r "$key" ] || fail "$key not found: 'make image' writes it while signing the FIT"
[ "$(fdtget "$key" /signature/key-openv required 2>/dev/null)" = conf ] ||
    fail "$key has no /signature/key-openv with required = \"conf\""
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only the machine options shape the tree (virt always lists its 8 virtio-mmio slots; PCI
# devices are found by enumeration, not in the tree), so no disks, NICs or ports here.
args=()
for a in "$@"; do
    case $a in -M|-machine) args+=("$a"); machine=1 ;;
        *) if [ "${machine:-}" = 1 ]; then args+=("$a,dumpdtb=$work/qemu.dtb"); machine=
           else args+=("$a"); fi ;;
    esac
done
"$QEMU" "${args[@]}" -nographic -display none >"$work/qemu.log" 2>&1 ||
    [ -s "$work/qemu.dtb" ] || fail "QEMU could not dump its device tree: $(cat "$work/qemu.log")"
[ -s "$work/qemu.dtb" ] || fail "no -M virt in '$*': QEMU dumped no device tree"
dtc -q -I dtb -O dts -o "$work/qemu.dts" "$work/qemu.dtb"
dtc -q -I dtb -O dts -o "$work/key.dts" "$key"
{
    # All but the root's closing "};", and without /chosen/rng-seed: QEMU's dump has random
    # bytes there, which a file used for every boot would repeat (and a release could not
    # reproduce); the guest's entropy comes from virtio-rng.
    sed -e '$d' -e '/^\t\trng-seed = /d' "$work/qemu.dts"
    sed -n '/^\tsignature {/,/^\t};/p' "$work/key.dts"
    echo "};"
} > "$work/ctrl.dts"
dtc -q -I dts -O dtb -o "$work/ctrl.dtb" "$work/ctrl.dts"
[ "$(fdtget "$work/ctrl.dtb" /signature/key-openv required 2>/dev/null)" = conf ] ||
    fail "the key node did not make it into the control DTB"
[ "$(fdtget "$work/ctrl.dtb" /signature/key-openv rsa,modulus)" = "$(fdtget "$key" /signature/key-openv rsa,modulus)" ] ||
    fail "the control DTB's key differs from $key"
if [ -n "${MIN_ROLLBACK_INDEX:-}" ]; then
    [[ $MIN_ROLLBACK_INDEX =~ ^[0-9]{1,8}$ ]] && [ "$((10#$MIN_ROLLBACK_INDEX))" -lt 16777216 ] ||
        fail "MIN_ROLLBACK_INDEX=$MIN_ROLLBACK_INDEX: not a number from 0 to 16777215"
    MIN_ROLLBACK_INDEX=$((10#$MIN_ROLLBACK_INDEX))
    fdtput -t u "$work/ctrl.dtb" /signature openv,min-rollback-index "$MIN_ROLLBACK_INDEX"
fi
min=$(fdtget -t u "$work/ctrl.dtb" /signature openv,min-rollback-index 2>/dev/null) ||
    echo "ctrl-dtb: warning: $key has no /signature openv,min-rollback-index: no rollback protection" >&2
[ -z "${min:-}" ] || echo "ctrl-dtb: minimum rollback index $min" >&2
mv "$work/ctrl.dtb" "$out"
