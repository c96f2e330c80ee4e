"""The repository holds no third-party source and names no download host."""

import os
import re
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# A URL with a host, or a bare well-known archive host name. URLs to loopback and to QEMU's
# user-network addresses (10.0.2.x: the tests' own servers) name no download host.
HOST = re.compile(r"\b[a-z][a-z0-9+.-]*://(?!(?:127\.0\.0\.1|10\.0\.2\.\d+|localhost)[:/])"
                  r"[A-Za-z0-9.-]+|\b(deb|snapshot|ftp|security)\.debian\.org\b"
                  r"|\bgithub\.com\b|\bbusybox\.net\b|\bmatt\.ucc\.asn\.au\b|\bsavannah\.")


def tracked_files():
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [f for f in out.decode().split("\0") if f]


def test_no_download_host_is_named():
    offenders = []
    for rel in tracked_files():
        path = os.path.join(REPO, rel)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        for n, line in enumerate(text.splitlines(), 1):
            if HOST.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()[:100]}")
    assert not offenders, "download hosts named in the repo:\n" + "\n".join(offenders)


def test_no_third_party_source_or_archives():
    archives = [f for f in tracked_files()
                if re.search(r"\.(tar(\.(gz|bz2|xz|zst))?|tgz|zip|deb|dsc|orig\..*)$", f)]
    assert not archives, f"archives committed: {archives}"
    # Third-party trees would bring their own licence files and build systems.
    foreign = [f for f in tracked_files()
               if os.path.basename(f) in ("configure", "Kbuild", "COPYING.LIB", "libbb.h", "lwipopts_default.h")]
    assert not foreign, f"third-party files committed: {foreign}"
