/* filemap: file mappings and the page cache, on whatever directory it is given (ext2, OFS,
 * tmpfs; Linux's too): a shared mapping's writes reach read(2) and the file after msync and
 * fsync, write(2) shows through every mapping, two processes mapping one file see each
 * other's writes, MAP_PRIVATE copies on write and otherwise follows the file, SIGBUS past the
 * end of a truncated file, and madvise refuses advice it does not know.
 *
 * Usage: filemap [DIR]. DIR defaults to /tmp (also when the argument is not a directory, as
 * when the shared boot passes the program's own path). Files go in DIR/filemap.<pid>/; with
 * FILEMAP_KEEP set in the environment, DIR/filemap.kept stays behind for a later check
 * (tests/integration/test_disk.py reads it after umount and mount).
 *
 * Helper mode for tests/integration/test_ofs.py: `filemap --touch FILE OFFSET` maps FILE
 * shared, read-only, reads the byte at OFFSET and prints "byte N" or "SIGBUS" (a page the
 * filesystem cannot read, e.g. a data checksum mismatch, gives SIGBUS as on Linux).
 *
 * Helper modes for tests/integration/test_pagecache.py (memory pressure) and test_ofs.py's
 * crash test:
 *   filemap --mapwrite FILE MB   makes FILE MB MiB long and writes a pattern into every page
 *                                through one MAP_SHARED mapping (no msync), then munmaps and
 *                                closes it; prints "mapwrite done", the largest Dirty and
 *                                Cached /proc/meminfo showed meanwhile and the end's Dirty
 *   filemap --check FILE MB      reads FILE with read(2), compares with the pattern and
 *                                prints "check ok" or the first page that differs, and the
 *                                largest Cached seen
 *   filemap --slot FILE SLOT TEXT  writes TEXT at page SLOT of FILE (made 16 pages long)
 *                                through a shared mapping and msync(MS_SYNC)s it; with
 *                                --dirty instead of --slot it neither msyncs nor exits,
 *                                keeping the dirty page mapped (only the flusher writes it) */
#include "check.h"
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PG 4096
#define NPAGES 8

static char dir[512];

