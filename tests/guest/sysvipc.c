/*
 * sysvipc: SysV message queues, semaphores and shared memory as Linux has them.
 * Keys and IPC_PRIVATE, each family's operations and errors, permissions (a child that
 * drops to uid 1000), IPC_RMID while a process sleeps or a segment is attached, SEM_UNDO
 * applied at exit, fork/exit and attachments, the limits in /proc/sys/kernel and the
 * tables in /proc/sysvipc. "sysvipc make" makes one object of each family for the BusyBox
 * ipcs/ipcrm check of tests/integration/test_kernel.py.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define PAGE 4096

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

struct tmsg {
    long mtype;
    char mtext[64];
};

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Run fn in a child that has dropped to uid/gid 1000; its exit status is the check. */
static void as_user(int (*fn)(int), int id, const char *what)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(1000) || setuid(1000))
            _exit(90);
        _exit(fn(id));
    }
    check_child(pid, what);
}

static int read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return (int)n;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Reads the whole table: other programs (the syscall fuzzer, say) may have left many objects
 * behind, as they may on Linux, so the line can be far down. */
static int proc_has_id(const char *path, int id)
{
    char pat[32], *buf = NULL;
    size_t len = 0, cap = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    for (;;) {
        if (cap - len < 4096) {
            char *grown = realloc(buf, cap + 65536);
            if (!grown)
                break;
            buf = grown;
            cap += 65536;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!buf)
        return 0;
    buf[len] = 0;
    snprintf(pat, sizeof pat, " %d ", id);
    int found = strstr(buf, pat) != NULL;
    free(buf);
    return found;
}

/* ---- message queues ---- */

static int send(int q, long type, const char *text, int flags)
{
    struct tmsg m = {.mtype = type};
    strncpy(m.mtext, text, sizeof m.mtext - 1);
    return msgsnd(q, &m, strlen(text) + 1, flags);
}

static int user_msg(int q)
{
    struct tmsg m = {.mtype = 1};
    if (msgsnd(q, &m, 1, IPC_NOWAIT) != -1 || errno != EACCES)
        return 1;
    if (msgrcv(q, &m, sizeof m.mtext, 0, IPC_NOWAIT) != -1 || errno != EACCES)
        return 2;
    if (msgctl(q, IPC_RMID, NULL) != -1 || errno != EPERM)
        return 3;
    struct msqid_ds ds;
    if (msgctl(q, IPC_STAT, &ds) != -1 || errno != EACCES)
        return 4;
    return 0;
}

static void test_msg(void)
{
    key_t key = 0x5e1f0001;
    int q0 = msgget(key, 0);
    if (q0 >= 0)
        msgctl(q0, IPC_RMID, NULL);   /* a leftover from an earlier run */
    CHECK_ERR(msgget(key, 0600), ENOENT, "msgget of a missing key: ENOENT");
    int q = msgget(key, IPC_CREAT | 0600);
    if (!CHECK(q >= 0, "msgget IPC_CREAT"))
        return;
    CHECK_EQ(msgget(key, 0600), q, "msgget of the key again: the same id");
    CHECK_ERR(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST, "IPC_CREAT|IPC_EXCL: EEXIST");
    int p = msgget(IPC_PRIVATE, 0600);
    CHECK(p >= 0 && p != q, "IPC_PRIVATE makes a new queue");

    CHECK_OK(send(q, 3, "three", 0), "msgsnd type 3");
    CHECK_OK(send(q, 1, "one", 0), "msgsnd type 1");
    CHECK_OK(send(q, 2, "two", 0), "msgsnd type 2");
    CHECK_OK(send(q, 2, "two-b", 0), "msgsnd type 2 again");
    CHECK_ERR(send(q, 0, "zero", 0), EINVAL, "msgsnd mtype 0: EINVAL");
    struct msqid_ds ds;
    if (CHECK_OK(msgctl(q, IPC_STAT, &ds), "IPC_STAT")) {
        CHECK_EQ(ds.msg_qnum, 4, "msg_qnum counts the messages");
        CHECK_EQ(ds.msg_cbytes, 6 + 4 + 4 + 6, "msg_cbytes counts their bytes");
        CHECK_EQ(ds.msg_lspid, getpid(), "msg_lspid is the sender");
        CHECK_EQ(ds.msg_qbytes, 16384, "msg_qbytes defaults to msgmnb");
        CHECK_EQ(ds.msg_perm.mode & 0777, 0600, "mode from the flags");
        CHECK_EQ(ds.msg_perm.__ipc_perm_key, key, "key reported");
    }
    struct tmsg m;
    CHECK(msgrcv(q, &m, sizeof m.mtext, 2, 0) == 4 && m.mtype == 2 && !strcmp(m.mtext, "two"),
          "msgrcv type 2: the first of type 2");
    CHECK(msgrcv(q, &m, sizeof m.mtext, -3, 0) == 4 && m.mtype == 1,
          "msgrcv type -3: the lowest type");
    CHECK(msgrcv(q, &m, sizeof m.mtext, 2, MSG_EXCEPT) == 6 && m.mtype == 3,
          "MSG_EXCEPT: the first of another type");
    CHECK_ERR(msgrcv(q, &m, 3, 0, 0), E2BIG, "message longer than the buffer: E2BIG");
    CHECK(msgrcv(q, &m, 3, 0, MSG_NOERROR) == 3 && m.mtype == 2 && !memcmp(m.mtext, "two", 3),
          "MSG_NOERROR truncates");
    CHECK_ERR(msgrcv(q, &m, sizeof m.mtext, 0, IPC_NOWAIT), ENOMSG, "empty queue, IPC_NOWAIT: ENOMSG");
    if (CHECK_OK(msgctl(q, IPC_STAT, &ds), "IPC_STAT after receiving")) {
        CHECK_EQ(ds.msg_qnum, 0, "queue empty");
        if (under_qemu_user())
            check_skip("msg_lrpid is the receiver", "qemu-user does not convert msg_lrpid");
        else
            CHECK_EQ(ds.msg_lrpid, getpid(), "msg_lrpid is the receiver");
    }

    /* A full queue: IPC_NOWAIT gives EAGAIN; a blocked sender goes on once there is room. */
    ds.msg_qbytes = 10;
    CHECK_OK(msgctl(q, IPC_SET, &ds), "IPC_SET msg_qbytes 10");
    CHECK_OK(send(q, 1, "abcdefgh", 0), "a 9-byte message fits");
    CHECK_ERR(send(q, 1, "xy", IPC_NOWAIT), EAGAIN, "full queue, IPC_NOWAIT: EAGAIN");
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        _exit(send(q, 5, "late", 0) == 0 ? 0 : 1);
    }
    nap_ms(100);
    CHECK_EQ(msgrcv(q, &m, sizeof m.mtext, 1, 0), 9, "receive makes room");
    check_child(pid, "blocked msgsnd completes");
    CHECK(msgrcv(q, &m, sizeof m.mtext, 0, IPC_NOWAIT) == 5 && m.mtype == 5,
          "the blocked sender's message arrived");
    ds.msg_qbytes = 16384;
    CHECK_OK(msgctl(q, IPC_SET, &ds), "IPC_SET msg_qbytes back to 16384");

    /* A receiver sleeping in msgrcv: woken by a message, and by removal (EIDRM). */
    pid = fork();
    if (pid == 0) {
        alarm(10);
        struct tmsg c;
        _exit(msgrcv(q, &c, sizeof c.mtext, 7, 0) == 5 && !strcmp(c.mtext, "wake") ? 0 : 1);
    }
    nap_ms(100);
    send(q, 6, "other", 0);
    send(q, 7, "wake", 0);
    check_child(pid, "blocked msgrcv gets its type");

    as_user(user_msg, q, "uid 1000 on a 0600 queue: EACCES, EPERM for IPC_RMID");
    CHECK(proc_has_id("/proc/sysvipc/msg", q), "/proc/sysvipc/msg lists the queue");
    struct msginfo mi;
    int maxidx = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
    CHECK(maxidx >= 0 && mi.msgpool >= 2, "MSG_INFO: highest index and queues in use");
    CHECK(msgctl(maxidx, MSG_STAT, &ds) >= 0, "MSG_STAT of the highest index");

    pid = fork();
    if (pid == 0) {
        alarm(10);
        struct tmsg c;
        _exit(msgrcv(q, &c, sizeof c.mtext, 99, 0) == -1 && errno == EIDRM ? 0 : 1);
    }
    nap_ms(100);
    CHECK_OK(msgctl(q, IPC_RMID, NULL), "IPC_RMID");
    check_child(pid, "a receiver asleep at IPC_RMID gets EIDRM");
    CHECK_ERR(send(q, 1, "gone", IPC_NOWAIT), EINVAL, "msgsnd to a removed queue: EINVAL");
    CHECK_ERR(msgget(key, 0), ENOENT, "the key is free again");
    msgctl(p, IPC_RMID, NULL);
}

