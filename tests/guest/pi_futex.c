/*
 * pi_futex: priority-inheritance futexes and robust mutexes as Linux has them.
 * PTHREAD_PRIO_INHERIT mutexes (musl probes FUTEX_LOCK_PI), contended PI locking, robust
 * mutexes whose owner dies (a thread, a process; PI and not; the waiter asleep or arriving
 * later) giving EOWNERDEAD, and the raw operations: LOCK_PI, TRYLOCK_PI, UNLOCK_PI, their
 * errors and the lock word (owner TID, FUTEX_WAITERS, FUTEX_OWNER_DIED), LOCK_PI timeouts,
 * WAIT_REQUEUE_PI with CMP_REQUEUE_PI.
 */
#include "check.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const void *timeout,
                  volatile uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- pthread PI mutexes ---- */

static pthread_mutex_t pim;
static long counter;

static void *pi_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&pim);
        counter++;
        pthread_mutex_unlock(&pim);
    }
    return NULL;
}

static void test_pthread_pi(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    if (!CHECK_EQ(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), 0,
                  "pthread_mutexattr_setprotocol(PTHREAD_PRIO_INHERIT)"))
        return;
    CHECK_EQ(pthread_mutex_init(&pim, &a), 0, "PI mutex init");
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, pi_worker, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(counter, 6000, "three threads contending for a PI mutex count right");
    CHECK_EQ(pthread_mutex_trylock(&pim), 0, "trylock of a free PI mutex");
    CHECK_EQ(pthread_mutex_unlock(&pim), 0, "unlock");
}

/* ---- robust mutexes ---- */

static pthread_mutex_t *shared_mutex(int pi)
{
    pthread_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (pi)
        pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(m, &a);
    return m;
}

static void *lock_and_exit(void *arg)
{
    pthread_mutex_lock(arg);
    return NULL;   /* exits holding it */
}

static void test_robust(int pi)
{
    const char *kind = pi ? "robust PI" : "robust";
    char what[128];

    /* A thread dies holding it; the lock comes later. */
    pthread_mutex_t *m = shared_mutex(pi);
    if (!CHECK(m != NULL, "mmap a shared mutex"))
        return;
    pthread_t t;
    pthread_create(&t, NULL, lock_and_exit, m);
    pthread_join(t, NULL);
    snprintf(what, sizeof what, "%s: owner thread exited: EOWNERDEAD", kind);
    CHECK_EQ(pthread_mutex_lock(m), EOWNERDEAD, what);
    snprintf(what, sizeof what, "%s: pthread_mutex_consistent", kind);
    CHECK_EQ(pthread_mutex_consistent(m), 0, what);
    pthread_mutex_unlock(m);
    snprintf(what, sizeof what, "%s: usable again after consistent", kind);
    CHECK(pthread_mutex_lock(m) == 0 && pthread_mutex_unlock(m) == 0, what);

    /* A process dies holding it while we sleep in the lock. */
    int p[2];
    if (pipe(p))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(m);
        (void)!write(p[1], "x", 1);
        nap_ms(200);
        _exit(0);
    }
    char c;
    (void)!read(p[0], &c, 1);
    snprintf(what, sizeof what, "%s: owner process died while we waited: EOWNERDEAD", kind);
    alarm(20);
    CHECK_EQ(pthread_mutex_lock(m), EOWNERDEAD, what);
    alarm(0);
    waitpid(pid, NULL, 0);
    pthread_mutex_consistent(m);
    pthread_mutex_unlock(m);

    /* Dead owner, lock left unrecovered: ENOTRECOVERABLE for the next. */
    pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(m);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    CHECK_EQ(pthread_mutex_lock(m), EOWNERDEAD, "second death: EOWNERDEAD");
    pthread_mutex_unlock(m);   /* without consistent */
    snprintf(what, sizeof what, "%s: not made consistent: ENOTRECOVERABLE", kind);
    CHECK_EQ(pthread_mutex_lock(m), ENOTRECOVERABLE, what);
    close(p[0]);
    close(p[1]);
    munmap(m, 4096);
}

/* ---- raw PI operations ---- */

static volatile uint32_t word, cond, pilock;
static atomic_int stage;
static pid_t thread_tid;
static long thread_ret;

static void *raw_contender(void *arg)
{
    (void)arg;
    thread_tid = gettid_();
    errno = 0;
    long r = futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0);
    atomic_store(&stage, r == -1 && errno == EWOULDBLOCK ? 1 : -1);
    thread_ret = futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
    atomic_store(&stage, 2);
    while (atomic_load(&stage) != 3)
        nap_ms(5);
    futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    return NULL;
}

