/* test_funnel.c - the aggregator of core/aggregate/funnel.h on hand-built event
 * columns, rule by rule from docs/METRICS.md §1-§3 (reached with
 * skipped stages, T(e,s) as suffix minima, lost / alive again, the stale
 * boundary, as_of, unmapped stages and their order, drop-out ties, null
 * rates), order independence (shuffled, split into several calls; with
 * amounts, value(e) and its ties), and the
 * funnel definition of core/input/funnel_def.h (--stages lists and funnel files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "dict.h"
#include "evblock.h"
#include "funnel.h"
#include "funnel_def.h"
#include "json_report.h"
#include "money.h"
#include "result.h"
#include "test_support.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define DAY INT64_C(86400)
#define T0 INT64_C(1700000000)

/* ---- a small world: funnel a,b,c,d and the log's dictionaries ---- */

struct world {
    struct funnel_def def;
    struct dict *stages;          /* stage dictionary of the "log" */
    int32_t *stage_map;
    uint8_t sales[3];             /* channel ids: 0 "", 1 marketing, 2 sales */
    uint8_t lost[2];              /* outcome ids: 0 "", 1 lost */
    struct funnel_maps maps;
};

struct ev {
    int64_t t;
    uint32_t e;
    const char *stage;            /* as written in the CSV */
    int sales, lost;
};

static uint32_t stage_id(struct world *w, const char *name)
{
    uint32_t id;
    assert_int_equal(dict_intern(w->stages, name, strlen(name), &id, NULL), 0);
    return id;
}

static void world_new(struct world *w, const char *stages)
{
    struct fb_error err;
    memset(w, 0, sizeof *w);
    fb_error_clear(&err);
    assert_int_equal(funnel_def_from_list(&w->def, stages, &err), 0);
    w->stages = dict_new(0);
    assert_non_null(w->stages);
    w->sales[2] = 1;
    w->lost[1] = 1;
}

/* Map every stage id interned so far onto the funnel (call after the events'
 * stage names are interned). */
static void world_map(struct world *w)
{
    uint32_t n = dict_size(w->stages);
    free(w->stage_map);
    w->stage_map = malloc(n * sizeof *w->stage_map);
    assert_non_null(w->stage_map);
    for (uint32_t id = 0; id < n; id++) {
        size_t len;
        const char *s = dict_str(w->stages, id, &len);
        w->stage_map[id] = -1;
        for (size_t k = 0; k < w->def.n && id; k++)
            if (funnel_name_eq(s, len, w->def.names[k]))
                w->stage_map[id] = (int32_t)k;
    }
    w->maps = (struct funnel_maps){w->stage_map, n, w->sales, w->lost, 0, NULL, NULL, 0, NULL, NULL, 0, 0};
}

static void world_free(struct world *w)
{
    funnel_def_free(&w->def);
    dict_free(w->stages);
    free(w->stage_map);
}

/* The columns of ev[0..n); amt[i] the amount id of ev[i] (amounts[]
 * below), or no amounts when amt is NULL. */
static void fill_cols_amt(struct world *w, const struct ev *ev, const uint32_t *amt, size_t n,
                          struct evb_cols *c)
{
    assert_int_equal(evb_cols_init(c, (uint32_t)n, 0), 0);
    c->n = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        c->time[i] = ev[i].t;
        c->ids[EVB_IDX(BLOG_C_ENTITY)][i] = ev[i].e;
        c->ids[EVB_IDX(BLOG_C_STAGE)][i] = stage_id(w, ev[i].stage);
        c->ids[EVB_IDX(BLOG_C_CHANNEL)][i] = ev[i].sales ? 2 : 1;
        c->ids[EVB_IDX(BLOG_C_OUTCOME)][i] = ev[i].lost ? 1 : 0;
        c->ids[EVB_IDX(BLOG_C_AMOUNT)][i] = amt ? amt[i] : 0;
    }
}

static void fill_cols(struct world *w, const struct ev *ev, size_t n, struct evb_cols *c)
{
    fill_cols_amt(w, ev, NULL, n, c);
}

static uint32_t entities_of(const struct ev *ev, size_t n)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++)
        m = ev[i].e + 1 > m ? ev[i].e + 1 : m;
    return m;
}

/* Aggregate ev[0..n) in `parts` calls of part_add. */
static void run_parts(struct world *w, const struct ev *ev, size_t n, size_t parts, int64_t as_of,
                      int64_t stale_after, struct res_report *r)
{
    for (size_t i = 0; i < n; i++)
        (void)stage_id(w, ev[i].stage);
    world_map(w);
    struct part *a = part_new(&w->def, entities_of(ev, n), as_of, stale_after, &w->maps);
    assert_non_null(a);
    size_t done = 0;
    for (size_t p = 0; p < parts; p++) {
        size_t k = p + 1 == parts ? n - done : (n - done) / (parts - p);
        struct evb_cols c;
        fill_cols(w, ev + done, k, &c);
        part_add(a, &c);
        evb_cols_free(&c);
        done += k;
    }
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(part_finish(a, &(struct part_finish_opts){w->stages, 1, 1, NULL}, r, &err), 0);
    part_free(a);
    /* the identity every report keeps */
    assert_int_equal(r->ev_read, r->ev_used + r->ev_after_as_of + r->ev_unmapped);
    assert_int_equal(r->as_of, as_of);
    assert_int_equal(r->stale_after_s, stale_after);
}

static void run(struct world *w, const struct ev *ev, size_t n, int64_t as_of, int64_t stale_after,
                struct res_report *r)
{
    run_parts(w, ev, n, 1, as_of, stale_after, r);
}

#define N(a) (sizeof a / sizeof *a)

static void assert_nan(double x) { assert_true(isnan(x)); }
static void assert_rate(double x, double want)
{
    if (!(x == want))
        fail_msg("rate %.17g, expected %.17g", x, want);
}

/* ---- reached ---- */

static void an_entity_reaches_every_stage_up_to_its_highest(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b,c,d");
    const struct ev ev[] = {
        {T0, 0, "a", 0, 0}, {T0 + DAY, 0, "c", 1, 0},   /* skips b: reached a, b, c */
        {T0, 1, "d", 1, 0},                              /* only the last: reached all */
        {T0, 2, "b", 0, 0},                              /* starts at b: reached a, b */
        {T0, 3, "a", 0, 0}, {T0 + 1, 3, "a", 0, 0},
    };
    struct res_report r;
    run(&w, ev, N(ev), T0 + 2 * DAY, 30 * DAY, &r);
    assert_int_equal(r.entities, 4);
    assert_int_equal(r.nstages, 4);
    assert_int_equal(r.stages[0].reached, 4);
    assert_int_equal(r.stages[1].reached, 3);
    assert_int_equal(r.stages[2].reached, 2);
    assert_int_equal(r.stages[3].reached, 1);
    assert_int_equal(r.won, 1);
    assert_nan(r.stages[0].conv_prev);
    assert_rate(r.stages[1].conv_prev, 3.0 / 4);
    assert_rate(r.stages[2].conv_prev, 2.0 / 3);
    assert_rate(r.stages[3].conv_prev, 1.0 / 2);
    assert_rate(r.stages[0].conv_start, 1.0);
    assert_rate(r.stages[3].conv_start, 1.0 / 4);
    assert_string_equal(r.stages[2].name, "c");
    res_report_free(&r);
    world_free(&w);
}

static void stage_names_match_case_insensitively_and_keep_the_funnel_spelling(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "Lead,Qualified,Won");
    const struct ev ev[] = {
        {T0, 0, "lead", 0, 0}, {T0 + 1, 0, "QUALIFIED", 0, 0}, {T0 + 2, 1, "LeAd", 1, 0},
    };
    struct res_report r;
    run(&w, ev, N(ev), T0 + 10, DAY, &r);
    assert_int_equal(r.ev_unmapped, 0);
    assert_int_equal(r.stages[0].reached, 2);
    assert_int_equal(r.stages[1].reached, 1);
    assert_string_equal(r.stages[0].name, "Lead");
    assert_string_equal(r.stages[1].name, "Qualified");
    res_report_free(&r);
    world_free(&w);
}

/* ---- time in stage, time to win ---- */

