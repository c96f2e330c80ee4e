/* YAML and JSON documents (libyaml's event API) as struct ci_node trees.
 *
 * A seed is untrusted: nesting depth, node count and the size aliases would expand to are all
 * bounded, so "billion laughs" or a deeply nested document is an error, never memory exhaustion
 * or a stack overflow. Aliases are resolved by copying the anchored subtree (the tree stays a
 * tree: every node has one owner and ci_node_free is simple). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cloudinit.h"

enum {
    MAX_DEPTH = 64,          /* nested collections */
    MAX_NODES = 1 << 18,     /* nodes in the resolved tree, aliases included */
    MAX_ANCHORS = 1024,
};

struct anchor {
    char *name;
    struct ci_node *node;
};

struct parser {
    yaml_parser_t yp;
    struct anchor anchors[MAX_ANCHORS];
    size_t n_anchors;
    size_t nodes;            /* running total, aliases expanded */
    char *err;
    size_t errlen;
};

static void fail(struct parser *p, int line, const char *msg)
{
    if (p->err && p->errlen && !p->err[0])
        snprintf(p->err, p->errlen, "line %d: %s", line, msg);
}

static struct ci_node *new_node(struct parser *p, enum ci_node_type t, int line)
{
    if (++p->nodes > MAX_NODES) {
        fail(p, line, "document too large (node limit)");
        return NULL;
    }
    struct ci_node *n = calloc(1, sizeof *n);
    if (!n) {
        fail(p, line, "out of memory");
        return NULL;
    }
    n->type = t;
    n->line = line;
    return n;
}

void ci_node_free(struct ci_node *n)
{
    if (!n)
        return;
    free(n->scalar);
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            free(n->keys[i]);
        ci_node_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n);
}

static size_t weight(const struct ci_node *n)
{
    size_t w = 1;
    for (size_t i = 0; i < n->n; i++)
        w += weight(n->items[i]);
    return w;
}

static struct ci_node *copy_node(const struct ci_node *n)
{
    struct ci_node *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    *c = *n;
    c->scalar = NULL;
    c->keys = NULL;
    c->items = NULL;
    c->n = 0;
    if (n->scalar && !(c->scalar = strdup(n->scalar)))
        goto oom;
    if (n->n) {
        c->items = calloc(n->n, sizeof *c->items);
        if (n->keys)
            c->keys = calloc(n->n, sizeof *c->keys);
        if (!c->items || (n->keys && !c->keys))
            goto oom;
        for (size_t i = 0; i < n->n; i++) {
            c->n = i + 1;
            if (n->keys && !(c->keys[i] = strdup(n->keys[i])))
                goto oom;
            if (!(c->items[i] = copy_node(n->items[i])))
                goto oom;
        }
    }
    return c;
oom:
    ci_node_free(c);
    return NULL;
}

/* Appends (key, value) to a collection; key is NULL for a sequence. Takes both. */
static int append(struct parser *p, struct ci_node *coll, char *key, struct ci_node *val)
{
    struct ci_node **items = realloc(coll->items, (coll->n + 1) * sizeof *items);
    if (!items)
        goto oom;
    coll->items = items;
    if (coll->type == CI_MAP) {
        char **keys = realloc(coll->keys, (coll->n + 1) * sizeof *keys);
        if (!keys)
            goto oom;
        coll->keys = keys;
        keys[coll->n] = key;
    }
    items[coll->n++] = val;
    return 0;
oom:
    fail(p, val->line, "out of memory");
    free(key);
    ci_node_free(val);
    return -1;
}

static int remember_anchor(struct parser *p, const yaml_char_t *name, struct ci_node *n, int line)
{
    if (!name)
        return 0;
    if (p->n_anchors >= MAX_ANCHORS) {
        fail(p, line, "too many anchors");
        return -1;
    }
    char *copy = strdup((const char *)name);
    if (!copy) {
        fail(p, line, "out of memory");
        return -1;
    }
    /* Anchored nodes stay owned by the tree: the table only points at them. A redefined anchor
     * shadows the old one, as YAML says. */
    p->anchors[p->n_anchors++] = (struct anchor){copy, n};
    return 0;
}

static struct ci_node *resolve_alias(struct parser *p, const yaml_char_t *name, int line)
{
    for (size_t i = p->n_anchors; i-- > 0;) {
        struct anchor *a = &p->anchors[i];
        if (strcmp(a->name, (const char *)name))
            continue;
        /* Measured each time: the anchored node may have grown since the last alias. The
         * measuring is paid for by the limit it counts against. */
        p->nodes += weight(a->node);
        if (p->nodes > MAX_NODES) {
            fail(p, line, "aliases expand past the size limit");
            return NULL;
        }
        struct ci_node *c = copy_node(a->node);
        if (!c)
            fail(p, line, "out of memory");
        return c;
    }
    fail(p, line, "alias to an unknown anchor");
    return NULL;
}

/* A mapping key as text: scalars only (cloud-config never uses complex keys). */
static char *key_text(struct parser *p, struct ci_node *k)
{
    if (k->type != CI_SCALAR && k->type != CI_NULL) {
        fail(p, k->line, "a mapping key must be a scalar");
        ci_node_free(k);
        return NULL;
    }
    char *s = k->scalar ? k->scalar : strdup("");
    k->scalar = NULL;
    ci_node_free(k);
    if (!s)
        fail(p, 0, "out of memory");
    return s;
}

