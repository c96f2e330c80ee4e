/*
 * files: file and directory syscalls in /tmp, their error codes, the *at
 * variants, fd-table operations, device nodes, and pipes (atomicity,
 * non-blocking mode, EOF, poll/select readiness).
 *
 * Everything happens under a fresh directory /tmp/openv_files.<pid>, which
 * is also the cwd, so most paths below are relative.
 */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>

static char workdir[64];

static int write_file(const char *path, const char *data, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, strlen(data));
    close(fd);
    return n == (ssize_t)strlen(data) ? 0 : -1;
}

/* Read a whole (small) file into buf; returns length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static int file_is(const char *path, const char *want)
{
    char buf[256];
    return read_file(path, buf, sizeof buf) == (ssize_t)strlen(want) &&
           strcmp(buf, want) == 0;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* rm -rf for cleanup; ignores errors. */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[PATH_MAX];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* ---- basic I/O ---- */

static void test_rw_seek(void)
{
    int fd = creat("a", 0644);
    if (!CHECK(fd >= 0, "creat"))
        return;
    CHECK_EQ(write(fd, "hello world", 11), 11, "write 11 bytes");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11, "offset after write");
    CHECK_ERR(read(fd, (char[4]){0}, 4), EBADF, "read on O_WRONLY fd: EBADF");
    close(fd);

    fd = open("a", O_RDWR);
    char buf[32] = {0};
    CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0, "read 5");
    CHECK_EQ(lseek(fd, -5, SEEK_END), 6, "lseek SEEK_END -5");
    CHECK(read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0,
          "read rest");
    CHECK_EQ(read(fd, buf, sizeof buf), 0, "read at EOF returns 0");
    CHECK_ERR(lseek(fd, -100, SEEK_SET), EINVAL, "lseek negative: EINVAL");
    CHECK_ERR(lseek(fd, 0, 42), EINVAL, "lseek bad whence: EINVAL");

    /* Write past EOF leaves a hole of zeroes. */
    CHECK_EQ(lseek(fd, 100, SEEK_SET), 100, "lseek past EOF");
    CHECK_EQ(write(fd, "X", 1), 1, "write past EOF");
    struct stat st;
    fstat(fd, &st);
    CHECK_EQ(st.st_size, 101, "size after hole write");
    memset(buf, 1, sizeof buf);
    CHECK(pread(fd, buf, 10, 50) == 10 && !memcmp(buf, "\0\0\0\0\0\0\0\0\0\0", 10),
          "hole reads as zeroes");

    /* pread/pwrite leave the offset alone. */
    off_t before = lseek(fd, 3, SEEK_SET);
    CHECK_EQ(pwrite(fd, "HELLO", 5, 0), 5, "pwrite");
    CHECK(pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "HELLO", 5), "pread");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), before, "pread/pwrite keep offset");
    CHECK_ERR(pread(fd, buf, 1, -1), EINVAL, "pread negative offset");

    /* readv / writev */
    struct iovec wv[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
    lseek(fd, 0, SEEK_SET);
    CHECK_EQ(writev(fd, wv, 3), 6, "writev 3 iovecs");
    char r1[3] = {0}, r2[4] = {0};
    struct iovec rv[2] = {{r1, 3}, {r2, 3}};
    lseek(fd, 0, SEEK_SET);
    CHECK(readv(fd, rv, 2) == 6 && !memcmp(r1, "abc", 3) &&
              !memcmp(r2, "def", 3),
          "readv scatters in order");

    /* ftruncate shrink/grow, truncate by path */
    CHECK_OK(ftruncate(fd, 4), "ftruncate shrink");
    fstat(fd, &st);
    CHECK_EQ(st.st_size, 4, "size after shrink");
    CHECK_OK(ftruncate(fd, 5000), "ftruncate grow");
    CHECK(pread(fd, buf, 4, 4000) == 4 && !memcmp(buf, "\0\0\0\0", 4),
          "grown part reads zero");
    CHECK_OK(truncate("a", 2), "truncate by path");
    CHECK_EQ(file_size("a"), 2, "size after truncate");
    CHECK_OK(fsync(fd), "fsync");
    CHECK_OK(fdatasync(fd), "fdatasync");
    close(fd);
    CHECK_ERR(write(fd, "x", 1), EBADF, "write on closed fd: EBADF");
    CHECK_ERR(close(fd), EBADF, "close twice: EBADF");
    CHECK_ERR(close(-1), EBADF, "close(-1): EBADF");

    /* A larger file in odd-sized chunks. */
    fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0600);
    static unsigned char data[1 << 20], back[1 << 20];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    size_t off = 0;
    while (off < sizeof data) {
        size_t n = sizeof data - off < 7777 ? sizeof data - off : 7777;
        if (write(fd, data + off, n) != (ssize_t)n)
            break;
        off += n;
    }
    CHECK_EQ(off, sizeof data, "write 1 MiB in 7777-byte chunks");
    ssize_t got = pread(fd, back, sizeof back, 0);
    CHECK(got == (ssize_t)sizeof back && !memcmp(data, back, sizeof data),
          "read 1 MiB back intact");
    close(fd);
    unlink("big");
}

