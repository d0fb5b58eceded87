/* test_touches.c - --touches in the part (docs/METRICS.md §4.22,
 * docs/DECISIONS.md): the touch bits are OR-merged and the event counts
 * summed, so any split of the events over parts, added in any order and
 * merged in any order (or folded by threads into one shared array), gives
 * the same summary and the same report bytes as one part of all events;
 * and the cap on (stage, channel, touch) combinations. */
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
#include "funnel_def.h"
#include "json_report.h"
#include "result.h"
#include "touches.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1700000000)
#define NEV 600
#define NENT 40
#define NTOUCH 13   /* "" and t01 .. t12: 3 x 2 x 13 = 78 combinations, two cells */

struct world {
    struct funnel_def def;
    struct dict *stages, *touches;
    int32_t stage_map[5];         /* "", a, b, c, x (unmapped) */
    uint8_t sales[3];             /* "", marketing, sales */
    uint8_t lost[2];
    struct funnel_maps maps;
};

struct ev {
    int64_t t;
    uint32_t e, stage, chan, touch, lost;
};

static void world_new(struct world *w)
{
    struct fb_error err;
    memset(w, 0, sizeof *w);
    fb_error_clear(&err);
    assert_int_equal(funnel_def_from_list(&w->def, "a,b,c", &err), 0);
    w->stages = dict_new(0);
    w->touches = dict_new(0);
    assert_non_null(w->stages);
    assert_non_null(w->touches);
    static const char *const st[] = {"a", "b", "c", "x"};
    uint32_t id;
    for (int i = 0; i < 4; i++)
        assert_int_equal(dict_intern(w->stages, st[i], 1, &id, NULL), 0);
    for (int i = 1; i < NTOUCH; i++) {
        char name[8];
        snprintf(name, sizeof name, "t%02d", i);
        assert_int_equal(dict_intern(w->touches, name, strlen(name), &id, NULL), 0);
    }
    assert_int_equal(dict_size(w->touches), NTOUCH);
    const int32_t map[5] = {-1, 0, 1, 2, -1};
    memcpy(w->stage_map, map, sizeof map);
    w->sales[2] = 1;
    w->lost[1] = 1;
    w->maps = (struct funnel_maps){w->stage_map, 5, w->sales, w->lost, 0, NULL, NULL, 0, NULL, NULL, 0, 0};
}

static void world_free(struct world *w)
{
    funnel_def_free(&w->def);
    dict_free(w->stages);
    dict_free(w->touches);
}

static void random_events(struct ev *ev, unsigned seed)
{
    srand(seed);
    for (size_t i = 0; i < NEV; i++) {
        ev[i].t = T0 + (rand() % 90) * DAY / 2;   /* some after as_of = T0 + 40d */
        ev[i].e = (uint32_t)(rand() % NENT);
        ev[i].stage = (uint32_t)(1 + rand() % 4);
        ev[i].chan = (uint32_t)(1 + rand() % 2);
        ev[i].touch = (uint32_t)(rand() % 3 == 0 ? 0 : rand() % NTOUCH);
        ev[i].lost = rand() % 9 == 0;
    }
}

static void cols_of(const struct ev *ev, const size_t *idx, size_t n, struct evb_cols *c)
{
    assert_int_equal(evb_cols_init(c, (uint32_t)(n ? n : 1), 0), 0);
    c->n = (uint32_t)n;
    for (size_t k = 0; k < n; k++) {
        const struct ev *x = &ev[idx[k]];
        c->time[k] = x->t;
        c->ids[EVB_IDX(BLOG_C_ENTITY)][k] = x->e;
        c->ids[EVB_IDX(BLOG_C_STAGE)][k] = x->stage;
        c->ids[EVB_IDX(BLOG_C_CHANNEL)][k] = x->chan;
        c->ids[EVB_IDX(BLOG_C_TOUCH)][k] = x->touch;
        c->ids[EVB_IDX(BLOG_C_OUTCOME)][k] = x->lost;
    }
}

static void add_idx(struct part *p, const struct ev *ev, const size_t *idx, size_t n)
{
    struct evb_cols c;
    cols_of(ev, idx, n, &c);
    part_add(p, &c);
    evb_cols_free(&c);
}

/* The report of p (spent) as JSON text (free it), its summary's touches
 * checked for the invariants on the way. */
static char *report_of(struct world *w, struct part *p, int provisional)
{
    struct summary s;
    struct res_report r;
    struct fb_error err;
    fb_error_clear(&err);
    const struct part_summary_opts o = {w->stages, provisional, 1, NULL, NULL, NULL};
    assert_int_equal(part_summarise(p, &o, &s, &err), 0);
    assert_non_null(s.touches);
    for (size_t i = 0; i < s.touches->n; i++) {
        const struct sum_touch *x = &s.touches->t[i];
        assert_true(x->won + x->lost <= x->with);
        assert_true(x->with <= s.entities);
    }
    assert_int_equal(summary_finish(&s, &w->def, 1, &r, &err), 0);
    assert_non_null(r.touches);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(rpt_json_write(&r, f, &err), 0);
    fclose(f);
    res_report_free(&r);
    summary_free(&s);
    assert_non_null(strstr(text, "\"touch_lift\""));
    return text;
}

