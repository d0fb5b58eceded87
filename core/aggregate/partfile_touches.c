/* partfile_touches.c - the touches section of a partial state file, byte
 * for byte as docs/FORMAT.md §14.11 specifies it; see partfile_touches.h. */
#include "partfile_touches.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "touches.h"

#define BADT(...) (snprintf(why, n, __VA_ARGS__), FB_ECORRUPT)
#define NAME_MAX_LEN 65535u

static int put_var(struct buf *b, uint64_t v)
{
    if (buf_reserve(b, 10) != 0)
        return FB_ENOMEM;
    b->len += put_varint(b->p + b->len, v);
    return 0;
}

int pf_touches_encode(const struct summary *s, struct buf *raw)
{
    const struct sum_touches *t = s->touches;
    int rc = put_var(raw, t->n);
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        const struct sum_touch *x = &t->t[i];
        rc = put_var(raw, x->len);
        if (rc == 0)
            rc = buf_append(raw, x->name, x->len);
        for (size_t k = 0; rc == 0 && k < 4 * s->ns; k++)
            rc = put_var(raw, x->c[k]);
        const uint64_t lift[3] = {x->with, x->won, x->lost};
        for (int k = 0; rc == 0 && k < 3; k++)
            rc = put_var(raw, lift[k]);
    }
    return rc;
}

/* One entry's counts, checked against each other and the summary. */
static int check_entry(const struct sum_touch *x, const struct summary *s, size_t i, char *why, size_t n)
{
    const size_t ns = s->ns;
    uint64_t ev = 0;
    for (size_t k = 0; k < 2 * ns; k++) {
        ev |= x->c[k];
        if (x->c[2 * ns + k] > x->c[k] || (x->len && x->c[2 * ns + k] > x->with))
            return BADT("touch type %zu has more entities than events or than it lifts", i + 1);
    }
    if (!ev)
        return BADT("touch type %zu has no events", i + 1);
    if (x->won > x->with || x->lost > x->with - x->won || x->with > s->entities ||
        x->won > s->stage[ns - 1].reached || (!x->len && (x->with || x->won || x->lost)))
        return BADT("bad lift counts of touch type %zu", i + 1);
    return 0;
}

int pf_touches_decode(const unsigned char *b, size_t len, struct summary *s, char *why, size_t n)
{
    const unsigned char *p = b, *end = b + len;
    const size_t ns = s->ns;
    uint64_t count;
    if (!(s->touches = touches_new(ns)))
        return FB_ENOMEM;
    if (get_varint(&p, end, &count) != 0 || count > (uint64_t)(end - p))
        return BADT("bad count of touch types");
    uint64_t *sum = calloc(2 * ns, sizeof *sum);
    if (!sum)
        return FB_ENOMEM;
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < count; i++) {
        uint64_t nl;
        if (get_varint(&p, end, &nl) != 0 || nl > NAME_MAX_LEN || nl > (uint64_t)(end - p)) {
            rc = BADT("bad name of touch type %llu", (unsigned long long)i + 1);
            break;
        }
        struct sum_touch *x = touches_add(s->touches, (const char *)p, (size_t)nl);
        if (!x) {
            rc = FB_ENOMEM;
            break;
        }
        p += nl;
        for (size_t k = 0; rc == 0 && k < 4 * ns; k++)
            if (get_varint(&p, end, &x->c[k]) != 0)
                rc = BADT("touch type %llu is cut short", (unsigned long long)i + 1);
        if (rc == 0 && (get_varint(&p, end, &x->with) != 0 || get_varint(&p, end, &x->won) != 0 ||
                        get_varint(&p, end, &x->lost) != 0))
            rc = BADT("touch type %llu is cut short", (unsigned long long)i + 1);
        if (rc == 0)
            rc = check_entry(x, s, (size_t)i, why, n);
        if (rc == 0 && i > 0) {   /* strictly ascending: sorted and distinct */
            const struct sum_touch *v = x - 1;
            int c = memcmp(v->name, x->name, v->len < x->len ? v->len : x->len);
            if (c > 0 || (c == 0 && v->len >= x->len))
                rc = BADT("touch types out of order");
        }
        for (size_t k = 0; rc == 0 && k < 2 * ns; k++)
            if ((sum[k] += x->c[k]) < x->c[k])
                rc = BADT("touch events overflow");
    }
    /* §14.5: every stage and channel's touch events are its touches. */
    for (size_t k = 0; rc == 0 && k < 2 * ns; k++)
        if (sum[k] != s->stage[k / 2].touches[k % 2])
            rc = BADT("the touch events of stage %zu do not add up to its touches", k / 2 + 1);
    free(sum);
    if (rc == 0 && p != end)
        rc = BADT("%zu bytes after the last touch type", (size_t)(end - p));
    return rc;
}