static void time_in_stage_uses_suffix_minima_of_first_times(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b,c,d");
    const struct ev ev[] = {
        /* e0: a@0, c@5d, b@7d (back at b later): T(a)=0, T(b)=T(c)=5d */
        {T0, 0, "a", 0, 0}, {T0 + 7 * DAY, 0, "b", 0, 0}, {T0 + 5 * DAY, 0, "c", 0, 0},
        /* e1: a@1d, a@3d, b@4d, d@10d: T(a)=1d, T(b)=4d, T(c)=T(d)=10d */
        {T0 + 3 * DAY, 1, "a", 0, 0}, {T0 + DAY, 1, "a", 0, 0}, {T0 + 4 * DAY, 1, "b", 0, 0},
        {T0 + 10 * DAY, 1, "d", 1, 0},
        /* e2: c@2d then a@6d (a after c): T(a)=T(b)=T(c)=2d */
        {T0 + 2 * DAY, 2, "c", 0, 0}, {T0 + 6 * DAY, 2, "a", 0, 0},
        /* e3: b only - reached a, but has no event at a */
        {T0, 3, "b", 0, 0},
    };
    struct res_report r;
    run(&w, ev, N(ev), T0 + 20 * DAY, 30 * DAY, &r);
    /* stage a: entities with an event at a that reached b: e0 (5d), e1 (3d), e2 (0) */
    assert_int_equal(r.stages[0].time_in_stage.count, 3);
    assert_int_equal(r.stages[0].time_in_stage.median_s, 3 * DAY);
    assert_int_equal(r.stages[0].time_in_stage.p90_s, 5 * DAY);
    assert_rate(r.stages[0].time_in_stage.mean_s, (double)(8 * DAY) / 3);
    /* stage b: events at b and reached c: e0 (T(c)-T(b) = 0), e1 (10d-4d = 6d); e3 did not reach c */
    assert_int_equal(r.stages[1].time_in_stage.count, 2);
    assert_int_equal(r.stages[1].time_in_stage.median_s, 0);
    assert_int_equal(r.stages[1].time_in_stage.p90_s, 6 * DAY);
    assert_rate(r.stages[1].time_in_stage.mean_s, (double)(3 * DAY));
    /* stage c: events at c and reached d: nobody (e1 skipped c) */
    assert_int_equal(r.stages[2].time_in_stage.count, 0);
    assert_nan(r.stages[2].time_in_stage.mean_s);
    assert_int_equal(r.stages[0].has_time_in_stage, 1);
    assert_int_equal(r.stages[2].has_time_in_stage, 1);
    assert_int_equal(r.stages[3].has_time_in_stage, 0);
    /* time to win: e1 only, T(d) - T(a) = 9d */
    assert_int_equal(r.time_to_win.count, 1);
    assert_int_equal(r.time_to_win.median_s, 9 * DAY);
    assert_rate(r.time_to_win.mean_s, (double)(9 * DAY));
    res_report_free(&r);
    world_free(&w);
}

static void time_to_win_starts_at_the_first_event_at_any_stage(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b,c");
    const struct ev ev[] = {
        {T0 + 5 * DAY, 0, "c", 0, 0}, {T0 + 2 * DAY, 0, "b", 0, 0},  /* 3 days */
        {T0 + DAY, 1, "c", 0, 0},                                    /* 0: only the last stage */
        {T0 + 9 * DAY, 2, "c", 0, 0}, {T0 + 4 * DAY, 2, "c", 0, 0},  /* M(c) is the earliest: 0 */
        {T0 + 8 * DAY, 2, "a", 0, 0},
    };
    struct res_report r;
    run(&w, ev, N(ev), T0 + 20 * DAY, 30 * DAY, &r);
    assert_int_equal(r.won, 3);
    assert_int_equal(r.time_to_win.count, 3);
    assert_int_equal(r.time_to_win.median_s, 0);
    assert_int_equal(r.time_to_win.p90_s, 3 * DAY);
    assert_rate(r.time_to_win.mean_s, (double)DAY);
    res_report_free(&r);
    world_free(&w);
}

/* ---- outcomes ---- */

static void lost_needs_the_lost_touch_to_be_the_latest(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b,c,d");
    int64_t as_of = T0 + 10 * DAY;
    const struct ev ev[] = {
        /* e0 lost at b, nothing after: lost at b */
        {T0, 0, "a", 0, 0}, {T0 + DAY, 0, "b", 1, 1},
        /* e1 lost at a, touched again later: alive (open) */
        {T0, 1, "a", 0, 1}, {T0 + 2 * DAY, 1, "a", 0, 0},
        /* e2 lost in the same second as its latest touch: lost */
        {T0 + DAY, 2, "a", 0, 0}, {T0 + DAY, 2, "a", 1, 1},
        /* e3 lost at b, then reached d: won wins */
        {T0, 3, "b", 0, 1}, {T0 + DAY, 3, "d", 1, 0},
        /* e4 lost, touched again, lost again: lost at c */
        {T0, 4, "c", 0, 1}, {T0 + DAY, 4, "c", 0, 0}, {T0 + 2 * DAY, 4, "c", 0, 1},
        /* e5: its lost touch comes after as_of, so it does not count: open */
        {T0, 5, "a", 0, 0}, {as_of + 1, 5, "a", 0, 1},
        /* e6: lost at a, its later event at b counts: open at b */
        {T0, 6, "a", 0, 1}, {T0 + DAY, 6, "b", 0, 0},
    };
    struct res_report r;
    run(&w, ev, N(ev), as_of, 30 * DAY, &r);
    assert_int_equal(r.entities, 7);
    assert_int_equal(r.won, 1);
    assert_int_equal(r.lost, 3);
    assert_int_equal(r.stale, 0);
    assert_int_equal(r.open, 3);
    assert_int_equal(r.stages[0].lost, 1);   /* e2 */
    assert_int_equal(r.stages[1].lost, 1);   /* e0 */
    assert_int_equal(r.stages[2].lost, 1);   /* e4 */
    assert_int_equal(r.stages[0].open, 2);   /* e1, e5 */
    assert_int_equal(r.stages[1].open, 1);   /* e6 */
    assert_int_equal(r.stages[3].lost + r.stages[3].open + r.stages[3].stale, 0);
    assert_rate(r.win_rate, 1.0 / 4);
    assert_rate(r.stages[0].drop_rate, 1.0 / (double)r.stages[0].reached);
    res_report_free(&r);
    world_free(&w);
}

static void stale_means_strictly_longer_than_stale_after(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b,c");
    int64_t stale_after = 30 * DAY, as_of = T0 + 100 * DAY;
    const struct ev ev[] = {
        {as_of - stale_after, 0, "a", 0, 0},           /* exactly stale_after ago: open */
        {as_of - stale_after - 1, 1, "a", 0, 0},       /* one second more: stale */
        {T0, 2, "b", 0, 0}, {as_of - stale_after + 1, 2, "a", 0, 0},  /* last touch counts */
        {T0, 3, "b", 0, 0},                            /* long ago: stale at b */
        {T0, 4, "a", 0, 0}, {as_of, 4, "a", 0, 0},     /* touched at as_of: open */
        {T0, 5, "a", 0, 0}, {as_of + DAY, 5, "a", 0, 0},  /* after as_of does not refresh: stale */
        {T0, 6, "c", 0, 0},                            /* won is never stale */
    };
    struct res_report r;
    run(&w, ev, N(ev), as_of, stale_after, &r);
    assert_int_equal(r.stages[0].open, 2);   /* e0, e4 */
    assert_int_equal(r.stages[0].stale, 2);  /* e1, e5 */
    assert_int_equal(r.stages[1].open, 1);   /* e2 */
    assert_int_equal(r.stages[1].stale, 1);  /* e3 */
    assert_int_equal(r.won, 1);
    assert_int_equal(r.stale, 3);
    assert_int_equal(r.open, 3);
    assert_rate(r.win_rate, 1.0 / 4);
    res_report_free(&r);
    world_free(&w);
}

static void stale_after_zero_makes_every_untouched_second_count(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b");
    const struct ev ev[] = {{T0, 0, "a", 0, 0}, {T0 - 1, 1, "a", 0, 0}};
    struct res_report r;
    run(&w, ev, N(ev), T0, 0, &r);
    assert_int_equal(r.open, 1);
    assert_int_equal(r.stale, 1);
    res_report_free(&r);
    world_free(&w);
}

/* ---- as_of ---- */

static void events_after_as_of_count_only_as_after_as_of(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b");
    int64_t as_of = T0;
    const struct ev ev[] = {
        {as_of, 0, "a", 0, 0},                          /* at as_of: used */
        {as_of + 1, 0, "b", 1, 0},                      /* after: not reached */
        {as_of + 1, 1, "a", 0, 0},                      /* an entity only after as_of */
        {as_of + 5, 2, "nowhere", 0, 0},                /* unmapped after as_of */
        {as_of - 5, 2, "nowhere", 0, 0},                /* unmapped, counted */
    };
    struct res_report r;
    run(&w, ev, N(ev), as_of, 30 * DAY, &r);
    assert_int_equal(r.ev_read, 5);
    assert_int_equal(r.ev_used, 1);
    assert_int_equal(r.ev_after_as_of, 3);
    assert_int_equal(r.ev_unmapped, 1);
    assert_int_equal(r.entities, 1);
    assert_int_equal(r.stages[0].reached, 1);
    assert_int_equal(r.stages[1].reached, 0);
    assert_int_equal(r.stages[0].touches_marketing, 1);
    assert_int_equal(r.stages[1].touches_sales, 0);
    assert_int_equal(r.nunmapped, 1);
    assert_int_equal(r.unmapped[0].events, 1);
    res_report_free(&r);
    world_free(&w);
}

