/*
 * inotify: inotify_init1/add_watch/rm_watch and the events of the VFS on tmpfs, and (as root,
 * on a loop-mounted image) ext2 and OFS: IN_CREATE, IN_DELETE, IN_MODIFY, IN_ATTRIB,
 * IN_OPEN, IN_CLOSE_WRITE/NOWRITE, IN_MOVED_FROM/TO with one cookie, IN_MOVE_SELF,
 * IN_DELETE_SELF and IN_IGNORED, IN_ISDIR, IN_ONLYDIR, IN_MASK_ADD/IN_MASK_CREATE,
 * IN_ONESHOT, event merging, whole-event reads (EINVAL), FIONREAD, poll/epoll, errnos.
 * The inode's lifetime as Linux 6.1 reports it: unlink sends IN_ATTRIB, and IN_DELETE_SELF +
 * IN_IGNORED come when the last user of the name goes (at once, before the directory's
 * IN_DELETE; or at the last close of an open file or directory); a rename over a watched file
 * likewise; IN_MOVE_SELF and IN_DELETE_SELF carry no IN_ISDIR. Unmounting the filesystem
 * (not a bind mount of it; a lazy unmount when its last user goes) sends each watch IN_UNMOUNT
 * (with IN_ISDIR for directories) and IN_IGNORED, and the watches do not keep it busy.
 * IN_EXCL_UNLINK silences an open file whose name is gone.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>

struct ev {
    int wd;
    unsigned mask, cookie;
    char name[64];
};

/* Read every queued event (nonblocking fd). */
static int drain(int fd, struct ev *out, int max)
{
    char buf[4096] __attribute__((aligned(8)));
    int n = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            break;
        for (char *p = buf; p < buf + r;) {
            struct inotify_event *e = (struct inotify_event *)p;
            if (n < max) {
                out[n].wd = e->wd;
                out[n].mask = e->mask;
                out[n].cookie = e->cookie;
                snprintf(out[n].name, sizeof out[n].name, "%s", e->len ? e->name : "");
                n++;
            }
            p += sizeof *e + e->len;
        }
    }
    return n;
}

static int find(const struct ev *e, int n, int wd, unsigned mask, const char *name)
{
    for (int i = 0; i < n; i++)
        if (e[i].wd == wd && e[i].mask == mask && !strcmp(e[i].name, name))
            return i;
    return -1;
}

/* The index of the first event of wd with exactly mask (any name), or -1. */
static int at(const struct ev *e, int n, int wd, unsigned mask)
{
    for (int i = 0; i < n; i++)
        if (e[i].wd == wd && e[i].mask == mask)
            return i;
    return -1;
}

static void show(const char *what, const struct ev *e, int n)
{
    char buf[512];
    int off = 0;
    for (int i = 0; i < n && off < (int)sizeof buf - 40; i++)
        off += snprintf(buf + off, sizeof buf - off, "{%d %#x %u '%s'} ", e[i].wd, e[i].mask,
                        e[i].cookie, e[i].name);
    buf[off] = 0;
    check_note("%s: %d events: %s", what, n, buf);
}

#define EXPECT_NOT(ev, n, wd, mask, what)                                                    \
    do {                                                                                     \
        char w_[160];                                                                        \
        snprintf(w_, sizeof w_, "%s: %s", fs, what);                                         \
        if (!check_result(at(ev, n, wd, mask) < 0, w_, "reported"))                          \
            show(w_, ev, n);                                                                 \
    } while (0)

/* Events a (in that order) and b, c of their watches: a before b before c (c: 0 for none). */
#define EXPECT_ORDER(ev, n, wa_, ma, wb_, mb, wc_, mc, what)                                 \
    do {                                                                                     \
        char w_[160];                                                                        \
        snprintf(w_, sizeof w_, "%s: %s", fs, what);                                         \
        int ia_ = at(ev, n, wa_, ma), ib_ = at(ev, n, wb_, mb);                              \
        int ic_ = (mc) ? at(ev, n, wc_, mc) : n;                                             \
        if (!check_result(ia_ >= 0 && ib_ > ia_ && ic_ > ib_, w_, "at %d, %d, %d", ia_, ib_, \
                          ic_))                                                              \
            show(w_, ev, n);                                                                 \
    } while (0)

