/* cmd_explain.c - `funnel explain LOG ENTITY`: one entity's events and why
 * the report counts it as it does (docs/METRICS.md §4.21), read from the
 * same fold and status decision as replay (replay_visit, part_row). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "entities.h"
#include "ftime.h"
#include "logreader.h"
#include "outpath.h"
#include "replay_args.h"
#include "trend.h"

#define CLOSEST 5

const char cmd_explain_usage[] =
    "usage: funnel explain LOG ENTITY [replay options] [--json]\n"
    "\n"
    "Show why the report counts ENTITY as it does, judged exactly as 'funnel\n"
    "replay' judges it with the same options (docs/METRICS.md §4.21): its\n"
    "events in time order, each marked used, unmapped (a stage the funnel does\n"
    "not have) or after as_of; M (first event) and T (entered, counting\n"
    "skipped stages) per stage; its highest stage, last touch, last lost time\n"
    "and value; each attribute's attributed value (see --attribution); and its\n"
    "status with the rule that decided it, in words.\n"
    "\n"
    "Options (and every option of 'funnel replay': --stages, --funnel, --as-of,\n"
    "--stale-after, --window, --skipped, --attribution, --threads, ...):\n"
    "  --json             a JSON object with the same content\n"
    "  -h, --help         show this text\n"
    "\n"
    "An ENTITY the log does not hold is exit 3, naming up to 5 closest ids:\n"
    "those sharing the longest prefix with ENTITY, then by bytes.  An entity\n"
    "whose events are all unmapped or after as_of is explained as not counted.\n"
    "\n"
    "  funnel explain pipeline.flog lead-42\n"
    "  funnel explain pipeline.flog lead-42 --as-of 2026-03-31 --json\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 no such entity, 4 corrupt log, 5 I/O or\n"
    "system error.\n";

enum { EXPL_OPT_JSON = REPLAY_OPT_NEXT };

static const struct cli_opt explain_opts[] = {
    REPLAY_ARGS_OPTS,
    {EXPL_OPT_JSON, "json", CLI_FLAG},
    {0, NULL, CLI_FLAG},
};

/* One event of the entity, with its attributes at att[at .. at + natt). */
struct ev {
    int64_t time;
    uint64_t seq;                 /* file order, for ties */
    uint32_t id[BLOG_C_FIXED];    /* by EVB_IDX of BLOG_C_ENTITY .. OUTCOME, AMOUNT */
    size_t at, natt;
};

struct explain_run {
    const char *entity;
    const struct funnel_def *def;
    int json, attr_last;
    struct ev *ev;
    size_t nev, cap;
    uint32_t *att;                /* name id, value id pairs */
    size_t natt, attcap;
    uint64_t unmapped, after;
};

static const char *const status_name[] = {
    [TR_OPEN] = "open", [TR_IS_WON] = "won", [TR_IS_LOST] = "lost", [TR_IS_STALE] = "stale"};

static int ev_cmp(const void *pa, const void *pb)
{
    const struct ev *x = pa, *y = pb;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int push_event(struct explain_run *x, const struct evb_cols *c, uint32_t i, uint64_t seq)
{
    if (x->nev == x->cap) {
        size_t nc = x->cap ? 2 * x->cap : 16;
        struct ev *g = realloc(x->ev, nc * sizeof *g);
        if (!g)
            return FB_ENOMEM;
        x->ev = g;
        x->cap = nc;
    }
    struct ev *e = &x->ev[x->nev++];
    e->time = c->time[i];
    e->seq = seq;
    for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++)
        e->id[EVB_IDX(k)] = c->ids[EVB_IDX(k)][i];
    e->at = x->natt;
    e->natt = 0;
    for (uint32_t a = 0; a < c->natt; a++) {
        if (!c->att[a][i])
            continue;
        if (x->natt + 2 > x->attcap) {
            size_t nc = x->attcap ? 2 * x->attcap : 32;
            uint32_t *g = realloc(x->att, nc * sizeof *g);
            if (!g)
                return FB_ENOMEM;
            x->att = g;
            x->attcap = nc;
        }
        x->att[x->natt++] = c->att_name[a];
        x->att[x->natt++] = c->att[a][i];
        e->natt++;
    }
    return 0;
}