static void *requeue_waiter(void *arg)
{
    (void)arg;
    thread_tid = gettid_();
    atomic_store(&stage, 1);
    thread_ret = futex(&cond, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &pilock, 0);
    atomic_store(&stage, 2);
    if (thread_ret == 0 && (pilock & FUTEX_TID_MASK) == (uint32_t)gettid_())
        futex(&pilock, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    return NULL;
}

static void test_raw_pi(void)
{
    pid_t me = gettid_();
    word = 0;
    CHECK_EQ(futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), 0, "LOCK_PI of a free word");
    CHECK_EQ(word, (uint32_t)me, "the word holds the owner's TID");
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), EDEADLK, "LOCK_PI by the owner: EDEADLK");
    CHECK_ERR(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EDEADLK, "TRYLOCK_PI by the owner: EDEADLK");

    pthread_t t;
    atomic_store(&stage, 0);
    pthread_create(&t, NULL, raw_contender, NULL);
    while (atomic_load(&stage) == 0)
        nap_ms(5);
    CHECK_EQ(atomic_load(&stage), 1, "TRYLOCK_PI of a held lock: EWOULDBLOCK");
    nap_ms(100);
    CHECK(word == (FUTEX_WAITERS | (uint32_t)me), "a waiter in LOCK_PI sets FUTEX_WAITERS");
    CHECK_EQ(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0, "UNLOCK_PI with a waiter");
    while (atomic_load(&stage) != 2)
        nap_ms(5);
    CHECK_EQ(thread_ret, 0, "the waiter's LOCK_PI returns 0");
    CHECK_EQ(word & FUTEX_TID_MASK, (uint32_t)thread_tid, "UNLOCK_PI handed the lock to the waiter");
    CHECK_ERR(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM, "UNLOCK_PI by a non-owner: EPERM");
    atomic_store(&stage, 3);
    pthread_join(t, NULL);
    CHECK_EQ(word, 0, "UNLOCK_PI without waiters frees the word");

    word = 0x3ffffff0;  /* an owner TID that names no thread */
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), ESRCH, "LOCK_PI behind a TID that does not exist: ESRCH");
    word = FUTEX_OWNER_DIED;
    CHECK_EQ(futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), 0, "LOCK_PI of a word whose owner died");
    CHECK_EQ(word, FUTEX_OWNER_DIED | (uint32_t)me, "FUTEX_OWNER_DIED kept for user space");
    futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);

    /* A timeout (absolute, CLOCK_REALTIME) behind a live owner: our own process's
     * child thread holds it. */
    atomic_store(&stage, 0);
    word = 0;
    pthread_create(&t, NULL, raw_contender, NULL);   /* TRYLOCK fails? no: it gets it */
    while (atomic_load(&stage) != 2)
        nap_ms(5);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI, 0, &ts, NULL, 0), ETIMEDOUT, "LOCK_PI times out: ETIMEDOUT");
    atomic_store(&stage, 3);
    pthread_join(t, NULL);
    CHECK_EQ(word, 0, "the owner's unlock after a timed-out waiter frees the word");

    struct timespec bad = {0, 2000000000L}, past = {1, 0};
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI, 0, &bad, NULL, 0), EINVAL,
              "LOCK_PI with tv_nsec out of range: EINVAL");
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, &past, NULL, 0), ENOSYS,
              "LOCK_PI with FUTEX_CLOCK_REALTIME: ENOSYS");
    uint32_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_ERR(futex(ro, FUTEX_LOCK_PI, 0, NULL, NULL, 0), EFAULT, "LOCK_PI on a read-only page: EFAULT");
    munmap(ro, 4096);

    /* WAIT_REQUEUE_PI + CMP_REQUEUE_PI: the waiter comes back owning the PI lock. */
    CHECK_ERR(futex(&cond, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &cond, 0), EINVAL,
              "WAIT_REQUEUE_PI with uaddr == uaddr2: EINVAL");
    CHECK_ERR(futex(&cond, FUTEX_CMP_REQUEUE_PI, 2, NULL, &pilock, 0), EINVAL,
              "CMP_REQUEUE_PI waking 2: EINVAL");
    CHECK_ERR(futex(&cond, FUTEX_WAIT_REQUEUE_PI, 1, NULL, &pilock, 0), EAGAIN,
              "WAIT_REQUEUE_PI with a changed value: EAGAIN");
    cond = 0;
    pilock = 0;
    atomic_store(&stage, 0);
    pthread_create(&t, NULL, requeue_waiter, NULL);
    while (atomic_load(&stage) == 0)
        nap_ms(5);
    nap_ms(100);
    long n = futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)0, &pilock, 0);
    CHECK_EQ(n, 1, "CMP_REQUEUE_PI takes the waiter");
    pthread_join(t, NULL);
    CHECK_EQ(thread_ret, 0, "WAIT_REQUEUE_PI returns owning the PI lock");
    CHECK_EQ(pilock, 0, "... which it then unlocked");
    CHECK_ERR(futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)0, &pilock, 5), EAGAIN,
              "CMP_REQUEUE_PI with a changed value: EAGAIN");
}

int main(void)
{
    check_begin("pi_futex");
    test_pthread_pi();
    if (under_qemu_user()) {
        check_skip("robust mutexes", "qemu-user does not walk robust lists at exit");
    } else {
        test_robust(0);
        test_robust(1);
    }
    test_raw_pi();
    return check_done();
}