static void path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* A file of npages pages, page i filled with 'a' + i. */
static int make_file(const char *name, int npages)
{
    char p[600];
    path(p, sizeof p, name);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    char buf[PG];
    for (int i = 0; i < npages; i++) {
        memset(buf, 'a' + i, PG);
        if (write(fd, buf, PG) != PG) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

static int pread_byte(int fd, off_t off)
{
    unsigned char c;
    return pread(fd, &c, 1, off) == 1 ? c : -1;
}

static void test_shared_write_reaches_read(void)
{
    int fd = make_file("shared", NPAGES);
    if (!CHECK(fd >= 0, "create a file of 8 pages"))
        return;
    char *m = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (!CHECK(m != MAP_FAILED, "mmap shared read-write"))
        return;
    CHECK_EQ(m[0], 'a', "the mapping shows what write(2) wrote (page 0)");
    CHECK_EQ(m[5 * PG + 7], 'f', "the mapping shows what write(2) wrote (page 5)");
    /* Written through the mapping: read(2) sees it at once, before any msync. */
    memcpy(m + 3 * PG + 100, "via-mapping", 11);
    char buf[16] = { 0 };
    CHECK_EQ(pread(fd, buf, 11, 3 * PG + 100), 11, "pread after a write through the mapping");
    CHECKF(!memcmp(buf, "via-mapping", 11), "read(2) sees the mapping's write", "got '%.11s'",
           buf);
    /* And the reverse: write(2) shows through the mapping. */
    CHECK_EQ(pwrite(fd, "via-write", 9, 6 * PG + 5), 9, "pwrite into a mapped page");
    CHECKF(!memcmp(m + 6 * PG + 5, "via-write", 9), "the mapping sees write(2)", "got '%.9s'",
           m + 6 * PG + 5);
    CHECK_OK(msync(m, NPAGES * PG, MS_SYNC), "msync(MS_SYNC)");
    CHECK_OK(fsync(fd), "fsync");
    /* A new open file and a fresh read see the same bytes. */
    char p[600];
    path(p, sizeof p, "shared");
    int fd2 = open(p, O_RDONLY);
    CHECK_EQ(pread_byte(fd2, 3 * PG + 100), 'v', "another open file reads the mapping's write");
    close(fd2);
    munmap(m, NPAGES * PG);
    close(fd);
    /* Gone from every mapping and open file: what was written is still the file's. */
    fd = open(p, O_RDONLY);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(pread(fd, buf, 11, 3 * PG + 100), 11, "read after munmap and close");
    CHECKF(!memcmp(buf, "via-mapping", 11), "the file keeps the mapping's write", "got '%.11s'",
           buf);
    close(fd);
}

/* Two processes that map the file on their own see each other's writes. */
static void test_two_processes(void)
{
    int fd = make_file("twoproc", 2);
    if (!CHECK(fd >= 0, "create a file of 2 pages"))
        return;
    char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (!CHECK(m != MAP_FAILED, "mmap shared (parent)"))
        return;
    CHECK_EQ(m[PG], 'b', "parent reads page 1");     /* faulted in before the child writes */
    char p[600];
    path(p, sizeof p, "twoproc");
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = open(p, O_RDWR);
        char *c = cfd < 0 ? MAP_FAILED : mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        if (c == MAP_FAILED)
            _exit(2);
        c[PG + 1] = 'X';
        /* Wait for the parent's write through its own mapping. */
        for (int i = 0; i < 2000 && c[PG + 2] != 'Y'; i++)
            usleep(1000);
        _exit(c[PG + 2] == 'Y' ? 0 : 3);
    }
    for (int i = 0; i < 2000 && m[PG + 1] != 'X'; i++)
        usleep(1000);
    CHECK_EQ(m[PG + 1], 'X', "parent sees the child's write through its own mapping");
    m[PG + 2] = 'Y';
    check_child(pid, "child sees the parent's write through its own mapping");
    munmap(m, 2 * PG);
    close(fd);
}

/* MAP_PRIVATE: follows the file until the process writes a page; its writes stay its own. */
static void test_private(void)
{
    int fd = make_file("private", 2);
    if (!CHECK(fd >= 0, "create a file of 2 pages"))
        return;
    char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (!CHECK(m != MAP_FAILED, "mmap private"))
        return;
    CHECK_EQ(m[0], 'a', "private mapping reads the file");
    CHECK_EQ(pwrite(fd, "N", 1, 10), 1, "pwrite into a page the private mapping has read");
    CHECK_EQ(m[10], 'N', "an unwritten private page follows later writes to the file (as Linux)");
    m[PG] = 'P';
    CHECK_EQ(pread_byte(fd, PG), 'b', "a private write does not reach the file");
    CHECK_EQ(pwrite(fd, "Q", 1, PG + 1), 1, "pwrite into a page the mapping copied");
    CHECK_EQ(m[PG + 1], 'b', "a copied private page no longer follows the file");
    munmap(m, 2 * PG);
    close(fd);
}

static sigjmp_buf bus_jmp;
static void on_bus(int sig)
{
    (void)sig;
    siglongjmp(bus_jmp, 1);
}

/* 1 if reading *p raises SIGBUS, 0 if it reads. */
static int read_gives_sigbus(volatile char *p)
{
    struct sigaction sa = { .sa_handler = on_bus }, old;
    sigaction(SIGBUS, &sa, &old);
    volatile int bus = 1;     /* volatile: its value must survive the siglongjmp */
    if (!sigsetjmp(bus_jmp, 1)) {
        (void)*p;
        bus = 0;
    }
    sigaction(SIGBUS, &old, NULL);
    return bus;
}

static void test_truncate(void)
{
    int fd = make_file("trunc", 4);
    if (!CHECK(fd >= 0, "create a file of 4 pages"))
        return;
    char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (!CHECK(m != MAP_FAILED, "mmap shared"))
        return;
    CHECK_EQ(m[0], 'a', "page 0 mapped");
    m[PG + 10] = 'Z';             /* the page the cut falls in is written before it */
    CHECK_EQ(m[2 * PG], 'c', "page 2 mapped before the cut");
    CHECK_OK(ftruncate(fd, PG + 100), "ftruncate to 1 page and 100 bytes while mapped");
    CHECK_EQ(read_gives_sigbus(m), 0, "inside the file: no SIGBUS");
    CHECK_EQ(read_gives_sigbus(m + PG + 50), 0, "in the last partial page: no SIGBUS");
    CHECK_EQ(m[PG + 200], 0, "past the end in the last page: zeros");
    if (under_qemu_user()) {
        check_skip("a page wholly past the end: SIGBUS", "qemu-user maps the host file");
    } else {
        CHECK_EQ(read_gives_sigbus(m + 3 * PG), 1, "a page wholly past the end: SIGBUS");
        CHECK_EQ(read_gives_sigbus(m + 2 * PG), 1,
                 "a page past the end mapped before the cut: SIGBUS (it was unmapped)");
    }
    /* Growing it again: the cut part reads as zeros, not as what the mapping wrote. */
    CHECK_OK(ftruncate(fd, 4 * PG), "ftruncate back to 4 pages");
    CHECK_EQ(pread_byte(fd, PG + 10), 'Z', "bytes before the old end are kept");
    CHECK_EQ(pread_byte(fd, PG + 200), 0, "bytes past the old end read as zeros");
    CHECK_EQ(pread_byte(fd, 3 * PG), 0, "pages past the old end read as zeros");
    munmap(m, 4 * PG);
    close(fd);
}

/* Data written through a mapping and left there (no msync): later readers and, with
 * FILEMAP_KEEP, the next mount of the filesystem see it. */
static void test_kept(void)
{
    const char *keep = getenv("FILEMAP_KEEP");
    char p[600];
    snprintf(p, sizeof p, "%s/../filemap.kept", dir);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (!CHECK(fd >= 0, "create filemap.kept"))
        return;
    CHECK_OK(ftruncate(fd, 3 * PG), "size it to 3 pages");
    char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (!CHECK(m != MAP_FAILED, "mmap it shared"))
        return;
    /* Written, written back, then written again: the second write must count too. */
    memset(m, 'x', 3 * PG);
    CHECK_OK(msync(m, 3 * PG, MS_SYNC), "msync(MS_SYNC) after the first write");
    for (int i = 0; i < 3 * PG; i++)
        m[i] = (char)('0' + i % 10);
    munmap(m, 3 * PG);
    close(fd);
    /* Through the disk: sync, drop the cache, read again. */
    sync();
    int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (dc < 0) {
        check_skip("drop_caches", "cannot open /proc/sys/vm/drop_caches: %s", strerror(errno));
    } else {
        CHECK_ERR(open("/proc/sys/vm/drop_caches", O_RDONLY), EACCES,
                  "drop_caches is write-only, even for root");
        CHECK_EQ(write(dc, "3\n", 2), 2, "echo 3 > /proc/sys/vm/drop_caches");
        /* A write past the start is ignored, as Linux's numeric sysctls do. */
        CHECK_EQ(write(dc, "7\n", 2), 2, "a second write on the same open file is ignored");
        close(dc);
        dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
        CHECK_ERR(write(dc, "0\n", 2), EINVAL, "drop_caches refuses 0");
        close(dc);
    }
    fd = open(p, O_RDONLY);
    char buf[3 * PG];
    CHECK_EQ(read(fd, buf, sizeof buf), 3 * PG, "read it back after munmap without msync");
    int ok = 1;
    for (int i = 0; i < 3 * PG; i++)
        ok &= buf[i] == (char)('0' + i % 10);
    CHECK(ok, "every byte the mapping wrote is in the file");
    close(fd);
    if (!keep)
        unlink(p);
}

/* O_DIRECT works (Linux's ext2, ext4) or is EINVAL (a filesystem without it: openv's, tmpfs
 * before Linux 6.6); never silently buffered on one and refused on another open. */
static void test_odirect(void)
{
    char p[600];
    path(p, sizeof p, "direct");
    int fd = make_file("direct", 1);
    if (!CHECK(fd >= 0, "create a file for O_DIRECT"))
        return;
    close(fd);
    errno = 0;
    fd = open(p, O_RDONLY | O_DIRECT);
    CHECKF(fd >= 0 || errno == EINVAL, "open(O_DIRECT) works or is EINVAL", "errno %d", errno);
    int plain = open(p, O_RDONLY);
    int r = fcntl(plain, F_SETFL, O_DIRECT);
    CHECKF((fd >= 0) == (r == 0) && (r == 0 || errno == EINVAL),
           "fcntl(F_SETFL, O_DIRECT) agrees with open", "open %d, fcntl %d errno %d", fd, r,
           errno);
    if (fd >= 0)
        close(fd);
    close(plain);
    unlink(p);
}

/* Byte i of the coherence tests' files: no page or block looks like another. */
static char coh_byte(unsigned seed, size_t i)
{
    return (char)((i * 2654435761u >> 11) ^ seed ^ (i >> 12));
}

/* Drop clean cached pages (as root; elsewhere a no-op the checks survive). */
static void drop_caches(void)
{
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "3", 1) != 1)
            check_note("drop_caches: errno %d", errno);
        close(fd);
    }
}

