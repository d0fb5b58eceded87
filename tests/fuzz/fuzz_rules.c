/* fuzz_rules.c - the rule files of `funnel check --rules` (reports/rules.h,
 * docs/CHECK.md).  Input: a rule file, then optionally a NUL byte and a
 * JSON document to check.  rules_parse must accept the file or refuse it
 * with FB_EUSAGE naming a line and column inside it; what it accepts is
 * evaluated against that document (when it parses) and against a small
 * fixed report with every kind of array, and rules_eval must return 0 and
 * report each failing rule once, in line order, with a one-line rule and a
 * reason. */
#include "fuzz_common.h"

#include <jansson.h>

#include "rules.h"

static const char fixed_report[] =
    "{\"schema\":\"funnel-report/2\",\"win_rate\":0.2,\"entities\":10,\"x\":null,"
    "\"stages\":[{\"name\":\"lead\",\"reached\":10},{\"name\":\"won\",\"reached\":2}],"
    "\"breakdowns\":[{\"by\":\"segment\",\"groups\":[{\"value\":\"smb\",\"n\":1},"
    "{\"value\":null,\"n\":2},{\"value\":\"a b\",\"n\":3},{\"value\":\"a b\",\"n\":4}]}],"
    "\"trend\":[{\"period\":\"2026-W01\",\"won\":1}],\"iv\":[0.1,0.9],\"e\":[]}";

struct seen {
    size_t calls;
    long last_line;
    size_t nrules;
};

static void emit(void *ctx, long line, const char *rule, const char *why)
{
    struct seen *s = ctx;
    FUZZ_CHECK(rule && why && rule[0] && why[0], "empty rule or reason");
    FUZZ_CHECK(!strchr(rule, '\n') && !strchr(why, '\n'), "a line break in a printed rule");
    FUZZ_CHECK(line > s->last_line, "line %ld after line %ld", line, s->last_line);
    s->last_line = line;
    s->calls++;
}

static void eval(const struct rules *rs, const json_t *doc)
{
    struct seen s = {0, 0, rules_count(rs)};
    size_t failed = 0;
    struct fb_error err;
    fb_error_clear(&err);
    int rc = rules_eval(rs, doc, 1e-9, emit, &s, &failed, &err);
    FUZZ_CHECK(rc == 0, "rules_eval returned %d: %s", rc, err.msg);
    FUZZ_CHECK(failed == s.calls, "%zu failed, %zu calls of emit", failed, s.calls);
    FUZZ_CHECK(failed <= s.nrules, "%zu of %zu rules failed", failed, s.nrules);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    struct rules *rs = NULL;
    struct fb_error err;
    fb_error_clear(&err);
    int rc = rules_parse("f.rules", (const char *)data, n1, &rs, &err);
    FUZZ_CHECK(rc == 0 || rc == FB_EUSAGE, "rules_parse returned %d: %s", rc, err.msg);
    if (rc) {
        long lines = 1;
        for (size_t i = 0; i < n1; i++)
            lines += data[i] == '\n';
        FUZZ_CHECK(rs == NULL && err.msg[0], "refused without a message");
        FUZZ_CHECK(err.line >= 0 && err.line <= lines, "line %ld of %ld", err.line, lines);
        FUZZ_CHECK(err.line == 0 || (err.col >= 1 && (size_t)err.col <= n1 + 1),
                   "column %ld", err.col);
        return 0;
    }
    FUZZ_CHECK(rs && rules_count(rs) >= 1, "accepted a file without rules");
    json_error_t je;
    json_t *fixed = json_loads(fixed_report, 0, &je);
    FUZZ_CHECK(fixed != NULL, "the fixed report: %s", je.text);
    eval(rs, fixed);
    json_decref(fixed);
    if (nul) {
        json_t *doc = json_loadb((const char *)nul + 1, size - n1 - 1,
                                 JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        if (doc)
            eval(rs, doc);
        json_decref(doc);
    }
    rules_free(rs);
    return 0;
}
