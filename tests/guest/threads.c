/*
 * threads: pthreads on top of clone(CLONE_VM|CLONE_THREAD|CLONE_SETTLS|
 * CLONE_CHILD_CLEARTID...), TLS, mutex/condvar (futex based), raw futex
 * WAIT/WAKE semantics, thread-directed signals, and process lifetime rules
 * (exit_group from any thread, main thread exiting first).
 */
#include "check.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#define NTHREADS 8

static long my_tid(void) { return syscall(SYS_gettid); }

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static long futex(atomic_int *addr, int op, int val, const struct timespec *ts)
{
    return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

/* ---- create/join, return values, tids, TLS ---- */

static __thread int tls_init = 42; /* .tdata: every thread starts at 42 */
static __thread long tls_zero;     /* .tbss: every thread starts at 0 */

struct tinfo {
    int idx;
    long tid;
    int tls_init_seen;
    long tls_zero_seen;
    uintptr_t tls_addr;
    int tls_kept;
};

static void *worker(void *arg)
{
    struct tinfo *ti = arg;
    ti->tid = my_tid();
    ti->tls_init_seen = tls_init;
    ti->tls_zero_seen = tls_zero;
    ti->tls_addr = (uintptr_t)&tls_init;
    tls_init = 1000 + ti->idx;
    tls_zero = ti->idx;
    for (int i = 0; i < 20; i++) {
        sched_yield(); /* let the other threads scribble on theirs */
        sleep_ms(1);
    }
    ti->tls_kept = tls_init == 1000 + ti->idx && tls_zero == ti->idx;
    return (void *)(intptr_t)(ti->idx * 2 + 1);
}

static void test_create_join(void)
{
    pthread_t th[NTHREADS];
    struct tinfo ti[NTHREADS];
    memset(ti, 0, sizeof ti);
    tls_init = 7; /* main's copy must not leak into new threads */
    int created = 0;
    for (int i = 0; i < NTHREADS; i++) {
        ti[i].idx = i;
        created += pthread_create(&th[i], NULL, worker, &ti[i]) == 0;
    }
    CHECK_EQ(created, NTHREADS, "pthread_create x8");
    int rets_ok = 1;
    for (int i = 0; i < created; i++) {
        void *ret = NULL;
        rets_ok &= pthread_join(th[i], &ret) == 0 &&
                   (intptr_t)ret == i * 2 + 1;
    }
    CHECK(rets_ok, "pthread_join returns each thread's value");

    int distinct = 1, init_ok = 1, kept = 1;
    for (int i = 0; i < NTHREADS; i++) {
        distinct &= ti[i].tid > 0 && ti[i].tid != getpid();
        for (int j = 0; j < i; j++)
            distinct &= ti[i].tid != ti[j].tid &&
                        ti[i].tls_addr != ti[j].tls_addr;
        init_ok &= ti[i].tls_init_seen == 42 && ti[i].tls_zero_seen == 0;
        kept &= ti[i].tls_kept;
    }
    CHECK(distinct, "gettid and __thread addresses distinct per thread");
    CHECK(init_ok, "new thread TLS initialised from .tdata/.tbss image");
    CHECK(kept, "__thread values private to each thread");
    CHECK_EQ(tls_init, 7, "main thread TLS untouched");
    CHECK_EQ(my_tid(), getpid(), "main thread tid == pid");
}

/* ---- mutex counter, condvar ---- */

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static long counter;
#define INCS 20000

static void *incr(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCS; i++) {
        pthread_mutex_lock(&mtx);
        long v = counter;
        if ((i & 1023) == 0)
            sched_yield(); /* widen the window a lost update would need */
        counter = v + 1;
        pthread_mutex_unlock(&mtx);
    }
    return NULL;
}

static void test_mutex(void)
{
    pthread_t th[4];
    counter = 0;
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, incr, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(counter, 4L * INCS, "mutex-protected counter exact");
}

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int queue_items, queue_done;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&mtx);
        queue_items++;
        pthread_cond_signal(&cond);
        pthread_mutex_unlock(&mtx);
    }
    pthread_mutex_lock(&mtx);
    queue_done = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mtx);
    return NULL;
}

