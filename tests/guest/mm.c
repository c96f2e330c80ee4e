/*
 * mm: the address-space syscalls. Anonymous and file mappings, demand
 * paging, protection faults with exact si_addr/si_code (caught with
 * sigsetjmp/siglongjmp), MAP_FIXED, mremap, brk, malloc, shared mappings
 * across fork, madvise, and running freshly written code after mprotect.
 */
#include "check.h"

#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096UL
#define MiB (1024UL * 1024UL)
static char tmpfile_path[64]; /* /tmp/openv_mm_file.<pid> */

/* ---- fault probing ---- */

static sigjmp_buf probe_env;
static volatile uintptr_t fault_addr;
static volatile int fault_sig, fault_code;

static void fault_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    fault_sig = sig;
    fault_code = si->si_code;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(probe_env, 1);
}

static void install_fault_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

enum access { READ, WRITE, EXEC };

/* Touch `p` once; returns the signal caught (0 = no fault). */
static int probe(void *p, enum access how)
{
    fault_sig = fault_code = 0;
    fault_addr = 0;
    if (sigsetjmp(probe_env, 1) == 0) {
        if (how == READ)
            (void)*(volatile char *)p;
        else if (how == WRITE)
            *(volatile char *)p = 1;
        else
            ((void (*)(void))p)();
    }
    return fault_sig;
}

/* Probe and check for a SIGSEGV at exactly `p` with the given si_code. */
static void expect_fault(void *p, enum access how, int sig, int code,
                         const char *what)
{
    int s = probe(p, how);
    CHECKF(s == sig && fault_addr == (uintptr_t)p && fault_code == code, what,
           "sig=%d code=%d addr=%#lx (want sig %d code %d addr %p)", s,
           fault_code, (unsigned long)fault_addr, sig, code, p);
}

static void *map_anon(size_t len, int prot)
{
    return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* ---- tests ---- */

static void test_anon_big(void)
{
    size_t len = 64 * MiB;
    unsigned char *p = map_anon(len, PROT_READ | PROT_WRITE);
    if (!CHECK(p != MAP_FAILED, "mmap 64 MiB anonymous"))
        return;
    CHECK(((uintptr_t)p & (PAGE - 1)) == 0, "mmap result page aligned");
    int zero = 1, kept = 1;
    /* Sparse touches: one page per MiB plus odd offsets. */
    for (size_t off = 0; off < len; off += MiB + 3 * PAGE + 5) {
        zero &= p[off] == 0;
        p[off] = (unsigned char)(off >> 20);
    }
    for (size_t off = 0; off < len; off += MiB + 3 * PAGE + 5)
        kept &= p[off] == (unsigned char)(off >> 20);
    zero &= p[len - 1] == 0;
    CHECK(zero, "fresh anonymous pages read as zero");
    CHECK(kept, "sparse writes read back");
    CHECK_OK(munmap(p, len), "munmap 64 MiB");
    expect_fault(p + 5 * MiB + 7, READ, SIGSEGV, SEGV_MAPERR,
                 "access after munmap: SIGSEGV SEGV_MAPERR at address");

    /* Larger than RAM may be, but only a few pages touched. */
    size_t huge = 256 * MiB;
    p = mmap(NULL, huge, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (CHECK(p != MAP_FAILED, "mmap 256 MiB MAP_NORESERVE")) {
        p[0] = 1;
        p[huge / 2] = 2;
        p[huge - 1] = 3;
        CHECK(p[0] == 1 && p[huge / 2] == 2 && p[huge - 1] == 3,
              "3 pages of 256 MiB touched (demand paging)");
        munmap(p, huge);
    }
}

static void test_protections(void)
{
    char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
    if (!CHECK(p != MAP_FAILED, "mmap 3 pages"))
        return;
    memset(p, 'a', 3 * PAGE);
    CHECK_OK(mprotect(p + PAGE, PAGE, PROT_READ), "mprotect middle page RO");
    CHECK_EQ(probe(p + PAGE + 10, READ), 0, "read of RO page works");
    expect_fault(p + PAGE + 123, WRITE, SIGSEGV, SEGV_ACCERR,
                 "write to RO page: SIGSEGV SEGV_ACCERR at exact address");
    CHECK(p[PAGE + 123] == 'a', "faulting write had no effect");
    CHECK_EQ(probe(p + 2 * PAGE, WRITE), 0, "neighbour page still RW");

    CHECK_OK(mprotect(p + PAGE, PAGE, PROT_NONE), "mprotect PROT_NONE");
    expect_fault(p + PAGE + 1, READ, SIGSEGV, SEGV_ACCERR,
                 "read of PROT_NONE page: SEGV_ACCERR");
    CHECK_OK(mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE),
             "mprotect back to RW");
    CHECK(p[PAGE + 1] == 'a', "contents survive PROT_NONE round trip");

    /* Mapped PROT_NONE from the start (a guard page). */
    char *g = map_anon(PAGE, PROT_NONE);
    expect_fault(g, WRITE, SIGSEGV, SEGV_ACCERR, "write to PROT_NONE mapping");
    munmap(g, PAGE);

    /* Partial munmap punches a hole. */
    CHECK_OK(munmap(p + PAGE, PAGE), "munmap middle page");
    expect_fault(p + PAGE, READ, SIGSEGV, SEGV_MAPERR, "hole: SEGV_MAPERR");
    CHECK(p[0] == 'a' && p[2 * PAGE + 1] == 'a',
          "pages around the hole intact");
    /* Raw syscall: musl's mprotect() rounds the address down itself. */
    CHECK_ERR(syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL,
              "mprotect syscall with unaligned address: EINVAL");
    munmap(p, 3 * PAGE);

    expect_fault((void *)16, READ, SIGSEGV, SEGV_MAPERR,
                 "read near NULL: SEGV_MAPERR");
    CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              EINVAL, "mmap length 0: EINVAL");
    CHECK_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 12345, 0), EBADF,
              "mmap bad fd: EBADF");
    CHECK_ERR(munmap((char *)p + 1, PAGE), EINVAL, "munmap unaligned: EINVAL");
}