static void count_after_adds_to_read_and_after_as_of(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b");
    const struct ev ev[] = {{T0, 0, "a", 0, 0}};
    (void)stage_id(&w, "a");
    world_map(&w);
    struct part *a = part_new(&w.def, 1, T0, DAY, &w.maps);
    assert_non_null(a);
    struct evb_cols c;
    fill_cols(&w, ev, 1, &c);
    part_add(a, &c);
    part_add_after(a, 1000);
    part_add_after(a, 0);
    struct res_report r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(part_finish(a, &(struct part_finish_opts){w.stages, 1, 1, NULL}, &r, &err), 0);
    assert_int_equal(r.ev_read, 1001);
    assert_int_equal(r.ev_after_as_of, 1000);
    assert_int_equal(r.ev_used, 1);
    res_report_free(&r);
    evb_cols_free(&c);
    part_free(a);
    world_free(&w);
}

static void touches_count_every_event_split_by_channel(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b");
    const struct ev ev[] = {
        {T0, 0, "a", 0, 0}, {T0, 0, "a", 0, 0},           /* identical rows both count */
        {T0, 0, "a", 1, 0}, {T0, 1, "b", 1, 1}, {T0, 1, "B", 0, 0}, {T0, 2, "x", 1, 0},
    };
    struct res_report r;
    run(&w, ev, N(ev), T0, DAY, &r);
    assert_int_equal(r.stages[0].touches_marketing, 2);
    assert_int_equal(r.stages[0].touches_sales, 1);
    assert_int_equal(r.stages[1].touches_marketing, 1);
    assert_int_equal(r.stages[1].touches_sales, 1);
    assert_int_equal(r.ev_used, 5);
    assert_int_equal(r.ev_unmapped, 1);
    assert_int_equal(r.entities, 2);     /* e2 has only an unmapped event */
    res_report_free(&r);
    world_free(&w);
}

/* ---- unmapped stages ---- */

static void unmapped_stages_sort_by_count_then_bytes(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b");
    struct ev ev[40];
    size_t n = 0;
    static const struct { const char *name; int count; } un[] = {
        {"zeta", 2}, {"\xC3\xA9t\xC3\xA9", 3}, {"beta", 3}, {"alpha", 3}, {"Alpha", 3},
        {"ab", 1}, {"abc", 1}, {"a b", 1}, {"negociating", 5},
    };
    for (size_t i = 0; i < N(un); i++)
        for (int k = 0; k < un[i].count; k++)
            ev[n++] = (struct ev){T0 + k, (uint32_t)k, un[i].name, 0, 0};
    ev[n++] = (struct ev){T0, 0, "A", 0, 0};       /* mapped: not listed */
    ev[n++] = (struct ev){T0 + 3, 9, "zeta", 0, 0}; /* after as_of: not counted */
    struct res_report r;
    run(&w, ev, n, T0 + 2, DAY, &r);   /* as_of: the 4th and 5th negociating come after */
    static const struct { const char *name; uint64_t events; } want[] = {
        {"Alpha", 3}, {"alpha", 3}, {"beta", 3}, {"negociating", 3}, {"\xC3\xA9t\xC3\xA9", 3},
        {"zeta", 2}, {"a b", 1}, {"ab", 1}, {"abc", 1},
    };
    assert_int_equal(r.nunmapped, N(want));
    uint64_t sum = 0;
    for (size_t i = 0; i < N(want); i++) {
        if (strlen(want[i].name) != r.unmapped[i].len ||
            memcmp(r.unmapped[i].name, want[i].name, r.unmapped[i].len) != 0 ||
            r.unmapped[i].events != want[i].events)
            fail_msg("unmapped[%zu] is \"%s\" x%llu, expected \"%s\" x%llu", i, r.unmapped[i].name,
                     (unsigned long long)r.unmapped[i].events, want[i].name,
                     (unsigned long long)want[i].events);
        assert_int_equal(r.unmapped[i].name[r.unmapped[i].len], '\0');
        sum += r.unmapped[i].events;
    }
    assert_int_equal(r.ev_unmapped, sum);
    res_report_free(&r);
    world_free(&w);
}

static void unmapped_names_keep_nul_bytes_and_exact_bytes(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b");
    uint32_t x = 0, y = 0;
    assert_int_equal(dict_intern(w.stages, "q\0r", 3, &x, NULL), 0);
    assert_int_equal(dict_intern(w.stages, "q", 1, &y, NULL), 0);
    world_map(&w);
    struct part *a = part_new(&w.def, 1, T0, DAY, &w.maps);
    assert_non_null(a);
    struct evb_cols c;
    assert_int_equal(evb_cols_init(&c, 3, 0), 0);
    c.n = 3;
    for (uint32_t i = 0; i < 3; i++) {
        c.time[i] = T0;
        c.ids[EVB_IDX(BLOG_C_STAGE)][i] = i == 2 ? y : x;
        c.ids[EVB_IDX(BLOG_C_CHANNEL)][i] = 1;
    }
    part_add(a, &c);
    struct res_report r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(part_finish(a, &(struct part_finish_opts){w.stages, 1, 1, NULL}, &r, &err), 0);
    assert_int_equal(r.nunmapped, 2);
    assert_int_equal(r.unmapped[0].len, 3);
    assert_memory_equal(r.unmapped[0].name, "q\0r", 3);
    assert_int_equal(r.unmapped[0].events, 2);
    assert_int_equal(r.unmapped[1].len, 1);
    assert_int_equal(r.entities, 0);
    res_report_free(&r);
    evb_cols_free(&c);
    part_free(a);
    world_free(&w);
}

/* ---- drop-out point and nulls ---- */

static void drop_out_point_ties_go_to_the_earlier_stage(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b,c,d");
    int64_t as_of = T0 + 100 * DAY;
    const struct ev ev[] = {
        {T0, 0, "b", 0, 1},                      /* lost at b */
        {T0, 1, "c", 0, 0},                      /* stale at c */
        {as_of, 2, "a", 0, 0},                   /* open at a */
        {as_of, 3, "c", 0, 1},                   /* lost at c: c has 2, b has 1 */
        {T0, 4, "b", 0, 0},                      /* stale at b: b has 2 too, and b < c */
    };
    struct res_report r;
    run(&w, ev, N(ev), as_of, 30 * DAY, &r);
    assert_int_equal(r.stages[1].lost + r.stages[1].stale, 2);
    assert_int_equal(r.stages[2].lost + r.stages[2].stale, 2);
    assert_int_equal(r.drop_out_point, 1);
    res_report_free(&r);
    /* without the stale entity at b, c has the most */
    run(&w, ev, N(ev) - 1, as_of, 30 * DAY, &r);
    assert_int_equal(r.drop_out_point, 2);
    res_report_free(&r);
    world_free(&w);
}

static void drop_out_point_is_null_without_lost_or_stale(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b");
    const struct ev ev[] = {{T0, 0, "a", 0, 0}, {T0, 1, "b", 1, 0}};
    struct res_report r;
    run(&w, ev, N(ev), T0, DAY, &r);
    assert_int_equal(r.drop_out_point, -1);
    assert_rate(r.win_rate, 1.0);          /* won 1, lost 0, stale 0 */
    assert_rate(r.stages[0].drop_rate, 0.0);
    res_report_free(&r);
    world_free(&w);
}

static void rates_are_null_when_their_denominators_are_0(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b,c");
    /* one open entity at a: b and c have reached 0 */
    const struct ev ev[] = {{T0, 0, "a", 0, 0}};
    struct res_report r;
    run(&w, ev, N(ev), T0, DAY, &r);
    assert_nan(r.stages[0].conv_prev);
    assert_rate(r.stages[0].conv_start, 1.0);
    assert_rate(r.stages[1].conv_prev, 0.0);
    assert_nan(r.stages[2].conv_prev);      /* 0 / 0 */
    assert_rate(r.stages[2].conv_start, 0.0);
    assert_nan(r.stages[1].drop_rate);
    assert_nan(r.stages[2].drop_rate);
    assert_nan(r.win_rate);                 /* won + lost + stale = 0 */
    assert_int_equal(r.time_to_win.count, 0);
    assert_nan(r.time_to_win.mean_s);
    assert_int_equal(r.drop_out_point, -1);
    res_report_free(&r);
    world_free(&w);
}

