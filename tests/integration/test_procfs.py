"""procfs, as BusyBox's process and system tools use it: ps, top, free, uptime, df, mount,
pidof, pgrep, kill, tty, and the files behind them (/proc/<pid>/..., /proc/{stat,meminfo,...}).

Run against the Linux reference kernel with OPENV_TEST_KERNEL=linux to check the tests
themselves: they encode Linux's behaviour (the few openv-only checks say so)."""

import os
import re

import pytest

from guest import BUILD, Guest, smp_count

pytestmark = pytest.mark.qemu
SMP = smp_count()


def is_openv():
    return os.environ.get("OPENV_TEST_KERNEL", "") in ("", os.path.join(BUILD, "kernel", "Image"))


@pytest.fixture(scope="module")
def guest():
    with Guest.boot(smp=SMP) as g:
        yield g


@pytest.fixture
def sleeper(guest):
    """A background `sleep` with a recognisable argument; yields its pid."""
    pid = int(guest.check("sleep 3737 & echo $!"))
    yield pid
    guest.run(f"kill {pid} 2>/dev/null; wait {pid} 2>/dev/null")


def shell_pid(guest):
    return int(guest.check("echo $$"))


def proc_stat_fields(text):
    """Fields of /proc/<pid>/stat; the name (in parentheses) may contain spaces."""
    m = re.fullmatch(r"(\d+) \((.*)\) (.*)", text.strip())
    assert m, text
    return [m.group(1), m.group(2)] + m.group(3).split()


# ---- the process tools ----

def test_ps_lists_the_shell_and_other_processes_with_their_commands(guest, sleeper):
    out = guest.check("ps")
    lines = out.splitlines()
    assert re.match(r"\s*PID\s+USER\s+TIME\s+COMMAND", lines[0]), out
    rows = {int(l.split()[0]): l for l in lines[1:]}
    me = shell_pid(guest)
    assert me in rows and rows[me].split()[1] == "root" and "sh" in rows[me], out
    assert sleeper in rows and rows[sleeper].endswith("sleep 3737"), out
    assert any(l.endswith(" ps") for l in lines[1:]), out
    assert 1 in rows, out


def test_pidof_pgrep_and_kill_find_processes_by_name(guest, sleeper):
    assert str(sleeper) in guest.check("pidof sleep").split()
    assert str(sleeper) in guest.check("pgrep -f 'sleep 3737'").split()
    assert str(shell_pid(guest)) in guest.check("pidof sh").split()
    guest.check(f"kill {sleeper}")
    # 143: killed by SIGTERM; 127: the shell had already reaped it (and said "Terminated").
    out, _ = guest.run(f"wait {sleeper}; echo status=$?")
    assert "status=143" in out or "status=127" in out, out
    out, rc = guest.run("pgrep -f 'sleep 3737'")
    assert rc == 1 and out == ""


def test_top_prints_a_batch_snapshot(guest, sleeper):
    out = guest.check("top -bn1")
    assert re.search(r"^Mem: \d+K used, \d+K free", out, re.M), out
    assert re.search(r"^CPU:.*idle", out, re.M), out
    assert re.search(r"^Load average: [\d.]+ [\d.]+ [\d.]+ \d+/\d+ \d+", out, re.M), out
    assert re.search(r"PID\s+PPID\s+USER\s+STAT\s+VSZ", out), out
    assert re.search(rf"^\s*{sleeper}\s+{shell_pid(guest)}\s+root\s+S\s+\d+.*sleep 3737", out, re.M), out


def test_free_shows_the_memory(guest):
    out = guest.check("free")
    mem = next(l for l in out.splitlines() if l.startswith("Mem:")).split()
    total, used, free = int(mem[1]), int(mem[2]), int(mem[3])
    assert total > 100 * 1024 and 0 < used < total and 0 < free < total, out


def test_uptime_shows_time_and_load(guest):
    out = guest.check("uptime")
    assert re.search(r"up .*load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d", out), out


def test_df_shows_tmpfs_sizes(guest):
    out = guest.check("df /tmp")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["Filesystem", "1K-blocks"], out
    fields = lines[1].split()
    assert fields[0] == "tmpfs" and fields[-1] == "/tmp" and int(fields[1]) > 0, out