/* The whole file equals coh_byte(seed) through read(2) (in odd-sized pieces, so read-ahead
 * and page boundaries do not line up) and through a mapping. */
static bool file_matches(const char *p, unsigned seed, size_t size)
{
    int fd = open(p, O_RDONLY);
    if (fd < 0)
        return false;
    bool ok = true;
    char buf[5000];
    size_t off = 0;
    for (ssize_t n; ok && (n = read(fd, buf, sizeof buf)) > 0; off += (size_t)n)
        for (ssize_t i = 0; i < n && ok; i++)
            ok = buf[i] == coh_byte(seed, off + (size_t)i);
    ok = ok && off == size;
    char *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    ok = ok && m != MAP_FAILED;
    for (size_t i = 0; ok && i < size; i++)
        ok = m[i] == coh_byte(seed, i);
    if (m != MAP_FAILED)
        munmap(m, size);
    close(fd);
    return ok;
}

/* A file written with write(2) in pieces that straddle blocks and pages. */
static bool write_pattern(const char *p, unsigned seed, size_t size)
{
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return false;
    char buf[7000];
    bool ok = true;
    for (size_t off = 0; ok && off < size;) {
        size_t n = sizeof buf - (off % 3);
        if (n > size - off)
            n = size - off;
        for (size_t i = 0; i < n; i++)
            buf[i] = coh_byte(seed, off + i);
        ok = write(fd, buf, n) == (ssize_t)n;
        off += n;
    }
    ok = fsync(fd) == 0 && ok;
    close(fd);
    return ok;
}

