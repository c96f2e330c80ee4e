"""make release's output and release/verify (docs/release.md), host-only (no boot).

One image (mkimage.build into a temporary directory) is released twice with a test key made
here: the two SHA256SUMS (and signatures) are identical; release/verify passes; one flipped
byte in each listed file, in SHA256SUMS or in the signature makes it fail and name what failed;
a signature by another key fails; a byte changed in the root partition of a release re-made and
re-signed by its key fails dm-verity; a FIT signed by another key fails fit_check_sign; the SBOM passes CycloneDX's own validator and lists every package with the
sha256s pinned in packages/."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from guest import BUILD, REPO, kernel_image

sys.path.insert(0, os.path.join(REPO, "image"))
sys.path.insert(0, os.path.join(REPO, "packages"))
import mkimage  # noqa: E402
import pkgtool  # noqa: E402

pytestmark = pytest.mark.same_at_any_smp
VERIFY = os.path.join(REPO, "release", "verify")
RELEASE = os.path.join(REPO, "tools", "release.py")
CACHE = os.environ.get("OPENV_CACHE", os.path.expanduser("~/.cache/openv"))
NODE_PATH = os.path.join(CACHE, "sbom-validator", "node_modules")


def version():
    with open(os.path.join(REPO, "release", "VERSION"), encoding="utf-8") as f:
        return f.read().strip()


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", path],
                   check=True)
    return path


def make_release(image, key, out):
    r = subprocess.run(["/usr/bin/python3", RELEASE, "--build", BUILD, "--image", image,
                        "--out", out, "--key", key], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout
    return os.path.join(out, f"openv-{version()}-riscv64")


def verify(d, keys=None):
    r = subprocess.run([VERIFY, "--keys", keys or os.path.join(d, "allowed_signers"), d],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    kernel = kernel_image()
    if not kernel or not os.path.exists(kernel) or os.environ.get("OPENV_TEST_KERNEL"):
        pytest.skip("openv's kernel only (a release holds openv's image)")
    tmp = tmp_path_factory.mktemp("release")
    image = str(tmp / "openv.img")
    mkimage.build(BUILD, kernel, image)
    key = keygen(str(tmp / "key"))
    first = make_release(image, key, str(tmp / "a"))
    second = make_release(image, key, str(tmp / "b"))
    return {"tmp": tmp, "image": image, "key": key, "first": first, "second": second}


def test_two_release_runs_are_identical(releases):
    a, b = releases["first"], releases["second"]
    assert sorted(os.listdir(a)) == sorted(os.listdir(b))
    for name in ("SHA256SUMS", "SHA256SUMS.sig"):
        with open(os.path.join(a, name), "rb") as fa, open(os.path.join(b, name), "rb") as fb:
            assert fa.read() == fb.read(), name


def test_verify_passes(releases):
    rc, out = verify(releases["first"])
    assert rc == 0, out
    for check in ("ok    signature", "ok    checksum: openv.img.xz", "ok    qcow2",
                  "ok    gpt", "ok    root filesystem", "ok    root hash", "ok    dm-verity",
                  "ok    checksum: u-boot.bin", "ok    fit signature", "ok    boot key",
                  "verdict: PASS"):
        assert check in out, out
    assert "FAIL" not in out and "SKIP" not in out, out


def test_the_release_names_version_and_test_key(releases):
    d = releases["first"]
    assert os.path.basename(d) == f"openv-{version()}-riscv64"
    with open(os.path.join(d, "buildinfo"), encoding="utf-8") as f:
        info = f.read()
    assert f"Version: {version()}\n" in info and "Git-Commit: " in info
    assert "Source-Date-Epoch: " in info and " xz-utils (= " in info
    with open(os.path.join(d, "openv.img.sha256"), encoding="utf-8") as f:
        raw = f.read().split()[0]
    with open(releases["image"], "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == raw


def tampered(releases, name):
    d = copy_release(releases, f"t-{name}")
    path = os.path.join(d, name)
    flip(path, os.path.getsize(path) // 2)
    return d


LISTED = ["README", "allowed_signers", "buildinfo", "ctrl.dtb", "openv-key.dtb", "openv.img.sha256",
          "openv.img.xz", "openv.qcow2", "sbom.cdx.json", "u-boot.bin"]


@pytest.mark.parametrize("name", LISTED)
def test_a_flipped_byte_in_an_artefact_fails(releases, name):
    d = tampered(releases, name)
    rc, out = verify(d, keys=os.path.join(releases["first"], "allowed_signers"))
    assert rc == 1, out
    assert f"FAIL  checksum: {name} does not match SHA256SUMS" in out, out
    assert "verdict: FAIL" in out and name in out.splitlines()[-1], out


@pytest.mark.parametrize("name", ["SHA256SUMS", "SHA256SUMS.sig"])
def test_a_flipped_byte_in_the_sums_or_signature_fails(releases, name):
    d = tampered(releases, name)
    rc, out = verify(d, keys=os.path.join(releases["first"], "allowed_signers"))
    assert rc == 1, out
    assert "FAIL  signature: SHA256SUMS.sig does not verify" in out, out
    assert out.splitlines()[-1].startswith("verdict: FAIL: signature"), out


def resign(d, key):
    """SHA256SUMS made again over the files it lists and signed with `key` (release.py's way)."""
    sums = os.path.join(d, "SHA256SUMS")
    with open(sums, encoding="utf-8") as f:
        names = [line.split()[1] for line in f]
    with open(sums, "w", encoding="utf-8") as f:
        for n in names:
            with open(os.path.join(d, n), "rb") as g:
                f.write(f"{hashlib.sha256(g.read()).hexdigest()}  {n}\n")
    os.unlink(sums + ".sig")
    subprocess.run(["ssh-keygen", "-Y", "sign", "-q", "-f", key, "-n", "openv-release", sums],
                   check=True)


def copy_release(releases, name):
    d = str(releases["tmp"] / name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(releases["first"], d)
    return d


def test_a_signature_by_another_key_fails(releases):
    d = copy_release(releases, "other-key")
    resign(d, keygen(str(releases["tmp"] / "other")))
    rc, out = verify(d, keys=os.path.join(releases["first"], "allowed_signers"))
    assert rc == 1 and "FAIL  signature" in out, out
    # The project's published keys are not the test key either.
    rc, out = verify(releases["first"], keys=os.path.join(REPO, "release", "keys", "allowed_signers"))
    assert rc == 1 and "FAIL  signature" in out, out


def test_a_re_signed_image_with_a_changed_root_fails_dm_verity(releases):
    """A byte of the root changed and the image, its sha256, the qcow2 and SHA256SUMS made again
    and re-signed by the release's key (so only the image's own checks can catch it):
    veritysetup verify fails against the root hash in the FIT."""
    d = copy_release(releases, "bad-root")
    image = str(releases["tmp"] / "bad.img")
    subprocess.run(["cp", "--sparse=always", releases["image"], image], check=True)
    parts, _ = mkimage.layout()
    flip(image, parts[1][4] * 512 + 4096 * 100 + 7)   # a data block of the root, not its superblock
    with open(os.path.join(d, "openv.img.xz"), "wb") as f:
        subprocess.run(["xz", "-T1", "-0", "-c", image], stdout=f, check=True)
    with open(image, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(d, "openv.img.sha256"), "w", encoding="utf-8") as f:
        f.write(f"{digest}  openv.img\n")
    os.unlink(os.path.join(d, "openv.qcow2"))
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", image,
                    os.path.join(d, "openv.qcow2")], check=True)
    resign(d, releases["key"])
    rc, out = verify(d)
    assert rc == 1, out
    assert "ok    signature" in out and "ok    checksum: openv.img.xz" in out, out
    assert "ok    root filesystem" in out or "FAIL  root filesystem" in out, out
    assert "FAIL  dm-verity" in out and "dm-verity" in out.splitlines()[-1], out