static void test_condvar(void)
{
    pthread_t th;
    int consumed = 0;
    queue_items = queue_done = 0;
    pthread_create(&th, NULL, producer, NULL);
    pthread_mutex_lock(&mtx);
    for (;;) {
        while (queue_items == 0 && !queue_done)
            pthread_cond_wait(&cond, &mtx);
        consumed += queue_items;
        queue_items = 0;
        if (queue_done)
            break;
    }
    pthread_mutex_unlock(&mtx);
    pthread_join(th, NULL);
    CHECK_EQ(consumed, 1000, "condvar producer/consumer");

    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 50 * 1000000L;
    if (abs.tv_nsec >= 1000000000L)
        abs.tv_sec++, abs.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&mtx);
    int r = pthread_cond_timedwait(&cond, &mtx, &abs);
    pthread_mutex_unlock(&mtx);
    CHECK_EQ(r, ETIMEDOUT, "pthread_cond_timedwait times out");
}

/* ---- raw futex ---- */

static atomic_int fword, fwaiting, fwaits;

static void *futex_waiter(void *arg)
{
    int op = (int)(intptr_t)arg;
    atomic_fetch_add(&fwaiting, 1);
    while (atomic_load(&fword) == 0) {
        atomic_fetch_add(&fwaits, 1);
        futex(&fword, op, 0, NULL);
    }
    return NULL;
}

static void test_futex(void)
{
    atomic_int w = 5;
    CHECK_ERR(futex(&w, FUTEX_WAIT, 6, NULL), EAGAIN,
              "FUTEX_WAIT with mismatched value: EAGAIN");
    CHECK_ERR(futex(&w, FUTEX_WAIT_PRIVATE, 6, NULL), EAGAIN,
              "FUTEX_WAIT_PRIVATE mismatched: EAGAIN");
    struct timespec ts = {0, 50 * 1000000L};
    double t0 = now_ms();
    CHECK_ERR(futex(&w, FUTEX_WAIT, 5, &ts), ETIMEDOUT,
              "FUTEX_WAIT timeout: ETIMEDOUT");
    double dt = now_ms() - t0;
    CHECKF(dt >= 45, "FUTEX_WAIT slept for the timeout", "%.1f ms", dt);
    CHECK_EQ(futex(&w, FUTEX_WAKE, 1, NULL), 0, "FUTEX_WAKE no waiters: 0");
    CHECK_ERR(futex((atomic_int *)((char *)&w + 1), FUTEX_WAIT, 5, NULL),
              EINVAL, "FUTEX_WAIT misaligned address: EINVAL");

    /* Wake counts: 3 waiters, wake 1 then the rest. Both the shared and
     * the private flavour, which musl mixes. */
    static const int ops[2][2] = {{FUTEX_WAIT, FUTEX_WAKE},
                                  {FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE}};
    for (int k = 0; k < 2; k++) {
        pthread_t th[3];
        atomic_store(&fword, 0);
        atomic_store(&fwaiting, 0);
        atomic_store(&fwaits, 0);
        for (int i = 0; i < 3; i++)
            pthread_create(&th[i], NULL, futex_waiter,
                           (void *)(intptr_t)ops[k][0]);
        while (atomic_load(&fwaiting) < 3)
            sleep_ms(1);
        sleep_ms(100); /* let all three block in the kernel */
        long woke1 = futex(&fword, ops[k][1], 1, NULL);
        /* The woken waiter must be back in FUTEX_WAIT before the second wake counts it: wait
         * for its fourth call (a loaded host may not run it for a while), then let it block. */
        for (int i = 0; i < 5000 && atomic_load(&fwaits) < 4; i++)
            sleep_ms(1);
        sleep_ms(20);
        atomic_store(&fword, 1);
        long woke2 = futex(&fword, ops[k][1], 0x7fffffff, NULL);
        for (int i = 0; i < 3; i++)
            pthread_join(th[i], NULL);
        CHECKF(woke1 == 1 && woke2 == 3,
               k ? "FUTEX_WAKE_PRIVATE counts" : "FUTEX_WAKE counts",
               "wake(1)=%ld wake(all)=%ld (want 1, 3: the first woken "
               "re-waits)", woke1, woke2);
    }

    /* Shared futex between processes on a MAP_SHARED page. */
    atomic_int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!CHECK(sh != MAP_FAILED, "mmap shared page"))
        return;
    sh[0] = 0;
    sh[1] = 0;
    pid_t pid = fork();
    if (pid == 0) {
        atomic_store(&sh[1], 1);
        while (atomic_load(&sh[0]) == 0)
            futex(&sh[0], FUTEX_WAIT, 0, NULL);
        _exit(0);
    }
    while (atomic_load(&sh[1]) == 0)
        sleep_ms(1);
    sleep_ms(100);
    atomic_store(&sh[0], 1);
    long woke = futex(&sh[0], FUTEX_WAKE, 1, NULL);
    check_child(pid, "cross-process futex wait woken");
    CHECK_EQ(woke, 1, "shared FUTEX_WAKE wakes the other process");
    munmap(sh, 4096);
}

