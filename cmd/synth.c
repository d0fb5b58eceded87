/* synth.c - synthetic funnel events for `funnel gen`; see synth.h.
 * Every random choice comes from a splitmix64 stream keyed by (seed, entity,
 * stage), so any pass can regenerate any lead exactly: one pass counts events
 * per day, the next writes them straight into day order.  That needs no sort
 * and holds only 12 bytes per buffered event.
 */
#include "synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ftime.h"

/* Scale arithmetic needs 128 bits; gcc and clang have it on 64-bit targets. */
__extension__ typedef unsigned __int128 u128;

#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)
#define ONE32 (UINT64_C(1) << 32)   /* 1.0 in Q32 */
#define MU_MAX (UINT64_C(1) << 62)  /* a sane bound on touches per stage, Q32 */
#define DAY 86400
#define FIT_ROUNDS 8  /* count passes spent on meeting --events */

enum { N_STAGES = 7, N_TOUCHES = 10, N_SEG = 3, N_SRC = 8, N_OWNERS = 40 };
enum { ST_SUSPECT, ST_PROSPECT, ST_INTERESTED, ST_ENGAGED, ST_EVALUATING,
       ST_NEGOTIATING, ST_PURCHASING };
enum mode { MODE_COUNT, MODE_STORE, MODE_STREAM };
enum { TOUCH_CALL = 5, TOUCH_EMAIL = 7 };

struct name {
    const char *s;
    size_t len;
};
#define NM(x) {x, sizeof x - 1}

static const struct name stage_name[N_STAGES] = {
    NM("suspect"), NM("prospect"), NM("interested"), NM("engaged"),
    NM("evaluating"), NM("negotiating"), NM("purchasing")};
/* The rare hand-typed variants, so reports have unmapped stages to show. */
static const struct name stage_typo[N_STAGES] = {
    NM("suspect"), NM("prospect"), NM("interested"), NM("engaged"),
    NM("evaluation"), NM("negociating"), NM("purchasing")};
/* Out of 256 per event in that stage: ~0.1% of all events overall. */
static const unsigned typo_per256[N_STAGES] = {0, 0, 0, 0, 2, 2, 0};

/* channel,touch; touches 0-4 are marketing, 5-9 sales. */
static const struct name touch_name[N_TOUCHES] = {
    NM("marketing,newsletter"), NM("marketing,webinar"),
    NM("marketing,trade_show"), NM("marketing,whitepaper"),
    NM("marketing,ad_click"), NM("sales,call"), NM("sales,meeting"),
    NM("sales,email"), NM("sales,demo"), NM("sales,proposal")};
/* Percent per touch and stage: marketing early, sales late. */
static const unsigned char touch_pct[N_STAGES][N_TOUCHES] = {
    {30, 12, 6, 12, 30, 3, 0, 7, 0, 0},
    {24, 14, 8, 14, 20, 7, 2, 10, 1, 0},
    {18, 16, 8, 12, 11, 12, 5, 14, 4, 0},
    {12, 12, 6, 8, 7, 14, 12, 16, 12, 1},
    {6, 7, 4, 5, 3, 14, 18, 18, 20, 5},
    {3, 3, 1, 2, 1, 18, 24, 22, 6, 20},
    {2, 1, 0, 1, 1, 12, 20, 24, 2, 37}};

static const struct name seg_name[N_SEG] = {
    NM("smb"), NM("mid-market"), NM("enterprise")};
static const unsigned seg_pct[N_SEG] = {55, 30, 15};
static const struct name src_name[N_SRC] = {
    NM("web"), NM("referral"), NM("event"), NM("partner"), NM("outbound"),
    NM("paid_search"), NM("organic_social"), NM("content")};
/* Percent per source and segment: big accounts come from outbound and events. */
static const unsigned char src_pct[N_SEG][N_SRC] = {
    {30, 8, 4, 5, 6, 25, 12, 10},
    {22, 12, 10, 10, 16, 14, 6, 10},
    {10, 14, 20, 18, 26, 4, 2, 6}};