#define EXPECT(ev, n, wd, mask, name, what)                                                  \
    do {                                                                                     \
        char w_[160];                                                                        \
        snprintf(w_, sizeof w_, "%s: %s", fs, what);                                         \
        if (!check_result(find(ev, n, wd, mask, name) >= 0, w_, "not among the events"))     \
            show(w_, ev, n);                                                                 \
    } while (0)

/* IN_DELETE_SELF when the last user goes, in d (watched as wdir by in, drained). */
static void lifetime(const char *fs, const char *d, int in, int wdir)
{
    char f[300], g[300], sub[300];
    struct ev e[32];
    int n;
    snprintf(f, sizeof f, "%s/open", d);
    snprintf(g, sizeof g, "%s/other", d);
    snprintf(sub, sizeof sub, "%s/subdir", d);

    /* A file unlinked while open: IN_ATTRIB now, IN_DELETE_SELF at the last close. */
    int fd = open(f, O_CREAT | O_RDWR, 0644);
    int wf = inotify_add_watch(in, f, IN_ALL_EVENTS);
    drain(in, e, 32);
    unlink(f);
    n = drain(in, e, 32);
    EXPECT(e, n, wf, IN_ATTRIB, "", "unlink while open: IN_ATTRIB on the file");
    EXPECT(e, n, wdir, IN_DELETE, "open", "unlink while open: IN_DELETE in the directory");
    EXPECT_NOT(e, n, wf, IN_DELETE_SELF, "unlink while open: no IN_DELETE_SELF yet");
    EXPECT_NOT(e, n, wf, IN_IGNORED, "unlink while open: the watch stays");
    write(fd, "x", 1);
    n = drain(in, e, 32);
    EXPECT(e, n, wf, IN_MODIFY, "", "a write after the unlink: IN_MODIFY on the file");
    int fd2 = dup(fd);
    close(fd);
    n = drain(in, e, 32);
    char what[160];
    snprintf(what, sizeof what, "%s: closing one of two descriptors: no event", fs);
    if (!check_result(n == 0, what, "%d events", n))
        show(what, e, n);
    close(fd2);
    n = drain(in, e, 32);
    EXPECT_ORDER(e, n, wf, IN_CLOSE_WRITE, wf, IN_DELETE_SELF, wf, IN_IGNORED,
                 "last close: IN_CLOSE_WRITE, IN_DELETE_SELF, IN_IGNORED");
    snprintf(what, sizeof what, "%s: the watch is gone after the last close", fs);
    check_result(inotify_rm_watch(in, wf) < 0 && errno == EINVAL, what, "errno %d", errno);

    /* IN_EXCL_UNLINK: no events from an open file whose name is gone, on the directory's
     * watch nor on the file's own; a watch without it still hears them. */
    int ex = inotify_init1(IN_NONBLOCK);
    int wex = inotify_add_watch(ex, d, IN_ALL_EVENTS | IN_EXCL_UNLINK);
    fd = open(f, O_CREAT | O_RDWR, 0644);
    int wexf = inotify_add_watch(ex, f, IN_ALL_EVENTS | IN_EXCL_UNLINK);
    wf = inotify_add_watch(in, f, IN_ALL_EVENTS);
    write(fd, "x", 1);
    n = drain(ex, e, 32);
    EXPECT(e, n, wex, IN_MODIFY, "open", "IN_EXCL_UNLINK: a write before the unlink is reported");
    unlink(f);
    drain(ex, e, 32);
    drain(in, e, 32);
    write(fd, "x", 1);
    close(fd);
    n = drain(ex, e, 32);
    EXPECT_NOT(e, n, wex, IN_MODIFY, "IN_EXCL_UNLINK: no IN_MODIFY from the unlinked file (directory)");
    EXPECT_NOT(e, n, wex, IN_CLOSE_WRITE, "IN_EXCL_UNLINK: no IN_CLOSE_WRITE (directory)");
    EXPECT_NOT(e, n, wexf, IN_MODIFY, "IN_EXCL_UNLINK: no IN_MODIFY on the file's own watch");
    EXPECT(e, n, wexf, IN_DELETE_SELF, "", "IN_EXCL_UNLINK: IN_DELETE_SELF still comes");
    n = drain(in, e, 32);
    EXPECT(e, n, wdir, IN_MODIFY, "open", "without IN_EXCL_UNLINK: IN_MODIFY from the unlinked file");
    EXPECT(e, n, wf, IN_CLOSE_WRITE, "", "without IN_EXCL_UNLINK: IN_CLOSE_WRITE on the file");
    close(ex);

    /* A watched file with a second name: unlinking one name is only IN_ATTRIB. */
    close(open(f, O_CREAT | O_WRONLY, 0644));
    link(f, g);
    wf = inotify_add_watch(in, f, IN_ALL_EVENTS);
    drain(in, e, 32);
    unlink(f);
    n = drain(in, e, 32);
    EXPECT(e, n, wf, IN_ATTRIB, "", "unlink of one of two names: IN_ATTRIB");
    EXPECT_NOT(e, n, wf, IN_DELETE_SELF, "unlink of one of two names: no IN_DELETE_SELF");
    unlink(g);
    n = drain(in, e, 32);
    EXPECT_ORDER(e, n, wf, IN_ATTRIB, wf, IN_DELETE_SELF, wf, IN_IGNORED,
                 "unlink of the last name: IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED");

    /* A rename over a watched file: IN_ATTRIB on it, the mover's IN_MOVE_SELF, then its
     * IN_DELETE_SELF and IN_IGNORED. */
    close(open(f, O_CREAT | O_WRONLY, 0644));
    close(open(g, O_CREAT | O_WRONLY, 0644));
    int wsrc = inotify_add_watch(in, f, IN_ALL_EVENTS);
    int wdst = inotify_add_watch(in, g, IN_ALL_EVENTS);
    drain(in, e, 32);
    rename(f, g);
    n = drain(in, e, 32);
    EXPECT_ORDER(e, n, wdst, IN_ATTRIB, wsrc, IN_MOVE_SELF, wdst, IN_DELETE_SELF,
                 "rename over a watched file: its IN_ATTRIB, IN_MOVE_SELF, its IN_DELETE_SELF");
    EXPECT(e, n, wdst, IN_IGNORED, "", "rename over a watched file: its IN_IGNORED");
    EXPECT_NOT(e, n, wsrc, IN_IGNORED, "rename over a watched file: the mover's watch stays");
    inotify_rm_watch(in, wsrc);
    unlink(g);
    drain(in, e, 32);

    /* Directories: IN_MOVE_SELF and IN_DELETE_SELF without IN_ISDIR; a directory open at
     * its rmdir goes at the close. */
    mkdir(sub, 0755);
    int wsub = inotify_add_watch(in, sub, IN_ALL_EVENTS);
    snprintf(g, sizeof g, "%s/subdir2", d);
    rename(sub, g);
    n = drain(in, e, 32);
    EXPECT(e, n, wsub, IN_MOVE_SELF, "", "rename of a directory: IN_MOVE_SELF without IN_ISDIR");
    EXPECT(e, n, wdir, IN_MOVED_TO | IN_ISDIR, "subdir2", "rename of a directory: IN_MOVED_TO | IN_ISDIR");
    int dfd = open(g, O_RDONLY | O_DIRECTORY);
    rmdir(g);
    n = drain(in, e, 32);
    EXPECT(e, n, wdir, IN_DELETE | IN_ISDIR, "subdir2", "rmdir while open: IN_DELETE | IN_ISDIR");
    EXPECT_NOT(e, n, wsub, IN_DELETE_SELF, "rmdir while open: no IN_DELETE_SELF yet");
    close(dfd);
    n = drain(in, e, 32);
    EXPECT_ORDER(e, n, wsub, IN_CLOSE_NOWRITE | IN_ISDIR, wsub, IN_DELETE_SELF, wsub, IN_IGNORED,
                 "rmdir while open, then the close: IN_CLOSE_NOWRITE, IN_DELETE_SELF, IN_IGNORED");
}