static void test_open_flags(void)
{
    write_file("f", "0123456789", 0644);
    CHECK_ERR(open("f", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST,
              "O_CREAT|O_EXCL on existing: EEXIST");
    int fd = open("f", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    CHECK_EQ(write(fd, "ab", 2), 2, "O_APPEND write");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 12, "O_APPEND write lands at end");
    int fl = fcntl(fd, F_GETFL);
    CHECKF((fl & O_ACCMODE) == O_WRONLY && (fl & O_APPEND),
           "F_GETFL shows O_WRONLY|O_APPEND", "flags=%#x", fl);
    close(fd);
    CHECK(file_is("f", "0123456789ab"), "O_APPEND content");

    fd = open("f", O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && file_size("f") == 0, "O_TRUNC empties the file");
    close(fd);
    fd = open("f", O_WRONLY | O_CREAT, 0600); /* mode ignored: exists */
    struct stat st;
    fstat(fd, &st);
    CHECKF((st.st_mode & 0777) == 0644, "O_CREAT on existing keeps mode",
           "mode %o", st.st_mode & 0777);
    close(fd);

    CHECK_ERR(open("nonexistent", O_RDONLY), ENOENT, "open missing: ENOENT");
    CHECK_ERR(open("f/x", O_RDONLY), ENOTDIR, "file as dir component: ENOTDIR");
    CHECK_ERR(open("f/", O_RDONLY), ENOTDIR, "trailing slash on file: ENOTDIR");
    mkdir("d", 0755);
    CHECK_ERR(open("d", O_WRONLY), EISDIR, "open dir for write: EISDIR");
    CHECK_ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR,
              "O_DIRECTORY on file: ENOTDIR");
    fd = open("d", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "O_DIRECTORY on dir");
    CHECK_ERR(read(fd, (char[8]){0}, 8), EISDIR, "read() on a dir: EISDIR");
    close(fd);
    CHECK_ERR(open("missing_dir/f", O_CREAT | O_WRONLY, 0644), ENOENT,
              "O_CREAT in missing dir: ENOENT");

    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    CHECK_ERR(open(longname, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG,
              "256-char component: ENAMETOOLONG");
    static char longpath[PATH_MAX + 100];
    for (size_t i = 0; i < sizeof longpath - 1; i += 2)
        longpath[i] = 'p', longpath[i + 1] = '/';
    longpath[sizeof longpath - 1] = 0;
    CHECK_ERR(open(longpath, O_RDONLY), ENAMETOOLONG,
              "path > PATH_MAX: ENAMETOOLONG");
    CHECK_ERR(open("", O_RDONLY), ENOENT, "empty path: ENOENT");
    unlink("f");
    rmdir("d");
}

static void test_stat_links(void)
{
    write_file("s", "12345", 0640);
    struct stat st, st2;
    CHECK_OK(stat("s", &st), "stat");
    CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0640,
          "stat mode: regular, 0640");
    CHECK_EQ(st.st_size, 5, "stat size");
    CHECK_EQ(st.st_nlink, 1, "nlink 1");
    CHECK_EQ(st.st_uid, geteuid(), "st_uid is creator's euid");

    CHECK_OK(link("s", "s2"), "link");
    stat("s2", &st2);
    CHECK(st2.st_ino == st.st_ino && st2.st_dev == st.st_dev,
          "hard link shares inode");
    stat("s", &st);
    CHECK_EQ(st.st_nlink, 2, "nlink 2 after link");
    CHECK_ERR(link("s", "s2"), EEXIST, "link to existing name: EEXIST");
    mkdir("dd", 0755);
    CHECK_ERR(link("dd", "dd2"), EPERM, "hard link to dir: EPERM");

    /* Unlinked but open file remains usable. */
    int fd = open("s2", O_RDWR);
    CHECK_OK(unlink("s2"), "unlink link");
    CHECK_OK(unlink("s"), "unlink original");
    CHECK_ERR(stat("s", &st), ENOENT, "stat after unlink: ENOENT");
    char buf[8] = {0};
    CHECK(pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "12345", 5),
          "unlinked open file still readable");
    fstat(fd, &st);
    CHECK_EQ(st.st_nlink, 0, "fstat of unlinked file: nlink 0");
    close(fd);
    CHECK_ERR(unlink("s"), ENOENT, "unlink missing: ENOENT");
    CHECK_ERR(unlink("dd"), EISDIR, "unlink on a dir: EISDIR (Linux)");

    /* Symlinks */
    write_file("target", "T", 0644);
    CHECK_OK(symlink("target", "sl"), "symlink");
    char lbuf[64];
    memset(lbuf, 'Z', sizeof lbuf);
    ssize_t n = readlink("sl", lbuf, sizeof lbuf);
    CHECK(n == 6 && !memcmp(lbuf, "target", 6) && lbuf[6] == 'Z',
          "readlink returns target, not NUL-terminated");
    CHECK_EQ(readlink("sl", lbuf, 3), 3, "readlink truncates to bufsiz");
    CHECK_ERR(readlink("target", lbuf, sizeof lbuf), EINVAL,
              "readlink on regular file: EINVAL");
    CHECK(file_is("sl", "T"), "open follows symlink");
    lstat("sl", &st);
    CHECK(S_ISLNK(st.st_mode) && st.st_size == 6, "lstat: S_ISLNK, size");
    stat("sl", &st);
    CHECK(S_ISREG(st.st_mode), "stat follows symlink");
    CHECK_ERR(open("sl", O_RDONLY | O_NOFOLLOW), ELOOP,
              "O_NOFOLLOW on symlink: ELOOP");
    CHECK_ERR(symlink("x", "sl"), EEXIST, "symlink over existing: EEXIST");
    symlink("loop2", "loop1");
    symlink("loop1", "loop2");
    CHECK_ERR(open("loop1", O_RDONLY), ELOOP, "symlink loop: ELOOP");
    CHECK_ERR(stat("loop1", &st), ELOOP, "stat symlink loop: ELOOP");
    symlink("nowhere", "dangling");
    CHECK_ERR(open("dangling", O_RDONLY), ENOENT, "dangling symlink: ENOENT");
    CHECK_OK(lstat("dangling", &st), "lstat dangling symlink works");
    symlink("dd", "dirlink");
    write_file("dd/inner", "I", 0644);
    CHECK(file_is("dirlink/inner", "I"), "symlink to dir as path component");
    symlink("/tmp", "abslink");
    CHECK(stat("abslink/.", &st) == 0 && S_ISDIR(st.st_mode),
          "absolute symlink target");
    CHECK_OK(unlink("dirlink"), "unlink removes the link, not the dir");
    CHECK(stat("dd/inner", &st) == 0, "dir survives unlink of link to it");
    unlink("dd/inner");
    rmdir("dd");
    unlink("sl"), unlink("target"), unlink("loop1"), unlink("loop2");
    unlink("dangling"), unlink("abslink");
}