static const struct name owner_name[N_OWNERS] = {
    NM("alice.ng"), NM("bob.okafor"), NM("carmen.diaz"), NM("dev.patel"),
    NM("elena.rossi"), NM("farid.haddad"), NM("grace.kim"), NM("hugo.martin"),
    NM("ines.silva"), NM("jamal.brown"), NM("kenji.sato"), NM("lena.schmidt"),
    NM("mateo.garcia"), NM("nadia.ali"), NM("oscar.lind"), NM("priya.raman"),
    NM("quinn.oconnor"), NM("rosa.mendez"), NM("samir.khan"), NM("tara.walsh"),
    NM("uma.iyer"), NM("victor.chen"), NM("wendy.zhou"), NM("xavier.dubois"),
    NM("yara.nasser"), NM("zoe.taylor"), NM("aaron.blake"), NM("bianca.moretti"),
    NM("caleb.wright"), NM("daria.ivanova"), NM("emil.novak"), NM("fiona.reid"),
    NM("gabriel.santos"), NM("hana.yamada"), NM("ivan.petrov"), NM("julia.weber"),
    NM("kofi.mensah"), NM("leila.farah"), NM("marco.bianchi"), NM("nora.hughes")};
/* Each segment has its own team; neighbouring teams share a few people. */
static const unsigned owner_lo[N_SEG] = {0, 14, 28}, owner_n[N_SEG] = {18, 16, 12};

/* Step conversions in per mille (stage s to s+1), nudged by segment and source. */
static const int conv_pm[N_STAGES - 1] = {720, 620, 580, 520, 480, 560};
static const int seg_conv[N_SEG] = {20, 0, -30};
static const int src_conv[N_SRC] = {0, 60, 10, 40, -40, -30, -10, 0};
#define START_PROSPECT_PCT 15
#define SKIP_PER65536 1966  /* 3% of advances jump a stage */
#define LOST_PM 150         /* explicit lost outcome among leads that stop */

/* Median days spent per stage, stretched per segment (per mille). */
static const unsigned dwell_days[N_STAGES] = {3, 5, 8, 12, 16, 21, 6};
static const unsigned seg_dwell_pm[N_SEG] = {700, 1000, 1500};
/* Mean touches per stage at scale 1, Q8; later stages get more attention. */
static const unsigned touch_base8[N_STAGES] = {512, 640, 768, 896, 1024, 1152, 640};
static const unsigned deal_median[N_SEG] = {9000, 40000, 160000};

/* Weight of each hour of the day, summing to 256: office hours dominate. */
static const unsigned char hour_w[24] = {
    1, 1, 1, 1, 1, 2, 4, 10, 20, 26, 27, 24, 14, 22, 27, 24, 22, 12, 6, 4, 3, 2, 1, 1};

/* exp(0.8 * z) in Q12 at the 256 quantiles of the standard normal: a
 * log-normal multiplier with median 1, in integers so every machine agrees. */
static const uint32_t lognorm_q12[256] = {
    407, 545, 632, 701, 759, 811, 858, 902, 943, 982, 1019, 1054,
    1089, 1122, 1154, 1185, 1216, 1245, 1275, 1303, 1332, 1359, 1387, 1414,
    1440, 1467, 1493, 1519, 1544, 1569, 1595, 1619, 1644, 1669, 1693, 1718,
    1742, 1766, 1790, 1814, 1838, 1861, 1885, 1909, 1932, 1956, 1979, 2003,
    2026, 2049, 2073, 2096, 2119, 2143, 2166, 2189, 2213, 2236, 2259, 2283,
    2306, 2329, 2353, 2376, 2400, 2423, 2447, 2470, 2494, 2518, 2541, 2565,
    2589, 2613, 2637, 2661, 2685, 2710, 2734, 2758, 2783, 2807, 2832, 2857,
    2881, 2906, 2931, 2956, 2982, 3007, 3032, 3058, 3084, 3109, 3135, 3161,
    3187, 3214, 3240, 3267, 3293, 3320, 3347, 3374, 3402, 3429, 3457, 3485,
    3512, 3541, 3569, 3597, 3626, 3655, 3684, 3713, 3742, 3772, 3802, 3832,
    3862, 3893, 3923, 3954, 3985, 4017, 4048, 4080, 4112, 4144, 4177, 4210,
    4243, 4276, 4310, 4344, 4378, 4413, 4448, 4483, 4518, 4554, 4590, 4627,
    4664, 4701, 4739, 4776, 4815, 4853, 4893, 4932, 4972, 5012, 5053, 5094,
    5136, 5178, 5220, 5264, 5307, 5351, 5396, 5441, 5487, 5533, 5580, 5627,
    5675, 5724, 5773, 5823, 5873, 5925, 5977, 6029, 6083, 6137, 6192, 6248,
    6304, 6362, 6420, 6480, 6540, 6601, 6664, 6727, 6791, 6857, 6924, 6992,
    7061, 7131, 7203, 7276, 7350, 7426, 7504, 7583, 7663, 7746, 7830, 7916,
    8004, 8094, 8186, 8281, 8378, 8477, 8578, 8683, 8790, 8900, 9013, 9129,
    9249, 9373, 9500, 9632, 9767, 9908, 10053, 10204, 10360, 10522, 10690, 10866,
    11049, 11239, 11439, 11648, 11868, 12099, 12342, 12599, 12872, 13162, 13471, 13801,
    14156, 14540, 14956, 15411, 15911, 16465, 17085, 17788, 18597, 19544, 20681, 22093,
    23933, 26528, 30766, 41203};

