/* What the VFS host tests (test_vfs, test_procfs, test_sysfs) share: the system calls they
 * call directly with host pointers standing in for user addresses, the stat buffer, booting
 * the VFS once, and reading files and directories whole. Include after <cmocka.h> and fs.h.
 *
 * FS_TEST_READ_CHUNK and FS_TEST_DIRENT_BUF (define them before including) set how small the
 * reads of slurp() and list_dir() are, so that each test exercises continuation its way. */
#pragma once

extern struct task host_task;

#define SYS(name) long sys_##name(long, long, long, long, long, long)
SYS(openat); SYS(close); SYS(read); SYS(write); SYS(lseek); SYS(mkdirat); SYS(unlinkat);
SYS(symlinkat); SYS(linkat); SYS(renameat2); SYS(readlinkat); SYS(newfstatat); SYS(fstat);
SYS(getdents64); SYS(chdir); SYS(getcwd); SYS(pipe2); SYS(mount); SYS(umount2); SYS(dup3);
SYS(fcntl); SYS(ftruncate); SYS(pread64); SYS(mknodat); SYS(fchmodat); SYS(faccessat);
SYS(statfs); SYS(ppoll); SYS(umask); SYS(dup);

#define L(x) ((long)(uintptr_t)(x))

static inline long sclose(long fd) { return sys_close(fd, 0, 0, 0, 0, 0); }

struct kst { uint64_t dev, ino; uint32_t mode, nlink, uid, gid; uint64_t rdev, pad; int64_t size; int32_t blksize, pad2; int64_t blocks; int64_t t[6]; uint32_t u[2]; };
static inline long sstat(const char *p, struct kst *st, int flags) { return sys_newfstatat(AT_FDCWD, L(p), L(st), flags, 0, 0); }

/* The VFS and a task with files and a root, once per test program; then, if fstype is
 * given, that filesystem mounted on a new directory `dir`. */
static inline void host_vfs_boot(const char *fstype, const char *dir)
{
    vfs_init();
    host_task.files = files_new();
    host_task.fs = fs_struct_new_root();
    host_task.tgid = host_task.tid = 1;
    if (fstype) {
        assert_int_equal(sys_mkdirat(AT_FDCWD, L(dir), 0555, 0, 0, 0), 0);
        assert_int_equal(sys_mount(L(fstype), L(dir), L(fstype), 0, 0, 0), 0);
    }
}

#ifdef FS_TEST_READ_CHUNK
/* The whole file in reads of FS_TEST_READ_CHUNK bytes, NUL-terminated; its length or -errno. */
static inline long slurp(const char *path, char *buf, size_t size)
{
    long fd = sys_openat(AT_FDCWD, L(path), O_RDONLY, 0, 0, 0);
    if (fd < 0)
        return fd;
    size_t len = 0;
    for (;;) {
        long n = sys_read(fd, L(buf + len), FS_TEST_READ_CHUNK, 0, 0, 0);
        if (n < 0) {
            sclose(fd);
            return n;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        assert_true(len + FS_TEST_READ_CHUNK + 1 < size);
    }
    buf[len] = 0;
    sclose(fd);
    return (long)len;
}
#endif

#ifdef FS_TEST_DIRENT_BUF
/* Names in a directory, space-separated (without . and ..), read FS_TEST_DIRENT_BUF bytes of
 * records at a time. */
static inline void list_dir(const char *path, char *out, size_t size)
{
    long fd = sys_openat(AT_FDCWD, L(path), O_RDONLY | O_DIRECTORY, 0, 0, 0);
    assert_true(fd >= 0);
    char buf[FS_TEST_DIRENT_BUF];
    out[0] = 0;
    for (;;) {
        long n = sys_getdents64(fd, L(buf), sizeof buf, 0, 0, 0);   /* several calls */
        assert_true(n >= 0);
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            uint16_t reclen;
            memcpy(&reclen, buf + off + 16, 2);
            const char *name = buf + off + 19;
            if (strcmp(name, ".") && strcmp(name, "..")) {
                strlcpy(out + strlen(out), name, size - strlen(out));
                strlcpy(out + strlen(out), " ", size - strlen(out));
            }
            off += reclen;
        }
    }
    sclose(fd);
}
#endif
