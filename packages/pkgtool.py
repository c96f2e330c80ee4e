#!/usr/bin/python3
"""openv package tool: fetch, verify, unpack and build pinned third-party packages.

Every package lives in packages/<name>/ with:
  package.conf  pinned Debian source version, files and their sha256, patches to apply
  build.sh      the recipe, run with SRC (patched source), OUT (install dir) and friends
  ...           its configuration (BusyBox .config, Dropbear localoptions.h, ...)

Sources come from Debian source packages through `apt-get source`, using a private apt
configuration derived from the system's own `deb` entries, so the system's apt setup is never
touched and no download host is named here. Every downloaded file is checked against the
sha256 pinned in package.conf before it is used; a mismatch is refused, never used.

Builds are cached under $OPENV_PKG_CACHE/<name>-<key>/ where <key> covers the recipe, the
configuration, the pinned hashes, this tool and the toolchain, so an unchanged package is never
rebuilt, and a second build needs no network.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES_DIR = os.path.join(REPO, "packages")


class PkgError(Exception):
    """An error the user can act on; the message says what to do next."""


# ---------------------------------------------------------------------------------------------
# Locations


def cache_root():
    return os.environ.get("OPENV_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "openv")


def download_dir():
    return os.environ.get("OPENV_DOWNLOADS") or os.path.join(cache_root(), "downloads")


def pkg_cache_dir():
    return os.environ.get("OPENV_PKG_CACHE") or os.path.join(cache_root(), "pkg")


def apt_dir():
    return os.path.join(cache_root(), "apt")


def log(msg):
    print(f"[pkg] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# package.conf


def parse_conf(text, origin="package.conf"):
    """Parse KEY=VALUE lines (optionally double-quoted, '#' comments, '\\' continuations)."""
    conf = {}
    logical = []
    pending = ""
    for line in text.splitlines():
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    for n, line in enumerate(logical, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise PkgError(f"{origin}: line {n}: expected KEY=VALUE, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        conf[key] = " ".join(value.split()) if "\n" not in value else value
    return conf


class Package:
    def __init__(self, name, pkg_dir=None):
        self.name = name
        self.dir = pkg_dir or os.path.join(PACKAGES_DIR, name)
        conf_path = os.path.join(self.dir, "package.conf")
        if not os.path.isfile(conf_path):
            raise PkgError(f"unknown package '{name}': {conf_path} does not exist")
        with open(conf_path, encoding="utf-8") as f:
            self.conf = parse_conf(f.read(), conf_path)
        for key in ("DEB_SOURCE", "DEB_VERSION", "LICENSE", "FILES"):
            if not self.conf.get(key):
                raise PkgError(f"{conf_path}: {key} is required (see packages/README.md)")

    @property
    def files(self):
        """[(filename, sha256)] pinned for this package: orig tarball, Debian tarball, .dsc."""
        words = self.conf["FILES"].split()
        if len(words) % 2:
            raise PkgError(f"{self.name}: FILES must be pairs of 'filename sha256'")
        pairs = list(zip(words[0::2], words[1::2]))
        for fname, digest in pairs:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise PkgError(f"{self.name}: bad sha256 for {fname}: {digest!r}")
            if "/" in fname or fname.startswith("."):
                raise PkgError(f"{self.name}: bad file name {fname!r}")
        return pairs

    def file_named(self, suffix_kind):
        """The pinned file of one kind: 'orig' or 'debian'."""
        for fname, _ in self.files:
            if suffix_kind == "orig" and ".orig.tar." in fname:
                return fname
            if suffix_kind == "debian" and ".debian.tar." in fname:
                return fname
        return None

    @property
    def patches(self):
        return self.conf.get("PATCHES", "").split()

    @property
    def depends(self):
        return self.conf.get("DEPENDS", "").split()


# ---------------------------------------------------------------------------------------------
# Verification


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_file(path, expected):
    """Raise PkgError unless the file exists and has the expected sha256."""
    actual = sha256_file(path)
    if actual != expected:
        raise PkgError(
            f"sha256 mismatch for {path}\n"
            f"    expected {expected}\n"
            f"    got      {actual}\n"
            f"  The file is refused and will not be used. If it is a damaged download, delete it\n"
            f"  and run 'make fetch' again; if the pin is wrong, fix package.conf deliberately.")


def cached_files_ok(pkg, ddir):
    """True if every pinned file is in the cache with the right hash; raise on a bad one."""
    missing = False
    for fname, digest in pkg.files:
        path = os.path.join(ddir, fname)
        if not os.path.exists(path):
            missing = True
            continue
        verify_file(path, digest)
    return not missing


# ---------------------------------------------------------------------------------------------
# Private apt configuration


def os_codename(os_release="/etc/os-release"):
    try:
        with open(os_release, encoding="utf-8") as f:
            for line in f:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""


def deb822_stanzas(text):
    stanza, out = [], []
    for line in text.splitlines():
        if line.strip() == "":
            if stanza:
                out.append(stanza)
            stanza = []
        elif not line.lstrip().startswith("#"):
            stanza.append(line)
    if stanza:
        out.append(stanza)
    return out


def source_entries_from_system(etc_apt="/etc/apt", codename=None):
    """Derive deb-src entries (one-line format) from the system's enabled 'deb' entries.

    Only entries for the running distribution's suites (codename, codename-updates,
    codename-security, ...) are kept: those are the archives that carry source packages.
    """
    codename = os_codename() if codename is None else codename
    entries = []

    def keep(suite):
        return not codename or suite.split("-")[0].split("/")[0] == codename

    one_line_files = [os.path.join(etc_apt, "sources.list")]
    parts = os.path.join(etc_apt, "sources.list.d")
    names = sorted(os.listdir(parts)) if os.path.isdir(parts) else []
    one_line_files += [os.path.join(parts, n) for n in names if n.endswith(".list")]
    for path in one_line_files:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                words = line.split("#", 1)[0].split()
                if not words or words[0] != "deb":
                    continue
                rest = words[1:]
                opts = ""
                if rest and rest[0].startswith("["):
                    opt_words = []
                    while rest:
                        w = rest.pop(0)
                        opt_words.append(w)
                        if w.endswith("]"):
                            break
                    opts = " ".join(opt_words) + " "
                if len(rest) >= 2 and keep(rest[1]):
                    entries.append(f"deb-src {opts}{' '.join(rest)}")

    for n in names:
        if not n.endswith(".sources"):
            continue
        with open(os.path.join(parts, n), encoding="utf-8") as f:
            for stanza in deb822_stanzas(f.read()):
                fields = {}
                for line in stanza:
                    if ":" in line and not line.startswith((" ", "\t")):
                        k, v = line.split(":", 1)
                        fields[k.strip().lower()] = v.strip()
                if "deb" not in fields.get("types", "").split():
                    continue
                if fields.get("enabled", "yes").lower() == "no":
                    continue
                signed = fields.get("signed-by", "")
                opts = f"[signed-by={signed}] " if signed and not signed.startswith("-") else ""
                comps = fields.get("components", "")
                for uri in fields.get("uris", "").split():
                    for suite in fields.get("suites", "").split():
                        if keep(suite):
                            entries.append(f"deb-src {opts}{uri} {suite} {comps}".rstrip())
    return entries


def apt_options():
    d = apt_dir()
    return [
        "-o", f"Dir::Etc::SourceList={os.path.join(d, 'sources.list')}",
        "-o", "Dir::Etc::SourceParts=-",
        "-o", f"Dir::State::Lists={os.path.join(d, 'lists')}",
        "-o", f"Dir::Cache={os.path.join(d, 'cache')}",
        "-o", "Debug::NoLocking=1",
        "-o", "APT::Sandbox::User=root" if os.geteuid() == 0 else "APT::Sandbox::User=",
    ]


def apt_prepare():
    """Write the private apt configuration and refresh its source indices (once per run)."""
    d = apt_dir()
    for sub in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    entries = source_entries_from_system()
    if not entries:
        raise PkgError("no Debian 'deb' entries found in /etc/apt: cannot derive deb-src sources.\n"
                       "  Configure apt for Debian, or pre-fill the download cache "
                       f"({download_dir()}).")
    with open(os.path.join(d, "sources.list"), "w", encoding="utf-8") as f:
        f.write("# derived by openv's packages/pkgtool.py from the system's deb entries\n")
        f.write("\n".join(entries) + "\n")
    log("updating the private apt source index (first fetch only)")
    r = subprocess.run(["apt-get", "-q", *apt_options(), "update"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        log(r.stdout[-2000:])
        raise PkgError("apt-get update for the private source index failed (network down?).\n"
                       "  A build with the network off needs a filled download cache.")


def fetch(pkg, _apt_ready=[False]):
    """Make sure every pinned file of pkg is in the download cache and verified."""
    ddir = download_dir()
    os.makedirs(ddir, exist_ok=True)
    if cached_files_ok(pkg, ddir):
        return
    if not _apt_ready[0]:
        apt_prepare()
        _apt_ready[0] = True
    spec = f"{pkg.conf['DEB_SOURCE']}={pkg.conf['DEB_VERSION']}"
    log(f"fetching {spec} with apt-get source")
    with tempfile.TemporaryDirectory(dir=ddir, prefix=".fetch-") as tmp:
        r = subprocess.run(["apt-get", "-q", *apt_options(), "source", "--download-only", spec],
                           cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            log(r.stdout[-2000:])
            raise PkgError(f"apt-get source {spec} failed: is that version still in the archive?")
        for fname, digest in pkg.files:
            path = os.path.join(tmp, fname)
            if not os.path.exists(path):
                raise PkgError(f"apt-get source {spec} did not provide {fname}")
            verify_file(path, digest)          # refused files never reach the cache
            os.replace(path, os.path.join(ddir, fname))
    log(f"{pkg.name}: {len(pkg.files)} files verified")


# ---------------------------------------------------------------------------------------------
# Unpacking


def safe_members(tar, strip):
    """Tar members with the first `strip` path components removed; refuse unsafe paths."""
    for m in tar.getmembers():
        parts = m.name.split("/")[strip:]
        if not parts or parts == [""]:
            continue
        if any(p == ".." for p in parts) or m.name.startswith("/"):
            raise PkgError(f"refusing tar member with unsafe path: {m.name}")
        if m.islnk() or m.issym():
            if m.linkname.startswith("/") or ".." in m.linkname.split("/"):
                if m.islnk():
                    raise PkgError(f"refusing tar hard link outside the tree: {m.name}")
            if m.islnk():
                m.linkname = "/".join(m.linkname.split("/")[strip:])
        m.name = "/".join(parts)
        yield m


def extract(tar_path, dest, strip=1, only_prefix=None):
    with tarfile.open(tar_path) as tar:
        members = list(safe_members(tar, strip))
        if only_prefix:
            members = [m for m in members if m.name.startswith(only_prefix)]
        tar.extractall(dest, members=members, filter="tar") if hasattr(tarfile, "data_filter") \
            else tar.extractall(dest, members=members)


def unpack(pkg, dest):
    """Unpack the verified orig tarball into dest and apply the selected Debian patches."""
    ddir = download_dir()
    fetch(pkg)
    orig = pkg.file_named("orig")
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    extract(os.path.join(ddir, orig), dest, strip=1)
    if not pkg.patches:
        return
    debian = pkg.file_named("debian")
    if not debian:
        raise PkgError(f"{pkg.name}: PATCHES given but no Debian tarball pinned")
    with tempfile.TemporaryDirectory() as tmp:
        extract(os.path.join(ddir, debian), tmp, strip=0, only_prefix="debian/patches/")
        for patch in pkg.patches:
            path = os.path.join(tmp, "debian", "patches", patch)
            if not os.path.isfile(path):
                raise PkgError(f"{pkg.name}: Debian patch {patch} not found in {debian}")
            r = subprocess.run(["patch", "-p1", "-s", "-N", "--no-backup-if-mismatch", "-i", path],
                               cwd=dest, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise PkgError(f"{pkg.name}: patch {patch} does not apply:\n{r.stdout}")


# ---------------------------------------------------------------------------------------------
# Build keys and cached builds


def host_tool_versions():
    """Versions of host tools that shape the output of guest builds."""
    out = []
    for cmd in (["riscv64-linux-gnu-gcc", "--version"], ["riscv64-linux-gnu-ld", "--version"]):
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            out.append(r.stdout.splitlines()[0] if r.stdout else "")
        except OSError:
            out.append(f"{cmd[0]}: missing")
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "linux-libc-dev-riscv64-cross"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        out.append("linux-libc-dev-riscv64-cross " + r.stdout)
    except OSError:
        out.append("no dpkg-query")
    return "\n".join(out)


def source_date_epoch(pkg):
    """SOURCE_DATE_EPOCH, else the release's pinned epoch (release/SOURCE_DATE_EPOCH)."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    with open(os.path.join(REPO, "release", "SOURCE_DATE_EPOCH"), encoding="utf-8") as f:
        return f.read().strip()