static void shuffle(size_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rand() % i, t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static void test_or_merge_any_split(void **state)
{
    (void)state;
    struct world w;
    world_new(&w);
    static struct ev ev[NEV];
    static size_t all[NEV];
    const int64_t as_of = T0 + 40 * DAY;
    for (unsigned seed = 1; seed <= 25; seed++) {
        random_events(ev, seed);
        for (size_t i = 0; i < NEV; i++)
            all[i] = i;
        struct part *one = part_new_touches(&w.def, NENT, as_of, 10 * DAY, &w.maps, w.touches);
        assert_non_null(one);
        add_idx(one, ev, all, NEV);
        char *want = report_of(&w, one, 0);
        part_free(one);

        /* k parts of a random split, each added in a shuffled order, merged
         * in a random order into a random one of them. */
        size_t k = 1 + seed % 5;
        struct part *p[5];
        size_t *idx[5], n[5] = {0};
        for (size_t j = 0; j < k; j++) {
            assert_non_null(p[j] = part_new_touches(&w.def, NENT, as_of, 10 * DAY, &w.maps, w.touches));
            assert_non_null(idx[j] = malloc(NEV * sizeof *idx[j]));
        }
        shuffle(all, NEV);
        for (size_t i = 0; i < NEV; i++) {
            size_t j = (size_t)rand() % k;
            idx[j][n[j]++] = all[i];
        }
        for (size_t j = 0; j < k; j++) {
            size_t half = n[j] / 2;   /* two adds per part */
            add_idx(p[j], ev, idx[j], half);
            add_idx(p[j], ev, idx[j] + half, n[j] - half);
        }
        size_t into = (size_t)rand() % k;
        struct fb_error err;
        for (size_t j = 0; j < k; j++)
            if (j != into)
                assert_int_equal(part_merge(p[into], p[j], &err), 0);
        char *got = report_of(&w, p[into], 0);
        assert_string_equal(got, want);
        free(got);
        for (size_t j = 0; j < k; j++) {
            part_free(p[j]);
            free(idx[j]);
        }
        free(want);
    }
    world_free(&w);
}

/* Parts sharing one array (threads): each folds only its own entities,
 * then the counters merge; the report is the single part's. */
static void test_shared_array(void **state)
{
    (void)state;
    struct world w;
    world_new(&w);
    static struct ev ev[NEV];
    static size_t all[NEV];
    const int64_t as_of = T0 + 40 * DAY;
    random_events(ev, 99);
    for (size_t i = 0; i < NEV; i++)
        all[i] = i;
    struct part *one = part_new_touches(&w.def, NENT, as_of, 10 * DAY, &w.maps, w.touches);
    add_idx(one, ev, all, NEV);
    char *want = report_of(&w, one, 1);
    part_free(one);

    struct part *base = part_new_touches(&w.def, NENT, as_of, 10 * DAY, &w.maps, w.touches), *mine[3];
    struct evb_cols c;
    cols_of(ev, all, NEV, &c);
    uint32_t sel[3][NEV], ns[3] = {0};
    for (uint32_t i = 0; i < NEV; i++)
        sel[ev[i].e % 3][ns[ev[i].e % 3]++] = i;
    for (int t = 0; t < 3; t++) {
        assert_non_null(mine[t] = part_new_sharing(base));
        part_add_sel(mine[t], &c, sel[t], ns[t]);
    }
    struct fb_error err;
    for (int t = 0; t < 3; t++)
        assert_int_equal(part_merge(base, mine[t], &err), 0);
    for (int t = 0; t < 3; t++)
        part_free(mine[t]);
    evb_cols_free(&c);
    char *got = report_of(&w, base, 1);
    assert_string_equal(got, want);
    free(got);
    free(want);
    part_free(base);
    world_free(&w);
}

/* TOUCH_MAX_COMBOS: 3 stages x 2 channels x 170 touch ids = 1,020 fit,
 * x 171 = 1,026 do not (replay.c words the usage error). */
static void test_combo_cap(void **state)
{
    (void)state;
    struct world w;
    world_new(&w);
    struct dict *d = dict_new(0);
    assert_non_null(d);
    uint32_t id;
    for (int i = 1; i < 170; i++) {   /* ids 0 ("") .. 169 */
        char name[8];
        snprintf(name, sizeof name, "n%d", i);
        assert_int_equal(dict_intern(d, name, strlen(name), &id, NULL), 0);
    }
    assert_int_equal(dict_size(d), 170);
    struct part *p = part_new_touches(&w.def, 4, T0, DAY, &w.maps, d);
    assert_non_null(p);
    part_free(p);
    assert_int_equal(dict_intern(d, "one more", 8, &id, NULL), 0);
    assert_null(part_new_touches(&w.def, 4, T0, DAY, &w.maps, d));
    dict_free(d);
    world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_or_merge_any_split),
        cmocka_unit_test(test_shared_array),
        cmocka_unit_test(test_combo_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