static void no_events_give_zero_counts_and_null_rates(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "a,b");
    world_map(&w);
    struct part *a = part_new(&w.def, 0, 0, 30 * DAY, &w.maps);
    assert_non_null(a);
    struct res_report r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(part_finish(a, &(struct part_finish_opts){w.stages, 0, 1, NULL}, &r, &err), 0);
    assert_int_equal(r.has_as_of, 0);
    assert_int_equal(r.entities, 0);
    assert_int_equal(r.ev_read, 0);
    assert_int_equal(r.nunmapped, 0);
    assert_int_equal(r.nstages, 2);
    for (size_t s = 0; s < 2; s++) {
        assert_int_equal(r.stages[s].reached, 0);
        assert_nan(r.stages[s].conv_prev);
        assert_nan(r.stages[s].conv_start);
        assert_nan(r.stages[s].drop_rate);
    }
    assert_int_equal(r.stages[0].time_in_stage.count, 0);
    assert_nan(r.stages[0].time_in_stage.mean_s);
    assert_nan(r.win_rate);
    assert_int_equal(r.drop_out_point, -1);
    res_report_free(&r);
    part_free(a);
    world_free(&w);
}

static void a_one_stage_funnel_counts_everyone_as_won(void **state)
{
    (void)state;
    struct world w;
    world_new(&w, "only");
    const struct ev ev[] = {{T0, 0, "only", 0, 1}, {T0 - 90 * DAY, 1, "ONLY", 1, 0}};
    struct res_report r;
    run(&w, ev, N(ev), T0, DAY, &r);
    assert_int_equal(r.won, 2);
    assert_int_equal(r.lost + r.stale + r.open, 0);
    assert_int_equal(r.stages[0].has_time_in_stage, 0);
    assert_int_equal(r.time_to_win.count, 2);
    assert_int_equal(r.time_to_win.median_s, 0);
    res_report_free(&r);
    world_free(&w);
}

/* ---- order independence ---- */

static uint64_t rng = 0x853C49E6748FEA9Bu;
static uint64_t next(void)
{
    return test_xorshift(&rng);
}

static void same_double(double a, double b, const char *what, size_t i)
{
    if (isnan(a) && isnan(b))
        return;
    if (memcmp(&a, &b, sizeof a) != 0)
        fail_msg("%s[%zu]: %.17g vs %.17g", what, i, a, b);
}

static void same_stats(const struct res_stats *a, const struct res_stats *b, const char *what, size_t i)
{
    assert_int_equal(a->count, b->count);
    same_double(a->mean_s, b->mean_s, what, i);
    if (a->count) {
        assert_int_equal(a->median_s, b->median_s);
        assert_int_equal(a->p90_s, b->p90_s);
    }
}

static void same_report(const struct res_report *a, const struct res_report *b)
{
    assert_int_equal(a->has_as_of, b->has_as_of);
    assert_int_equal(a->as_of, b->as_of);
    assert_int_equal(a->stale_after_s, b->stale_after_s);
    assert_int_equal(a->ev_read, b->ev_read);
    assert_int_equal(a->ev_used, b->ev_used);
    assert_int_equal(a->ev_after_as_of, b->ev_after_as_of);
    assert_int_equal(a->ev_unmapped, b->ev_unmapped);
    assert_int_equal(a->entities, b->entities);
    assert_int_equal(a->won, b->won);
    assert_int_equal(a->lost, b->lost);
    assert_int_equal(a->stale, b->stale);
    assert_int_equal(a->open, b->open);
    same_double(a->win_rate, b->win_rate, "win_rate", 0);
    assert_int_equal(a->drop_out_point, b->drop_out_point);
    same_stats(&a->time_to_win, &b->time_to_win, "time_to_win", 0);
    assert_int_equal(a->nstages, b->nstages);
    for (size_t s = 0; s < a->nstages; s++) {
        const struct res_stage *x = &a->stages[s], *y = &b->stages[s];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->reached, y->reached);
        same_double(x->conv_prev, y->conv_prev, "conv_prev", s);
        same_double(x->conv_start, y->conv_start, "conv_start", s);
        assert_int_equal(x->has_time_in_stage, y->has_time_in_stage);
        same_stats(&x->time_in_stage, &y->time_in_stage, "time_in_stage", s);
        assert_int_equal(x->open, y->open);
        assert_int_equal(x->lost, y->lost);
        assert_int_equal(x->stale, y->stale);
        same_double(x->drop_rate, y->drop_rate, "drop_rate", s);
        assert_int_equal(x->touches_marketing, y->touches_marketing);
        assert_int_equal(x->touches_sales, y->touches_sales);
    }
    assert_int_equal(a->nunmapped, b->nunmapped);
    for (size_t i = 0; i < a->nunmapped; i++) {
        assert_int_equal(a->unmapped[i].len, b->unmapped[i].len);
        assert_memory_equal(a->unmapped[i].name, b->unmapped[i].name, a->unmapped[i].len);
        assert_int_equal(a->unmapped[i].events, b->unmapped[i].events);
    }
}

static void results_do_not_depend_on_event_order_or_batching(void **state)
{
    (void)state;
    static const char *names[] = {"suspect", "Prospect", "engaged", "WON", "unknown", "Unknown", "x"};
    size_t n = 6000;
    struct ev *ev = malloc(n * sizeof *ev), *sh = malloc(n * sizeof *sh);
    assert_non_null(ev);
    assert_non_null(sh);
    int64_t as_of = T0 + 200 * DAY;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next();
        /* whole days make many ties in durations; some after as_of */
        ev[i] = (struct ev){T0 + (int64_t)(r % 220) * DAY + (int64_t)(r >> 60), (uint32_t)(r >> 8) % 700,
                            names[(r >> 20) % 7], (int)((r >> 30) & 1), ((r >> 31) % 9) == 0};
    }
    struct world w;
    world_new(&w, "suspect,prospect,engaged,won");
    struct res_report base;
    run(&w, ev, n, as_of, 30 * DAY, &base);
    assert_true(base.won > 0 && base.lost > 0 && base.stale > 0 && base.open > 0);
    assert_true(base.ev_after_as_of > 0 && base.nunmapped == 3);
    for (int rep = 0; rep < 6; rep++) {
        memcpy(sh, ev, n * sizeof *ev);
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(next() % (i + 1));
            struct ev t = sh[i];
            sh[i] = sh[j];
            sh[j] = t;
        }
        if (rep == 1)                      /* reversed, the worst case for "first seen" */
            for (size_t i = 0; i < n; i++)
                sh[i] = ev[n - 1 - i];
        struct res_report r;
        run_parts(&w, sh, n, rep == 0 ? 1 : (size_t)(1 + rep * 7), as_of, 30 * DAY, &r);
        same_report(&base, &r);
        res_report_free(&r);
    }
    /* the same events split in two with the second half first */
    memcpy(sh, ev + n / 2, (n - n / 2) * sizeof *ev);
    memcpy(sh + (n - n / 2), ev, n / 2 * sizeof *ev);
    struct res_report r;
    run_parts(&w, sh, n, 2, as_of, 30 * DAY, &r);
    same_report(&base, &r);
    res_report_free(&r);
    res_report_free(&base);
    world_free(&w);
    free(ev);
    free(sh);
}

/* ---- partial states: any split, any merge order and tree shape ---- */

/* r as the JSON writer writes it, NUL-terminated (free it). */
static char *json_of(const struct res_report *r)
{
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    assert_non_null(f);
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(rpt_json_write(r, f, &err), 0);
    assert_int_equal(fclose(f), 0);
    return p;
}

/* n random events over nent entities, some after as_of, some unmapped. */
static struct ev *random_events(size_t n, uint32_t nent)
{
    static const char *names[] = {"suspect", "Prospect", "engaged", "WON", "unknown", "Unknown", "x"};
    struct ev *ev = malloc(n * sizeof *ev);
    assert_non_null(ev);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next();
        ev[i] = (struct ev){T0 + (int64_t)(r % 220) * DAY + (int64_t)(r >> 60), (uint32_t)(r >> 8) % nent,
                            names[(r >> 20) % 7], (int)((r >> 30) & 1), ((r >> 31) % 9) == 0};
    }
    return ev;
}

/* A part over the events ev[i] with pick[i] == k, amount ids amt[i]
 * (NULL: none). */
static struct part *part_of_amt(struct world *w, const struct ev *ev, const uint32_t *amt, size_t n,
                                const uint8_t *pick, unsigned k, uint32_t nent, int64_t as_of)
{
    struct part *p = part_new(&w->def, nent, as_of, 30 * DAY, &w->maps);
    assert_non_null(p);
    struct ev *mine = malloc((n ? n : 1) * sizeof *mine);
    uint32_t *mamt = calloc(n ? n : 1, sizeof *mamt);
    assert_non_null(mine);
    assert_non_null(mamt);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (pick[i] == k) {
            mamt[m] = amt ? amt[i] : 0;
            mine[m++] = ev[i];
        }
    /* in blocks of up to 1000, as a log would hand them over */
    for (size_t done = 0; done < m; done += 1000) {
        struct evb_cols c;
        fill_cols_amt(w, mine + done, mamt + done, m - done < 1000 ? m - done : 1000, &c);
        part_add(p, &c);
        evb_cols_free(&c);
    }
    free(mine);
    free(mamt);
    return p;
}