/* Unmounting: IN_UNMOUNT then IN_IGNORED for each watch on the filesystem mounted at mnt
 * (which unmount_watched unmounts); watches elsewhere see nothing. */
static void unmount_watched(const char *fs, const char *mnt)
{
    char f[300], sub[300], what[160];
    snprintf(f, sizeof f, "%s/unmount-file", mnt);
    snprintf(sub, sizeof sub, "%s/unmount-dir", mnt);
    close(open(f, O_CREAT | O_WRONLY, 0644));
    mkdir(sub, 0755);
    int in = inotify_init1(IN_NONBLOCK), in2 = inotify_init1(IN_NONBLOCK);
    int wroot = inotify_add_watch(in, mnt, IN_CREATE);
    int wf = inotify_add_watch(in, f, IN_MODIFY);
    int wsub = inotify_add_watch(in, sub, IN_ALL_EVENTS | IN_ONESHOT);
    int wf2 = inotify_add_watch(in2, f, IN_ALL_EVENTS);
    int wtmp = inotify_add_watch(in2, "/", IN_DELETE_SELF);   /* another filesystem */
    struct ev e[32];
    drain(in, e, 32);
    drain(in2, e, 32);
    snprintf(what, sizeof what, "%s: unmount while watched succeeds", fs);
    check_result(umount(mnt) == 0, what, "errno %d", errno);
    int n = drain(in, e, 32);
    EXPECT_ORDER(e, n, wroot, IN_UNMOUNT | IN_ISDIR, wroot, IN_IGNORED, 0, 0,
                 "unmount: the root directory's IN_UNMOUNT | IN_ISDIR, then IN_IGNORED");
    EXPECT_ORDER(e, n, wf, IN_UNMOUNT, wf, IN_IGNORED, 0, 0,
                 "unmount: the file's IN_UNMOUNT, then IN_IGNORED");
    EXPECT_ORDER(e, n, wsub, IN_UNMOUNT | IN_ISDIR, wsub, IN_IGNORED, 0, 0,
                 "unmount: a directory's IN_UNMOUNT | IN_ISDIR, then IN_IGNORED");
    snprintf(what, sizeof what, "%s: unmount: six events on the first instance", fs);
    if (!check_result(n == 6, what, "%d", n))
        show(what, e, n);
    n = drain(in2, e, 32);
    EXPECT_ORDER(e, n, wf2, IN_UNMOUNT, wf2, IN_IGNORED, 0, 0,
                 "unmount: another instance's watch of the file: IN_UNMOUNT, IN_IGNORED");
    snprintf(what, sizeof what, "%s: unmount: nothing for a watch on another filesystem", fs);
    if (!check_result(n == 2 && at(e, n, wtmp, IN_IGNORED) < 0, what, "%d", n))
        show(what, e, n);
    snprintf(what, sizeof what, "%s: a watch ended by the unmount cannot be removed", fs);
    check_result(inotify_rm_watch(in, wf) < 0 && errno == EINVAL, what, "errno %d", errno);
    close(in);
    close(in2);
}

