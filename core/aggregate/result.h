/* result.h - the finished metrics of a replay (docs/METRICS.md); all that
 * reports/ sees of the aggregator.  A double that is NaN means null. */
#ifndef FUNNEL_RESULT_H
#define FUNNEL_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include "money.h"

/* count, mean, median and p90 (nearest rank) of durations in seconds;
 * mean/median/p90 are null when count is 0. */
struct res_stats {
    uint64_t count;
    double mean_s;
    int64_t median_s, p90_s;
};

/* A 95% Wilson score interval (docs/METRICS.md §4.12); NaN ends: null. */
struct res_ci {
    double lo, hi;
};

/* How many of the ages beyond a stage's aging p90 a report lists (the
 * longest first): the aging chart draws them as dots. */
#define RES_AGING_LONGEST 20

struct res_stage {
    const char *name;          /* borrowed from the funnel definition */
    uint64_t reached;          /* within --window, without skipping under --skipped ignore */
    uint64_t reached_all;      /* today's rule: max(e) >= s (drop_rate, steepest_drop) */
    double conv_prev, conv_start;
    struct res_ci conv_prev_ci, conv_start_ci;
    int64_t stale_after_s;     /* the threshold of entities whose max(e) is this stage */
    uint64_t events, with_event, skipped;   /* quality (§4.13) */
    int has_time_in_stage;     /* 0 for the last stage */
    struct res_stats time_in_stage;
    uint64_t open, lost, stale;
    double drop_rate;
    uint64_t touches_marketing, touches_sales;
    /* Deals (docs/METRICS.md §4.19-§4.20). */
    struct money_sum open_value;   /* value(e) over open e with max(e) = s */
    double p_win;                  /* won_s / closed_s; NaN: null */
    struct res_ci p_win_ci;
    int has_aging;                 /* 0 for the last stage */
    uint64_t aging_count;          /* open entities with max(e) = s */
    double aging_median_days, aging_p90_days;   /* NaN: null */
    int has_over_median;           /* time_in_stage has a median */
    uint64_t aging_over_median;    /* as_of - T(e,s) > time_in_stage.median_s */
    uint64_t aging_beyond;         /* ages strictly above the aging p90 */
    size_t naging_longest;         /* min(aging_beyond, RES_AGING_LONGEST) */
    int64_t *aging_longest_s;      /* owned: the largest of those ages, descending */
    int has_km_median, has_km_p90; /* 0: null (and for the last stage) */
    int64_t km_median_s, km_p90_s;
};

struct res_unmapped {
    char *name;                /* owned, exact bytes as written */
    size_t len;
    uint64_t events;
};

/* What happened in one span of time (docs/METRICS.md §4.15-§4.16): c[s]
 * entities entered stage s (c[0]: entered the funnel), then c[ns] won,
 * c[ns + 1] lost, c[ns + 2] went stale; c points into the report. */
struct res_span {
    char label[24];            /* the period's label ("2026-W03"); "" for activity */
    int64_t start, end;        /* trend: [start, end); activity: (start, end] */
    const uint64_t *c;
};

/* One side of a touch lift row (docs/METRICS.md §4.22): the entities,
 * how many are won, how many closed (won, lost or stale), and
 * win_rate_closed with its interval (NaN: null). */
struct res_lift_side {
    uint64_t entities, won, closed;
    double rate;
    struct res_ci ci;
};

/* One touch type (--touches, §4.22), by name; "" is the empty touch. */
struct res_touch {
    char *name;                /* owned, NUL after len bytes */
    size_t len;
    const uint64_t *c;         /* 4 * nstages, into res_touches.counts: events [s * 2 + ch],
                                * then entities [2 ns + s * 2 + ch]; ch 0 marketing, 1 sales */
    int lift;                  /* 0 for the empty touch: it has no lift row */
    struct res_lift_side with, without;
    double difference;         /* with.rate - without.rate; NaN: null */
};

struct res_touches {
    size_t n;
    struct res_touch *t;       /* owned, sorted by name bytes */
    uint64_t *counts;          /* owned */
};