static void test_dirs(void)
{
    CHECK_OK(mkdir("m", 0755), "mkdir");
    CHECK_ERR(mkdir("m", 0755), EEXIST, "mkdir existing: EEXIST");
    CHECK_ERR(mkdir("nope/m", 0755), ENOENT, "mkdir in missing: ENOENT");
    write_file("m/f", "x", 0644);
    CHECK_ERR(rmdir("m"), ENOTEMPTY, "rmdir non-empty: ENOTEMPTY");
    CHECK_ERR(rmdir("m/f"), ENOTDIR, "rmdir on file: ENOTDIR");
    CHECK_ERR(rmdir("m/."), EINVAL, "rmdir dot: EINVAL");
    CHECK_ERR(mkdir("m/f/x", 0755), ENOTDIR, "mkdir under file: ENOTDIR");
    struct stat st;
    stat("m", &st);
    CHECK(S_ISDIR(st.st_mode) && st.st_nlink >= 2, "dir stat: S_ISDIR");

    /* readdir sees every entry exactly once, with d_type. */
    enum { NF = 60 };
    for (int i = 0; i < NF; i++) {
        char name[32];
        snprintf(name, sizeof name, "m/file%02d", i);
        write_file(name, "", 0644);
    }
    mkdir("m/subdir", 0755);
    symlink("f", "m/lnk");
    int seen[NF] = {0}, dots = 0, dotdot = 0, others = 0, types_ok = 1;
    DIR *d = opendir("m");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int k;
        if (!strcmp(e->d_name, "."))
            dots++;
        else if (!strcmp(e->d_name, ".."))
            dotdot++;
        else if (sscanf(e->d_name, "file%d", &k) == 1 && k >= 0 && k < NF) {
            seen[k]++;
            types_ok &= e->d_type == DT_REG;
        } else if (!strcmp(e->d_name, "subdir"))
            others++, types_ok &= e->d_type == DT_DIR;
        else if (!strcmp(e->d_name, "lnk"))
            others++, types_ok &= e->d_type == DT_LNK;
        else if (!strcmp(e->d_name, "f"))
            others++, types_ok &= e->d_type == DT_REG;
        else
            others += 100;
    }
    int all_once = 1;
    for (int i = 0; i < NF; i++)
        all_once &= seen[i] == 1;
    CHECK(d != NULL, "opendir");
    CHECK(all_once, "readdir lists each of 60 files exactly once");
    CHECKF(dots == 1 && dotdot == 1, "readdir lists . and .. once",
           ". %d times, .. %d times", dots, dotdot);
    CHECKF(others == 3, "no unexpected entries", "others=%d", others);
    CHECK(types_ok, "d_type DT_REG/DT_DIR/DT_LNK correct");
    if (d) {
        rewinddir(d);
        int count = 0;
        while (readdir(d))
            count++;
        CHECK_EQ(count, NF + 5, "rewinddir restarts listing");
        closedir(d);
    }

    /* Raw getdents64 with a tiny buffer: needs many calls, none lost. */
    int fd = open("m", O_RDONLY | O_DIRECTORY);
    char small[8];
    CHECK_ERR(syscall(SYS_getdents64, fd, small, sizeof small), EINVAL,
              "getdents64 buffer too small for one entry: EINVAL");
    char buf[128];
    int total = 0, calls = 0;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        calls++;
        for (long off = 0; off < n;) {
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof reclen);
            total++;
            off += reclen;
        }
    }
    CHECKF(n == 0 && total == NF + 5 && calls > 5,
           "getdents64 in 128-byte chunks returns all entries",
           "n=%ld total=%d calls=%d", n, total, calls);
    close(fd);
    CHECK_ERR(syscall(SYS_getdents64, 0x7fff, buf, sizeof buf), EBADF,
              "getdents64 bad fd: EBADF");
    int ffd = open("m/f", O_RDONLY);
    CHECK_ERR(syscall(SYS_getdents64, ffd, buf, sizeof buf), ENOTDIR,
              "getdents64 on a file: ENOTDIR");
    close(ffd);
    remove_tree("m");
    CHECK_ERR(stat("m", &st), ENOENT, "directory tree removed");
}

