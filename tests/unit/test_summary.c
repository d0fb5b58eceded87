/* test_summary.c - the entity-free summary of core/aggregate/summary.h: undecided
 * entities classified at the final as_of (the stale boundary), merging
 * (counts summed, sets concatenated, unmapped names merged by bytes, the
 * latest time kept), refusals, and the property sharding rests on: split
 * the entities of random events into k shards, summarise each at its own
 * latest event (undecided where it cannot tell), merge in a random tree,
 * and the finish is byte for byte that of the whole (docs/FORMAT.md §14). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dict.h"
#include "evblock.h"
#include "funnel.h"
#include "json_report.h"
#include "summary.h"
#include "test_support.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1700000000)

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
    return test_xorshift(&rng);
}

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

/* A summary of 3 stages with values from vals[] in set k (count[k] each). */
static void summary_with(struct summary *s, int decided, int64_t as_of, const size_t *count,
                         const int64_t *vals)
{
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(summary_init(s, 3, 30 * DAY, decided, as_of, &err), 0);
    size_t total = 0;
    for (size_t k = 0; k < SUM_NSETS(3); k++)
        total += count[k];
    int64_t *pool = malloc((total + 1) * sizeof *pool);
    assert_non_null(pool);
    if (total)
        memcpy(pool, vals, total * sizeof *pool);
    summary_take_pool(s, pool, count);
}

static void add_name(struct summary *s, const char *name, uint64_t events)
{
    struct sum_unmapped *u = realloc(s->unmapped, (s->nunmapped + 1) * sizeof *u);
    assert_non_null(u);
    s->unmapped = u;
    u[s->nunmapped].len = strlen(name);
    u[s->nunmapped].name = malloc(strlen(name) + 1);
    assert_non_null(u[s->nunmapped].name);
    memcpy(u[s->nunmapped].name, name, strlen(name) + 1);
    u[s->nunmapped++].events = events;
}

/* Finish s, whose n entities all reached stage 0 of the funnel a,b,c
 * and whose latest event is at T0, into r (def is made; free both). */
static void finish_at_t0(struct summary *s, uint64_t n, struct funnel_def *def, struct res_report *r)
{
    struct fb_error err;
    s->stage[0].reached = n;
    s->entities = n;
    s->has_events = 1;
    s->max_time = T0;
    fb_error_clear(&err);
    assert_int_equal(funnel_def_from_list(def, "a,b,c", &err), 0);
    assert_int_equal(summary_as_of(s), s->decided ? s->as_of : T0);
    assert_int_equal(summary_finish(s, def, 1, r, &err), 0);
}

static void undecided_entities_are_judged_at_the_final_as_of(void **state)
{
    (void)state;
    /* Stage 0 holds three undecided entities: last 10 days, exactly 30
     * days (still open: stale means strictly longer) and 30 days and a
     * second before the set's latest event. */
    const size_t count[SUM_NSETS(3)] = {0};
    const int64_t v[3] = {T0 - 10 * DAY, T0 - 30 * DAY, T0 - 30 * DAY - 1};
    struct summary s;
    summary_with(&s, 0, 0, count, NULL);
    s.und = calloc(3, sizeof *s.und);
    assert_non_null(s.und);
    for (size_t i = 0; i < 3; i++)   /* entered a a day before its last touch */
        s.und[i] = (struct sum_und){{(unsigned __int128)(i + 1) * 1000000000u, 0}, v[i], v[i] - DAY, 0, 1};
    s.nund = 3;
    struct funnel_def def;
    struct res_report r;
    finish_at_t0(&s, 3, &def, &r);
    assert_int_equal(r.as_of, T0);
    assert_int_equal(r.stages[0].open, 2);
    assert_int_equal(r.stages[0].stale, 1);
    assert_int_equal(r.open, 2);
    assert_int_equal(r.stale, 1);
    assert_int_equal(r.drop_out_point, 0);
    /* what travelled with them: the open ones' values and aging, the stale
     * one's value and censoring (docs/METRICS.md §4.19-§4.20) */
    assert_true(r.stages[0].open_value.units == 3000000000u && r.stages[0].open_value.n == 2);
    assert_true(r.value_stale.units == 3000000000u && r.value_stale.n == 1);
    assert_int_equal(r.with_value, 3);
    assert_int_equal(r.stages[0].aging_count, 2);
    assert_true(r.stages[0].aging_median_days == 11.0);
    res_report_free(&r);
    summary_free(&s);
    funnel_def_free(&def);
}

