/* The VFS (every kernel/fs file) run in a host process over host_stubs.c: system calls are called
 * directly with host pointers standing in for user addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#undef RENAME_NOREPLACE
#undef RENAME_EXCHANGE
#undef RENAME_WHITEOUT
#include "fs.h"
#include "uapi/statfs.h"
#include "string.h"
char *strstr(const char *haystack, const char *needle);

extern int host_last_signal;

#include "host_syscalls.h"

static long sopen(const char *p, int flags, int mode) { return sys_openat(AT_FDCWD, L(p), flags, mode, 0, 0); }
static long swrite(long fd, const void *b, size_t n) { return sys_write(fd, L(b), (long)n, 0, 0, 0); }
static long sread(long fd, void *b, size_t n) { return sys_read(fd, L(b), (long)n, 0, 0, 0); }
static long smkdir(const char *p, int mode) { return sys_mkdirat(AT_FDCWD, L(p), mode, 0, 0, 0); }
static long sunlink(const char *p, int flags) { return sys_unlinkat(AT_FDCWD, L(p), flags, 0, 0, 0); }
static long ssymlink(const char *t, const char *p) { return sys_symlinkat(L(t), AT_FDCWD, L(p), 0, 0, 0); }
static long srename(const char *a, const char *b, int fl) { return sys_renameat2(AT_FDCWD, L(a), AT_FDCWD, L(b), fl, 0); }


static int setup(void **state)
{
    (void)state;
    static bool booted;
    if (!booted) {
        host_vfs_boot(NULL, NULL);
        booted = true;
    }
    host_task.cred = (struct cred){ 0 };
    return 0;
}

static void test_file_basics(void **state)
{
    (void)state;
    long fd = sopen("/hello", O_CREAT | O_RDWR | O_EXCL, 0644);
    assert_true(fd >= 0);
    assert_int_equal(swrite(fd, "hello world", 11), 11);
    assert_int_equal(sys_lseek(fd, 0, 0, 0, 0, 0), 0);
    char buf[32] = { 0 };
    assert_int_equal(sread(fd, buf, sizeof buf), 11);
    assert_string_equal(buf, "hello world");
    assert_int_equal(sread(fd, buf, sizeof buf), 0);
    struct kst st;
    assert_int_equal(sys_fstat(fd, L(&st), 0, 0, 0, 0), 0);
    assert_int_equal(st.size, 11);
    assert_int_equal(st.mode, S_IFREG | 0644);
    assert_int_equal(st.nlink, 1);
    assert_int_equal(sopen("/hello", O_CREAT | O_EXCL | O_RDWR, 0644), -EEXIST);
    /* sparse write far away */
    assert_int_equal(sys_pread64(fd, L(buf), 4, 6, 0, 0), 4);
    assert_memory_equal(buf, "worl", 4);
    assert_int_equal(sys_lseek(fd, 10 << 20, 0, 0, 0, 0), 10 << 20);
    assert_int_equal(swrite(fd, "X", 1), 1);
    assert_int_equal(sys_fstat(fd, L(&st), 0, 0, 0, 0), 0);
    assert_int_equal(st.size, (10 << 20) + 1);
    assert_int_equal(sys_pread64(fd, L(buf), 4, 5 << 20, 0, 0), 4);
    assert_memory_equal(buf, "\0\0\0\0", 4);
    assert_int_equal(sys_ftruncate(fd, 3, 0, 0, 0, 0), 0);
    assert_int_equal(sys_pread64(fd, L(buf), 32, 0, 0, 0), 3);
    assert_int_equal(sclose(fd), 0);
    assert_int_equal(sclose(fd), -EBADF);
    fd = sopen("/hello", O_RDWR | O_TRUNC, 0);
    assert_true(fd >= 0);
    assert_int_equal(sys_fstat(fd, L(&st), 0, 0, 0, 0), 0);
    assert_int_equal(st.size, 0);
    sclose(fd);
    assert_int_equal(sopen("/nonexistent", O_RDONLY, 0), -ENOENT);
    assert_int_equal(sopen("/hello/x", O_RDONLY, 0), -ENOTDIR);
    assert_int_equal(sopen("/hello/", O_RDONLY, 0), -ENOTDIR);
    assert_int_equal(sopen("/", O_WRONLY, 0), -EISDIR);
    assert_int_equal(sopen("/hello", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
    assert_int_equal(sunlink("/hello", 0), 0);
    assert_int_equal(sunlink("/hello", 0), -ENOENT);
}

static void test_dirs_and_cwd(void **state)
{
    (void)state;
    assert_int_equal(smkdir("/a", 0755), 0);
    assert_int_equal(smkdir("/a/b/", 0755), 0);
    assert_int_equal(smkdir("/a", 0755), -EEXIST);
    assert_int_equal(smkdir("/a/x/y", 0755), -ENOENT);
    struct kst st;
    assert_int_equal(sstat("/a", &st, 0), 0);
    assert_int_equal(st.nlink, 3);
    assert_int_equal(sys_chdir(L("/a/b"), 0, 0, 0, 0, 0), 0);
    char cwd[64];
    assert_int_equal(sys_getcwd(L(cwd), sizeof cwd, 0, 0, 0, 0), 5);
    assert_string_equal(cwd, "/a/b");
    assert_int_equal(sys_getcwd(L(cwd), 3, 0, 0, 0, 0), -ERANGE);
    long fd = sopen("../f", O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    sclose(fd);
    assert_int_equal(sstat("/a/f", &st, 0), 0);
    assert_int_equal(sstat("/../../a/./f", &st, 0), 0);
    assert_int_equal(sys_chdir(L("/"), 0, 0, 0, 0, 0), 0);
    assert_int_equal(sunlink("/a", AT_REMOVEDIR), -ENOTEMPTY);
    assert_int_equal(sunlink("/a/f", AT_REMOVEDIR), -ENOTDIR);
    assert_int_equal(sunlink("/a/b", 0), -EISDIR);
    assert_int_equal(sunlink("/a/b/.", AT_REMOVEDIR), -EINVAL);
    assert_int_equal(sunlink("/a/b", AT_REMOVEDIR), 0);
    assert_int_equal(sunlink("/a/f", 0), 0);
    assert_int_equal(sunlink("/a", AT_REMOVEDIR), 0);
}

static void test_symlinks(void **state)
{
    (void)state;
    smkdir("/s", 0755);
    long fd = sopen("/s/target", O_CREAT | O_WRONLY, 0644);
    swrite(fd, "T", 1);
    sclose(fd);
    assert_int_equal(ssymlink("target", "/s/l1"), 0);
    assert_int_equal(ssymlink("/s/l1", "/s/l2"), 0);
    assert_int_equal(ssymlink("loop2", "/s/loop1"), 0);
    assert_int_equal(ssymlink("loop1", "/s/loop2"), 0);
    assert_int_equal(ssymlink("/s", "/s/dirlink"), 0);
    char buf[16] = { 0 };
    fd = sopen("/s/l2", O_RDONLY, 0);
    assert_true(fd >= 0);
    assert_int_equal(sread(fd, buf, 16), 1);
    sclose(fd);
    assert_int_equal(sopen("/s/loop1", O_RDONLY, 0), -ELOOP);
    assert_int_equal(sopen("/s/l1", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
    struct kst st;
    assert_int_equal(sstat("/s/l1", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.mode & S_IFMT, S_IFLNK);
    assert_int_equal(sstat("/s/dirlink/dirlink/dirlink/target", &st, 0), 0);
    assert_int_equal(sys_readlinkat(AT_FDCWD, L("/s/l2"), L(buf), sizeof buf, 0, 0), 5);
    assert_memory_equal(buf, "/s/l1", 5);
    assert_int_equal(sys_readlinkat(AT_FDCWD, L("/s/target"), L(buf), sizeof buf, 0, 0), -EINVAL);
    assert_int_equal(sstat("/s/dirlink/", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.mode & S_IFMT, S_IFDIR);
    /* O_CREAT through a symlink creates nothing new but opens the target */
    fd = sopen("/s/l1", O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    sclose(fd);
}

static void test_rename(void **state)
{
    (void)state;
    smkdir("/r", 0755);
    smkdir("/r/d1", 0755);
    smkdir("/r/d1/sub", 0755);
    smkdir("/r/empty", 0755);
    long fd = sopen("/r/f1", O_CREAT | O_WRONLY, 0644); sclose(fd);
    fd = sopen("/r/f2", O_CREAT | O_WRONLY, 0644); sclose(fd);
    assert_int_equal(srename("/r/d1", "/r/d1/sub/x", 0), -EINVAL);
    assert_int_equal(srename("/r/f1", "/r/f2", RENAME_NOREPLACE), -EEXIST);
    assert_int_equal(srename("/r/f1", "/r/empty", 0), -EISDIR);
    assert_int_equal(srename("/r/d1", "/r/f1", 0), -ENOTDIR);
    assert_int_equal(srename("/r/d1", "/r/empty", 0), 0);      /* replaces the empty dir */
    struct kst st;
    assert_int_equal(sstat("/r/empty/sub", &st, 0), 0);
    assert_int_equal(sstat("/r/d1", &st, 0), -ENOENT);
    assert_int_equal(srename("/r/f1", "/r/f2", 0), 0);
    assert_int_equal(sstat("/r/f1", &st, 0), -ENOENT);
    assert_int_equal(srename("/r/f2", "/r/empty/sub/f", 0), 0);
    /* exchanging with an ancestor of the other is EINVAL, as in Linux */
    assert_int_equal(srename("/r/empty/sub/f", "/r/empty", RENAME_EXCHANGE), -EINVAL);
    smkdir("/r/g", 0755);
    smkdir("/r/g/inner", 0755);
    assert_int_equal(srename("/r/empty/sub/f", "/r/g", RENAME_EXCHANGE), 0);
    assert_int_equal(sstat("/r/g", &st, 0), 0);
    assert_int_equal(st.mode & S_IFMT, S_IFREG);
    assert_int_equal(sstat("/r/empty/sub/f/inner", &st, 0), 0);
    assert_int_equal(sstat("/r", &st, 0), 0);
    assert_int_equal(st.nlink, 3);      /* ., .., and empty */
    assert_int_equal(srename("/r/x", "/r/y", 0), -ENOENT);
    assert_int_equal(srename("/r/empty", "/r/empty", 0), 0);
}

static void test_links_and_readdir(void **state)
{
    (void)state;
    smkdir("/h", 0755);
    long fd = sopen("/h/a", O_CREAT | O_WRONLY, 0644); sclose(fd);
    assert_int_equal(sys_linkat(AT_FDCWD, L("/h/a"), AT_FDCWD, L("/h/b"), 0, 0), 0);
    assert_int_equal(sys_linkat(AT_FDCWD, L("/h"), AT_FDCWD, L("/h/c"), 0, 0), -EPERM);
    struct kst st;
    sstat("/h/b", &st, 0);
    assert_int_equal(st.nlink, 2);
    fd = sopen("/h", O_RDONLY | O_DIRECTORY, 0);
    assert_true(fd >= 0);
    char buf[4096];
    long n = sys_getdents64(fd, L(buf), sizeof buf, 0, 0, 0);
    assert_true(n > 0);
    int count = 0;
    char names[8][16];
    for (long off = 0; off < n;) {
        uint16_t reclen;
        memcpy(&reclen, buf + off + 16, 2);
        assert_int_equal(reclen % 8, 0);
        strlcpy(names[count++], buf + off + 19, sizeof names[0]);
        off += reclen;
    }
    assert_int_equal(count, 4);
    assert_string_equal(names[0], ".");
    assert_string_equal(names[1], "..");
    assert_string_equal(names[2], "a");
    assert_string_equal(names[3], "b");
    assert_int_equal(sys_getdents64(fd, L(buf), sizeof buf, 0, 0, 0), 0);
    /* tiny buffer: EINVAL */
    sys_lseek(fd, 0, 0, 0, 0, 0);
    assert_int_equal(sys_getdents64(fd, L(buf), 8, 0, 0, 0), -EINVAL);
    sclose(fd);
}

static void test_pipes(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(sys_pipe2(L(fds), O_NONBLOCK, 0, 0, 0, 0), 0);
    char buf[8];
    assert_int_equal(sread(fds[0], buf, 8), -EAGAIN);
    assert_int_equal(swrite(fds[1], "abc", 3), 3);
    struct { int fd; short ev, rev; } pfd = { fds[0], POLLIN, 0 };
    struct kernel_timespec zero = { 0, 0 };
    assert_int_equal(sys_ppoll(L(&pfd), 1, L(&zero), 0, 0, 0), 1);
    assert_int_equal(pfd.rev, POLLIN);
    assert_int_equal(sread(fds[0], buf, 8), 3);
    /* fill to 64 KiB */
    static char big[70000];
    assert_int_equal(swrite(fds[1], big, sizeof big), 65536);
    assert_int_equal(swrite(fds[1], "x", 1), -EAGAIN);
    assert_int_equal(sys_fcntl(fds[1], 1032, 0, 0, 0, 0), 65536);
    sclose(fds[1]);
    static char rb[70000];
    assert_int_equal(sread(fds[0], rb, sizeof rb), 65536);
    assert_int_equal(sread(fds[0], rb, 1), 0);   /* EOF */
    sclose(fds[0]);
    assert_int_equal(sys_pipe2(L(fds), 0, 0, 0, 0, 0), 0);
    sclose(fds[0]);
    host_last_signal = 0;
    assert_int_equal(swrite(fds[1], "x", 1), -EPIPE);
    assert_int_equal(host_last_signal, 13);
    sclose(fds[1]);
}

static void test_permissions(void **state)
{
    (void)state;
    smkdir("/p", 0700);
    long fd = sopen("/p/secret", O_CREAT | O_WRONLY, 0600); sclose(fd);
    fd = sopen("/pub", O_CREAT | O_WRONLY, 0644); sclose(fd);
    host_task.cred.fsuid = host_task.cred.uid = 1000;
    host_task.cred.fsgid = host_task.cred.gid = 1000;
    assert_int_equal(sopen("/p/secret", O_RDONLY, 0), -EACCES);
    assert_int_equal(sopen("/pub", O_WRONLY, 0), -EACCES);
    fd = sopen("/pub", O_RDONLY, 0);
    assert_true(fd >= 0);
    sclose(fd);
    assert_int_equal(smkdir("/nope", 0755), -EACCES);
    assert_int_equal(sys_faccessat(AT_FDCWD, L("/pub"), 2, 0, 0, 0), -EACCES);
    assert_int_equal(sys_faccessat(AT_FDCWD, L("/pub"), 4, 0, 0, 0), 0);
    assert_int_equal(sys_fchmodat(AT_FDCWD, L("/pub"), 0777, 0, 0, 0), -EPERM);
    host_task.cred = (struct cred){ 0 };
    /* root: read/write anything, exec only with an x bit */
    assert_int_equal(sys_faccessat(AT_FDCWD, L("/pub"), 1, 0, 0, 0), -EACCES);
    assert_int_equal(sys_faccessat(AT_FDCWD, L("/pub"), 6, 0, 0, 0), 0);
}

static void test_mounts_and_dev(void **state)
{
    (void)state;
    smkdir("/mnt", 0755);
    assert_int_equal(sys_mount(L("none"), L("/mnt"), L("tmpfs"), 0, 0, 0), 0);
    long fd = sopen("/mnt/inside", O_CREAT | O_WRONLY, 0644); sclose(fd);
    struct kst st, root;
    assert_int_equal(sstat("/mnt/inside", &st, 0), 0);
    sstat("/", &root, 0);
    assert_int_not_equal(st.dev, root.dev);
    assert_int_equal(sstat("/mnt/../mnt/inside", &st, 0), 0);
    assert_int_equal(sys_chdir(L("/mnt"), 0, 0, 0, 0, 0), 0);
    char cwd[64];
    sys_getcwd(L(cwd), sizeof cwd, 0, 0, 0, 0);
    assert_string_equal(cwd, "/mnt");
    assert_int_equal(sys_umount2(L("/mnt"), 0, 0, 0, 0, 0), -EBUSY);
    sys_chdir(L("/"), 0, 0, 0, 0, 0);
    char mounts[512];
    int n = vfs_mounts_show(mounts, sizeof mounts);
    assert_true(n > 0);
    assert_non_null(strstr(mounts, "none /mnt tmpfs rw"));
    assert_non_null(strstr(mounts, "devtmpfs /dev devtmpfs rw,nosuid"));
    assert_int_equal(sys_umount2(L("/mnt"), 0, 0, 0, 0, 0), 0);
    assert_int_equal(sstat("/mnt/inside", &st, 0), -ENOENT);
    struct { long type, bsize; } sfs;
    char sbuf[120];
    assert_int_equal(sys_statfs(L("/"), L(sbuf), 0, 0, 0, 0), 0);
    memcpy(&sfs, sbuf, sizeof sfs);
    assert_int_equal(sfs.type, TMPFS_MAGIC);
    /* /dev */
    fd = sopen("/dev/null", O_RDWR, 0);
    assert_true(fd >= 0);
    assert_int_equal(swrite(fd, "abc", 3), 3);
    char b[4] = "xyz";
    assert_int_equal(sread(fd, b, 4), 0);
    sclose(fd);
    fd = sopen("/dev/zero", O_RDONLY, 0);
    assert_int_equal(sread(fd, b, 4), 4);
    assert_memory_equal(b, "\0\0\0\0", 4);
    sclose(fd);
    assert_int_equal(sstat("/dev/stdin", &st, AT_SYMLINK_NOFOLLOW), 0);
    /* mknod a char device elsewhere reaches the same driver */
    assert_int_equal(sys_mknodat(AT_FDCWD, L("/mynull"), S_IFCHR | 0666, (1 << 8) | 3, 0, 0), 0);
    fd = sopen("/mynull", O_WRONLY, 0);
    assert_int_equal(swrite(fd, "abc", 3), 3);
    sclose(fd);
    assert_int_equal(sys_mknodat(AT_FDCWD, L("/fifo"), S_IFIFO | 0666, 0, 0, 0), 0);
    assert_int_equal(sopen("/fifo", O_WRONLY | O_NONBLOCK, 0), -ENXIO);
    long r = sopen("/fifo", O_RDONLY | O_NONBLOCK, 0);
    assert_true(r >= 0);
    long w = sopen("/fifo", O_WRONLY | O_NONBLOCK, 0);
    assert_true(w >= 0);
    assert_int_equal(swrite(w, "hi", 2), 2);
    assert_int_equal(sread(r, b, 4), 2);
    sclose(w);
    assert_int_equal(sread(r, b, 4), 0);
    sclose(r);
}

static void test_fds(void **state)
{
    (void)state;
    long fd = sopen("/", O_RDONLY, 0);
    assert_int_equal(sys_dup3(fd, 100, O_CLOEXEC, 0, 0, 0), 100);
    assert_int_equal(sys_fcntl(100, 1, 0, 0, 0, 0), 1);
    assert_int_equal(sys_dup3(fd, fd, 0, 0, 0, 0), -EINVAL);
    assert_int_equal(sys_fcntl(fd, 0, 50, 0, 0, 0), 50);
    assert_int_equal(sys_fcntl(fd, 3, 0, 0, 0, 0), O_RDONLY);
    sclose(50);
    sclose(100);
    sclose(fd);
    assert_int_equal(sys_dup(12345, 0, 0, 0, 0, 0), -EBADF);
}

static void test_initramfs(void **state)
{
    (void)state;
    FILE *f = fopen(UNIT_FIXTURES "/tree.newc", "rb");
    if (!f)
        skip();
    static char data[1 << 20];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    assert_int_equal(initramfs_unpack(data, n), 0);
    struct kst st;
    assert_int_equal(sstat("/etc/motd", &st, 0), 0);
    assert_int_equal(st.size, 17);
    assert_int_equal(sstat("/bin/motd-link", &st, 0), 0);
    assert_int_equal(sstat("/fifo", &st, 0), 0);
    assert_int_equal(st.mode & S_IFMT, S_IFIFO);
    assert_int_equal(sstat("/etc/init.d/rcS", &st, 0), 0);
    assert_int_equal(st.mode & 0777, 0755);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_file_basics, setup),
        cmocka_unit_test_setup(test_dirs_and_cwd, setup),
        cmocka_unit_test_setup(test_symlinks, setup),
        cmocka_unit_test_setup(test_rename, setup),
        cmocka_unit_test_setup(test_links_and_readdir, setup),
        cmocka_unit_test_setup(test_pipes, setup),
        cmocka_unit_test_setup(test_permissions, setup),
        cmocka_unit_test_setup(test_mounts_and_dev, setup),
        cmocka_unit_test_setup(test_fds, setup),
        cmocka_unit_test_setup(test_initramfs, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
