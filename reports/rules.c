/* rules.c - the rule file parser of `funnel check --rules` (docs/CHECK.md
 * "Rule files"); rules_eval.c evaluates what it builds.  One pass per line,
 * by hand rather than with a scanner generator: the grammar is three
 * tokens, and every fault must name its column.
 */
#include "rules.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

/* One line being parsed: s[0..n) without its line end. */
struct ps {
    const char *s;
    size_t n;
    size_t i;
    const char *name;
    long line;
    struct fb_error *err;
};

/* A malformed rule file is a usage error (exit 2): the rules are part of
 * the command, and exit 3 stays for the report being checked. */
static int bad(const struct ps *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(const struct ps *p, size_t at, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fb_fail_at(p->err, FB_EUSAGE, p->name, p->line, (long)at + 1, "%s", msg);
}

static int nomem(const struct ps *p)
{
    return fb_fail(p->err, FB_ENOMEM, "out of memory reading rules");
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A bare name in brackets: any printable byte (UTF-8 included) but the ones
 * that end it or start something else; those names are quoted. */
static int is_bare(char c)
{
    unsigned char u = (unsigned char)c;
    return u > 0x20 && u != 0x7f && c != '[' && c != ']' && c != '"' && c != '#';
}

static void skip_blanks(struct ps *p)
{
    while (p->i < p->n && is_blank(p->s[p->i]))
        p->i++;
}

/* The next token (up to a blank), for messages: at most 40 bytes. */
static const char *token(const struct ps *p, size_t at, char *buf, size_t cap)
{
    size_t j = at;
    while (j < p->n && !is_blank(p->s[j]) && j - at < cap - 1 && j - at < 40)
        j++;
    memcpy(buf, p->s + at, j - at);
    buf[j - at] = '\0';
    return buf;
}

static int add_seg(const struct ps *p, struct rule *r, const char *text, size_t len, int bracket,
                   size_t rule_start)
{
    struct rule_seg *v = realloc(r->segs, (r->nsegs + 1) * sizeof *v);
    if (!v)
        return nomem(p);
    r->segs = v;
    struct rule_seg *g = &v[r->nsegs];
    memset(g, 0, sizeof *g);
    if (!(g->text = malloc(len + 1)))
        return nomem(p);
    r->nsegs++;
    memcpy(g->text, text, len);
    g->text[len] = '\0';
    g->len = len;
    g->bracket = (unsigned)bracket;
    g->end = p->i - rule_start;
    return 0;
}

/* A bare selector that is an integer picks by index (docs/CHECK.md: a name
 * made of digits is quoted); one too long for int64 cannot be an index of
 * anything, so it is refused rather than read as a name. */
static int classify_bare(const struct ps *p, struct rule_seg *g, size_t at)
{
    size_t k = g->text[0] == '-' ? 1 : 0;
    if (g->len == 4 && memcmp(g->text, "null", 4) == 0)
        g->bare_null = 1;
    if (k == g->len)
        return 0;
    for (size_t j = k; j < g->len; j++)
        if (!is_digit(g->text[j]))
            return 0;
    errno = 0;
    long long v = strtoll(g->text, NULL, 10);
    if (errno == ERANGE)
        return bad(p, at, "index %s is out of range", g->text);
    g->is_index = 1;
    g->index = v;
    return 0;
}

static int parse_quoted(struct ps *p, struct rule *r, size_t rule_start)
{
    size_t at = p->i, j = p->i + 1;
    while (j < p->n && p->s[j] != '"')
        j += p->s[j] == '\\' ? 2 : 1;
    if (j >= p->n)
        return bad(p, at, "unterminated string");
    json_error_t je;
    json_t *v = json_loadb(p->s + at, j + 1 - at, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v || !json_is_string(v)) {
        json_decref(v);
        return bad(p, at, "bad quoted name: %s", v ? "not a string" : je.text);
    }
    size_t len = json_string_length(v);
    int rc = memchr(json_string_value(v), '\0', len)
                 ? bad(p, at, "a name cannot hold \\u0000")
                 : 0;
    p->i = j + 1;
    if (rc == 0)
        rc = add_seg(p, r, json_string_value(v), len, 1, rule_start);
    json_decref(v);
    return rc;
}

static int parse_bracket(struct ps *p, struct rule *r, size_t rule_start)
{
    size_t open = p->i++;
    int rc;
    if (p->i < p->n && p->s[p->i] == '"') {
        rc = parse_quoted(p, r, rule_start);
    } else {
        size_t at = p->i;
        while (p->i < p->n && is_bare(p->s[p->i]))
            p->i++;
        if (p->i == at && (p->i >= p->n || p->s[p->i] == ']'))
            return bad(p, open, "empty []: write a name or an index");
        if (p->i == at)
            goto bad_close;
        rc = add_seg(p, r, p->s + at, p->i - at, 1, rule_start);
        if (rc == 0)
            rc = classify_bare(p, &r->segs[r->nsegs - 1], at);
    }
    if (rc)
        return rc;
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        r->segs[r->nsegs - 1].end = p->i - rule_start;
        return 0;
    }
bad_close:
    if (p->i >= p->n)
        return bad(p, open, "this '[' is never closed");
    return bad(p, p->i, "expected ']' here; quote a name that holds blanks, quotes, "
               "brackets or '#': [\"a name\"]");
}

static int parse_key(struct ps *p, struct rule *r, size_t rule_start)
{
    size_t at = p->i;
    while (p->i < p->n && is_ident(p->s[p->i]))
        p->i++;
    return add_seg(p, r, p->s + at, p->i - at, 0, rule_start);
}

static int parse_path(struct ps *p, struct rule *r, size_t rule_start)
{
    char tok[48];
    int rc;
    if (is_ident_start(p->s[p->i]))
        rc = parse_key(p, r, rule_start);
    else if (p->s[p->i] == '[')
        rc = parse_bracket(p, r, rule_start);
    else
        return bad(p, p->i, "expected a path (a key such as win_rate, or [\"a key\"]), got '%s'",
                   token(p, p->i, tok, sizeof tok));
    while (rc == 0 && p->i < p->n) {
        char c = p->s[p->i];
        if (c == '.') {
            p->i++;
            if (p->i >= p->n || !is_ident_start(p->s[p->i]))
                return bad(p, p->i, "expected a key after '.'; quote any other key: "
                           "[\"a key\"]");
            rc = parse_key(p, r, rule_start);
        } else if (c == '[') {
            rc = parse_bracket(p, r, rule_start);
        } else if (is_blank(c) || c == '<' || c == '>' || c == '=' || c == '!') {
            break;
        } else {
            return bad(p, p->i, "unexpected '%s' in the path; quote a key or name holding it: "
                       "[\"...\"]", token(p, p->i, tok, sizeof tok));
        }
    }
    return rc;
}

static int parse_op(struct ps *p, struct rule *r)
{
    static const struct { const char *s; enum rule_op op; } ops[] = {
        {"<=", RULE_LE}, {">=", RULE_GE}, {"==", RULE_EQ}, {"!=", RULE_NE},
        {"<", RULE_LT}, {">", RULE_GT},
    };
    char tok[48];
    if (p->i >= p->n)
        return bad(p, p->i, "expected an operator (< <= > >= == !=) after the path");
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t l = strlen(ops[k].s);
        if (p->n - p->i >= l && memcmp(p->s + p->i, ops[k].s, l) == 0) {
            /* "<==" or "=>" would otherwise read as "<=" and a number "=". */
            if (p->i + l < p->n && strchr("<>=!", p->s[p->i + l]))
                break;
            r->op = ops[k].op;
            p->i += l;
            return 0;
        }
    }
    if (p->s[p->i] == '=' && (p->i + 1 >= p->n || p->s[p->i + 1] != '='))
        return bad(p, p->i, "unknown operator '='; equality is '=='");
    return bad(p, p->i, "expected an operator (< <= > >= == !=), got '%s'",
               token(p, p->i, tok, sizeof tok));
}

