/*
 * exec_args: what a new program sees at entry.
 *
 * Parent mode (no arguments) checks the initial stack and auxv of this very
 * process (valid after any execve, including the runner's), then re-executes
 * itself through argv[0], which must be an absolute path, with a known argv
 * and envp. The child mode verifies them exactly plus fd and signal state
 * inherited across execve. A "#!" script in /tmp whose interpreter is this
 * binary checks the interpreter argument rules. Exec error codes come last.
 */
#include "check.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/stat.h>

extern char **environ;
extern const Elf64_Ehdr __ehdr_start; /* provided by the linker */
extern char _start[];                 /* musl crt1 entry point */

/* Scratch files carry the pid so parallel runs cannot collide. */
#define SCRIPT_PREFIX "/tmp/openv_exec_script."
static char script_path[64], badfile_path[64], noexec_path[64];

static void init_paths(void)
{
    int pid = (int)getpid();
    snprintf(script_path, sizeof script_path, SCRIPT_PREFIX "%d", pid);
    snprintf(badfile_path, sizeof badfile_path, "/tmp/openv_exec_garbage.%d",
             pid);
    snprintf(noexec_path, sizeof noexec_path, "/tmp/openv_exec_noexec.%d",
             pid);
}
#define LONG_ARG_LEN 5000
#define MANY_ARGS 500

/* Values captured before main() touches anything: argv/envp as the kernel
 * laid them out, used to check the initial stack layout. */
static char **entry_argv, **entry_envp;
static int entry_argc;

/* The exact argv/envp the parent passes; the child rebuilds the same lists
 * and compares. Includes empty strings, spaces, non-ASCII, a string longer
 * than a page and enough arguments to span several stack pages. */
static char long_arg[LONG_ARG_LEN + 1];
static char *fixed_args[] = {"--child", "a b", "", "\xc3\xbc\xc3\xaf" "code",
                             "x=y", long_arg};
static char *fixed_env[] = {"FOO=bar", "EMPTY=", "OPENV_X=1 2 3",
                            "OPENV_UNDER_QEMU_USER=0"};
#define NFIXED_ARGS (int)(sizeof fixed_args / sizeof fixed_args[0])
#define NFIXED_ENV (int)(sizeof fixed_env / sizeof fixed_env[0])

static void init_long_arg(void)
{
    for (int i = 0; i < LONG_ARG_LEN; i++)
        long_arg[i] = (char)('A' + i % 26);
    long_arg[LONG_ARG_LEN] = 0;
}

static char many_buf[MANY_ARGS][8];

/* argv = self, fixed_args..., 3 numeric fds/pid, MANY_ARGS numbered args. */
static char **build_argv(const char *self, int fd_cloexec, int fd_keep,
                         pid_t pid)
{
    static char nums[3][24];
    static char *args[1 + NFIXED_ARGS + 3 + MANY_ARGS + 1];
    int n = 0;
    args[n++] = (char *)self;
    for (int i = 0; i < NFIXED_ARGS; i++)
        args[n++] = fixed_args[i];
    snprintf(nums[0], sizeof nums[0], "%d", fd_cloexec);
    snprintf(nums[1], sizeof nums[1], "%d", fd_keep);
    snprintf(nums[2], sizeof nums[2], "%d", (int)pid);
    for (int i = 0; i < 3; i++)
        args[n++] = nums[i];
    for (int i = 0; i < MANY_ARGS; i++) {
        snprintf(many_buf[i], sizeof many_buf[i], "%d", i);
        args[n++] = many_buf[i];
    }
    args[n] = NULL;
    return args;
}

/* ---- checks valid in any freshly exec'd process ---- */