static const char digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* ---- random streams ---------------------------------------------------- */

struct rng {
    uint64_t s;
};

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* splitmix64: the state is a counter, so skipping a draw is s += GOLDEN. */
static inline uint64_t rng_next(struct rng *r)
{
    return mix64(r->s += GOLDEN);
}

/* A number in [0, n) from the top 32 bits of r (n < 2^32). */
static inline uint32_t below(uint64_t r, uint64_t n)
{
    return (uint32_t)(((r >> 32) * n) >> 32);
}

/* ---- per-lead facts ---------------------------------------------------- */

struct attrs {
    unsigned seg, src, owner;
};

/* A lead's path: the stages it visits, when, and how it ends. */
struct path {
    int n;
    int lost;
    unsigned stage[N_STAGES];
    int64_t day[N_STAGES];  /* first day in the stage, from day 0 */
    int64_t len[N_STAGES];  /* days in the stage, >= 1 */
};

/* One buffered event.  time = sec from the start; info packs stage (3 bits),
 * typo (1), touch (4) and lost (1). */
struct ev {
    uint32_t sec;
    uint32_t ent;
    uint32_t info;
};

struct outbuf {
    FILE *f;
    char *p;
    size_t len;
    uint64_t rows;
    struct fb_error *err;
};
#define OB_CAP (1u << 20)
#define OB_ROOM 256  /* more than the longest row */

struct gen {
    const struct synth_opts *o;
    int64_t days;
    unsigned wd0;  /* weekday of day 0, 0 = Monday */
    uint64_t key_path, key_touch, key_attr, key_deal, key_day;
    uint64_t scale;   /* touches per base touch, Q32 */
    uint64_t lost_p;  /* chance a lost event is kept, Q32 */
    unsigned char hour_lut[256];
    unsigned char touch_lut[N_STAGES][100];
    enum mode mode;
    int64_t wlo, whi;  /* the days this pass keeps: [wlo, whi) */
    uint64_t *count;   /* MODE_COUNT: events per day */
    struct ev *rec;    /* MODE_STORE: the window's events ... */
    uint64_t *pos;     /* ... next free slot per day of the window */
    uint64_t nrec;
    int broken;        /* a pass disagreed with the count */
    struct outbuf *ob; /* MODE_STREAM */
    char prefix[24];   /* MODE_STREAM: "YYYY-MM-DDT" of day wlo */
};

static struct attrs entity_attrs(const struct gen *g, uint32_t ent)
{
    uint64_t h = mix64(g->key_attr + ent * GOLDEN);
    struct attrs a = {0, 0, 0};
    unsigned pct = (unsigned)(((h & 0xffff) * 100) >> 16), acc = 0;
    while (a.seg < N_SEG - 1 && pct >= acc + seg_pct[a.seg])
        acc += seg_pct[a.seg++];
    pct = (unsigned)((((h >> 16) & 0xffff) * 100) >> 16);
    acc = 0;
    while (a.src < N_SRC - 1 && pct >= acc + src_pct[a.seg][a.src])
        acc += src_pct[a.seg][a.src++];
    /* Half the leads go to whoever is lowest on the list of two picks, so
     * some owners carry more leads than others. */
    unsigned x = (unsigned)((((h >> 32) & 0x7fff) * owner_n[a.seg]) >> 15);
    unsigned y = (unsigned)((((h >> 47) & 0x7fff) * owner_n[a.seg]) >> 15);
    a.owner = owner_lo[a.seg] + ((h >> 63) && y < x ? y : x);
    return a;
}