/* The entity's events, every committed block in file order (those after
 * as_of too: they are shown, marked). */
static int collect(struct explain_run *x, const struct replay_view *v, uint32_t id, struct fb_error *err)
{
    static const struct logr_want every = {~0u, NULL, 0};
    struct logr_cursor cur;
    int rc = logr_cursor_init(&cur, v->r, &every, 0, v->r->nev, err);
    uint64_t seq = 0;
    while (rc == 0 && (rc = logr_next(&cur, err)) == 1) {
        const uint32_t *ent = cur.cols.ids[EVB_IDX(BLOG_C_ENTITY)];
        for (uint32_t i = 0; i < cur.cols.n && rc >= 0; i++, seq++)
            if (ent[i] == id && push_event(x, &cur.cols, i, seq) != 0)
                rc = fb_fail(err, FB_ENOMEM, "out of memory");
        rc = rc < 0 ? rc : 0;
    }
    logr_cursor_free(&cur);
    if (rc < 0)
        return rc;
    qsort(x->ev, x->nev, sizeof *x->ev, ev_cmp);
    return 0;
}

static const char *mark(const struct explain_run *x, const struct replay_view *v, const struct ev *e)
{
    (void)x;
    if (e->time > v->as_of)
        return "after as_of";
    return v->stage_map[e->id[EVB_IDX(BLOG_C_STAGE)]] < 0 ? "unmapped" : "used";
}

/* A duration as the options take it: the largest whole unit. */
static void fmt_duration(int64_t s, char *buf, size_t n)
{
    if (s % 86400 == 0)
        snprintf(buf, n, "%lldd", (long long)(s / 86400));
    else if (s % 3600 == 0)
        snprintf(buf, n, "%lldh", (long long)(s / 3600));
    else if (s % 60 == 0)
        snprintf(buf, n, "%lldm", (long long)(s / 60));
    else
        snprintf(buf, n, "%llds", (long long)s);
}

static void fmt_days(int64_t s, char *buf, size_t n)
{
    if (s % 86400 == 0)
        snprintf(buf, n, "%lld day%s", (long long)(s / 86400), s == 86400 ? "" : "s");
    else
        snprintf(buf, n, "%.1f days", (double)s / 86400.0);
}

static void fmt_date(int64_t t, char *buf)
{
    ftime_format(t, buf);
    buf[10] = '\0';
}

/* The rule that decided the status, in words (docs/METRICS.md §4.21). */
static void rule_text(const struct explain_run *x, const struct replay_view *v, int counted,
                      const struct part_row *r, char *buf, size_t n)
{
    char d1[32], d2[32], ago[48], dur[32];
    if (!counted) {
        snprintf(buf, n, "not counted: %s %zu event%s at a stage of the funnel at or before as_of "
                 "(%llu at unmapped stages, %llu after as_of)", x->nev == 1 ? "its" : "none of its",
                 x->nev, x->nev == 1 ? " is not" : "s is",
                 (unsigned long long)x->unmapped, (unsigned long long)x->after);
        return;
    }
    const char *stage = x->def->names[r->max];
    fmt_date(r->last, d1);
    switch (r->status) {
    case TR_IS_WON:
        fmt_date(r->t[r->max], d2);
        snprintf(buf, n, "won: reached the last stage, %s, on %s", stage, d2);
        break;
    case TR_IS_LOST:
        fmt_date(r->lost_at, d2);
        snprintf(buf, n, "lost: outcome lost on %s, at or after its last touch %s, at stage %s", d2, d1, stage);
        break;
    default:
        fmt_days(v->as_of - r->last, ago, sizeof ago);
        fmt_duration(r->stale_after, dur, sizeof dur);
        snprintf(buf, n, "%s: last touch %s, %s before as_of, %s stale_after %s at stage %s",
                 status_name[r->status], d1, ago, r->status == TR_IS_STALE ? "over" : "within", dur, stage);
    }
}

/* ---- text ---- */

