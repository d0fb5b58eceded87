/* money.c - exact decimal amounts (money.h).  STUB: replaced by the full
 * implementation; only here so the interface builds. */
#include "money.h"
#include <math.h>
#include <string.h>

int money_parse(const char *s, size_t len, struct money *out)
{
    (void)s;
    (void)len;
    memset(out, 0, sizeof *out);
    return -1;
}

int money_cmp(const struct money *a, const struct money *b)
{
    return (a->units > b->units) - (a->units < b->units);
}

void money_sum_add(struct money_sum *s, const struct money *m)
{
    s->units += m->units;
    s->n++;
    s->k = m->k > s->k ? m->k : s->k;
}

void money_sum_merge(struct money_sum *into, const struct money_sum *from)
{
    into->units += from->units;
    into->n += from->n;
    into->k = from->k > into->k ? from->k : into->k;
    into->overflow |= from->overflow;
}

size_t money_format(const struct money_sum *s, char buf[MONEY_TEXT_MAX])
{
    (void)s;
    buf[0] = 0;
    return 0;
}

double money_to_double(const struct money_sum *s)
{
    return s->n ? (double)s->units : NAN;
}