/* tmpfs mounted for the purpose: a bind mount's unmount says nothing; a lazy unmount says
 * IN_UNMOUNT when the last open file of the filesystem is closed. */
static void unmount_tmpfs(void)
{
    const char *fs = "tmpfs";
    char mnt[64], bind[64], f[128], what[160];
    snprintf(mnt, sizeof mnt, "/tmp/inotify_mnt.%d", (int)getpid());
    snprintf(bind, sizeof bind, "/tmp/inotify_bind.%d", (int)getpid());
    snprintf(f, sizeof f, "%s/file", mnt);
    mkdir(mnt, 0755);
    mkdir(bind, 0755);
    if (getuid() != 0 || under_qemu_user() || mount("none", mnt, "tmpfs", 0, NULL) != 0) {
        check_skip("tmpfs: unmount", "cannot mount tmpfs here (not root)");
        rmdir(mnt);
        rmdir(bind);
        return;
    }
    unmount_watched(fs, mnt);

    struct ev e[32];
    int n;
    check_result(mount("none", mnt, "tmpfs", 0, NULL) == 0, "tmpfs: mount again", "errno %d", errno);
    close(open(f, O_CREAT | O_WRONLY, 0644));
    int in = inotify_init1(IN_NONBLOCK);
    int wf = inotify_add_watch(in, f, IN_ALL_EVENTS);
    drain(in, e, 32);
    if (mount(mnt, bind, NULL, MS_BIND, NULL) == 0) {
        check_result(umount(bind) == 0, "tmpfs: unmount a bind mount", "errno %d", errno);
        n = drain(in, e, 32);
        snprintf(what, sizeof what, "%s: unmounting a bind mount of a watched filesystem: no event", fs);
        if (!check_result(n == 0, what, "%d events", n))
            show(what, e, n);
    } else {
        check_skip("tmpfs: bind mount", "errno %d", errno);
    }
    int fd = open(f, O_RDONLY);
    drain(in, e, 32);
    check_result(umount2(mnt, MNT_DETACH) == 0, "tmpfs: lazy unmount", "errno %d", errno);
    n = drain(in, e, 32);
    snprintf(what, sizeof what, "%s: lazy unmount with a file open: no IN_UNMOUNT yet", fs);
    if (!check_result(at(e, n, wf, IN_UNMOUNT) < 0, what, "%d events", n))
        show(what, e, n);
    close(fd);
    n = drain(in, e, 32);
    EXPECT_ORDER(e, n, wf, IN_CLOSE_NOWRITE, wf, IN_UNMOUNT, wf, IN_IGNORED,
                 "lazy unmount, then the last close: IN_CLOSE_NOWRITE, IN_UNMOUNT, IN_IGNORED");
    close(in);
    rmdir(mnt);
    rmdir(bind);
}

