/* fuzz_roundtrip.c - events -> log -> cat -> equal (docs/RELIABILITY.md
 * "Fuzz targets").  The input bytes choose a few valid events (times in
 * every accepted spelling, UTF-8 strings with commas, quotes, CR, LF, tabs;
 * 0-3 attribute columns; the optional columns present or not; CRLF or LF, a
 * BOM, no final newline; columns in any order and case) split into up to
 * three batches.  Each batch is written as CSV and appended the way `funnel
 * append` does it (ingest_new / ingest_file / ingest_finish / app_open /
 * app_commit) to a memfd log; then the log is decoded as `funnel cat`
 * decodes it and every field of every event must equal what was written:
 * events of a batch in time order (stable), batches in append order, strings
 * byte for byte, attribute names case-insensitively (the log keeps their
 * first spelling).  Every row is valid, so none may be rejected; `verify`
 * must pass and `replay` must read every event. */
#include "fuzz_common.h"

#include "appender.h"
#include "csvout.h"
#include "ftime.h"
#include "funnel_def.h"
#include "ingest.h"
#include "logcheck.h"
#include "replay.h"

#define MAX_ROWS 200
#define MAX_BATCHES 3
#define NATT_MAX 3
#define STR_MAX 260

struct str {
    size_t n;
    char s[STR_MAX];
};

struct row {
    int64_t t;
    char when[48];
    struct str f[BLOG_C_FIXED];   /* [0] unused: time is `when` */
    struct str att[NATT_MAX];
    uint32_t seq;                 /* order within the batch */
};

static const char *const fixed_names[BLOG_C_FIXED] = {
    "time", "entity", "stage", "channel", "touch", "outcome", "amount"};
static const char *const att_pool[] = {
    "segment", "source", "owner", "Region", "x y", "na\xc3\xafve", "a,b", "quo\"te", "\xe2\x82\xac",
    " lead"};
#define NPOOL (sizeof att_pool / sizeof att_pool[0])
static const char *const alphabet[] = {
    "a", "b", "Z", "0", "9", " ", ",", "\"", "\r", "\n", "\r\n", "-", "\t", "'", "\\", ";",
    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "lead-", "#"};
#define NALPHA (sizeof alphabet / sizeof alphabet[0])

static void gen_str(struct fuzz_in *in, struct str *s, size_t min_bytes, size_t max_bytes)
{
    unsigned want = fz_u8(in) % 12;
    s->n = 0;
    if (want == 11 && max_bytes >= 64) {   /* at the length limit */
        memset(s->s, 'x', max_bytes);
        s->n = max_bytes;
        return;
    }
    for (unsigned i = 0; i < want || s->n < min_bytes; i++) {
        const char *a = alphabet[fz_u8(in) % NALPHA];
        size_t k = strlen(a);
        if (s->n + k > max_bytes)
            break;
        memcpy(s->s + s->n, a, k);
        s->n += k;
    }
    if (s->n < min_bytes) {                /* only when max_bytes is tiny */
        s->s[0] = 'e';
        s->n = 1;
    }
}

