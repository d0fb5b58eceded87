/* test_synth.c - the generator behind `funnel gen`: determinism, the exact
 * CSV shape, the event total, day order, and that writing in several
 * windows gives the same bytes as writing in one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftime.h"
#include "synth.h"

struct out {
    char *p;
    size_t len;
    uint64_t rows;
};

static int gen(const struct synth_opts *o, struct out *r)
{
    struct fb_error err;
    fb_error_clear(&err);
    r->p = NULL;
    r->len = 0;
    FILE *f = open_memstream(&r->p, &r->len);
    assert_non_null(f);
    int rc = synth_write(o, f, &r->rows, &err);
    assert_int_equal(fclose(f), 0);
    return rc;
}

static void gen_ok(const struct synth_opts *o, struct out *r)
{
    assert_int_equal(gen(o, r), 0);
}

static void opts(struct synth_opts *o, uint64_t entities, uint64_t events, uint64_t seed)
{
    synth_opts_default(o);
    o->entities = entities;
    o->events = events;
    o->seed = seed;
}

/* Split one line (without its LF) at commas; returns the field count. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    for (char *s = line;; s++) {
        if (n < max)
            f[n] = s;
        n++;
        s = strchr(s, ',');
        if (!s)
            break;
        *s = '\0';
    }
    return n;
}

/* Call fn on every row after the header; the rows are split in place. */
typedef void (*row_fn)(char **f, int nf, void *ctx);
static uint64_t each_row(struct out *r, row_fn fn, void *ctx)
{
    uint64_t n = 0;
    char *line = strchr(r->p, '\n') + 1;
    while (*line) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        char *f[12];
        int nf = split(line, f, 12);
        fn(f, nf, ctx);
        n++;
        line = nl + 1;
    }
    return n;
}

static void test_header_exact(void **state)
{
    (void)state;
    struct synth_opts o;
    struct out r;
    synth_opts_default(&o);
    gen_ok(&o, &r);
    assert_true(r.len > sizeof SYNTH_HEADER);
    assert_memory_equal(r.p, "time,entity,stage,channel,touch,outcome,amount,segment,source,owner\n",
                        sizeof SYNTH_HEADER - 1);
    free(r.p);
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    struct synth_opts o;
    struct out a, b;
    opts(&o, 2000, 15000, 42);
    gen_ok(&o, &a);
    gen_ok(&o, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, b.p, a.len);
    free(a.p);
    free(b.p);
}

static void test_other_seed_other_bytes(void **state)
{
    (void)state;
    struct synth_opts o;
    struct out a, b;
    opts(&o, 2000, 15000, 42);
    gen_ok(&o, &a);
    o.seed = 43;
    gen_ok(&o, &b);
    assert_true(a.len != b.len || memcmp(a.p, b.p, a.len) != 0);
    free(a.p);
    free(b.p);
}

static const char *const stages[] = {"suspect", "prospect", "interested", "engaged",
                                     "evaluating", "negotiating", "purchasing",
                                     "evaluation", "negociating"};

static int stage_index(const char *s)
{
    for (int i = 0; i < 9; i++)
        if (strcmp(s, stages[i]) == 0)
            return i;
    return -1;
}

