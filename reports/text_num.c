/* text_num.c - number formats of `replay --text`; see text_num.h. */
#include "text_num.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rpt_num_days(char buf[RPT_NUM_MAX], double days)
{
    if (isnan(days)) {
        snprintf(buf, RPT_NUM_MAX, "-");
        return;
    }
    /* Decide on the rounded text, so 9.96 is "10", not "10.0": a tenth
     * of a day matters for a deal a few days old, not for one stuck for
     * months (docs/DECISIONS.md, "Numbers in --text"). */
    snprintf(buf, RPT_NUM_MAX, "%.1f", days);
    if (days >= 9.95 && strcmp(buf, "9.9") != 0)
        snprintf(buf, RPT_NUM_MAX, "%.0f", days);
}

void rpt_num_secs(char buf[RPT_NUM_MAX], int has, int64_t secs)
{
    rpt_num_days(buf, has ? (double)secs / 86400.0 : NAN);
}

/* Digits[.fraction] in src into buf with a comma every three integer
 * digits; src is short enough for buf (at most MONEY_TEXT_MAX bytes). */
static void group(char buf[RPT_NUM_MAX], const char *src)
{
    size_t ni = strcspn(src, "."), o = 0;
    for (size_t i = 0; i < ni; i++) {
        if (i && (ni - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = src[i];
    }
    snprintf(buf + o, RPT_NUM_MAX - o, "%s", src + ni);
}

void rpt_num_money(char buf[RPT_NUM_MAX], const struct money_sum *s)
{
    char t[MONEY_TEXT_MAX];
    if (money_format(s, t) == 0)
        snprintf(buf, RPT_NUM_MAX, "-");
    else
        group(buf, t);
}

void rpt_num_amount(char buf[RPT_NUM_MAX], double v)
{
    char t[MONEY_TEXT_MAX];
    /* Past 1e40 %.2f needs more room than a sum could ever have: such a
     * double cannot come from sums below 2^128 units of 1e-9 and whole
     * counts, so "-" is never shown for a real value. */
    if (isnan(v) || !(fabs(v) < 1e40))
        snprintf(buf, RPT_NUM_MAX, "-");
    else {
        snprintf(t, sizeof t, "%.2f", v);
        group(buf, t);
    }
}