static void cased(struct fuzz_in *in, const char *name, struct str *out, int vary)
{
    out->n = strlen(name);
    memcpy(out->s, name, out->n);
    if (!vary)
        return;
    unsigned char m = fz_u8(in);
    for (size_t i = 0; i < out->n; i++)
        if ((m >> (i % 8)) & 1) {
            char c = out->s[i];
            out->s[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
        }
}

static int64_t floor_mod(int64_t a, int64_t m) { return ((a % m) + m) % m; }

/* Pick a time and one of its accepted spellings; sets r->t to what it means. */
static void gen_time(struct fuzz_in *in, struct row *r)
{
    uint64_t span = (uint64_t)(FTIME_MAX - FTIME_MIN + 1);
    uint64_t raw = fz_u64(in);
    /* Mostly recent times, sometimes anywhere in 0000..9999. */
    int64_t t = (raw & 1) ? FTIME_MIN + (int64_t)((raw >> 1) % span)
                          : INT64_C(1700000000) + (int64_t)((raw >> 1) % (86400 * 400));
    char b[32];
    unsigned form = fz_u8(in) % 7;
    if (form == 1 && t >= 0) {
        snprintf(r->when, sizeof r->when, "%lld", (long long)t);
    } else if (form == 2) {                       /* YYYY-MM-DD */
        t -= floor_mod(t, 86400);
        ftime_format(t, b);
        snprintf(r->when, sizeof r->when, "%.10s", b);
    } else if (form == 3 || form == 4) {          /* separators, zones, no seconds, fraction */
        unsigned o = fz_u8(in);
        if (o & 1)
            t -= floor_mod(t, 60);
        ftime_format(t, b);
        b[10] = (o & 2) ? ' ' : (o & 4) ? 't' : 'T';
        const char *zone = (o & 8) ? "z" : (o & 16) ? "" : "Z";
        snprintf(r->when, sizeof r->when, "%.*s%s%s", (o & 1) ? 16 : 19, b,
                 !(o & 1) && (o & 32) ? ".123456789" : "", zone);
    } else if (form == 5) {                       /* an offset from -12:00 to +14:00 */
        int off = ((int)(fz_u8(in) % 105) - 48) * 15;   /* minutes */
        int64_t local = t + (int64_t)off * 60;
        if (local < FTIME_MIN || local > FTIME_MAX) {
            ftime_format(t, r->when);
        } else {
            ftime_format(local, b);
            int a = off < 0 ? -off : off;
            snprintf(r->when, sizeof r->when, "%.19s%c%02d:%02d", b, off < 0 ? '-' : '+', a / 60,
                     a % 60);
        }
    } else {
        ftime_format(t, r->when);
    }
    r->t = t;
}

static void gen_row(struct fuzz_in *in, struct row *r, const int *present, uint32_t natt)
{
    static const char *const channels[] = {"marketing", "sales", "Sales", "MARKETING"};
    static const char *const outcomes[] = {"", "lost", "Lost", "LOST"};
    memset(r, 0, sizeof *r);
    gen_time(in, r);
    gen_str(in, &r->f[BLOG_C_ENTITY], 1, 256);
    gen_str(in, &r->f[BLOG_C_STAGE], 1, 64);
    const char *ch = channels[fz_u8(in) % 4];
    r->f[BLOG_C_CHANNEL].n = strlen(ch);
    memcpy(r->f[BLOG_C_CHANNEL].s, ch, strlen(ch));
    if (present[BLOG_C_TOUCH])
        gen_str(in, &r->f[BLOG_C_TOUCH], 0, 64);
    if (present[BLOG_C_OUTCOME]) {
        const char *oc = outcomes[fz_u8(in) % 4];
        r->f[BLOG_C_OUTCOME].n = strlen(oc);
        memcpy(r->f[BLOG_C_OUTCOME].s, oc, strlen(oc));
    }
    if (present[BLOG_C_AMOUNT] && (fz_u8(in) & 1)) {
        unsigned long long whole = fz_u32(in);
        unsigned frac = fz_u8(in);
        int k = frac & 1 ? snprintf(r->f[BLOG_C_AMOUNT].s, STR_MAX, "%llu.%02u", whole, frac % 100)
                         : snprintf(r->f[BLOG_C_AMOUNT].s, STR_MAX, "%llu", whole);
        r->f[BLOG_C_AMOUNT].n = (size_t)k;
    }
    for (uint32_t a = 0; a < natt; a++)
        gen_str(in, &r->att[a], 0, 40);
}

struct plan {
    int present[BLOG_C_FIXED];
    uint32_t natt;
    const char *att_name[NATT_MAX];
    unsigned flags;
    uint32_t nrows;
    struct row rows[MAX_ROWS];
    uint32_t nbatches;
    uint32_t batch_end[MAX_BATCHES];
};

/* One batch as CSV text. */
static void write_csv(struct fuzz_in *in, const struct plan *p, uint32_t from, uint32_t to,
                      struct buf *csv)
{
    /* Columns: fixed ones present, then the attributes, in a shuffled order. */
    int cols[BLOG_C_FIXED + NATT_MAX], ncols = 0;
    for (int k = 0; k < BLOG_C_FIXED; k++)
        if (p->present[k])
            cols[ncols++] = k;
    for (uint32_t a = 0; a < p->natt; a++)
        cols[ncols++] = BLOG_C_FIXED + (int)a;
    if (p->flags & 32)
        for (int i = ncols - 1; i > 0; i--) {
            int j = (int)fz_below(in, (uint32_t)i + 1), t = cols[i];
            cols[i] = cols[j];
            cols[j] = t;
        }
    const char *eol = (p->flags & 1) ? "\r\n" : "\n";
    csv->len = 0;
    if (p->flags & 2)
        FUZZ_CHECK(buf_append(csv, "\xEF\xBB\xBF", 3) == 0, "buf");
    for (int c = 0; c < ncols; c++) {
        struct str name;
        int k = cols[c];
        cased(in, k < BLOG_C_FIXED ? fixed_names[k] : p->att_name[k - BLOG_C_FIXED], &name,
              p->flags & 64);
        FUZZ_CHECK((c && buf_append(csv, ",", 1)) == 0 && csvout_field(csv, name.s, name.n) == 0,
                   "buf");
    }
    FUZZ_CHECK(buf_append(csv, eol, strlen(eol)) == 0, "buf");
    for (uint32_t i = from; i < to; i++) {
        const struct row *r = &p->rows[i];
        for (int c = 0; c < ncols; c++) {
            int k = cols[c];
            const char *s = k == BLOG_C_TIME ? r->when : k < BLOG_C_FIXED ? r->f[k].s : r->att[k - BLOG_C_FIXED].s;
            size_t n = k == BLOG_C_TIME ? strlen(r->when) : k < BLOG_C_FIXED ? r->f[k].n : r->att[k - BLOG_C_FIXED].n;
            FUZZ_CHECK((c && buf_append(csv, ",", 1)) == 0 && csvout_field(csv, s, n) == 0, "buf");
        }
        if (i + 1 < to || !(p->flags & 4))
            FUZZ_CHECK(buf_append(csv, eol, strlen(eol)) == 0, "buf");
    }
}

static int on_reject(void *ctx, const struct fb_error *e, const struct csvin_rec *rec)
{
    (void)ctx;
    (void)rec;
    FUZZ_CHECK(0, "a valid row was rejected: %s:%ld:%ld: %s", e->path, e->line, e->col, e->msg);
    return 1;
}

static void append_batch(const char *logpath, struct fuzz_in *in, const struct plan *p,
                         uint32_t from, uint32_t to)
{
    struct appender app;
    struct fb_error err;
    struct buf csv = {0}, blocks = {0};
    fb_error_clear(&err);
    int rc = app_open(&app, logpath, NULL, &err);
    FUZZ_CHECK(rc == 0, "app_open: %s", err.msg);
    write_csv(in, p, from, to, &csv);
    char csvpath[64];
    int cfd = fuzz_memfd(csv.p, csv.len, csvpath);
    FUZZ_CHECK(cfd >= 0, "memfd");
    struct ingest_opts o = {.level = 1, .on_reject = on_reject};
    struct ingest *ing = ingest_new(app.dicts, &o);
    FUZZ_CHECK(ing != NULL, "ingest_new");
    rc = ingest_file(ing, cfd, "batch.csv", &err);
    FUZZ_CHECK(rc == 0, "ingest_file: %s:%ld:%ld: %s\n%.*s", err.path, err.line, err.col, err.msg,
               (int)(csv.len > 2000 ? 2000 : csv.len), (const char *)csv.p);
    FUZZ_CHECK(ingest_events(ing) == to - from, "%llu events of %u rows",
               (unsigned long long)ingest_events(ing), to - from);
    if (to > from) {
        unsigned char fp[16];
        rc = ingest_finish(ing, app.scan.dict_sizes, &blocks, fp, &err);
        FUZZ_CHECK(rc == 0, "ingest_finish: %s", err.msg);
        const struct blog_commit *dup = app_find_duplicate(&app, fp, to - from);
        rc = app_commit(&app, blocks.p, blocks.len, ingest_blocks(ing), to - from, fp,
                        dup ? BLOG_COMMIT_F_ALLOW_DUP : 0, &err);
        FUZZ_CHECK(rc == 0, "app_commit: %s", err.msg);
    } else {
        FUZZ_CHECK(app_ensure_header(&app, &err) == 0, "app_ensure_header: %s", err.msg);
    }
    ingest_free(ing);
    app_close(&app);
    close(cfd);
    buf_free(&csv);
    buf_free(&blocks);
}

static int str_eq(const char *a, size_t an, const struct str *b)
{
    return an == b->n && memcmp(a, b->s, an) == 0;
}

static int name_eq(const char *a, size_t an, const char *b)
{
    if (an != strlen(b))
        return 0;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
            return 0;
    }
    return 1;
}

