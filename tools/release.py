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

# What a release holds besides SHA256SUMS and its signature: (file name, what it is);
# release/verify checks whatever SHA256SUMS lists.
ARTEFACTS = [
    ("openv.img.xz", "the disk image (GPT, FIT, dm-verity ext2 root, data), xz -T1 -6 --check=crc64"),
    ("openv.img.sha256", "the sha256 of the decompressed raw image (openv.img)"),
    ("openv.qcow2", "the same disk image as qcow2 (qemu-img convert -O qcow2)"),
    ("sbom.cdx.json", "the SBOM: CycloneDX 1.5 JSON, one component per package"),
    ("buildinfo", "git commit, SOURCE_DATE_EPOCH and the host tools' versions"),
    ("allowed_signers", "the key that signed this release (OpenSSH allowed_signers)"),
    ("u-boot.bin", "our U-Boot (bootloader/): boots only a FIT signed by the key in its -dtb"),
    ("ctrl.dtb", "U-Boot's control DTB for -M virt -m 512M -smp 1: QEMU's tree + the FIT's public key"),
    ("openv-key.dtb", "the FIT's public key alone (bootloader/ctrl-dtb.sh makes other -m/-smp DTBs)"),
    ("README", "this release: verify, boot"),
]

# Packages whose code is in the disk image (and so in openv.img.xz and openv.qcow2): lwIP is
# compiled into the kernel, musl is linked statically into every guest program, libyaml into
# /usr/bin/cloud-init.
IN_IMAGE = ["busybox", "dropbear", "libyaml", "lwip", "musl", "opendoas", "openssh"]
IMAGES = ["openv.img.xz", "openv.qcow2"]
# Which packages are in which other artefact (the SBOM's "openv:in-artefact").
IN_ARTEFACT = {"u-boot": ["u-boot.bin"]}
# The machine the shipped ctrl.dtb is for (its tree is QEMU's for exactly these options).
CTRL_MACHINE = ["-M", "virt", "-m", "512M", "-smp", "1"]

# Host tools whose versions shape the output (buildinfo), as dpkg-query names them.
HOST_TOOLS = ["gcc-riscv64-linux-gnu", "gcc-12-riscv64-linux-gnu", "binutils-riscv64-linux-gnu", "e2fsprogs", "mtools",
              "dosfstools", "gdisk", "u-boot-tools", "xz-utils", "qemu-utils", "python3",
              "cryptsetup-bin", "openssh-client", "device-tree-compiler", "qemu-system-misc",
              "gcc", "bison", "flex", "libssl-dev"]
# Debian firmware that boots the release (not in it): listed in the SBOM as used.
BOOT_FIRMWARE = [("opensbi", "QEMU's default -bios (fw_dynamic)"),
                 ("u-boot-qemu", f"stock U-Boot, {UBOOT_STOCK}")]


NET = "    -netdev user,id=n0,hostfwd=tcp::2222-:22 -device virtio-net-device,netdev=n0 \\"


def qemu_lines(image, fmt, signed, seed=False):
    """The QEMU command line booting `image`: through our U-Boot and ctrl.dtb (signed) or
    Debian's U-Boot; seed: a cloud-init seed as the second disk, after the image (vda)."""
    boot = ["    -kernel u-boot.bin -dtb ctrl.dtb \\"] if signed else [f"    -kernel {UBOOT_STOCK} \\"]
    disk = [f"    -drive file={image},format={fmt},if=none,id=hd0 -device virtio-blk-device,drive=hd0 \\"]
    if seed:
        disk.append("    -drive file=seed.iso,format=raw,if=none,id=seed,readonly=on "
                    "-device virtio-blk-device,drive=seed \\")
    return ["qemu-system-riscv64 -M virt -m 512M -smp 1 -nographic \\", *boot, *disk, NET,
            "    -device virtio-rng-device"]


# How to boot a release: (title, command lines).
BOOT_METHODS = [
    ("signed boot: our U-Boot checks the FIT's signature against the key in ctrl.dtb",
     ["xz -dkf openv.img.xz"] + qemu_lines("openv.img", "raw", signed=True)),
    ("stock U-Boot (Debian's u-boot-qemu; checks the FIT's sha256 only), raw image",
     ["xz -dkf openv.img.xz"] + qemu_lines("openv.img", "raw", signed=False)),
    ("with a cloud-init seed (cloud-localds seed.iso user-data meta-data), signed boot",
     ["xz -dkf openv.img.xz"] + qemu_lines("openv.img", "raw", signed=True, seed=True)),
    ("qcow2 (a copy: the guest writes its data partition), signed boot",
     ["cp openv.qcow2 disk.qcow2"] + qemu_lines("disk.qcow2", "qcow2", signed=True)),
]

