#!/usr/bin/python3
"""make rebuild-check RELEASE=DIR: rebuild a release from source and compare it byte for byte.

Clones the release's commit (its buildinfo's Git-Commit) from this checkout into a fresh
directory and builds it there from source with an empty package cache (a fresh OPENV_CACHE;
the Debian source files may come from this machine's download cache or OPENV_REBUILD_DOWNLOADS,
and pkgtool checks every one against the sha256 pinned in packages/ before using it), under
conditions varied in the spirit of Debian's reprotest (VARIATIONS; as root, also as another,
unprivileged user, made for the run: RebuildUser). The release's keys and
signatures are taken from the release (tools/release.py --rebuild-of: a rebuilder has no
private key). Every artefact of the release's SHA256SUMS must match; on a mismatch diffoscope
(or a cmp/xxd listing without it) writes a report. docs/release.md explains it all.

Writes WORK/report.txt and WORK/rebuild-check.json (and a copy of the JSON to
BUILD/rebuild-check-last.json, which `make bench` reports). Exit 0 only if all artefacts match.
"""

import argparse
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIFFOSCOPE_TIMEOUT = 600          # seconds per differing artefact
# Artefacts made from another: when both differ, only the source gets a diff report (diffoscope
# takes minutes on a disk image; the qcow2 is the same disk).
DERIVED = {"openv.qcow2": "openv.img.xz", "openv.img.sha256": "openv.img.xz"}
START = time.monotonic()


def say(msg):
    print(f"rebuild-check [{int(time.monotonic() - START):5d}s] {msg}", flush=True)


def have(tool):
    """tool on PATH (or in /usr/sbin, /sbin: useradd is there and not on every user's PATH)."""
    return which(tool) is not None


def which(tool):
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")


# ---------------------------------------------------------------------------------------------
# Variations: (name, what it changes, probe). A probe returns None when the variation can be
# used here, else why not (then it is skipped, and the output says so). Each active variation
# changes the rebuild's environment, its command prefix, or its source path (setup below).

def probe_faketime():
    if not have("faketime"):
        return "faketime is not installed (Debian package faketime; make deps installs it)"
    r = subprocess.run(["faketime", "-f", "+3y", "date", "+%Y"], stdout=subprocess.PIPE, text=True)
    if r.returncode != 0 or int(r.stdout.strip() or 0) < time.gmtime().tm_year + 2:
        return "faketime does not move the clock here"
    return None


