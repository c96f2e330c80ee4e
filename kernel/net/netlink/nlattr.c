/* Netlink message and attribute parsing and building (see include/netlink.h). Pure functions
 * over caller-supplied buffers: every length that came from user space is checked against
 * what is left before it is used. Unaligned data is read and written with memcpy, since the
 * request buffer is only as aligned as kmalloc made it. */
#include "netlink.h"
#include "errno.h"
#include "string.h"

void nlmsg_iter_init(struct nlmsg_iter *it, const void *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->off = 0;
}

const struct nlmsghdr *nlmsg_iter_next(struct nlmsg_iter *it, bool *bad)
{
    *bad = false;
    if (it->off >= it->len)
        return NULL;
    size_t left = it->len - it->off;
    if (left < sizeof(struct nlmsghdr)) {
        *bad = true;
        return NULL;
    }
    const struct nlmsghdr *nlh = (const void *)(it->buf + it->off);
    uint32_t mlen;
    memcpy(&mlen, &nlh->nlmsg_len, sizeof mlen);
    if (mlen < NLMSG_HDRLEN || mlen > left) {
        *bad = true;
        return NULL;
    }
    size_t step = NLMSG_ALIGN((size_t)mlen);
    it->off = step > left ? it->len : it->off + step;
    return nlh;
}

int nla_parse(const struct nlattr **tb, int maxtype, const void *buf, size_t len)
{
    for (int i = 0; i <= maxtype; i++)
        tb[i] = NULL;
    const uint8_t *p = buf;
    size_t off = 0;
    while (len - off >= sizeof(struct nlattr)) {
        const struct nlattr *a = (const void *)(p + off);
        uint16_t alen, atype;
        memcpy(&alen, &a->nla_len, sizeof alen);
        memcpy(&atype, &a->nla_type, sizeof atype);
        if (alen < NLA_HDRLEN || alen > len - off)
            return -EINVAL;
        atype &= NLA_TYPE_MASK;
        if (atype <= maxtype)
            tb[atype] = a;
        size_t step = NLA_ALIGN((size_t)alen);
        if (step >= len - off)
            break;
        off += step;
    }
    return 0;
}

int nla_get_u32(const struct nlattr *a, uint32_t *out)
{
    if (nla_len(a) < sizeof *out)
        return -EINVAL;
    memcpy(out, nla_data(a), sizeof *out);
    return 0;
}

int nla_get_u8(const struct nlattr *a, uint8_t *out)
{
    if (nla_len(a) < sizeof *out)
        return -EINVAL;
    memcpy(out, nla_data(a), sizeof *out);
    return 0;
}

int nla_get_string(const struct nlattr *a, char *dst, size_t size)
{
    const char *s = nla_data(a);
    size_t n = nla_len(a);
    size_t len = 0;
    while (len < n && s[len])
        len++;
    if (!size || len >= size)
        return -EINVAL;
    memcpy(dst, s, len);
    dst[len] = 0;
    return 0;
}

void nlb_init(struct nlmsg_builder *b, void *buf, size_t cap)
{
    b->buf = buf;
    b->cap = cap;
    b->used = 0;
    b->start = 0;
    b->overflow = false;
}

/* Reserve len bytes (zeroed, then padded to 4) at the end of the open message. */
static void *nlb_reserve(struct nlmsg_builder *b, size_t len)
{
    size_t padded = NLMSG_ALIGN(len);
    if (b->overflow || padded < len || padded > b->cap - b->used) {
        b->overflow = true;
        return NULL;
    }
    void *p = b->buf + b->used;
    memset(p, 0, padded);
    b->used += padded;
    return p;
}

void *nlb_begin(struct nlmsg_builder *b, uint16_t type, uint16_t flags, uint32_t seq,
                uint32_t portid, size_t hdrlen)
{
    b->start = b->used;
    b->overflow = false;
    struct nlmsghdr *nlh = nlb_reserve(b, NLMSG_HDRLEN);
    if (!nlh)
        return NULL;
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    nlh->nlmsg_seq = seq;
    nlh->nlmsg_pid = portid;
    return hdrlen ? nlb_reserve(b, hdrlen) : (void *)(nlh + 1);
}

void nlb_put(struct nlmsg_builder *b, uint16_t type, const void *data, size_t len)
{
    if (len > 0xffff - NLA_HDRLEN) {
        b->overflow = true;
        return;
    }
    struct nlattr *a = nlb_reserve(b, NLA_HDRLEN + len);
    if (!a)
        return;
    a->nla_len = (uint16_t)(NLA_HDRLEN + len);
    a->nla_type = type;
    if (len)
        memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
}

void nlb_put_u8(struct nlmsg_builder *b, uint16_t type, uint8_t v)
{
    nlb_put(b, type, &v, sizeof v);
}

void nlb_put_u32(struct nlmsg_builder *b, uint16_t type, uint32_t v)
{
    nlb_put(b, type, &v, sizeof v);
}

void nlb_put_string(struct nlmsg_builder *b, uint16_t type, const char *s)
{
    nlb_put(b, type, s, strlen(s) + 1);
}

size_t nlb_end(struct nlmsg_builder *b)
{
    if (b->overflow) {
        b->used = b->start;
        b->overflow = false;
        return 0;
    }
    struct nlmsghdr *nlh = (void *)(b->buf + b->start);
    size_t len = b->used - b->start;
    nlh->nlmsg_len = (uint32_t)len;
    return len;
}

size_t nlb_error(struct nlmsg_builder *b, const struct nlmsghdr *req, int error, uint32_t portid,
                 bool cap_ack)
{
    struct nlmsghdr h;
    memcpy(&h, req, sizeof h);
    /* The echoed request: whole for errors (its length was checked by the iterator), only
     * the header for ACKs and when the socket asked for capped acks. */
    size_t echo = (error && !cap_ack) ? h.nlmsg_len - NLMSG_HDRLEN : 0;
    uint16_t flags = (error == 0 || cap_ack) ? NLM_F_CAPPED : 0;
    struct nlmsgerr *e = nlb_begin(b, NLMSG_ERROR, flags, h.nlmsg_seq, portid,
                                   sizeof(struct nlmsgerr) + echo);
    if (e) {
        e->error = error;
        memcpy(&e->msg, &h, sizeof h);
        if (echo)
            memcpy(e + 1, (const uint8_t *)req + NLMSG_HDRLEN, echo);
    }
    size_t n = nlb_end(b);
    if (n) {
        /* As Linux's __nlmsg_put: the length counts the echoed request unpadded (the
         * padding still takes room in the datagram). */
        uint32_t exact = (uint32_t)(NLMSG_HDRLEN + sizeof(struct nlmsgerr) + echo);
        memcpy(b->buf + b->start, &exact, sizeof exact);
    }
    return n;
}

size_t nlb_done(struct nlmsg_builder *b, uint32_t seq, uint32_t portid, int result)
{
    int32_t *r = nlb_begin(b, NLMSG_DONE, NLM_F_MULTI, seq, portid, sizeof(int32_t));
    if (r)
        *r = result;
    return nlb_end(b);
}