static void test_rename(void)
{
    write_file("r1", "one", 0644);
    write_file("r2", "two", 0644);
    CHECK_OK(rename("r1", "r3"), "rename to new name");
    CHECK(file_is("r3", "one") && access("r1", F_OK) != 0, "renamed");
    CHECK_OK(rename("r3", "r2"), "rename over existing file");
    CHECK(file_is("r2", "one") && access("r3", F_OK) != 0,
          "rename replaced target atomically");
    CHECK_ERR(rename("nope", "x"), ENOENT, "rename missing: ENOENT");
    mkdir("rd", 0755);
    mkdir("rd2", 0755);
    write_file("rd2/x", "", 0644);
    CHECK_ERR(rename("r2", "rd"), EISDIR, "rename file over dir: EISDIR");
    CHECK_ERR(rename("rd", "r2"), ENOTDIR, "rename dir over file: ENOTDIR");
    errno = 0;
    int r = rename("rd", "rd2");
    CHECKF(r == -1 && (errno == ENOTEMPTY || errno == EEXIST),
           "rename dir over non-empty dir: ENOTEMPTY", "r=%d errno=%d", r,
           errno);
    CHECK_ERR(rename("rd2", "rd2/sub"), EINVAL,
              "rename dir into itself: EINVAL");
    write_file("rd/in", "in", 0644);
    CHECK_OK(rename("rd", "rd3"), "rename dir");
    CHECK(file_is("rd3/in", "in"), "contents follow renamed dir");
    mkdir("empty", 0755);
    CHECK_OK(rename("rd3", "empty"), "rename dir over empty dir");
    CHECK(file_is("empty/in", "in"), "dir replaced empty dir");
    CHECK_OK(rename("r2", "empty/moved"), "rename across directories");
    CHECK(file_is("empty/moved", "one"), "moved file content");
    CHECK_OK(rename("empty/moved", "empty/moved"), "rename to itself is ok");
    remove_tree("empty");
    remove_tree("rd2");
}

static void test_attrs(void)
{
    write_file("p", "x", 0644);
    int fd = open("p", O_RDONLY);
    CHECK_OK(fchmod(fd, 0600), "fchmod");
    struct stat st;
    stat("p", &st);
    CHECK_EQ(st.st_mode & 07777, 0600, "mode after fchmod");
    CHECK_OK(chmod("p", 04755), "chmod with setuid bit");
    stat("p", &st);
    CHECK_EQ(st.st_mode & 07777, 04755, "mode after chmod");
    close(fd);

    if (geteuid() == 0) {
        CHECK_OK(chown("p", 1234, 5678), "chown as root");
        stat("p", &st);
        CHECK(st.st_uid == 1234 && st.st_gid == 5678, "owner changed");
        CHECK_EQ(st.st_mode & 07000, 0, "chown clears setuid bit");
        CHECK_OK(lchown("p", (uid_t)-1, 42), "lchown gid only");
        stat("p", &st);
        CHECK(st.st_uid == 1234 && st.st_gid == 42, "-1 leaves uid alone");
    } else {
        CHECK_OK(chown("p", geteuid(), getegid()), "chown to self");
        check_skip("chown to other users", "not running as root");
    }

    struct timespec times[2] = {{1000000000, 123456789}, {1500000000, 5}};
    CHECK_OK(utimensat(AT_FDCWD, "p", times, 0), "utimensat explicit");
    stat("p", &st);
    CHECK(st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789 &&
              st.st_mtim.tv_sec == 1500000000 && st.st_mtim.tv_nsec == 5,
          "atime/mtime set with ns precision");
    struct timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    CHECK_OK(utimensat(AT_FDCWD, "p", omit_now, 0), "utimensat OMIT/NOW");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    stat("p", &st);
    CHECK(st.st_atim.tv_sec == 1000000000, "UTIME_OMIT leaves atime");
    CHECKF(llabs((long long)st.st_mtim.tv_sec - (long long)now.tv_sec) <= 5,
           "UTIME_NOW sets mtime to now", "mtime %lld now %lld",
           (long long)st.st_mtim.tv_sec, (long long)now.tv_sec);
    CHECK_OK(utimensat(AT_FDCWD, "p", NULL, 0), "utimensat NULL = now");

    /* mtime moves on write. */
    utimensat(AT_FDCWD, "p", times, 0);
    fd = open("p", O_WRONLY);
    (void)!write(fd, "y", 1);
    fstat(fd, &st);
    close(fd);
    CHECK(st.st_mtim.tv_sec != 1500000000, "write updates mtime");

    CHECK_OK(access("p", F_OK), "access F_OK");
    CHECK_OK(access("p", R_OK | W_OK), "access R_OK|W_OK");
    chmod("p", 0644);
    CHECK_ERR(access("p", X_OK), EACCES,
              "access X_OK without any x bit: EACCES (even for root)");
    CHECK_ERR(access("nope", F_OK), ENOENT, "access missing: ENOENT");
    unlink("p");
}

static void test_umask(void)
{
    mode_t old = umask(022);
    CHECK_EQ(umask(022), 022, "umask returns previous mask");
    int fd = open("u1", O_CREAT | O_WRONLY, 0666);
    close(fd);
    mkdir("u2", 0777);
    umask(077);
    fd = open("u3", O_CREAT | O_WRONLY, 0666);
    close(fd);
    struct stat s1, s2, s3;
    stat("u1", &s1), stat("u2", &s2), stat("u3", &s3);
    CHECKF((s1.st_mode & 0777) == 0644, "umask 022 on file 0666 -> 0644",
           "%o", s1.st_mode & 0777);
    CHECKF((s2.st_mode & 0777) == 0755, "umask 022 on mkdir 0777 -> 0755",
           "%o", s2.st_mode & 0777);
    CHECKF((s3.st_mode & 0777) == 0600, "umask 077 on file 0666 -> 0600",
           "%o", s3.st_mode & 0777);
    umask(old);
    unlink("u1"), rmdir("u2"), unlink("u3");
}

