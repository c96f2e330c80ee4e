/*
 * Helpers shared by the unit tests (host side: libc is fine here).
 */
#ifndef OPENV_TEST_UTIL_H
#define OPENV_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* Directory the build put generated fixtures in (see unit.mk). */
#ifndef UNIT_FIXTURES
#define UNIT_FIXTURES "build/unit/fixtures"
#endif

/* Read a whole fixture file into a malloc'd buffer; fails the test if
 * it cannot.  Free with free(). */
static inline uint8_t *read_fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", UNIT_FIXTURES, name);

	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open fixture %s (run via make unit-c)", path);

	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		assert_non_null(buf);
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	*len = n;
	return buf;
}

/* A heap copy of exactly @len bytes, so ASan flags any read past it. */
static inline uint8_t *exact_copy(const void *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, data, len);
	return copy;
}

#endif /* OPENV_TEST_UTIL_H */