/* Deal value in whole dollars: log-normal around the segment's median,
 * rounded to tens. */
static uint64_t deal_dollars(const struct gen *g, uint32_t ent, unsigned seg)
{
    uint64_t h = mix64(g->key_deal + ent * GOLDEN);
    unsigned i = (unsigned)(h & 255), f = (unsigned)((h >> 8) & 255);
    uint64_t m = lognorm_q12[i];
    if (i < 255)
        m += (uint64_t)(lognorm_q12[i + 1] - lognorm_q12[i]) * f / 256;
    uint64_t v = ((uint64_t)deal_median[seg] * m / 4096 + 5) / 10 * 10;
    return v < 500 ? 500 : v;
}

static inline int is_weekend(const struct gen *g, int64_t day)
{
    return (g->wd0 + (uint64_t)day) % 7 >= 5;
}

static int64_t dwell(unsigned stage, unsigned seg, uint64_t r)
{
    uint64_t d = (uint64_t)dwell_days[stage] * seg_dwell_pm[seg] * lognorm_q12[r & 255];
    d = (d + 2048 * 1000) / (4096 * 1000);
    return d ? (int64_t)d : 1;
}

/* Walk one lead through the funnel.  Entry days avoid weekends; each step
 * forward is a weighted coin; a lead that stops is sometimes marked lost. */
static void make_path(const struct gen *g, uint32_t ent, const struct attrs *a,
                      struct path *p)
{
    struct rng r = {mix64(g->key_path + ent * GOLDEN)};
    int64_t d = below(rng_next(&r), (uint64_t)g->days);
    uint64_t w = rng_next(&r);
    if (is_weekend(g, d) && (w & 0xffff) < 39322)  /* 60%: enter another day */
        d = below(w, (uint64_t)g->days);
    unsigned s = below(rng_next(&r), 100) < START_PROSPECT_PCT ? ST_PROSPECT : ST_SUSPECT;
    p->n = 0;
    p->lost = 0;
    for (;;) {
        p->stage[p->n] = s;
        p->day[p->n] = d;
        p->len[p->n] = dwell(s, a->seg, rng_next(&r));
        d += p->len[p->n++];
        if (s == ST_PURCHASING || d >= g->days)
            break;  /* won, or the rest falls after the period */
        int conv = conv_pm[s] + seg_conv[a->seg] + src_conv[a->src];
        uint64_t c = rng_next(&r);
        if ((int)below(c, 1000) < conv) {
            s++;
            if (s < ST_PURCHASING && (c & 0xffff) < SKIP_PER65536)
                s++;
            continue;
        }
        p->lost = below(rng_next(&r), 1000) < LOST_PM;
        break;
    }
}

/* ---- output ------------------------------------------------------------ */

static int ob_flush(struct outbuf *ob)
{
    if (ob->len && fwrite(ob->p, 1, ob->len, ob->f) != ob->len) {
        int e = errno;
        return fb_fail(ob->err, FB_EIO, "write error: %s", strerror(e ? e : EIO));
    }
    ob->len = 0;
    return 0;
}

static inline char *put(char *w, const struct name *n)
{
    memcpy(w, n->s, n->len);
    return w + n->len;
}

static char *put_u64(char *w, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *w++ = tmp[--n];
    return w;
}

static inline char *put2(char *w, unsigned v)
{
    memcpy(w, digits2 + 2 * v, 2);
    return w + 2;
}