static void check_entry_stack(void)
{
    /* musl's _start passes the original sp, which points at argc, with
     * argv right after it: the kernel must leave sp 16-byte aligned. */
    uintptr_t sp = (uintptr_t)entry_argv - sizeof(long);
    CHECKF(sp % 16 == 0, "stack pointer 16-byte aligned at entry",
           "sp=%#lx", (unsigned long)sp);
    CHECKF(*(long *)sp == entry_argc, "argc stored at sp", "argc=%d *sp=%ld",
           entry_argc, *(long *)sp);
    CHECK(entry_argv[entry_argc] == NULL, "argv[argc] == NULL");
    CHECK(entry_envp == entry_argv + entry_argc + 1,
          "envp follows argv NULL terminator");

    /* The auxv follows envp's NULL; it must agree with getauxval. */
    char **e = entry_envp;
    while (*e)
        e++;
    unsigned long *aux = (unsigned long *)(e + 1);
    int n = 0, seen_pagesz = 0;
    unsigned long bad_type = 0;
    for (; aux[0] != AT_NULL && n < 64; aux += 2, n++) {
        if (aux[0] == AT_PAGESZ)
            seen_pagesz = aux[1] == 4096;
        if (aux[0] == AT_PHDR || aux[0] == AT_ENTRY || aux[0] == AT_RANDOM ||
            aux[0] == AT_PAGESZ || aux[0] == AT_EXECFN)
            if (getauxval(aux[0]) != aux[1])
                bad_type = aux[0];
    }
    CHECKF(aux[0] == AT_NULL && n > 0 && seen_pagesz && !bad_type,
           "raw auxv after envp is terminated and matches getauxval",
           "entries=%d pagesz_ok=%d mismatched type=%lu", n, seen_pagesz,
           bad_type);
}

static void check_auxv(const char *expect_execfn)
{
    CHECK_EQ(getauxval(AT_PAGESZ), 4096, "AT_PAGESZ == 4096");

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    if (CHECK(rnd != NULL, "AT_RANDOM present")) {
        int nonzero = 0;
        for (int i = 0; i < 16; i++) /* also proves the 16 bytes readable */
            nonzero |= rnd[i];
        CHECK(nonzero, "AT_RANDOM 16 bytes readable and not all zero");
    }

    /* Program headers: AT_PHDR must point at this binary's own table. */
    const Elf64_Ehdr *eh = &__ehdr_start;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    CHECK_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr), "AT_PHENT");
    CHECK_EQ(getauxval(AT_PHNUM), eh->e_phnum, "AT_PHNUM == ehdr e_phnum");
    CHECKF(ph == (const Elf64_Phdr *)((const char *)eh + eh->e_phoff),
           "AT_PHDR == ehdr + e_phoff", "AT_PHDR=%p ehdr=%p e_phoff=%#lx",
           (void *)ph, (void *)eh, (unsigned long)eh->e_phoff);
    int loads = 0;
    for (int i = 0; ph && i < (int)getauxval(AT_PHNUM); i++)
        loads += ph[i].p_type == PT_LOAD;
    CHECKF(loads > 0, "AT_PHDR table has PT_LOAD entries", "loads=%d", loads);
    CHECKF(getauxval(AT_ENTRY) == (unsigned long)_start, "AT_ENTRY == _start",
           "AT_ENTRY=%#lx _start=%p", getauxval(AT_ENTRY), (void *)_start);

    CHECK_EQ(getauxval(AT_UID), getuid(), "AT_UID == getuid()");
    CHECK_EQ(getauxval(AT_EUID), geteuid(), "AT_EUID == geteuid()");
    CHECK_EQ(getauxval(AT_GID), getgid(), "AT_GID == getgid()");
    CHECK_EQ(getauxval(AT_EGID), getegid(), "AT_EGID == getegid()");
    CHECK_EQ(getauxval(AT_SECURE), 0, "AT_SECURE == 0");

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    if (expect_execfn)
        CHECKF(execfn && strcmp(execfn, expect_execfn) == 0,
               "AT_EXECFN is the execve path", "got '%s' want '%s'",
               execfn ? execfn : "(null)", expect_execfn);
    else
        CHECK(execfn && *execfn, "AT_EXECFN present");
}

/* ---- child mode: verify what the parent passed ---- */

