/* Host stand-ins for kernel services (kstubs.c). */
#ifndef OPENV_KSTUBS_H
#define OPENV_KSTUBS_H

extern char kstub_log[1 << 16];	/* everything printk'd since kstub_log_clear() */
void kstub_log_clear(void);

#endif