def probe_unshare_uts():
    r = subprocess.run(["unshare", "-u", "hostname", "openv-rebuilder"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode == 0:
        return None
    return f"unshare -u is not permitted for this user ({r.stderr.strip()[-120:]})"


def probe_disorderfs():
    if not have("disorderfs") or not have("fusermount"):
        return "disorderfs (Debian package disorderfs, FUSE) is not installed"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "no usable /dev/fuse (disorderfs needs FUSE)"
    return None


# The "user" variation: the rebuild runs as this unprivileged user, made for it with useradd
# (no home, no login shell) and removed afterwards, or reused if it is there already.
REBUILD_USER = "openv-rebuilder"


def probe_user():
    if os.geteuid() != 0:
        return (f"needs root to make a user and build as it (this is uid {os.geteuid()}); "
                f"as root the rebuild runs as a throw-away user {REBUILD_USER}")
    for tool, package in (("useradd", "passwd"), ("userdel", "passwd"), ("setpriv", "util-linux")):
        if not have(tool):
            return f"{tool} is not installed (Debian package {package})"
    return None


VARIATIONS = [
    ("build_path", "another build path (a fresh clone in a different, longer directory)", lambda: None),
    ("user", f"another user: {REBUILD_USER}, unprivileged, its own group only (setpriv); "
             "the clone, the package cache and HOME are its own", probe_user),
    ("home", "an empty HOME and an empty package cache (OPENV_CACHE)", lambda: None),
    ("umask", "umask 0002 (the release: 0022)", lambda: None),
    ("locale_tz", "TZ=Pacific/Kiritimati (UTC+14), LANG and LC_ALL another locale (the Makefile "
                  "pins LC_ALL=C TZ=UTC; the release: C/UTC)", lambda: None),
    ("jobs", "JOBS=1 (make's default: 2)", lambda: None),
    ("clock", "the clock 3 years ahead (faketime -f +3y)", probe_faketime),
    ("hostname", "another hostname (unshare -u)", probe_unshare_uts),
    ("dirorder", "directory entries in reverse order (disorderfs --reverse-dirents)", probe_disorderfs),
]


def other_locale():
    """fr_FR.UTF-8 where it is installed (package locales), else C.UTF-8: still not C."""
    r = subprocess.run(["locale", "-a"], stdout=subprocess.PIPE, text=True)
    names = r.stdout.split()
    return "fr_FR.UTF-8" if {"fr_FR.utf8", "fr_FR.UTF-8"} & set(names) else "C.UTF-8"


class RebuildUser:
    """The unprivileged user of the "user" variation: made with useradd if it is not there
    (and then removed with userdel at the end), reused if it is. The rebuild's files belong to
    it only while it builds: before, root chowns the clone, the cache and HOME to it; after,
    back to the caller."""

    def __init__(self, name):
        self.name = name
        self.created = False
        self.uid = self.gid = None

    def ensure(self):
        """None when the user is ready, else why not."""
        try:
            pw = pwd.getpwnam(self.name)
        except KeyError:
            r = subprocess.run([which("useradd"), "--system", "--user-group", "--no-create-home",
                                "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                                "--comment", "openv make rebuild-check (throw-away)", self.name],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                return f"useradd {self.name} failed: {r.stdout.strip()[-200:]}"
            self.created = True
            pw = pwd.getpwnam(self.name)
        if pw.pw_uid == 0:
            return f"{self.name} has uid 0"
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        return None

    def prefix(self):
        """The command prefix that drops to the user: real and effective uid and gid, its own
        groups only (initgroups), no capabilities left (setpriv drops them with uid 0)."""
        return [which("setpriv"), f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups",
                "--"]

    def can_reach(self, path):
        """Can the user cd into path (every directory above it searchable for it)?"""
        return subprocess.run([*self.prefix(), "sh", "-c", 'cd "$1"', "sh", path],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def own(self, *paths):
        chown(self.uid, self.gid, *paths)

    def remove(self):
        """userdel, if this run made the user; returns what happened."""
        if not self.created:
            return f"user {self.name} was there before: kept"
        r = subprocess.run([which("userdel"), self.name], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            return f"userdel {self.name} failed (remove it by hand): {r.stdout.strip()[-200:]}"
        self.created = False
        return f"user {self.name} removed (userdel)"


def chown(uid, gid, *paths):
    """chown -R, never following a symbolic link (a clone's links point anywhere)."""
    paths = [p for p in paths if os.path.lexists(p)]
    if paths:
        subprocess.run(["chown", "-R", "--no-dereference", f"{uid}:{gid}", *paths], check=True)


# When the user variation is active and the user cannot reach WORK (a checkout under /root, or
# pytest's /tmp/pytest-of-root, is mode 0700), its files go to a directory of their own under
# /var/tmp, named after WORK (so that the next run in WORK finds it and removes it), linked from
# WORK/user-tree. A passing run removes it; a failing one keeps it to look at.
USER_TREE_LINK = "user-tree"
USER_TREE_PREFIX = "openv-rebuild-check-"


def outside_tree_for(work):
    base = "/var/tmp" if os.path.isdir("/var/tmp") else tempfile.gettempdir()
    return os.path.join(base, USER_TREE_PREFIX + hashlib.sha256(work.encode()).hexdigest()[:12])


def remove_outside_tree(work):
    """Remove WORK/user-tree and the directory it points to (only one of ours)."""
    link = os.path.join(work, USER_TREE_LINK)
    if not os.path.islink(link):
        return
    target = os.path.realpath(link)
    if os.path.basename(target).startswith(USER_TREE_PREFIX) and os.path.isdir(target):
        unmount_src(target)
        shutil.rmtree(target)
    os.unlink(link)


def unmount_src(tree):
    """Unmount a disorderfs view of the clone left by an interrupted run (with or without
    the build_path variation)."""
    for mountpoint in (os.path.join(tree, "openv-rebuild-path", "src"), os.path.join(tree, "src")):
        if os.path.ismount(mountpoint):
            subprocess.run(["fusermount", "-u", "-q", mountpoint], stderr=subprocess.DEVNULL)


def caller():
    try:
        name = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        name = str(os.getuid())
    return {"user": name, "uid": os.getuid(), "gid": os.getgid()}


def command_prefix(active, user):
    """What the rebuild's commands run under, outermost first: what needs root (a UTS
    namespace and its hostname) before dropping to the user; the clock last, so that
    faketime's LD_PRELOAD reaches make alone (not unshare or setpriv)."""
    prefix = []
    if "hostname" in active:
        prefix += ["unshare", "-u", "sh", "-c", 'hostname openv-rebuilder && exec "$@"', "sh"]
    if user:
        prefix += user.prefix()
    if "clock" in active:
        prefix += ["faketime", "-f", "+3y"]
    return prefix


def read_buildinfo(release):
    info = {}
    with open(os.path.join(release, "buildinfo"), encoding="utf-8") as f:
        for line in f:
            if ":" in line and not line.startswith(" "):
                k, v = line.split(":", 1)
                info[k.strip()] = v.strip()
    return info


def read_sums(path):
    sums = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            digest, name = line.split(None, 1)
            sums[name.strip().lstrip("*")] = digest
    return sums


def run_logged(argv, log, cwd=None, env=None):
    """Run argv with its output appended to log; returns the exit code."""
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"\n$ {' '.join(argv)}\n")
        f.flush()
        return subprocess.run(argv, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT).returncode


def fail(msg, next_steps):
    say(f"FAILED: {msg}")
    for step in next_steps:
        print(f"  next: {step}")
    sys.exit(1)


def diff_report(name, ours, theirs, out_dir):
    """A diffoscope report of one differing artefact (or a cmp/xxd listing); returns its path."""
    report = os.path.join(out_dir, f"diff-{name}.txt")
    if have("diffoscope"):
        say(f"  diffoscope {name} (up to {DIFFOSCOPE_TIMEOUT} s) -> {report}")
        try:
            subprocess.run(["diffoscope", "--text", report, "--no-progress",
                            "--max-report-size", str(8 << 20), theirs, ours],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=DIFFOSCOPE_TIMEOUT)
            if os.path.exists(report):
                return report
        except subprocess.TimeoutExpired:
            say(f"  diffoscope {name} timed out; a cmp/xxd listing instead")
    else:
        say(f"  diffoscope is not installed (make deps); a cmp/xxd listing of {name}")
    with open(report, "w", encoding="utf-8") as f:
        r = subprocess.run(["cmp", "-l", theirs, ours], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        lines = r.stdout.splitlines()
        f.write(f"cmp -l {theirs} {ours}: {len(lines)} differing bytes (first 200)\n")
        f.write("\n".join(lines[:200]) + "\n")
        if lines and lines[0].split()[0].isdigit():
            first = int(lines[0].split()[0]) - 1
            start = max(0, first - 64) & ~15
            for label, path in (("release", theirs), ("rebuild", ours)):
                x = subprocess.run(["xxd", "-s", str(start), "-l", "256", path],
                                   stdout=subprocess.PIPE, text=True)
                f.write(f"\n{label}: {path} around byte {first}\n{x.stdout}")
    return report


def put_release_fit(src, release, work):
    """The release's signed FIT in place of the rebuilt one in src/build/openv.img, if they are
    the same tree but for the signature (this checker's tools/release.py decides; the clone's
    release.py --rebuild-of then finds its work done). Fails with a diff report otherwise."""
    sys.path.insert(0, os.path.join(REPO, "tools"))
    import release as release_tool
    image = os.path.join(src, "build", "openv.img")
    tmp = os.path.join(work, "fit")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        release_tool.copy_release_fit(image, release, os.path.join(release, "openv-key.dtb"),
                                      os.path.join(src, "build", "bootloader", "bin", "fit_check_sign"),
                                      image + ".release-fit", tmp)
    except SystemExit as e:
        report = diff_report("openv.itb", os.path.join(tmp, "rebuilt.itb"),
                             os.path.join(tmp, "released.itb"), work) \
            if os.path.exists(os.path.join(tmp, "rebuilt.itb")) else None
        fail(f"{e}", [f"read {report}" if report else "read the message above",
                      "the kernel or its command line (root hash) differs: compare "
                      "build/kernel/Image and the root filesystems"])
    os.replace(image + ".release-fit", image)
    say("the rebuilt FIT is the release's but for the signature: the release's signed FIT is in "
        "its place (fit_check_sign passes)")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", required=True, help="the release directory to check")
    ap.add_argument("--build", default="build", help="this checkout's build directory")
    ap.add_argument("--work", help="where the rebuild happens (default: BUILD/rebuild-check)")
    ap.add_argument("--vary", default="all",
                    help="comma-separated variations, or all (default), or none: "
                         + ", ".join(n for n, _, _ in VARIATIONS))
    ap.add_argument("--no-rebuild", action="store_true",
                    help="reuse WORK's last rebuild: only make the release's files and compare")
    ap.add_argument("--downloads", default=os.environ.get("OPENV_REBUILD_DOWNLOADS"),
                    help="a directory of Debian source files to use instead of downloading "
                         "(checked against the pinned sha256; default: this machine's cache; "
                         "'none': download everything)")
    args = ap.parse_args(argv)

    release = os.path.abspath(args.release or "")
    if not args.release or not os.path.isfile(os.path.join(release, "SHA256SUMS")):
        fail(f"RELEASE={args.release!r} is not a release directory (no SHA256SUMS)",
             ["make release, then make rebuild-check RELEASE=build/release/openv-VERSION-riscv64"])
    build = os.path.abspath(args.build)
    work = os.path.abspath(args.work or os.path.join(build, "rebuild-check"))
    info = read_buildinfo(release)
    commit = info.get("Git-Commit", "")
    sde = info.get("Source-Date-Epoch", "")
    say(f"release {release}: version {info.get('Version')}, commit {commit}, "
        f"SOURCE_DATE_EPOCH {sde}")
    if len(commit) != 40:
        fail(f"the release's buildinfo names no git commit ({commit!r})",
             ["a release made outside a git checkout cannot be rebuilt from its commit"])
    if info.get("Git-Tree", "clean") != "clean":
        say("WARNING: the release was built from a tree with uncommitted changes; its commit "
            "alone may not rebuild it")
    if not os.path.isfile(os.path.join(release, "openv-key.dtb")):
        fail("the release has no openv-key.dtb (made before the signed-boot files shipped)",
             ["rebuild-check needs a release with the signed-boot files"])

    wanted = [n for n, _, _ in VARIATIONS] if args.vary == "all" else \
        [] if args.vary == "none" else [v for v in args.vary.split(",") if v]
    unknown = set(wanted) - {n for n, _, _ in VARIATIONS}
    if unknown:
        fail(f"unknown variations {sorted(unknown)}", [f"choose from {[n for n, _, _ in VARIATIONS]}"])
    active, skipped = [], {}
    for name, what, probe in VARIATIONS:
        if name not in wanted:
            continue
        why = probe()
        if why:
            skipped[name] = why
            say(f"variation {name}: SKIPPED: {why}")
        else:
            active.append(name)
            say(f"variation {name}: {what}")

    # user: the unprivileged user the rebuild runs as (made now, removed in the end).
    user = None
    if "user" in active:
        user = RebuildUser(REBUILD_USER)
        why = user.ensure()
        if why:
            skipped["user"] = why
            active.remove("user")
            say(f"variation user: SKIPPED: {why}")
            user = None
        else:
            say(f"  as {user.name} (uid {user.uid}, gid {user.gid}; "
                f"{'made now with useradd' if user.created else 'there before: reused'})")
    try:
        return rebuild_and_compare(args, release, build, work, commit, sde, active, skipped, user)
    finally:
        if user:
            say(user.remove())


def rebuild_and_compare(args, release, build, work, commit, sde, active, skipped, user):
    # Where the rebuild's own files go (the clone, the cache, HOME, the rebuilt release): WORK,
    # or, when the user of the "user" variation cannot reach WORK, a directory of its own
    # (outside_tree_for). The logs and reports stay in WORK.
    if not args.no_rebuild:
        # A fresh work directory: the clone, an empty cache and HOME, the logs and the report.
        remove_outside_tree(work)
        if os.path.isdir(work):
            unmount_src(work)
            shutil.rmtree(work)
        os.makedirs(work)
    link = os.path.join(work, USER_TREE_LINK)
    if os.path.islink(link):
        tree = os.path.realpath(link)
    elif user and not user.can_reach(work):
        tree = outside_tree_for(work)
        shutil.rmtree(tree, ignore_errors=True)
        os.makedirs(tree)
        os.chmod(tree, 0o755)
        os.symlink(tree, link)
        say(f"{user.name} cannot reach {work} (a directory above it is closed to other users): "
            f"its files go to {tree} (linked from {link}; removed after a pass)")
    else:
        tree = work
    if user and not user.can_reach(tree):
        fail(f"{user.name} cannot reach {tree}", ["REBUILD_DIR=a directory other users can reach, "
                                                   "or REBUILD_VARY without user"])

    # build_path: a deeper directory than a usual checkout (a space in the path breaks
    # -ffile-prefix-map in kernel/kernel.mk: not varied).
    base = os.path.join(tree, "openv-rebuild-path") if "build_path" in active else tree
    real_src = os.path.join(base, "src.real" if "dirorder" in active else "src")
    src = os.path.join(base, "src")
    cache = os.path.join(tree, "cache")
    # HOME: an empty one for the home variation, and always for another user (root's is not its).
    home = os.path.join(tree, "home") if "home" in active or user else \
        os.environ.get("HOME", "/root")
    # The release as the rebuild reads it: the user may not reach RELEASE; a copy in its tree.
    release_in = os.path.join(tree, "release-in") if user else release
    out_dir = os.path.join(tree, "release")
    log = os.path.join(work, "build.log")
    mounted = False
    if args.no_rebuild:
        # The last rebuild's tree, whichever variations made it (never through disorderfs).
        found = [d for d in (os.path.join(tree, "openv-rebuild-path", "src.real"),
                             os.path.join(tree, "openv-rebuild-path", "src"),
                             os.path.join(tree, "src.real"), os.path.join(tree, "src"))
                 if os.path.isdir(os.path.join(d, "build"))]
        if not found:
            fail(f"--no-rebuild: no earlier rebuild in {tree}", ["run without --no-rebuild"])
        src = real_src = found[0]
        base = os.path.dirname(src)
        say(f"reusing the rebuild in {src}")
    else:
        for d in (base, cache, home):
            os.makedirs(d, exist_ok=True)

        # --no-hardlinks: a local clone hardlinks this checkout's object files, and the user
        # variation chowns the clone.
        say(f"cloning {commit[:12]} from {REPO} into {real_src}")
        if run_logged(["git", "clone", "-q", "--no-hardlinks", "--no-checkout", REPO, real_src], log) or \
                run_logged(["git", "-C", real_src, "checkout", "-q", commit], log):
            fail(f"cannot check out {commit} (log: {log})",
                 [f"git fetch the commit the release was made from into {REPO}, then run this again"])

        downloads = os.path.join(cache, "downloads")
        os.makedirs(downloads)
        mirror = args.downloads or os.path.join(
            os.environ.get("OPENV_CACHE") or os.path.expanduser("~/.cache/openv"), "downloads")
        if args.downloads != "none" and os.path.isdir(mirror):
            n = 0
            for fname in sorted(os.listdir(mirror)):
                if os.path.isfile(os.path.join(mirror, fname)) and not fname.startswith("."):
                    shutil.copyfile(os.path.join(mirror, fname), os.path.join(downloads, fname))
                    n += 1
            say(f"package cache {cache}: empty; {n} Debian source files copied from {mirror} "
                "(pkgtool checks each against its pinned sha256 before use)")
        else:
            say(f"package cache {cache}: empty; the Debian sources are downloaded with apt-get source"
                + (f" (as {user.name})" if user else ""))
        if "dirorder" in active:
            os.makedirs(src)
    if user:
        # Only the release's own files: a user's DIR may also hold openv.img (326 MiB), a
        # disk.qcow2 or a seed from booting it (README).
        shutil.rmtree(release_in, ignore_errors=True)
        os.makedirs(release_in)
        for name in sorted(read_sums(os.path.join(release, "SHA256SUMS"))) + ["SHA256SUMS"]:
            if os.path.isfile(os.path.join(release, name)):
                shutil.copyfile(os.path.join(release, name), os.path.join(release_in, name))
        os.makedirs(out_dir, exist_ok=True)
        # The user's from here on; unmounted and handed back to the caller in the end.
        user.own(*[p for p in (base, cache, home, release_in, out_dir)])
    if not args.no_rebuild and "dirorder" in active:
        # FUSE is root's here (/dev/fuse is often 0600): root mounts, and for another user with
        # --multi-user=yes (allow_other; disorderfs acts with the caller's uid and gid).
        multi = "yes" if user else "no"
        if run_logged(["disorderfs", "--reverse-dirents=yes", f"--multi-user={multi}",
                       real_src, src], log):
            skipped["dirorder"] = f"disorderfs could not mount (log: {log})"
            active.remove("dirorder")
            say(f"variation dirorder: SKIPPED: {skipped['dirorder']}")
            os.rmdir(src)
            os.rename(real_src, src)
        else:
            mounted = True

    jobs = "1" if "jobs" in active else "2"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "OPENV_CACHE": cache,
           "SOURCE_DATE_EPOCH": sde, "JOBS": jobs, "TERM": "dumb"}
    if user:
        env.update(USER=user.name, LOGNAME=user.name)
    if "locale_tz" in active:
        env.update(TZ="Pacific/Kiritimati", LANG=other_locale(), LC_ALL=other_locale())
    else:
        env.update(TZ="UTC", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    prefix = command_prefix(active, user)
    umask = 0o002 if "umask" in active else 0o022
    old_umask = os.umask(umask)
    started = time.monotonic()
    t = os.times()
    cpu_before = t.children_user + t.children_system
    seconds = cpu_seconds = None        # not known for --no-rebuild without an earlier JSON
    if args.no_rebuild:
        try:
            with open(os.path.join(work, "rebuild-check.json"), encoding="utf-8") as f:
                last = json.load(f)
                seconds, cpu_seconds = last["seconds"], last.get("cpu_seconds")
        except (OSError, ValueError, KeyError):
            pass
    try:
        rc = 0
        if not args.no_rebuild:
            say(f"building from source in {src} (make image bootloader JOBS={jobs}"
                f"{' as ' + user.name if user else ''}; log: {log})")
            rc = run_logged([*prefix, "make", "--no-print-directory", "image", "bootloader",
                             f"JOBS={jobs}", "PYTHON=/usr/bin/python3"], log, cwd=src, env=env)
            seconds = time.monotonic() - started
            t = os.times()
            cpu_seconds = t.children_user + t.children_system - cpu_before
            say(f"rebuilt in {seconds:.0f} s ({cpu_seconds:.0f} s of CPU: the time on 2 idle "
                "cores is about half of it plus the serial parts)")
        if rc:
            fail(f"the rebuild failed (exit {rc}); the end of {log}:\n"
                 + "".join(open(log, encoding="utf-8", errors="replace").readlines()[-25:]),
                 [f"read {log}", "rerun with fewer variations (REBUILD_VARY=none) to see whether "
                  "a variation breaks the build"])
        put_release_fit(src, release, work)
        if user:
            user.own(os.path.join(src, "build", "openv.img"))
        say("making the release's files with the release's keys and signatures "
            "(tools/release.py --rebuild-of)")
        rc = run_logged([*prefix, "/usr/bin/python3", "tools/release.py", "--build", "build",
                         "--out", out_dir, "--rebuild-of", release_in], log, cwd=src, env=env)
        if rc:
            fail(f"tools/release.py --rebuild-of failed (exit {rc}; log: {log})",
                 [f"read the end of {log}: a FIT whose signature does not verify means the "
                  "kernel or its command line (root hash) differs"])
    finally:
        os.umask(old_umask)
        if mounted:
            subprocess.run(["fusermount", "-u", src])
        if user:
            # Back to the caller: nothing stays owned by the user (userdel follows).
            chown(os.getuid(), os.getgid(), tree)

    theirs = read_sums(os.path.join(release, "SHA256SUMS"))
    rebuilt = os.path.join(out_dir, os.path.basename(release.rstrip("/")))
    if not os.path.isdir(rebuilt):
        rebuilt = os.path.join(out_dir, sorted(os.listdir(out_dir))[0])
    ours = read_sums(os.path.join(rebuilt, "SHA256SUMS"))
    results = {}
    for name in sorted(theirs):
        if name not in ours:
            results[name] = "missing from the rebuild"
        elif ours[name] == theirs[name]:
            results[name] = "match"
        else:
            results[name] = "DIFFERS"
        say(f"  {name:18s} {results[name]}")
    for name in sorted(set(ours) - set(theirs)):
        say(f"  {name:18s} only in the rebuild (not compared)")
    bad = [n for n, r in results.items() if r != "match"]
    reports = {}
    for name in bad:
        if name in DERIVED and DERIVED[name] in bad:
            say(f"  {name}: follows from {DERIVED[name]} differing (no report of its own)")
            continue
        if os.path.exists(os.path.join(rebuilt, name)):
            reports[name] = diff_report(name, os.path.join(rebuilt, name),
                                        os.path.join(release, name), work)

    summary = {"release": release, "commit": commit,
               "seconds": None if seconds is None else round(seconds),
               "cpu_seconds": None if cpu_seconds is None else round(cpu_seconds), "load_average_at_end": os.getloadavg()[0],
               "jobs": int(jobs), "active_variations": active, "skipped_variations": skipped,
               "artefacts": results, "match": not bad, "reports": reports,
               "rebuilt": rebuilt, "log": log,
               "built_as": {"user": user.name, "uid": user.uid, "gid": user.gid} if user else
               caller()}
    with open(os.path.join(work, "rebuild-check.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    os.makedirs(build, exist_ok=True)
    shutil.copyfile(os.path.join(work, "rebuild-check.json"),
                    os.path.join(build, "rebuild-check-last.json"))
    with open(os.path.join(work, "report.txt"), "w", encoding="utf-8") as f:
        f.write(f"rebuild-check of {release} (commit {commit})\n")
        f.write(f"rebuilt in {summary['seconds']} s ({summary['cpu_seconds']} s of CPU) from an "
                f"empty package cache, JOBS={jobs}\n")
        f.write("variations: " + (", ".join(active) or "none") + "\n")
        f.write(f"built as {summary['built_as']['user']} (uid {summary['built_as']['uid']})\n")
        f.write("".join(f"not varied: {n}: {why}\n" for n, why in skipped.items()))
        f.write("".join(f"{n}: {r}\n" for n, r in results.items()))
        f.write("".join(f"report of {n}: {p}\n" for n, p in reports.items()))
    if bad:
        fail(f"{len(bad)} of {len(results)} artefacts differ: {', '.join(bad)} "
             f"(report: {os.path.join(work, 'report.txt')})",
             [f"read the diff reports: {', '.join(reports.values()) or 'none made'}",
              "buildinfo alone differing: the host tools' versions differ from the release "
              "machine's (compare the Host-Tools lines)",
              "rerun with one variation at a time (REBUILD_VARY=name) to find which one changes "
              "the output"])
    if tree != work:
        remove_outside_tree(work)
        say(f"removed {tree} (the rebuild's files outside {work})")
    say(f"PASS: all {len(results)} artefacts of {release} match the rebuild "
        f"(variations: {', '.join(active) or 'none'}; report: {os.path.join(work, 'report.txt')})")


if __name__ == "__main__":
    main(sys.argv[1:])