/* The event checks, in directory `dir` of a filesystem called `fs`. */
static void suite(const char *fs, const char *dir)
{
    char d[256], a[300], b[300], sub[300];
    snprintf(d, sizeof d, "%s/inotify.%d", dir, (int)getpid());
    snprintf(a, sizeof a, "%s/a", d);
    snprintf(b, sizeof b, "%s/b", d);
    snprintf(sub, sizeof sub, "%s/sub", d);
    char what[160];
    snprintf(what, sizeof what, "%s: mkdir the test directory", fs);
    if (!check_result(mkdir(d, 0755) == 0, what, "errno %d", errno))
        return;
    int in = inotify_init1(IN_NONBLOCK);
    int wdir = inotify_add_watch(in, d, IN_ALL_EVENTS);
    snprintf(what, sizeof what, "%s: watch the directory", fs);
    check_result(wdir > 0, what, "errno %d", errno);
    struct ev e[32];
    int n;

    int f = open(a, O_CREAT | O_WRONLY, 0644);
    write(f, "hello", 5);
    close(f);
    n = drain(in, e, 32);
    EXPECT(e, n, wdir, IN_CREATE, "a", "IN_CREATE a");
    EXPECT(e, n, wdir, IN_OPEN, "a", "IN_OPEN a");
    EXPECT(e, n, wdir, IN_MODIFY, "a", "IN_MODIFY a");
    EXPECT(e, n, wdir, IN_CLOSE_WRITE, "a", "IN_CLOSE_WRITE a");

    int wa = inotify_add_watch(in, a, IN_ALL_EVENTS);
    snprintf(what, sizeof what, "%s: a watch on the file is another wd", fs);
    check_result(wa > 0 && wa != wdir, what, "wd %d", wa);
    snprintf(what, sizeof what, "%s: watching it again returns the same wd", fs);
    check_result(inotify_add_watch(in, a, IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) == wa,
                 what, "errno %d", errno);
    chmod(a, 0600);
    n = drain(in, e, 32);
    EXPECT(e, n, wa, IN_ATTRIB, "", "chmod: IN_ATTRIB on the file");
    EXPECT(e, n, wdir, IN_ATTRIB, "a", "chmod: IN_ATTRIB a in the directory");
    f = open(a, O_RDONLY);
    char c;
    read(f, &c, 1);
    close(f);
    n = drain(in, e, 32);
    EXPECT(e, n, wdir, IN_ACCESS, "a", "read: IN_ACCESS");
    EXPECT(e, n, wdir, IN_CLOSE_NOWRITE, "a", "read-only close: IN_CLOSE_NOWRITE");
    snprintf(what, sizeof what, "%s: the file's new mask has no IN_ACCESS", fs);
    check_result(find(e, n, wa, IN_ACCESS, "") < 0, what, "reported");

    /* rename: MOVED_FROM and MOVED_TO with one cookie, MOVE_SELF on the file. */
    rename(a, b);
    n = drain(in, e, 32);
    int i1 = find(e, n, wdir, IN_MOVED_FROM, "a"), i2 = find(e, n, wdir, IN_MOVED_TO, "b");
    snprintf(what, sizeof what, "%s: rename: IN_MOVED_FROM a, IN_MOVED_TO b, one cookie", fs);
    if (!check_result(i1 >= 0 && i2 >= 0 && e[i1].cookie && e[i1].cookie == e[i2].cookie &&
                      i1 < i2, what, "i1=%d i2=%d", i1, i2))
        show(what, e, n);
    EXPECT(e, n, wa, IN_MOVE_SELF, "", "rename: IN_MOVE_SELF on the file");

    /* Directories carry IN_ISDIR. */
    mkdir(sub, 0755);
    int wsub = inotify_add_watch(in, sub, IN_ONLYDIR | IN_DELETE_SELF);
    snprintf(what, sizeof what, "%s: IN_ONLYDIR on a directory", fs);
    check_result(wsub > 0, what, "errno %d", errno);
    snprintf(what, sizeof what, "%s: IN_ONLYDIR on a file: ENOTDIR", fs);
    check_result(inotify_add_watch(in, b, IN_ONLYDIR | IN_ALL_EVENTS) < 0 && errno == ENOTDIR,
                 what, "errno %d", errno);
    rmdir(sub);
    n = drain(in, e, 32);
    EXPECT(e, n, wdir, IN_CREATE | IN_ISDIR, "sub", "mkdir: IN_CREATE | IN_ISDIR");
    EXPECT(e, n, wdir, IN_DELETE | IN_ISDIR, "sub", "rmdir: IN_DELETE | IN_ISDIR");
    EXPECT(e, n, wsub, IN_DELETE_SELF, "", "rmdir: IN_DELETE_SELF on the directory");
    EXPECT(e, n, wsub, IN_IGNORED, "", "rmdir: then IN_IGNORED");

    /* unlink: ATTRIB (link count), DELETE_SELF, IGNORED on the file; DELETE in the dir. */
    unlink(b);
    n = drain(in, e, 32);
    EXPECT(e, n, wdir, IN_DELETE, "b", "unlink: IN_DELETE b");
    EXPECT(e, n, wa, IN_ATTRIB, "", "unlink: IN_ATTRIB on the file");
    EXPECT(e, n, wa, IN_DELETE_SELF, "", "unlink: IN_DELETE_SELF");
    EXPECT(e, n, wa, IN_IGNORED, "", "unlink: IN_IGNORED");
    EXPECT_ORDER(e, n, wa, IN_ATTRIB, wa, IN_DELETE_SELF, wa, IN_IGNORED,
                 "unlink: IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED in order");
    EXPECT_ORDER(e, n, wa, IN_IGNORED, wdir, IN_DELETE, 0, 0,
                 "unlink of an unused name: the file's IN_IGNORED before the directory's IN_DELETE");
    snprintf(what, sizeof what, "%s: a removed watch cannot be removed again: EINVAL", fs);
    check_result(inotify_rm_watch(in, wa) < 0 && errno == EINVAL, what, "errno %d", errno);

    lifetime(fs, d, in, wdir);

    /* Identical events in a row are merged. */
    f = open(a, O_CREAT | O_WRONLY, 0644);
    drain(in, e, 32);
    for (int i = 0; i < 5; i++)
        write(f, "x", 1);
    n = drain(in, e, 32);
    snprintf(what, sizeof what, "%s: five writes in a row: one IN_MODIFY", fs);
    check_result(n == 1 && e[0].mask == IN_MODIFY, what, "%d events", n);
    close(f);
    drain(in, e, 32);

    /* rm_watch: IN_IGNORED, then nothing. */
    snprintf(what, sizeof what, "%s: inotify_rm_watch", fs);
    check_result(inotify_rm_watch(in, wdir) == 0, what, "errno %d", errno);
    unlink(a);
    n = drain(in, e, 32);
    snprintf(what, sizeof what, "%s: after rm_watch: only IN_IGNORED", fs);
    check_result(n == 1 && e[0].wd == wdir && e[0].mask == IN_IGNORED, what, "%d events", n);
    close(in);
    rmdir(d);
}