/* The kernel reads a futex word with one 32-bit load, as Linux does (futex_get_value_locked):
 * a word that another hart changes meanwhile is seen as its old or its new value, never as a
 * mix of their bytes. A thread flips the word between 0 and 0xffffffff while FUTEX_WAIT, with
 * a zero timeout, compares it with 0x000000ff, which it never holds: EAGAIN every time, never
 * ETIMEDOUT. (openv read it byte by byte: a LOCK_PI saw a torn owner TID, answered ESRCH, and
 * musl's pthread_mutex_lock then parks the thread for ever: pi_futex hung at -smp 4.) */
static atomic_int torn_word, torn_stop;
static long torn_flips;

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static void *torn_flipper(void *arg)
{
    (void)arg;
    pin_to(1);
    while (!atomic_load_explicit(&torn_stop, memory_order_relaxed)) {
        atomic_store_explicit(&torn_word, -1, memory_order_relaxed);
        atomic_store_explicit(&torn_word, 0, memory_order_relaxed);
        torn_flips++;
    }
    return NULL;
}

static void test_futex_word_read_once(void)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        check_skip("FUTEX_WAIT reads the word in one access, never torn", "one CPU");
        return;
    }
    cpu_set_t old;
    sched_getaffinity(0, sizeof old, &old);
    pin_to(0);   /* the flipper on CPU 1: the two run at the same time */
    pthread_t th;
    atomic_store(&torn_word, 0);
    atomic_store(&torn_stop, 0);
    pthread_create(&th, NULL, torn_flipper, NULL);
    struct timespec zero = {0, 0};
    long calls = 0, torn = 0, other = 0;
    double t0 = now_ms();
    while (now_ms() - t0 < 1000) {
        for (int i = 0; i < 100; i++, calls++) {
            long r = futex(&torn_word, FUTEX_WAIT_PRIVATE, 0xff, &zero);
            if (r == -1 && errno == ETIMEDOUT)
                torn++;
            else if (!(r == -1 && errno == EAGAIN))
                other++;
        }
    }
    atomic_store(&torn_stop, 1);
    pthread_join(th, NULL);
    sched_setaffinity(0, sizeof old, &old);
    check_note("futex word flipped %ld times on CPU 1 during %ld FUTEX_WAITs on CPU 0",
               torn_flips, calls);
    CHECKF(torn == 0 && other == 0, "FUTEX_WAIT reads the word in one access, never torn",
           "%ld of %ld calls saw 0x000000ff, %ld gave neither EAGAIN nor ETIMEDOUT", torn,
           calls, other);
}

/* ---- raw clone: CLONE_PARENT_SETTID / CLONE_CHILD_CLEARTID ---- */

static volatile int raw_child_ran;

/* Runs on a bare stack with the parent's tp (no CLONE_SETTLS), so it must
 * not touch TLS (errno included): one store and return, which makes libc's
 * clone() wrapper call SYS_exit for this thread only. */
static int raw_child(void *arg)
{
    (void)arg;
    raw_child_ran = 1;
    return 0;
}

