#!/usr/bin/python3
"""make release: build/release/openv-<version>-riscv64/ from build/openv.img (docs/release.md).

Writes the release's artefacts (ARTEFACTS, the one list of what a release holds), its SBOM
(CycloneDX 1.5 JSON), buildinfo, README with the QEMU command lines (BOOT_METHODS), SHA256SUMS
over all of them and SHA256SUMS.sig, an OpenSSH signature (`ssh-keygen -Y sign -n
openv-release`) with the key of RELEASE_KEY=, or, without one, with a throw-away test key made
in build/release-test-key/ (the release then says everywhere that it is a TEST release).

Reproducible: every input is fixed by the commit and SOURCE_DATE_EPOCH (xz -T1 with fixed
options, qemu-img's qcow2 has no timestamps, the SBOM's time and serial number come from the
epoch and the content; Ed25519 signatures are deterministic).
"""

import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "packages"))
sys.path.insert(0, os.path.join(REPO, "image"))
import pkgtool  # noqa: E402

NAMESPACE = "openv-release"          # ssh-keygen -Y sign -n: a signature for nothing else
SIGNER = "openv-release"             # the principal in allowed_signers
UBOOT_STOCK = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"

# What a release holds besides SHA256SUMS and its signature: (file name, what it is). The signed
# U-Boot and its public key join here when bootloader/ builds them (issue 15), and
# release/verify checks whatever SHA256SUMS lists.
ARTEFACTS = [
    ("openv.img.xz", "the disk image (GPT, FIT, dm-verity ext2 root, data), xz -T1 -6 --check=crc64"),
    ("openv.img.sha256", "the sha256 of the decompressed raw image (openv.img)"),
    ("openv.qcow2", "the same disk image as qcow2 (qemu-img convert -O qcow2)"),
    ("sbom.cdx.json", "the SBOM: CycloneDX 1.5 JSON, one component per package"),
    ("buildinfo", "git commit, SOURCE_DATE_EPOCH and the host tools' versions"),
    ("allowed_signers", "the key that signed this release (OpenSSH allowed_signers)"),
    ("README", "this release: verify, boot"),
]

# Packages whose code is in the disk image (and so in openv.img.xz and openv.qcow2): lwIP is
# compiled into the kernel, musl is linked statically into every guest program, libyaml into
# /usr/bin/cloud-init.
IN_IMAGE = ["busybox", "dropbear", "libyaml", "lwip", "musl", "opendoas", "openssh"]

# Host tools whose versions shape the output (buildinfo), as dpkg-query names them.
HOST_TOOLS = ["gcc-riscv64-linux-gnu", "gcc-12-riscv64-linux-gnu", "binutils-riscv64-linux-gnu", "e2fsprogs", "mtools",
              "dosfstools", "gdisk", "u-boot-tools", "xz-utils", "qemu-utils", "python3",
              "cryptsetup-bin", "openssh-client"]
# Debian firmware that boots the release (not in it): listed in the SBOM as used.
BOOT_FIRMWARE = [("opensbi", "QEMU's default -bios (fw_dynamic)"),
                 ("u-boot-qemu", f"stock U-Boot, {UBOOT_STOCK}")]


def qemu_stock(image, fmt):
    return ["qemu-system-riscv64 -M virt -m 512M -nographic \\",
            f"    -kernel {UBOOT_STOCK} \\",
            f"    -drive file={image},format={fmt},if=none,id=hd0 -device virtio-blk-device,drive=hd0 \\",
            "    -netdev user,id=n0,hostfwd=tcp::2222-:22 -device virtio-net-device,netdev=n0 \\",
            "    -device virtio-rng-device"]


# How to boot a release: (title, command lines). Signed boot (our U-Boot, signed FIT) joins
# here with the files it needs in ARTEFACTS.
BOOT_METHODS = [
    ("stock U-Boot (Debian's u-boot-qemu), raw image", ["xz -dk openv.img.xz"] + qemu_stock("openv.img", "raw")),
    ("stock U-Boot, qcow2 (a copy: the guest writes its data partition)",
     ["cp openv.qcow2 disk.qcow2"] + qemu_stock("disk.qcow2", "qcow2")),
]