static bool is_null_scalar(const yaml_event_t *ev)
{
    if (ev->data.scalar.quoted_implicit || ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
        ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
        ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
        ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE)
        return false;
    const char *v = (const char *)ev->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* Parses the node whose first event is ev (already read). */
static struct ci_node *parse_node(struct parser *p, yaml_event_t *ev, int depth)
{
    int line = (int)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return resolve_alias(p, ev->data.alias.anchor, line);
    case YAML_SCALAR_EVENT: {
        bool null = is_null_scalar(ev);
        struct ci_node *n = new_node(p, null ? CI_NULL : CI_SCALAR, line);
        if (!n)
            return NULL;
        /* A CI_NULL node keeps its text too, so it can still serve as an (empty) map key. */
        n->scalar = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (!n->scalar) {
            fail(p, line, "out of memory");
            free(n);
            return NULL;
        }
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
            fail(p, line, "a NUL character in a scalar");
            ci_node_free(n);
            return NULL;
        }
        if (null) {
            free(n->scalar);
            n->scalar = NULL;
        }
        if (remember_anchor(p, ev->data.scalar.anchor, n, line) < 0) {
            ci_node_free(n);
            return NULL;
        }
        return n;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        if (depth >= MAX_DEPTH) {
            fail(p, line, "nested too deep");
            return NULL;
        }
        struct ci_node *n = new_node(p, map ? CI_MAP : CI_SEQ, line);
        if (!n)
            return NULL;
        const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        yaml_event_type_t end = map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        /* Registered before the children: an alias inside its own anchor is then a copy of
         * the part parsed so far, never a cycle. */
        if (remember_anchor(p, anchor, n, line) < 0) {
            ci_node_free(n);
            return NULL;
        }
        for (;;) {
            yaml_event_t child;
            if (!yaml_parser_parse(&p->yp, &child)) {
                fail(p, (int)p->yp.problem_mark.line + 1,
                     p->yp.problem ? p->yp.problem : "YAML syntax error");
                goto bad;
            }
            if (child.type == end) {
                yaml_event_delete(&child);
                return n;
            }
            struct ci_node *k = parse_node(p, &child, depth + 1);
            yaml_event_delete(&child);
            if (!k)
                goto bad;
            if (!map) {
                if (append(p, n, NULL, k) < 0)
                    goto bad;
                continue;
            }
            char *key = key_text(p, k);
            if (!key)
                goto bad;
            yaml_event_t vev;
            if (!yaml_parser_parse(&p->yp, &vev)) {
                fail(p, (int)p->yp.problem_mark.line + 1,
                     p->yp.problem ? p->yp.problem : "YAML syntax error");
                free(key);
                goto bad;
            }
            struct ci_node *v = parse_node(p, &vev, depth + 1);
            yaml_event_delete(&vev);
            if (!v) {
                free(key);
                goto bad;
            }
            /* A repeated key is kept: ci_map_get looks from the end, so the last one wins,
             * as in PyYAML, without a quadratic search here. */
            if (append(p, n, key, v) < 0)
                goto bad;
        }
    bad:
        /* The anchor table may still point into n; parsing stops here, so it is never used. */
        ci_node_free(n);
        return NULL;
    }
    default:
        fail(p, line, "unexpected YAML event");
        return NULL;
    }
}

struct ci_node *ci_yaml_parse(const char *buf, size_t len, char *err, size_t errlen)
{
    static struct parser zero;
    struct parser *p = malloc(sizeof *p);
    if (!p) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *p = zero;
    p->err = err;
    p->errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
    struct ci_node *root = NULL;
    bool ok = false;
    if (!yaml_parser_initialize(&p->yp)) {
        fail(p, 0, "out of memory");
        free(p);
        return NULL;
    }
    yaml_parser_set_input_string(&p->yp, (const unsigned char *)buf, len);
    bool in_doc = false;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p->yp, &ev)) {
            fail(p, (int)p->yp.problem_mark.line + 1,
                 p->yp.problem ? p->yp.problem : "YAML syntax error");
            break;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            ok = true;
            break;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            if (root) {
                fail(p, (int)ev.start_mark.line + 1, "more than one YAML document");
                yaml_event_delete(&ev);
                break;
            }
            in_doc = true;
        } else if (t == YAML_DOCUMENT_END_EVENT) {
            in_doc = false;
        } else if (in_doc && !root && t != YAML_STREAM_START_EVENT) {
            root = parse_node(p, &ev, 0);
            if (!root) {
                yaml_event_delete(&ev);
                break;
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p->yp);
    for (size_t i = 0; i < p->n_anchors; i++)
        free(p->anchors[i].name);
    free(p);
    if (!ok) {
        ci_node_free(root);
        return NULL;
    }
    if (!root) {
        root = calloc(1, sizeof *root);
        if (root) {
            root->type = CI_NULL;
            root->line = 1;
        }
    }
    return root;
}

const struct ci_node *ci_map_get(const struct ci_node *n, const char *key)
{
    if (!n || n->type != CI_MAP)
        return NULL;
    for (size_t i = n->n; i-- > 0;)   /* the last of repeated keys wins */
        if (!strcmp(n->keys[i], key))
            return n->items[i];
    return NULL;
}

const char *ci_scalar(const struct ci_node *n)
{
    return n && n->type == CI_SCALAR ? n->scalar : NULL;
}

/* PyYAML's YAML 1.1 booleans (not y/n, which it reads as strings). */
static const char *const true_words[] = {"true", "yes", "on"};
static const char *const false_words[] = {"false", "no", "off"};

int ci_bool(const struct ci_node *n, bool *out)
{
    if (!n || n->type != CI_SCALAR || n->quoted)
        return -1;
    for (size_t i = 0; i < sizeof true_words / sizeof *true_words; i++) {
        if (!strcasecmp(n->scalar, true_words[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(n->scalar, false_words[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int ci_long(const struct ci_node *n, long *out)
{
    if (!n || n->type != CI_SCALAR || !n->scalar[0])
        return -1;
    char *end;
    errno = 0;
    long v = strtol(n->scalar, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}
