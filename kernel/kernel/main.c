/* Boot: platform (FDT) -> console -> memory -> traps, timer, interrupts -> VFS and initramfs
 * -> PID 1. */
#include "kernel.h"
#include "rtc.h"
#include "task.h"
#include "vm.h"
#include "fs.h"
#include "mm.h"
#include "fdt.h"
#include "byteorder.h"
#include "pci.h"
#include "uart.h"
#include "string.h"
#include "random.h"
#include "uaccess.h"
#include "memlayout.h"
#include "asm/cpu.h"
#include "asm/csr.h"
#include "asm/sbi.h"
#include "asm/entry.h"
#include "tty.h"
#include "virtio.h"
#include "blkdev.h"
#include "smp.h"
#include "irq.h"
#include "ktimer.h"
#include "net.h"
#include "syscall.h"
#include "ipc.h"
#include "sha256.h"

static struct fdt_platform plat;

/* dm-verity hashes every root block it reads: with Zbb on every hart (QEMU's default CPU has
 * it), SHA-256's rotates are one instruction each (lib/sha256_zbb.c). */
static void pick_sha256(void)
{
    unsigned with = 0, harts = 0;
    for (unsigned i = 0; i < plat.hart_count; i++) {
        if (!plat.harts[i].enabled)
            continue;
        harts++;
        with += sha256_isa_has(plat.harts[i].isa, "zbb");
    }
    if (harts && with == harts) {
        sha256_set_compress(sha256_compress_zbb);
        pr_info("sha256: Zbb rotates (every hart has zbb)");
    }
}

static void setup_console_level(void)
{
    if (cmdline_get("quiet"))
        printk_set_console_level(4);
    const char *ll = cmdline_get("loglevel");
    if (ll && ll[0] >= '0' && ll[0] <= '8' && ll[1] == 0)
        printk_set_console_level(ll[0] - '0');
}

static void setup_memory(paddr_t fdt_pa, uint32_t fdt_size)
{
    struct fdt_region excl[FDT_MAX_RESERVED + 6];
    unsigned n = 0;
    excl[n++] = (struct fdt_region){ KERNEL_PBASE & ~((2UL << 20) - 1), 0 };   /* below the kernel */
    excl[0].base = 0x80000000UL;
    excl[0].size = KERNEL_PBASE - 0x80000000UL;
    excl[n++] = (struct fdt_region){ va_to_pa(_start_image), (uint64_t)(_end - _start_image) };
    excl[n++] = (struct fdt_region){ fdt_pa, fdt_size };
    if (plat.has_initrd && plat.initrd_end > plat.initrd_start)
        excl[n++] = (struct fdt_region){ plat.initrd_start, plat.initrd_end - plat.initrd_start };
    for (unsigned i = 0; i < plat.reserved_count && n < ARRAY_SIZE(excl); i++)
        excl[n++] = plat.reserved[i];
    page_alloc_init(plat.mem, plat.mem_count, excl, n);
    pr_info("Memory: %zuK/%zuK available", pages_free() * 4, (size_t)0 + pages_total() * 4);
}

/* PID 1's kernel half: the console as fds 0-2, then the init program. */
static const char *const init_fallbacks[] = { "/sbin/init", "/etc/init", "/bin/init", "/bin/sh" };

static void open_console(void)
{
    long fd = do_openat(AT_FDCWD, "/dev/console", O_RDWR, 0);
    if (fd < 0) {
        pr_warn("Warning: unable to open an initial console (%ld).", fd);
        return;
    }
    do_dup3((int)fd, 1, 0);
    do_dup3((int)fd, 2, 0);
}

static bool try_init(const char *path)
{
    const char *argv[] = { path, NULL };
    const char *envp[] = { "HOME=/", "TERM=linux", NULL };
    int r = kernel_execve(path, argv, envp);
    if (r == 0)
        return true;
    if (r != -ENOENT)
        pr_err("Failed to execute %s (error %d)", path, -r);
    return false;
}

static void init_main(void *arg)
{
    (void)arg;
    struct task *t = current;
    t->mm = mm_create();
    if (!t->mm)
        panic("no memory for init");
    mm_activate(t->mm);
    open_console();

    char path[256];
    const char *rd = cmdline_get("rdinit");
    bool want_rdinit = rd != NULL;
    strlcpy(path, rd ? rd : "/init", sizeof path);
    /* root= without rdinit=: the initramfs (if any) is not used for init; the disk is. */
    bool ok = (want_rdinit || !cmdline_get("root")) && try_init(path);
    if (!ok && cmdline_get("root")) {
        mount_root();      /* panics when there is no usable root */
    }
    if (!ok) {
        const char *in = cmdline_get("init");
        if (in) {
            strlcpy(path, in, sizeof path);
            ok = try_init(path);
            if (!ok)
                panic("Requested init %s failed.", path);
        }
    }
    for (unsigned i = 0; !ok && i < ARRAY_SIZE(init_fallbacks); i++)
        ok = try_init(init_fallbacks[i]);
    if (!ok)
        panic("No working init found. Try passing init= option to kernel.");
    enter_user(current_tf());
}

