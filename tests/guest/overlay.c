/* overlay: the overlay filesystem as Linux's overlayfs behaves, on a scratch overlay whose
 * lower, upper and work directories are on one fresh tmpfs under /tmp: lookup and readdir
 * merge the layers, copy-up (data, mode, owner, times; parent directories) on write,
 * truncate, chmod, utimes and link; whiteouts (Linux's 0/0 character devices) for removed
 * lower entries; opaque re-created directories; rename of files (the write-then-rename
 * update BusyBox's passwd tools do), EXDEV for merged directories; what persists across a
 * remount. Validated natively on Linux as an ordinary user:
 *   gcc -std=c11 -D_GNU_SOURCE tests/guest/overlay.c -o overlay &&
 *   OVERLAY_EXTRA_OPTS=,userxattr unshare -rm ./overlay
 * (userxattr: an unprivileged Linux overlay keeps its opaque marks in user.* xattrs). */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/utsname.h>

static char base[64], lower[96], upper[96], work[96], merged[96], opts[400];

static const char *P(const char *dir, const char *name)
{
    static char bufs[4][256];
    static int i;
    char *b = bufs[i++ & 3];
    snprintf(b, 256, "%s/%s", dir, name);
    return b;
}

static void put(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0)
            perror("write");
        fchmod(fd, mode);
        close(fd);
    }
}

static int get(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return (int)n;
}

static int content_is(const char *path, const char *want)
{
    char buf[256];
    return get(path, buf, sizeof buf) >= 0 && !strcmp(buf, want);
}

/* The names in a directory, sorted, space-separated ("." and ".." left out). */
static const char *listing(const char *dir)
{
    static char out[512];
    char names[32][64];
    int n = 0;
    out[0] = 0;
    DIR *d = opendir(dir);
    if (!d)
        return "(opendir failed)";
    for (struct dirent *e; (e = readdir(d)) && n < 32;)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            snprintf(names[n++], 64, "%.63s", e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char t[64];
                memcpy(t, names[i], 64);
                memcpy(names[i], names[j], 64);
                memcpy(names[j], t, 64);
            }
    for (int i = 0; i < n; i++) {
        strcat(out, i ? " " : "");
        strcat(out, names[i]);
    }
    return out;
}