static struct part *part_of(struct world *w, const struct ev *ev, size_t n, const uint8_t *pick,
                            unsigned k, uint32_t nent, int64_t as_of)
{
    return part_of_amt(w, ev, NULL, n, pick, k, nent, as_of);
}

static char *finish_json(struct world *w, struct part *p, unsigned threads)
{
    struct res_report r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(part_finish(p, &(struct part_finish_opts){w->stages, 1, threads, NULL}, &r, &err), 0);
    char *j = json_of(&r);
    res_report_free(&r);
    return j;
}

/* One round of the merge property: the events split into 2..8 parts
 * (some maybe empty) by entity (by_entity) or at random, a part each,
 * merged two at a time at random, the result taking one's place until
 * one is left (so every tree shape and order can come out), finished on
 * `threads` slices: the bytes of want.  pick is scratch for n events. */
static void split_merge_finish(struct world *w, const struct ev *ev, const uint32_t *amt, size_t n,
                               uint8_t *pick, uint32_t nent, int64_t as_of, int by_entity, unsigned threads,
                               const char *want)
{
    unsigned k = 2 + (unsigned)(next() % 7);
    for (size_t i = 0; i < n; i++)
        pick[i] = (uint8_t)(by_entity ? (ev[i].e % k) : next() % k);
    struct part *pool[8];
    for (unsigned p = 0; p < k; p++)
        pool[p] = part_of_amt(w, ev, amt, n, pick, p, nent, as_of);
    for (unsigned left = k; left > 1; left--) {
        unsigned x = (unsigned)(next() % left), y = (unsigned)(next() % (left - 1));
        y += y >= x;
        struct fb_error err;
        fb_error_clear(&err);
        assert_int_equal(part_merge(pool[x], pool[y], &err), 0);
        part_free(pool[y]);
        pool[y] = pool[left - 1];
    }
    char *got = finish_json(w, pool[0], threads);
    assert_string_equal(got, want);
    free(got);
    part_free(pool[0]);
}

static void merged_parts_of_any_split_finish_to_the_same_bytes(void **state)
{
    (void)state;
    const size_t n = 60000;
    const uint32_t nent = 20000;   /* enough for the finish to slice it */
    const int64_t as_of = T0 + 200 * DAY;
    struct ev *ev = random_events(n, nent);
    uint8_t *pick = calloc(n, 1);
    assert_non_null(pick);
    struct world w;
    world_new(&w, "suspect,prospect,engaged,won");
    for (size_t i = 0; i < n; i++)
        (void)stage_id(&w, ev[i].stage);
    world_map(&w);
    struct part *whole = part_of(&w, ev, n, pick, 0, nent, as_of);
    char *want = finish_json(&w, whole, 1);
    part_free(whole);   /* a finish spends its part */
    assert_non_null(strstr(want, "\"unmapped\""));
    for (unsigned threads = 2; threads <= 5; threads++) {   /* the finish's slices */
        whole = part_of(&w, ev, n, pick, 0, nent, as_of);
        char *got = finish_json(&w, whole, threads);
        assert_string_equal(got, want);
        free(got);
        part_free(whole);
    }
    for (int round = 0; round < 12; round++)   /* by entity too */
        split_merge_finish(&w, ev, NULL, n, pick, nent, as_of, round % 3 == 0, 1 + (unsigned)round % 4, want);
    world_free(&w);
    free(want);
    free(pick);
    free(ev);
}

/* ---- value(e): an amount dictionary, splits and ties (§4.19) ---- */

/* The log's amount dictionary (id 0 is ""): equal values spelled apart
 * (0.1 / 0.10, 250 / 250.00), a value past 2^64 units of 1e-9 and one
 * rounded half-even to 9 digits. */
static const char *const amounts[] = {"", "0.1", "0.10", "250", "250.00", "7", "12.5", "0.125", "1000.5", "3",
                                      "98765432109876.543", "2.4999999995", "5", "12"};
#define NAMOUNTS (sizeof amounts / sizeof *amounts)

struct amount_maps {
    uint32_t rank[NAMOUNTS];
    struct money money[NAMOUNTS];
};

static int by_money(const void *a, const void *b)
{
    const struct money *x = &((const struct money *)a)[0], *y = &((const struct money *)b)[0];
    return money_cmp(x, y);
}

/* Rank the dictionary as replay.c's setup_value does (rank + 1 by
 * money_cmp, money[rank] its amount) and hand it to w's maps. */
static void world_amounts(struct world *w, struct amount_maps *am)
{
    struct money sorted[NAMOUNTS - 1];
    for (size_t id = 1; id < NAMOUNTS; id++)
        assert_int_equal(money_parse(amounts[id], strlen(amounts[id]), &sorted[id - 1]), 0);
    qsort(sorted, NAMOUNTS - 1, sizeof *sorted, by_money);
    memcpy(am->money, sorted, sizeof sorted);
    am->rank[0] = 0;
    for (size_t id = 1; id < NAMOUNTS; id++) {
        struct money m;
        assert_int_equal(money_parse(amounts[id], strlen(amounts[id]), &m), 0);
        am->rank[id] = 0;
        for (uint32_t k = 0; k < NAMOUNTS - 1; k++)
            if (money_cmp(&am->money[k], &m) == 0)
                am->rank[id] = k + 1;
        assert_true(am->rank[id] > 0);
    }
    w->maps.amount_rank = am->rank;
    w->maps.money = am->money;
}

static void money_is(const struct money_sum *s, const char *want)
{
    char got[MONEY_TEXT_MAX];
    if (money_format(s, got) == 0)
        snprintf(got, sizeof got, "null");
    assert_string_equal(got, want);
}

/* n random events over nent entities, a third of them with an amount of
 * amounts[], in a world of four stages that has the amount dictionary;
 * pick is scratch for n events. */
struct amount_case {
    struct world w;
    struct amount_maps am;
    struct ev *ev;
    uint32_t *amt;
    uint8_t *pick;
};

static void amount_case_new(struct amount_case *c, size_t n, uint32_t nent)
{
    c->ev = random_events(n, nent);
    c->amt = malloc(n * sizeof *c->amt);
    c->pick = calloc(n, 1);
    assert_non_null(c->amt);
    assert_non_null(c->pick);
    for (size_t i = 0; i < n; i++)
        c->amt[i] = next() % 3 == 0 ? 1 + (uint32_t)(next() % (NAMOUNTS - 1)) : 0;
    world_new(&c->w, "suspect,prospect,engaged,won");
    for (size_t i = 0; i < n; i++)
        (void)stage_id(&c->w, c->ev[i].stage);
    world_map(&c->w);
    world_amounts(&c->w, &c->am);
}

static void amount_case_free(struct amount_case *c)
{
    world_free(&c->w);
    free(c->pick);
    free(c->amt);
    free(c->ev);
}

/* Parts of random splits of events with amounts (on every status, with
 * ties at equal times), merged in random order and tree shapes, finish to
 * the bytes of the whole: the value block, open_value and everything
 * built on them included. */
static void merged_parts_with_amounts_finish_to_the_same_bytes(void **state)
{
    (void)state;
    const size_t n = 40000;
    const uint32_t nent = 10000;   /* more than 2 x 4096: the finish slices it */
    const int64_t as_of = T0 + 200 * DAY;
    struct amount_case c;
    amount_case_new(&c, n, nent);
    struct world *const w = &c.w;
    struct ev *const ev = c.ev;
    uint32_t *const amt = c.amt;
    uint8_t *const pick = c.pick;
    struct part *whole = part_of_amt(w, ev, amt, n, pick, 0, nent, as_of);
    struct res_report r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(part_finish(whole, &(struct part_finish_opts){w->stages, 1, 1, NULL}, &r, &err), 0);
    part_free(whole);
    /* the data hold what the test is about: values of every status */
    assert_true(r.value_won.n > 0 && r.value_lost.n > 0 && r.value_stale.n > 0 && r.value_open.n > 0);
    assert_true(r.without_value > 0 && r.value_open.k == 9);
    char *want = json_of(&r);
    res_report_free(&r);
    for (int round = 0; round < 10; round++)   /* by event too: one entity's amounts in several parts */
        split_merge_finish(w, ev, amt, n, pick, nent, as_of, round % 4 == 0, 1 + (unsigned)round % 4, want);
    free(want);
    amount_case_free(&c);
}

/* Narrow parts (32-bit time cells, funnel.c "Keys") finish to the bytes
 * of wide ones: whole with 1-4 slices, and split and merged in any tree,
 * with amounts (the value cell after the time cells), where an entity's
 * values often do not fit its narrow row (the records the summary keeps
 * apart, funnel.c).  A min_time below the earliest event, or too far
 * below as_of for 32 bits (then the part is wide), changes nothing. */
