/* Signals as the kernel uses them: the user ABI (uapi/signal.h) and the kernel's sets. */
#pragma once
#include "types.h"
#include "uapi/signal.h"

#define sigmask(sig) (1ULL << ((sig) - 1))
#define SIG_KERNEL_ONLY (sigmask(SIGKILL) | sigmask(SIGSTOP))
#define SIG_STOP_SET (sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU))

struct task;
/* Sends a fault signal to the current thread (it cannot be ignored or blocked; if it is,
 * the default action applies, as in Linux's force_sig). */
void force_sig_fault(int sig, int code, uaddr_t addr);
int send_signal_info(struct task *t, int sig, const struct ksiginfo *info, bool group);
/* pselect6/ppoll: install `mask` for the wait (returns 0), and afterwards restore the old
 * one; after an interrupted wait (-ERESTARTNOHAND) it comes back only once the handler has
 * run, as Linux's restore_saved_sigmask_unless(). */
int sigmask_swap_for_wait(uint64_t mask);
void sigmask_restore_after_wait(bool interrupted);

/* signalfd (fs/signalfd.c): the signals of `mask` pending for current (its own or its
 * process's), and taking the next of them (0 if none). Every signal queued anywhere wakes
 * signalfd_wait; pollers recheck their own sets. */
ksigset_t signal_pending_in(ksigset_t mask);
int signal_dequeue_in(ksigset_t mask, struct ksiginfo *info);
struct wait_queue;
extern struct wait_queue signalfd_wait;