/* JSON's number syntax (leading zeros allowed): no "nan", "inf", hex or a
 * leading '+', which strtod would take and which no report value is. */
static size_t number_end(const struct ps *p, size_t j)
{
    size_t d;
    if (j < p->n && p->s[j] == '-')
        j++;
    for (d = j; j < p->n && is_digit(p->s[j]); j++) {}
    if (j == d)
        return 0;
    if (j < p->n && p->s[j] == '.') {
        for (d = ++j; j < p->n && is_digit(p->s[j]); j++) {}
        if (j == d)
            return 0;
    }
    if (j < p->n && (p->s[j] == 'e' || p->s[j] == 'E')) {
        j++;
        if (j < p->n && (p->s[j] == '+' || p->s[j] == '-'))
            j++;
        for (d = j; j < p->n && is_digit(p->s[j]); j++) {}
        if (j == d)
            return 0;
    }
    return j;
}

static int parse_number(struct ps *p, struct rule *r)
{
    char tok[48], buf[400];
    size_t at = p->i, end = number_end(p, at);
    if (at >= p->n || p->s[at] == '#')
        return bad(p, at, "expected a number after the operator");
    if (end == 0 || (end < p->n && !is_blank(p->s[end]) && p->s[end] != '#'))
        return bad(p, at, "expected a number after the operator, got '%s' (a rule compares "
                   "with a number)", token(p, at, tok, sizeof tok));
    if (end - at >= sizeof buf)
        return bad(p, at, "the number is too long");
    memcpy(buf, p->s + at, end - at);
    buf[end - at] = '\0';
    r->num = strtod(buf, NULL);
    if (!isfinite(r->num))
        return bad(p, at, "%s is out of range for a number", buf);
    if (!strpbrk(buf, ".eE")) {
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        r->num_is_int = errno != ERANGE;
        r->inum = v;
    }
    p->i = end;
    return 0;
}