static void test_fds(void)
{
    write_file("fdt", "abcdef", 0644);
    int fd = open("fdt", O_RDWR);
    int d = dup(fd);
    CHECK(d >= 0 && d != fd, "dup");
    char c;
    (void)!read(fd, &c, 1);
    CHECK_EQ(lseek(d, 0, SEEK_CUR), 1, "dup shares the file offset");
    CHECK_EQ(fcntl(d, F_GETFD), 0, "dup clears FD_CLOEXEC");

    CHECK_EQ(dup2(fd, 50), 50, "dup2 to fd 50");
    CHECK_EQ(dup2(fd, fd), fd, "dup2 same fd returns it");
    CHECK_ERR(dup3(fd, fd, 0), EINVAL, "dup3 same fd: EINVAL");
    CHECK_EQ(dup3(fd, 51, O_CLOEXEC), 51, "dup3 O_CLOEXEC");
    CHECK_EQ(fcntl(51, F_GETFD), FD_CLOEXEC, "dup3 sets FD_CLOEXEC");
    CHECK_ERR(dup2(fd, -1), EBADF, "dup2 to -1: EBADF");
    CHECK_ERR(dup(12345), EBADF, "dup bad fd: EBADF");
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    CHECK(hi >= 100, "F_DUPFD_CLOEXEC honours minimum fd");
    CHECK_EQ(fcntl(hi, F_GETFD), FD_CLOEXEC, "F_DUPFD_CLOEXEC sets cloexec");
    int lo = fcntl(fd, F_DUPFD, 60);
    CHECK(lo >= 60 && fcntl(lo, F_GETFD) == 0, "F_DUPFD");
    CHECK_OK(fcntl(lo, F_SETFD, FD_CLOEXEC), "F_SETFD");
    CHECK_EQ(fcntl(lo, F_GETFD), FD_CLOEXEC, "F_GETFD after F_SETFD");

    int fl = fcntl(fd, F_GETFL);
    CHECKF((fl & O_ACCMODE) == O_RDWR && !(fl & O_NONBLOCK), "F_GETFL O_RDWR",
           "%#x", fl);
    CHECK_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK), "F_SETFL O_NONBLOCK");
    CHECK(fcntl(d, F_GETFL) & O_NONBLOCK,
          "status flags shared with dup'ed fd");
    CHECK_OK(fcntl(fd, F_SETFL, fl), "F_SETFL clear");

    /* Lowest free descriptor is reused. */
    close(d);
    int again = open("fdt", O_RDONLY);
    CHECK_EQ(again, d, "open returns the lowest free fd");
    close(again), close(50), close(51), close(hi), close(lo);
    CHECK_ERR(fcntl(50, F_GETFD), EBADF, "closed fd: EBADF");
    CHECK(!isatty(fd) && errno == ENOTTY, "isatty on file: ENOTTY");
    close(fd);
    unlink("fdt");
}

static void test_cwd(void)
{
    char buf[PATH_MAX];
    CHECK(getcwd(buf, sizeof buf) && !strcmp(buf, workdir),
          "getcwd is the work dir");
    mkdir("sub", 0755);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK_OK(chdir("sub"), "chdir sub");
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/sub", workdir);
    CHECKF(getcwd(buf, sizeof buf) && !strcmp(buf, want), "getcwd after chdir",
           "'%s'", buf);
    write_file("../viaparent", "v", 0644);
    CHECK_OK(fchdir(dfd), "fchdir back");
    CHECK(file_is("viaparent", "v") && file_is("sub/../viaparent", "v") &&
              file_is("./sub/./../viaparent", "v"),
          ". and .. in paths");
    CHECK_ERR(chdir("viaparent"), ENOTDIR, "chdir to file: ENOTDIR");
    CHECK_ERR(chdir("nowhere"), ENOENT, "chdir missing: ENOENT");
    int ffd = open("viaparent", O_RDONLY);
    CHECK_ERR(fchdir(ffd), ENOTDIR, "fchdir to file: ENOTDIR");
    close(ffd);
    CHECK(getcwd(buf, 3) == NULL && errno == ERANGE, "getcwd too small: ERANGE");
    chdir("/");
    CHECK(getcwd(buf, sizeof buf) && !strcmp(buf, "/"), "getcwd at /");
    CHECK_OK(chdir(".."), "chdir .. at / stays at /");
    CHECK(getcwd(buf, sizeof buf) && !strcmp(buf, "/"), ".. of / is /");
    fchdir(dfd);
    close(dfd);
    unlink("viaparent");
    rmdir("sub");
}