/* Data bytes for a terminal: control bytes as \xHH. */
static void put_bytes(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

static void put_id(FILE *f, const struct replay_view *v, int kind, uint32_t id)
{
    size_t n;
    const char *s = dict_str(logr_dict(v->r, kind), id, &n);
    put_bytes(f, s, n);
}

static void put_time(FILE *f, int64_t t, int none)
{
    char w[32];
    if (none) {
        fputs("-", f);
        return;
    }
    ftime_format(t, w);
    fputs(w, f);
}

static void write_text(FILE *f, const struct explain_run *x, const struct replay_view *v, int counted,
                       const struct part_row *r, const uint32_t *rank, const uint32_t *order,
                       const char *rule, const char *value)
{
    char w[32];
    ftime_format(v->as_of, w);
    fputs("entity       ", f);
    put_bytes(f, x->entity, strlen(x->entity));
    fprintf(f, "\nas_of        %s\nstatus       %s\nrule         %s\n",
            w, counted ? status_name[r->status] : "not counted", rule);
    if (counted) {
        fprintf(f, "stage        %s (max)\nentry        ", x->def->names[r->max]);
        put_time(f, r->t[0], 0);
        fputs("\nlast touch   ", f);
        put_time(f, r->last, 0);
        fputs("\nlost at      ", f);
        put_time(f, r->lost_at, r->lost_at == INT64_MIN);
        fprintf(f, "\nvalue        %s\n\nstage                 M (first event)       T (entered)\n",
                *value ? value : "-");
        for (size_t s = 0; s < x->def->n; s++) {
            fprintf(f, "  %-20s", x->def->names[s]);
            put_time(f, r->m[s], r->m[s] == INT64_MAX);
            fputs(r->m[s] == INT64_MAX ? "                     " : "  ", f);
            put_time(f, r->t[s], s > r->max);
            fputc('\n', f);
        }
        fprintf(f, "\nattributes (--attribution %s)\n", x->attr_last ? "last" : "first");
    }
    for (uint32_t k = 0; counted && k < v->nattr; k++) {
        size_t n;
        const char *s = ent_attr_value(v, rank, order[k], &n);
        fputs("  ", f);
        put_id(f, v, BLOG_D_ATTR_NAME, v->attr[order[k]]);
        fputs("  ", f);
        if (s)
            put_bytes(f, s, n);
        else
            fputs("-", f);
        fputc('\n', f);
    }
    fprintf(f, "\nevents (%zu, in time order): time  stage  channel  touch  outcome  amount  "
            "[used, unmapped or after as_of]  attributes\n", x->nev);
    for (size_t i = 0; i < x->nev; i++) {
        const struct ev *e = &x->ev[i];
        fputs("  ", f);
        put_time(f, e->time, 0);
        for (int k = BLOG_C_STAGE; k < BLOG_C_FIXED; k++) {
            fputs("  ", f);
            size_t n;
            dict_str(logr_dict(v->r, EVB_IDX(k)), e->id[EVB_IDX(k)], &n);
            if (n)
                put_id(f, v, EVB_IDX(k), e->id[EVB_IDX(k)]);
            else
                fputs("-", f);
        }
        fprintf(f, "  [%s]", mark(x, v, e));
        for (size_t a = 0; a < e->natt; a++) {
            fputs(a ? ", " : "  ", f);
            put_id(f, v, BLOG_D_ATTR_NAME, x->att[e->at + 2 * a]);
            fputc('=', f);
            put_id(f, v, BLOG_D_ATTR_VALUE, x->att[e->at + 2 * a + 1]);
        }
        fputc('\n', f);
    }
}

/* ---- JSON ---- */

/* Data bytes as a JSON string; bytes that are not UTF-8 become '?' (the
 * text output shows them as they are). */
static json_t *jbytes(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j || !s)
        return j ? j : json_null();
    char *c = malloc(n ? n : 1);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    j = json_stringn(c, n);
    free(c);
    return j;
}

static json_t *jid(const struct replay_view *v, int kind, uint32_t id)
{
    size_t n;
    const char *s = dict_str(logr_dict(v->r, kind), id, &n);
    return n ? jbytes(s, n) : json_null();
}

static json_t *jtime(int64_t t, int none)
{
    char w[32];
    if (none)
        return json_null();
    ftime_format(t, w);
    return json_string(w);
}

