/*
 * openv-bench: lmbench-style microbenchmarks for the openv kernel.
 *
 * usage: openv-bench [-t SECONDS] [-x HELLO] [-s SH] [-l] [NAME...]
 *   -t  target duration of one measured round (default 0.25 s)
 *   -x  path of the tiny "hello" program for fork_exec (default: "hello"
 *       next to this binary, found via argv[0])
 *   -s  shell for sh_true (default /bin/sh)
 *   -l  list benchmark names
 *   NAME...  run only these (default: all)
 *
 * Output, one line per benchmark on stdout:
 *   BENCH <name> <value> <unit>          e.g. "BENCH null_syscall 0.951 us"
 *   SKIP <name>: <reason>                when a benchmark cannot run
 * plus "# ..." comment lines with iteration counts and per-round values.
 *
 * Each benchmark calibrates its iteration count (doubling until a run takes
 * a noticeable time, then scaling to the target), then runs 3 rounds and
 * reports the median. Under QEMU TCG one benchmark takes about 1 s.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 3
static char tmpfile_path[64]; /* /tmp/openv_bench_file.<pid> */
#define PAGE 4096L

static double target_s = 0.25;
static char hello_path[4096];
static const char *sh_path = "/bin/sh";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "openv-bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* ---- benchmark bodies: each runs `n` iterations and returns the elapsed
 * seconds of the part being measured. ---- */

static double b_null_syscall(long n)
{
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid); /* raw: never answered from a libc cache */
    return now_s() - t0;
}

static double b_open_close(long n)
{
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        int fd = open(tmpfile_path, O_RDONLY);
        if (fd < 0)
            die("open /tmp file");
        close(fd);
    }
    return now_s() - t0;
}

static double b_stat(long n)
{
    struct stat st;
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        if (stat(tmpfile_path, &st) != 0)
            die("stat /tmp file");
    return now_s() - t0;
}

static void reap(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
}

static double b_fork_exit(long n)
{
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0)
            _exit(0);
        reap(pid);
    }
    return now_s() - t0;
}

/* fork + execve(argv) + wait; returns -1 if the child could not exec. */
static double fork_exec_loop(long n, char *const argv[])
{
    char *const envp[] = {"PATH=/bin:/usr/bin", NULL};
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            execve(argv[0], argv, envp);
            _exit(127);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid)
            die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return -1;
    }
    return now_s() - t0;
}

static double b_fork_exec(long n)
{
    char *const argv[] = {hello_path, NULL};
    return fork_exec_loop(n, argv);
}

static double b_sh_true(long n)
{
    char *const argv[] = {(char *)sh_path, "-c", "true", NULL};
    return fork_exec_loop(n, argv);
}

/* Child side of the ping-pong benchmarks: echo every byte until EOF. */
static void echo_loop(int in, int out)
{
    char c;
    while (read(in, &c, 1) == 1)
        if (write(out, &c, 1) != 1)
            break;
    _exit(0);
}

/* Two processes bounce one byte over a pair of pipes, n round trips. */
static double ping_pong(long n)
{
    int a[2], b[2];
    if (pipe(a) || pipe(b))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(a[1]);
        close(b[0]);
        echo_loop(a[0], b[1]);
    }
    close(a[0]);
    close(b[1]);
    char c = 'x';
    /* One warm-up exchange so the child is up and blocked in read(). */
    if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
        die("ping-pong warm-up");
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
            die("ping-pong");
    double dt = now_s() - t0;
    close(a[1]);
    close(b[0]);
    reap(pid);
    return dt;
}

static double b_pipe_latency(long n) { return ping_pong(n); }

/* Per switch: each round trip is two switches (there and back). Reported
 * as elapsed / 2 per iteration by the table's `per` factor. */
static double b_ctx_switch(long n) { return ping_pong(n); }

#define CHUNK (64 * 1024)

/* A child streams n chunks of 64 KiB into a pipe; we read them all. */
static double b_pipe_bandwidth(long n)
{
    int p[2], go[2];
    if (pipe(p) || pipe(go))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        static char buf[CHUNK];
        char c;
        close(p[0]);
        close(go[1]);
        memset(buf, 'b', sizeof buf);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        for (long i = 0; i < n; i++) {
            size_t off = 0;
            while (off < sizeof buf) {
                ssize_t w = write(p[1], buf + off, sizeof buf - off);
                if (w <= 0)
                    _exit(1);
                off += (size_t)w;
            }
        }
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    static char buf[CHUNK];
    long long want = (long long)n * CHUNK, got = 0;
    double t0 = now_s();
    if (write(go[1], "g", 1) != 1)
        die("pipe go");
    while (got < want) {
        ssize_t r = read(p[0], buf, sizeof buf);
        if (r <= 0)
            die("pipe read");
        got += r;
    }
    double dt = now_s() - t0;
    close(p[0]);
    close(go[1]);
    reap(pid);
    return dt;
}

/* Touch n fresh anonymous pages, in batches of 4 MiB; only the touching is
 * timed (mmap/munmap are not). */