static void narrow_parts_finish_to_the_bytes_of_wide_ones(void **state)
{
    (void)state;
    const size_t n = 40000;
    const uint32_t nent = 10000;
    const int64_t as_of = T0 + 200 * DAY;
    struct amount_case c;
    amount_case_new(&c, n, nent);
    struct world *const w = &c.w;
    struct ev *const ev = c.ev;
    uint32_t *const amt = c.amt;
    uint8_t *const pick = c.pick;
    struct part *whole = part_of_amt(w, ev, amt, n, pick, 0, nent, as_of);
    char *want = finish_json(w, whole, 1);
    part_free(whole);
    const int64_t lows[] = {T0, T0 - 12345, as_of - (INT64_C(1) << 33)};
    for (size_t l = 0; l < N(lows); l++) {
        w->maps.has_min_time = 1;
        w->maps.min_time = lows[l];
        for (unsigned threads = 1; threads <= 4; threads++) {
            whole = part_of_amt(w, ev, amt, n, pick, 0, nent, as_of);
            char *got = finish_json(w, whole, threads);
            assert_string_equal(got, want);
            free(got);
            part_free(whole);
        }
        for (int round = 0; round < 4; round++)
            split_merge_finish(w, ev, amt, n, pick, nent, as_of, round % 2 == 0, 1 + (unsigned)round % 4, want);
        memset(pick, 0, n);
    }
    /* A narrow part and a wide one do not merge. */
    w->maps.min_time = T0;
    struct part *narrow = part_of_amt(w, ev, amt, n, pick, 0, nent, as_of);
    w->maps.has_min_time = 0;
    struct part *wide = part_of_amt(w, ev, amt, n, pick, 0, nent, as_of);
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(part_merge(narrow, wide, &err), FB_EUSAGE);
    part_free(narrow);
    part_free(wide);
    free(want);
    amount_case_free(&c);
}

/* Entities that pass all 7 stages have 7 values (6 times in stage, the
 * time to win), more than the 5 cells of their narrow row: the summary
 * keeps each apart (funnel.c), and the report is still a wide part's. */
static void values_past_a_narrow_row_are_kept(void **state)
{
    (void)state;
    static const char *const names[] = {"s0", "s1", "s2", "s3", "s4", "s5", "s6"};
    const uint32_t nent = 9000;
    const size_t n = (size_t)nent * 7;
    struct ev *ev = malloc(n * sizeof *ev);
    assert_non_null(ev);
    for (size_t i = 0; i < n; i++)
        ev[i] = (struct ev){T0 + (int64_t)(i / 7) + (int64_t)(i % 7) * DAY * (1 + (int64_t)(i / 7) % 5),
                            (uint32_t)(i / 7), names[i % 7], (int)(i & 1), 0};
    uint8_t *pick = calloc(n, 1);
    assert_non_null(pick);
    struct world w;
    world_new(&w, "s0,s1,s2,s3,s4,s5,s6");
    for (size_t i = 0; i < n; i++)
        (void)stage_id(&w, ev[i].stage);
    world_map(&w);
    const int64_t as_of = T0 + 60 * DAY;
    struct part *wide = part_of(&w, ev, n, pick, 0, nent, as_of);
    char *want = finish_json(&w, wide, 1);
    part_free(wide);
    assert_non_null(strstr(want, "\"won\": 9000"));
    w.maps.has_min_time = 1;
    w.maps.min_time = T0;
    for (unsigned threads = 1; threads <= 3; threads++) {
        struct part *narrow = part_of(&w, ev, n, pick, 0, nent, as_of);
        char *got = finish_json(&w, narrow, threads);
        assert_string_equal(got, want);
        free(got);
        part_free(narrow);
    }
    world_free(&w);
    free(want);
    free(pick);
    free(ev);
}

/* value(e) at equal times: the larger amount, and of equal values spelled
 * apart the one with more fraction digits; at different times the latest,
 * even when smaller.  Each pair is split over two parts, merged both
 * ways, so the tie is settled by the merge as by one part. */
static void value_ties_go_to_the_larger_amount_then_more_digits(void **state)
{
    (void)state;
    const int64_t t = T0 + DAY;
    /* all open (as_of a day later, nobody stale): open_value per stage
     * shows each entity's value alone or with one other */
    const struct ev ev[] = {
        {t, 0, "a", 0, 0},     {t, 0, "a", 0, 0},     /* 250 / 250.00: 250.00 */
        {t, 1, "b", 0, 0},     {t, 1, "b", 0, 0},     /* 0.1 / 0.10: 0.10 */
        {t - 9, 2, "c", 0, 0}, {t, 2, "c", 0, 0},     /* 5 then 3: 3, the latest */
        {t, 3, "a", 0, 0},     {t, 3, "a", 0, 0},     /* 12 / 3: 12 */
        {t, 4, "b", 0, 0},                            /* no amount */
    };
    const uint32_t amt[N(ev)] = {3, 4, 1, 2, 12, 9, 13, 9, 0};   /* ids in amounts[] */
    struct world w;
    struct amount_maps am;
    world_new(&w, "a,b,c,d");
    for (size_t i = 0; i < N(ev); i++)
        (void)stage_id(&w, ev[i].stage);
    world_map(&w);
    world_amounts(&w, &am);
    for (int order = 0; order < 2; order++) {
        uint8_t pick[N(ev)];
        for (size_t i = 0; i < N(ev); i++)
            pick[i] = (uint8_t)((i & 1) ^ (unsigned)order);   /* one of each pair in each part */
        struct part *x = part_of_amt(&w, ev, amt, N(ev), pick, 0, 5, t + DAY);
        struct part *y = part_of_amt(&w, ev, amt, N(ev), pick, 1, 5, t + DAY);
        struct fb_error err;
        fb_error_clear(&err);
        assert_int_equal(part_merge(x, y, &err), 0);
        part_free(y);
        struct res_report r;
        assert_int_equal(part_finish(x, &(struct part_finish_opts){w.stages, 1, 1, NULL}, &r, &err), 0);
        part_free(x);
        assert_int_equal(r.open, 5);
        money_is(&r.stages[0].open_value, "262.00");   /* 250.00 + 12 */
        money_is(&r.stages[1].open_value, "0.10");
        money_is(&r.stages[2].open_value, "3");
        money_is(&r.stages[3].open_value, "null");
        money_is(&r.value_open, "265.10");
        assert_int_equal(r.with_value, 4);
        assert_int_equal(r.without_value, 1);
        res_report_free(&r);
    }
    world_free(&w);
}

/* Threads folding into one shared array, each the events of the entities
 * it owns (the replay with --threads, funnel.h part_add_sel), give the
 * report of one thread alone.  Ownership here is e mod nt, not the
 * replay's ranges: any partition of the entities must do. */
struct fold_job {
    struct part *part;
    struct evb_cols *blocks;
    size_t nblocks, me, nt;
    uint32_t *sel;
};

static void *fold(void *arg)
{
    struct fold_job *j = arg;
    for (size_t b = 0; b < j->nblocks; b++) {
        const struct evb_cols *c = &j->blocks[b];
        const uint32_t *ent = c->ids[EVB_IDX(BLOG_C_ENTITY)];
        uint32_t n = 0;
        for (uint32_t i = 0; i < c->n; i++)
            if (ent[i] % j->nt == j->me)
                j->sel[n++] = i;
        part_add_sel(j->part, c, j->sel, n);
    }
    return NULL;
}

static void threads_sharing_one_array_give_the_report_of_one(void **state)
{
    (void)state;
    const size_t n = 60000, nb = 60;
    const uint32_t nent = 3000;   /* few entities: rows of neighbours share cache lines */
    const int64_t as_of = T0 + 200 * DAY;
    struct ev *ev = random_events(n, nent);
    struct world w;
    world_new(&w, "suspect,prospect,engaged,won");
    for (size_t i = 0; i < n; i++)
        (void)stage_id(&w, ev[i].stage);
    world_map(&w);
    struct evb_cols *blocks = calloc(nb, sizeof *blocks);
    assert_non_null(blocks);
    for (size_t b = 0; b < nb; b++)
        fill_cols(&w, ev + b * (n / nb), n / nb, &blocks[b]);
    struct part *one = part_new(&w.def, nent, as_of, 30 * DAY, &w.maps);
    assert_non_null(one);
    for (size_t b = 0; b < nb; b++)
        part_add(one, &blocks[b]);
    char *want = finish_json(&w, one, 1);
    part_free(one);
    for (size_t nt = 2; nt <= 4; nt++) {
        struct part *base = part_new(&w.def, nent, as_of, 30 * DAY, &w.maps);
        assert_non_null(base);
        struct part *mine[4];
        pthread_t tid[4];
        struct fold_job job[4];
        for (size_t t = 0; t < nt; t++)
            assert_non_null(mine[t] = part_new_sharing(base));
        for (size_t t = 0; t < nt; t++) {
            job[t] = (struct fold_job){mine[t], blocks, nb, t, nt, malloc(n / nb * sizeof(uint32_t))};
            assert_non_null(job[t].sel);
            assert_int_equal(pthread_create(&tid[t], NULL, fold, &job[t]), 0);
        }
        for (size_t t = 0; t < nt; t++) {
            assert_int_equal(pthread_join(tid[t], NULL), 0);
            free(job[t].sel);
        }
        for (size_t t = 0; t < nt; t++) {
            struct fb_error err;
            fb_error_clear(&err);
            assert_int_equal(part_merge(base, mine[t], &err), 0);
            part_free(mine[t]);
        }
        char *got = finish_json(&w, base, (unsigned)nt);
        assert_string_equal(got, want);
        free(got);
        part_free(base);
    }
    for (size_t b = 0; b < nb; b++)
        evb_cols_free(&blocks[b]);
    free(blocks);
    free(want);
    world_free(&w);
    free(ev);
}

