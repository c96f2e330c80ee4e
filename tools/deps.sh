#!/bin/sh
# Install the Debian 12 host packages that openv's build and tests need. Idempotent: installs
# only what is missing, and says what it installs.
set -eu

# ipxe-qemu and qemu-utils are only Recommends of qemu-system-misc, which --no-install-recommends
# skips: without ipxe-qemu's efi-virtio.rom QEMU refuses `-device virtio-net-pci` ("failed to
# find romfile"); qemu-utils has qemu-img (the qcow2 test, docs/image.md).
# faketime, disorderfs (FUSE) and diffoscope-minimal: make rebuild-check's varied clock and
# directory order, and its report of a differing artefact (docs/release.md).
PACKAGES="
  make gcc libc6-dev patch xz-utils bzip2 cpio file bc
  gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu linux-libc-dev-riscv64-cross
  qemu-system-misc qemu-user-static opensbi u-boot-qemu u-boot-tools ipxe-qemu qemu-utils
  e2fsprogs mtools dosfstools gdisk genisoimage cloud-image-utils cryptsetup-bin device-tree-compiler
  bison flex libssl-dev openssl
  dpkg-dev apt
  libcmocka-dev clang libyaml-dev
  golang-go
  python3 python3-pytest python3-pytest-xdist python3-pexpect openssh-client sshfs
  nodejs
  faketime disorderfs diffoscope-minimal
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

# CycloneDX's own SBOM validator (tools/sbom): pinned by tools/sbom/package-lock.json,
# installed with `npm ci` outside the tree, as the user who runs the tests (not root).
sbom_validator() {
    sbom=$(cd "$(dirname "$0")/sbom" && pwd)
    dir="${OPENV_CACHE:-$HOME/.cache/openv}/sbom-validator"
    if [ -d "$dir/node_modules/@cyclonedx/cyclonedx-library" ] &&
       cmp -s "$sbom/package-lock.json" "$dir/package-lock.json"; then
        echo "deps: the SBOM validator is installed ($dir)"
        return 0
    fi
    echo "deps: installing the SBOM validator into $dir (npm ci, pinned lockfile)"
    mkdir -p "$dir"
    cp "$sbom/package.json" "$sbom/package-lock.json" "$dir/"
    if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ]; then
        chown -R "$SUDO_USER" "$dir"
    fi
    (cd "$dir" && npm ci --ignore-scripts --legacy-peer-deps --no-audit --no-fund)
}
# Debian's npm; a nodejs that brings its own npm (NodeSource's) conflicts with it.
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -z "$missing" ]; then
    echo "deps: all host packages are installed"
    sbom_validator
    exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "deps: not root and no sudo: run as root:" >&2
        echo "    apt-get install -y --no-install-recommends$missing" >&2
        exit 1
    fi
else
    SUDO=
fi
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
sbom_validator
echo "deps: done"