/* One CSV row; prefix is "YYYY-MM-DDT" of the event's day. */
static char *format_row(const struct gen *g, char *w, const char *prefix,
                        const struct ev *e)
{
    unsigned sod = e->sec % DAY, stage = e->info & 7, touch = (e->info >> 4) & 15;
    struct attrs a = entity_attrs(g, e->ent);
    memcpy(w, prefix, 11);
    w = put2(w + 11, sod / 3600);
    *w++ = ':';
    w = put2(w, sod / 60 % 60);
    *w++ = ':';
    w = put2(w, sod % 60);
    memcpy(w, "Z,E", 3);
    w = put2(put2(put2(put2(w + 3, e->ent / 1000000), e->ent / 10000 % 100),
                  e->ent / 100 % 100), e->ent % 100);
    *w++ = ',';
    w = put(w, (e->info & 8) ? &stage_typo[stage] : &stage_name[stage]);
    *w++ = ',';
    w = put(w, &touch_name[touch]);
    *w++ = ',';
    if (e->info & 256) {
        memcpy(w, "lost", 4);
        w += 4;
    }
    *w++ = ',';
    /* The deal's value is set once it is negotiated and carried to the
     * purchase, as a CRM's opportunity amount is: open deals at
     * negotiating have a value, the earlier stages none. */
    if (stage == ST_NEGOTIATING || stage == ST_PURCHASING) {
        w = put_u64(w, deal_dollars(g, e->ent, a.seg));
        memcpy(w, ".00", 3);
        w += 3;
    }
    *w++ = ',';
    w = put(w, &seg_name[a.seg]);
    *w++ = ',';
    w = put(w, &src_name[a.src]);
    *w++ = ',';
    w = put(w, &owner_name[a.owner]);
    if (g->o->campaigns) {   /* c and 6 digits, from the lead alone */
        uint32_t c = (uint32_t)(mix64(g->key_attr ^ (e->ent * GOLDEN + 0x5bd1e995u)) % g->o->campaigns) + 1;
        memcpy(w, ",c", 2);
        w = put2(put2(put2(w + 2, c / 10000 % 100), c / 100 % 100), c % 100);
    }
    *w++ = '\n';
    return w;
}

/* "YYYY-MM-DDT" of a day of the period. */
static void day_prefix(const struct gen *g, int64_t day, char *buf)
{
    char t[24];
    ftime_format(g->o->start + day * DAY, t);
    memcpy(buf, t, 11);
}

/* ---- generation -------------------------------------------------------- */

/* Hand one event to the pass: r supplies its time of day, touch and typo. */
static int emit(struct gen *g, uint32_t ent, unsigned stage, int64_t day,
                uint64_t r, unsigned lost)
{
    uint32_t sod = g->hour_lut[r & 255] * 3600u +
                   (uint32_t)((((r >> 8) & 0xffffffff) * 3600) >> 32);
    unsigned touch = g->touch_lut[stage][(((r >> 40) & 0xffff) * 100) >> 16];
    if (lost)  /* a rep closes the lead after a call or an email */
        touch = (r >> 40) & 1 ? TOUCH_CALL : TOUCH_EMAIL;
    unsigned typo = (r >> 56) < typo_per256[stage];
    struct ev e = {(uint32_t)(day * DAY) + sod, ent,
                   stage | typo << 3 | touch << 4 | lost << 8};
    if (g->mode == MODE_STORE) {
        uint64_t i = g->pos[day - g->wlo]++;
        if (i < g->nrec)
            g->rec[i] = e;
        else
            g->broken = 1;
        return 0;
    }
    struct outbuf *ob = g->ob;
    if (ob->len > OB_CAP - OB_ROOM && ob_flush(ob) != 0)
        return FB_EIO;
    ob->len = (size_t)(format_row(g, ob->p + ob->len, g->prefix, &e) - ob->p);
    ob->rows++;
    return 0;
}

/* How many touches a stage gets: mean touch_base * scale, thinned by the
 * share of the stage inside the period, drawn so the mean is exact.  Always
 * three draws, so the stream after it does not depend on the outcome. */
static uint64_t touch_count(const struct gen *g, unsigned stage, int64_t span,
                            int64_t len, struct rng *r)
{
    u128 mu = ((u128)g->scale * touch_base8[stage]) >> 8;
    mu = mu * (uint64_t)span / (uint64_t)len;
    uint64_t m = mu > MU_MAX ? MU_MAX : (uint64_t)mu;
    uint64_t a = rng_next(r), b = rng_next(r), c = rng_next(r);
    if (m < ONE32)
        return (a >> 32) < m;
    /* 1 + (m - 1) * (U1 + U2), U uniform in [0, 1): at least one touch,
     * a spread around the mean, and stochastic rounding of the fraction. */
    u128 x = (u128)(m - ONE32) * ((a >> 32) + (b >> 32));
    return 1 + (uint64_t)(x >> 64) + (c < (uint64_t)x);
}