static void test_at_variants(void)
{
    mkdir("at", 0755);
    int dfd = open("at", O_RDONLY | O_DIRECTORY);
    if (!CHECK(dfd >= 0, "open dirfd"))
        return;
    int fd = openat(dfd, "f", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && access("at/f", F_OK) == 0, "openat creates in dirfd");
    (void)!write(fd, "abc", 3);
    close(fd);
    struct stat st;
    CHECK(fstatat(dfd, "f", &st, 0) == 0 && st.st_size == 3, "fstatat");
    CHECK_OK(mkdirat(dfd, "sd", 0755), "mkdirat");
    CHECK_OK(symlinkat("f", dfd, "sl"), "symlinkat");
    char lb[16] = {0};
    CHECK(readlinkat(dfd, "sl", lb, sizeof lb) == 1 && lb[0] == 'f',
          "readlinkat");
    CHECK(fstatat(dfd, "sl", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISLNK(st.st_mode),
          "fstatat AT_SYMLINK_NOFOLLOW");
    CHECK_OK(linkat(dfd, "f", dfd, "sd/hard", 0), "linkat");
    CHECK_OK(renameat(dfd, "sd/hard", AT_FDCWD, "moved"), "renameat");
    CHECK(file_is("moved", "abc"), "renameat to AT_FDCWD");
    CHECK_OK(faccessat(dfd, "f", R_OK, 0), "faccessat");
    CHECK_OK(fchmodat(dfd, "f", 0600, 0), "fchmodat");
    stat("at/f", &st);
    CHECK_EQ(st.st_mode & 0777, 0600, "fchmodat mode");
    CHECK_ERR(unlinkat(dfd, "sd", 0), EISDIR, "unlinkat dir w/o flag");
    CHECK_OK(unlinkat(dfd, "sd", AT_REMOVEDIR), "unlinkat AT_REMOVEDIR");
    CHECK_ERR(unlinkat(dfd, "f", AT_REMOVEDIR), ENOTDIR,
              "unlinkat AT_REMOVEDIR on file: ENOTDIR");
    int filefd = open("moved", O_RDONLY);
    CHECK_ERR(openat(filefd, "x", O_RDONLY), ENOTDIR,
              "openat with a file as dirfd: ENOTDIR");
    CHECK_ERR(openat(12345, "x", O_RDONLY), EBADF, "openat bad dirfd: EBADF");
    fd = openat(12345, workdir, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "absolute path ignores dirfd");
    if (fd >= 0)
        close(fd);
    close(filefd);
    unlink("moved");
    /* dirfd stays valid after the directory is renamed. */
    rename("at", "at_renamed");
    CHECK(fstatat(dfd, "f", &st, 0) == 0, "dirfd follows renamed directory");
    close(dfd);
    remove_tree("at_renamed");
}

static void test_devices(void)
{
    char buf[64];
    int fd = open("/dev/null", O_RDWR);
    if (CHECK(fd >= 0, "open /dev/null")) {
        CHECK_EQ(write(fd, "xyz", 3), 3, "/dev/null swallows writes");
        CHECK_EQ(read(fd, buf, sizeof buf), 0, "/dev/null reads EOF");
        struct stat st;
        fstat(fd, &st);
        CHECK(S_ISCHR(st.st_mode), "/dev/null is a char device");
        close(fd);
    }
    fd = open("/dev/zero", O_RDONLY);
    if (CHECK(fd >= 0, "open /dev/zero")) {
        memset(buf, 0xff, sizeof buf);
        int zero = read(fd, buf, sizeof buf) == sizeof buf;
        for (size_t i = 0; i < sizeof buf; i++)
            zero &= buf[i] == 0;
        CHECK(zero, "/dev/zero reads zeroes");
        close(fd);
    }
    fd = open("/dev/full", O_RDWR);
    if (CHECK(fd >= 0, "open /dev/full")) {
        CHECK_ERR(write(fd, "x", 1), ENOSPC, "/dev/full write: ENOSPC");
        CHECK_EQ(read(fd, buf, 8), 8, "/dev/full reads like /dev/zero");
        close(fd);
    }
    fd = open("/dev/urandom", O_RDONLY);
    if (CHECK(fd >= 0, "open /dev/urandom")) {
        unsigned char a[32], b[32];
        int ok = read(fd, a, sizeof a) == sizeof a &&
                 read(fd, b, sizeof b) == sizeof b;
        int nonzero = 0;
        for (size_t i = 0; i < sizeof a; i++)
            nonzero |= a[i];
        CHECK(ok && nonzero && memcmp(a, b, sizeof a) != 0,
              "/dev/urandom gives varying bytes");
        close(fd);
    }
}

/* ---- pipes ---- */

static void test_pipe_basic(void)
{
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    struct stat st;
    fstat(p[0], &st);
    CHECK(S_ISFIFO(st.st_mode), "pipe fstat: S_ISFIFO");
    CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE, "lseek on pipe: ESPIPE");
    CHECK_ERR(write(p[0], "x", 1), EBADF, "write to read end: EBADF");
    (void)!write(p[1], "hello", 5);
    int avail = -1;
    CHECK(ioctl(p[0], FIONREAD, &avail) == 0 && avail == 5,
          "FIONREAD counts buffered bytes");
    char buf[16];
    CHECK_EQ(read(p[0], buf, sizeof buf), 5, "read returns what's there");

    /* EOF only when every writer (incl. a child's copy) is closed. */
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        (void)!write(p[1], "late", 4);
        _exit(0);
    }
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof buf);
    CHECK_EQ(n, 4, "read waits for the child's write");
    CHECK_EQ(read(p[0], buf, sizeof buf), 0, "EOF after all writers close");
    check_child(pid, "writer child");
    close(p[0]);

    CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK), "pipe2");
    CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC && (fcntl(p[1], F_GETFL) &
                                                 O_NONBLOCK),
          "pipe2 flags applied to both ends");
    CHECK_ERR(read(p[0], buf, 1), EAGAIN, "empty O_NONBLOCK pipe: EAGAIN");
    /* Fill it: capacity is at least PIPE_BUF (Linux: 64 KiB). */
    static char chunk[1024];
    long cap = 0;
    for (;;) {
        ssize_t w = write(p[1], chunk, sizeof chunk);
        if (w < 0)
            break;
        cap += w;
        if (cap > (16 << 20))
            break;
    }
    CHECK_EQ(errno, EAGAIN, "full O_NONBLOCK pipe: EAGAIN");
    CHECKF(cap >= 4096 && cap <= (1 << 20), "pipe capacity sane",
           "%ld bytes", cap);
    check_note("pipe capacity %ld bytes (Linux: 65536)", cap);
    (void)!read(p[0], chunk, 100); /* 100 bytes free now */
    CHECK_ERR(write(p[1], chunk, 200), EAGAIN,
              "O_NONBLOCK write <= PIPE_BUF without room: EAGAIN (atomic)");
    close(p[0]);
    close(p[1]);
}

/* Several writers, each writing PIPE_BUF-sized records of one byte value:
 * records must never interleave. */
