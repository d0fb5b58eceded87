/* buf.h - a growable byte buffer; the owner frees p. */
#ifndef FUNNEL_BUF_H
#define FUNNEL_BUF_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"

struct buf {
    unsigned char *p;
    size_t len, cap;
};

/* Make room for `more` bytes past len.  Returns 0 or FB_ENOMEM. */
static inline int buf_reserve(struct buf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return 0;
    size_t c = b->cap ? b->cap : 256;
    while (c - b->len < more) {
        if (c > ((size_t)-1) / 2)
            return FB_ENOMEM;
        c *= 2;
    }
    unsigned char *p = realloc(b->p, c);
    if (!p)
        return FB_ENOMEM;
    b->p = p;
    b->cap = c;
    return 0;
}

static inline int buf_append(struct buf *b, const void *data, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return FB_ENOMEM;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

static inline void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

#endif
