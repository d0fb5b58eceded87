/* partfile_deals.c - undecided records and money sums in a partial state
 * file, byte for byte as docs/FORMAT.md §14.4 and §14.10 specify them; see
 * partfile_deals.h. */
#include "partfile_deals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "ftime.h"

#define DUR_MAX (FTIME_MAX - FTIME_MIN)
#define BADD(...) (snprintf(why, n, __VA_ARGS__), FB_ECORRUPT)

static int put_var(struct buf *b, uint64_t v)
{
    if (buf_reserve(b, 10) != 0)
        return FB_ENOMEM;
    b->len += put_varint(b->p + b->len, v);
    return 0;
}

/* An amount of 128 bits: low and high 64 bits as varints. */
static int put_units(struct buf *b, unsigned __int128 u)
{
    int rc = put_var(b, (uint64_t)u);
    return rc ? rc : put_var(b, (uint64_t)(u >> 64));
}

static int get_units(const unsigned char **p, const unsigned char *end, unsigned __int128 *u)
{
    uint64_t lo, hi;
    if (get_varint(p, end, &lo) != 0 || get_varint(p, end, &hi) != 0)
        return -1;
    *u = (unsigned __int128)hi << 64 | lo;
    return 0;
}

int pf_und_encode(const struct summary *s, struct buf *raw)
{
    int rc = put_var(raw, s->nund);
    for (size_t i = 0; rc == 0 && i < s->nund; i++) {
        const struct sum_und *u = &s->und[i];
        const uint64_t v[4] = {u->stage, zigzag(u->last), (uint64_t)(u->last - u->m), u->has_value};
        for (int k = 0; rc == 0 && k < 4; k++)
            rc = put_var(raw, v[k]);
        if (rc == 0 && u->has_value)
            rc = put_var(raw, u->value.k);
        if (rc == 0 && u->has_value)
            rc = put_units(raw, u->value.units);
    }
    return rc;
}

int pf_und_decode(const unsigned char **p, const unsigned char *end, struct summary *s, char *why, size_t n)
{
    uint64_t count;
    if (get_varint(p, end, &count) != 0 || count > (uint64_t)(end - *p) / 4)
        return BADD("bad count of undecided entities");
    if (!(s->und = calloc(count ? (size_t)count : 1, sizeof *s->und)))
        return FB_ENOMEM;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t stage, last, age, has, k = 0;
        struct sum_und *u = &s->und[i];
        if (get_varint(p, end, &stage) != 0 || get_varint(p, end, &last) != 0 ||
            get_varint(p, end, &age) != 0 || get_varint(p, end, &has) != 0 ||
            (has == 1 && (get_varint(p, end, &k) != 0 || get_units(p, end, &u->value.units) != 0)))
            return BADD("undecided entity %llu is cut short", (unsigned long long)i + 1);
        u->last = unzigzag(last);
        if (stage + 1 >= s->ns || has > 1 || k > MONEY_MAX_K || u->last < FTIME_MIN || u->last > FTIME_MAX ||
            age > (uint64_t)(u->last - FTIME_MIN))
            return BADD("bad fields of undecided entity %llu", (unsigned long long)i + 1);
        u->stage = (uint32_t)stage;
        u->m = u->last - (int64_t)age;
        u->has_value = (uint32_t)has;
        u->value.k = (unsigned)k;
        s->nund++;
        if (i > 0 && sum_und_cmp(u - 1, u) > 0)
            return BADD("undecided entities out of order");
    }
    return 0;
}

static int put_sum(struct buf *b, const struct money_sum *m)
{
    int rc = put_var(b, m->n);
    if (rc == 0)
        rc = put_var(b, m->k);
    if (rc == 0)
        rc = put_var(b, (uint64_t)(m->overflow != 0));
    return rc ? rc : put_units(b, m->units);
}

int pf_money_encode(const struct summary *s, struct buf *raw)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->ns; i++) {
        const struct sum_stage *st = &s->stage[i];
        const struct money_sum *m[4] = {&st->v_won, &st->v_lost, &st->v_stale, &st->v_open};
        for (int k = 0; rc == 0 && k < 4; k++)
            rc = put_sum(raw, m[k]);
    }
    return rc;
}

int pf_money_decode(const unsigned char **p, const unsigned char *end, struct summary *s, char *why, size_t n)
{
    for (size_t i = 0; i < s->ns; i++) {
        struct sum_stage *st = &s->stage[i];
        struct money_sum *m[4] = {&st->v_won, &st->v_lost, &st->v_stale, &st->v_open};
        for (int k = 0; k < 4; k++) {
            uint64_t cnt, dk, of;
            if (get_varint(p, end, &cnt) != 0 || get_varint(p, end, &dk) != 0 || get_varint(p, end, &of) != 0 ||
                get_units(p, end, &m[k]->units) != 0)
                return BADD("the money sums of stage %zu are cut short", i + 1);
            if (dk > MONEY_MAX_K || of > 1 || (cnt == 0 && (dk || of || m[k]->units)))
                return BADD("bad money sum of stage %zu", i + 1);
            m[k]->n = cnt;
            m[k]->k = (unsigned)dk;
            m[k]->overflow = (int)of;
        }
    }
    return 0;
}

int pf_deals_check(const struct summary *s, char *why, size_t n)
{
    const size_t ns = s->ns;
    uint64_t lost = 0;
    for (size_t i = 0; i < ns; i++) {
        const struct sum_stage *st = &s->stage[i];
        lost += st->lost;
        if (st->v_lost.n > st->lost || st->v_stale.n > st->stale || st->v_open.n > st->open ||
            (i + 1 < ns ? st->v_won.n != 0 : st->v_won.n > st->reached))
            return BADD("more values than entities at stage %zu", i + 1);
        if (i + 1 < ns && (s->set[SUM_AGE(ns, i)].n != st->open ||
                           s->set[SUM_CEN(ns, i)].n != st->lost + st->stale))
            return BADD("aging or censorings of stage %zu do not match its outcomes", i + 1);
    }
    if (s->set[SUM_LOSS(ns)].n != lost)
        return BADD("times to loss do not match the lost entities");
    if (s->decided && s->nund)
        return BADD("undecided entities with an explicit as_of");
    return 0;
}