# The README's seed for the seed line: the user's key for the default user (tests run these
# lines as printed, with HOME at a test key's home).
SEED_SETUP = [
    "printf '#cloud-config\\nssh_authorized_keys:\\n  - %s\\n' \"$(cat ~/.ssh/id_ed25519.pub)\" > user-data",
    "echo 'instance-id: iid-1' > meta-data",
    "cloud-localds seed.iso user-data meta-data",
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
    comps = []
    for name in pkgtool.all_packages():
        pkg = pkgtool.Package(name)
        comps.append(package_component(pkg, (IMAGES if name in IN_IMAGE else [])
                                       + IN_ARTEFACT.get(name, [])))
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
             for f in IMAGES if f in files]
    deps += [{"ref": f"artefact:{f}", "dependsOn": sorted(f"package:{n}" for n, arts in IN_ARTEFACT.items()
                                                          if f in arts)}
             for f in sorted({a for arts in IN_ARTEFACT.values() for a in arts}) if f in files]
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
            "or by hand, in DIR (OPENV: an openv checkout; a TEST release: -f allowed_signers):",
            f"  ssh-keygen -Y verify -f OPENV/release/keys/allowed_signers -I {SIGNER} -n {NAMESPACE} \\",
            "      -s SHA256SUMS.sig < SHA256SUMS",
            "  sha256sum -c SHA256SUMS", "",
            "Boot (Debian 12: qemu-system-misc, opensbi, u-boot-qemu):"]
    for title, lines in BOOT_METHODS:
        out += ["", f"  # {title}"] + [f"  {line}" for line in lines]
    out += ["", "Each method starts from a fresh openv.img (xz -f) or disk.qcow2 (cp). Our U-Boot boots",
            "the image from any virtio disk (the kernel finds its partitions by PARTUUID); Debian's",
            "needs it as the first one, so put a seed after it. ctrl.dtb is for -M virt -m 512M",
            "-smp 1 exactly; for other -m/-smp make one from openv-key.dtb, in DIR:",
            "  OPENV/bootloader/ctrl-dtb.sh openv-key.dtb ctrl-2G-4.dtb -M virt -m 2G -smp 4",
            "and boot with -m 2G -smp 4 -dtb ctrl-2G-4.dtb.",
            "Our U-Boot boots nothing but a FIT signed by that key; Debian's checks its sha256 only.",
            "Rollback: ctrl.dtb (and any made from openv-key.dtb) also refuses a signed image whose",
            "rollback index is below this release's: boot with the newest release's ctrl.dtb.", "",
            "Log in: the console stops at `openv login:`; root's password is locked and a release",
            "image carries no SSH key. Your key comes from a cloud-init seed (the third method",
            "above; cloud-localds is in Debian's cloud-image-utils), made in DIR with:",
            *[f"  {line}" for line in SEED_SETUP],
            "Your key then logs in as the default user openv, who has sudo:",
            "  ssh -p 2222 openv@127.0.0.1",
            "root's key login is refused unless the seed says disable_root: false (docs/cloud-init.md).", "",
            "Rebuild it from source and compare, in OPENV (a clone that has the release's commit):",
            "  make rebuild-check RELEASE=DIR   (docs/release.md)", ""]
    return "\n".join(out)


def allowed_signers(out, pub):
    """The release's allowed_signers line for the public key `pub` ([type, base64, ...])."""
    with open(os.path.join(out, "allowed_signers"), "w", encoding="utf-8") as f:
        f.write(f'{SIGNER} namespaces="{NAMESPACE}" {pub[0]} {pub[1]}\n')


# ---------------------------------------------------------------------------------------------
# Rebuilds (make rebuild-check): the signatures come from the release being checked
#
# A rebuilder has no private key, so its FIT carries a signature by a throw-away key. As
# F-Droid's apksigcopier does for APKs, the release's signed FIT replaces the rebuilt one, but
# only if the two are the same device tree except for the signature's value (dtc's source of
# both compared: every property, hash and the kernel's bytes). The bytes outside the tree that
# differ too are libfdt's alignment padding, left over from signing with the other key. The
# image must then pass fit_check_sign with the release's key; everything else must match bit
# for bit.

