/* text_num.h - the number formats of `replay --text` (docs/DECISIONS.md,
 * "Numbers in --text"): days with one decimal below 10 and none from 10
 * on, money with thousands separators (exact sums keep their k fraction
 * digits, docs/METRICS.md §4.19), and "-" for every null. */
#ifndef FUNNEL_TEXT_NUM_H
#define FUNNEL_TEXT_NUM_H

#include <stddef.h>
#include "money.h"

/* Room for any of them: a sum's MONEY_TEXT_MAX bytes plus its commas. */
#define RPT_NUM_MAX 80

/* Days: "9.5", "10", "123"; NaN: "-". */
void rpt_num_days(char buf[RPT_NUM_MAX], double days);

/* Seconds as days (rpt_num_days); has == 0: "-". */
void rpt_num_secs(char buf[RPT_NUM_MAX], int has, int64_t secs);

/* An exact sum with separators ("1,250.50", "20.270000000"); empty or
 * overflowed: "-". */
void rpt_num_money(char buf[RPT_NUM_MAX], const struct money_sum *s);

/* A money double (avg_won, weighted_open, velocity) to cents with
 * separators ("20,853.78"); NaN: "-". */
void rpt_num_amount(char buf[RPT_NUM_MAX], double v);

#endif
