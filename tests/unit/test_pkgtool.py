"""Unit tests of packages/pkgtool.py: configuration, apt source derivation, sha256 verification,
unpacking with patches, build keys. Offline: every package here is a fake one made in tmp_path."""

import hashlib
import io
import os
import sys
import tarfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "packages"))
import pkgtool  # noqa: E402


def sha(data):
    return hashlib.sha256(data).hexdigest()


def make_tar(path, files, top="pkg-1.0"):
    """A .tar.gz holding files {relpath: bytes} under a top directory."""
    with tarfile.open(path, "w:gz") as tar:
        for rel, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{top}/{rel}" if top else rel)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))


PATCH = b"""--- a/hello.txt
+++ b/hello.txt
@@ -1 +1 @@
-hello
+hello, patched
"""


@pytest.fixture
def fake_pkg(tmp_path, monkeypatch):
    """A package 'demo' with an orig tarball, a Debian tarball holding one patch, in a cache."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    make_tar(downloads / "demo_1.0.orig.tar.gz", {"hello.txt": b"hello\n", "src/a.c": b"int a;\n"})
    make_tar(downloads / "demo_1.0-1.debian.tar.gz",
             {"debian/patches/fix.patch": PATCH, "debian/patches/series": b"fix.patch\n"}, top="")
    orig = (downloads / "demo_1.0.orig.tar.gz").read_bytes()
    deb = (downloads / "demo_1.0-1.debian.tar.gz").read_bytes()
    pkg_dir = tmp_path / "packages" / "demo"
    pkg_dir.mkdir(parents=True)
    (pkg_dir / "package.conf").write_text(
        "# demo\nDEB_SOURCE=demo\nDEB_VERSION=1.0-1\nLICENSE=MIT\n"
        f'FILES="demo_1.0.orig.tar.gz {sha(orig)} \\\n'
        f'       demo_1.0-1.debian.tar.gz {sha(deb)}"\n'
        'PATCHES="fix.patch"\n')
    (pkg_dir / "build.sh").write_text("mkdir -p \"$OUT\"; cp hello.txt \"$OUT/\"\n")
    monkeypatch.setenv("OPENV_DOWNLOADS", str(downloads))
    monkeypatch.setenv("OPENV_PKG_CACHE", str(tmp_path / "pkgcache"))
    return pkgtool.Package("demo", str(pkg_dir)), downloads


def test_parse_conf_handles_quotes_comments_and_continuations():
    conf = pkgtool.parse_conf('# c\nA=1\nB="two words"\nC="x \\\n   y"\n\n')
    assert conf == {"A": "1", "B": "two words", "C": "x y"}


def test_parse_conf_rejects_garbage():
    with pytest.raises(pkgtool.PkgError, match="expected KEY=VALUE"):
        pkgtool.parse_conf("this is not a setting\n")


def test_files_rejects_bad_hash_and_paths(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "package.conf").write_text('DEB_SOURCE=p\nDEB_VERSION=1\nLICENSE=MIT\nFILES="a.tar.gz 1234"\n')
    with pytest.raises(pkgtool.PkgError, match="bad sha256"):
        _ = pkgtool.Package("p", str(d)).files
    (d / "package.conf").write_text(f'DEB_SOURCE=p\nDEB_VERSION=1\nLICENSE=MIT\nFILES="../a.tar.gz {"0" * 64}"\n')
    with pytest.raises(pkgtool.PkgError, match="bad file name"):
        _ = pkgtool.Package("p", str(d)).files


def test_license_is_required(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "package.conf").write_text(f'DEB_SOURCE=p\nDEB_VERSION=1\nFILES="a.tar.gz {"0" * 64}"\n')
    with pytest.raises(pkgtool.PkgError, match="LICENSE is required"):
        pkgtool.Package("p", str(d))


def test_every_package_names_its_license():
    for name in pkgtool.all_packages():
        license_ = pkgtool.Package(name).conf["LICENSE"]
        assert license_.replace("(", " ").replace(")", " ").split(), name


def test_verified_cache_needs_no_network(fake_pkg, monkeypatch):
    pkg, _ = fake_pkg
    monkeypatch.setattr(pkgtool, "apt_prepare", lambda: pytest.fail("went to the network"))
    pkgtool.fetch(pkg)       # everything cached and correct: nothing to do


def test_corrupt_cached_tarball_is_refused(fake_pkg, tmp_path):
    pkg, downloads = fake_pkg
    tarball = downloads / "demo_1.0.orig.tar.gz"
    data = bytearray(tarball.read_bytes())
    data[len(data) // 2] ^= 0xff
    tarball.write_bytes(bytes(data))
    with pytest.raises(pkgtool.PkgError, match="sha256 mismatch"):
        pkgtool.fetch(pkg)
    dest = tmp_path / "unpacked"
    with pytest.raises(pkgtool.PkgError, match="sha256 mismatch"):
        pkgtool.unpack(pkg, str(dest))
    assert not dest.exists(), "a refused tarball must never be unpacked"


def test_missing_file_triggers_fetch(fake_pkg, monkeypatch):
    pkg, downloads = fake_pkg
    (downloads / "demo_1.0-1.debian.tar.gz").unlink()
    called = []
    monkeypatch.setattr(pkgtool, "apt_prepare", lambda: called.append("apt"))
    monkeypatch.setattr(pkgtool.subprocess, "run",
                        lambda *a, **k: type("R", (), {"returncode": 1, "stdout": "E: gone"})())
    with pytest.raises(pkgtool.PkgError, match="apt-get source demo=1.0-1 failed"):
        pkgtool.fetch(pkg, _apt_ready=[False])
    assert called == ["apt"]


def test_unpack_applies_selected_patches(fake_pkg, tmp_path):
    pkg, _ = fake_pkg
    dest = tmp_path / "src"
    pkgtool.unpack(pkg, str(dest))
    assert (dest / "hello.txt").read_text() == "hello, patched\n"
    assert (dest / "src" / "a.c").exists()


def test_unpack_refuses_path_traversal(tmp_path, monkeypatch):
    evil = tmp_path / "evil.tar.gz"
    make_tar(evil, {"../../escape": b"x"})
    with pytest.raises(pkgtool.PkgError, match="unsafe path"):
        pkgtool.extract(str(evil), str(tmp_path / "out"), strip=1)
    assert not (tmp_path / "escape").exists()


def test_build_key_covers_recipe_and_config(fake_pkg):
    pkg, _ = fake_pkg
    k1 = pkgtool.build_key(pkg, tools="t1")
    assert k1 == pkgtool.build_key(pkg, tools="t1"), "the key must be stable"
    assert k1 != pkgtool.build_key(pkg, tools="t2"), "toolchain version must change the key"
    assert k1 != pkgtool.build_key(pkg, ["musl-abc"], tools="t1"), "dependencies change the key"
    with open(os.path.join(pkg.dir, "build.sh"), "a") as f:
        f.write("# changed\n")
    assert k1 != pkgtool.build_key(pkg, tools="t1"), "the recipe must change the key"


def test_deb_src_entries_derived_from_system(tmp_path):
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list").write_text(
        "deb [arch=amd64 signed-by=/k.gpg] file:/srv/mirror/debian bookworm main contrib\n"
        "# deb file:/srv/commented bookworm main\n"
        "deb file:/srv/thirdparty stable main\n")
    (etc / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: file:/srv/mirror/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: file:/srv/off\nSuites: bookworm\nComponents: main\n"
        "Enabled: no\n")
    (etc / "sources.list.d" / "x.sources.disabled").write_text("Types: deb\nURIs: file:/srv/x\n")
    got = pkgtool.source_entries_from_system(str(etc), codename="bookworm")
    assert got == [
        "deb-src [arch=amd64 signed-by=/k.gpg] file:/srv/mirror/debian bookworm main contrib",
        "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "file:/srv/mirror/debian bookworm main",
        "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "file:/srv/mirror/debian bookworm-updates main",
    ]


def test_cached_build_is_reused(fake_pkg, tmp_path, monkeypatch):
    pkg, _ = fake_pkg
    monkeypatch.setattr(pkgtool, "PACKAGES_DIR", os.path.dirname(pkg.dir))
    monkeypatch.setattr(pkgtool, "host_tool_versions", lambda: "fixed")
    out1 = pkgtool.build("demo", str(tmp_path / "work"))
    assert open(os.path.join(out1, "hello.txt")).read() == "hello, patched\n"
    stamp = os.path.join(out1, ".openv-complete")
    before = os.stat(stamp).st_mtime_ns
    monkeypatch.setattr(pkgtool, "unpack", lambda *a: pytest.fail("rebuilt a cached package"))
    assert pkgtool.build("demo", str(tmp_path / "work")) == out1
    assert os.stat(stamp).st_mtime_ns == before


def test_repo_pins_every_package():
    for name in ("musl", "busybox", "dropbear", "lwip", "u-boot", "libyaml", "opendoas"):
        pkg = pkgtool.Package(name)
        assert pkg.file_named("orig"), f"{name}: no orig tarball pinned"
        assert len(pkg.files) >= 2