static int child_main(int argc, char **argv)
{
    check_begin("exec_args(child)");
    check_entry_stack();
    check_auxv(argv[0]);

    int want_argc = 1 + NFIXED_ARGS + 3 + MANY_ARGS;
    if (!CHECKF(argc == want_argc, "argc", "argc=%d want %d", argc, want_argc))
        return check_done();
    int ok = 1;
    for (int i = 0; i < NFIXED_ARGS; i++)
        if (strcmp(argv[1 + i], fixed_args[i]) != 0) {
            ok = 0;
            CHECKF(0, "fixed argv string", "argv[%d] mismatch (len %zu)",
                   1 + i, strlen(argv[1 + i]));
        }
    CHECK(ok, "argv strings incl. empty, spaces, UTF-8, 5000-byte arg");
    ok = 1;
    for (int i = 0; i < MANY_ARGS; i++)
        ok &= atoi(argv[1 + NFIXED_ARGS + 3 + i]) == i;
    CHECK(ok, "500 numbered argv entries in order");

    int nenv = 0;
    while (environ[nenv])
        nenv++;
    ok = nenv == NFIXED_ENV;
    for (int i = 0; ok && i < NFIXED_ENV; i++)
        ok = strcmp(environ[i], fixed_env[i]) == 0;
    CHECKF(ok, "envp passed exactly", "nenv=%d", nenv);
    CHECK(getenv("EMPTY") && !*getenv("EMPTY"), "empty env value kept");

    int fd_cloexec = atoi(argv[1 + NFIXED_ARGS]);
    int fd_keep = atoi(argv[2 + NFIXED_ARGS]);
    pid_t pid_before = atoi(argv[3 + NFIXED_ARGS]);
    CHECK_ERR(fcntl(fd_cloexec, F_GETFD), EBADF, "O_CLOEXEC fd closed by exec");
    int fl = fcntl(fd_keep, F_GETFD);
    CHECKF(fl == 0, "plain fd stays open without FD_CLOEXEC", "F_GETFD=%d", fl);
    CHECK_EQ(getpid(), pid_before, "pid unchanged across execve");

    /* Caught signals reset to SIG_DFL, ignored stay ignored, mask kept. */
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL, "handled signal reset to SIG_DFL by exec");
    sigaction(SIGUSR2, NULL, &sa);
    CHECK(sa.sa_handler == SIG_IGN, "ignored signal stays SIG_IGN over exec");
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(sigismember(&cur, SIGTERM) == 1, "blocked mask kept across exec");
    CHECK(sigismember(&cur, SIGUSR1) == 0, "mask has nothing extra");
    return check_done();
}

/* Interpreter mode: invoked by the kernel for script_path. */
static int interp_main(int argc, char **argv)
{
    check_begin("exec_args(interp)");
    CHECK_EQ(argc, 5, "script argc = interp + 1 arg + script + 2 args");
    if (argc != 5)
        return check_done();
    CHECKF(strcmp(argv[1], "--interp one two") == 0,
           "#! argument kept as a single string, trailing blanks stripped",
           "argv[1]='%s'", argv[1]);
    CHECKF(strncmp(argv[2], SCRIPT_PREFIX, strlen(SCRIPT_PREFIX)) == 0,
           "script path passed as argv[2]", "argv[2]='%s'", argv[2]);
    CHECK(strcmp(argv[3], "extra1") == 0 && strcmp(argv[4], "extra 2") == 0,
          "original argv[1..] appended after script path");
    return check_done();
}

/* ---- parent mode ---- */

static void test_reexec(const char *self)
{
    int fd_cloexec = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd_keep = open("/dev/null", O_RDONLY);
    if (!CHECK(fd_cloexec >= 0 && fd_keep >= 0, "open /dev/null fds"))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa = {.sa_handler = SIG_IGN};
        sigaction(SIGUSR2, &sa, NULL);
        sa.sa_handler = (void (*)(int))1234; /* never called: reset by exec */
        sigaction(SIGUSR1, &sa, NULL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_SETMASK, &set, NULL);
        char **args = build_argv(self, fd_cloexec, fd_keep, getpid());
        char *env[NFIXED_ENV + 1];
        for (int i = 0; i < NFIXED_ENV; i++)
            env[i] = fixed_env[i];
        env[NFIXED_ENV] = NULL;
        execve(self, args, env);
        _exit(127);
    }
    check_child(pid, "re-exec child verified argv/envp/auxv/fds/signals");
    close(fd_cloexec);
    close(fd_keep);
}

static void test_script(const char *self)
{
    int fd = open(script_path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (!CHECK(fd >= 0, "create #! script in /tmp"))
        return;
    char line[512];
    int n = snprintf(line, sizeof line, "#!%s --interp one two  \nrest\n", self);
    CHECK(write(fd, line, (size_t)n) == n, "write #! script");
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {script_path, "extra1", "extra 2", NULL};
        execve(script_path, args, environ);
        _exit(127);
    }
    check_child(pid, "#! script runs its interpreter with the argument");
    unlink(script_path);
}

/* A dynamically linked program whose PT_INTERP names a missing file: the interpreter's
 * lookup fails first, so execve says ENOENT (not ENOEXEC). The program is a minimal ELF
 * written here: one PT_INTERP and one PT_LOAD covering the file. */
