/* text_deals.h - the deal metrics of `replay --text` (docs/METRICS.md
 * §4.19-§4.20): the value block with the velocity formula spelled out,
 * and a table per stage of open value, p(win), the aging of open deals
 * and Kaplan-Meier days in stage beside the movers' median. */
#ifndef FUNNEL_TEXT_DEALS_H
#define FUNNEL_TEXT_DEALS_H

#include <stdio.h>
#include "result.h"

/* The value block of r (errors show in ferror(out)). */
void rpt_text_value(const struct res_report *r, FILE *out);

/* The deals table of r's stages, names padded to w. */
void rpt_text_stage_deals(const struct res_report *r, int w, FILE *out);

#endif