static json_t *build_json(const struct explain_run *x, const struct replay_view *v, int counted,
                          const struct part_row *r, const uint32_t *rank, const uint32_t *order,
                          const char *rule, const char *value)
{
    static const char *const col[] = {[BLOG_C_STAGE] = "stage", [BLOG_C_CHANNEL] = "channel",
                                      [BLOG_C_TOUCH] = "touch", [BLOG_C_OUTCOME] = "outcome",
                                      [BLOG_C_AMOUNT] = "amount"};
    json_t *o = json_object();
    json_object_set_new(o, "entity", jbytes(x->entity, strlen(x->entity)));
    json_object_set_new(o, "as_of", jtime(v->as_of, 0));
    json_object_set_new(o, "counted", json_boolean(counted));
    json_object_set_new(o, "status", counted ? json_string(status_name[r->status]) : json_null());
    json_object_set_new(o, "rule", json_string(rule));
    json_object_set_new(o, "stage", counted ? json_string(x->def->names[r->max]) : json_null());
    json_object_set_new(o, "entry", jtime(counted ? r->t[0] : 0, !counted));
    json_object_set_new(o, "last_touch", jtime(counted ? r->last : 0, !counted));
    json_object_set_new(o, "lost_at", jtime(counted ? r->lost_at : 0, !counted || r->lost_at == INT64_MIN));
    json_object_set_new(o, "stale_after_s", counted ? json_integer(r->stale_after) : json_null());
    json_object_set_new(o, "value", *value ? json_string(value) : json_null());
    json_t *st = json_array();
    for (size_t s = 0; counted && s < x->def->n; s++) {
        json_t *e = json_object();
        json_object_set_new(e, "name", json_string(x->def->names[s]));
        json_object_set_new(e, "M", jtime(r->m[s], r->m[s] == INT64_MAX));
        json_object_set_new(e, "T", jtime(r->t[s], s > r->max));
        json_array_append_new(st, e);
    }
    json_object_set_new(o, "stages", st);
    json_object_set_new(o, "attribution", json_string(x->attr_last ? "last" : "first"));
    json_t *at = json_array();
    for (uint32_t k = 0; counted && k < v->nattr; k++) {
        size_t n;
        const char *s = ent_attr_value(v, rank, order[k], &n);
        json_t *e = json_object();
        json_object_set_new(e, "name", jid(v, BLOG_D_ATTR_NAME, v->attr[order[k]]));
        json_object_set_new(e, "value", s ? jbytes(s, n) : json_null());
        json_array_append_new(at, e);
    }
    json_object_set_new(o, "attributes", at);
    json_t *evs = json_array();
    for (size_t i = 0; i < x->nev; i++) {
        const struct ev *ev = &x->ev[i];
        json_t *e = json_object();
        json_object_set_new(e, "time", jtime(ev->time, 0));
        for (int k = BLOG_C_STAGE; k < BLOG_C_FIXED; k++)
            json_object_set_new(e, col[k], jid(v, EVB_IDX(k), ev->id[EVB_IDX(k)]));
        json_object_set_new(e, "mark", json_string(mark(x, v, ev)));
        json_t *a = json_object();
        for (size_t j = 0; j < ev->natt; j++) {
            size_t n;
            const char *name = dict_str(logr_dict(v->r, BLOG_D_ATTR_NAME), x->att[ev->at + 2 * j], &n);
            char *key = malloc(n + 1);   /* jansson keys are NUL-terminated */
            if (key) {
                memcpy(key, name, n);
                key[n] = '\0';
                json_object_set_new(a, key, jid(v, BLOG_D_ATTR_VALUE, x->att[ev->at + 2 * j + 1]));
                free(key);
            }
        }
        json_object_set_new(e, "attributes", a);
        json_array_append_new(evs, e);
    }
    json_object_set_new(o, "events", evs);
    return o;
}

/* ---- the visit ---- */

