/*
 * preempt: the scheduler takes the CPU away from processes that never make
 * a syscall, timers fire into spinning processes, and the clocks behave.
 * Written for a single CPU: nothing here may rely on parallelism.
 */
#include "check.h"

#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

static double ts_ms(const struct timespec *t)
{
    return t->tv_sec * 1e3 + t->tv_nsec / 1e6;
}

static double now_ms(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return ts_ms(&ts);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Child body: spin forever bumping a shared counter, never entering the
 * kernel voluntarily. */
static void spin_forever(volatile unsigned long *counter)
{
    for (;;)
        (*counter)++;
}

static void test_preempt_spinner(void)
{
    volatile unsigned long *ctr =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
             -1, 0);
    if (!CHECK(ctr != MAP_FAILED, "mmap shared counters"))
        return;
    ctr[0] = ctr[1] = 0;

    pid_t pid = fork();
    if (pid == 0)
        spin_forever(&ctr[0]);
    double t0 = now_ms(CLOCK_MONOTONIC);
    sleep_ms(100);
    unsigned long c1 = ctr[0];
    sleep_ms(100);
    unsigned long c2 = ctr[0];
    double dt = now_ms(CLOCK_MONOTONIC) - t0;
    CHECKF(dt < 2000, "parent wakes from 2x100 ms sleep while child spins",
           "took %.0f ms", dt);
    CHECKF(c1 > 0 && c2 > c1, "spinning child made progress between wakeups",
           "counter %lu then %lu", c1, c2);
    CHECK_OK(kill(pid, SIGKILL), "kill spinning child");
    check_child_signaled(pid, SIGKILL, "spinning child killed and reaped");

    /* Two CPU hogs: both must get CPU time (round robin among runnable). */
    ctr[0] = ctr[1] = 0;
    pid_t a = fork();
    if (a == 0)
        spin_forever(&ctr[0]);
    pid_t b = fork();
    if (b == 0)
        spin_forever(&ctr[1]);
    sleep_ms(300);
    unsigned long ca = ctr[0], cb = ctr[1];
    kill(a, SIGKILL);
    kill(b, SIGKILL);
    check_child_signaled(a, SIGKILL, "hog A killed");
    check_child_signaled(b, SIGKILL, "hog B killed");
    CHECKF(ca > 0 && cb > 0, "two spinning children both progress",
           "counters %lu, %lu", ca, cb);
    check_note("hog counters after 300 ms: %lu %lu", ca, cb);
    munmap((void *)ctr, 4096);
}

static volatile sig_atomic_t alarm_hits;
static void on_alarm(int sig)
{
    (void)sig;
    alarm_hits++;
}