static void test_pipe_atomic(void)
{
    enum { WRITERS = 4, RECORDS = 40 };
    int p[2];
    if (pipe(p) != 0)
        return;
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            static char rec[PIPE_BUF];
            memset(rec, 'A' + w, sizeof rec);
            close(p[0]);
            for (int i = 0; i < RECORDS; i++)
                if (write(p[1], rec, sizeof rec) != sizeof rec)
                    _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    static char rec[PIPE_BUF];
    int counts[WRITERS] = {0}, torn = 0, records = 0;
    for (;;) {
        size_t got = 0;
        while (got < sizeof rec) {
            ssize_t n = read(p[0], rec + got, sizeof rec - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got == 0)
            break;
        records++;
        int w = rec[0] - 'A';
        int same = got == sizeof rec && w >= 0 && w < WRITERS;
        for (size_t i = 1; same && i < sizeof rec; i++)
            same = rec[i] == rec[0];
        if (same)
            counts[w]++;
        else
            torn++;
    }
    close(p[0]);
    for (int w = 0; w < WRITERS; w++)
        check_child(pids[w], "pipe writer");
    int all = 1;
    for (int w = 0; w < WRITERS; w++)
        all &= counts[w] == RECORDS;
    CHECKF(torn == 0 && all && records == WRITERS * RECORDS,
           "PIPE_BUF writes from 4 processes never interleave",
           "records=%d torn=%d", records, torn);
}

static void test_poll_select(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    int r = poll(pf, 2, 0);
    CHECK(r == 1 && pf[0].revents == 0 && (pf[1].revents & POLLOUT),
          "poll: empty pipe not readable, writable");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = poll(pf, 1, 100);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    CHECKF(r == 0 && ms >= 95, "poll timeout 100 ms", "r=%d %.1f ms", r, ms);

    (void)!write(p[1], "x", 1);
    r = poll(pf, 1, 0);
    CHECK(r == 1 && (pf[0].revents & POLLIN), "poll: POLLIN after write");

    /* A child writes later; poll with infinite timeout wakes up. */
    char c;
    (void)!read(p[0], &c, 1);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        _exit(write(p[1], "y", 1) == 1 ? 0 : 1);
    }
    r = poll(pf, 1, -1);
    CHECK(r == 1 && (pf[0].revents & POLLIN), "poll blocks until data");
    check_child(pid, "poll writer child");
    (void)!read(p[0], &c, 1);

    /* ppoll with a timeout and mask. */
    sigset_t mask;
    sigemptyset(&mask);
    struct timespec pts = {0, 20 * 1000 * 1000};
    CHECK_EQ(ppoll(pf, 1, &pts, &mask), 0, "ppoll times out");

    /* select */
    fd_set rfds, wfds;
    FD_ZERO(&rfds);
    FD_ZERO(&wfds);
    FD_SET(p[0], &rfds);
    FD_SET(p[1], &wfds);
    struct timeval tv = {0, 0};
    r = select(p[1] + 1, &rfds, &wfds, NULL, &tv);
    CHECK(r == 1 && !FD_ISSET(p[0], &rfds) && FD_ISSET(p[1], &wfds),
          "select: only write end ready");
    (void)!write(p[1], "z", 1);
    FD_ZERO(&rfds);
    FD_SET(p[0], &rfds);
    tv = (struct timeval){1, 0};
    r = select(p[0] + 1, &rfds, NULL, NULL, &tv);
    CHECK(r == 1 && FD_ISSET(p[0], &rfds), "select: read end ready");
    FD_ZERO(&rfds);
    tv = (struct timeval){0, 30000};
    CHECK_EQ(select(0, NULL, NULL, NULL, &tv), 0, "select as a 30 ms sleep");
    struct timespec ps = {0, 1000};
    CHECK_EQ(pselect(0, NULL, NULL, NULL, &ps, &mask), 0, "pselect timeout");

    /* Hang-up and error conditions. */
    close(p[1]);
    pf[0].events = POLLIN;
    r = poll(pf, 1, 0);
    CHECK(r == 1 && (pf[0].revents & POLLIN), "poll: data still readable");
    (void)!read(p[0], &c, 1);
    r = poll(pf, 1, 0);
    CHECKF(r == 1 && (pf[0].revents & POLLHUP),
           "poll: POLLHUP once writers are gone", "revents=%#x",
           pf[0].revents);
    int q[2];
    if (pipe(q) == 0) {
        close(q[0]);
        struct pollfd w = {q[1], POLLOUT, 0};
        r = poll(&w, 1, 0);
        CHECKF(r == 1 && (w.revents & POLLERR),
               "poll: POLLERR on write end without readers", "revents=%#x",
               w.revents);
        close(q[1]);
    }
    struct pollfd bad = {12345, POLLIN, 0};
    r = poll(&bad, 1, 0);
    CHECK(r == 1 && bad.revents == POLLNVAL, "poll bad fd: POLLNVAL");
    struct pollfd neg = {-1, POLLIN, 0};
    CHECK(poll(&neg, 1, 0) == 0 && neg.revents == 0,
          "poll ignores negative fd");
    close(p[0]);
}

static void test_fifo(void)
{
    CHECK_OK(mkfifo("fifo", 0644), "mkfifo");
    struct stat st;
    stat("fifo", &st);
    CHECK(S_ISFIFO(st.st_mode), "fifo stat: S_ISFIFO");
    CHECK_ERR(open("fifo", O_WRONLY | O_NONBLOCK), ENXIO,
              "O_WRONLY|O_NONBLOCK fifo without reader: ENXIO");
    int r = open("fifo", O_RDONLY | O_NONBLOCK);
    CHECK(r >= 0, "O_RDONLY|O_NONBLOCK fifo opens at once");
    int w = open("fifo", O_WRONLY);
    CHECK(w >= 0, "writer opens once a reader exists");
    char buf[8] = {0};
    CHECK(write(w, "fifo", 4) == 4 && read(r, buf, 8) == 4 &&
              !memcmp(buf, "fifo", 4),
          "data through fifo");
    close(w);
    close(r);
    unlink("fifo");
}

/* statx(2) through the raw call (musl 1.2.3 has no wrapper): the basic fields agree with
 * fstatat's, and a bad flag is EINVAL. The layout is Linux's struct statx. */
