#!/bin/bash
# `make run`: pick the user's SSH key (or make a development key), build the image with it, print
# the ssh command and the exact QEMU command line, then boot the image through stock U-Boot.
# Environment (from the Makefile): MAKE BUILD IMAGE QEMU QEMU_MEM QEMU_SMP UBOOT DEV_SSH_KEY.
set -euo pipefail

say() { echo "openv: $*"; }
fail() { echo "openv: make run: $*" >&2; exit 1; }

key=${DEV_SSH_KEY:-}
identity=""
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
    identity=" -i $BUILD/dev-ssh/id_ed25519"
fi
[ -r "$key" ] || fail "SSH public key $key is not readable (set DEV_SSH_KEY=path/to/key.pub)"

$MAKE --no-print-directory image DEV_SSH_KEY="$key" || fail "building $IMAGE failed (see above)"
[ -r "$UBOOT" ] || fail "$UBOOT not found: run 'make deps' (u-boot-qemu)"

qemu=("$QEMU" -M virt -m "$QEMU_MEM" -smp "$QEMU_SMP" -nographic -kernel "$UBOOT"
      -drive "file=$IMAGE,format=raw,if=none,id=hd0" -device virtio-blk-device,drive=hd0
      -netdev user,id=n0,hostfwd=tcp::2222-:22 -device virtio-net-device,netdev=n0
      -device virtio-rng-device)
say "booting $IMAGE (OpenSBI -> U-Boot -> openv); quit with Ctrl-A x"
say "log in with: ssh -p 2222$identity -o StrictHostKeyChecking=accept-new root@localhost (key $key)"
say "qemu: ${qemu[*]}"
exec "${qemu[@]}"