static void test_api(void)
{
    CHECK_ERR(inotify_init1(0x1), EINVAL, "inotify_init1 bad flags: EINVAL");
    int in = inotify_init1(IN_CLOEXEC);
    if (!CHECK_OK(in, "inotify_init1(IN_CLOEXEC)"))
        return;
    CHECK((fcntl(in, F_GETFD) & FD_CLOEXEC) != 0, "IN_CLOEXEC");
    char path[64], link[64] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", in);
    ssize_t len = readlink(path, link, sizeof link - 1);
    if (len > 0)
        link[len] = 0;
    CHECKF(!strcmp(link, "anon_inode:inotify"), "/proc/self/fd link is anon_inode:inotify",
           "'%s'", link);
    CHECK_ERR(inotify_add_watch(in, "/tmp", 0), EINVAL, "empty mask: EINVAL");
    CHECK_ERR(inotify_add_watch(in, "/tmp", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE), EINVAL,
              "IN_MASK_ADD | IN_MASK_CREATE: EINVAL");
    CHECK_ERR(inotify_add_watch(in, "/nonexistent/x", IN_MODIFY), ENOENT, "missing path: ENOENT");
    CHECK_ERR(inotify_add_watch(999, "/tmp", IN_MODIFY), EBADF, "bad fd: EBADF");
    int p[2];
    pipe(p);
    CHECK_ERR(inotify_add_watch(p[0], "/tmp", IN_MODIFY), EINVAL, "not an inotify fd: EINVAL");
    CHECK_ERR(inotify_rm_watch(in, 12345), EINVAL, "rm_watch of an unknown wd: EINVAL");
    int wd = inotify_add_watch(in, "/tmp", IN_CREATE);
    CHECK_ERR(inotify_add_watch(in, "/tmp", IN_DELETE | IN_MASK_CREATE), EEXIST,
              "IN_MASK_CREATE on a watched inode: EEXIST");
    CHECK_EQ(inotify_add_watch(in, "/tmp", IN_DELETE | IN_MASK_ADD), wd, "IN_MASK_ADD: same wd");
    char f[64];
    snprintf(f, sizeof f, "/tmp/inotify_api.%d", (int)getpid());
    close(open(f, O_CREAT | O_WRONLY, 0600));
    unlink(f);
    /* Blocking read with a buffer too small for the first event: EINVAL. */
    char small[sizeof(struct inotify_event)];
    CHECK_ERR(read(in, small, sizeof small), EINVAL, "buffer smaller than the event: EINVAL");
    int avail = 0;
    CHECK(ioctl(in, FIONREAD, &avail) == 0 && avail > 0 && avail % 16 == 0,
          "FIONREAD: bytes queued");
    struct pollfd pf = { .fd = in, .events = POLLIN };
    CHECK_EQ(poll(&pf, 1, 0), 1, "poll: readable");
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN }, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev);
    CHECK_EQ(epoll_wait(ep, &out, 1, 0), 1, "epoll: readable");
    char buf[4096] __attribute__((aligned(8)));
    ssize_t r = read(in, buf, sizeof buf);
    struct inotify_event *e1 = (struct inotify_event *)buf;
    struct inotify_event *e2 = (struct inotify_event *)(buf + sizeof *e1 + e1->len);
    CHECK(r == avail && e1->mask == IN_CREATE && e2->mask == IN_DELETE && e1->wd == wd &&
          !strcmp(e1->name, f + 5) && e1->len % 16 == 0,
          "IN_MASK_ADD: IN_CREATE then IN_DELETE, names NUL-padded to 16");
    CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0, "epoll: drained");
    /* IN_ONESHOT: one event, then IN_IGNORED. */
    int w1 = inotify_add_watch(in, "/tmp", IN_CREATE | IN_ONESHOT);
    close(open(f, O_CREAT | O_WRONLY, 0600));
    unlink(f);
    r = read(in, buf, sizeof buf);
    e1 = (struct inotify_event *)buf;
    e2 = (struct inotify_event *)(buf + sizeof *e1 + e1->len);
    CHECK(r > 0 && e1->mask == IN_CREATE && e1->wd == w1 && (char *)e2 < buf + r &&
          e2->mask == IN_IGNORED && e2->wd == w1 && (char *)e2 + sizeof *e2 == buf + r,
          "IN_ONESHOT: one IN_CREATE, then IN_IGNORED");
    /* A blocking read is woken by an event from another process. */
    int bl = inotify_init1(0);
    inotify_add_watch(bl, "/tmp", IN_CREATE);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        close(open(f, O_CREAT | O_WRONLY, 0600));
        _exit(0);
    }
    r = read(bl, buf, sizeof buf);
    CHECK(r > 0 && ((struct inotify_event *)buf)->mask == IN_CREATE,
          "blocking read woken by another process's create");
    check_child(pid, "creator child");
    unlink(f);
    close(bl);
    close(ep);
    close(p[0]);
    close(p[1]);
    close(in);
}