static void start_init(void)
{
    struct task *t = task_alloc();
    if (!t)
        panic("no memory for init");
    struct task_private *p = t->priv;
    struct process *proc = process_alloc_init(t);
    p->sighand = sighand_new();
    if (!proc || !p->sighand)
        panic("no memory for init");
    t->tid = t->tgid = 1;
    strlcpy(t->comm, "init", sizeof t->comm);
    /* As in Linux, init starts in session 0 and process group 0 (the kernel's own), so it is
     * not a group leader and setsid() works without a fork (BusyBox `setsid` relies on it). */
    proc->pid = 1;
    proc->pgid = proc->sid = 0;
    proc->exit_signal = SIGCHLD;
    rlimits_init_defaults(proc->rlim);
    p->proc = proc;
    p->ss_flags = SS_DISABLE;
    list_add_tail(&p->thread_node, &proc->threads);
    proc->nr_threads = 1;
    list_add_tail(&proc->all_node, &all_processes);
    init_process = proc;
    pid_alloc();   /* pid 1 */
    tid_set(1, t);
    t->files = files_new();
    t->fs = fs_struct_new_root();

    /* Starts as a kernel thread; init_main then becomes user mode through execve. */
    struct trapframe *tf = task_tf(t);
    memset(tf, 0, sizeof *tf);
    p->ctx.ra = (unsigned long)kthread_entry;
    p->ctx.sp = (unsigned long)tf;
    p->ctx.s[2] = (unsigned long)init_main;
    p->ctx.s[3] = 0;
    sched_add_new(t);
}

__noreturn void kmain(unsigned long hartid, paddr_t fdt_pa)
{
    cpus[0].hartid = hartid;
    cpus[0].id = 0;
    task_init_idle();
    trap_init();
    sbi_init();

    const void *fdt = pa_to_va(fdt_pa);
    uint32_t fdt_size = get_be32((const char *)fdt + 4);
    int fr = fdt_parse_platform(fdt, fdt_size, &plat);
    if (plat.uart.dev.present)
        uart_early_init(plat.uart.dev.base, plat.uart.reg_shift);
    timer_early_init(plat.timebase_frequency);
    cmdline_init(plat.bootargs);
    setup_console_level();
    pr_notice("openv riscv64 (Linux 6.1 system call ABI), hart %lu", hartid);
    if (fr < 0)
        pr_err("FDT at %lx is malformed (%d)", (unsigned long)fdt_pa, fr);
    pr_notice("Kernel command line: %s", cmdline_raw());

    pick_sha256();
    setup_memory(fdt_pa, fdt_size);
    vm_init();
    random_init();
    if (plat.poweroff.present && plat.poweroff.base_valid)
        reboot_set_syscon(true, plat.poweroff.base + plat.poweroff.offset, plat.poweroff.value, plat.poweroff.mask);
    if (plat.reboot.present && plat.reboot.base_valid)
        reboot_set_syscon(false, plat.reboot.base + plat.reboot.offset, plat.reboot.value, plat.reboot.mask);
    printk_init_late();

    plic_init(plat.plic.dev.present ? plat.plic.dev.base : 0, plat.plic.ndev, hartid);
    timer_init();
    csr_set(sstatus, SR_SIE);

    vfs_init();
    ipc_init();       /* registers /proc/sysvipc and its /proc/sys/kernel limits */
    goldfish_rtc_init(plat.rtc.present ? plat.rtc.base : 0);   /* /dev/rtc0; hctosys */
    net_init();
    tty_init();
    ext2_init();
    ofs_init();
    isofs_init();
    vfat_init();
    overlayfs_init();
    loop_init();
    uart_init_irq(plat.uart.dev.has_irq ? plat.uart.dev.irq : 0);
    pci_init(fdt, fdt_size);   /* before virtio_init: virtio-pci devices are found here */
    virtio_init(&plat);
    dm_init();                 /* dm-mod.create= (a dm-verity root) over the disks just found */
    if (plat.has_initrd && plat.initrd_end > plat.initrd_start) {
        size_t len = plat.initrd_end - plat.initrd_start;
        int r = initramfs_unpack(pa_to_va(plat.initrd_start), len);
        if (r)
            pr_err("Initramfs unpacking failed: %d", r);
        else
            pr_info("Unpacked initramfs (%zu bytes)", len);
    } else {
        pr_warn("No initramfs");
    }

    smp_boot_secondaries(&plat);   /* maxcpus= (smp.h) */
    start_init();
    /* This is the idle task from now on. */
    struct cpu *cpu = this_cpu();
    for (;;) {
        csr_clear(sstatus, SR_SIE);
        if (!cpu->need_resched)
            wait_for_interrupt();
        csr_set(sstatus, SR_SIE);
        schedule();
    }
}
