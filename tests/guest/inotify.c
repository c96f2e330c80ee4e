/*
 * inotify: inotify_init1/add_watch/rm_watch and the events of the VFS on tmpfs, and (as root,
 * on a loop-mounted image) ext2 and OFS: IN_CREATE, IN_DELETE, IN_MODIFY, IN_ATTRIB,
 * IN_OPEN, IN_CLOSE_WRITE/NOWRITE, IN_MOVED_FROM/TO with one cookie, IN_MOVE_SELF,
 * IN_DELETE_SELF and IN_IGNORED, IN_ISDIR, IN_ONLYDIR, IN_MASK_ADD/IN_MASK_CREATE,
 * IN_ONESHOT, event merging, whole-event reads (EINVAL), FIONREAD, poll/epoll, errnos.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

#define EXPECT(ev, n, wd, mask, name, what)                                                  \
    do {                                                                                     \
        char w_[160];                                                                        \
        snprintf(w_, sizeof w_, "%s: %s", fs, what);                                         \
        if (!check_result(find(ev, n, wd, mask, name) >= 0, w_, "not among the events"))     \
            show(w_, ev, n);                                                                 \
    } while (0)

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
    snprintf(what, sizeof what, "%s: a removed watch cannot be removed again: EINVAL", fs);
    check_result(inotify_rm_watch(in, wa) < 0 && errno == EINVAL, what, "errno %d", errno);

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
        snprintf(cmd, sizeof cmd, "umount %s", mnt);
        char what[64];
        snprintf(what, sizeof what, "%s: unmounts after the watches are gone", fs);
        check_result(system(cmd) == 0, what, "umount failed");
    }
    unlink(img);
    rmdir(mnt);
}

int main(void)
{
    check_begin("inotify");
    test_api();
    suite("tmpfs", "/tmp");
    on_loop_image("ext2", "mke2fs -F");
    on_loop_image("ofs", "mkfs.ofs -q");
    return check_done();
}
