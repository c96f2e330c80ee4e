"""Shared fixtures for integration tests: where the build lives, how to run guest binaries."""

import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(REPO, os.environ.get("BUILD", "build"))


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