static int is_whiteout(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static int mount_overlay(void)
{
    return mount("overlay", merged, "overlay", 0, opts);
}

static void build_lower(void)
{
    put(P(lower, "a"), "lower-a", 0640);
    put(P(lower, "b"), "lower-b", 0644);
    put(P(lower, "passwd"), "root:x:0:0\n", 0644);
    put(P(lower, "link-me"), "shared", 0644);
    mkdir(P(lower, "d"), 0755);
    put(P(lower, "d/x"), "x", 0644);
    put(P(lower, "d/y"), "y", 0644);
    mkdir(P(lower, "e"), 0750);
    put(P(lower, "e/z"), "z", 0644);
    symlink("a", P(lower, "ln"));
    put(P(upper, "u"), "upper-u", 0600);
    put(P(upper, "b"), "upper-b", 0644);
    /* Old times on a, to see copy-up keep them. */
    struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
    utimes(P(lower, "a"), tv);
}

static void test_lookup_and_readdir(void)
{
    const char *l = listing(merged);
    CHECKF(!strcmp(l, "a b d e link-me ln passwd u"), "readdir merges upper over lower", "got '%s'", l);
    CHECK(content_is(P(merged, "b"), "upper-b"), "the upper file hides the lower one");
    CHECK(content_is(P(merged, "a"), "lower-a"), "a lower file reads through");
    char t[16] = { 0 };
    CHECK(readlink(P(merged, "ln"), t, sizeof t - 1) == 1 && t[0] == 'a', "a lower symlink reads");
    struct stat s1, s2;
    CHECK(stat(P(merged, "a"), &s1) == 0 && stat(P(merged, "a"), &s2) == 0 &&
          s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev, "st_dev/st_ino are stable");
    CHECK_EQ(s1.st_mode & 07777, 0640, "a lower file keeps its mode");
    l = listing(P(merged, "d"));
    CHECKF(!strcmp(l, "x y"), "a lower directory lists", "got '%s'", l);
}

static void test_copy_up(void)
{
    int fd = open(P(merged, "a"), O_WRONLY | O_APPEND);
    CHECK_OK(fd, "open a lower file for writing");
    CHECK_EQ(write(fd, "+up", 3), 3, "write to it");
    close(fd);
    CHECK(content_is(P(merged, "a"), "lower-a+up"), "the overlay shows the write");
    CHECK(content_is(P(lower, "a"), "lower-a"), "the lower file is untouched");
    CHECK(content_is(P(upper, "a"), "lower-a+up"), "the copy is in the upper directory");
    struct stat st;
    CHECK(stat(P(upper, "a"), &st) == 0 && (st.st_mode & 07777) == 0640,
          "copy-up keeps the mode");
    CHECK(st.st_uid == getuid(), "copy-up keeps the owner");

    /* chmod and utimes copy up too, and keep the data. */
    CHECK_OK(chmod(P(merged, "passwd"), 0600), "chmod a lower file");
    CHECK(stat(P(upper, "passwd"), &st) == 0 && (st.st_mode & 07777) == 0600,
          "chmod copies up with the new mode");
    CHECK(stat(P(lower, "passwd"), &st) == 0 && (st.st_mode & 07777) == 0644,
          "the lower mode is unchanged");
    CHECK(content_is(P(upper, "passwd"), "root:x:0:0\n"), "copy-up keeps the data");
    CHECK_OK(truncate(P(merged, "d/y"), 0), "truncate a file in a lower directory");
    CHECK(stat(P(upper, "d"), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755,
          "copy-up makes the parent directory, with its mode");
    CHECK(stat(P(upper, "d/y"), &st) == 0 && st.st_size == 0, "the truncated copy is empty");
    CHECK(content_is(P(lower, "d/y"), "y"), "the lower file keeps its data");
    struct stat lo;
    stat(P(lower, "e/z"), &lo);
    struct timeval tv[2] = { { 1200000000, 0 }, { 1200000000, 0 } };
    CHECK_OK(utimes(P(merged, "d/x"), tv), "utimes on a lower file");
    CHECK(stat(P(merged, "d/x"), &st) == 0 && st.st_mtime == 1200000000, "the new times show");
    CHECK(stat(P(lower, "d/x"), &st) == 0 && st.st_mtime != 1200000000, "the lower times stay");

    /* A hard link copies up its source: both names are then one upper inode. */
    struct stat s1, s2;
    CHECK_OK(link(P(merged, "link-me"), P(merged, "linked")), "link a lower file");
    /* (Linux shows the lower inode number for the first name and the upper one for the
     * second when it has no index: only the upper layer is compared.) */
    CHECK(stat(P(merged, "link-me"), &s1) == 0 && stat(P(merged, "linked"), &s2) == 0 &&
          s1.st_nlink == 2 && s2.st_nlink == 2, "both names count two links");
    CHECK(stat(P(upper, "link-me"), &s1) == 0 && stat(P(upper, "linked"), &s2) == 0 &&
          s1.st_ino == s2.st_ino, "both names are one upper file");
}

static void test_whiteouts_and_opaque(void)
{
    CHECK_OK(unlink(P(merged, "e/z")), "unlink a lower file");
    CHECK_ERR(access(P(merged, "e/z"), F_OK), ENOENT, "it is gone from the overlay");
    CHECK(is_whiteout(P(upper, "e/z")), "a 0/0 character device whiteout marks it");
    CHECK(content_is(P(lower, "e/z"), "z"), "the lower file is still there");
    const char *l = listing(P(merged, "e"));
    CHECKF(!strcmp(l, ""), "the whiteout hides it from readdir", "got '%s'", l);

    CHECK_ERR(rmdir(P(merged, "d")), ENOTEMPTY, "rmdir of a non-empty merged directory");
    CHECK_OK(rmdir(P(merged, "e")), "rmdir of a directory emptied by whiteouts");
    CHECK_ERR(access(P(merged, "e"), F_OK), ENOENT, "the directory is gone");
    CHECK(is_whiteout(P(upper, "e")), "a whiteout replaces it");
    CHECK_OK(mkdir(P(merged, "e"), 0700), "mkdir over the whiteout");
    l = listing(P(merged, "e"));
    CHECKF(!strcmp(l, ""), "the re-created directory is opaque", "got '%s'", l);
    CHECK_ERR(access(P(merged, "e/z"), F_OK), ENOENT, "lower entries stay hidden in it");

    CHECK_OK(unlink(P(merged, "u")), "unlink an upper-only file");
    CHECK_ERR(lstat(P(upper, "u"), &(struct stat){ 0 }), ENOENT, "it leaves no whiteout");
    CHECK_OK(unlink(P(merged, "b")), "unlink a file in both layers");
    CHECK(is_whiteout(P(upper, "b")), "the upper copy becomes a whiteout");
    CHECK_ERR(access(P(merged, "b"), F_OK), ENOENT, "the lower one stays hidden");
    put(P(merged, "b"), "new-b", 0644);
    CHECK(content_is(P(merged, "b"), "new-b"), "a file made over a whiteout shows");
}

static void test_rename(void)
{
    /* BusyBox passwd/adduser: write passwd+, rename it over passwd. */
    put(P(merged, "passwd+"), "root:x:0:0\nbob:x:1000:1000\n", 0644);
    CHECK_OK(rename(P(merged, "passwd+"), P(merged, "passwd")), "rename a new file over a lower one");
    CHECK(content_is(P(merged, "passwd"), "root:x:0:0\nbob:x:1000:1000\n"), "the new content shows");
    CHECK_ERR(access(P(merged, "passwd+"), F_OK), ENOENT, "the old name is gone");

    CHECK_OK(rename(P(merged, "d/x"), P(merged, "x2")), "rename a lower file elsewhere");
    CHECK_ERR(access(P(merged, "d/x"), F_OK), ENOENT, "its old name is gone");
    CHECK(is_whiteout(P(upper, "d/x")), "a whiteout hides the lower original");
    CHECK(content_is(P(merged, "x2"), "x"), "the new name has the data");
    CHECK(content_is(P(merged, "ln"), "lower-a+up"), "the symlink follows the copied-up target");

    CHECK_ERR(rename(P(merged, "d"), P(merged, "d2")), EXDEV, "a merged directory cannot move");
    CHECK_OK(mkdir(P(merged, "fresh"), 0755), "mkdir");
    put(P(merged, "fresh/f"), "f", 0644);
    CHECK_OK(rename(P(merged, "fresh"), P(merged, "fresh2")), "an upper-only directory moves");
    CHECK(content_is(P(merged, "fresh2/f"), "f"), "with its contents");
    const char *l = listing(merged);
    CHECKF(!strcmp(l, "a b d e fresh2 link-me linked ln passwd x2"), "readdir after the changes",
           "got '%s'", l);
}

static void test_remount(void)
{
    CHECK_OK(umount(merged), "umount");
    CHECK_OK(mount_overlay(), "mount again");
    const char *l = listing(merged);
    CHECKF(!strcmp(l, "a b d e fresh2 link-me linked ln passwd x2"),
           "everything persists in the upper layer", "got '%s'", l);
    CHECK(content_is(P(merged, "a"), "lower-a+up"), "copied-up data persists");
    CHECK_ERR(access(P(merged, "e/z"), F_OK), ENOENT, "the opaque directory stays opaque");
    l = listing(P(merged, "d"));
    CHECKF(!strcmp(l, "y"), "whiteouts persist", "got '%s'", l);
    l = listing(work);
    CHECKF(!strcmp(l, "") || !strcmp(l, "work"), "nothing is left in workdir", "got '%s'", l);
}

int main(void)
{
    check_begin("overlay");
    snprintf(base, sizeof base, "/tmp/overlay-test.%d", (int)getpid());
    snprintf(lower, sizeof lower, "%s/lower", base);
    snprintf(upper, sizeof upper, "%s/upper", base);
    snprintf(work, sizeof work, "%s/work", base);
    snprintf(merged, sizeof merged, "%s/merged", base);
    snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s%s", lower, upper, work,
             getenv("OVERLAY_EXTRA_OPTS") ? getenv("OVERLAY_EXTRA_OPTS") : "");
    if (!CHECK_OK(mkdir(base, 0755), "mkdir the scratch directory") ||
        !CHECK_OK(mount("tmpfs", base, "tmpfs", 0, NULL), "mount a tmpfs on it"))
        return check_done();
    mkdir(lower, 0755);
    mkdir(upper, 0755);
    mkdir(work, 0755);
    mkdir(merged, 0755);
    build_lower();
    /* The reference Linux kernel may be built without overlay: nothing to check there. */
    struct utsname u;
    uname(&u);
    if (mount("overlay", merged, "overlay", 0, "") < 0 && errno == ENODEV &&
        !strstr(u.version, "openv") && !strstr(u.release, "openv")) {
        check_skip("overlay", "this kernel has no overlay filesystem");
        umount(base);
        rmdir(base);
        return check_done();
    }
    char half[400];
    snprintf(half, sizeof half, "lowerdir=%s,upperdir=%s", lower, upper);
    CHECK_ERR(mount("overlay", merged, "overlay", 0, half), EINVAL,
              "upperdir without workdir is refused");
    CHECK_ERR(mount("overlay", merged, "overlay", 0, "bogus=1"), EINVAL, "an unknown option is refused");
    if (CHECK_OK(mount_overlay(), "mount -t overlay")) {
        test_lookup_and_readdir();
        test_copy_up();
        test_whiteouts_and_opaque();
        test_rename();
        test_remount();
        umount(merged);
    }
    umount(base);
    rmdir(base);
    return check_done();
}