SIG_NODE = "/configurations/conf-1/signature-1"


def boot_partition_fit(image, out):
    """Copy openv.itb out of partition 1 of the raw `image` into `out`."""
    import mkimage
    parts, _ = mkimage.layout()
    run(["mcopy", "-n", "-o", "-i", f"{image}@@{parts[0][4] * 512}", "::openv.itb", out])
    return out


def fit_source_without_signature(fit):
    """dtc's source of the FIT with the signature node's value line left out."""
    lines, in_sig = [], False
    for line in run(["dtc", "-q", "-I", "dtb", "-O", "dts", fit]).decode().splitlines():
        if line.strip().startswith("signature-1 {"):
            in_sig = True
        elif in_sig and line.strip() == "};":
            in_sig = False
        if in_sig and line.strip().startswith("value = "):
            continue
        lines.append(line)
    return "\n".join(lines)


def copy_release_fit(image, release_dir, key_dtb, fit_check_sign, out, work):
    """`image` with its FIT replaced by the release's signed one, written to `out`; exits when
    the two FITs differ in more than the signature."""
    released = os.path.join(work, "released.img")
    with open(released, "wb") as f:
        subprocess.run(["xz", "-dc", os.path.join(release_dir, "openv.img.xz")], stdout=f, check=True)
    theirs_fit = boot_partition_fit(released, os.path.join(work, "released.itb"))
    os.unlink(released)
    ours_fit = boot_partition_fit(image, os.path.join(work, "rebuilt.itb"))
    if fit_source_without_signature(ours_fit) != fit_source_without_signature(theirs_fit):
        sys.exit("release: the rebuilt FIT differs from the release's in more than its signature "
                 f"(compare: dtc -I dtb -O dts {ours_fit} and {theirs_fit})")
    with open(ours_fit, "rb") as f:
        ours = f.read()
    with open(theirs_fit, "rb") as f:
        theirs = f.read()
    with open(image, "rb") as f:
        data = bytearray(f.read())
    at = data.find(ours)
    if len(ours) != len(theirs) or at < 0 or data.find(ours, at + 1) >= 0:
        sys.exit("release: the rebuilt FIT is not once and contiguous on partition 1, or not the "
                 "release's length: cannot put the release's signed FIT in its place")
    data[at:at + len(ours)] = theirs
    with open(out, "wb") as f:
        f.write(data)
    fit = boot_partition_fit(out, os.path.join(work, "copied.itb"))
    r = subprocess.run([fit_check_sign, "-f", fit, "-k", key_dtb], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("release: the release's FIT does not verify against the release's key:\n"
                 + r.stdout[-1500:])
    print("release: the rebuilt FIT is the release's but for its signature; the release's signed "
          "FIT put in its place verifies (fit_check_sign)")


def release_type_of(release_dir):
    with open(os.path.join(release_dir, "buildinfo"), encoding="utf-8") as f:
        return "Release-Type: TEST" in f.read()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="the build directory (default: build)")
    ap.add_argument("--image", help="the raw image (default: BUILD/openv.img)")
    ap.add_argument("--uboot", help="our U-Boot (default: BUILD/bootloader/u-boot.bin)")
    ap.add_argument("--out", help="where the release directory goes (default: BUILD/release)")
    ap.add_argument("--key", default=os.environ.get("RELEASE_KEY", ""),
                    help="the ed25519 release key (default: RELEASE_KEY; none: a TEST release)")
    ap.add_argument("--rebuild-of", metavar="RELEASE_DIR",
                    help="make rebuild-check: take the keys and the signed FIT from this release, "
                         "sign nothing (SHA256SUMS without .sig)")
    args = ap.parse_args(argv)
    build = os.path.abspath(args.build)
    image = os.path.abspath(args.image or os.path.join(build, "openv.img"))
    uboot = os.path.abspath(args.uboot or os.path.join(build, "bootloader", "u-boot.bin"))
    fit_check_sign = os.path.join(os.path.dirname(uboot), "bin", "fit_check_sign")
    devkey = os.path.join(os.path.dirname(image), "image-dev-key.pub")
    key_dtb = os.path.join(os.path.dirname(image), "openv-key.dtb")
    if not os.path.isfile(image):
        sys.exit(f"release: {image} does not exist (make image)")
    if os.path.isfile(devkey) and os.path.getsize(devkey):
        sys.exit(f"release: {image} carries a development SSH key ({devkey}); "
                 "a release image must not: make image DEV_SSH_KEY= first")
    if not os.path.isfile(uboot) or not os.path.isfile(fit_check_sign):
        sys.exit(f"release: {uboot} or {fit_check_sign} does not exist (make bootloader)")
    ver = version()
    rebuild = os.path.abspath(args.rebuild_of) if args.rebuild_of else None
    key = args.key
    if rebuild:
        test = release_type_of(rebuild)
        key_dtb = os.path.join(rebuild, "openv-key.dtb")
        if not os.path.isfile(key_dtb):
            sys.exit(f"release: {rebuild} has no openv-key.dtb: not a release with signed boot")
    else:
        test = not key
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
    if not os.path.isfile(key_dtb):
        sys.exit(f"release: {key_dtb} does not exist (make image writes it beside the image)")

    out = os.path.join(os.path.abspath(args.out or os.path.join(build, "release")),
                       f"openv-{ver}-riscv64")
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    env = dict(os.environ, LC_ALL="C", TZ="UTC", SOURCE_DATE_EPOCH=str(epoch()))
    if rebuild:
        work = tmp + ".work"
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        patched = os.path.join(work, "openv.img")
        copy_release_fit(image, rebuild, key_dtb, fit_check_sign, patched, work)
        image = patched
        shutil.copy(os.path.join(rebuild, "allowed_signers"), os.path.join(tmp, "allowed_signers"))
    else:
        allowed_signers(tmp, pub)
    raw_sha = sha256(image)
    with open(os.path.join(tmp, "openv.img.sha256"), "w", encoding="utf-8") as f:
        f.write(f"{raw_sha}  openv.img\n")
    with open(os.path.join(tmp, "openv.img.xz"), "wb") as f:
        subprocess.run(["xz", "-T1", "-6", "--check=crc64", "-c", image], stdout=f, check=True, env=env)
    run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", image, os.path.join(tmp, "openv.qcow2")], env=env)
    if rebuild:
        shutil.rmtree(os.path.dirname(image))
    # The signed-boot files: our U-Boot, the public key, the control DTB for the README's machine.
    shutil.copyfile(uboot, os.path.join(tmp, "u-boot.bin"))
    shutil.copyfile(key_dtb, os.path.join(tmp, "openv-key.dtb"))
    run([os.path.join(REPO, "bootloader", "ctrl-dtb.sh"), key_dtb, os.path.join(tmp, "ctrl.dtb"),
         *CTRL_MACHINE], env=env)

    commit, dirty = git_commit()
    with open(os.path.join(tmp, "buildinfo"), "w", encoding="utf-8") as f:
        f.write(buildinfo(ver, commit, dirty, test))
    with open(os.path.join(tmp, "README"), "w", encoding="utf-8") as f:
        f.write(readme(ver, test, raw_sha))
    hashed = {n: sha256(os.path.join(tmp, n)) for n in IMAGES + ["ctrl.dtb", "openv-key.dtb", "u-boot.bin"]}
    with open(os.path.join(tmp, "sbom.cdx.json"), "w", encoding="utf-8") as f:
        f.write(sbom(ver, hashed, commit))

    names = sorted(n for n, _ in ARTEFACTS)
    missing = [n for n in names if not os.path.isfile(os.path.join(tmp, n))]
    if missing:
        sys.exit(f"release: not made: {missing}")
    with open(os.path.join(tmp, "SHA256SUMS"), "w", encoding="utf-8") as f:
        for n in names:
            f.write(f"{sha256(os.path.join(tmp, n))}  {n}\n")
    if not rebuild:
        run(["ssh-keygen", "-Y", "sign", "-q", "-f", key, "-n", NAMESPACE,
             os.path.join(tmp, "SHA256SUMS")])
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    rel = os.path.relpath(out)
    if rebuild:
        print(f"release: {rel}: rebuilt with the keys and signatures of {rebuild} (not signed)")
        return
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
