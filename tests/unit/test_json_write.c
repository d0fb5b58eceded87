/* test_json_write.c - the streaming writer of reports/json_write.h gives,
 * byte for byte, jansson's dump (JSON_INDENT(2) | JSON_REAL_PRECISION(17))
 * of the same document: random documents are written both ways and
 * compared, and the cases that need care (escapes, reals that print as
 * integers or with exponents, empty containers, long lines past the
 * writer's buffer) are written on their own. */
#include <float.h>
#include <limits.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "json_report.h"
#include "json_write.h"
#include "test_support.h"

/* One document written both ways: into w and as the jansson tree. */
struct both {
    struct jw *w;
    uint64_t rng;
};

static json_t *real_json(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Attach v to parent (an object under key, or an array). */
static void attach(json_t *parent, const char *key, json_t *v)
{
    if (json_is_object(parent))
        json_object_set_new(parent, key, v);
    else
        json_array_append_new(parent, v);
}

static double random_real(uint64_t *rng)
{
    static const double special[] = {0.0, -0.0, 1.0, -2.0, 1e20, 1e21, 1e-5, 1e-7, 123456789012345678.0,
                                      0.1, 1.0 / 3.0, DBL_MAX, DBL_MIN, 5e-324, 1e300, NAN, INFINITY};
    uint64_t r = test_xorshift(rng);
    if (r % 3 == 0)
        return special[r / 3 % (sizeof special / sizeof *special)];
    double m = (double)(int64_t)(test_xorshift(rng) % 2000001) - 1000000.0;
    int e = (int)(test_xorshift(rng) % 61) - 30;
    return m * pow(10.0, e);
}

/* A string of random bytes below 0x80 (every control byte among them),
 * and some UTF-8 sequences. */
static size_t random_text(uint64_t *rng, char *s, size_t cap)
{
    size_t n = test_xorshift(rng) % (cap / 4);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = test_xorshift(rng);
        if (r % 9 == 0) {
            memcpy(s + k, "\xc3\xa9\xe2\x82\xac", 5);   /* e-acute, euro */
            k += 5;
        } else {
            s[k++] = (char)(r % 128);
        }
    }
    return k;
}

static void fill(struct both *b, json_t *parent, const char *key, int depth)
{
    char text[256];
    uint64_t r = test_xorshift(&b->rng) % (depth < 5 ? 9 : 7);
    switch (r) {
    case 0: {
        /* Any 64-bit value, the extremes, zero and short ones (the writer
         * formats integers by hand). */
        long long v = (long long)test_xorshift(&b->rng);
        const long long some[] = {LLONG_MIN, LLONG_MAX, 0, -1, 9, -10, v % 1000, v};
        v = some[test_xorshift(&b->rng) % 8];
        jw_int(b->w, key, v);
        attach(parent, key, json_integer(v));
        break;
    }
    case 1: {
        double v = random_real(&b->rng);
        jw_real(b->w, key, v);
        attach(parent, key, real_json(v));
        break;
    }
    case 2:
        jw_null(b->w, key);
        attach(parent, key, json_null());
        break;
    case 3:
    case 4: {
        size_t n = random_text(&b->rng, text, sizeof text);
        jw_strn(b->w, key, text, n);
        attach(parent, key, json_stringn(text, n));
        break;
    }
    case 5: {
        int v = (int)(test_xorshift(&b->rng) & 1);
        jw_bool(b->w, key, v);
        attach(parent, key, json_boolean(v));
        break;
    }
    case 6:
    case 7: {
        json_t *o = json_object();
        jw_obj(b->w, key);
        size_t n = test_xorshift(&b->rng) % 5;
        for (size_t i = 0; i < n; i++) {
            char k[32];
            snprintf(k, sizeof k, "k%zu\t\"%zu", i, (size_t)(test_xorshift(&b->rng) % 100));
            fill(b, o, k, depth + 1);
        }
        jw_obj_end(b->w);
        attach(parent, key, o);
        break;
    }
    default: {
        json_t *a = json_array();
        jw_arr(b->w, key);
        size_t n = test_xorshift(&b->rng) % 5;
        for (size_t i = 0; i < n; i++)
            fill(b, a, NULL, depth + 1);
        jw_arr_end(b->w);
        attach(parent, key, a);
    }
    }
}

/* The writer's text of one document and jansson's, compared. */
static void check_same(const char *mine, size_t len, json_t *root)
{
    char *theirs = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    assert_non_null(theirs);
    size_t tl = strlen(theirs);
    assert_int_equal(len, tl + 1);   /* jw_finish adds the new line */
    if (memcmp(mine, theirs, tl) != 0)
        fail_msg("differs:\n--- writer\n%.*s\n--- jansson\n%s", (int)len, mine, theirs);
    assert_int_equal(mine[tl], '\n');
    free(theirs);
}

static void random_documents(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 400; seed++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        struct jw *w = malloc(sizeof *w);
        assert_non_null(w);
        jw_init(w, f);
        struct both b = {w, seed * 0x9E3779B97F4A7C15u};
        json_t *root = json_object();
        jw_obj(w, NULL);
        for (size_t i = 0; i < 6; i++) {
            char k[16];
            snprintf(k, sizeof k, "key%zu", i);
            fill(&b, root, k, 0);
        }
        jw_obj_end(w);
        assert_int_equal(jw_finish(w), 0);
        assert_int_equal(fclose(f), 0);
        check_same(text, len, root);
        json_decref(root);
        free(w);
        free(text);
    }
}

/* A document far longer than the buffer, with one string longer than it. */
static void longer_than_the_buffer(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct jw *w = malloc(sizeof *w);
    assert_non_null(w);
    jw_init(w, f);
    json_t *root = json_array();
    jw_arr(w, NULL);
    char *big = malloc(3 * JW_BUF);
    assert_non_null(big);
    memset(big, 'x', 3 * JW_BUF);
    big[JW_BUF] = '"';
    jw_strn(w, NULL, big, 3 * JW_BUF);
    json_array_append_new(root, json_stringn(big, 3 * JW_BUF));
    for (int i = 0; i < 20000; i++) {
        jw_real(w, NULL, i / 7.0);
        json_array_append_new(root, json_real(i / 7.0));
    }
    jw_arr_end(w);
    assert_int_equal(jw_finish(w), 0);
    fclose(f);
    check_same(text, len, root);
    json_decref(root);
    free(big);
    free(w);
    free(text);
}

/* A failed write is reported by jw_finish. */
static void write_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    struct jw *w = malloc(sizeof *w);
    assert_non_null(w);
    jw_init(w, f);
    jw_obj(w, NULL);
    for (int i = 0; i < 10000; i++)
        jw_int(w, "n", i);
    jw_obj_end(w);
    assert_int_equal(jw_finish(w), -1);
    fclose(f);
    free(w);
}

/* A report holding a name that is not UTF-8 is refused before its first
 * byte is written (a JSON string cannot hold it). */
static void refuses_names_not_utf8(void **state)
{
    (void)state;
    struct res_stage st = {0};
    st.name = "suspect";
    struct res_unmapped u = {.name = "caf\xe9", .len = 4, .events = 1};
    struct res_report r = {0};
    r.stages = &st;
    r.nstages = 1;
    r.unmapped = &u;
    r.nunmapped = 1;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(rpt_json_write(&r, f, &err), FB_EINPUT);
    assert_non_null(strstr(err.msg, "not UTF-8"));
    fclose(f);
    assert_int_equal(len, 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_documents),
        cmocka_unit_test(longer_than_the_buffer),
        cmocka_unit_test(write_error),
        cmocka_unit_test(refuses_names_not_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
