/*
 * A scratch directory per test program for host tests that make their images with the real
 * tools (ext2, fat, isofs, bylabel), and shell commands to run there.
 */
#ifndef OPENV_WORKDIR_H
#define OPENV_WORKDIR_H

#include "test_util.h"
#include <sys/wait.h>

static char workdir[256];

/* Run a command; the exit status (-1 if it did not exit). */
static inline int sh_rc(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Run a command; fail the test unless it succeeds. */
static inline void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

/* workdir/name, in one of 64 rotating buffers (several may be in use in one call). */
static inline char *wpath(const char *name)
{
	static char buf[64][1024];
	static int i;
	i = (i + 1) & 63;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", workdir, name);
	return buf[i];
}

/* A whole file into a malloc'd buffer; fails the test if it cannot. */
static inline uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc(*len ? *len : 1);
	assert_int_equal(fread(p, 1, *len, f), *len);
	fclose(f);
	return p;
}

/* Group setup: workdir = $TMPDIR (or /tmp)/NAME-XXXXXX, made. 0 or -1. */
static inline int workdir_make(const char *name)
{
	snprintf(workdir, sizeof(workdir), "%s/%s-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
	return mkdtemp(workdir) ? 0 : -1;
}

/* Group teardown: remove workdir, unless the environment variable keep_env (if not NULL) is
 * set, to look at the images afterwards. */
static inline void workdir_remove(const char *keep_env)
{
	if (!keep_env || !getenv(keep_env))
		sh_rc("rm -rf %s", workdir);
}

#endif /* OPENV_WORKDIR_H */
