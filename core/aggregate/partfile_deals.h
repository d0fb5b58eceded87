/* partfile_deals.h - the deal parts of a summary in a partial state file
 * (docs/FORMAT.md §14.4, §14.10): the undecided entities as records and
 * the money sums of every stage, shared by the whole summary's sections
 * and by every group of section 7. */
#ifndef FUNNEL_PARTFILE_DEALS_H
#define FUNNEL_PARTFILE_DEALS_H

#include <stddef.h>
#include "buf.h"
#include "summary.h"

/* Append s's undecided records (sorted: summary_sort) / its stages' money
 * sums to raw.  Return 0 or FB_ENOMEM. */
int pf_und_encode(const struct summary *s, struct buf *raw);
int pf_money_encode(const struct summary *s, struct buf *raw);

/* Read them from *p (advanced) up to end into s (ns set).  Return 0,
 * FB_ECORRUPT with what is wrong in why, or FB_ENOMEM. */
int pf_und_decode(const unsigned char **p, const unsigned char *end, struct summary *s, char *why, size_t n);
int pf_money_decode(const unsigned char **p, const unsigned char *end, struct summary *s, char *why,
                    size_t n);

/* The deal counts of s must agree with its outcome counts and sets
 * (§14.5): returns 0, or FB_ECORRUPT with why. */
int pf_deals_check(const struct summary *s, char *why, size_t n);

#endif