struct res_report {
    int has_as_of;
    int64_t as_of;
    int64_t stale_after_s;
    uint64_t ev_read, ev_used, ev_after_as_of, ev_unmapped;
    uint64_t entities;
    uint64_t won, lost, stale, open;
    int64_t window_s;          /* --window, 0: none */
    int skip_ignore;           /* --skipped ignore */
    double win_rate, win_rate_closed;
    struct res_ci win_rate_ci, win_rate_closed_ci;
    int drop_out_point;        /* stage index, -1 = null */
    int steepest_drop;         /* stage index, -1 = null */
    uint64_t backwards, won_then_lost;   /* quality (§4.13) */
    struct res_stats time_to_win;
    struct res_stats time_to_loss;   /* lostAt(e) - entry(e) over lost e */
    /* value (docs/METRICS.md §4.19): exact sums by status, the entities
     * with and without a value, and the doubles made from them once. */
    struct money_sum value_won, value_lost, value_stale, value_open;
    uint64_t with_value, without_value;
    double avg_won, weighted_open, velocity_per_day;   /* NaN: null */
    uint64_t unweighted_open;        /* open, with a value, p(max(e)) null */
    struct money_sum unweighted_value;
    size_t nstages;
    struct res_stage *stages;  /* owned */
    size_t nunmapped;
    struct res_unmapped *unmapped; /* owned */
    int64_t period_s;          /* P of activity (--period) */
    struct res_span activity[2];   /* (as_of - P, as_of], the P before */
    const char *trend_unit;    /* --trend's unit ("week"), NULL: no trend */
    size_t ntrend;
    struct res_span *trend;    /* owned, ntrend periods */
    uint64_t *span_counts;     /* owned: what every span's c points into */
    struct res_groups *groups;     /* owned; NULL without --by and --cohort */
    struct res_touches *touches;   /* owned; NULL without --touches (§4.22) */
};

/* One group of a breakdown, or one cohort (docs/METRICS.md §4.17, §4.18):
 * the block of the whole report for its entities alone (events, touches,
 * unmapped stages, trend and activity are the log's, so they stay 0 or
 * empty here). */
struct res_group {
    char *name;                /* owned, NUL after len bytes; NULL: the null group */
    size_t len;
    int64_t start;             /* cohorts: the period's start */
    int complete;              /* cohorts: next start + window <= as_of */
    struct res_report r;
};

/* A breakdown (--by NAME) or the cohorts, groups in report order. */
struct res_dim {
    char *name;                /* owned: the attribute as given to --by; NULL for cohorts */
    size_t n;
    struct res_group *g;       /* owned */
};

struct res_groups {
    int attribution_last;      /* --attribution last */
    int cohort;                /* 0: no cohorts, else 1 + enum period_unit */
    int64_t window_s;
    size_t nby;
    struct res_dim *dim;       /* owned: nby breakdowns, then the cohorts when cohort != 0 */
};

/* The page's stuck deals and data freshness (docs/CHARTS.md, "The page"):
 * made from the folded state by replay_visit (core/aggregate/entities.h
 * ent_stuck, core/log/logfresh.h), not from the summary. */
struct res_text {
    char *s;                   /* owned, NUL after len bytes; NULL: no value */
    size_t len;
};

/* One open entity: its id, highest stage, time there (as_of - T(e, max)),
 * value(e) and one cell per attribute of res_stuck. */
struct res_stuck_row {
    struct res_text id;
    size_t stage;
    int64_t in_stage_s;
    int has_value;
    struct money_sum value;
    struct res_text *attr;     /* points into res_stuck.cells */
};

/* The open entities longest in their stage, as `funnel entities --status
 * open --sort age` lists them, the first n. */
struct res_stuck {
    uint64_t open;             /* open entities in all */
    size_t nattr;
    struct res_text *attr_name;    /* owned, nattr names by bytes */
    size_t n;
    struct res_stuck_row *row;     /* owned */
    struct res_text *cells;        /* owned, n * nattr */
};

void res_stuck_free(struct res_stuck *s);

#define RES_FRESH_MAX_CH 4

/* The log's time range and the latest event of each channel. */
struct res_fresh {
    int has;                   /* 0: the log holds no events */
    int64_t first, last;
    size_t nch;
    struct {
        char name[16];         /* as the log spells it (cut at 15 bytes) */
        int64_t last;
    } ch[RES_FRESH_MAX_CH];
};

/* Free what a res_report owns (not the struct itself). */
void res_report_free(struct res_report *r);

#endif