/* File data goes around the block cache, metadata through it: after drop_caches the data
 * comes from the disk (with read-ahead) and must be what was written, also when the blocks
 * were a directory's a moment ago, and a directory made on a deleted file's blocks must read
 * as a directory, never as the old file data. */
static void test_block_reuse(void)
{
    char d[600], f[600], e[700];
    path(d, sizeof d, "reuse.d");
    path(f, sizeof f, "reuse.f");
    const size_t size = 300 * 1024 + 123;       /* several read-ahead windows, a partial end */
    for (int round = 0; round < 2; round++) {
        /* A directory big enough for several blocks, then gone: its blocks are free again. */
        bool ok = mkdir(d, 0755) == 0;
        for (int i = 0; ok && i < 200; i++) {
            snprintf(e, sizeof e, "%s/a-rather-long-entry-name-to-fill-blocks-%03d", d, i);
            ok = mkdir(e, 0755) == 0;
        }
        for (int i = 0; ok && i < 200; i++) {
            snprintf(e, sizeof e, "%s/a-rather-long-entry-name-to-fill-blocks-%03d", d, i);
            ok = rmdir(e) == 0;
        }
        ok = ok && rmdir(d) == 0;
        CHECK(ok, "a 200-entry directory made and removed");
        unsigned seed = 0x5a + (unsigned)round;
        CHECK(write_pattern(f, seed, size), "a 300 KiB file written on the freed blocks");
        CHECK(file_matches(f, seed, size), "read(2) and mmap show it from the cache");
        drop_caches();
        CHECK(file_matches(f, seed, size), "read(2) and mmap show it after drop_caches");
        /* The reverse: the file goes and a directory takes its blocks. */
        CHECK_OK(unlink(f), "remove the file");
        ok = mkdir(d, 0755) == 0;
        for (int i = 0; ok && i < 200; i++) {
            snprintf(e, sizeof e, "%s/entry-%03d", d, i);
            int fd = open(e, O_WRONLY | O_CREAT | O_EXCL, 0644);
            ok = fd >= 0;
            if (fd >= 0)
                close(fd);
        }
        CHECK(ok, "a 200-entry directory made on the file's blocks");
        drop_caches();
        int found = 0;
        for (int i = 0; i < 200; i++) {
            struct stat st;
            snprintf(e, sizeof e, "%s/entry-%03d", d, i);
            found += stat(e, &st) == 0 && S_ISREG(st.st_mode);
        }
        CHECKF(found == 200, "every entry of the new directory is found", "%d of 200", found);
        for (int i = 0; i < 200; i++) {
            snprintf(e, sizeof e, "%s/entry-%03d", d, i);
            unlink(e);
        }
        CHECK_OK(rmdir(d), "remove the directory");
    }
}

/* Overwriting the middle of a cached file with write(2) at odd offsets: the cache, read(2)
 * after drop_caches and a mapping agree. */
