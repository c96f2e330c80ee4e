/* Shared fixture of the module tests (test_mod_*.c): a temporary root with the image's account
 * files, a cloud-config parsed by node.c, a context logging to /dev/null, file helpers. */
#ifndef MOD_TEST_H
#define MOD_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloudinit.h"
#include "modules/modules.h"

struct mt {
    char root[64];
    struct ci_context ctx;
    struct ci_node *cfg, *meta;
    FILE *devnull;
};

static const char mt_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char mt_group[] = "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n";
static const char mt_shadow[] = "root:!:0:0:99999:7:::\nnobody:!:0:0:99999:7:::\n";

static inline void mt_put(struct mt *t, const char *abs, const char *text, mode_t mode)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", abs);
    *strrchr(parent, '/') = '\0';
    if (parent[0])
        assert_int_equal(ci_mkdir_p(&t->ctx, parent, 0755), 0);
    assert_int_equal(ci_write_file(&t->ctx, abs, text, strlen(text), mode, (uid_t)-1, (gid_t)-1), 0);
}

/* The file's text (malloc'd), or NULL when it does not exist. */
static inline char *mt_get(struct mt *t, const char *abs)
{
    return ci_read_file(&t->ctx, abs, NULL);
}

static inline struct stat mt_stat(struct mt *t, const char *abs)
{
    char p[4096];
    struct stat st;
    assert_int_equal(ci_path(&t->ctx, abs, p, sizeof p), 0);
    assert_int_equal(lstat(p, &st), 0);
    return st;
}

static inline bool mt_exists(struct mt *t, const char *abs)
{
    char p[4096];
    struct stat st;
    assert_int_equal(ci_path(&t->ctx, abs, p, sizeof p), 0);
    return lstat(p, &st) == 0;
}

static inline void mt_assert_file(struct mt *t, const char *abs, const char *want)
{
    char *s = mt_get(t, abs);
    if (!s)
        fail_msg("%s does not exist", abs);
    assert_string_equal(s, want);
    free(s);
}

static inline void mt_assert_contains(struct mt *t, const char *abs, const char *want)
{
    char *s = mt_get(t, abs);
    if (!s)
        fail_msg("%s does not exist", abs);
    if (!strstr(s, want))
        fail_msg("%s lacks \"%s\":\n%s", abs, want, s);
    free(s);
}

static inline struct ci_node *mt_yaml(const char *text)
{
    char err[256] = "";
    struct ci_node *n = ci_yaml_parse(text, strlen(text), err, sizeof err);
    if (!n)
        fail_msg("YAML: %s", err);
    return n;
}

static inline int mt_setup(void **state)
{
    struct mt *t = calloc(1, sizeof *t);
    assert_non_null(t);
    snprintf(t->root, sizeof t->root, "/tmp/ci-mod-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    t->devnull = fopen("/dev/null", "w");
    t->ctx = (struct ci_context){.root = t->root, .default_user = "openv",
                                 .instance_id = "iid-test1", .log = t->devnull,
                                 .datasource = "DataSourceNoCloud [seed=/dev/vdb]"};
    mt_put(t, "/etc/passwd", mt_passwd, 0644);
    mt_put(t, "/etc/group", mt_group, 0644);
    mt_put(t, "/etc/shadow", mt_shadow, 0600);
    *state = t;
    return 0;
}

static inline int mt_teardown(void **state)
{
    struct mt *t = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    assert_int_equal(system(cmd), 0);
    if (t->cfg)
        ci_node_free(t->cfg);
    if (t->meta)
        ci_node_free(t->meta);
    ci_context_release(&t->ctx);
    fclose(t->devnull);
    free(t);
    return 0;
}

/* Sets the cloud-config (and meta-data, or NULL) of the context. */
static inline void mt_config(struct mt *t, const char *cfg, const char *meta)
{
    if (t->cfg)
        ci_node_free(t->cfg);
    if (t->meta)
        ci_node_free(t->meta);
    t->cfg = mt_yaml(cfg);
    t->meta = meta ? mt_yaml(meta) : NULL;
    t->ctx.cfg = t->cfg;
    t->ctx.meta = t->meta;
}

/* Whether an error or warning message contains text. */
static inline bool mt_said(const struct mt *t, const char *text)
{
    for (size_t i = 0; i < t->ctx.n_error_msgs; i++)
        if (strstr(t->ctx.error_msgs[i], text))
            return true;
    for (size_t i = 0; i < t->ctx.n_warning_msgs; i++)
        if (strstr(t->ctx.warning_msgs[i], text))
            return true;
    return false;
}

#define MT(fn) cmocka_unit_test_setup_teardown(fn, mt_setup, mt_teardown)

#endif