/* ---- semaphores ---- */

static int user_sem(int s)
{
    struct sembuf op = {0, 1, IPC_NOWAIT};
    if (semop(s, &op, 1) != -1 || errno != EACCES)
        return 1;
    if (semctl(s, 0, GETVAL) != -1 || errno != EACCES)
        return 2;
    if (semctl(s, 0, IPC_RMID) != -1 || errno != EPERM)
        return 3;
    return 0;
}

static void test_sem(void)
{
    int s = semget(IPC_PRIVATE, 2, 0600);
    if (!CHECK(s >= 0, "semget of 2 semaphores"))
        return;
    CHECK_EQ(semctl(s, 0, GETVAL), 0, "new semaphores are 0");
    CHECK_OK(semctl(s, 0, SETVAL, (union semun){.val = 3}), "SETVAL 3");
    CHECK_EQ(semctl(s, 0, GETVAL), 3, "GETVAL 3");
    CHECK_ERR(semctl(s, 0, SETVAL, (union semun){.val = 40000}), ERANGE, "SETVAL above SEMVMX: ERANGE");
    CHECK_ERR(semctl(s, 5, GETVAL), EINVAL, "GETVAL of semaphore 5 of 2: EINVAL");
    unsigned short all[2] = {4, 7}, got[2] = {0, 0};
    CHECK_OK(semctl(s, 0, SETALL, (union semun){.array = all}), "SETALL");
    CHECK(semctl(s, 0, GETALL, (union semun){.array = got}) == 0 && got[0] == 4 && got[1] == 7,
          "GETALL");
    struct sembuf ops[2] = {{0, -4, 0}, {1, -1, 0}};
    CHECK_OK(semop(s, ops, 2), "semop of two operations");
    CHECK(semctl(s, 0, GETVAL) == 0 && semctl(s, 1, GETVAL) == 6, "both applied");
    CHECK_EQ(semctl(s, 0, GETPID), getpid(), "GETPID is the last semop's process");
    struct sembuf block[2] = {{1, -1, 0}, {0, -1, IPC_NOWAIT}};
    CHECK_ERR(semop(s, block, 2), EAGAIN, "IPC_NOWAIT op that would wait: EAGAIN");
    CHECK_EQ(semctl(s, 1, GETVAL), 6, "all or nothing: the first op was not applied");
    struct sembuf big = {2, 1, 0};
    CHECK_ERR(semop(s, &big, 1), EFBIG, "sem_num past the set: EFBIG");
    CHECK_ERR(semop(s, ops, 0), EINVAL, "nsops 0: EINVAL");
    struct sembuf many[501];
    memset(many, 0, sizeof many);
    CHECK_ERR(semop(s, many, 501), E2BIG, "nsops above semopm: E2BIG");
    struct timespec ts = {0, 50 * 1000000};
    struct sembuf dec = {0, -1, 0};
    CHECK_ERR(semtimedop(s, &dec, 1, &ts), EAGAIN, "semtimedop times out: EAGAIN");

    /* Sleepers: GETNCNT, GETZCNT, and the wake-up. */
    pid_t a = fork();
    if (a == 0) {
        alarm(10);
        struct sembuf d = {0, -2, 0};
        _exit(semop(s, &d, 1) == 0 ? 0 : 1);
    }
    pid_t z = fork();
    if (z == 0) {
        alarm(10);
        struct sembuf w = {1, 0, 0};
        _exit(semop(s, &w, 1) == 0 ? 0 : 1);
    }
    nap_ms(150);
    CHECK_EQ(semctl(s, 0, GETNCNT), 1, "GETNCNT counts the task waiting to decrement");
    CHECK_EQ(semctl(s, 1, GETZCNT), 1, "GETZCNT counts the task waiting for zero");
    struct sembuf inc = {0, 2, 0};
    CHECK_OK(semop(s, &inc, 1), "increment by 2");
    check_child(a, "the decrementer wakes and completes");
    CHECK_OK(semctl(s, 1, SETVAL, (union semun){.val = 0}), "SETVAL 0");
    check_child(z, "the zero-waiter wakes");

    /* SEM_UNDO: what an exiting process did is reversed. */
    semctl(s, 0, SETVAL, (union semun){.val = 5});
    pid_t u = fork();
    if (u == 0) {
        struct sembuf d = {0, -3, SEM_UNDO};
        struct sembuf i = {1, 2, SEM_UNDO};
        _exit(semop(s, &d, 1) == 0 && semop(s, &i, 1) == 0 && semctl(s, 0, GETVAL) == 2 ? 0 : 1);
    }
    check_child(u, "child semop with SEM_UNDO");
    CHECK_EQ(semctl(s, 0, GETVAL), 5, "SEM_UNDO: the decrement is undone at exit");
    CHECK_EQ(semctl(s, 1, GETVAL), 0, "SEM_UNDO: the increment is undone at exit");
    u = fork();
    if (u == 0) {
        struct sembuf d = {0, -1, SEM_UNDO};
        semop(s, &d, 1);
        semctl(s, 0, SETVAL, (union semun){.val = 9});   /* SETVAL clears the adjustment */
        _exit(0);
    }
    check_child(u, "child semop with SEM_UNDO, then SETVAL");
    CHECK_EQ(semctl(s, 0, GETVAL), 9, "SETVAL cleared the undo adjustment");

    CHECK_ERR(semget(IPC_PRIVATE, 0, 0600), EINVAL, "semget of 0 new semaphores: EINVAL");
    as_user(user_sem, s, "uid 1000 on a 0600 set: EACCES, EPERM for IPC_RMID");
    CHECK(proc_has_id("/proc/sysvipc/sem", s), "/proc/sysvipc/sem lists the set");
    struct semid_ds ds;
    if (CHECK_OK(semctl(s, 0, IPC_STAT, (union semun){.buf = &ds}), "IPC_STAT"))
        CHECK(ds.sem_nsems == 2 && (ds.sem_perm.mode & 0777) == 0600, "sem_nsems and mode");

    pid_t w = fork();
    if (w == 0) {
        alarm(10);
        struct sembuf d = {1, -1, 0};
        _exit(semop(s, &d, 1) == -1 && errno == EIDRM ? 0 : 1);
    }
    nap_ms(100);
    CHECK_OK(semctl(s, 0, IPC_RMID), "IPC_RMID");
    check_child(w, "a task asleep in semop at IPC_RMID gets EIDRM");
    CHECK_ERR(semctl(s, 0, GETVAL), EINVAL, "GETVAL of a removed set: EINVAL");
}