def test_mount_and_proc_mounts_list_the_mounts(guest):
    mounts = [l.split() for l in guest.check("cat /proc/mounts").splitlines()]
    assert any(m[1] == "/" for m in mounts), mounts
    assert ["proc", "/proc", "proc"] in [m[:3] for m in mounts], mounts
    assert ["tmpfs", "/tmp", "tmpfs"] in [m[:3] for m in mounts], mounts
    assert all(len(m) == 6 and m[4:] == ["0", "0"] for m in mounts), mounts
    assert guest.check("cat /proc/self/mounts") == guest.check("cat /proc/mounts")
    assert "proc on /proc type proc" in guest.check("mount")


def test_tty_names_the_terminal_via_proc_self_fd(guest):
    name = guest.check("tty")
    assert name in ("/dev/console", "/dev/ttyS0"), name
    assert guest.check("readlink /proc/self/fd/0") == name


# ---- /proc/<pid> ----

def test_self_is_the_caller(guest):
    out = guest.check("readlink /proc/self; echo $$")
    link, me = out.splitlines()
    assert int(link) != int(me)          # readlink's own pid, a child of the shell
    status = guest.check("cat /proc/self/status")
    fields = dict(l.split(":", 1) for l in status.splitlines())
    assert fields["Name"].strip() == "cat"
    assert fields["State"].strip() == "R (running)"
    assert fields["PPid"].strip() == me
    assert fields["Tgid"].strip() == fields["Pid"].strip()
    assert fields["Uid"].split() == ["0", "0", "0", "0"]
    assert fields["Gid"].split() == ["0", "0", "0", "0"]
    assert fields["Threads"].strip() == "1"
    assert int(fields["VmRSS"].split()[0]) > 0 and int(fields["VmSize"].split()[0]) > 0


def test_stat_line_has_real_values(guest, sleeper):
    me = shell_pid(guest)
    f = proc_stat_fields(guest.check(f"cat /proc/{sleeper}/stat"))
    assert int(f[0]) == sleeper and f[1] == "sleep" and f[2] == "S"
    assert int(f[3]) == me                       # ppid
    assert int(f[4]) > 0                         # pgrp
    assert int(f[5]) == int(proc_stat_fields(guest.check(f"cat /proc/{me}/stat"))[5])  # session
    assert f[6] == proc_stat_fields(guest.check(f"cat /proc/{me}/stat"))[6]   # tty_nr
    assert int(f[19]) == 1                       # num_threads
    assert int(f[22]) > 0 and int(f[23]) > 0     # vsize (bytes), rss (pages)
    btime = int(re.search(r"^btime (\d+)", guest.check("cat /proc/stat"), re.M).group(1))
    uptime = float(guest.check("cat /proc/uptime").split()[0])
    start = int(f[21]) / 100                     # starttime, clock ticks since boot
    assert 0 <= start <= uptime + 1 and btime > 0
    # The shell's stat agrees with its status.
    f = proc_stat_fields(guest.check(f"cat /proc/{me}/stat"))
    status = guest.check(f"cat /proc/{me}/status")
    assert re.search(rf"^PPid:\s+{f[3]}$", status, re.M)


def test_statm_and_maps(guest):
    size, resident = map(int, guest.check("cat /proc/self/statm").split()[:2])
    assert size > 0 and 0 < resident <= size
    maps = guest.check("cat /proc/self/maps").splitlines()
    line = re.compile(r"^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ \d+\s*(.*)$")
    assert all(line.match(l) for l in maps), maps
    names = [line.match(l).group(1) for l in maps]
    assert "/bin/busybox" in names and "[stack]" in names, maps
    # pmap reads /proc/<pid>/smaps.
    out = guest.check("pmap -x $$")
    assert "/bin/busybox" in out and re.search(r"^total\s+\d+\s+\d+", out, re.M), out
    smaps = guest.check("cat /proc/self/smaps")
    assert re.search(r"^Rss:\s+\d+ kB$", smaps, re.M) and "VmFlags:" in smaps, smaps


def test_cmdline_comm_and_environ(guest, sleeper):
    assert guest.check(f"tr '\\0' ' ' < /proc/{sleeper}/cmdline").strip() == "sleep 3737"
    assert guest.check(f"cat /proc/{sleeper}/comm") == "sleep"
    env = guest.check("FOO=bar123 cat /proc/self/environ | tr '\\0' '\\n'").splitlines()
    assert "FOO=bar123" in env


