"""Shared fixtures for integration tests: where the build lives, how to run guest binaries."""

import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(REPO, os.environ.get("BUILD", "build"))


def pytest_collection_modifyitems(config, items):
    """The -smp 4 pass (OPENV_TEST_SMP=4) skips what it would only repeat."""
    if int(os.environ.get("OPENV_TEST_SMP", "1")) <= 1:
        return
    skip = pytest.mark.skip(reason="same at any -smp: runs in the -smp 1 pass")
    for item in items:
        if "same_at_any_smp" in item.keywords:
            item.add_marker(skip)


def build_path(*parts):
    return os.path.join(BUILD, *parts)


@pytest.fixture(scope="session")
def qemu_user():
    """Run a static riscv64 binary under qemu-user; returns CompletedProcess."""
    def run(argv, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("timeout", 60)
        return subprocess.run(["qemu-riscv64-static", *argv], **kw)
    return run
