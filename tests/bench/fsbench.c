/*
 * fsbench: filesystem figures for `make bench` (tools/bench_system.py), timed in the guest
 * with CLOCK_MONOTONIC so that the serial console's round trips are not part of them.
 *
 * usage: fsbench [-p PREFIX] files DIR N SIZE   create N files of SIZE bytes, each written,
 *                                               fsync()ed and closed -> files/s
 *        fsbench [-p PREFIX] write FILE MIB     write MIB MiB in 1 MiB write()s, then fsync()
 *                                               -> MB/s (the fsync is part of the time)
 *        fsbench [-p PREFIX] read FILE          read FILE to its end in 1 MiB read()s -> MB/s
 *        fsbench [-p PREFIX] tree DIR           read every regular file of DIR (not its
 *                                               subdirectories), in name order, to its end
 *                                               in 1 MiB read()s -> ms for all of them
 *        fsbench [-p PREFIX] mount DEV DIR TYPE mount(2) DEV on DIR -> ms
 *
 * Output: one line "BENCH <PREFIX><name> <value> <unit>" (the format of openv-bench), where
 * name is create_fsync, seq_write, seq_read, read_files or mount. MB means 10^6 bytes. Exit status 2 and
 * a message on stderr when a system call fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static const char *prefix = "";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *path)
{
    fprintf(stderr, "fsbench: %s %s: %s\n", what, path, strerror(errno));
    exit(2);
}

static void report(const char *name, double value, const char *unit)
{
    printf("BENCH %s%s %.6g %s\n", prefix, name, value, unit);
}

/* Writes all of buf (a short write is retried from where it stopped). */
static void write_all(int fd, const char *buf, size_t len, const char *path)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("write", path);
        }
        buf += n;
        len -= (size_t)n;
    }
}

static char *chunk_buffer(void)
{
    char *buf = malloc(CHUNK);
    if (!buf)
        die("malloc", "");
    return buf;
}

static int bench_files(const char *dir, long count, long size)
{
    char path[4096];
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf)
        die("malloc", "");
    memset(buf, 'f', size > 0 ? (size_t)size : 1);
    double start = now_s();
    for (long i = 0; i < count; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            die("open", path);
        write_all(fd, buf, (size_t)size, path);
        if (fsync(fd) < 0)
            die("fsync", path);
        if (close(fd) < 0)
            die("close", path);
    }
    double elapsed = now_s() - start;
    /* The directory entries are durable once the directory is synced too. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    report("create_fsync", count / elapsed, "files/s");
    free(buf);
    return 0;
}

static int bench_write(const char *path, long mib)
{
    char *buf = chunk_buffer();
    /* Not all zeros, in case a filesystem ever treats zero blocks specially. */
    for (int i = 0; i < CHUNK; i++)
        buf[i] = (char)(i * 7 + 1);
    double start = now_s();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("open", path);
    for (long i = 0; i < mib; i++)
        write_all(fd, buf, CHUNK, path);
    if (fsync(fd) < 0)
        die("fsync", path);
    if (close(fd) < 0)
        die("close", path);
    double elapsed = now_s() - start;
    report("seq_write", (double)mib * CHUNK / 1e6 / elapsed, "MB/s");
    free(buf);
    return 0;
}

/* Reads path to its end through buf (CHUNK bytes); returns the bytes read. */
static long long read_to_end(const char *path, char *buf)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die("open", path);
    long long total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("read", path);
        }
        if (n == 0)
            break;
        total += n;
    }
    close(fd);
    return total;
}

static int bench_read(const char *path)
{
    char *buf = chunk_buffer();
    double start = now_s();
    long long total = read_to_end(path, buf);
    double elapsed = now_s() - start;
    if (total == 0) {
        fprintf(stderr, "fsbench: %s is empty\n", path);
        return 2;
    }
    report("seq_read", total / 1e6 / elapsed, "MB/s");
    free(buf);
    return 0;
}

static int bench_tree(const char *dir)
{
    char path[4096];
    char *buf = chunk_buffer();
    struct dirent **names;
    double start = now_s();
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        die("scandir", dir);
    long files = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (lstat(path, &st) < 0)
            die("lstat", path);
        if (S_ISREG(st.st_mode)) {
            read_to_end(path, buf);
            files++;
        }
        free(names[i]);
    }
    double elapsed = now_s() - start;
    free(names);
    free(buf);
    if (files == 0) {
        fprintf(stderr, "fsbench: %s has no regular files\n", dir);
        return 2;
    }
    printf("# read_files: %ld files\n", files);
    report("read_files", elapsed * 1e3, "ms");
    return 0;
}

static int bench_mount(const char *dev, const char *dir, const char *type)
{
    double start = now_s();
    if (mount(dev, dir, type, 0, NULL) < 0)
        die("mount", dev);
    report("mount", (now_s() - start) * 1e3, "ms");
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: fsbench [-p PREFIX] files DIR N SIZE | write FILE MIB | "
                    "read FILE | tree DIR | mount DEV DIR TYPE\n");
    return 1;
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "p:")) != -1) {
        if (opt != 'p')
            return usage();
        prefix = optarg;
    }
    argv += optind;
    argc -= optind;
    if (argc == 4 && strcmp(argv[0], "files") == 0)
        return bench_files(argv[1], atol(argv[2]), atol(argv[3]));
    if (argc == 3 && strcmp(argv[0], "write") == 0)
        return bench_write(argv[1], atol(argv[2]));
    if (argc == 2 && strcmp(argv[0], "read") == 0)
        return bench_read(argv[1]);
    if (argc == 2 && strcmp(argv[0], "tree") == 0)
        return bench_tree(argv[1]);
    if (argc == 4 && strcmp(argv[0], "mount") == 0)
        return bench_mount(argv[1], argv[2], argv[3]);
    return usage();
}