def test_a_fit_signed_by_another_key_fails_fit_check_sign(releases):
    """The release re-made around a FIT signed by another key but shipping the first key's
    ctrl.dtb (and re-signed by the release key): fit_check_sign fails."""
    tmp = releases["tmp"] / "other-fit"
    tmp.mkdir()
    image = image_signed_by(other_boot_key(tmp / "keys"), str(tmp / "openv.img"))
    d = make_release(image, releases["key"], str(tmp / "out"))
    for name in ("ctrl.dtb", "openv-key.dtb"):
        shutil.copy(os.path.join(releases["first"], name), os.path.join(d, name))
    resign(d, releases["key"])
    rc, out = verify(d)
    assert rc == 1, out
    assert "ok    dm-verity" in out and "FAIL  fit signature" in out, out


def other_boot_key(directory):
    """A fresh RSA 2048 FIT signing key pair (SIGNING_KEY_DIR layout) in directory."""
    directory.mkdir()
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(directory / "openv.key")], check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-batch", "-new", "-x509", "-days", "1", "-subj", "/CN=other",
                    "-key", str(directory / "openv.key"), "-out", str(directory / "openv.crt")],
                   check=True)
    return str(directory)


def image_signed_by(keydir, image):
    old = os.environ.get("SIGNING_KEY_DIR")
    os.environ["SIGNING_KEY_DIR"] = keydir
    try:
        mkimage.build(BUILD, kernel_image(), image)
    finally:
        os.environ.pop("SIGNING_KEY_DIR")
        if old is not None:
            os.environ["SIGNING_KEY_DIR"] = old
    return image