/* Aging beyond p90 (docs/METRICS.md §4.20): the ages strictly above the
 * nearest-rank p90 are counted, and the longest RES_AGING_LONGEST of them
 * listed longest first, whatever order the ages came in. */
static void aging_lists_the_longest_ages_beyond_p90(void **state)
{
    (void)state;
    const size_t sizes[] = {9, 50, 300};
    for (size_t c = 0; c < 3; c++) {
        const size_t n = sizes[c];
        size_t count[SUM_NSETS(3)] = {0};
        int64_t *v = malloc(n * sizeof *v);
        assert_non_null(v);
        for (size_t i = 0; i < n; i++)   /* ages 1..n days, shuffled */
            v[i] = (int64_t)(i + 1) * DAY;
        for (size_t i = n; i > 1; i--) {
            size_t j = next() % i;
            int64_t t = v[i - 1];
            v[i - 1] = v[j];
            v[j] = t;
        }
        count[SUM_AGE(3, 0)] = n;
        struct summary s;
        summary_with(&s, 1, T0, count, v);
        free(v);
        struct funnel_def def;
        struct res_report r;
        finish_at_t0(&s, n, &def, &r);
        const struct res_stage *st = &r.stages[0];
        const size_t p90 = (9 * n + 9) / 10;   /* rank ceil(0.9 n) */
        assert_int_equal(st->aging_count, n);
        assert_true(st->aging_p90_days == (double)p90);
        assert_int_equal(st->aging_beyond, n - p90);
        const size_t listed = n - p90 < RES_AGING_LONGEST ? n - p90 : RES_AGING_LONGEST;
        assert_int_equal(st->naging_longest, listed);
        for (size_t k = 0; k < listed; k++)
            assert_int_equal(st->aging_longest_s[k], (int64_t)(n - k) * DAY);
        char *json = json_of(&r);
        size_t o = 0;   /* without the writer's spaces and line breaks */
        for (size_t i = 0; json[i]; i++)
            if (json[i] != ' ' && json[i] != '\n')
                json[o++] = json[i];
        json[o] = 0;
        assert_non_null(strstr(json, n == 9 ? "\"beyond_p90\":0,\"beyond_p90_days\":[]"
                                    : n == 50 ? "\"beyond_p90\":5,\"beyond_p90_days\":[50.0,49.0,48.0,47.0,46.0]}"
                                              : "\"beyond_p90\":30,\"beyond_p90_days\":[300.0,299.0,"));
        free(json);
        res_report_free(&r);
        summary_free(&s);
        funnel_def_free(&def);
    }
}

static void merge_sums_concatenates_and_merges_names(void **state)
{
    (void)state;
    const size_t ca[SUM_NSETS(3)] = {2, 0, 1, 1, 0}, cb[SUM_NSETS(3)] = {1, 1, 0, 0, 2};
    const int64_t va[4] = {5, 7, 100, DAY}, vb[4] = {9, 3, 2 * DAY, 3 * DAY};
    struct summary a, b;
    summary_with(&a, 0, 0, ca, va);
    summary_with(&b, 0, 0, cb, vb);
    a.stage[1].lost = 2;
    b.stage[1].lost = 3;
    a.stage[1].v_lost = (struct money_sum){5, 1, 0, 0};
    b.stage[1].v_lost = (struct money_sum){70, 2, 1, 0};
    b.und = calloc(1, sizeof *b.und);
    assert_non_null(b.und);
    b.und[0] = (struct sum_und){{0, 0}, T0 - 2, T0 - 3, 1, 0};
    b.nund = 1;
    a.stage[2].touches[1] = 4;
    b.stage[2].touches[1] = 5;
    a.read = 10, b.read = 20, a.after = 1, b.after = 2, a.entities = 3, b.entities = 4;
    a.has_events = 1, a.max_time = T0 - 5;
    b.has_events = 1, b.max_time = T0;
    add_name(&a, "Nurture", 2);
    add_name(&a, "nurture", 1);
    add_name(&b, "Nurture", 3);
    add_name(&b, "archived", 1);
    add_name(&b, "nurture", 4);
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(summary_merge(&a, &b, &err), 0);
    assert_int_equal(a.stage[1].lost, 5);
    assert_true(a.stage[1].v_lost.units == 75 && a.stage[1].v_lost.n == 3 && a.stage[1].v_lost.k == 1);
    assert_int_equal(a.nund, 1);
    assert_int_equal(a.und[0].last, T0 - 2);
    assert_int_equal(a.stage[2].touches[1], 9);
    assert_int_equal(a.read, 30);
    assert_int_equal(a.after, 3);
    assert_int_equal(a.entities, 7);
    assert_int_equal(a.max_time, T0);
    const size_t want_n[5] = {3, 1, 1, 1, 2};
    for (size_t k = 0; k < 5; k++)
        assert_int_equal(a.set[k].n, want_n[k]);
    assert_int_equal(a.set[0].v[0] + a.set[0].v[1] + a.set[0].v[2], 5 + 7 + 9);
    assert_int_equal(a.set[1].v[0], 3);
    assert_int_equal(a.set[3].v[0], DAY);
    assert_int_equal(a.nunmapped, 3);
    assert_memory_equal(a.unmapped[0].name, "Nurture", 7);
    assert_int_equal(a.unmapped[0].events, 5);
    assert_memory_equal(a.unmapped[1].name, "archived", 8);
    assert_memory_equal(a.unmapped[2].name, "nurture", 7);
    assert_int_equal(a.unmapped[2].events, 5);
    /* b is left as it was */
    assert_int_equal(b.nunmapped, 3);
    assert_int_equal(b.set[4].n, 2);
    /* an empty summary merges as nothing */
    struct summary e;
    const size_t ce[SUM_NSETS(3)] = {0};
    summary_with(&e, 0, 0, ce, NULL);
    assert_int_equal(summary_merge(&a, &e, &err), 0);
    assert_int_equal(a.max_time, T0);
    assert_int_equal(a.nunmapped, 3);
    summary_free(&e);
    summary_free(&a);
    summary_free(&b);
}