static void test_itimer(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    /* One-shot, 100 ms, while spinning without syscalls. */
    alarm_hits = 0;
    struct itimerval it = {{0, 0}, {0, 100000}};
    double t0 = now_ms(CLOCK_MONOTONIC);
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL), "setitimer 100 ms");
    for (unsigned long n = 0; !alarm_hits && n < 4000000000UL; n++)
        ;
    double dt = now_ms(CLOCK_MONOTONIC) - t0;
    CHECK_EQ(alarm_hits, 1, "SIGALRM delivered to a spinning process");
    CHECKF(dt >= 95 && dt < 3000, "SIGALRM after about 100 ms", "%.1f ms", dt);

    /* Periodic: 20 ms interval, count hits over ~250 ms of spinning. */
    alarm_hits = 0;
    it = (struct itimerval){{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    CHECKF(cur.it_interval.tv_usec == 20000 && cur.it_value.tv_sec == 0 &&
               cur.it_value.tv_usec <= 20000,
           "getitimer reports interval and remaining time",
           "interval %ld us, value %ld.%06ld", (long)cur.it_interval.tv_usec,
           (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
    t0 = now_ms(CLOCK_MONOTONIC);
    while (now_ms(CLOCK_MONOTONIC) - t0 < 250)
        ;
    it = (struct itimerval){{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
    int hits = alarm_hits;
    CHECKF(hits >= 5 && hits <= 14, "periodic ITIMER_REAL: ~12 hits in 250 ms",
           "%d hits", hits);
    getitimer(ITIMER_REAL, &cur);
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0,
          "disarmed timer reads zero");

    /* alarm() returns the seconds left on a previous alarm. */
    alarm(5);
    unsigned left = alarm(0);
    CHECKF(left >= 4 && left <= 5, "alarm() returns remaining seconds",
           "left=%u", left);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGALRM, &sa, NULL);
}

/* ITIMER_VIRTUAL counts user CPU time, ITIMER_PROF user and system time: both fire while the
 * process spins, neither while it sleeps. */
static volatile sig_atomic_t vt_hits, prof_hits;
static void on_vtalrm(int sig) { (void)sig; vt_hits++; }
static void on_prof(int sig) { (void)sig; prof_hits++; }

static void test_cpu_itimers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_vtalrm;
    sigaction(SIGVTALRM, &sa, NULL);
    sa.sa_handler = on_prof;
    sigaction(SIGPROF, &sa, NULL);

    struct itimerval it = {{0, 0}, {0, 50000}}, cur;
    CHECK_OK(setitimer(ITIMER_VIRTUAL, &it, NULL), "setitimer ITIMER_VIRTUAL 50 ms");
    getitimer(ITIMER_VIRTUAL, &cur);
    /* Linux rounds up to its tick. */
    CHECKF(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 70000,
           "getitimer(ITIMER_VIRTUAL) reports what is left", "%ld.%06ld",
           (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
    /* Sleeping uses no CPU time: the timer must not fire during 150 ms of sleep. */
    struct timespec ts = {0, 150000000};
    nanosleep(&ts, NULL);
    CHECK_EQ(vt_hits, 0, "ITIMER_VIRTUAL does not run while the process sleeps");
    for (unsigned long n = 0; !vt_hits && n < 4000000000UL; n++)
        ;
    CHECK_EQ(vt_hits, 1, "SIGVTALRM after 50 ms of user CPU time");
    getitimer(ITIMER_VIRTUAL, &cur);
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0, "one-shot ITIMER_VIRTUAL disarmed");

    it = (struct itimerval){{0, 20000}, {0, 20000}};
    CHECK_OK(setitimer(ITIMER_PROF, &it, NULL), "setitimer ITIMER_PROF every 20 ms");
    for (unsigned long n = 0; prof_hits < 3 && n < 12000000000UL; n++)
        ;
    CHECKF(prof_hits >= 3, "periodic SIGPROF while spinning", "%d hits", (int)prof_hits);
    struct itimerval old;
    it = (struct itimerval){{0, 0}, {0, 0}};
    CHECK_OK(setitimer(ITIMER_PROF, &it, &old), "disarm ITIMER_PROF");
    CHECKF(old.it_interval.tv_usec == 20000, "setitimer returns the old interval", "%ld us",
           (long)old.it_interval.tv_usec);
    CHECK_EQ(setitimer(3, &it, NULL), -1, "setitimer of an unknown timer fails");
    sa.sa_handler = SIG_DFL;
    sigaction(SIGVTALRM, &sa, NULL);
    sigaction(SIGPROF, &sa, NULL);
}

static void test_clocks(void)
{
    /* Monotonic: never goes backwards across many reads. */
    struct timespec prev, cur;
    clock_gettime(CLOCK_MONOTONIC, &prev);
    int backwards = 0, bad_nsec = 0;
    for (int i = 0; i < 20000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &cur);
        if (cur.tv_sec < prev.tv_sec ||
            (cur.tv_sec == prev.tv_sec && cur.tv_nsec < prev.tv_nsec))
            backwards++;
        bad_nsec += cur.tv_nsec < 0 || cur.tv_nsec >= 1000000000L;
        prev = cur;
    }
    CHECK_EQ(backwards, 0, "CLOCK_MONOTONIC never goes backwards");
    CHECK_EQ(bad_nsec, 0, "tv_nsec always in [0, 1e9)");

    double t0 = now_ms(CLOCK_MONOTONIC);
    sleep_ms(100);
    double dt = now_ms(CLOCK_MONOTONIC) - t0;
    CHECKF(dt >= 100 && dt < 1000, "CLOCK_MONOTONIC advances ~100 ms over "
           "nanosleep(100 ms)", "%.1f ms", dt);

    struct timespec res = {0, 0};
    CHECK_OK(clock_getres(CLOCK_MONOTONIC, &res), "clock_getres");
    CHECKF(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000,
           "CLOCK_MONOTONIC resolution <= 10 ms", "%ld ns", res.tv_nsec);

    static const struct { clockid_t id; const char *name; } clocks[] = {
        {CLOCK_REALTIME, "CLOCK_REALTIME"},
        {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
        {CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
        {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
        {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
        {CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
        {CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
    };
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "clock_gettime(%s)", clocks[i].name);
        CHECK_OK(clock_gettime(clocks[i].id, &cur), what);
    }
    CHECK_ERR(clock_gettime((clockid_t)12345, &cur), EINVAL,
              "clock_gettime bad clock: EINVAL");

    /* Realtime: no RTC is assumed, so only print it; it must agree with
     * gettimeofday and time(). */
    clock_gettime(CLOCK_REALTIME, &cur);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    check_note("CLOCK_REALTIME = %lld.%09ld", (long long)cur.tv_sec,
               cur.tv_nsec);
    CHECKF(llabs((long long)tv.tv_sec - (long long)cur.tv_sec) <= 1 &&
               llabs((long long)t - (long long)cur.tv_sec) <= 1,
           "gettimeofday/time agree with CLOCK_REALTIME",
           "clock %lld tod %lld time %lld", (long long)cur.tv_sec,
           (long long)tv.tv_sec, (long long)t);

    /* Absolute clock_nanosleep. */
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += 50 * 1000000L;
    if (deadline.tv_nsec >= 1000000000L)
        deadline.tv_sec++, deadline.tv_nsec -= 1000000000L;
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
    clock_gettime(CLOCK_MONOTONIC, &cur);
    CHECKF(r == 0 && ts_ms(&cur) >= ts_ms(&deadline),
           "clock_nanosleep TIMER_ABSTIME wakes after the deadline",
           "r=%d late by %.3f ms", r, ts_ms(&cur) - ts_ms(&deadline));
    struct timespec bad = {0, 1000000000L};
    CHECK_ERR(nanosleep(&bad, NULL), EINVAL, "nanosleep tv_nsec=1e9: EINVAL");
}

static void test_cpu_time(void)
{
    CHECK_EQ(sysconf(_SC_CLK_TCK), 100, "sysconf(_SC_CLK_TCK) == 100");
    struct tms t1, t2;
    clock_t w1 = times(&t1);
    double c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    double m0 = now_ms(CLOCK_MONOTONIC);
    while (now_ms(CLOCK_MONOTONIC) - m0 < 300)
        ; /* burn ~300 ms of CPU (all of it: nothing else runs) */
    double cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
    clock_t w2 = times(&t2);
    long ticks = (long)((t2.tms_utime + t2.tms_stime) -
                        (t1.tms_utime + t1.tms_stime));
    CHECKF(w1 != (clock_t)-1 && w2 - w1 >= 25 && w2 - w1 < 300,
           "times() return value advances ~30 ticks in 300 ms",
           "advanced %ld", (long)(w2 - w1));
    CHECKF(ticks >= 10, "times() user+sys advanced while spinning",
           "%ld ticks", ticks);
    CHECKF(cpu >= 100, "CLOCK_PROCESS_CPUTIME_ID advanced while spinning",
           "%.1f ms", cpu);

    /* A reaped child's CPU time shows up in cutime/RUSAGE_CHILDREN. */
    pid_t pid = fork();
    if (pid == 0) {
        double s = now_ms(CLOCK_MONOTONIC);
        while (now_ms(CLOCK_MONOTONIC) - s < 200)
            ;
        _exit(0);
    }
    check_child(pid, "CPU-burning child");
    struct tms t3;
    times(&t3);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double ru_ms = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
                   ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
    CHECKF(t3.tms_cutime + t3.tms_cstime >= 5 && ru_ms >= 50,
           "child CPU time in tms_cutime and RUSAGE_CHILDREN",
           "cutime+cstime=%ld ticks, rusage %.1f ms",
           (long)(t3.tms_cutime + t3.tms_cstime), ru_ms);
    CHECK_EQ(sched_yield(), 0, "sched_yield");
}

int main(void)
{
    check_begin("preempt");
    test_preempt_spinner();
    test_itimer();
    test_cpu_itimers();
    test_clocks();
    test_cpu_time();
    return check_done();
}
