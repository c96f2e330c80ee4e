/* Shared by the cloud-init unit tests: a temporary root per test. */
#ifndef CI_TEST_HELPERS_H
#define CI_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int ci_test_make_root(void **state)
{
    char *dir = strdup("/tmp/ci-test-XXXXXX");
    if (!dir || !mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static inline int ci_test_drop_root(void **state)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
    int r = system(cmd);
    free(*state);
    return r == 0 ? 0 : -1;
}

#endif
