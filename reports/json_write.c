/* json_write.c - the streaming JSON writer of json_write.h, byte for byte
 * the layout of jansson's dump with JSON_INDENT(2) and
 * JSON_REAL_PRECISION(17) (the one reports had before it). */
#include "json_write.h"
#include "real17.h"

#include <math.h>
#include <string.h>

static void flush(struct jw *w)
{
    if (w->n && !w->failed && fwrite(w->buf, 1, w->n, w->out) != w->n)
        w->failed = 1;
    w->n = 0;
}

static void put(struct jw *w, const char *s, size_t n)
{
    if (n > JW_BUF - w->n) {
        flush(w);
        if (n > JW_BUF) {
            if (!w->failed && fwrite(s, 1, n, w->out) != n)
                w->failed = 1;
            return;
        }
    }
    memcpy(w->buf + w->n, s, n);
    w->n += n;
}

static void put_str(struct jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    put(w, "\"", 1);
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, s + from, i - from);
        from = i + 1;
        char e[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t len = 2;
        switch (c) {
        case '"': case '\\': break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            len = 6;
        }
        put(w, e, len);
    }
    put(w, s + from, n - from);
    put(w, "\"", 1);
}

/* A new line at the indent of depth. */
static void new_line(struct jw *w, unsigned depth)
{
    static const char spaces[] = "                                ";
    put(w, "\n", 1);
    for (size_t left = 2 * (size_t)depth; left > 0;) {
        size_t k = left < sizeof spaces - 1 ? left : sizeof spaces - 1;
        put(w, spaces, k);
        left -= k;
    }
}

/* Before a value: the comma after the member before, a new line at this
 * container's indent, the key. */
static void member(struct jw *w, const char *key)
{
    if (w->depth > 0) {
        if (!w->first)
            put(w, ",", 1);
        new_line(w, w->depth);
    }
    if (key) {
        put_str(w, key, strlen(key));
        put(w, ": ", 2);
    }
    w->first = 0;
}

static void open_(struct jw *w, const char *key, const char *c)
{
    member(w, key);
    put(w, c, 1);
    w->depth++;
    w->first = 1;
}

static void close_(struct jw *w, const char *c)
{
    w->depth--;
    if (!w->first)
        new_line(w, w->depth);
    put(w, c, 1);
    w->first = 0;
}

void jw_init(struct jw *w, FILE *out)
{
    w->out = out;
    w->depth = 0;
    w->first = 1;
    w->failed = 0;
    w->n = 0;
}

int jw_finish(struct jw *w)
{
    put(w, "\n", 1);
    flush(w);
    return w->failed ? -1 : 0;
}

void jw_obj(struct jw *w, const char *key) { open_(w, key, "{"); }
void jw_obj_end(struct jw *w) { close_(w, "}"); }
void jw_arr(struct jw *w, const char *key) { open_(w, key, "["); }
void jw_arr_end(struct jw *w) { close_(w, "]"); }

/* v in decimal, as "%lld" writes it, into the end of t[0..24); returns
 * where it starts.  By hand: a breakdown's report holds some 90,000
 * integers, and snprintf's parsing of its format was most of their cost. */
static char *int_text(long long v, char t[24])
{
    char *p = t + 24;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    return p;
}

void jw_int(struct jw *w, const char *key, long long v)
{
    char t[24];
    member(w, key);
    const char *p = int_text(v, t);
    put(w, p, (size_t)(t + sizeof t - p));
}

void jw_real(struct jw *w, const char *key, double v)
{
    if (!isfinite(v)) {
        jw_null(w, key);
        return;
    }
    char t[REAL17_MAX + 2];
    size_t n = real17(v, t);
    /* As jansson: a point or an exponent, so that it reads back as a real;
     * an exponent without "+" and without leading zeros. */
    char *e = strchr(t, 'e');
    if (!e && !strchr(t, '.')) {
        memcpy(t + n, ".0", 3);
        n += 2;
    } else if (e) {
        char *from = e + 1, *to = e + 1;
        if (*from == '-')
            from++, to++;
        else if (*from == '+')
            from++;
        while (*from == '0' && from[1] != '\0')
            from++;
        memmove(to, from, strlen(from) + 1);
        n = strlen(t);
    }
    member(w, key);
    put(w, t, n);
}

void jw_null(struct jw *w, const char *key)
{
    member(w, key);
    put(w, "null", 4);
}

void jw_bool(struct jw *w, const char *key, int v)
{
    member(w, key);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void jw_str(struct jw *w, const char *key, const char *s) { jw_strn(w, key, s, strlen(s)); }

void jw_strn(struct jw *w, const char *key, const char *s, size_t n)
{
    member(w, key);
    put_str(w, s, n);
}

void jw_num_text(struct jw *w, const char *key, const char *text)
{
    member(w, key);
    put(w, text, strlen(text));
}