static int is_in(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

struct shape {
    int64_t lo, hi;          /* allowed times [lo, hi) */
    int64_t prev_day;
    uint64_t typos, purchasing, negotiating, lost;
    char (*tail)[96];        /* segment,source,owner per entity */
    char (*amount)[24];      /* the deal value per entity */
    uint64_t entities;
};

static int64_t parse_time(const char *s)
{
    int64_t t;
    assert_int_equal(strlen(s), 20);
    assert_true(s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
                s[16] == ':' && s[19] == 'Z');
    assert_null(ftime_parse(s, 20, &t));
    return t;
}

static void check_amount(const char *s)
{
    size_t n = strlen(s);
    assert_true(n >= 4 && s[n - 3] == '.');
    for (size_t i = 0; i < n; i++)
        assert_true(i == n - 3 || (s[i] >= '0' && s[i] <= '9'));
}

static void check_row(char **f, int nf, void *ctx)
{
    static const char *const mkt[] = {"newsletter", "webinar", "trade_show", "whitepaper", "ad_click", NULL};
    static const char *const sales[] = {"call", "meeting", "email", "demo", "proposal", NULL};
    static const char *const segs[] = {"smb", "mid-market", "enterprise", NULL};
    struct shape *sh = ctx;
    assert_int_equal(nf, 10);
    int64_t t = parse_time(f[0]);
    assert_true(t >= sh->lo && t < sh->hi);
    int64_t day = (t - sh->lo) / 86400;
    assert_true(day >= sh->prev_day);  /* rough time order */
    sh->prev_day = day;
    assert_int_equal(strlen(f[1]), 9);
    assert_true(f[1][0] == 'E' && strspn(f[1] + 1, "0123456789") == 8);
    uint64_t ent = strtoull(f[1] + 1, NULL, 10);
    assert_true(ent < sh->entities);
    int st = stage_index(f[2]);
    assert_true(st >= 0);
    sh->typos += st >= 7;
    assert_true(strcmp(f[3], "marketing") == 0 ? is_in(f[4], mkt)
                : strcmp(f[3], "sales") == 0 && is_in(f[4], sales));
    assert_true(f[5][0] == '\0' || strcmp(f[5], "lost") == 0);
    sh->lost += f[5][0] != '\0';
    const int canon = st == 7 ? 4 : st == 8 ? 5 : st;   /* a typo is its stage */
    if (canon == 5 || canon == 6) {   /* negotiating, purchasing: the deal's value */
        check_amount(f[6]);
        assert_true(strlen(f[6]) < sizeof sh->amount[0]);
        if (!sh->amount[ent][0])
            snprintf(sh->amount[ent], sizeof sh->amount[0], "%s", f[6]);
        assert_string_equal(sh->amount[ent], f[6]);  /* one value per deal */
        sh->purchasing += canon == 6;
        sh->negotiating += canon == 5;
    } else {
        assert_string_equal(f[6], "");
    }
    assert_true(is_in(f[7], segs));
    assert_true(f[8][0] && f[9][0] && strchr(f[9], '.'));
    char tail[96];
    snprintf(tail, sizeof tail, "%s,%s,%s", f[7], f[8], f[9]);
    if (!sh->tail[ent][0])
        memcpy(sh->tail[ent], tail, sizeof tail);
    assert_string_equal(sh->tail[ent], tail);  /* constant per entity */
}

static void run_shape(const struct synth_opts *o, struct shape *sh)
{
    struct out r;
    gen_ok(o, &r);
    memset(sh, 0, sizeof *sh);
    sh->lo = o->start;
    sh->hi = o->start + (int64_t)o->days * 86400;
    sh->entities = o->entities;
    sh->tail = calloc(o->entities, sizeof *sh->tail);
    sh->amount = calloc(o->entities, sizeof *sh->amount);
    assert_non_null(sh->tail);
    assert_non_null(sh->amount);
    uint64_t n = each_row(&r, check_row, sh);
    assert_int_equal(n, r.rows);
    free(sh->tail);
    free(sh->amount);
    free(r.p);
}

static void test_rows_well_formed(void **state)
{
    (void)state;
    struct synth_opts o;
    struct shape sh;
    opts(&o, 20000, 200000, 7);
    run_shape(&o, &sh);
    assert_true(sh.purchasing > 0);
    assert_true(sh.negotiating > 0);
    assert_true(sh.lost > 0);
    assert_true(sh.typos > 0);                 /* rare misspellings exist */
    assert_true(sh.typos * 200 < 200000);      /* ... but under 0.5% */
}

static void test_custom_period(void **state)
{
    (void)state;
    struct synth_opts o;
    struct shape sh;
    opts(&o, 300, 3000, 3);
    o.days = 3;
    assert_null(ftime_parse("2024-02-28", 10, &o.start));  /* across Feb 29 */
    run_shape(&o, &sh);
    o.days = 1;
    o.start = INT64_C(-86400);  /* 1969-12-31, before the epoch */
    run_shape(&o, &sh);
}

static void test_total_near_target(void **state)
{
    (void)state;
    static const uint64_t cases[][2] = {
        {1000, 10000}, {100000, 1000000}, {50, 20000}, {1, 5000}, {10000, 3000}, {1000, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct synth_opts o;
        struct out r;
        opts(&o, cases[i][0], cases[i][1], 11);
        gen_ok(&o, &r);
        uint64_t want = cases[i][1];
        uint64_t miss = r.rows > want ? r.rows - want : want - r.rows;
        if (miss * 100 > want * 3)
            fail_msg("entities %llu events %llu: got %llu", (unsigned long long)cases[i][0],
                     (unsigned long long)want, (unsigned long long)r.rows);
        free(r.p);
    }
}

static void test_windows_same_bytes(void **state)
{
    (void)state;
    struct synth_opts o;
    struct out a, b;
    opts(&o, 3000, 30000, 5);
    gen_ok(&o, &a);
    o.max_buffered = 500;  /* ~80 events a day: many windows, none oversized */
    gen_ok(&o, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, b.p, a.len);
    free(a.p);
    free(b.p);
}

static int cmp_line(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The lines of r sorted (r->p is modified). */
static char **sorted_lines(struct out *r, uint64_t *n)
{
    char **v = malloc((r->rows + 1) * sizeof *v);
    assert_non_null(v);
    *n = 0;
    for (char *s = r->p; *s;) {
        char *nl = strchr(s, '\n');
        *nl = '\0';
        assert_true(*n <= r->rows);
        v[(*n)++] = s;
        s = nl + 1;
    }
    qsort(v, *n, sizeof *v, cmp_line);
    return v;
}

static void test_oversized_days_same_rows(void **state)
{
    (void)state;
    struct synth_opts o;
    struct out a, b;
    struct shape sh;
    opts(&o, 3000, 30000, 5);
    gen_ok(&o, &a);
    o.max_buffered = 20;  /* most days are written unshuffled, as generated */
    gen_ok(&o, &b);
    assert_int_equal(a.rows, b.rows);
    assert_true(a.len != b.len || memcmp(a.p, b.p, a.len) != 0);
    run_shape(&o, &sh);   /* still in day order */
    uint64_t na, nb;
    char **la = sorted_lines(&a, &na), **lb = sorted_lines(&b, &nb);
    assert_int_equal(na, nb);
    for (uint64_t i = 0; i < na; i++)
        assert_string_equal(la[i], lb[i]);
    free(la);
    free(lb);
    free(a.p);
    free(b.p);
}

/* The lost outcome is on its lead's last event, once, and some leads buy. */
struct lead {
    int64_t last, lost_at;
    int max_stage, nlost;
};

static void note_lead(char **f, int nf, void *ctx)
{
    struct lead *l = (struct lead *)ctx + strtoull(f[1] + 1, NULL, 10);
    int64_t t = parse_time(f[0]);
    int st = stage_index(f[2]);
    (void)nf;
    if (t > l->last)
        l->last = t;
    if (f[5][0]) {
        l->lost_at = t;
        l->nlost++;
    }
    if (st < 7 && st > l->max_stage)
        l->max_stage = st;
}

static void test_lead_dynamics(void **state)
{
    (void)state;
    struct synth_opts o;
    struct out r;
    opts(&o, 20000, 200000, 9);
    gen_ok(&o, &r);
    struct lead *l = calloc(o.entities, sizeof *l);
    assert_non_null(l);
    for (uint64_t i = 0; i < o.entities; i++)
        l[i].max_stage = -1;
    each_row(&r, note_lead, l);
    uint64_t won = 0, lost = 0, seen = 0;
    for (uint64_t i = 0; i < o.entities; i++) {
        seen += l[i].max_stage >= 0;
        won += l[i].max_stage == 6;
        if (l[i].lost_at) {
            lost++;
            assert_int_equal(l[i].nlost, 1);
            assert_true(l[i].lost_at == l[i].last);
        }
    }
    assert_true(won * 100 > seen * 2 && won * 100 < seen * 8);    /* 2-8% buy */
    assert_true(lost * 100 > seen * 8 && lost * 100 < seen * 18); /* ~15% of the rest */
    free(l);
    free(r.p);
}

static void test_zero_events(void **state)
{
    (void)state;
    struct synth_opts o;
    struct out r;
    opts(&o, 1000, 0, 1);
    gen_ok(&o, &r);
    assert_int_equal(r.rows, 0);
    assert_int_equal(r.len, sizeof SYNTH_HEADER - 1);
    free(r.p);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct synth_opts o;
    struct out r;
    opts(&o, 0, 10, 1);
    assert_int_equal(gen(&o, &r), FB_EUSAGE);
    free(r.p);
    opts(&o, 10, SYNTH_MAX_EVENTS + 1, 1);
    assert_int_equal(gen(&o, &r), FB_EUSAGE);
    free(r.p);
    opts(&o, 10, 100, 1);
    o.days = 0;
    assert_int_equal(gen(&o, &r), FB_EUSAGE);
    free(r.p);
    o.days = 10;
    o.start += 3600;  /* not midnight */
    assert_int_equal(gen(&o, &r), FB_EUSAGE);
    free(r.p);
    o.start = FTIME_MAX - 86400 * 5 + 1;  /* would end after 9999-12-31 */
    assert_int_equal(gen(&o, &r), FB_EUSAGE);
    free(r.p);
}

static void test_write_error(void **state)
{
    (void)state;
    struct synth_opts o;
    struct fb_error err;
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    opts(&o, 1000, 10000, 1);
    fb_error_clear(&err);
    assert_int_equal(synth_write(&o, f, NULL, &err), FB_EIO);
    assert_int_equal(err.code, FB_EIO);
    assert_non_null(strstr(err.msg, "write error"));
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_exact),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_other_seed_other_bytes),
        cmocka_unit_test(test_rows_well_formed),
        cmocka_unit_test(test_custom_period),
        cmocka_unit_test(test_total_near_target),
        cmocka_unit_test(test_windows_same_bytes),
        cmocka_unit_test(test_oversized_days_same_rows),
        cmocka_unit_test(test_lead_dynamics),
        cmocka_unit_test(test_zero_events),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