def test_exe_cwd_root_links(guest):
    assert guest.check("readlink /proc/self/exe") == "/bin/busybox"
    assert guest.check("cd /tmp && readlink /proc/self/cwd") == "/tmp"
    assert guest.check("readlink /proc/self/root") == "/"
    # Following them reaches the files themselves.
    assert guest.check("cd /tmp && touch cwd-probe && ls /proc/self/cwd/ | cat").count("cwd-probe") == 1
    assert guest.check("cat /proc/self/exe | cmp - /bin/busybox && echo same") == "same"


def test_fd_directory_lists_open_files(guest):
    out = guest.check("ls -l /proc/self/fd/ 5</proc/version 6>/tmp/fdtest 7</dev/null | cat")
    assert re.search(r"\b5 -> /proc/version$", out, re.M), out
    assert re.search(r"\b6 -> /tmp/fdtest$", out, re.M), out
    assert re.search(r"\b7 -> /dev/null$", out, re.M), out
    assert re.search(r"^l-wx------ .* 6 -> ", out, re.M), out
    assert re.search(r"^lr-x------ .* 5 -> ", out, re.M), out
    assert re.fullmatch(r"pipe:\[\d+\]", guest.check("echo | readlink /proc/self/fd/0"))
    assert re.search(r"^flags:\s+0?1\d*$", guest.check("cat /proc/self/fdinfo/6 6>/tmp/fdtest"), re.M)


def test_stdin_of_a_pipe_reopens_through_proc(guest):
    assert guest.check("echo piped | cat /proc/self/fd/0") == "piped"
    # openv's /dev has the usual links to /proc/self/fd (Linux's devtmpfs leaves them to mdev).
    out = guest.check("test -L /dev/stdin && echo piped2 | cat /dev/stdin || echo no-link")
    assert out in ("piped2", "no-link"), out


def test_task_and_thread_self(guest):
    out = guest.check("ls /proc/self/task | cat")
    assert re.fullmatch(r"\d+", out), out
    out = guest.check("readlink /proc/thread-self")
    assert re.fullmatch(r"(\d+)/task/\1", out), out
    assert guest.check("cat /proc/thread-self/comm") == "cat"


def test_listing_proc_shows_processes_and_files(guest, sleeper):
    names = guest.check("ls /proc | cat").split()
    for n in ("self", "stat", "meminfo", "cpuinfo", "uptime", "loadavg", "mounts", "version",
              "cmdline", "filesystems", "interrupts", "sys", "1", str(sleeper)):
        assert n in names, names


def test_permissions_and_owners_follow_linux(guest):
    out = guest.check("stat -c '%a %U %n' /proc/self/fd /proc/self/stat /proc/self/environ /proc/1 /proc/meminfo /proc")
    assert out.splitlines() == ["500 root /proc/self/fd", "444 root /proc/self/stat",
                                "400 root /proc/self/environ", "555 root /proc/1",
                                "444 root /proc/meminfo", "555 root /proc"], out
    # Another user may read a process's status but not its fds or environment.
    out, rc = guest.run("su -s /bin/sh nobody -c 'cat /proc/1/status >/dev/null && echo status-ok; "
                        "ls /proc/1/fd; cat /proc/1/environ' 2>&1")
    assert "status-ok" in out and "Permission denied" in out, out
    out = guest.check("su -s /bin/sh nobody -c 'stat -c \"%U %a\" /proc/self/fd'")
    assert out == "nobody 500", out


def test_zombie_shows_state_z(guest):
    # A child that exits after its parent exec'd into a program that never waits: a zombie.
    # (The child outlives the exec by a second so the shell cannot reap it before.)
    guest.check("rm -f /tmp/zpid; sh -c 'sleep 1 & echo $! > /tmp/zpid; exec sleep 30' & true")
    zpid = int(guest.check("until [ -s /tmp/zpid ]; do sleep 0.1; done; cat /tmp/zpid"))
    out = guest.check(f"for i in $(seq 200); do s=$(cut -d' ' -f3 /proc/{zpid}/stat); "
                      f"[ \"$s\" = Z ] && break; sleep 0.1; done; cat /proc/{zpid}/stat; "
                      f"cat /proc/{zpid}/cmdline | wc -c")
    f = proc_stat_fields(out.splitlines()[0])
    assert f[1] == "sleep" and f[2] == "Z", out
    assert out.splitlines()[1].strip() == "0", out     # a zombie has no memory left
    guest.run("kill %1 2>/dev/null; wait 2>/dev/null")


