/* funnel_def.c - building and checking the list of stages; see funnel_def.h. */
#include "funnel_def.h"

#include "csvin.h"
#include "ftime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_stages[] = {
    "suspect", "prospect", "interested", "engaged", "evaluating", "negotiating", "purchasing"};

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

int funnel_name_eq(const char *s, size_t n, const char *name)
{
    size_t i = 0;
    for (; i < n; i++)
        if (name[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)name[i]))
            return 0;
    return name[i] == '\0';
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

void funnel_trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank((*s)[*n - 1]))
        --*n;
    while (*n > 0 && is_blank(**s))
        ++*s, --*n;
}

int funnel_name_eq_trimmed(const char *s, size_t n, const char *name)
{
    const char *core = s;
    size_t len = n;
    funnel_trim(&core, &len);
    return len < n && funnel_name_eq(core, len, name);
}

void funnel_def_free(struct funnel_def *f)
{
    for (size_t i = 0; f->names && i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    free(f->stale_after);
    f->names = NULL;
    f->stale_after = NULL;
    f->n = 0;
}

int funnel_def_find(const struct funnel_def *f, const char *s, size_t n)
{
    for (size_t i = 0; i < f->n; i++)
        if (funnel_name_eq(s, n, f->names[i]))
            return (int)i;
    return -1;
}

int funnel_def_set_stale(struct funnel_def *f, size_t s, int64_t seconds, struct fb_error *err)
{
    if (!f->stale_after) {
        if (!(f->stale_after = malloc((f->n ? f->n : 1) * sizeof *f->stale_after)))
            return fb_fail(err, FB_ENOMEM, "out of memory");
        for (size_t i = 0; i < f->n; i++)
            f->stale_after[i] = -1;
    }
    f->stale_after[s] = seconds;
    return 0;
}

/* Add s[0..n), checking the name rules; where says where it came from. */
static int add(struct funnel_def *f, const char *s, size_t n, const char *where,
               struct fb_error *err)
{
    if (n == 0)
        return fb_fail(err, FB_EUSAGE, "%sempty stage name", where);
    if (n > FUNNEL_MAX_STAGE_NAME)
        return fb_fail(err, FB_EUSAGE, "%sstage name longer than %d bytes: \"%.64s...\"", where,
                       FUNNEL_MAX_STAGE_NAME, s);
    if (memchr(s, '\0', n) || !csvin_utf8_valid((const unsigned char *)s, n))
        return fb_fail(err, FB_EUSAGE, "%sstage name is not valid UTF-8 text", where);
    for (size_t i = 0; i < f->n; i++)
        if (funnel_name_eq(s, n, f->names[i]))
            return fb_fail(err, FB_EUSAGE, "%sduplicate stage name \"%.*s\" (names match case-insensitively)",
                           where, (int)n, s);
    if (f->n == FUNNEL_MAX_STAGES)
        return fb_fail(err, FB_EUSAGE, "%smore than %d stages", where, FUNNEL_MAX_STAGES);
    char **names = realloc(f->names, (f->n + 1) * sizeof *names);
    if (!names)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    f->names = names;
    if (!(names[f->n] = strndup(s, n)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    if (f->stale_after) {   /* kept at n entries once a stage has a threshold */
        int64_t *st = realloc(f->stale_after, (f->n + 1) * sizeof *st);
        if (!st) {
            free(names[f->n]);
            return fb_fail(err, FB_ENOMEM, "out of memory");
        }
        f->stale_after = st;
        st[f->n] = -1;
    }
    f->n++;
    return 0;
}

#define STALE_KEY "stale-after="

/* Take the trailing `stale-after=DUR` tokens off the line s[0..*n)
 * (docs/METRICS.md §4.14); the last value is in *stale (-1: none).  Returns
 * 0, or FB_EUSAGE on a bad duration. */
static int take_keys(const char *s, size_t *n, int64_t *stale, const char *where, struct fb_error *err)
{
    *stale = -1;
    for (;;) {
        size_t end = *n, start = end;
        while (start > 0 && s[start - 1] != ' ' && s[start - 1] != '\t')
            start--;
        size_t klen = sizeof STALE_KEY - 1;
        if (start == 0 || end - start < klen || memcmp(s + start, STALE_KEY, klen) != 0)
            return 0;   /* a name alone is a name, even if it looks like a key */
        char val[32];
        size_t vlen = end - start - klen;
        int64_t v;
        snprintf(val, sizeof val, "%.*s", (int)(vlen < sizeof val ? vlen : sizeof val - 1), s + start + klen);
        if (vlen >= sizeof val || ftime_parse_duration(val, &v) != 0)
            return fb_fail(err, FB_EUSAGE, "%sbad stale-after \"%.*s\": expected a duration such as "
                           "90s, 45m, 12h, 30d or 2w", where, (int)(vlen > 40 ? 40 : vlen), s + start + klen);
        if (*stale < 0)   /* the last token on the line wins, as on a command line */
            *stale = v;
        *n = start;
        while (*n > 0 && is_blank(s[*n - 1]))
            --*n;
    }
}

int funnel_def_default(struct funnel_def *f, struct fb_error *err)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < sizeof default_stages / sizeof *default_stages; i++) {
        int rc = add(f, default_stages[i], strlen(default_stages[i]), "", err);
        if (rc)
            return rc;
    }
    return 0;
}

int funnel_def_from_list(struct funnel_def *f, const char *list, struct fb_error *err)
{
    memset(f, 0, sizeof *f);
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *name = p;
        /* "a, b" means a and b, as in a funnel file (docs/METRICS.md §1). */
        funnel_trim(&name, &n);
        int rc = add(f, name, n, "--stages: ", err);
        if (rc)
            return rc;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int funnel_def_from_file(struct funnel_def *f, const char *path, struct fb_error *err)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return fb_fail_at(err, FB_EIO, path, 0, 0, "cannot open the funnel file: %s", strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        const char *name = line;
        /* A UTF-8 byte order mark (which many Windows editors write) is not
         * part of the first name, as it is not part of a CSV header
         * (core/input/csvin.c; docs/METRICS.md §1). */
        if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
            name += 3, len -= 3;
        const char *hash = memchr(name, '#', (size_t)len);
        size_t n = hash ? (size_t)(hash - name) : (size_t)len;
        if (n > 0 && name[n - 1] == '\n')
            n--;
        funnel_trim(&name, &n);
        if (n == 0)
            continue;
        char where[64];
        int64_t stale;
        snprintf(where, sizeof where, "%.40s:%ld: ", path, lineno);
        rc = take_keys(name, &n, &stale, where, err);
        if (rc == 0)
            rc = add(f, name, n, where, err);
        if (rc == 0 && stale >= 0)
            rc = funnel_def_set_stale(f, f->n - 1, stale, err);
    }
    if (rc == 0 && ferror(fp))
        rc = fb_fail_at(err, FB_EIO, path, 0, 0, "read error: %s", strerror(errno));
    if (rc == 0 && f->n == 0)
        rc = fb_fail(err, FB_EUSAGE, "%s: the funnel file names no stage", path);
    free(line);
    fclose(fp);
    return rc;
}
