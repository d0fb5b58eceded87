/* csvout.c - RFC 4180 field quoting; see csvout.h. */
#include "csvout.h"

static int needs_quotes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return 1;
    return 0;
}

int csvout_field(struct buf *b, const char *s, size_t n)
{
    if (!needs_quotes(s, n))
        return buf_append(b, s, n);
    if (buf_reserve(b, 2 * n + 2) != 0)
        return FB_ENOMEM;
    unsigned char *p = b->p + b->len;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *p++ = '"';
        *p++ = (unsigned char)s[i];
    }
    *p++ = '"';
    b->len = (size_t)(p - b->p);
    return 0;
}