/* ---- shared memory ---- */

static int user_shm(int id)
{
    if (shmat(id, NULL, 0) != (void *)-1 || errno != EACCES)
        return 1;
    if (shmctl(id, IPC_RMID, NULL) != -1 || errno != EPERM)
        return 2;
    return 0;
}

static int nattch(int id)
{
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) == 0 ? (int)ds.shm_nattch : -1;
}

static void test_shm(void)
{
    key_t key = 0x5e1f0003;
    int old = shmget(key, 0, 0);
    if (old >= 0)
        shmctl(old, IPC_RMID, NULL);
    int id = shmget(key, 2 * PAGE + 100, IPC_CREAT | 0600);
    if (!CHECK(id >= 0, "shmget of 2 pages + 100 bytes"))
        return;
    CHECK_ERR(shmget(key, 4 * PAGE, 0600), EINVAL, "shmget of the key with a bigger size: EINVAL");
    CHECK_EQ(shmget(key, PAGE, 0600), id, "shmget of the key with a smaller size: the id");
    CHECK_ERR(shmget(IPC_PRIVATE, 0, 0600), EINVAL, "shmget of size 0: EINVAL");
    char *a = shmat(id, NULL, 0);
    if (!CHECK(a != (void *)-1, "shmat"))
        return;
    CHECK(a[0] == 0 && a[2 * PAGE + 99] == 0, "a new segment reads zeros");
    CHECK_EQ(nattch(id), 1, "shm_nattch 1");
    char *b = shmat(id, NULL, SHM_RDONLY);
    CHECK(b != (void *)-1 && b != a, "a second, read-only attachment");
    strcpy(a + PAGE, "shared");
    CHECK(b != (void *)-1 && !strcmp(b + PAGE, "shared"), "both attachments see the same memory");
    CHECK_EQ(nattch(id), 2, "shm_nattch 2");

    pid_t pid = fork();
    if (pid == 0) {
        int ok = nattch(id) == 4 && !strcmp(a + PAGE, "shared");
        strcpy(a, "from child");
        _exit(ok ? 0 : 1);
    }
    check_child(pid, "fork inherits the attachments (shm_nattch 4 in the child)");
    CHECK(!strcmp(a, "from child"), "the child's write is seen by the parent");
    CHECK_EQ(nattch(id), 2, "the child's exit detached its copies");

    pid = fork();
    if (pid == 0) {
        alarm(10);
        b[0] = 1;
        _exit(0);
    }
    check_child_signaled(pid, SIGSEGV, "writing to a SHM_RDONLY attachment: SIGSEGV");
    CHECK_ERR(mprotect(b, PAGE, PROT_READ | PROT_WRITE), EACCES,
              "mprotect PROT_WRITE of a SHM_RDONLY attachment: EACCES");
    CHECK_OK(shmdt(b), "shmdt of the read-only attachment");
    CHECK_ERR(shmdt(b), EINVAL, "shmdt where nothing is attached: EINVAL");
    CHECK_ERR(shmdt(a + 1), EINVAL, "shmdt of an unaligned address: EINVAL");
    CHECK_EQ(nattch(id), 1, "shm_nattch back to 1");

    /* Fixed addresses: SHM_RND rounds down, without it an unaligned address is refused. */
    char *hole = mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, 8 * PAGE);
    CHECK_ERR((long)shmat(id, hole + 10, 0), EINVAL, "unaligned shmaddr without SHM_RND: EINVAL");
    char *c = shmat(id, hole + 10, SHM_RND);
    CHECK(c == hole && !strcmp(c, "from child"), "SHM_RND rounds the address down");
    CHECK_ERR((long)shmat(id, hole, 0), EINVAL, "shmat over an existing mapping: EINVAL");
    shmdt(c);

    as_user(user_shm, id, "uid 1000 on a 0600 segment: EACCES, EPERM for IPC_RMID");
    CHECK(proc_has_id("/proc/sysvipc/shm", id), "/proc/sysvipc/shm lists the segment");

    /* Removal while attached: the segment lives on, unfindable by key, until the last detach. */
    CHECK_OK(shmctl(id, IPC_RMID, NULL), "IPC_RMID while attached");
    struct shmid_ds ds;
    if (CHECK_OK(shmctl(id, IPC_STAT, &ds), "IPC_STAT of the removed, attached segment"))
        CHECK((ds.shm_perm.mode & SHM_DEST) && ds.shm_perm.__ipc_perm_key == IPC_PRIVATE &&
                  ds.shm_segsz == 2 * PAGE + 100,
              "SHM_DEST set, key gone, size kept");
    CHECK_ERR(shmget(key, 0, 0600), ENOENT, "its key no longer finds it");
    CHECK(!strcmp(a, "from child"), "the attachment still works");
    CHECK_OK(shmdt(a), "last shmdt");
    CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL, "the segment is gone after the last detach");

    struct shm_info si;
    CHECK(shmctl(0, SHM_INFO, (struct shmid_ds *)&si) >= 0, "SHM_INFO");
    struct shminfo lim;
    if (CHECK(shmctl(0, IPC_INFO, (struct shmid_ds *)&lim) >= 0, "IPC_INFO"))
        CHECK(lim.shmmni == 4096 && lim.shmmin == 1, "IPC_INFO limits");
}

