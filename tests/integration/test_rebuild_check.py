"""`make rebuild-check` against a release made by this run's normal build (docs/release.md).

`make release` here (the image from this tree's build and its warm package cache), then
`make rebuild-check` clones the release's commit into another directory and rebuilds it from
source with an empty package cache under all nine variations (JOBS=1 against the release's
2 among them; as root, as the throw-away user openv-rebuilder); every artefact must match the
release's SHA256SUMS. A full rebuild takes about 8 minutes at JOBS=1 on this 2-core host
(docs/release.md), so this runs alone (SERIAL_TESTS in the Makefile), once (not again at
-smp 4), and is skipped with OPENV_SKIP_REBUILD_CHECK=1 for local runs; .ci/run runs it.

pytest's tmp_path is under /tmp/pytest-of-root (mode 0700) when root runs this: the other user
cannot reach it, so the check puts that user's files under /var/tmp (WORK/user-tree), and this
test sees that they and the user are gone afterwards.
"""

import json
import os
import pwd
import shutil
import subprocess

import pytest

from guest import BUILD, REPO

pytestmark = [pytest.mark.slow, pytest.mark.same_at_any_smp]
CI_VARIATIONS = "all"
REBUILD_USER = "openv-rebuilder"      # tools/rebuild_check.py's


def test_rebuild_from_source_matches_the_release(tmp_path):
    if os.environ.get("OPENV_SKIP_REBUILD_CHECK") == "1":
        pytest.skip("OPENV_SKIP_REBUILD_CHECK=1 (a full rebuild from source: about 8 minutes)")
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    if dirty:
        pytest.skip("the tree has uncommitted changes: a rebuild of its commit cannot match "
                    "(commit, or OPENV_SKIP_REBUILD_CHECK=1)")
    build = os.path.relpath(BUILD, REPO)
    r = subprocess.run(["make", "--no-print-directory", "release", f"BUILD={build}", "DEV_SSH_KEY="],
                       cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout[-3000:]
    with open(os.path.join(REPO, "release", "VERSION"), encoding="utf-8") as f:
        release = os.path.join(BUILD, "release", f"openv-{f.read().strip()}-riscv64")
    work = tmp_path / "rebuild"
    try:
        pwd.getpwnam(REBUILD_USER)
        user_before = True
    except KeyError:
        user_before = False
    as_other_user = os.geteuid() == 0 and bool(shutil.which("useradd") or
                                               shutil.which("useradd", path="/usr/sbin:/sbin"))
    r = subprocess.run(["make", "--no-print-directory", "rebuild-check", f"BUILD={build}",
                        f"RELEASE={release}", f"REBUILD_DIR={work}", f"REBUILD_VARY={CI_VARIATIONS}"],
                       cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout)
    assert r.returncode == 0, r.stdout[-5000:]
    assert "PASS: all" in r.stdout
    with open(work / "rebuild-check.json", encoding="utf-8") as f:
        summary = json.load(f)
    assert summary["match"] and len(summary["active_variations"]) >= 4, summary
    assert "jobs" in summary["active_variations"], summary
    assert set(summary["artefacts"]) >= {"openv.img.xz", "openv.qcow2", "u-boot.bin", "ctrl.dtb",
                                         "sbom.cdx.json"}, summary
    if as_other_user:
        # Root here: the rebuild ran as the throw-away user, which is gone again (unless it was
        # there before), and so are its files outside WORK; nothing is left owned by it.
        assert "user" in summary["active_variations"], summary["skipped_variations"]
        assert summary["built_as"]["user"] == REBUILD_USER, summary
        if not user_before:
            with pytest.raises(KeyError):
                pwd.getpwnam(REBUILD_USER)
        assert not os.path.lexists(work / "user-tree")
        left = subprocess.run(["find", str(work), "-uid", str(summary["built_as"]["uid"])],
                              stdout=subprocess.PIPE, text=True).stdout.split()
        assert not left, left[:10]
