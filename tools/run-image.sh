#!/bin/bash
# `make run`: pick the user's SSH key (or make a development key), build the image with it, print
# the ssh command and the exact QEMU command line, then boot the image through our U-Boot (a
# signed FIT required; its key in the control DTB given with -dtb) or, with UBOOT= another
# U-Boot such as Debian's, through that one (no -dtb: QEMU's own device tree).
# Environment (from the Makefile): MAKE BUILD IMAGE QEMU QEMU_MEM QEMU_SMP UBOOT DEV_SSH_KEY
# QEMU_DISK QEMU_NET (mmio or pci: the virtio transport of the disk, and of the network; the rng
# goes with the disk) SSH_PORT (the host port forwarded to the guest's port 22) SEED (a cloud-init
# seed image, attached read-only as a second disk on the disk's transport) SEED_URL (a NoCloud seed
# over HTTP: ds=nocloud;s=URL given with -append, our U-Boot only).
set -euo pipefail

say() { echo "openv: $*"; }
fail() { echo "openv: make run: $*" >&2; exit 1; }
# Shell words on one line, each quoted only if it has to be: a line to copy and paste.
words() {
    local out="" w q="'"
    for w in "$@"; do
        if [[ $w =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
            out+="$w "
        else
            out+="$q${w//$q/$q\\$q$q}$q "
        fi
    done
    echo "${out% }"
}

transport() {      # the -device name of virtio device $2 on transport $1 (variable $3)
    case $1 in
        mmio) echo "virtio-$2-device" ;;
        pci) echo "virtio-$2-pci" ;;
        *) fail "$3=$1: use mmio or pci" ;;
    esac
}
disk_dev=$(transport "${QEMU_DISK:-mmio}" blk QEMU_DISK)
net_dev=$(transport "${QEMU_NET:-mmio}" net QEMU_NET)
rng_dev=$(transport "${QEMU_DISK:-mmio}" rng QEMU_DISK)
# virtio-net-pci loads QEMU's iPXE option ROM (efi-virtio.rom, Debian's ipxe-qemu) by default
# and QEMU refuses to start without it; that ROM is x86/EFI boot code that neither OpenSBI nor
# U-Boot ever runs here, so the device gets none.
[ "$net_dev" = virtio-net-pci ] && net_dev+=",romfile="
port=${SSH_PORT:-2222}
[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
    fail "SSH_PORT=$port: not a TCP port number"

seed=${SEED:-}
if [ -n "$seed" ]; then
    [ -f "$seed" ] && [ -r "$seed" ] ||
        fail "SEED=$seed: not a readable file (make one: cloud-localds seed.iso user-data meta-data)"
    seed=$(realpath "$seed")
fi

# QEMU puts -append in /chosen/bootargs of the -dtb tree; our U-Boot keeps it and the kernel
# takes ds= from the boot loader (kernel/lib/bootargs.c). Debian's U-Boot replaces bootargs with
# extlinux.conf's append line instead (docs/cloud-init.md says how to edit it).
seed_url=${SEED_URL:-}
if [ -n "$seed_url" ]; then
    [[ $seed_url =~ ^https?://[^[:space:]\;\"]+$ ]] ||
        fail "SEED_URL=$seed_url: an http:// URL without spaces, ';' or quotes (the guest reaches the host at 10.0.2.2)"
    [ "$UBOOT" = "$BUILD/bootloader/u-boot.bin" ] ||
        fail "SEED_URL= works with our U-Boot only; with UBOOT= put ds=nocloud;s=URL in extlinux.conf (docs/cloud-init.md)"
    case $seed_url in */) ;; *) seed_url+=/ ;; esac
fi

key=${DEV_SSH_KEY:-}
identity=()
if [ -z "$key" ]; then
    for k in "$HOME/.ssh/id_ed25519.pub" "$HOME/.ssh/id_ecdsa.pub" "$HOME/.ssh/id_rsa.pub"; do
        if [ -f "$k" ]; then key=$k; break; fi
    done
fi
if [ -z "$key" ]; then
    # No key of the user's: a development key in build/, made once, used for this image only.
    mkdir -p "$BUILD/dev-ssh"
    if [ ! -f "$BUILD/dev-ssh/id_ed25519" ]; then
        command -v ssh-keygen >/dev/null || fail "ssh-keygen not found: run 'make deps' (openssh-client)"
        ssh-keygen -q -t ed25519 -N "" -C openv-dev -f "$BUILD/dev-ssh/id_ed25519" ||
            fail "could not generate $BUILD/dev-ssh/id_ed25519"
        say "no ~/.ssh/id_*.pub: generated a development key $BUILD/dev-ssh/id_ed25519"
    fi
    key=$BUILD/dev-ssh/id_ed25519.pub
    identity=(-i "$(realpath "$BUILD/dev-ssh/id_ed25519")")
fi
[ -r "$key" ] || fail "SSH public key $key is not readable (set DEV_SSH_KEY=path/to/key.pub)"

$MAKE --no-print-directory image DEV_SSH_KEY="$key" || fail "building $IMAGE failed (see above)"
signed=
if [ "$UBOOT" = "$BUILD/bootloader/u-boot.bin" ]; then
    signed=1
    $MAKE --no-print-directory bootloader || fail "building our U-Boot failed (see above)"
    $MAKE --no-print-directory ctrl-dtb QEMU_MEM="$QEMU_MEM" QEMU_SMP="$QEMU_SMP" ||
        fail "making the control DTB with the signing key failed (see above)"
fi
[ -r "$UBOOT" ] || fail "$UBOOT not found: run 'make deps' (u-boot-qemu) for Debian's"
image=$(realpath "$IMAGE")     # absolute, so the printed line works from any directory
uboot=$(realpath -s "$UBOOT")     # build/bootloader/u-boot.bin, not the cache it links to

# The guest makes its SSH host keys on the first boot of an image and keeps them on its data
# partition, so they change whenever the image is rebuilt. Its known_hosts is therefore its
# own, started afresh with each new image (a new file: mkimage renames it into place), instead
# of a [localhost]:2222 line in ~/.ssh/known_hosts that the next image would contradict.
known=$(realpath "$BUILD")/known_hosts
image_id=$(stat -c '%d:%i' "$image")
if [ "$(cat "$known.image" 2>/dev/null)" != "$image_id" ]; then
    rm -f "$known"
    echo "$image_id" > "$known.image"
fi

qemu=("$QEMU" -M virt -m "$QEMU_MEM" -smp "$QEMU_SMP" -nographic -kernel "$uboot"
      -drive "file=$image,format=raw,if=none,id=hd0" -device "$disk_dev,drive=hd0"
      -netdev "user,id=n0,hostfwd=tcp::$port-:22" -device "$net_dev,netdev=n0"
      -device "$rng_dev")
[ -n "$signed" ] && qemu+=(-dtb "$(realpath "$BUILD/ctrl.dtb")")
[ -n "$seed_url" ] && qemu+=(-append "ds=nocloud;s=$seed_url")
# The seed after the image: U-Boot and the kernel see the image first (vda), the seed second.
[ -n "$seed" ] && qemu+=(-drive "file=$seed,format=raw,if=none,id=seed,readonly=on"
                         -device "$disk_dev,drive=seed")
ssh=(ssh -p "$port" "${identity[@]}" -o "UserKnownHostsFile=$known"
     -o StrictHostKeyChecking=accept-new root@localhost)
if [ -n "$signed" ]; then
    say "booting $IMAGE (OpenSBI -> our U-Boot, signed FIT -> openv); quit with Ctrl-A x"
else
    say "booting $IMAGE (OpenSBI -> $UBOOT, FIT sha256 only -> openv); quit with Ctrl-A x"
fi
say "root's SSH key: $key"
say "log in with: $(words "${ssh[@]}")"
say "qemu: $(words "${qemu[@]}")"
exec "${qemu[@]}"