/* A filesystem image on a loop device: mkfs, mount, run the suite, unmount. */
static void on_loop_image(const char *fs, const char *mkfs)
{
    char img[64], mnt[64], cmd[512];
    snprintf(img, sizeof img, "/tmp/inotify_%s.%d.img", fs, (int)getpid());
    snprintf(mnt, sizeof mnt, "/tmp/inotify_%s.%d.mnt", fs, (int)getpid());
    mkdir(mnt, 0755);
    snprintf(cmd, sizeof cmd,
             "dd if=/dev/zero of=%s bs=1M count=8 2>/dev/null && %s %s >/dev/null 2>&1 && "
             "mount -o loop -t %s %s %s 2>/dev/null", img, mkfs, img, fs, img, mnt);
    if (getuid() != 0 || under_qemu_user() || system(cmd) != 0) {
        check_skip(fs, "cannot mount a %s image here (not root, or no %s)", fs, fs);
    } else {
        suite(fs, mnt);
        unmount_watched(fs, mnt);
    }
    unlink(img);
    rmdir(mnt);
}

int main(void)
{
    check_begin("inotify");
    test_api();
    suite("tmpfs", "/tmp");
    unmount_tmpfs();
    on_loop_image("ext2", "mke2fs -F");
    on_loop_image("ofs", "mkfs.ofs -q");
    return check_done();
}