static void summaries_of_other_options_do_not_merge(void **state)
{
    (void)state;
    const size_t c[SUM_NSETS(3)] = {0};
    struct summary a, b;
    struct fb_error err;
    fb_error_clear(&err);
    summary_with(&a, 1, T0, c, NULL);
    summary_with(&b, 1, T0 + 1, c, NULL);   /* another as_of */
    assert_int_equal(summary_merge(&a, &b, &err), FB_EINPUT);
    summary_free(&b);
    summary_with(&b, 0, 0, c, NULL);        /* decided vs not */
    assert_int_equal(summary_merge(&a, &b, &err), FB_EINPUT);
    summary_free(&b);
    summary_with(&b, 1, T0, c, NULL);
    b.stale_after = DAY;                    /* another stale_after */
    assert_int_equal(summary_merge(&a, &b, &err), FB_EINPUT);
    summary_free(&b);
    assert_int_equal(summary_init(&b, 4, 30 * DAY, 1, T0, &err), 0);   /* other stages */
    assert_int_equal(summary_merge(&a, &b, &err), FB_EINPUT);
    summary_free(&b);
    summary_free(&a);
}

/* ---- sharding by entity ---- */

static const char *const stage_names[] = {"", "suspect", "Prospect", "engaged", "WON", "unknown", "Unknown"};
#define NSTAGE_IDS 7

struct world {
    struct funnel_def def;
    struct dict *stages;
    int32_t map[NSTAGE_IDS];
    uint8_t sales[3], lost[2];
    struct funnel_maps maps;
};

static void world_new(struct world *w)
{
    struct fb_error err;
    memset(w, 0, sizeof *w);
    fb_error_clear(&err);
    assert_int_equal(funnel_def_from_list(&w->def, "suspect,prospect,engaged,won", &err), 0);
    assert_non_null(w->stages = dict_new(0));
    for (uint32_t id = 1; id < NSTAGE_IDS; id++) {
        uint32_t got;
        assert_int_equal(dict_intern(w->stages, stage_names[id], strlen(stage_names[id]), &got, NULL), 0);
        assert_int_equal(got, id);
    }
    const int32_t map[NSTAGE_IDS] = {-1, 0, 1, 2, 3, -1, -1};
    memcpy(w->map, map, sizeof map);
    w->sales[2] = 1;
    w->lost[1] = 1;
    w->maps = (struct funnel_maps){w->map, NSTAGE_IDS, w->sales, w->lost, 0, NULL, NULL, 0, NULL, NULL, 0, 0};
}

struct ev {
    int64_t t;
    uint32_t e, stage, chan, outc;
};