/* ---- /proc/sys/kernel ---- */

static int user_sysctl(int unused)
{
    (void)unused;
    return open("/proc/sys/kernel/msgmax", O_WRONLY) == -1 && errno == EACCES ? 0 : 1;
}

static void test_limits(void)
{
    char buf[128];
    CHECK(read_file("/proc/sys/kernel/msgmax", buf, sizeof buf) > 0 && !strcmp(buf, "8192\n"),
          "msgmax 8192");
    CHECK(read_file("/proc/sys/kernel/msgmnb", buf, sizeof buf) > 0 && !strcmp(buf, "16384\n"),
          "msgmnb 16384");
    CHECK(read_file("/proc/sys/kernel/msgmni", buf, sizeof buf) > 0 && !strcmp(buf, "32000\n"),
          "msgmni 32000");
    CHECK(read_file("/proc/sys/kernel/sem", buf, sizeof buf) > 0 &&
              !strcmp(buf, "32000\t1024000000\t500\t32000\n"),
          "sem: SEMMSL SEMMNS SEMOPM SEMMNI");
    CHECK(read_file("/proc/sys/kernel/shmmax", buf, sizeof buf) > 0 &&
              !strcmp(buf, "18446744073692774399\n"),
          "shmmax");
    CHECK(read_file("/proc/sys/kernel/shmall", buf, sizeof buf) > 0 &&
              !strcmp(buf, "18446744073692774399\n"),
          "shmall");
    CHECK(read_file("/proc/sys/kernel/shmmni", buf, sizeof buf) > 0 && !strcmp(buf, "4096\n"),
          "shmmni 4096");
    if (CHECK_OK(write_file("/proc/sys/kernel/msgmax", "100\n"), "root sets msgmax to 100")) {
        int q = msgget(IPC_PRIVATE, 0600);
        char big[200] = {0};
        ((long *)big)[0] = 1;
        CHECK_ERR(msgsnd(q, big, 150, 0), EINVAL, "a message above msgmax: EINVAL");
        msgctl(q, IPC_RMID, NULL);
        write_file("/proc/sys/kernel/msgmax", "8192\n");
    }
    CHECK_ERR(write_file("/proc/sys/kernel/msgmni", "40000\n"), EINVAL, "msgmni above IPCMNI: EINVAL");
    as_user(user_sysctl, 0, "uid 1000 cannot open msgmax for writing: EACCES");
}

/* Helper for tests/integration/test_kernel.py (BusyBox ipcs and ipcrm): one object of each
 * family under fixed keys; prints their ids. */
static int make_objects(void)
{
    int q = msgget(0x0e1f0010, IPC_CREAT | 0640);
    int s = semget(0x0e1f0011, 2, IPC_CREAT | 0640);
    int m = shmget(0x0e1f0012, PAGE, IPC_CREAT | 0640);
    printf("ids %d %d %d\n", q, s, m);
    return q < 0 || s < 0 || m < 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "make"))
        return make_objects();
    check_begin("sysvipc");
    if (getuid() != 0) {
        check_skip("all", "needs root (it drops to uid 1000 in children)");
        return check_done();
    }
    test_msg();
    test_sem();
    test_shm();
    test_limits();
    return check_done();
}