static void parts_of_other_funnels_or_as_of_do_not_merge(void **state)
{
    (void)state;
    struct world w, v;
    world_new(&w, "a,b,c");
    world_new(&v, "a,b");
    (void)stage_id(&w, "a");
    (void)stage_id(&v, "a");
    world_map(&w);
    world_map(&v);
    struct part *a = part_new(&w.def, 10, T0, DAY, &w.maps);
    struct part *other_funnel = part_new(&v.def, 10, T0, DAY, &v.maps);
    struct part *other_as_of = part_new(&w.def, 10, T0 + 1, DAY, &w.maps);
    struct part *more_entities = part_new(&w.def, 11, T0, DAY, &w.maps);
    struct part *fewer_entities = part_new(&w.def, 9, T0, DAY, &w.maps);
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(part_merge(a, other_funnel, &err), FB_EUSAGE);
    assert_int_equal(part_merge(a, other_as_of, &err), FB_EUSAGE);
    assert_int_equal(part_merge(a, more_entities, &err), FB_EUSAGE);
    /* a part of an older commit of the same log (fewer entities) does */
    assert_int_equal(part_merge(a, fewer_entities, &err), 0);
    part_free(a);
    part_free(other_funnel);
    part_free(other_as_of);
    part_free(more_entities);
    part_free(fewer_entities);
    world_free(&w);
    world_free(&v);
}

/* ---- out of memory ---- */

static void an_aggregator_too_big_for_memory_is_null_not_a_crash(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    skip();
#else
    struct world w;
    world_new(&w, "a,b,c,d");
    world_map(&w);
    struct rlimit old, cap;
    assert_int_equal(getrlimit(RLIMIT_AS, &old), 0);
    cap = old;
    cap.rlim_cur = (rlim_t)1 << 30;        /* 1 GiB of address space */
    assert_int_equal(setrlimit(RLIMIT_AS, &cap), 0);
    /* 100 million entities x 6 x 8 bytes = 4.8 GB */
    struct part *a = part_new(&w.def, 100000000u, T0, DAY, &w.maps);
    assert_int_equal(setrlimit(RLIMIT_AS, &old), 0);
    assert_null(a);
    world_free(&w);
#endif
}

/* ---- the funnel definition ---- */