static void test_overwrite_coherent(void)
{
    char p[600];
    path(p, sizeof p, "overwrite");
    const size_t size = 100 * 1024;
    if (!CHECK(write_pattern(p, 7, size), "a 100 KiB file"))
        return;
    CHECK(file_matches(p, 7, size), "read back");
    int fd = open(p, O_RDWR);
    char buf[3 * PG];
    size_t at = 5 * PG - 77;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = coh_byte(9, at + i);
    CHECK(pwrite(fd, buf, sizeof buf, (off_t)at) == (ssize_t)sizeof buf, "overwrite 12 KiB");
    fsync(fd);
    close(fd);
    for (int pass = 0; pass < 2; pass++) {
        fd = open(p, O_RDONLY);
        bool ok = fd >= 0;
        char c;
        for (size_t i = 0; ok && i < size; i += 97) {
            char want = (i >= at && i < at + sizeof buf) ? coh_byte(9, i) : coh_byte(7, i);
            ok = pread(fd, &c, 1, (off_t)i) == 1 && c == want;
        }
        close(fd);
        CHECK(ok, pass ? "the overwrite reads back after drop_caches" : "the overwrite reads back");
        drop_caches();
    }
    unlink(p);
}

/* read(2) into, and write(2) from, a shared mapping of a file whose pages are only on the
 * disk: the kernel's user copy faults, the fault reads the page in (and sleeps for it), and
 * the copy goes on. The kernel must not switch tasks with user memory open meanwhile: it
 * logs "user memory open" if it does (tests/integration/test_disk.py and test_ofs.py look). */
static void test_copy_through_uncached_mapping(void)
{
    char src[600], dst[600], out[600];
    path(src, sizeof src, "copysrc");
    path(dst, sizeof dst, "copydst");
    path(out, sizeof out, "copyout");
    const size_t size = 16 * PG;
    if (!CHECK(write_pattern(src, 11, size) && write_pattern(dst, 12, size),
               "two 64 KiB files"))
        return;
    drop_caches();
    int fs = open(src, O_RDONLY), fd = open(dst, O_RDWR);
    char *m = fd < 0 ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (CHECK(fs >= 0 && m != MAP_FAILED, "open both, map the second")) {
        CHECK_EQ(read(fs, m, size), (ssize_t)size, "read(2) into a mapping of uncached pages");
        CHECK_OK(msync(m, size, MS_SYNC), "msync");
        munmap(m, size);
        drop_caches();
        CHECK(file_matches(dst, 11, size), "the mapped file holds what read(2) copied");
    }
    close(fs);
    close(fd);
    drop_caches();
    fs = open(src, O_RDONLY);
    m = fs < 0 ? MAP_FAILED : mmap(NULL, size, PROT_READ, MAP_SHARED, fs, 0);
    int fo = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (CHECK(m != MAP_FAILED && fo >= 0, "map the first again, create a third")) {
        CHECK_EQ(write(fo, m, size), (ssize_t)size, "write(2) from a mapping of uncached pages");
        munmap(m, size);
        CHECK(file_matches(out, 11, size), "the written file holds the mapped bytes");
    }
    close(fs);
    close(fo);
    unlink(src);
    unlink(dst);
    unlink(out);
}

static void test_madvise(void)
{
    char *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (under_qemu_user())
        check_skip("madvise with unknown advice: EINVAL", "qemu-user accepts any advice");
    else
        CHECK_ERR(madvise(m, PG, 12345), EINVAL, "madvise with unknown advice: EINVAL");
    CHECK_OK(madvise(m, PG, MADV_WILLNEED), "madvise(MADV_WILLNEED)");
    munmap(m, PG);
}

/* --touch FILE OFFSET */
static int touch_mode(const char *file, const char *offset)
{
    int fd = open(file, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(file);
        return 2;
    }
    long off = strtol(offset, NULL, 0);
    char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED || off < 0 || off >= st.st_size) {
        fprintf(stderr, "filemap: cannot map %s at %ld\n", file, off);
        return 2;
    }
    if (read_gives_sigbus(m + off))
        printf("SIGBUS\n");
    else
        printf("byte %d\n", (unsigned char)m[off]);
    return 0;
}

/* /proc/meminfo's value of `key` in kB, or -1. */
static long meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long v = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

struct peaks {
    long dirty, cached;
};

static void sample(struct peaks *p)
{
    long d = meminfo("Dirty"), c = meminfo("Cached");
    if (d > p->dirty)
        p->dirty = d;
    if (c > p->cached)
        p->cached = c;
}