def run(argv, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if r.returncode != 0:
        sys.exit(f"release: {' '.join(argv)} failed (exit {r.returncode}):\n"
                 f"{r.stderr.decode(errors='replace')[-2000:]}")
    return r.stdout


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def version():
    with open(os.path.join(REPO, "release", "VERSION"), encoding="utf-8") as f:
        return f.read().strip()


def epoch():
    with open(os.path.join(REPO, "release", "SOURCE_DATE_EPOCH"), encoding="utf-8") as f:
        return int(os.environ.get("SOURCE_DATE_EPOCH") or f.read().strip())


def git_commit():
    r = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    if r.returncode != 0:
        return "unknown (not a git checkout)", None
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    return r.stdout.strip(), bool(dirty)


def dpkg_version(name):
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", name], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


# ---------------------------------------------------------------------------------------------
# SBOM (CycloneDX 1.5)


def purl(pkg):
    return f"pkg:deb/debian/{pkg.conf['DEB_SOURCE']}@{pkg.conf['DEB_VERSION']}?arch=source"


def package_component(pkg, artefacts):
    c = {
        "type": "library" if pkg.name in ("musl", "lwip", "libyaml") else "application",
        "bom-ref": f"package:{pkg.name}",
        "name": pkg.name,
        "version": pkg.conf["DEB_VERSION"].split(":")[-1].split("-")[0].split("+")[0],
        "licenses": [{"expression": pkg.conf["LICENSE"]}],
        "purl": purl(pkg),
        # Every source file, by the sha256 pinned in package.conf (pkgtool refuses any other).
        "components": [{"type": "file", "bom-ref": f"package:{pkg.name}:{fname}", "name": fname,
                        "hashes": [{"alg": "SHA-256", "content": digest}]}
                       for fname, digest in pkg.files],
        "properties": [{"name": "openv:debian-source", "value": pkg.conf["DEB_SOURCE"]},
                       {"name": "openv:debian-source-version", "value": pkg.conf["DEB_VERSION"]}]
                      + [{"name": "openv:patch", "value": p} for p in pkg.patches]
                      + [{"name": "openv:in-artefact", "value": a} for a in artefacts],
    }
    if pkg.patches:
        # The Debian patches we apply, by their path in the Debian source (debian/patches/).
        c["pedigree"] = {"patches": [
            dict({"type": "backport", "diff": {"url": f"debian/patches/{p}"}},
                 **({"resolves": [{"type": "security", "id": p.split(".")[0][:16],
                                   "name": p.split(".")[0]}]}
                    if p.startswith("CVE-") else {}))
            for p in pkg.patches]}
    if not artefacts:
        c["properties"].append({"name": "openv:note",
                                "value": "source staged for later work; in no artefact of this release"})
    return c


def sbom(ver, files, commit):
    images = ["openv.img.xz", "openv.qcow2"]
    comps = []
    for name in pkgtool.all_packages():
        pkg = pkgtool.Package(name)
        comps.append(package_component(pkg, images if name in IN_IMAGE else []))
    for deb, what in BOOT_FIRMWARE:
        v = dpkg_version(deb)
        comps.append({"type": "firmware", "bom-ref": f"boot:{deb}", "name": deb,
                      "version": v or "not installed on the build host",
                      "properties": [{"name": "openv:used-at-boot", "value": what},
                                     {"name": "openv:note",
                                      "value": "Debian's binary on the user's host; not in the release"}]})
    for fname in files:
        comps.append({"type": "file", "bom-ref": f"artefact:{fname}", "name": fname,
                      "hashes": [{"alg": "SHA-256", "content": files[fname]}]})
    openv = {"type": "operating-system", "bom-ref": "openv", "name": "openv", "version": ver,
             "description": "openv: a small riscv64 appliance OS (kernel, rootfs, image builders)",
             "properties": [{"name": "openv:git-commit", "value": commit},
                            {"name": "openv:in-artefact", "value": "openv.img.xz"},
                            {"name": "openv:in-artefact", "value": "openv.qcow2"}]}
    deps = [{"ref": "openv", "dependsOn": [f"package:{n}" for n in IN_IMAGE]}]
    deps += [{"ref": f"artefact:{f}", "dependsOn": ["openv"] + [f"package:{n}" for n in IN_IMAGE]}
             for f in images if f in files]
    bom = {
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {
            "timestamp": datetime.datetime.fromtimestamp(epoch(), datetime.timezone.utc)
                                          .strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "tools/release.py",
                                      "version": ver}]},
            "component": openv,
        },
        "components": comps,
        "dependencies": deps,
    }
    text = json.dumps(bom, indent=2, sort_keys=True)
    # A serial number fixed by the content, so that the SBOM is reproducible.
    bom["serialNumber"] = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "openv-sbom:" + text))
    return json.dumps(bom, indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------------------------------------


def buildinfo(ver, commit, dirty, test):
    lines = ["Format: openv-buildinfo 1", "Source: openv", f"Version: {ver}",
             "Architecture: riscv64", f"Git-Commit: {commit}",
             f"Git-Tree: {'modified (uncommitted changes to tracked files)' if dirty else 'clean'}",
             f"Source-Date-Epoch: {epoch()}",
             f"Release-Type: {'TEST (throw-away key, not the project key)' if test else 'signed'}",
             "Host-Tools:"]
    for i, t in enumerate(HOST_TOOLS):
        v = dpkg_version(t)
        lines.append(f" {t} (= {v})" if v else f" {t} (not installed)")
        if i < len(HOST_TOOLS) - 1:
            lines[-1] += ","
    return "\n".join(lines) + "\n"


def readme(ver, test, raw_sha):
    out = [f"openv {ver} for riscv64" + (" -- TEST RELEASE" if test else ""), ""]
    if test:
        out += ["THIS IS A TEST RELEASE: it is signed with a throw-away key made by the build,",
                "not with the project's release key. release/verify fails on it unless you pass",
                "this release's allowed_signers with --keys; trust it for testing only.", ""]
    out += ["Files (SHA256SUMS lists them all, SHA256SUMS.sig signs that list):"]
    out += [f"  {name:18s} {what}" for name, what in ARTEFACTS]
    out += ["  SHA256SUMS         the sha256 of every file above",
            f"  SHA256SUMS.sig     ssh-keygen -Y sign -n {NAMESPACE} signature of SHA256SUMS", "",
            f"The raw image openv.img has sha256 {raw_sha}.", "",
            "Verify (from an openv checkout, against the project's published key):",
            "  release/verify DIR", "",
            "or by hand:",
            f"  ssh-keygen -Y verify -f release/keys/allowed_signers -I {SIGNER} -n {NAMESPACE} \\",
            "      -s SHA256SUMS.sig < SHA256SUMS",
            "  sha256sum -c SHA256SUMS", "",
            "Boot (Debian 12: qemu-system-misc, opensbi, u-boot-qemu):"]
    for title, lines in BOOT_METHODS:
        out += ["", f"  # {title}"] + [f"  {line}" for line in lines]
    out += ["", "The image must be the first virtio disk (U-Boot boots from it; the dm-verity",
            "table names /dev/vda2 and /dev/vda3). The console stops at `openv login:`; root's",
            "password is locked and a release image carries no SSH key: logging in needs the",
            "cloud-init agent (to come) or an image built with `make image DEV_SSH_KEY=...`.", ""]
    return "\n".join(out)


def allowed_signers(out, pub):
    """The release's allowed_signers line for the public key `pub` ([type, base64, ...])."""
    with open(os.path.join(out, "allowed_signers"), "w", encoding="utf-8") as f:
        f.write(f'{SIGNER} namespaces="{NAMESPACE}" {pub[0]} {pub[1]}\n')


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="the build directory (default: build)")
    ap.add_argument("--image", help="the raw image (default: BUILD/openv.img)")
    ap.add_argument("--out", help="where the release directory goes (default: BUILD/release)")
    ap.add_argument("--key", default=os.environ.get("RELEASE_KEY", ""),
                    help="the ed25519 release key (default: RELEASE_KEY; none: a TEST release)")
    args = ap.parse_args(argv)
    build = os.path.abspath(args.build)
    image = os.path.abspath(args.image or os.path.join(build, "openv.img"))
    devkey = os.path.join(os.path.dirname(image), "image-dev-key.pub")
    if not os.path.isfile(image):
        sys.exit(f"release: {image} does not exist (make image)")
    if os.path.isfile(devkey) and os.path.getsize(devkey):
        sys.exit(f"release: {image} carries a development SSH key ({devkey}); "
                 "a release image must not: make image DEV_SSH_KEY= first")
    ver = version()
    test = not args.key
    key = args.key
    if test:
        key = os.path.join(build, "release-test-key", "id_ed25519")
        if not os.path.isfile(key):
            os.makedirs(os.path.dirname(key), exist_ok=True)
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "openv TEST release key",
                 "-f", key])
    elif not os.path.isfile(key):
        sys.exit(f"release: RELEASE_KEY={key}: no such file")
    pub = run(["ssh-keygen", "-y", "-f", key]).decode().split()
    if pub[0] != "ssh-ed25519":
        sys.exit(f"release: {key} is a {pub[0]} key; the release key is ed25519")

    out = os.path.join(os.path.abspath(args.out or os.path.join(build, "release")),
                       f"openv-{ver}-riscv64")
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    env = dict(os.environ, LC_ALL="C", TZ="UTC", SOURCE_DATE_EPOCH=str(epoch()))
    raw_sha = sha256(image)
    with open(os.path.join(tmp, "openv.img.sha256"), "w", encoding="utf-8") as f:
        f.write(f"{raw_sha}  openv.img\n")
    with open(os.path.join(tmp, "openv.img.xz"), "wb") as f:
        subprocess.run(["xz", "-T1", "-6", "--check=crc64", "-c", image], stdout=f, check=True, env=env)
    run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", image, os.path.join(tmp, "openv.qcow2")], env=env)

    commit, dirty = git_commit()
    with open(os.path.join(tmp, "buildinfo"), "w", encoding="utf-8") as f:
        f.write(buildinfo(ver, commit, dirty, test))
    allowed_signers(tmp, pub)
    with open(os.path.join(tmp, "README"), "w", encoding="utf-8") as f:
        f.write(readme(ver, test, raw_sha))
    hashed = {n: sha256(os.path.join(tmp, n)) for n in ("openv.img.xz", "openv.qcow2")}
    with open(os.path.join(tmp, "sbom.cdx.json"), "w", encoding="utf-8") as f:
        f.write(sbom(ver, hashed, commit))

    names = sorted(n for n, _ in ARTEFACTS)
    missing = [n for n in names if not os.path.isfile(os.path.join(tmp, n))]
    if missing:
        sys.exit(f"release: not made: {missing}")
    with open(os.path.join(tmp, "SHA256SUMS"), "w", encoding="utf-8") as f:
        for n in names:
            f.write(f"{sha256(os.path.join(tmp, n))}  {n}\n")
    run(["ssh-keygen", "-Y", "sign", "-q", "-f", key, "-n", NAMESPACE,
         os.path.join(tmp, "SHA256SUMS")])
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    rel = os.path.relpath(out)
    if test:
        print(f"release: {rel}: TEST RELEASE, signed with the throw-away key {os.path.relpath(key)} "
              "(RELEASE_KEY=path signs with the release key)")
    else:
        print(f"release: {rel}: signed with {key}")
    print(f"release: openv.img.xz {os.path.getsize(os.path.join(out, 'openv.img.xz'))} bytes, "
          f"openv.qcow2 {os.path.getsize(os.path.join(out, 'openv.qcow2'))} bytes; "
          f"check it: release/verify{'' if not test else ' --keys ' + os.path.join(rel, 'allowed_signers')} {rel}")


if __name__ == "__main__":
    main(sys.argv[1:])