/* The events of stage i of a lead: touches on random days of the stage (a
 * weekend day is usually redrawn) and, at the end of a lost lead's last
 * stage, the event with the lost outcome. */
static int gen_stage(struct gen *g, uint32_t ent, const struct path *p, int i)
{
    int64_t d0 = p->day[i], len = p->len[i];
    int64_t span = d0 + len <= g->days ? len : g->days - d0;
    int64_t lost_day = d0 + len;
    int lost_in = p->lost && i == p->n - 1 && lost_day < g->days &&
                  lost_day >= g->wlo && lost_day < g->whi;
    int touch_in = d0 < g->whi && d0 + span > g->wlo;
    if (!lost_in && !touch_in)
        return 0;
    unsigned st = p->stage[i];
    struct rng r = {mix64(g->key_touch + (((uint64_t)ent << 3) | (unsigned)i) * GOLDEN)};
    uint64_t k = touch_count(g, st, span, len, &r);
    uint64_t l1 = rng_next(&r), l2 = rng_next(&r);
    if (lost_in && (l1 >> 32) < g->lost_p) {
        if (g->mode == MODE_COUNT)
            g->count[lost_day]++;
        else if (emit(g, ent, st, lost_day, l2, 1) != 0)
            return FB_EIO;
    }
    for (uint64_t j = 0; touch_in && j < k; j++) {
        uint64_t r1 = rng_next(&r);
        int64_t day = d0 + below(r1, (uint64_t)span);
        if (is_weekend(g, day) && (r1 & 0xffff) < 43691)  /* 2/3 move */
            day = d0 + (int64_t)((((r1 >> 16) & 0xffff) * (uint64_t)span) >> 16);
        if (g->mode == MODE_COUNT)
            g->count[day]++;
        if (g->mode == MODE_COUNT || day < g->wlo || day >= g->whi) {
            r.s += GOLDEN;  /* skip the unused draw */
            continue;
        }
        if (emit(g, ent, st, day, rng_next(&r), 0) != 0)
            return FB_EIO;
    }
    return 0;
}

/* Regenerate every lead, handing the events in [wlo, whi) to the mode. */
static int run_pass(struct gen *g)
{
    struct path p;
    for (uint64_t e = 0; e < g->o->entities; e++) {
        struct attrs a = entity_attrs(g, (uint32_t)e);
        make_path(g, (uint32_t)e, &a, &p);
        for (int i = 0; i < p.n; i++)
            if (gen_stage(g, (uint32_t)e, &p, i) != 0)
                return FB_EIO;
    }
    return 0;
}

/* Lost events are kept with probability min(scale, 1), so that --events 0
 * means no events at all. */
static void set_scale(struct gen *g, u128 s)
{
    g->scale = s > MU_MAX ? MU_MAX : (uint64_t)s;
    g->lost_p = g->scale < ONE32 ? g->scale : ONE32;
}

/* Choose the scale so the expected total is o->events.  Expected touches
 * are scale * C, C summed exactly from the paths; lost events are kept with
 * probability min(scale, 1), so E = scale * C + min(scale, 1) * L. */
static void solve_scale(struct gen *g)
{
    u128 c = 0;  /* Q40: touch_base (Q8) times the in-period share (Q32) */
    uint64_t lost = 0, target = g->o->events;
    struct path p;
    for (uint64_t e = 0; e < g->o->entities; e++) {
        struct attrs a = entity_attrs(g, (uint32_t)e);
        make_path(g, (uint32_t)e, &a, &p);
        for (int i = 0; i < p.n; i++) {
            int64_t span = p.day[i] + p.len[i] <= g->days ? p.len[i] : g->days - p.day[i];
            c += (((u128)touch_base8[p.stage[i]] << 32) * (uint64_t)span) / (uint64_t)p.len[i];
        }
        lost += p.lost && p.day[p.n - 1] + p.len[p.n - 1] < g->days;
    }
    u128 s = ((u128)target << 72) / (c + ((u128)lost << 40));
    if (s >= ONE32)
        s = ((u128)(target - lost) << 72) / c;
    set_scale(g, s);
}

