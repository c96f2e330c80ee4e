"""Boot a kernel in qemu-system-riscv64 and talk to it over the serial console (pexpect).

    with Guest.boot() as g:
        out, rc = g.run("echo hello")

The kernel is openv's (build/kernel/Image) unless OPENV_TEST_KERNEL names another Image file,
e.g. the Linux reference kernel, so that a test can be checked against Linux itself.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pexpect

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(REPO, os.environ.get("BUILD", "build"))
REFERENCE_XZ = os.path.join(REPO, "..", "shared", "reference", "linux-6.1.187-riscv64", "Image.xz")

PROMPT = "__OPENV_PROMPT__# "
RC = re.compile(r"__RC=(\d+)__")


def reference_linux_image():
    """The Linux reference kernel, unpacked once into build/ (None if the reference is absent)."""
    out = os.path.join(BUILD, "reference", "Image")
    if not os.path.exists(out):
        if not os.path.exists(REFERENCE_XZ):
            return None
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tmp = f"{out}.tmp{os.getpid()}"     # pytest workers may unpack it at once
        with open(tmp, "wb") as f:
            subprocess.run(["xz", "-dc", REFERENCE_XZ], stdout=f, check=True)
        os.replace(tmp, out)
    return out


def smp_count():
    """The harts every test QEMU gets: OPENV_TEST_SMP (1 by default; `make test-smp4` sets 4)."""
    return int(os.environ.get("OPENV_TEST_SMP", "1"))


def qemu_machine(mem="512M"):
    """The QEMU machine options every test boots with."""
    return ["-M", "virt", "-m", mem, "-smp", str(smp_count())]


def kernel_image():
    chosen = os.environ.get("OPENV_TEST_KERNEL", "")
    if chosen == "linux":
        return reference_linux_image()
    return chosen or os.path.join(BUILD, "kernel", "Image")


class GuestError(Exception):
    pass


class Guest:
    def __init__(self, child, log_path):
        self.child = child
        self.log_path = log_path
        self.first_prompt_at = None     # time.monotonic() when the shell first answered

    @classmethod
    def boot(cls, append="", smp=None, mem="512M", kernel=None, initrd=None, timeout=60,
             extra_args=()):
        """Boot the initramfs to its root shell, ready for run()."""
        g = cls.spawn(append, smp, mem, kernel, initrd, timeout, extra_args)
        g.wait_for_shell(timeout)
        return g

    @classmethod
    def spawn(cls, append="", smp=None, mem="512M", kernel=None, initrd=None, timeout=60,
              extra_args=(), rdinit="/init"):
        """Start QEMU with the initramfs and return at once (for tests of the boot itself).
        smp defaults to OPENV_TEST_SMP (1), so `make test-smp4` runs the same suites at 4."""
        if smp is None:
            smp = smp_count()
        kernel = kernel or kernel_image()
        initrd = initrd or os.path.join(BUILD, "initramfs.cpio")
        for f in (kernel, initrd):
            if not f or not os.path.exists(f):
                raise GuestError(f"missing {f}: run 'make kernel initramfs' first")
        argv = ["-M", "virt", "-m", mem, "-smp", str(smp), "-nographic", "-no-reboot",
                "-kernel", kernel, "-initrd", initrd,
                "-append", f"console=ttyS0 rdinit={rdinit} {append}".strip(), *extra_args]
        log_dir = os.path.join(BUILD, "test-logs")
        os.makedirs(log_dir, exist_ok=True)
        log = tempfile.NamedTemporaryFile(dir=log_dir, prefix="qemu-", suffix=".log", delete=False)
        child = pexpect.spawn("qemu-system-riscv64", argv, encoding="utf-8",
                              codec_errors="replace", timeout=timeout, echo=False)
        child.logfile_read = open(log.name, "w", encoding="utf-8")
        return cls(child, log.name)

    def wait_for_shell(self, timeout):
        # The initramfs /init ends in an interactive shell; give it a prompt we can match
        # without confusing it with output.
        self.expect_exact("openv: initramfs up", timeout)
        self.expect(r"[#$] $", timeout)
        self.first_prompt_at = time.monotonic()
        # Echo stays on: with `stty -echo` BusyBox ash reads its commands with fgets(), and a
        # SIGCHLD arriving at the prompt (a background job ending) makes that read fail with
        # EINTR, which ash takes for end of input and exits (Linux behaves the same). The
        # markers in run() are split with quotes, so the echoed command never matches them.
        self.child.sendline(f"PS1='{PROMPT}'")
        self.expect_exact(PROMPT, timeout)
        self.child.sendline("")
        self.expect_exact(PROMPT, timeout)

    def expect(self, pattern, timeout=30):
        try:
            return self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise GuestError(f"waiting for {pattern!r}: {type(e).__name__}; "
                             f"console log in {self.log_path}; last output:\n{self.tail()}") from None

    def expect_exact(self, text, timeout=30):
        try:
            return self.child.expect_exact(text, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise GuestError(f"waiting for {text!r}: {type(e).__name__}; "
                             f"console log in {self.log_path}; last output:\n{self.tail()}") from None

    def tail(self, n=2000):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def run(self, command, timeout=60):
        """Run a shell command in the guest; returns (output, exit status)."""
        # The markers are split with quotes so that an echoed command line never matches them.
        self.child.sendline(f"printf '%s\\n' '__ST''ART__'; {command}; printf '__RC=%s__\\n' $?")
        self.expect_exact("__START__", timeout)
        self.expect(RC, timeout)
        before, rc = self.child.before, int(self.child.match.group(1))
        self.expect_exact(PROMPT, timeout)
        return before.replace("\r", "").strip("\n"), rc

    def check(self, command, timeout=60):
        out, rc = self.run(command, timeout)
        if rc != 0:
            raise GuestError(f"`{command}` exited {rc}:\n{out}")
        return out

    def poweroff(self, timeout=30):
        self.child.sendline("poweroff -f")
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.wait()
        return self.child.exitstatus

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        if self.child.logfile_read:
            self.child.logfile_read.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def have_qemu():
    return shutil.which("qemu-system-riscv64") is not None
