/* json_read_deals.c - the value block and the stages' deal keys of a
 * report back into struct res_report; see json_read_deals.h. */
#include "json_read_deals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read_path.h"
#include "money.h"

/* A number >= 0 and finite, or null (NaN); missing is an error. */
static int amount(const struct json_rd *c, const json_t *v, double *out, const char *what, const char *fmt,
                  const char *where, const char *key)
{
    if (json_is_null(v)) {
        *out = NAN;
        return 0;
    }
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!(d >= 0 && isfinite(d)))
        return json_rd_bad(c, v ? what : "missing", fmt, where, key);
    *out = d;
    return 0;
}

static int real_key(const struct json_rd *c, const json_t *obj, const char *key, double *out, const char *where)
{
    return amount(c, json_object_get(obj, key), out, "expected a number (finite, >= 0) or null", "%s%s",
                  where, key);
}

/* A money sum from its JSON number: the shortest decimal with at most 9
 * fraction digits that reads back as the double, parsed exactly; null is
 * the empty sum. */
static int money_key(const struct json_rd *c, const json_t *obj, const char *key, struct money_sum *out,
                     const char *where)
{
    double d;
    int rc = amount(c, json_object_get(obj, key), &d, "expected an amount (finite, >= 0) or null", "%s%s",
                    where, key);
    memset(out, 0, sizeof *out);
    if (rc || isnan(d))
        return rc;
    char text[400];
    int k = 0;
    for (; k < MONEY_MAX_K; k++) {
        snprintf(text, sizeof text, "%.*f", k, d);
        if (strtod(text, NULL) == d)
            break;
    }
    snprintf(text, sizeof text, "%.*f", k, d);
    struct money m;
    if (money_parse(text, strlen(text), &m) != 0)
        return json_rd_bad(c, "expected an amount below 2^128 billionths", "%s%s", where, key);
    money_sum_add(out, &m);
    return 0;
}

static int get_value(const struct json_rd *c, const json_t *root, struct res_report *r)
{
    const json_t *v = json_object_get(root, "value");
    if (!v)
        return 0;
    if (!json_is_object(v))
        return json_rd_bad(c, "expected an object", "value");
    static const char *const keys[4] = {"won", "lost", "stale", "open"};
    struct money_sum *const sums[4] = {&r->value_won, &r->value_lost, &r->value_stale, &r->value_open};
    int rc = 0;
    for (size_t i = 0; i < 4 && rc == 0; i++)
        rc = money_key(c, v, keys[i], sums[i], "value.");
    if (rc == 0)
        rc = json_rd_count(c, v, "with_value", &r->with_value, "value");
    if (rc == 0)
        rc = json_rd_count(c, v, "without_value", &r->without_value, "value");
    if (rc == 0)
        rc = real_key(c, v, "weighted_open", &r->weighted_open, "value.");
    return rc;
}

/* aging {count, median_days, p90_days, beyond_p90, beyond_p90_days}. */
static int get_aging(const struct json_rd *c, const json_t *a, struct res_stage *st, const char *where)
{
    char w[64];
    snprintf(w, sizeof w, "%s.aging", where);
    if (!json_is_object(a))
        return json_rd_bad(c, "expected an object or null", "%s", w);
    st->has_aging = 1;
    int rc = json_rd_count(c, a, "count", &st->aging_count, w);
    char wd[72];
    snprintf(wd, sizeof wd, "%s.", w);
    if (rc == 0)
        rc = real_key(c, a, "median_days", &st->aging_median_days, wd);
    if (rc == 0)
        rc = real_key(c, a, "p90_days", &st->aging_p90_days, wd);
    const json_t *beyond = json_object_get(a, "beyond_p90"), *days = json_object_get(a, "beyond_p90_days");
    if (rc || !beyond)   /* a report before beyond_p90 */
        return rc;
    rc = json_rd_count(c, a, "beyond_p90", &st->aging_beyond, w);
    if (rc || !days)     /* a group's block */
        return rc;
    size_t n = json_is_array(days) ? json_array_size(days) : 0;
    if (!json_is_array(days) || n > RES_AGING_LONGEST || n > st->aging_beyond)
        return json_rd_bad(c, "expected an array of at most 20 ages, and no more than beyond_p90", "%s.beyond_p90_days", w);
    if (n && !(st->aging_longest_s = malloc(n * sizeof *st->aging_longest_s)))
        return fb_fail(c->err, FB_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        double d;
        char key[32];
        snprintf(key, sizeof key, "beyond_p90_days[%zu]", k);
        rc = amount(c, json_array_get(days, k), &d, "expected a number of days (finite, >= 0)", "%s%s", wd,
                    key);
        if (rc == 0 && (isnan(d) || d > 1e8))
            rc = json_rd_bad(c, "expected a number of days (finite, >= 0)", "%s%s", wd, key);
        if (rc)
            return rc;
        st->aging_longest_s[k] = (int64_t)llround(d * 86400.0);
        st->naging_longest = k + 1;
    }
    return 0;
}

static int get_stage_deals(const struct json_rd *c, const json_t *s, struct res_stage *st, size_t i)
{
    char where[48], wd[56];
    snprintf(where, sizeof where, "stages[%zu]", i);
    snprintf(wd, sizeof wd, "%s.", where);
    const json_t *a = json_object_get(s, "aging");
    int rc = json_object_get(s, "open_value") ? money_key(c, s, "open_value", &st->open_value, wd) : 0;
    if (rc == 0 && a && !json_is_null(a))
        rc = get_aging(c, a, st, where);
    double km;
    if (rc == 0 && json_object_get(s, "km_median_days") &&
        (rc = real_key(c, s, "km_median_days", &km, wd)) == 0 && !isnan(km)) {
        if (km > 1e8)
            return json_rd_bad(c, "expected a number of days below 10^8", "%skm_median_days", wd);
        st->has_km_median = 1;
        st->km_median_s = (int64_t)llround(km * 86400.0);
    }
    return rc;
}

int rpt_json_read_deals(const json_t *root, const char *path, struct res_report *r, struct fb_error *err)
{
    const struct json_rd c = {path, err};
    r->avg_won = r->weighted_open = r->velocity_per_day = NAN;
    int rc = get_value(&c, root, r);
    const json_t *stages = json_object_get(root, "stages");
    for (size_t i = 0; rc == 0 && i < r->nstages; i++)
        rc = get_stage_deals(&c, json_array_get(stages, i), &r->stages[i], i);
    return rc;
}
