/* replay.h - replay a log into the metrics: scan it, map its dictionaries
 * onto the funnel, decode the committed EVENTS blocks and aggregate them
 * (docs/METRICS.md §1-§3).  Readers take no lock: they see the batches
 * committed when the scan ran (docs/FORMAT.md §9). */
#ifndef FUNNEL_REPLAY_H
#define FUNNEL_REPLAY_H

#include <stdint.h>
#include "err.h"
#include "funnel_def.h"
#include "groups.h"
#include "quality.h"
#include "result.h"
#include "shardset.h"
#include "summary.h"

/* The most threads a replay runs; each holds two blocks' buffers, about
 * 6 MB. */
#define REPLAY_MAX_THREADS 256

struct replay_opts {
    const struct funnel_def *def;
    int has_as_of;          /* else as_of = the latest event time in the log */
    int64_t as_of;
    int64_t stale_after;    /* the default; def->stale_after may set stages' own */
    struct qual_conv conv;  /* --window, --skipped (docs/METRICS.md §4.11) */
    unsigned threads;       /* decoding and folding threads; 0 or 1: this one */
    int trend;              /* --trend: 0 none, else 1 + enum period_unit */
    int64_t period;         /* --period of activity; 0: TREND_DEFAULT_PERIOD */
    struct groups_opts groups;   /* --by, --attribution, --cohort (groups.h) */
    int touches;            /* --touches (docs/METRICS.md §4.22); not for replay_visit */
    int64_t log_end;        /* read the batches committed by this offset only (0: all):
                             * replays of one snapshot (replay_info.tail_offset) */
};

/* o's --trend and --period as the aggregator takes them. */
struct trend_opts replay_trend_opts(const struct replay_opts *o);

/* What the replay saw of the file besides the metrics. */
struct replay_info {
    int64_t tail_len;        /* torn tail ignored (0: none) */
    int64_t tail_offset;     /* the end of the last committed batch */
    char tail_reason[160];
    uint64_t batches, blocks;
};

/* Replay path into the metrics: replay_summary, then summary_finish, the
 * path `funnel merge` finishes by too.  Returns 0 (fill *out; free with
 * res_report_free), FB_ECORRUPT, FB_EIO or FB_ENOMEM. */
int replay_log(const char *path, const struct replay_opts *o, struct res_report *out,
               struct replay_info *info, struct fb_error *err) FB_MUST_USE;

/* Shard `index` of a set, checked before it is replayed. */
struct replay_shard {
    const struct shardset *set;
    uint32_t index;
};

/* Replay path into its entity-free summary (summary_free it in every case).
 * With shard, path is that shard of the set: its batches must match the
 * manifest (docs/FORMAT.md §13.2) and every entity in it must hash to it
 * (§13.1), else FB_ECORRUPT; and without o->has_as_of the summary is not
 * decided (its undecided entities are classified when the shards are
 * merged, at the latest event of the set: docs/FORMAT.md §14).  Returns 0,
 * FB_ECORRUPT, FB_EIO or FB_ENOMEM. */
int replay_summary(const char *path, const struct replay_opts *o, const struct replay_shard *shard,
                   struct summary *out, struct replay_info *info, struct fb_error *err) FB_MUST_USE;

/* ---- the folded state itself: entity lists and explain ---- */

struct part;
struct logr;

/* What a visitor sees (all borrowed, valid during the call): the folded
 * state (funnel.h part_row; never summarised), whose attribution cells are
 * one per attribute of the log, cell k for attribute name id attr[k], by
 * o's --attribution; the reader with its dictionaries (stage, channel,
 * outcome, attribute names and values, and the visitor's `dicts`); the
 * ranks of the values (values->id_of); the funnel index of each stage id
 * (-1: unmapped); and as_of. */
struct replay_view {
    const struct part *part;
    const struct logr *r;
    const uint32_t *attr;
    uint32_t nattr;
    const struct groups_values *values;
    const int32_t *stage_map;
    int64_t as_of;
};

struct replay_visitor {
    unsigned dicts;   /* more dictionaries to load: bit 1 << BLOG_D_* */
    int (*fn)(void *ctx, const struct replay_view *v, struct fb_error *err);
    void *ctx;
};

/* Fold path exactly as replay_summary does with o (its threads, its as_of,
 * its --by checked), with an attribution cell for every attribute of the
 * log, then call visit->fn with the state instead of summarising it.
 * Returns fn's result, or FB_ECORRUPT, FB_EIO, FB_EUSAGE or FB_ENOMEM. */
int replay_visit(const char *path, const struct replay_opts *o, const struct replay_visitor *visit,
                 struct replay_info *info, struct fb_error *err) FB_MUST_USE;

#endif