static double b_page_fault(long n)
{
    const long batch = 1024;
    double total = 0;
    for (long done = 0; done < n; done += batch) {
        long pages = n - done < batch ? n - done : batch;
        char *p = mmap(NULL, (size_t)(pages * PAGE), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap");
        double t0 = now_s();
        for (long i = 0; i < pages; i++)
            ((volatile char *)p)[i * PAGE] = 1;
        total += now_s() - t0;
        munmap(p, (size_t)(pages * PAGE));
    }
    return total;
}

/* mmap 512 KiB anonymous, touch its first page, munmap. */
static double b_mmap_munmap(long n)
{
    const size_t len = 512 * 1024;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap");
        p[0] = 1;
        munmap(p, len);
    }
    return now_s() - t0;
}

/* ---- driver ---- */

enum kind { LATENCY_US, BANDWIDTH_MBS };

struct bench {
    const char *name;
    double (*fn)(long n);
    enum kind kind;
    double ops_per_iter; /* e.g. 2 context switches per ping-pong */
    double bytes_per_iter;
};

static const struct bench benches[] = {
    {"null_syscall", b_null_syscall, LATENCY_US, 1, 0},
    {"open_close", b_open_close, LATENCY_US, 1, 0},
    {"stat", b_stat, LATENCY_US, 1, 0},
    {"fork_exit", b_fork_exit, LATENCY_US, 1, 0},
    {"fork_exec", b_fork_exec, LATENCY_US, 1, 0},
    {"sh_true", b_sh_true, LATENCY_US, 1, 0},
    {"pipe_latency", b_pipe_latency, LATENCY_US, 1, 0},
    {"pipe_bandwidth", b_pipe_bandwidth, BANDWIDTH_MBS, 1, CHUNK},
    {"ctx_switch", b_ctx_switch, LATENCY_US, 2, 0},
    {"page_fault", b_page_fault, LATENCY_US, 1, 0},
    {"mmap_munmap_512k", b_mmap_munmap, LATENCY_US, 1, 0},
};
#define NBENCH (int)(sizeof benches / sizeof benches[0])

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double result_value(const struct bench *b, long n, double secs)
{
    if (b->kind == BANDWIDTH_MBS)
        return b->bytes_per_iter * n / secs / 1e6;
    return secs * 1e6 / (n * b->ops_per_iter);
}

static void run_bench(const struct bench *b)
{
    /* Calibrate: double n until one run takes >= 1/8 of the target. */
    long n = 1;
    double t;
    for (;;) {
        t = b->fn(n);
        if (t < 0) {
            printf("SKIP %s: child could not exec (%s)\n", b->name,
                   b->fn == b_sh_true ? sh_path : hello_path);
            fflush(stdout);
            return;
        }
        if (t >= target_s / 8 || n >= (1L << 40))
            break;
        n *= 2;
    }
    long rn = (long)(n * (target_s / (t > 1e-9 ? t : 1e-9)));
    if (rn < 1)
        rn = 1;

    double vals[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double s = b->fn(rn);
        if (s < 0) {
            printf("SKIP %s: child failed during a round\n", b->name);
            return;
        }
        vals[r] = result_value(b, rn, s > 1e-9 ? s : 1e-9);
    }
    printf("# %s: iterations=%ld rounds=%.3f,%.3f,%.3f\n", b->name, rn,
           vals[0], vals[1], vals[2]);
    qsort(vals, ROUNDS, sizeof vals[0], cmp_double);
    printf("BENCH %s %.3f %s\n", b->name, vals[ROUNDS / 2],
           b->kind == BANDWIDTH_MBS ? "MB/s" : "us");
    fflush(stdout);
}

static int selected(const char *name, int argc, char **argv, int first)
{
    if (first >= argc)
        return 1;
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

static void default_hello(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    if (slash)
        snprintf(hello_path, sizeof hello_path, "%.*s/hello",
                 (int)(slash - argv0), argv0);
    else
        snprintf(hello_path, sizeof hello_path, "./hello");
}

int main(int argc, char **argv)
{
    int opt;
    default_hello(argv[0]);
    while ((opt = getopt(argc, argv, "t:x:s:l")) != -1) {
        switch (opt) {
        case 't':
            target_s = atof(optarg);
            if (target_s <= 0)
                target_s = 0.25;
            break;
        case 'x':
            snprintf(hello_path, sizeof hello_path, "%s", optarg);
            break;
        case 's':
            sh_path = optarg;
            break;
        case 'l':
            for (int i = 0; i < NBENCH; i++)
                puts(benches[i].name);
            return 0;
        default:
            fprintf(stderr, "usage: %s [-t SECONDS] [-x HELLO] [-s SH] [-l] "
                            "[NAME...]\n", argv[0]);
            return 2;
        }
    }
    for (int i = optind; i < argc; i++) {
        int known = 0;
        for (int j = 0; j < NBENCH; j++)
            known |= strcmp(argv[i], benches[j].name) == 0;
        if (!known) {
            fprintf(stderr, "openv-bench: unknown benchmark '%s' (try -l)\n",
                    argv[i]);
            return 2;
        }
    }

    snprintf(tmpfile_path, sizeof tmpfile_path, "/tmp/openv_bench_file.%d",
             (int)getpid());
    int fd = open(tmpfile_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("create /tmp file");
    close(fd);
    signal(SIGPIPE, SIG_IGN);

    for (int i = 0; i < NBENCH; i++)
        if (selected(benches[i].name, argc, argv, optind))
            run_bench(&benches[i]);
    unlink(tmpfile_path);
    return 0;
}