static void test_raw_clone(void)
{
    static char stack[64 * 1024] __attribute__((aligned(16)));
    static atomic_int ctid;
    static pid_t ptid;
    atomic_store(&ctid, -1);
    ptid = 0;
    raw_child_ran = 0;
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
                CLONE_CHILD_CLEARTID;
    int tid = clone(raw_child, stack + sizeof stack, flags, NULL, &ptid, NULL,
                    &ctid);
    if (!CHECK(tid > 0, "raw clone(CLONE_THREAD|...)"))
        return;
    CHECK_EQ(ptid, tid, "CLONE_PARENT_SETTID stores the tid");
    /* The kernel must zero ctid and FUTEX_WAKE it when the thread exits;
     * this is exactly what pthread_join waits for. */
    double t0 = now_ms();
    int v;
    while ((v = atomic_load(&ctid)) != 0 && now_ms() - t0 < 5000) {
        struct timespec ts = {1, 0};
        futex(&ctid, FUTEX_WAIT, v, &ts);
    }
    CHECK(raw_child_ran, "raw clone child ran");
    CHECKF(atomic_load(&ctid) == 0,
           "CLONE_CHILD_CLEARTID zeroes the tid word and wakes the waiter",
           "ctid=%d after %.0f ms", atomic_load(&ctid), now_ms() - t0);
}

/* ---- thread lifetime ---- */

static atomic_int spin_stop, spin_done;

static void *quick_exit_thread(void *arg)
{
    (void)arg;
    pthread_exit((void *)(intptr_t)77);
}

static void *spinner(void *arg)
{
    (void)arg;
    unsigned long n = 0;
    while (!atomic_load(&spin_stop))
        n++;
    atomic_store(&spin_done, 1);
    return (void *)n;
}

static void test_exit_while_running(void)
{
    pthread_t a, b;
    atomic_store(&spin_stop, 0);
    pthread_create(&b, NULL, spinner, NULL);
    pthread_create(&a, NULL, quick_exit_thread, NULL);
    void *ra = NULL;
    pthread_join(a, &ra);
    CHECK_EQ((intptr_t)ra, 77, "pthread_exit value reaches joiner");
    sleep_ms(20);
    CHECK_EQ(atomic_load(&spin_done), 0, "other thread still running");
    atomic_store(&spin_stop, 1);
    pthread_join(b, NULL);
    CHECK_EQ(atomic_load(&spin_done), 1, "spinner finished after stop");

    /* Many short threads: tid reuse and CLONE_CHILD_CLEARTID-based join. */
    int ok = 1;
    for (int i = 0; i < 200 && ok; i++) {
        pthread_t t;
        void *r = NULL;
        ok = pthread_create(&t, NULL, quick_exit_thread, NULL) == 0 &&
             pthread_join(t, &r) == 0 && (intptr_t)r == 77;
    }
    CHECK(ok, "200 sequential create+join");

    /* Detached threads must be cleaned up without a joiner. */
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 64 * 1024);
    ok = 1;
    for (int i = 0; i < 50; i++) {
        pthread_t t;
        ok &= pthread_create(&t, &at, quick_exit_thread, NULL) == 0;
    }
    pthread_attr_destroy(&at);
    CHECK(ok, "50 detached threads with 64 KiB stacks");
}

static void *exit_group_thread(void *arg)
{
    sleep_ms(20);
    if (arg)
        exit(7); /* exit_group: takes the sleeping main thread down too */
    _exit(8);
}

static void *late_exit_thread(void *arg)
{
    (void)arg;
    sleep_ms(50);
    exit(3);
}