def test_gone_process_disappears(guest):
    pid = int(guest.check("sleep 100 & echo $!"))
    guest.check(f"ls /proc/{pid}/stat")
    guest.check(f"kill {pid}; wait {pid}; true")
    out, rc = guest.run(f"cat /proc/{pid}/stat")
    assert rc != 0 and "No such file" in out, out


# ---- system-wide files ----

def test_meminfo(guest):
    info = {}
    for l in guest.check("cat /proc/meminfo").splitlines():
        k, v = l.split(":", 1)
        info[k] = v.split()
    for k in ("MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapTotal", "SwapFree"):
        assert k in info and info[k][1] == "kB", info
    assert int(info["MemTotal"][0]) > 100 * 1024
    assert 0 < int(info["MemFree"][0]) < int(info["MemTotal"][0])


def test_proc_stat(guest):
    out = guest.check("cat /proc/stat")
    cpu = re.search(r"^cpu  (.*)$", out, re.M).group(1).split()
    assert len(cpu) >= 8 and all(v.isdigit() for v in cpu) and int(cpu[3]) > 0, out   # idle
    assert re.search(r"^cpu0 ", out, re.M), out
    for key in ("intr", "ctxt", "btime", "processes", "procs_running", "procs_blocked"):
        assert re.search(rf"^{key} \d+", out, re.M), out
    assert int(re.search(r"^procs_running (\d+)", out, re.M).group(1)) >= 1


def test_uptime_loadavg_version_cmdline(guest):
    up, idle = map(float, guest.check("cat /proc/uptime").split())
    assert up > 0 and idle >= 0
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+", guest.check("cat /proc/loadavg"))
    version = guest.check("cat /proc/version")
    assert version.startswith("Linux version " + guest.check("uname -r") + " ")
    cmdline = guest.check("cat /proc/cmdline")
    assert "console=ttyS0" in cmdline and "rdinit=/init" in cmdline


def test_cpuinfo_riscv(guest):
    out = guest.check("cat /proc/cpuinfo")
    assert re.search(r"^processor\s+: 0$", out, re.M), out
    assert re.search(r"^hart\s+: \d+$", out, re.M), out
    assert re.search(r"^isa\s+: rv64ima", out, re.M), out
    assert re.search(r"^mmu\s+: sv\d+$", out, re.M), out
    assert out.count("processor") == SMP


def test_filesystems_and_interrupts(guest):
    fs = [l.split() for l in guest.check("cat /proc/filesystems").splitlines()]
    assert ["nodev", "proc"] in fs and ["nodev", "tmpfs"] in fs, fs
    out = guest.check("cat /proc/interrupts")
    assert re.match(r"\s+CPU0", out), out
    assert re.search(r"^\s*\d+:\s+\d+", out, re.M), out


def test_partitions_and_swaps(guest):
    assert guest.check("cat /proc/partitions").splitlines()[0].split() == ["major", "minor", "#blocks", "name"]
    assert guest.check("cat /proc/swaps").split() == ["Filename", "Type", "Size", "Used", "Priority"]


def test_proc_sys_kernel(guest):
    assert guest.check("cat /proc/sys/kernel/ostype") == "Linux"
    assert guest.check("cat /proc/sys/kernel/osrelease") == guest.check("uname -r")
    assert guest.check("cat /proc/sys/kernel/hostname") == guest.check("hostname")
    assert int(guest.check("cat /proc/sys/kernel/pid_max")) >= 32768


def test_proc_files_are_read_only(guest):
    out, rc = guest.run("echo x > /proc/meminfo")
    assert rc != 0, out


def test_sysrq_trigger_dumps_tasks_for_root_only(guest, sleeper):
    # openv-only format: kernel/kernel/sysrq.c. A sleeping task shows where it sleeps.
    if not is_openv():
        pytest.skip("openv's SysRq report format")
    out = guest.check("echo t > /proc/sysrq-trigger; sleep 1", timeout=60)
    dump = out[out.index("sysrq: show task states"):out.index("sysrq: end of task states")]
    line = next(ln for ln in dump.splitlines() if re.search(rf"\b{sleeper}\s+{sleeper} sleep\s+S ", ln))
    assert "do_nanosleep" in dump[dump.index(line):], dump
    out, rc = guest.run("su -s /bin/sh nobody -c 'echo t > /proc/sysrq-trigger' 2>&1")
    assert rc != 0 and "sysrq: show task states" not in out, out