static void test_fixed(void)
{
    char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
    if (!CHECK(p != MAP_FAILED, "mmap for MAP_FIXED"))
        return;
    memset(p, 'x', 3 * PAGE);
    char *q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(q == p + PAGE, "MAP_FIXED returns the requested address");
    CHECK(p[PAGE] == 0 && p[2 * PAGE - 1] == 0,
          "MAP_FIXED replaces the old page with zeroes");
    CHECK(p[0] == 'x' && p[2 * PAGE] == 'x', "neighbours untouched");
    if (under_qemu_user()) {
        check_skip("MAP_FIXED_NOREPLACE over a mapping: EEXIST",
                   "qemu-user 7.2 rejects MAP_FIXED_NOREPLACE with EINVAL");
    } else {
        q = mmap(p + PAGE, PAGE, PROT_READ,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        CHECKF(q == MAP_FAILED && errno == EEXIST,
               "MAP_FIXED_NOREPLACE over a mapping: EEXIST", "q=%p errno=%d",
               (void *)q, errno);
    }
    CHECK_ERR(mmap(p + 1, PAGE, PROT_READ,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
              EINVAL, "MAP_FIXED unaligned: EINVAL");
    munmap(p, 3 * PAGE);

    /* A hint (no MAP_FIXED) at a free address is honoured by Linux. */
    q = mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECKF(q == p, "mmap hint at a free address honoured", "got %p want %p",
           (void *)q, (void *)p);
    munmap(q, PAGE);
}

static void test_mremap(void)
{
    /* Three pages; the third becomes a separate read-only mapping that
     * blocks growth in place, so MREMAP_MAYMOVE has to move. (MAP_FIXED at
     * p + 2 pages would be wrong: that page may belong to someone else.) */
    char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
    if (!CHECK(p != MAP_FAILED, "mmap for mremap"))
        return;
    for (size_t i = 0; i < 2 * PAGE; i++)
        p[i] = (char)(i * 13);
    char *blk = mmap(p + 2 * PAGE, PAGE, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(blk == p + 2 * PAGE, "blocker mapping after region");
    CHECK_ERR(mremap(p, 2 * PAGE, 8 * PAGE, 0), ENOMEM,
              "mremap grow without MAYMOVE, blocked: ENOMEM");
    char *n = mremap(p, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
    if (!CHECK(n != MAP_FAILED, "mremap grow with MREMAP_MAYMOVE"))
        return;
    CHECK(n != p, "mremap moved the mapping");
    int same = 1;
    for (size_t i = 0; i < 2 * PAGE; i++)
        same &= n[i] == (char)(i * 13);
    CHECK(same, "moved mapping keeps contents");
    CHECK(n[2 * PAGE] == 0 && n[8 * PAGE - 1] == 0, "grown part is zero");
    n[8 * PAGE - 1] = 5;
    expect_fault(p, READ, SIGSEGV, SEGV_MAPERR, "old address unmapped");

    char *s = mremap(n, 8 * PAGE, PAGE, 0);
    CHECK(s == n && s[0] == 0 && s[5] == (char)(5 * 13), "mremap shrink");
    expect_fault(n + 2 * PAGE, READ, SIGSEGV, SEGV_MAPERR,
                 "shrunk tail unmapped");
    munmap(s, PAGE);
    munmap(blk, PAGE);
}

static void test_brk_malloc(void)
{
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    CHECK(cur != 0, "brk(0) returns current break");
    uintptr_t want = cur + 1 * MiB + 100;
    uintptr_t got = (uintptr_t)syscall(SYS_brk, want);
    if (CHECKF(got == want, "brk grows by 1 MiB", "got %#lx want %#lx",
               (unsigned long)got, (unsigned long)want)) {
        volatile char *b = (char *)cur;
        int zero = b[0] == 0 && b[MiB / 2] == 0 && b[MiB + 99] == 0;
        b[0] = 1, b[MiB + 99] = 2;
        CHECK(zero && b[0] == 1 && b[MiB + 99] == 2,
              "new brk memory zeroed and writable");
        got = (uintptr_t)syscall(SYS_brk, cur);
        CHECK(got == cur, "brk shrinks back");
        if (under_qemu_user())
            check_skip("memory above shrunk brk unmapped",
                       "qemu-user keeps brk pages mapped after shrinking");
        else
            expect_fault((char *)((cur + MiB / 2) & ~(PAGE - 1)), READ,
                         SIGSEGV, SEGV_MAPERR,
                         "memory above shrunk brk unmapped");
    }
    /* A failing brk returns the old break (the raw syscall never errs). */
    got = (uintptr_t)syscall(SYS_brk, (uintptr_t)1 << 46);
    CHECK(got == cur, "impossible brk returns unchanged break");

    enum { NSMALL = 5000, NBIG = 8 };
    static unsigned char *small[NSMALL];
    unsigned char *big[NBIG];
    int ok = 1;
    for (int i = 0; i < NSMALL; i++) {
        size_t sz = 1 + (size_t)(i * 37) % 300;
        small[i] = malloc(sz);
        ok &= small[i] != NULL;
        if (small[i])
            memset(small[i], i & 0xff, sz);
    }
    for (int i = 0; i < NBIG; i++) {
        size_t sz = MiB + (size_t)i * 12345;
        big[i] = malloc(sz);
        ok &= big[i] != NULL;
        if (big[i])
            memset(big[i], 0xa0 + i, sz);
    }
    for (int i = 0; ok && i < NSMALL; i++) {
        size_t sz = 1 + (size_t)(i * 37) % 300;
        ok &= small[i][0] == (i & 0xff) && small[i][sz - 1] == (i & 0xff);
    }
    for (int i = 0; ok && i < NBIG; i++)
        ok &= big[i][0] == 0xa0 + i &&
               big[i][MiB + (size_t)i * 12345 - 1] == 0xa0 + i;
    CHECK(ok, "5000 small + 8 x 1 MiB malloc blocks intact");
    for (int i = 0; i < NSMALL; i += 2)
        free(small[i]);
    for (int i = 0; i < NBIG; i++)
        free(big[i]);
    void *r = malloc(64);
    ok = r != NULL;
    r = realloc(r, 3 * MiB);
    ok &= r != NULL;
    free(r);
    for (int i = 1; i < NSMALL; i += 2)
        free(small[i]);
    CHECK(ok, "free/realloc after heavy use");
}

static void test_shared_anon(void)
{
    volatile int *sh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    volatile int *priv = map_anon(PAGE, PROT_READ | PROT_WRITE);
    if (!CHECK(sh != MAP_FAILED && priv != MAP_FAILED, "mmap shared anon"))
        return;
    sh[0] = 1;
    priv[0] = 1;
    pid_t pid = fork();
    if (pid == 0) {
        sh[0] = 2;
        priv[0] = 2;
        while (sh[1] != 3) /* wait for the parent's write */
            sched_yield();
        _exit(0);
    }
    while (sh[0] != 2)
        sched_yield();
    sh[1] = 3;
    check_child(pid, "child sees parent's write to MAP_SHARED page");
    CHECK_EQ(sh[0], 2, "parent sees child's write to MAP_SHARED page");
    CHECK_EQ(priv[0], 1, "MAP_PRIVATE page stays private across fork");
    munmap((void *)sh, PAGE);
    munmap((void *)priv, PAGE);
}

static void test_file_mappings(void)
{
    int fd = open(tmpfile_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (!CHECK(fd >= 0, "create /tmp file"))
        return;
    char buf[2 * PAGE + 100];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)('A' + i % 23);
    CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "write file");

    char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (CHECK(p != MAP_FAILED, "mmap file MAP_PRIVATE")) {
        CHECK(memcmp(p, buf, sizeof buf) == 0, "mapping shows file contents");
        CHECK(p[sizeof buf] == 0 && p[3 * PAGE - 1] == 0,
              "bytes past EOF in the last page are zero");
        expect_fault(p + 3 * PAGE, READ, SIGBUS, BUS_ADRERR,
                     "page wholly past EOF: SIGBUS BUS_ADRERR");
        p[5] = '!';
        char c = 0;
        CHECK(pread(fd, &c, 1, 5) == 1 && c == buf[5],
              "private write does not reach the file");
        CHECK(p[5] == '!', "private write visible in the mapping");
        munmap(p, 4 * PAGE);
    }

    /* Offset mapping. */
    p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    CHECK(p != MAP_FAILED && memcmp(p, buf + PAGE, PAGE) == 0,
          "mmap at file offset 4096");
    if (p != MAP_FAILED)
        munmap(p, PAGE);
    CHECK_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL,
              "mmap unaligned offset: EINVAL");

    p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (CHECK(p != MAP_FAILED, "mmap file MAP_SHARED")) {
        p[7] = '#';
        msync(p, PAGE, MS_SYNC);
        char c = 0;
        CHECK(pread(fd, &c, 1, 7) == 1 && c == '#',
              "MAP_SHARED write reaches the file");
        CHECK(pwrite(fd, "%", 1, 8) == 1 && p[8] == '%',
              "file write visible through MAP_SHARED mapping");
        munmap(p, PAGE);
    }
    int rofd = open(tmpfile_path, O_RDONLY);
    CHECK_ERR(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, rofd, 0),
              EACCES, "writable MAP_SHARED of O_RDONLY fd: EACCES");
    close(rofd);
    close(fd);
    unlink(tmpfile_path);
}

static void test_madvise(void)
{
    char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
    if (!CHECK(p != MAP_FAILED, "mmap for madvise"))
        return;
    memset(p, 7, 4 * PAGE);
    CHECK_OK(madvise(p, 2 * PAGE, MADV_DONTNEED), "madvise DONTNEED");
    CHECK(p[0] == 0 && p[2 * PAGE - 1] == 0,
          "private anon pages zero after MADV_DONTNEED");
    CHECK(p[2 * PAGE] == 7, "pages outside the range kept");
    munmap(p, 4 * PAGE);
}

/* The range calls answer ENOMEM for addresses no mapping covers, kernel addresses included
 * (the bad-pointer sweep of issue #18 found them all returning 0), and madvise refuses advice
 * it does not know. */
static void test_range_calls_unmapped(void)
{
    if (under_qemu_user()) {
        check_skip("mlock/msync/madvise ranges", "qemu-user answers madvise itself (always 0)");
        return;
    }
    void *kern = (void *)0xffffffc000000000UL;
    CHECK_ERR(mlock(kern, PAGE), ENOMEM, "mlock of a kernel address: ENOMEM");
    CHECK_ERR(munlock(kern, PAGE), ENOMEM, "munlock of a kernel address: ENOMEM");
    CHECK_ERR(msync(kern, PAGE, MS_SYNC), ENOMEM, "msync of a kernel address: ENOMEM");
    CHECK_ERR(madvise(kern, PAGE, MADV_DONTNEED), ENOMEM,
              "madvise of a kernel address: ENOMEM");
    CHECK_ERR(madvise(kern, PAGE, MADV_NORMAL), ENOMEM,
              "madvise MADV_NORMAL of a kernel address: ENOMEM");

    char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
    if (!CHECK(p != MAP_FAILED, "mmap for the range calls"))
        return;
    munmap(p + PAGE, PAGE);   /* a hole in the middle */
    p[2 * PAGE] = 5;
    CHECK_ERR(madvise(p, 3 * PAGE, MADV_DONTNEED), ENOMEM,
              "madvise DONTNEED over a hole: ENOMEM");
    CHECK(p[2 * PAGE] == 0, "... and the mapped part was still dropped");
    CHECK_ERR(msync(p, 3 * PAGE, MS_ASYNC), ENOMEM, "msync over a hole: ENOMEM");
    /* Last: Linux leaves the part before the hole locked (DONTNEED would then be EINVAL). */
    CHECK_ERR(mlock(p, 3 * PAGE), ENOMEM, "mlock over a hole: ENOMEM");
    CHECK_OK(mlock(p, PAGE), "mlock of a mapped page");
    CHECK_OK(mlock(p + 2 * PAGE + 100, 10), "mlock of an unaligned start");
    CHECK_OK(munlock(p, PAGE), "munlock of a mapped page");
    CHECK_OK(msync(p, PAGE, MS_SYNC), "msync of a mapped page");
    CHECK_ERR(msync(p, PAGE, MS_SYNC | MS_ASYNC), EINVAL, "msync MS_SYNC|MS_ASYNC: EINVAL");
    CHECK_ERR(madvise(p, PAGE, 9999), EINVAL, "madvise with unknown advice: EINVAL");
    CHECK_ERR(madvise(p, PAGE, 12 /* MADV_MERGEABLE, no KSM */), EINVAL,
              "madvise MADV_MERGEABLE without KSM: EINVAL");
    CHECK_ERR(madvise(p, PAGE, -1), EINVAL, "madvise with advice -1: EINVAL");
    CHECK_OK(madvise(p, PAGE, MADV_WILLNEED), "madvise WILLNEED of a mapped page");
    CHECK_OK(madvise(p, 0, MADV_NORMAL), "madvise of length 0");
    CHECK_ERR(mlockall(0), EINVAL, "mlockall(0): EINVAL");
    munmap(p, 3 * PAGE);
}

/* A function returning 42 (and a way to patch it to 43). The test is meant
 * for riscv64; the x86-64 variant only exists so the file can be checked
 * against a native Linux kernel. */
#if defined(__riscv)
static const uint32_t code[2] = {0x02a00513, 0x00008067}; /* li a0,42; ret */
static void patch_43(uint32_t *p) { p[0] = 0x02b00513; }  /* li a0,43 */
#elif defined(__x86_64__)
static const uint32_t code[2] = {0x00002ab8, 0x0090c300}; /* mov eax,42; ret */
static void patch_43(uint32_t *p) { ((unsigned char *)p)[1] = 43; }
#else
#error "unsupported architecture"
#endif

static void test_exec_mapping(void)
{
    uint32_t *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
    if (!CHECK(p != MAP_FAILED, "mmap RW page for code"))
        return;
    memcpy(p, code, sizeof code);
    expect_fault(p, EXEC, SIGSEGV, SEGV_ACCERR,
                 "executing a non-PROT_EXEC page: SEGV_ACCERR");
    CHECK_OK(mprotect(p, PAGE, PROT_READ | PROT_EXEC), "mprotect R+X");
    __builtin___clear_cache((char *)p, (char *)(p + 2));
    int r = ((int (*)(void))(void *)p)();
    CHECK_EQ(r, 42, "code written via RW mapping runs after mprotect R+X");

    /* Rewrite: li a0, 43. Needs the icache flush (riscv_flush_icache). */
    mprotect(p, PAGE, PROT_READ | PROT_WRITE);
    patch_43(p);
    mprotect(p, PAGE, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *)p, (char *)(p + 2));
    r = ((int (*)(void))(void *)p)();
    CHECK_EQ(r, 43, "modified code runs after icache flush");
    expect_fault(p, WRITE, SIGSEGV, SEGV_ACCERR, "write to R+X page faults");
    munmap(p, PAGE);

    /* Linux allows W+X mappings outright. */
    p = map_anon(PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (CHECK(p != MAP_FAILED, "mmap RWX allowed")) {
        memcpy(p, code, sizeof code);
        __builtin___clear_cache((char *)p, (char *)(p + 2));
        CHECK_EQ(((int (*)(void))(void *)p)(), 42, "RWX code runs");
        munmap(p, PAGE);
    }
}

int main(void)
{
    check_begin("mm");
    snprintf(tmpfile_path, sizeof tmpfile_path, "/tmp/openv_mm_file.%d", (int)getpid());
    install_fault_handlers();
    test_anon_big();
    test_protections();
    test_fixed();
    test_mremap();
    test_brk_malloc();
    test_shared_anon();
    test_file_mappings();
    test_madvise();
    test_range_calls_unmapped();
    test_exec_mapping();
    return check_done();
}