/* The events of ev[0..n) whose entity is in shard k of nsh (nsh 1: all),
 * as one part judged at as_of, or at their own latest time (as_of < 0). */
static void summarise(struct world *w, const struct ev *ev, size_t n, uint32_t nent, unsigned k,
                      unsigned nsh, int64_t as_of, struct summary *out)
{
    struct evb_cols c;
    assert_int_equal(evb_cols_init(&c, (uint32_t)(n ? n : 1), 0), 0);
    int64_t max = 0;
    int has = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].e % nsh != k)
            continue;
        c.time[c.n] = ev[i].t;
        c.ids[EVB_IDX(BLOG_C_ENTITY)][c.n] = ev[i].e;
        c.ids[EVB_IDX(BLOG_C_STAGE)][c.n] = ev[i].stage;
        c.ids[EVB_IDX(BLOG_C_CHANNEL)][c.n] = ev[i].chan;
        c.ids[EVB_IDX(BLOG_C_OUTCOME)][c.n] = ev[i].outc;
        c.n++;
        max = !has || ev[i].t > max ? ev[i].t : max;
        has = 1;
    }
    struct part *p = part_new(&w->def, nent, as_of >= 0 ? as_of : has ? max : 0, 30 * DAY, &w->maps);
    assert_non_null(p);
    part_add(p, &c);
    evb_cols_free(&c);
    struct fb_error err;
    fb_error_clear(&err);
    const struct part_summary_opts o = {w->stages, as_of < 0 && nsh > 1, 1 + (unsigned)(next() % 3), NULL, NULL, NULL};
    assert_int_equal(part_summarise(p, &o, out, &err), 0);
    out->has_events = has;
    out->max_time = max;
    part_free(p);
}

static char *finish_json(struct world *w, struct summary *s, int explicit_as_of)
{
    struct res_report r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(summary_finish(s, &w->def, explicit_as_of || s->has_events, &r, &err), 0);
    char *j = json_of(&r);
    res_report_free(&r);
    return j;
}

static void shards_merged_in_any_tree_finish_as_the_whole(void **state)
{
    (void)state;
    const size_t n = 30000;
    const uint32_t nent = 6000;
    struct ev *ev = malloc(n * sizeof *ev);
    assert_non_null(ev);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next();
        /* times spread so that many entities sit near the stale boundary */
        ev[i] = (struct ev){T0 + (int64_t)(r % 240) * DAY + (int64_t)((r >> 40) % 86400),
                            (uint32_t)(r >> 8) % nent, 1 + (uint32_t)((r >> 24) % 6),
                            1 + (uint32_t)((r >> 30) & 1), ((r >> 33) % 9) == 0};
    }
    struct world w;
    world_new(&w);
    for (int explicit_as_of = 0; explicit_as_of <= 1; explicit_as_of++) {
        const int64_t as_of = explicit_as_of ? T0 + 200 * DAY : -1;
        struct summary whole;
        summarise(&w, ev, n, nent, 0, 1, as_of, &whole);
        char *want = finish_json(&w, &whole, explicit_as_of);
        summary_free(&whole);
        for (int round = 0; round < 8; round++) {
            unsigned k = round == 0 ? 64 : 1 + (unsigned)(next() % 16);
            struct summary pool[64];
            for (unsigned p = 0; p < k; p++)
                summarise(&w, ev, n, nent, p, k, as_of, &pool[p]);
            for (unsigned left = k; left > 1; left--) {   /* random tree shapes and orders */
                unsigned x = (unsigned)(next() % left), y = (unsigned)(next() % (left - 1));
                y += y >= x;
                struct fb_error err;
                fb_error_clear(&err);
                assert_int_equal(summary_merge(&pool[x], &pool[y], &err), 0);
                summary_free(&pool[y]);
                pool[y] = pool[left - 1];
            }
            char *got = finish_json(&w, &pool[0], explicit_as_of);
            assert_string_equal(got, want);
            free(got);
            summary_free(&pool[0]);
        }
        free(want);
    }
    funnel_def_free(&w.def);
    dict_free(w.stages);
    free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(undecided_entities_are_judged_at_the_final_as_of),
        cmocka_unit_test(aging_lists_the_longest_ages_beyond_p90),
        cmocka_unit_test(merge_sums_concatenates_and_merges_names),
        cmocka_unit_test(summaries_of_other_options_do_not_merge),
        cmocka_unit_test(shards_merged_in_any_tree_finish_as_the_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