static void gen_init(struct gen *g, const struct synth_opts *o)
{
    memset(g, 0, sizeof *g);
    g->o = o;
    g->days = o->days;
    int64_t epoch_day = o->start / DAY;  /* start is a multiple of DAY */
    g->wd0 = (unsigned)(((epoch_day + 3) % 7 + 7) % 7);  /* 1970-01-01: Thu */
    g->key_path = mix64(o->seed ^ UINT64_C(0x70617468));
    g->key_touch = mix64(o->seed ^ UINT64_C(0x746f756368));
    g->key_attr = mix64(o->seed ^ UINT64_C(0x61747472));
    g->key_deal = mix64(o->seed ^ UINT64_C(0x6465616c));
    g->key_day = mix64(o->seed ^ UINT64_C(0x646179));
    for (unsigned h = 0, n = 0; h < 24; h++)
        for (unsigned k = 0; k < hour_w[h]; k++)
            g->hour_lut[n++] = (unsigned char)h;
    for (unsigned s = 0; s < N_STAGES; s++)
        for (unsigned t = 0, n = 0; t < N_TOUCHES; t++)
            for (unsigned k = 0; k < touch_pct[s][t]; k++)
                g->touch_lut[s][n++] = (unsigned char)t;
}

/* ---- passes and windows ------------------------------------------------ */

/* Shuffle each day of the buffered window with that day's own stream (so
 * the result does not depend on how days were grouped into windows), then
 * format it. */
static int write_window(struct gen *g, struct outbuf *ob)
{
    uint64_t at = 0;
    char prefix[24];
    for (int64_t d = g->wlo; d < g->whi; d++) {
        uint64_t n = g->count[d];
        struct ev *v = g->rec + at;
        struct rng r = {mix64(g->key_day + (uint64_t)d * GOLDEN)};
        for (uint64_t i = n; i > 1; i--) {
            uint64_t j = below(rng_next(&r), i);
            struct ev t = v[i - 1];
            v[i - 1] = v[j];
            v[j] = t;
        }
        day_prefix(g, d, prefix);
        for (uint64_t i = 0; i < n; i++) {
            if (ob->len > OB_CAP - OB_ROOM && ob_flush(ob) != 0)
                return FB_EIO;
            ob->len = (size_t)(format_row(g, ob->p + ob->len, prefix, &v[i]) - ob->p);
        }
        ob->rows += n;
        at += n;
    }
    return 0;
}

/* Days [wlo, whi) hold n events, n <= the buffer: fill it, then write it. */
static int store_window(struct gen *g, struct outbuf *ob, uint64_t n)
{
    uint64_t at = 0;
    for (int64_t d = g->wlo; d < g->whi; d++) {
        g->pos[d - g->wlo] = at;
        at += g->count[d];
    }
    g->mode = MODE_STORE;
    g->nrec = n;
    g->broken = 0;
    if (run_pass(g) != 0)
        return FB_EIO;
    if (g->broken)
        return fb_fail(ob->err, FB_EIO, "internal error: generator passes disagree");
    return write_window(g, ob);
}

/* Write the counted days window by window.  A day with more events than the
 * buffer holds is written as generated, without its shuffle. */
static int write_days(struct gen *g, struct outbuf *ob, uint64_t cap)
{
    for (int64_t d = 0; d < g->days;) {
        int64_t e = d;
        uint64_t n = 0;
        while (e < g->days && g->count[e] <= cap - n)
            n += g->count[e++];
        g->wlo = d;
        if (e == d) {  /* one oversized day */
            g->whi = d + 1;
            g->mode = MODE_STREAM;
            day_prefix(g, d, g->prefix);
            if (run_pass(g) != 0)
                return FB_EIO;
            d++;
            continue;
        }
        g->whi = e;
        if (n && store_window(g, ob, n) != 0)
            return FB_EIO;
        d = e;
    }
    return 0;
}