static int not_found(const struct explain_run *x, const struct replay_view *v, struct fb_error *err)
{
    const struct dict *d = logr_dict(v->r, BLOG_D_ENTITY);
    uint32_t near[CLOSEST];
    size_t n = ent_closest(d, x->entity, strlen(x->entity), near, CLOSEST);
    char list[600] = "";
    size_t at = 0;
    for (size_t i = 0; i < n && at + 1 < sizeof list; i++) {
        size_t len;
        const char *s = dict_str(d, near[i], &len);
        int w = snprintf(list + at, sizeof list - at, "%s\"%.*s\"", i ? ", " : "", (int)(len > 80 ? 80 : len), s);
        at += w > 0 ? (size_t)w : 0;
    }
    return fb_fail(err, FB_EINPUT, "%s: no entity \"%.80s\" in the log; %s%s", v->r->path, x->entity,
                   n ? "the closest ids (longest common prefix, then by bytes): "
                     : "no id shares its first byte", list);
}

static int visit(void *ctx, const struct replay_view *v, struct fb_error *err)
{
    struct explain_run *x = ctx;
    uint32_t id, *rank = NULL, *order = NULL;
    if (!dict_find(logr_dict(v->r, BLOG_D_ENTITY), x->entity, strlen(x->entity), &id) || id == 0)
        return not_found(x, v, err);
    struct part_row r;
    memset(&r, 0, sizeof r);
    int rc = ent_attr_order(v, &order, err);
    rank = malloc((v->nattr ? v->nattr : 1) * sizeof *rank);
    if (rc == 0 && !rank)
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = collect(x, v, id, err);
    if (rc == 0) {
        int counted = part_row(v->part, id, &r, rank);
        char rule[400], value[64];
        for (size_t i = 0; i < x->nev; i++) {
            x->after += x->ev[i].time > v->as_of;
            x->unmapped += x->ev[i].time <= v->as_of && v->stage_map[x->ev[i].id[EVB_IDX(BLOG_C_STAGE)]] < 0;
        }
        ent_value_text(v->part, id, value, sizeof value);
        rule_text(x, v, counted, &r, rule, sizeof rule);
        if (x->json) {
            json_t *o = build_json(x, v, counted, &r, rank, order, rule, value);
            if (!o || json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', stdout) == EOF)
                rc = fb_fail(err, o ? FB_EIO : FB_ENOMEM, "error writing standard output");
            json_decref(o);
        } else {
            write_text(stdout, x, v, counted, &r, rank, order, rule, value);
        }
    }
    free(rank);
    free(order);
    return rc;
}

static int parse(int argc, char **argv, struct replay_args *a, struct explain_run *x)
{
    static const struct cli_spec spec = {"explain", cmd_explain_usage, "LOG ENTITY", explain_opts};
    struct cli_getopt g;
    const char *v;
    int key;
    replay_args_defaults(a);
    cli_opts_init(&g, &spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0) {
        int rc = key == EXPL_OPT_JSON ? (x->json = 1, 0) : replay_args_option("explain", a, key, v);
        if (rc)
            return rc;
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs != 2)
        return cli_usage_error("explain", "expected LOG and ENTITY, got %d operand%s", g.nargs,
                               g.nargs == 1 ? "" : "s");
    a->log = cli_opts_args(&g)[0];
    x->entity = cli_opts_args(&g)[1];
    x->attr_last = a->o.groups.last;
    if (a->stages && a->funnel_file)
        return cli_usage_error("explain", "give --stages or --funnel, not both");
    return cli_opts_need_file("explain", "LOG", a->log);
}

int cmd_explain(int argc, char **argv)
{
    struct replay_args a;
    struct explain_run x;
    struct funnel_def def = {0};
    memset(&x, 0, sizeof x);
    int code = parse(argc, argv, &a, &x);
    if (code == 0)
        code = replay_args_load_def("explain", &a, &def);
    if (code) {
        funnel_def_free(&def);
        return code;
    }
    struct fb_error err;
    struct replay_info info;
    fb_error_clear(&err);
    x.def = &def;
    a.o.def = &def;
    const struct replay_visitor vis = {~0u, visit, &x};
    int rc = replay_visit(a.log, &a.o, &vis, &info, &err);
    if (rc == 0 && info.tail_len > 0)
        cli_msg("%s: ignoring a torn tail of %lld bytes at offset %lld (%s)", a.log,
                (long long)info.tail_len, (long long)info.tail_offset, info.tail_reason);
    free(x.ev);
    free(x.att);
    funnel_def_free(&def);
    return cli_finish_stdout(rc ? cli_report(&err) : CLI_OK);
}