def test_a_rebuild_signed_by_another_key_takes_the_release_signature(releases):
    """make rebuild-check's last step (release.py --rebuild-of): an image rebuilt with a
    throw-away boot key gets the release's signed FIT (the same tree but for the signature)
    and then matches the release byte for byte, the signed-boot files too; nothing is signed."""
    tmp = releases["tmp"] / "rebuilt"
    tmp.mkdir()
    image = image_signed_by(other_boot_key(tmp / "keys"), str(tmp / "openv.img"))
    r = subprocess.run(["/usr/bin/python3", RELEASE, "--build", BUILD, "--image", image,
                        "--out", str(tmp / "out"), "--rebuild-of", releases["first"]],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout
    assert "signed FIT put in its place verifies" in r.stdout, r.stdout
    d = os.path.join(tmp / "out", os.path.basename(releases["first"]))
    assert not os.path.exists(os.path.join(d, "SHA256SUMS.sig"))
    with open(os.path.join(d, "SHA256SUMS"), encoding="utf-8") as f:
        ours = f.read()
    with open(os.path.join(releases["first"], "SHA256SUMS"), encoding="utf-8") as f:
        theirs = f.read()
    assert ours == theirs


def test_sbom_is_valid_cyclonedx_and_lists_every_package(releases):
    sbom = os.path.join(releases["first"], "sbom.cdx.json")
    if not os.path.isdir(os.path.join(NODE_PATH, "@cyclonedx", "cyclonedx-library")):
        pytest.fail(f"CycloneDX's validator is not installed in {NODE_PATH}: run make deps")
    r = subprocess.run(["node", os.path.join(REPO, "tools", "sbom", "validate.js"), sbom],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=dict(os.environ, NODE_PATH=NODE_PATH))
    assert r.returncode == 0, r.stdout
    with open(sbom, encoding="utf-8") as f:
        bom = json.load(f)
    comps = {c["name"]: c for c in bom["components"]}
    for name in pkgtool.all_packages():
        pkg = pkgtool.Package(name)
        c = comps[name]
        props = [(p["name"], p["value"]) for p in c["properties"]]
        assert ("openv:debian-source-version", pkg.conf["DEB_VERSION"]) in props
        assert [p for k, p in props if k == "openv:patch"] == pkg.patches
        assert c["licenses"] == [{"expression": pkg.conf["LICENSE"]}]
        files = {f["name"]: f["hashes"][0]["content"] for f in c["components"]}
        assert files == dict(pkg.files), name
    arts = {c["name"]: c["hashes"][0]["content"] for c in bom["components"] if c["type"] == "file"}
    with open(os.path.join(releases["first"], "SHA256SUMS"), encoding="utf-8") as f:
        sums = dict(reversed(line.split()) for line in f)
    for name in ("openv.img.xz", "openv.qcow2", "u-boot.bin", "ctrl.dtb", "openv-key.dtb"):
        assert arts[name] == sums[name], name
    uboot = [p["value"] for p in comps["u-boot"]["properties"] if p["name"] == "openv:in-artefact"]
    assert uboot == ["u-boot.bin"]
    assert bom["metadata"]["component"]["name"] == "openv"
    assert bom["metadata"]["component"]["version"] == version()