/* The pattern's 8-byte word w of page pg: differs in every word of every page. */
static uint64_t pattern(uint64_t pg, uint64_t w)
{
    return (pg * 0x9e3779b97f4a7c15ull) ^ (w * 0xbf58476d1ce4e5b9ull) ^ 0x5a5a;
}

static int mapwrite_mode(const char *file, long mb)
{
    size_t len = (size_t)mb << 20;
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)len) < 0) {
        perror(file);
        return 2;
    }
    uint64_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    struct peaks pk = { 0, 0 };
    for (uint64_t pg = 0; pg < len / PG; pg++) {
        for (uint64_t w = 0; w < PG / 8; w++)
            m[pg * (PG / 8) + w] = pattern(pg, w);
        if (pg % 256 == 0)
            sample(&pk);
    }
    sample(&pk);
    if (munmap(m, len) < 0 || close(fd) < 0) {
        perror("munmap/close");
        return 2;
    }
    printf("mapwrite done max-dirty-kB %ld max-cached-kB %ld end-dirty-kB %ld\n", pk.dirty,
           pk.cached, meminfo("Dirty"));
    return 0;
}

static int check_mode(const char *file, long mb)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
        perror(file);
        return 2;
    }
    static uint64_t buf[64 * PG / 8];
    struct peaks pk = { 0, 0 };
    size_t len = (size_t)mb << 20;
    for (size_t off = 0; off < len; off += sizeof buf) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n != (ssize_t)sizeof buf) {
            printf("check short read at %zu: %zd\n", off, n);
            return 1;
        }
        for (size_t i = 0; i < sizeof buf / 8; i++) {
            uint64_t pg = (off + i * 8) / PG, w = i % (PG / 8);
            if (buf[i] != pattern(pg, w)) {
                printf("check bad at page %llu\n", (unsigned long long)pg);
                return 1;
            }
        }
        if (off % (1 << 20) == 0)
            sample(&pk);
    }
    char extra;
    if (read(fd, &extra, 1) != 0) {
        printf("check: file longer than %ld MiB\n", mb);
        return 1;
    }
    printf("check ok max-cached-kB %ld\n", pk.cached);
    return 0;
}

#define SLOTS 16

static int slot_mode(const char *file, const char *slot, const char *text, bool sync)
{
    long s = strtol(slot, NULL, 0);
    size_t n = strlen(text);
    int fd = open(file, O_RDWR | O_CREAT, 0644);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || s < 0 || s >= SLOTS || n >= PG) {
        perror(file);
        return 2;
    }
    if (st.st_size < SLOTS * PG && ftruncate(fd, SLOTS * PG) < 0) {
        perror("ftruncate");
        return 2;
    }
    char *m = mmap(NULL, SLOTS * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    memcpy(m + s * PG, text, n + 1);
    if (!sync) {
        printf("dirtied\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    if (msync(m, SLOTS * PG, MS_SYNC) < 0) {
        perror("msync");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--touch") == 0)
        return touch_mode(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "--mapwrite") == 0)
        return mapwrite_mode(argv[2], strtol(argv[3], NULL, 0));
    if (argc == 4 && strcmp(argv[1], "--check") == 0)
        return check_mode(argv[2], strtol(argv[3], NULL, 0));
    if (argc == 5 && strcmp(argv[1], "--slot") == 0)
        return slot_mode(argv[2], argv[3], argv[4], true);
    if (argc == 5 && strcmp(argv[1], "--dirty") == 0)
        return slot_mode(argv[2], argv[3], argv[4], false);
    check_begin("filemap");
    const char *base = "/tmp";
    struct stat st;
    if (argc > 1 && stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode))
        base = argv[1];
    snprintf(dir, sizeof dir, "%s/filemap.%d", base, (int)getpid());
    if (!CHECK_OK(mkdir(dir, 0755), "mkdir the work directory"))
        return check_done();
    check_note("directory %s", dir);
    test_shared_write_reaches_read();
    test_two_processes();
    test_private();
    test_truncate();
    test_kept();
    test_odirect();
    test_block_reuse();
    test_overwrite_coherent();
    test_copy_through_uncached_mapping();
    test_madvise();
    const char *names[] = { "shared", "twoproc", "private", "trunc" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[600];
        path(p, sizeof p, names[i]);
        unlink(p);
    }
    CHECK_OK(rmdir(dir), "remove the work directory");
    return check_done();
}