static void rule_clear(struct rule *r)
{
    for (size_t k = 0; k < r->nsegs; k++)
        free(r->segs[k].text);
    free(r->segs);
    free(r->text);
}

/* One line; a rule is added to rs unless it is blank or a comment. */
static int parse_line(struct ps *p, struct rules *rs)
{
    for (size_t j = 0; j < p->n; j++)
        if (((unsigned char)p->s[j] < 0x20 && p->s[j] != '\t') || p->s[j] == 0x7f)
            return bad(p, j, "control character in a rule file");
    skip_blanks(p);
    if (p->i >= p->n || p->s[p->i] == '#')
        return 0;
    struct rule r = {.line = p->line};
    size_t start = p->i;
    int rc = parse_path(p, &r, start);
    if (rc == 0) {
        skip_blanks(p);
        rc = parse_op(p, &r);
    }
    if (rc == 0) {
        skip_blanks(p);
        rc = parse_number(p, &r);
    }
    size_t end = p->i;
    if (rc == 0) {
        skip_blanks(p);
        if (p->i < p->n && p->s[p->i] != '#')
            rc = bad(p, p->i, "unexpected text after the number; one rule a line");
    }
    if (rc == 0 && !(r.text = strndup(p->s + start, end - start)))
        rc = nomem(p);
    if (rc == 0 && rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        struct rule *v = realloc(rs->v, cap * sizeof *v);
        if (!v)
            rc = nomem(p);
        else {
            rs->v = v;
            rs->cap = cap;
        }
    }
    if (rc) {
        rule_clear(&r);
        return rc;
    }
    rs->v[rs->n++] = r;
    return 0;
}

int rules_parse(const char *name, const char *text, size_t len, struct rules **out,
                struct fb_error *err)
{
    struct rules *rs = calloc(1, sizeof *rs);
    struct ps p = {.name = name, .err = err};
    size_t at = 0;
    int rc = rs ? 0 : fb_fail(err, FB_ENOMEM, "out of memory reading rules");
    *out = NULL;
    /* An editor's UTF-8 byte order mark is not part of the first rule. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        at = 3;
    while (rc == 0 && at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        p.s = text + at;
        p.n = n > 0 && p.s[n - 1] == '\r' ? n - 1 : n;
        p.i = 0;
        p.line++;
        rc = parse_line(&p, rs);
        at += n + 1;
    }
    if (rc == 0 && rs->n == 0)
        rc = fb_fail_at(err, FB_EUSAGE, name, 0, 0, "no rules in the file (only blank lines "
                        "and # comments)");
    if (rc) {
        rules_free(rs);
        return rc;
    }
    *out = rs;
    return 0;
}

size_t rules_count(const struct rules *rs) { return rs->n; }

void rules_free(struct rules *rs)
{
    if (!rs)
        return;
    for (size_t k = 0; k < rs->n; k++)
        rule_clear(&rs->v[k]);
    free(rs->v);
    free(rs);
}