struct raw_statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, spare0;
    uint64_t ino, size, blocks, attributes_mask;
    struct { int64_t sec; uint32_t nsec; int32_t reserved; } atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare2[14];
};

static void test_statx(void)
{
    int fd = open("statx.txt", O_WRONLY | O_CREAT | O_TRUNC, 0640);
    CHECK(fd >= 0 && write(fd, "twelve bytes", 12) == 12, "create statx.txt");
    close(fd);
    struct stat st;
    struct raw_statx sx;
    memset(&sx, 0, sizeof sx);
    CHECK_OK(stat("statx.txt", &st), "stat statx.txt");
    CHECK_OK(syscall(SYS_statx, AT_FDCWD, "statx.txt", 0, 0x7ff, &sx), "statx statx.txt");
    CHECK((sx.mask & 0x7ff) == 0x7ff, "statx returns the basic fields");
    CHECK(sx.size == 12 && sx.ino == st.st_ino && sx.mode == st.st_mode &&
              sx.nlink == st.st_nlink && sx.uid == st.st_uid && sx.gid == st.st_gid &&
              sx.mtime.sec == st.st_mtim.tv_sec && sx.mtime.nsec == st.st_mtim.tv_nsec &&
              makedev(sx.dev_major, sx.dev_minor) == st.st_dev,
          "statx agrees with stat");
    CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "statx.txt", 0x40000000, 0x7ff, &sx), EINVAL,
              "statx with an unknown flag: EINVAL");
    unlink("statx.txt");
}

/* statfs's f_flags are ST_* bits, which differ from the MS_* mount flags for relatime. */
static void test_statfs_flags(void)
{
    CHECK_OK(mkdir("mnt", 0755), "mkdir mnt");
    CHECK_OK(mount("tmpfs", "mnt", "tmpfs", MS_NOSUID | MS_NODEV | MS_RELATIME, "size=1m"),
             "mount tmpfs nosuid,nodev,relatime");
    struct statvfs sv;
    CHECK_OK(statvfs("mnt", &sv), "statvfs mnt");
    CHECKF((sv.f_flag & (ST_NOSUID | ST_NODEV | ST_RELATIME)) ==
               (ST_NOSUID | ST_NODEV | ST_RELATIME),
           "statvfs f_flag has ST_NOSUID|ST_NODEV|ST_RELATIME", "f_flag %#lx", sv.f_flag);
    CHECKF(!(sv.f_flag & (MS_RELATIME | ST_RDONLY)), "no MS_RELATIME bit, not read-only",
           "f_flag %#lx", sv.f_flag);
    CHECK_OK(umount("mnt"), "umount mnt");
    rmdir("mnt");
}

/* The kernel's user copies at every relative alignment of user buffer and kernel memory
 * (file offsets move the kernel side): words merged from two aligned loads when the two
 * alignments differ. A copy that runs into an unmapped page stops there. */
static void test_copy_alignments(void)
{
    static unsigned char pattern[8192], back[8192];
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (unsigned char)(i * 131 + (i >> 8) + 7);
    int fd = open("align", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (!CHECK(fd >= 0, "create align"))
        return;
    static const size_t lens[] = { 1, 7, 15, 16, 17, 63, 100, 4096 + 13 };
    int bad = 0;
    for (int uoff = 0; uoff < 8; uoff++)
        for (int foff = 0; foff < 8; foff++)
            for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                size_t n = lens[l];
                memset(back, 0xee, sizeof back);
                if (pwrite(fd, pattern + uoff, n, foff) != (ssize_t)n ||
                    pread(fd, back + (7 - uoff), n, foff) != (ssize_t)n ||
                    memcmp(back + (7 - uoff), pattern + uoff, n) != 0 ||
                    back[7 - uoff + n] != 0xee || (uoff < 7 && back[6 - uoff] != 0xee))
                    bad++;
            }
    CHECKF(bad == 0, "write/read at every user and file alignment", "%d bad", bad);

    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            -1, 0);
    if (CHECK(m != MAP_FAILED && mprotect(m + pg, pg, PROT_NONE) == 0, "a page, then none") &&
        CHECK(pwrite(fd, pattern, 256, 0) == 256, "rewrite the file's start")) {
        /* 40 bytes before the hole, 3 bytes off the file's alignment. Linux copies the 40
         * and returns them; EFAULT (nothing returned) is allowed too. */
        unsigned char *dst = m + pg - 40;
        ssize_t r = pread(fd, dst, 64, 5);
        CHECKF((r == -1 && errno == EFAULT) ||
               (r > 0 && r <= 40 && memcmp(dst, pattern + 5, (size_t)r) == 0),
               "a read running into an unmapped page stops there", "returned %zd", r);
        munmap(m, 2 * pg);
    }
    close(fd);
    unlink("align");
}

int main(void)
{
    check_begin("files");
    snprintf(workdir, sizeof workdir, "/tmp/openv_files.%d", (int)getpid());
    remove_tree(workdir);
    if (!CHECK(mkdir(workdir, 0755) == 0 && chdir(workdir) == 0,
               "create and enter work dir"))
        return check_done();
    umask(022);
    /* SIGPIPE would kill us in the pipe tests' error paths. */
    signal(SIGPIPE, SIG_IGN);

    test_rw_seek();
    test_open_flags();
    test_stat_links();
    test_dirs();
    test_rename();
    test_attrs();
    test_umask();
    test_fds();
    test_cwd();
    test_at_variants();
    test_devices();
    test_pipe_basic();
    test_pipe_atomic();
    test_poll_select();
    test_fifo();
    test_statx();
    test_statfs_flags();
    test_copy_alignments();

    chdir("/");
    remove_tree(workdir);
    return check_done();
}
