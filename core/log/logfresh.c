/* logfresh.c - the log's time range and latest event per channel; see
 * logfresh.h. */
#include "logfresh.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blocklog_format.h"

int logfresh_read(const struct logr *r, struct res_fresh *out, struct fb_error *err)
{
    const struct dict *ch = logr_dict(r, BLOG_D_CHANNEL);
    memset(out, 0, sizeof *out);
    if (!r->scan.events || !ch)
        return 0;
    out->has = 1;
    out->first = r->scan.min_time;
    out->last = r->scan.max_time;
    uint32_t nch = dict_size(ch);   /* id 0 is no channel */
    int64_t latest[RES_FRESH_MAX_CH + 1];
    int found[RES_FRESH_MAX_CH + 1] = {0};
    nch = nch > RES_FRESH_MAX_CH + 1 ? RES_FRESH_MAX_CH + 1 : nch;
    /* before[i]: the latest event time of blocks 0 .. i-1, so the walk back
     * stops once no earlier block can hold a later event. */
    int64_t *before = malloc((r->nev + 1) * sizeof *before);
    if (!before)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    before[0] = INT64_MIN;
    for (size_t i = 0; i < r->nev; i++) {
        int64_t b = logr_block(r, i)->h.b;
        before[i + 1] = b > before[i] ? b : before[i];
    }
    struct logr_want want = {.cols = (1u << BLOG_C_TIME) | (1u << BLOG_C_CHANNEL)};
    struct logr_cursor c;
    int rc = logr_cursor_init(&c, r, &want, 0, r->nev, err);
    for (size_t i = r->nev; rc == 0 && i-- > 0;) {
        int64_t least = INT64_MAX;
        for (uint32_t k = 1; k < nch; k++)
            least = !found[k] ? INT64_MIN : latest[k] < least ? latest[k] : least;
        if (nch > 1 && least != INT64_MIN && before[i + 1] <= least)
            break;
        rc = logr_decode(&c, i, err);
        const uint32_t *id = c.cols.ids[EVB_IDX(BLOG_C_CHANNEL)];
        for (uint32_t j = 0; rc == 0 && j < c.cols.n; j++) {
            uint32_t k = id[j];
            if (k > 0 && k < nch && (!found[k] || c.cols.time[j] > latest[k])) {
                found[k] = 1;
                latest[k] = c.cols.time[j];
            }
        }
    }
    logr_cursor_free(&c);
    free(before);
    for (uint32_t k = 1; rc == 0 && k < nch; k++) {
        if (!found[k])
            continue;
        size_t len;
        const char *s = dict_str(ch, k, &len);
        len = len < sizeof out->ch[0].name ? len : sizeof out->ch[0].name - 1;
        memcpy(out->ch[out->nch].name, s, len);
        out->ch[out->nch].name[len] = '\0';
        out->ch[out->nch++].last = latest[k];
    }
    return rc;
}
