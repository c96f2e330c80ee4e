/* Host stand-ins for kernel services (kstubs.c). */
#ifndef OPENV_KSTUBS_H
#define OPENV_KSTUBS_H

#include "log_host.h"		/* printk: host_log */

#endif
