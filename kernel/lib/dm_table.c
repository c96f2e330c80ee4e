/* The value of Linux's dm-mod.create= (drivers/md/dm-init.c):
 *
 *   <name>,<uuid>,<minor>,<flags>,<table>[;<name>,<uuid>,<minor>,<flags>,<table>]
 *   <table> = <start_sector> <num_sectors> <target_type> <target_args>
 *
 * <uuid> and <minor> may be empty; <flags> is "ro" or "rw". Linux allows several table lines
 * per device (separated by ','); openv's devices have one target each, so a second line is
 * refused. The command line is trusted input, but it is still parsed as untrusted text. */
#include "verity.h"
#include "errno.h"
#include "string.h"

/* Cut the next field ending at `sep` (or the end) out of *s. */
static char *next_field(char **s, char sep)
{
    char *f = *s;
    if (!f)
        return NULL;
    char *e = strchr(f, sep);
    if (e) {
        *e = 0;
        *s = e + 1;
    } else {
        *s = NULL;
    }
    return f;
}

static char *skip_spaces(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A decimal u64 word at *s (advanced past it and the spaces after). */
static bool parse_u64_word(char **s, uint64_t *out)
{
    char *p = skip_spaces(*s);
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (*p && *p != ' ' && *p != '\t')
        return false;
    *s = skip_spaces(p);
    *out = v;
    return true;
}

static int parse_table(char *t, struct dm_create_dev *d, const char **err)
{
    char *p = t;
    if (!parse_u64_word(&p, &d->start) || !parse_u64_word(&p, &d->len)) {
        *err = "invalid table: expected <start_sector> <num_sectors> <target_type> <args>";
        return -EINVAL;
    }
    if (d->len == 0) {
        *err = "invalid table: zero length";
        return -EINVAL;
    }
    char *type = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (p == type) {
        *err = "invalid table: no target type";
        return -EINVAL;
    }
    if (*p)
        *p++ = 0;
    d->target = type;
    d->args = skip_spaces(p);
    return 0;
}

static int parse_device(char *s, struct dm_create_dev *d, const char **err)
{
    char *name = next_field(&s, ',');
    char *uuid = next_field(&s, ',');
    char *minor = next_field(&s, ',');
    char *flags = next_field(&s, ',');
    char *table = next_field(&s, ',');
    if (!table) {
        *err = "expected <name>,<uuid>,<minor>,<flags>,<table>";
        return -EINVAL;
    }
    if (s) {
        *err = "only one table line per device is supported";
        return -EINVAL;
    }
    if (!*name || strlen(name) >= DM_NAME_LEN || strchr(name, '/')) {
        *err = "invalid device name";
        return -EINVAL;
    }
    if (strlen(uuid) >= DM_UUID_LEN) {
        *err = "invalid uuid";
        return -EINVAL;
    }
    d->name = name;
    d->uuid = uuid;
    d->minor = -1;
    if (*minor) {
        uint64_t m;
        char *p = minor;
        if (!parse_u64_word(&p, &m) || *p || m > 255) {
            *err = "invalid minor number";
            return -EINVAL;
        }
        d->minor = (int)m;
    }
    if (strcmp(flags, "ro") == 0) {
        d->read_only = true;
    } else if (strcmp(flags, "rw") == 0) {
        d->read_only = false;
    } else {
        *err = "invalid flags parameter (ro or rw)";
        return -EINVAL;
    }
    return parse_table(table, d, err);
}

int dm_parse_create(char *buf, struct dm_create_dev *devs, unsigned max, const char **err)
{
    unsigned n = 0;
    char *s = buf;
    *err = NULL;
    if (!*buf) {
        *err = "empty";
        return -EINVAL;
    }
    while (s) {
        char *dev = next_field(&s, ';');
        if (n == max) {
            *err = "too many devices";
            return -EINVAL;
        }
        memset(&devs[n], 0, sizeof devs[n]);
        int r = parse_device(dev, &devs[n], err);
        if (r)
            return r;
        for (unsigned i = 0; i < n; i++) {
            if (strcmp(devs[i].name, devs[n].name) == 0 ||
                (devs[n].minor >= 0 && devs[i].minor == devs[n].minor)) {
                *err = "two devices with the same name or minor";
                return -EINVAL;
            }
        }
        n++;
    }
    return (int)n;
}