static void test_process_exit(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        alarm(10);
        pthread_create(&t, NULL, exit_group_thread, (void *)1);
        for (;;)
            pause();
    }
    int st;
    CHECKF(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
               WEXITSTATUS(st) == 7,
           "exit() from a thread ends the whole process", "%s",
           check_wstatus(st));

    pid = fork();
    if (pid == 0) {
        pthread_t t;
        alarm(10);
        pthread_create(&t, NULL, exit_group_thread, NULL);
        for (;;)
            pause();
    }
    CHECKF(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
               WEXITSTATUS(st) == 8,
           "_exit() from a thread ends the whole process", "%s",
           check_wstatus(st));

    /* Main thread exits first: the process lives on until the last thread;
     * its status is that thread's exit code. */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        alarm(10);
        pthread_create(&t, NULL, late_exit_thread, NULL);
        pthread_exit(NULL);
    }
    CHECKF(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
               WEXITSTATUS(st) == 3,
           "process outlives its main thread", "%s", check_wstatus(st));

    /* Fatal signal in one thread kills all. */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        alarm(10); /* a failure must not hang the suite */
        atomic_store(&spin_stop, 0);
        pthread_create(&t, NULL, spinner, NULL);
        sleep_ms(20);
        pthread_kill(t, SIGTERM);
        for (;;)
            pause();
    }
    check_child_signaled(pid, SIGTERM, "fatal signal to a thread kills all");
}

/* ---- signals and threads ---- */

static volatile long sig_tid;
static void tid_handler(int sig)
{
    (void)sig;
    sig_tid = my_tid();
}

static atomic_int target_ready;
static atomic_long target_tid;
static void *sig_target(void *arg)
{
    (void)arg;
    atomic_store(&target_tid, my_tid());
    atomic_store(&target_ready, 1);
    while (!atomic_load(&spin_stop))
        sleep_ms(1);
    return NULL;
}

static void test_thread_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tid_handler;
    sigaction(SIGUSR1, &sa, NULL);

    pthread_t t;
    atomic_store(&spin_stop, 0);
    atomic_store(&target_ready, 0);
    pthread_create(&t, NULL, sig_target, NULL);
    while (!atomic_load(&target_ready))
        sleep_ms(1);
    sig_tid = 0;
    pthread_kill(t, SIGUSR1);
    for (int i = 0; i < 500 && !sig_tid; i++)
        sleep_ms(1);
    CHECKF(sig_tid == atomic_load(&target_tid),
           "pthread_kill runs handler in the target thread",
           "handler tid=%ld target=%ld", sig_tid, atomic_load(&target_tid));

    /* Process-directed signal goes to a thread that doesn't block it. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    sig_tid = 0;
    kill(getpid(), SIGUSR1);
    for (int i = 0; i < 500 && !sig_tid; i++)
        sleep_ms(1);
    CHECKF(sig_tid == atomic_load(&target_tid),
           "kill(pid) delivered to the thread not blocking it",
           "handler tid=%ld target=%ld", sig_tid, atomic_load(&target_tid));
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);

    atomic_store(&spin_stop, 1);
    pthread_join(t, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGUSR1, &sa, NULL);
}

/* A thread blocked in read() is woken by a write from another thread. */
static int pipe_fds[2];
static void *pipe_reader(void *arg)
{
    char c = 0;
    (void)arg;
    return read(pipe_fds[0], &c, 1) == 1 && c == 'z' ? (void *)1 : NULL;
}

static void test_blocking_io(void)
{
    if (pipe(pipe_fds) != 0)
        return;
    pthread_t t;
    pthread_create(&t, NULL, pipe_reader, NULL);
    sleep_ms(50);
    (void)!write(pipe_fds[1], "z", 1);
    void *r = NULL;
    pthread_join(t, &r);
    CHECK(r == (void *)1, "thread blocked in read woken by another thread");
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

/* fork() from a non-main thread: the child is a single-threaded copy. */
static void *forker(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0)
        _exit(my_tid() == getpid() ? 0 : 1);
    int st = 0;
    waitpid(pid, &st, 0);
    return (void *)(intptr_t)(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_fork_from_thread(void)
{
    pthread_t t;
    void *r = NULL;
    pthread_create(&t, NULL, forker, NULL);
    pthread_join(t, &r);
    CHECK(r == (void *)1, "fork from a thread: child's tid == its pid");
}

int main(void)
{
    check_begin("threads");
    test_create_join();
    test_mutex();
    test_condvar();
    test_futex();
    test_futex_word_read_once();
    test_raw_clone();
    test_exit_while_running();
    test_process_exit();
    test_thread_signals();
    test_blocking_io();
    test_fork_from_thread();
    return check_done();
}