static void default_funnel_is_the_seven_stages_of_the_issue(void **state)
{
    (void)state;
    static const char *want[] = {"suspect", "prospect", "interested", "engaged", "evaluating",
                                 "negotiating", "purchasing"};
    struct funnel_def f;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(funnel_def_default(&f, &err), 0);
    assert_int_equal(f.n, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(f.names[i], want[i]);
    funnel_def_free(&f);
}

static int from_list(const char *list, struct funnel_def *f, struct fb_error *err)
{
    fb_error_clear(err);
    return funnel_def_from_list(f, list, err);
}

static void a_stage_list_keeps_order_and_spelling(void **state)
{
    (void)state;
    struct funnel_def f;
    struct fb_error err;
    assert_int_equal(from_list("Lead,qualified lead,Won", &f, &err), 0);
    assert_int_equal(f.n, 3);
    assert_string_equal(f.names[0], "Lead");
    assert_string_equal(f.names[1], "qualified lead");
    assert_string_equal(f.names[2], "Won");
    funnel_def_free(&f);
    assert_int_equal(from_list("one", &f, &err), 0);
    assert_int_equal(f.n, 1);
    funnel_def_free(&f);
}

/* "suspect, prospect" once made a stage " prospect" that no event mapped to
 * (exit 0, its events unmapped); a list now trims like a funnel file. */
static void a_stage_list_drops_blanks_around_names_as_a_funnel_file_does(void **state)
{
    (void)state;
    struct funnel_def f;
    struct fb_error err;
    assert_int_equal(from_list(" suspect, prospect ,\tclosed  won\t,last\r", &f, &err), 0);
    assert_int_equal(f.n, 4);
    assert_string_equal(f.names[0], "suspect");
    assert_string_equal(f.names[1], "prospect");
    assert_string_equal(f.names[2], "closed  won");
    assert_string_equal(f.names[3], "last");
    funnel_def_free(&f);
    /* so "a, a" is a duplicate, and a name of blanks is empty */
    assert_int_equal(from_list("a, A", &f, &err), FB_EUSAGE);
    assert_non_null(strstr(err.msg, "duplicate"));
    funnel_def_free(&f);
    assert_int_equal(from_list("a,  ,b", &f, &err), FB_EUSAGE);
    assert_non_null(strstr(err.msg, "empty"));
    funnel_def_free(&f);
}

static void a_name_with_blanks_around_a_stage_name_is_a_near_miss(void **state)
{
    (void)state;
    assert_true(funnel_name_eq_trimmed(" prospect", 9, "prospect"));
    assert_true(funnel_name_eq_trimmed("Prospect\t", 9, "prospect"));
    assert_true(funnel_name_eq_trimmed(" \r prospect\r ", 13, "prospect"));
    assert_false(funnel_name_eq_trimmed("prospect", 8, "prospect"));   /* maps: no hint */
    assert_false(funnel_name_eq_trimmed(" prospects", 10, "prospect"));
    assert_false(funnel_name_eq_trimmed("   ", 3, "prospect"));
    assert_false(funnel_name_eq_trimmed("", 0, "prospect"));
    const char *s = "  a b\t";
    size_t n = strlen(s);
    funnel_trim(&s, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "a b", 3);
}

static void a_stage_list_with_an_empty_name_is_a_usage_error(void **state)
{
    (void)state;
    const char *bad[] = {"", ",", "a,,b", "a,", ",a", "a,b,", " ", "a, "};
    for (size_t i = 0; i < N(bad); i++) {
        struct funnel_def f;
        struct fb_error err;
        if (from_list(bad[i], &f, &err) != FB_EUSAGE)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_non_null(strstr(err.msg, "empty"));
        funnel_def_free(&f);
    }
}

static void stage_names_may_have_64_bytes_but_not_65(void **state)
{
    (void)state;
    char list[200];
    struct funnel_def f;
    struct fb_error err;
    memset(list, 'n', 64);
    strcpy(list + 64, ",b");
    assert_int_equal(from_list(list, &f, &err), 0);
    assert_int_equal(strlen(f.names[0]), 64);
    funnel_def_free(&f);
    memset(list, 'n', 65);
    strcpy(list + 65, ",b");
    assert_int_equal(from_list(list, &f, &err), FB_EUSAGE);
    assert_non_null(strstr(err.msg, "64"));
    funnel_def_free(&f);
    /* 64 bytes of UTF-8 (32 two-byte letters) are 64 bytes, not 32 */
    list[0] = '\0';
    for (int i = 0; i < 32; i++)
        strcat(list, "\xC3\xA9");
    assert_int_equal(from_list(list, &f, &err), 0);
    funnel_def_free(&f);
    strcat(list, "x");
    assert_int_equal(from_list(list, &f, &err), FB_EUSAGE);
    funnel_def_free(&f);
}

static void duplicate_stage_names_are_a_usage_error_case_insensitively(void **state)
{
    (void)state;
    const char *bad[] = {"a,a", "a,b,A", "Won,lost,WON", "x y,X Y"};
    for (size_t i = 0; i < N(bad); i++) {
        struct funnel_def f;
        struct fb_error err;
        if (from_list(bad[i], &f, &err) != FB_EUSAGE)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_non_null(strstr(err.msg, "duplicate"));
        funnel_def_free(&f);
    }
    /* ASCII letters only fold: these are different names */
    const char *good[] = {"\xC3\xA9,\xC3\x89", "a,a b", "[,{", "a,b,ab"};
    for (size_t i = 0; i < N(good); i++) {
        struct funnel_def f;
        struct fb_error err;
        if (from_list(good[i], &f, &err) != 0)
            fail_msg("\"%s\" refused: %s", good[i], err.msg);
        funnel_def_free(&f);
    }
}

static void more_than_256_stages_are_a_usage_error(void **state)
{
    (void)state;
    char *list = malloc(257 * 5 + 1);
    assert_non_null(list);
    size_t len = 0;
    for (int i = 0; i < 257; i++)
        len += (size_t)sprintf(list + len, i ? ",%03d" : "%03d", i);
    struct funnel_def f;
    struct fb_error err;
    assert_int_equal(from_list(list, &f, &err), FB_EUSAGE);
    funnel_def_free(&f);
    list[len - 4] = '\0';                    /* 256 stages */
    assert_int_equal(from_list(list, &f, &err), 0);
    assert_int_equal(f.n, FUNNEL_MAX_STAGES);
    funnel_def_free(&f);
    free(list);
}

static void stage_names_must_be_utf8(void **state)
{
    (void)state;
    struct funnel_def f;
    struct fb_error err;
    assert_int_equal(from_list("a,\xFF", &f, &err), FB_EUSAGE);
    funnel_def_free(&f);
    assert_int_equal(from_list("a,\xED\xA0\x80", &f, &err), FB_EUSAGE);
    funnel_def_free(&f);
}

static void funnel_name_eq_folds_ascii_letters_only(void **state)
{
    (void)state;
    assert_true(funnel_name_eq("SUSPECT", 7, "suspect"));
    assert_true(funnel_name_eq("suspect", 7, "SuSpEcT"));
    assert_false(funnel_name_eq("suspec", 6, "suspect"));
    assert_false(funnel_name_eq("suspects", 8, "suspect"));
    assert_true(funnel_name_eq("suspects", 7, "suspect"));   /* only n bytes */
    assert_false(funnel_name_eq("\xC3\x89", 2, "\xC3\xA9"));
    assert_false(funnel_name_eq("@", 1, "`"));
    assert_false(funnel_name_eq("s\0", 2, "s"));
    assert_true(funnel_name_eq("", 0, ""));
}

static char *write_tmp(const char *text)
{
    char *path = malloc(64);
    assert_non_null(path);
    strcpy(path, "/tmp/test_funnel.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static int from_file_text(const char *text, struct funnel_def *f, struct fb_error *err)
{
    char *path = write_tmp(text);
    fb_error_clear(err);
    int rc = funnel_def_from_file(f, path, err);
    unlink(path);
    free(path);
    return rc;
}

static void a_funnel_file_ignores_comments_blanks_and_surrounding_space(void **state)
{
    (void)state;
    struct funnel_def f;
    struct fb_error err;
    int rc = from_file_text("# our pipeline\n"
                            "  suspect  \n"
                            "\tprospect\t# first call\n"
                            "\n"
                            "   \t \n"
                            "#negotiating\n"
                            "closed  won\r\n"
                            "last", &f, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(f.n, 4);
    assert_string_equal(f.names[0], "suspect");
    assert_string_equal(f.names[1], "prospect");
    assert_string_equal(f.names[2], "closed  won");
    assert_string_equal(f.names[3], "last");
    funnel_def_free(&f);
}

/* A byte order mark made the first stage "\uFEFFsuspect", which no event
 * maps to (half the entities uncounted, exit 0).  Only one at the very
 * start is skipped; U+FEFF elsewhere stays part of a name. */
static void a_funnel_file_skips_a_byte_order_mark_at_its_start(void **state)
{
    (void)state;
    struct funnel_def f;
    struct fb_error err;
    int rc = from_file_text("\xEF\xBB\xBFsuspect\r\nprospect\r\n", &f, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.names[0], "suspect");
    assert_string_equal(f.names[1], "prospect");
    funnel_def_free(&f);
    assert_int_equal(from_file_text("\xEF\xBB\xBF# stages\n  won\n", &f, &err), 0);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.names[0], "won");
    funnel_def_free(&f);
    assert_int_equal(from_file_text("a\n\xEF\xBB\xBF" "b\n", &f, &err), 0);
    assert_string_equal(f.names[1], "\xEF\xBB\xBF" "b");
    funnel_def_free(&f);
    assert_int_equal(from_file_text("\xEF\xBB\xBF", &f, &err), FB_EUSAGE);   /* names nothing */
    funnel_def_free(&f);
}

static void a_funnel_file_reports_bad_names_with_their_line(void **state)
{
    (void)state;
    char long_line[128];
    memset(long_line, 'x', 65);
    strcpy(long_line + 65, "\n");
    char text[256];
    snprintf(text, sizeof text, "a\n# c\nb\n%s", long_line);
    static const struct { const char *text; const char *line, *what; } cases[] = {
        {"a\nb\n\nA\n", ":4:", "duplicate"},
        {"a\n  B # again\nb\n", ":3:", "duplicate"},
        {NULL, ":4:", "64"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct funnel_def f;
        struct fb_error err;
        int rc = from_file_text(cases[i].text ? cases[i].text : text, &f, &err);
        if (rc != FB_EUSAGE)
            fail_msg("case %zu: rc %d", i, rc);
        if (!strstr(err.msg, cases[i].line) || !strstr(err.msg, cases[i].what))
            fail_msg("case %zu: message \"%s\" lacks %s or %s", i, err.msg, cases[i].line,
                     cases[i].what);
        funnel_def_free(&f);
    }
}

static void a_funnel_file_without_names_is_a_usage_error(void **state)
{
    (void)state;
    const char *texts[] = {"", "\n\n", "# only a comment\n  # another\n"};
    for (size_t i = 0; i < N(texts); i++) {
        struct funnel_def f;
        struct fb_error err;
        assert_int_equal(from_file_text(texts[i], &f, &err), FB_EUSAGE);
        funnel_def_free(&f);
    }
}

static void a_missing_funnel_file_is_an_io_error(void **state)
{
    (void)state;
    struct funnel_def f;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(funnel_def_from_file(&f, "/nonexistent/funnel.txt", &err), FB_EIO);
    funnel_def_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_entity_reaches_every_stage_up_to_its_highest),
        cmocka_unit_test(stage_names_match_case_insensitively_and_keep_the_funnel_spelling),
        cmocka_unit_test(time_in_stage_uses_suffix_minima_of_first_times),
        cmocka_unit_test(time_to_win_starts_at_the_first_event_at_any_stage),
        cmocka_unit_test(lost_needs_the_lost_touch_to_be_the_latest),
        cmocka_unit_test(stale_means_strictly_longer_than_stale_after),
        cmocka_unit_test(stale_after_zero_makes_every_untouched_second_count),
        cmocka_unit_test(events_after_as_of_count_only_as_after_as_of),
        cmocka_unit_test(count_after_adds_to_read_and_after_as_of),
        cmocka_unit_test(touches_count_every_event_split_by_channel),
        cmocka_unit_test(unmapped_stages_sort_by_count_then_bytes),
        cmocka_unit_test(unmapped_names_keep_nul_bytes_and_exact_bytes),
        cmocka_unit_test(drop_out_point_ties_go_to_the_earlier_stage),
        cmocka_unit_test(drop_out_point_is_null_without_lost_or_stale),
        cmocka_unit_test(rates_are_null_when_their_denominators_are_0),
        cmocka_unit_test(no_events_give_zero_counts_and_null_rates),
        cmocka_unit_test(a_one_stage_funnel_counts_everyone_as_won),
        cmocka_unit_test(results_do_not_depend_on_event_order_or_batching),
        cmocka_unit_test(merged_parts_of_any_split_finish_to_the_same_bytes),
        cmocka_unit_test(narrow_parts_finish_to_the_bytes_of_wide_ones),
        cmocka_unit_test(values_past_a_narrow_row_are_kept),
        cmocka_unit_test(merged_parts_with_amounts_finish_to_the_same_bytes),
        cmocka_unit_test(value_ties_go_to_the_larger_amount_then_more_digits),
        cmocka_unit_test(threads_sharing_one_array_give_the_report_of_one),
        cmocka_unit_test(parts_of_other_funnels_or_as_of_do_not_merge),
        cmocka_unit_test(an_aggregator_too_big_for_memory_is_null_not_a_crash),
        cmocka_unit_test(default_funnel_is_the_seven_stages_of_the_issue),
        cmocka_unit_test(a_stage_list_keeps_order_and_spelling),
        cmocka_unit_test(a_stage_list_drops_blanks_around_names_as_a_funnel_file_does),
        cmocka_unit_test(a_name_with_blanks_around_a_stage_name_is_a_near_miss),
        cmocka_unit_test(a_stage_list_with_an_empty_name_is_a_usage_error),
        cmocka_unit_test(stage_names_may_have_64_bytes_but_not_65),
        cmocka_unit_test(duplicate_stage_names_are_a_usage_error_case_insensitively),
        cmocka_unit_test(more_than_256_stages_are_a_usage_error),
        cmocka_unit_test(stage_names_must_be_utf8),
        cmocka_unit_test(funnel_name_eq_folds_ascii_letters_only),
        cmocka_unit_test(a_funnel_file_ignores_comments_blanks_and_surrounding_space),
        cmocka_unit_test(a_funnel_file_skips_a_byte_order_mark_at_its_start),
        cmocka_unit_test(a_funnel_file_reports_bad_names_with_their_line),
        cmocka_unit_test(a_funnel_file_without_names_is_a_usage_error),
        cmocka_unit_test(a_missing_funnel_file_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