static void test_missing_interp(char **args)
{
    if (under_qemu_user()) {
        check_skip("execve with a missing PT_INTERP: ENOENT", "qemu-user loads ELF files itself");
        return;
    }
    static const char interp[] = "/tmp/openv_no_such_ld.so";
    struct {
        Elf64_Ehdr eh;
        Elf64_Phdr ph[2];
        char interp[sizeof interp];
        uint32_t code[4];
    } img;
    memset(&img, 0, sizeof img);
    memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
    img.eh.e_ident[EI_CLASS] = ELFCLASS64;
    img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    img.eh.e_ident[EI_VERSION] = EV_CURRENT;
    img.eh.e_type = ET_EXEC;
    img.eh.e_machine = __ehdr_start.e_machine;
    img.eh.e_version = EV_CURRENT;
    img.eh.e_entry = 0x400000 + offsetof(__typeof__(img), code);
    img.eh.e_phoff = offsetof(__typeof__(img), ph);
    img.eh.e_ehsize = sizeof(Elf64_Ehdr);
    img.eh.e_phentsize = sizeof(Elf64_Phdr);
    img.eh.e_phnum = 2;
    img.ph[0].p_type = PT_INTERP;
    img.ph[0].p_flags = PF_R;
    img.ph[0].p_offset = offsetof(__typeof__(img), interp);
    img.ph[0].p_vaddr = img.ph[0].p_paddr = 0x400000 + img.ph[0].p_offset;
    img.ph[0].p_filesz = img.ph[0].p_memsz = sizeof interp;
    img.ph[0].p_align = 1;
    img.ph[1].p_type = PT_LOAD;
    img.ph[1].p_flags = PF_R | PF_X;
    img.ph[1].p_vaddr = img.ph[1].p_paddr = 0x400000;
    img.ph[1].p_filesz = img.ph[1].p_memsz = sizeof img;
    img.ph[1].p_align = 0x1000;
    memcpy(img.interp, interp, sizeof interp);
    unlink(interp);
    int fd = open(badfile_path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (!CHECK(fd >= 0, "create a PT_INTERP program"))
        return;
    int ok = write(fd, &img, sizeof img) == (ssize_t)sizeof img;
    close(fd);
    if (CHECK(ok, "write the PT_INTERP program"))
        CHECK_ERR(execve(badfile_path, args, environ), ENOENT,
                  "execve with a missing PT_INTERP: ENOENT");
    unlink(badfile_path);
}

/* Failing execve must return the right errno and leave us running. */
static void test_exec_errors(void)
{
    char *args[] = {"x", NULL};
    CHECK_ERR(execve("/tmp/openv_no_such_binary", args, environ), ENOENT,
              "execve missing file: ENOENT");
    CHECK_ERR(execve("/tmp", args, environ), EACCES,
              "execve directory: EACCES");

    int fd = open(noexec_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        (void)!write(fd, "\177ELF", 4);
        close(fd);
        chmod(noexec_path, 0644);
        CHECK_ERR(execve(noexec_path, args, environ), EACCES,
                  "execve file without x bit: EACCES");
        unlink(noexec_path);
    }
    fd = open(badfile_path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd >= 0) {
        /* Garbage that is neither ELF nor "#!": execve says ENOEXEC (the
         * shell, not the kernel, would then run it as a script). */
        (void)!write(fd, "\001\002garbage, not a program\n", 25);
        close(fd);
        CHECK_ERR(execve(badfile_path, args, environ), ENOEXEC,
                  "execve of garbage file: ENOEXEC");
        unlink(badfile_path);
    }
    CHECK_ERR(execve((const char *)1, args, environ), EFAULT,
              "execve with bad path pointer: EFAULT");
    test_missing_interp(args);
}

int main(int argc, char **argv, char **envp)
{
    entry_argc = argc;
    entry_argv = argv;
    entry_envp = envp;
    init_long_arg();

    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child_main(argc, argv);
    if (argc > 1 && strncmp(argv[1], "--interp", 8) == 0)
        return interp_main(argc, argv);

    check_begin("exec_args");
    init_paths();
    check_entry_stack();
    check_auxv(NULL);

    const char *self = argv[0];
    if (self[0] != '/') {
        CHECKF(0, "argv[0] is an absolute path",
               "run me by absolute path (got '%s')", self);
    } else if (under_qemu_user()) {
        check_skip("re-exec with known argv/envp",
                   "qemu-user cannot execve a guest binary");
        check_skip("#! script", "qemu-user cannot execve a guest binary");
    } else {
        test_reexec(self);
        test_script(self);
    }
    test_exec_errors();
    return check_done();
}