static struct plan plan;   /* large: not on the stack */
static const struct row *cmp_rows;

static int by_time_then_seq(const void *a, const void *b)
{
    const struct row *x = &cmp_rows[*(const uint32_t *)a], *y = &cmp_rows[*(const uint32_t *)b];
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Decode the log as `cat` does and compare with the plan. */
static void check_log(int fd, const char *path)
{
    struct blog_scan s;
    struct fb_error err;
    struct dict *dicts[BLOG_D_COUNT];
    fb_error_clear(&err);
    FUZZ_CHECK(blog_scan_fd(fd, path, &s, &err) == 0, "scan: %s", err.msg);
    FUZZ_CHECK(s.tail_len == 0, "torn tail: %s", s.tail_reason);
    FUZZ_CHECK(s.events == plan.nrows, "%llu events in the log, %u written",
               (unsigned long long)s.events, plan.nrows);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        FUZZ_CHECK((dicts[k] = dict_new(k == BLOG_D_ATTR_NAME)) != NULL, "dict_new");
    FUZZ_CHECK(dictblock_load(fd, path, &s, (1u << BLOG_D_COUNT) - 1, dicts, &err) == 0,
               "dictionaries: %s", err.msg);

    /* Expected order: per batch, stable by time; batches in order. */
    static uint32_t order[MAX_ROWS];
    uint32_t from = 0;
    cmp_rows = plan.rows;
    for (uint32_t b = 0; b < plan.nbatches; b++) {
        for (uint32_t i = from; i < plan.batch_end[b]; i++)
            order[i] = i;
        qsort(order + from, plan.batch_end[b] - from, sizeof *order, by_time_then_seq);
        from = plan.batch_end[b];
    }

    struct evb_cols cols;
    struct evb_scratch scratch = {0};
    struct buf payload = {0};
    FUZZ_CHECK(evb_cols_init(&cols, BLOG_EVENTS_PER_BLOCK, 0) == 0, "evb_cols_init");
    uint32_t ev = 0;
    for (size_t i = 0; i < s.nblocks; i++) {
        const struct blog_block *blk = &s.blocks[i];
        if (blk->h.type != BLOG_T_EVENTS)
            continue;
        FUZZ_CHECK(blog_read_payload(fd, path, blk, &payload, &err) == 0, "payload: %s", err.msg);
        FUZZ_CHECK(evb_decode(payload.p, payload.len, blk->h.count, blk->h.a, blk->h.b, ~0u,
                              s.dict_sizes, &cols, &scratch, &err) == 0,
                   "decode: %s", err.msg);
        for (uint32_t e = 0; e < cols.n; e++, ev++) {
            FUZZ_CHECK(ev < plan.nrows, "more events than rows");
            const struct row *r = &plan.rows[order[ev]];
            FUZZ_CHECK(cols.time[e] == r->t, "event %u: time %lld, wrote %lld as \"%s\"", ev,
                       (long long)cols.time[e], (long long)r->t, r->when);
            for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++) {
                size_t n;
                const char *str = dict_str(dicts[EVB_IDX(k)], cols.ids[EVB_IDX(k)][e], &n);
                FUZZ_CHECK(str_eq(str, n, &r->f[k]), "event %u: %s is \"%.*s\", wrote \"%.*s\"", ev,
                           fixed_names[k], (int)n, str, (int)r->f[k].n, r->f[k].s);
            }
            for (uint32_t a = 0; a < plan.natt; a++) {
                const char *val = "";
                size_t vn = 0;
                for (uint32_t c = 0; c < cols.natt; c++) {
                    size_t nn;
                    const char *name = dict_str(dicts[BLOG_D_ATTR_NAME], cols.att_name[c], &nn);
                    if (name_eq(name, nn, plan.att_name[a]))
                        val = dict_str(dicts[BLOG_D_ATTR_VALUE], cols.att[c][e], &vn);
                }
                FUZZ_CHECK(str_eq(val, vn, &r->att[a]), "event %u: attribute %s is \"%.*s\", wrote \"%.*s\"",
                           ev, plan.att_name[a], (int)vn, val, (int)r->att[a].n, r->att[a].s);
            }
        }
    }
    FUZZ_CHECK(ev == plan.nrows, "%u events decoded, %u written", ev, plan.nrows);
    evb_cols_free(&cols);
    evb_scratch_free(&scratch);
    buf_free(&payload);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(dicts[k]);
    blog_scan_free(&s);

    struct logcheck_result res;
    FUZZ_CHECK(logcheck_run(fd, path, &res, &err) == 0, "verify: %s", err.msg);
    FUZZ_CHECK(res.events == plan.nrows, "verify counts %llu events", (unsigned long long)res.events);
    struct funnel_def def;
    FUZZ_CHECK(funnel_def_default(&def, &err) == 0, "funnel_def_default");
    struct replay_opts o = {.def = &def, .stale_after = 30 * 86400};
    struct res_report rep;
    struct replay_info info;
    FUZZ_CHECK(replay_log(path, &o, &rep, &info, &err) == 0, "replay: %s", err.msg);
    FUZZ_CHECK(rep.ev_read == plan.nrows, "replay read %llu events", (unsigned long long)rep.ev_read);
    res_report_free(&rep);
    funnel_def_free(&def);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    memset(&plan, 0, sizeof plan);
    plan.flags = fz_u8(&in);
    unsigned opt = fz_u8(&in);
    for (int k = 0; k < BLOG_C_FIXED; k++)
        plan.present[k] = k <= BLOG_C_CHANNEL || ((opt >> k) & 1);
    plan.natt = fz_u8(&in) % (NATT_MAX + 1);
    unsigned used = 0;
    for (uint32_t a = 0; a < plan.natt; a++) {
        unsigned j = fz_u8(&in) % NPOOL;
        while (used & (1u << j))
            j = (j + 1) % NPOOL;
        used |= 1u << j;
        plan.att_name[a] = att_pool[j];
    }
    plan.nrows = fz_u8(&in) % (MAX_ROWS + 1);
    if (plan.nrows > in.n / 2)   /* rows need bytes: an empty tail makes empty rows */
        plan.nrows = (uint32_t)(in.n / 2);
    plan.nbatches = (plan.flags & 8) ? 1 + fz_u8(&in) % MAX_BATCHES : 1;
    for (uint32_t b = 0; b < plan.nbatches; b++)
        plan.batch_end[b] = b + 1 == plan.nbatches ? plan.nrows : fz_below(&in, plan.nrows + 1);
    for (uint32_t b = 1; b < plan.nbatches; b++)   /* ends must not go back */
        if (plan.batch_end[b] < plan.batch_end[b - 1])
            plan.batch_end[b] = plan.batch_end[b - 1];
    for (uint32_t i = 0, b = 0; i < plan.nrows; i++) {
        while (i >= plan.batch_end[b])
            b++;
        gen_row(&in, &plan.rows[i], plan.present, plan.natt);
        plan.rows[i].seq = i;
    }

    char path[64];
    int fd = fuzz_memfd("", 0, path);
    FUZZ_CHECK(fd >= 0, "memfd");
    uint32_t from = 0;
    for (uint32_t b = 0; b < plan.nbatches; b++) {
        append_batch(path, &in, &plan, from, plan.batch_end[b]);
        from = plan.batch_end[b];
    }
    check_log(fd, path);
    close(fd);
    return 0;
}
