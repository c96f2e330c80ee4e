/* The printk capture of log_host.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "log_host.h"

char host_log[HOST_LOG_SIZE];
static size_t host_log_len;

/* A message that does not end its line gets a newline, so messages never run together. */
int printk(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    bool eol = len && line[len - 1] == '\n';
    if (getenv("HOST_LOG_VERBOSE"))
        fprintf(stderr, "%s%s", line, eol ? "" : "\n");
    if (host_log_len + len + 2 < sizeof host_log) {
        memcpy(host_log + host_log_len, line, len);
        host_log_len += len;
        if (!eol)
            host_log[host_log_len++] = '\n';
        host_log[host_log_len] = '\0';
    }
    return n;
}

void host_log_clear(void)
{
    host_log_len = 0;
    host_log[0] = '\0';
}

bool host_log_has(const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i + n <= host_log_len; i++)
        if (memcmp(host_log + i, text, n) == 0)
            return true;
    return false;
}
