"""`make rebuild-check` against a release made by this run's normal build (docs/release.md).

`make release` here (the image from this tree's build and its warm package cache), then
`make rebuild-check` clones the release's commit into another directory and rebuilds it from
source with an empty package cache under all eight variations (JOBS=1 against the release's
2 among them); every artefact must match the release's SHA256SUMS. A full rebuild took 458 s
at JOBS=1 (309 s of CPU) on this 2-core host (docs/release.md),
so this runs alone (SERIAL_TESTS in the Makefile), once (not again at -smp 4), and is skipped
with OPENV_SKIP_REBUILD_CHECK=1 for local runs; .ci/run runs it.
"""

import json
import os
import subprocess

import pytest

from guest import BUILD, REPO

pytestmark = [pytest.mark.slow, pytest.mark.same_at_any_smp]
CI_VARIATIONS = "all"


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
