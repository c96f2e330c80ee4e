/* Password hashes for plain_text_passwd, chpasswd and password: SHA-512 crypt, as cloud-init's
 * distros do (chpasswd hashes with the system default, SHA-512 on Debian and Ubuntu). */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

char *mod_hash_password(const char *plain)
{
    static const char alphabet[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char rnd[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t got = read(fd, rnd, sizeof rnd);
    close(fd);
    if (got != (ssize_t)sizeof rnd) {
        errno = EIO;
        return NULL;
    }
    char setting[3 + sizeof rnd + 2] = "$6$";
    for (size_t i = 0; i < sizeof rnd; i++)
        setting[3 + i] = alphabet[rnd[i] & 63];
    setting[3 + sizeof rnd] = '$';
    setting[4 + sizeof rnd] = '\0';
    const char *h = crypt(plain, setting);
    /* Failures come back as NULL or as a string starting with '*' (libxcrypt). */
    if (!h || h[0] != '$') {
        errno = EINVAL;
        return NULL;
    }
    return strdup(h);
}

int mod_set_shadow_hash(struct acct_db *db, const char *user, const char *hash, bool expire)
{
    long i = acct_find(&db->shadow, user);
    if (i < 0) {
        char *line = NULL;
        if (asprintf(&line, "%s:%s:%ld:0:99999:7:::", user, hash, expire ? 0 : acct_today()) < 0)
            return -1;
        int r = acct_append(&db->shadow, line);
        free(line);
        return r;
    }
    char day[24];
    snprintf(day, sizeof day, "%ld", expire ? 0 : acct_today());
    if (acct_set_field(&db->shadow, i, 1, hash) < 0 || acct_set_field(&db->shadow, i, 2, day) < 0)
        return -1;
    return 0;
}
