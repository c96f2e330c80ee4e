/* node.c: YAML and JSON to ci_node, limits, scalar helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudinit.h"

static struct ci_node *parse(const char *s, char *err)
{
    return ci_yaml_parse(s, strlen(s), err, 256);
}

static void test_cloud_config(void **state)
{
    (void)state;
    char err[256];
    struct ci_node *n = parse("#cloud-config\nhostname: box\nusers:\n  - default\n  - name: ann\n"
                              "    lock_passwd: False\nbootcmd: [a, 'b']\nport: 22\nq: \"yes\"\n", err);
    assert_non_null(n);
    assert_int_equal(n->type, CI_MAP);
    assert_string_equal(ci_scalar(ci_map_get(n, "hostname")), "box");
    const struct ci_node *users = ci_map_get(n, "users");
    assert_int_equal(users->type, CI_SEQ);
    assert_int_equal(users->n, 2);
    assert_int_equal(users->items[1]->line, 5);
    bool b = true;
    assert_int_equal(ci_bool(ci_map_get(users->items[1], "lock_passwd"), &b), 0);
    assert_false(b);
    assert_int_equal(ci_bool(ci_map_get(n, "q"), &b), -1);   /* quoted: a string */
    long v;
    assert_int_equal(ci_long(ci_map_get(n, "port"), &v), 0);
    assert_int_equal(v, 22);
    assert_int_equal(ci_long(ci_map_get(n, "hostname"), &v), -1);
    assert_null(ci_map_get(n, "nothing"));
    ci_node_free(n);
}

static void test_json_and_null(void **state)
{
    (void)state;
    char err[256];
    struct ci_node *n = parse("{\"uuid\": \"83679162\", \"public_keys\": {\"k\": \"ssh-ed25519 AA\"},"
                              " \"x\": null, \"e\": ~}", err);
    assert_non_null(n);
    assert_string_equal(ci_scalar(ci_map_get(n, "uuid")), "83679162");
    assert_int_equal(ci_map_get(n, "x")->type, CI_NULL);
    assert_null(ci_scalar(ci_map_get(n, "x")));
    assert_int_equal(ci_map_get(n, "public_keys")->type, CI_MAP);
    ci_node_free(n);
    n = parse("", err);
    assert_non_null(n);
    assert_int_equal(n->type, CI_NULL);
    ci_node_free(n);
    n = parse("# only a comment\n", err);
    assert_non_null(n);
    assert_int_equal(n->type, CI_NULL);
    ci_node_free(n);
}

static void test_aliases(void **state)
{
    (void)state;
    char err[256];
    struct ci_node *n = parse("a: &x [1, 2]\nb: *x\nc: dup\nc: last\n", err);
    assert_non_null(n);
    assert_int_equal(ci_map_get(n, "b")->n, 2);
    assert_string_equal(ci_scalar(ci_map_get(n, "b")->items[1]), "2");
    assert_string_equal(ci_scalar(ci_map_get(n, "c")), "last");
    ci_node_free(n);
}

static void test_billion_laughs(void **state)
{
    (void)state;
    char err[256];
    const char *bomb =
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    assert_null(parse(bomb, err));
    assert_non_null(strstr(err, "limit"));
}

static void test_errors(void **state)
{
    (void)state;
    char err[256];
    assert_null(parse("a: [1, 2\nb: c\n", err));
    assert_memory_equal(err, "line ", 5);
    assert_null(parse("a: *nope\n", err));
    assert_non_null(strstr(err, "unknown anchor"));
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    assert_null(ci_yaml_parse(deep, sizeof deep, err, sizeof err));
    assert_non_null(strstr(err, "deep"));
    assert_null(parse("a: 1\n---\nb: 2\n", err));
    assert_null(parse("? [a]\n: b\n", err));
    assert_null(parse("a: b\n\x01\x02\x80\n", err));   /* control bytes, bad UTF-8 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cloud_config),
        cmocka_unit_test(test_json_and_null),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
