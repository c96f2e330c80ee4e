"""syscalls.def is the one list of system calls, and the build holds the handlers to it.

A handler defined with SYSCALL_DEFINEn for a name that syscalls.def does not mark implemented
(misspelled, or listed SYSCALL_NI) must not compile; an implemented entry whose handler nobody
defines must not link; docs/syscalls.md and the README's count must match the list.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))
gen = __import__("gen-syscalls-doc")

CROSS = "riscv64-linux-gnu-"
KFLAGS = ["-std=c11", "-O2", "-ffreestanding", "-fno-builtin", "-nostdlib", "-fno-pie",
          "-mcmodel=medany", "-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-Wall", "-Wextra",
          "-Werror", "-Wmissing-prototypes", "-Wredundant-decls",
          "-I" + os.path.join(REPO, "kernel", "include"),
          "-I" + os.path.join(REPO, "kernel", "arch", "riscv", "include")]


def need_cross():
    if not shutil.which(CROSS + "gcc"):
        pytest.skip("no riscv64 cross compiler (make deps installs it)")


def compile_c(tmp_path, source, name="t.c"):
    src = tmp_path / name
    src.write_text(source)
    obj = tmp_path / (name + ".o")
    r = subprocess.run([CROSS + "gcc", *KFLAGS, "-c", str(src), "-o", str(obj)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r, obj


def test_docs_and_readme_follow_the_table():
    r = subprocess.run([sys.executable, os.path.join(REPO, "tools", "gen-syscalls-doc.py"),
                        "--check"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout


def test_table_is_well_formed():
    table = gen.read_table()
    numbers = [nr for nr, _, _ in table]
    assert numbers == sorted(numbers), "syscalls.def is in number order"
    names = [name for _, name, _ in table]
    assert len(names) == len(set(names)), "each name listed once"
    assert any(i for _, _, i in table) and any(not i for _, _, i in table)


def test_listed_handler_compiles(tmp_path):
    need_cross()
    r, _ = compile_c(tmp_path, '#include "syscall.h"\n'
                     'SYSCALL_DEFINE3(openat, int, dfd, uaddr_t, name, unsigned, flags)\n'
                     '{ return dfd + (long)name + flags; }\n')
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("name", ["opnat", "io_setup"])
def test_unlisted_or_unimplemented_handler_does_not_compile(tmp_path, name):
    """A typo, and a handler for a call listed SYSCALL_NI: both are build errors."""
    need_cross()
    r, _ = compile_c(tmp_path, '#include "syscall.h"\n'
                     f'SYSCALL_DEFINE1({name}, int, fd) {{ return fd; }}\n')
    assert r.returncode != 0
    assert f"__NR_{name}" in r.stdout, r.stdout


def test_argument_wider_than_a_register_does_not_compile(tmp_path):
    need_cross()
    r, _ = compile_c(tmp_path, '#include "syscall.h"\n'
                     'struct big { long a, b; };\n'
                     'SYSCALL_DEFINE1(close, struct big *, p) { return p->a; }\n'
                     'SYSCALL_DEFINE1(dup, __int128, x) { return (long)x; }\n')
    assert r.returncode != 0
    assert "fits in a register" in r.stdout, r.stdout


def link_dispatcher(tmp_path, leave_out):
    """Link kernel/kernel/syscall.c with a stub for every symbol it needs but `leave_out`."""
    src = os.path.join(REPO, "kernel", "kernel", "syscall.c")
    obj = tmp_path / "syscall.o"
    r = subprocess.run([CROSS + "gcc", *KFLAGS, "-c", src, "-o", str(obj)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    nm = subprocess.run([CROSS + "nm", str(obj)], stdout=subprocess.PIPE, text=True,
                        check=True).stdout
    undefined = {line.split()[-1]: line.split()[-2] for line in nm.splitlines()
                 if line.split()[-2] in ("U", "w", "v")}
    stubs = "".join(f"void {sym}(void);\nvoid {sym}(void) {{}}\n"
                    for sym in sorted(undefined) if sym != leave_out)
    r, stub_obj = compile_c(tmp_path, stubs, "stubs.c")
    assert r.returncode == 0, r.stdout
    r = subprocess.run([CROSS + "gcc", "-nostdlib", "-static", "-no-pie", "-Wl,-e,0",
                        str(obj), str(stub_obj), "-o", str(tmp_path / "linked")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return undefined, r


def test_every_implemented_call_is_a_strong_reference(tmp_path):
    need_cross()
    undefined, r = link_dispatcher(tmp_path, leave_out=None)
    assert r.returncode == 0, r.stdout
    implemented = {f"sys_{name}" for _, name, i in gen.read_table() if i}
    referenced = {sym for sym in undefined if sym.startswith("sys_")}
    assert referenced == implemented
    weak = sorted(sym for sym in referenced if undefined[sym] != "U")
    assert not weak, f"weak references would link as NULL: {weak}"


def test_missing_handler_does_not_link(tmp_path):
    need_cross()
    _, r = link_dispatcher(tmp_path, leave_out="sys_openat")
    assert r.returncode != 0
    assert re.search(r"undefined reference to .sys_openat", r.stdout), r.stdout