def build_key(pkg, dep_keys=(), tools=None):
    """sha256 over everything that decides the package's output, first 16 hex digits."""
    h = hashlib.sha256()
    h.update(f"pkg {pkg.name}\n".encode())
    for root, dirs, files in os.walk(pkg.dir):
        dirs.sort()
        for fname in sorted(files):
            path = os.path.join(root, fname)
            rel = os.path.relpath(path, pkg.dir)
            h.update(f"file {rel}\n".encode())
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    with open(os.path.abspath(__file__), "rb") as f:
        h.update(hashlib.sha256(f.read()).digest())
    for dk in dep_keys:
        h.update(f"dep {dk}\n".encode())
    h.update(f"epoch {source_date_epoch(pkg)}\n".encode())
    h.update((host_tool_versions() if tools is None else tools).encode())
    return h.hexdigest()[:16]


def resolve_key(name, memo):
    if name not in memo:
        pkg = Package(name)
        deps = [f"{d}-{resolve_key(d, memo)}" for d in pkg.depends]
        memo[name] = build_key(pkg, deps)
    return memo[name]


def out_dir(name, memo):
    return os.path.join(pkg_cache_dir(), f"{name}-{resolve_key(name, memo)}")


def build(name, work_root, memo=None, jobs=None):
    """Build pkg (and its dependencies) unless a build with the same key is cached."""
    memo = {} if memo is None else memo
    pkg = Package(name)
    dep_outs = {d: build(d, work_root, memo, jobs) for d in pkg.depends}
    out = out_dir(name, memo)
    stamp = os.path.join(out, ".openv-complete")
    if os.path.exists(stamp):
        return out
    fetch(pkg)
    if os.path.exists(out):
        shutil.rmtree(out)                      # an interrupted build: start over
    os.makedirs(out)
    src = os.path.join(os.path.abspath(work_root), name)
    log(f"building {name} {pkg.conf['DEB_VERSION']} (key {os.path.basename(out)})")
    unpack(pkg, src)
    env = dict(os.environ)
    env.update({
        "SRC": src, "OUT": out, "PKGDIR": pkg.dir, "REPO": REPO,
        "JOBS": str(jobs or os.environ.get("JOBS") or 2),
        "LC_ALL": "C", "TZ": "UTC",
        "SOURCE_DATE_EPOCH": source_date_epoch(pkg),
    })
    for dep, dep_out in dep_outs.items():
        env[f"DEP_{dep.upper().replace('-', '_')}"] = dep_out
    if "musl" in dep_outs:
        env["MUSL_CC"] = os.path.join(dep_outs["musl"], "bin", "riscv64-linux-musl-gcc")
    # Third-party builds are noisy: the full output goes to a log, the terminal gets progress.
    log_path = os.path.join(os.path.abspath(work_root), f"{name}.log")
    with open(log_path, "w", encoding="utf-8") as logf:
        r = subprocess.run(["sh", "-eu", os.path.join(pkg.dir, "build.sh")], cwd=src, env=env,
                           stdout=logf, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        with open(log_path, encoding="utf-8", errors="replace") as logf:
            tail = "".join(logf.readlines()[-30:])
        raise PkgError(f"{name}: build.sh failed (exit {r.returncode}). Last lines of {log_path}:\n"
                       f"{tail}\n  The build tree is kept in {src}.")
    with open(stamp, "w", encoding="utf-8") as f:
        f.write(f"{name} {pkg.conf['DEB_VERSION']}\n")
    shutil.rmtree(src, ignore_errors=True)
    log(f"{name}: done -> {out}")
    return out


# ---------------------------------------------------------------------------------------------
# Command line


def all_packages():
    return sorted(n for n in os.listdir(PACKAGES_DIR)
                  if os.path.isfile(os.path.join(PACKAGES_DIR, n, "package.conf")))


USAGE = """usage: pkgtool.py COMMAND [ARGS]
  list                      the packages
  fetch [NAME...]           download (apt-get source) and verify into the cache
  verify [NAME...]          check the cached files against their pinned sha256
  unpack NAME DEST          unpack the verified source with its selected patches
  key NAME                  print the build key
  build NAME WORKDIR [LINK] build unless cached; print the output dir; symlink LINK to it
"""


def main(argv):
    if not argv:
        print(USAGE, end="", file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "list":
            print("\n".join(all_packages()))
        elif cmd in ("fetch", "verify"):
            for name in args or all_packages():
                pkg = Package(name)
                if cmd == "fetch":
                    fetch(pkg)
                elif not cached_files_ok(pkg, download_dir()):
                    raise PkgError(f"{name}: not all files are in the cache; run 'make fetch'")
        elif cmd == "unpack" and len(args) == 2:
            unpack(Package(args[0]), args[1])
        elif cmd == "key" and len(args) == 1:
            print(resolve_key(args[0], {}))
        elif cmd == "build" and len(args) in (2, 3):
            out = build(args[0], args[1])
            if len(args) == 3:
                link = args[2]
                os.makedirs(os.path.dirname(os.path.abspath(link)), exist_ok=True)
                if os.path.islink(link) or os.path.exists(link):
                    os.remove(link)
                os.symlink(out, link)
            print(out)
        else:
            print(USAGE, end="", file=sys.stderr)
            return 2
    except PkgError as e:
        print(f"pkgtool: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