static int check_opts(const struct synth_opts *o, struct fb_error *err)
{
    if (o->entities < 1 || o->entities > SYNTH_MAX_ENTITIES)
        return fb_fail(err, FB_EUSAGE, "entities must be 1 to %llu",
                       (unsigned long long)SYNTH_MAX_ENTITIES);
    if (o->days < 1 || o->days > SYNTH_MAX_DAYS)
        return fb_fail(err, FB_EUSAGE, "days must be 1 to %d", SYNTH_MAX_DAYS);
    if (o->events > SYNTH_MAX_EVENTS)
        return fb_fail(err, FB_EUSAGE, "events must be 0 to %llu",
                       (unsigned long long)SYNTH_MAX_EVENTS);
    if (o->start % DAY != 0 || o->start < FTIME_MIN ||
        o->start > FTIME_MAX - (int64_t)o->days * DAY + 1)
        return fb_fail(err, FB_EUSAGE, "the period must start at midnight UTC "
                       "and end by 9999-12-31");
    if (o->max_buffered > (UINT64_C(1) << 31))
        return fb_fail(err, FB_EUSAGE, "max_buffered is over 2^31");
    return 0;
}

void synth_opts_default(struct synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->entities = 1000;
    o->events = 10 * o->entities;
    o->seed = 1;
    o->days = 365;
    o->start = INT64_C(1767225600);  /* 2026-01-01T00:00:00Z */
}

/* Count every event per day at the current scale; returns the total. */
static uint64_t count_all(struct gen *g)
{
    uint64_t total = 0;
    memset(g->count, 0, (size_t)g->days * sizeof *g->count);
    g->mode = MODE_COUNT;
    g->wlo = 0;
    g->whi = g->days;
    (void)run_pass(g);  /* counting writes nothing, so cannot fail */
    for (int64_t d = 0; d < g->days; d++)
        total += g->count[d];
    return total;
}

static uint64_t distance(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* Bring the counted total close to o->events.  The draws do not depend on
 * the scale and the total never falls as the scale grows, so proportional
 * corrections converge; they matter for a handful of leads, where chance
 * alone misses by 10-20%.  Large runs are within 0.5% at once. */
static uint64_t fit_total(struct gen *g)
{
    uint64_t want = g->o->events, total = count_all(g);
    uint64_t best = total, best_scale = g->scale;
    for (int round = 0; round < FIT_ROUNDS; round++) {
        uint64_t miss = distance(total, want);
        if (miss <= 1 || miss * 200 <= want)
            break;
        set_scale(g, total ? (u128)g->scale * want / total : (u128)g->scale * 2 + 1);
        total = count_all(g);
        if (distance(total, want) < distance(best, want)) {
            best = total;
            best_scale = g->scale;
        }
    }
    if (g->scale != best_scale) {
        set_scale(g, best_scale);
        total = count_all(g);
    }
    return total;
}

/* Count, then write; everything the passes share lives in g. */
static int generate(struct gen *g, struct outbuf *ob, uint64_t cap)
{
    solve_scale(g);
    uint64_t total = fit_total(g);
    uint64_t nbuf = total < cap ? total : cap;
    g->rec = malloc((nbuf ? nbuf : 1) * sizeof *g->rec);
    if (!g->rec)
        return fb_fail(ob->err, FB_ENOMEM, "out of memory (%llu events)",
                       (unsigned long long)nbuf);
    return write_days(g, ob, cap);
}

int synth_write(const struct synth_opts *o, FILE *out, uint64_t *rows,
                struct fb_error *err)
{
    struct gen g;
    struct outbuf ob = {out, NULL, 0, 0, err};
    uint64_t cap = o->max_buffered ? o->max_buffered : SYNTH_DEFAULT_BUFFERED;
    if (rows)
        *rows = 0;
    int rc = check_opts(o, err);
    if (rc != 0)
        return rc;
    gen_init(&g, o);
    g.ob = &ob;
    ob.p = malloc(OB_CAP);
    g.count = calloc(o->days, sizeof *g.count);
    g.pos = calloc(o->days, sizeof *g.pos);
    if (!ob.p || !g.count || !g.pos) {
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
    } else {
        memcpy(ob.p, SYNTH_HEADER, sizeof SYNTH_HEADER - 1);
        ob.len = sizeof SYNTH_HEADER - 1;
        if (o->campaigns) {
            memcpy(ob.p + ob.len - 1, ",campaign\n", 10);
            ob.len += 9;
        }
        rc = generate(&g, &ob, cap);
        if (rc == 0)
            rc = ob_flush(&ob);
        if (rc == 0 && fflush(out) != 0)
            rc = fb_fail(err, FB_EIO, "write error: %s", strerror(errno));
    }
    if (rows)
        *rows = ob.rows;
    free(g.rec);
    free(g.pos);
    free(g.count);
    free(ob.p);
    return rc;
}
