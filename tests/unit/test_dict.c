/* test_dict.c - the interning dictionary of core/log/dict.h: id 0 is "", ids are
 * dense in insertion order, lookups round-trip exact bytes (NUL bytes
 * included), fold_case folds ASCII letters only and keeps the first
 * spelling, and growth to 1e5 entries loses nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "dict.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static struct dict *new_dict(int fold)
{
    struct dict *d = dict_new(fold);
    assert_non_null(d);
    return d;
}

static uint32_t intern(struct dict *d, const char *s, size_t len, int want_added)
{
    uint32_t id = UINT32_MAX;
    int added = -1;
    assert_int_equal(dict_intern(d, s, len, &id, &added), 0);
    if (added != want_added)
        fail_msg("interning \"%.*s\": added=%d, expected %d", (int)len, s, added, want_added);
    return id;
}

static uint32_t intern_s(struct dict *d, const char *s, int want_added)
{
    return intern(d, s, strlen(s), want_added);
}

static void assert_str_is(const struct dict *d, uint32_t id, const char *s, size_t len)
{
    size_t n = SIZE_MAX;
    const char *p = dict_str(d, id, &n);
    assert_non_null(p);
    assert_int_equal(n, len);
    if (len)
        assert_memory_equal(p, s, len);
}

static int find(const struct dict *d, const char *s, size_t len, uint32_t *id)
{
    *id = UINT32_MAX;
    return dict_find(d, s, len, id);
}

/* ---- id 0 ---- */

static void new_dictionary_holds_only_id_0_the_empty_string(void **state)
{
    (void)state;
    for (int fold = 0; fold <= 1; fold++) {
        struct dict *d = new_dict(fold);
        uint32_t id;
        assert_int_equal(dict_size(d), 1);
        assert_str_is(d, 0, "", 0);
        assert_int_equal(find(d, "", 0, &id), 1);
        assert_int_equal(id, 0);
        assert_int_equal(intern(d, "", 0, 0), 0);
        assert_int_equal(dict_size(d), 1);
        dict_free(d);
    }
}

static void empty_string_stays_id_0_after_other_strings(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    uint32_t id;
    intern_s(d, "x", 1);
    intern_s(d, "yy", 1);
    assert_int_equal(intern(d, "", 0, 0), 0);
    assert_int_equal(find(d, "", 0, &id), 1);
    assert_int_equal(id, 0);
    assert_str_is(d, 0, "", 0);
    assert_int_equal(dict_size(d), 3);
    dict_free(d);
}

/* ---- round trip ---- */

static void intern_then_find_gives_the_same_id_and_bytes(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    uint32_t id = intern_s(d, "lead-42", 1), got;
    assert_int_equal(id, 1);
    assert_int_equal(intern_s(d, "lead-42", 0), id);
    assert_int_equal(find(d, "lead-42", 7, &got), 1);
    assert_int_equal(got, id);
    assert_str_is(d, id, "lead-42", 7);
    assert_int_equal(dict_size(d), 2);
    dict_free(d);
}

static void find_of_an_absent_string_changes_nothing(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    uint32_t id;
    intern_s(d, "lead", 1);
    assert_int_equal(find(d, "lea", 3, &id), 0);
    assert_int_equal(find(d, "leads", 5, &id), 0);
    assert_int_equal(find(d, "LEAD", 4, &id), 0);
    assert_int_equal(dict_size(d), 2);
    dict_free(d);
}

static void added_may_be_null(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    uint32_t a = 0, b = 0;
    assert_int_equal(dict_intern(d, "x", 1, &a, NULL), 0);
    assert_int_equal(dict_intern(d, "x", 1, &b, NULL), 0);
    assert_int_equal(a, 1);
    assert_int_equal(b, 1);
    dict_free(d);
}

static void only_len_bytes_are_the_string(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    uint32_t ab = intern(d, "abXYZ", 2, 1), id;
    assert_int_equal(intern(d, "abc", 2, 0), ab);
    assert_int_equal(find(d, "ab!!", 2, &id), 1);
    assert_int_equal(id, ab);
    assert_str_is(d, ab, "ab", 2);
    dict_free(d);
}

static void ids_are_dense_in_insertion_order(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    char s[32];
    for (uint32_t i = 1; i <= 500; i++) {
        snprintf(s, sizeof s, "s%u", (1000 - i) * 7);  /* not in sorted order */
        assert_int_equal(intern_s(d, s, 1), i);
        assert_int_equal(dict_size(d), i + 1);
    }
    for (uint32_t i = 500; i >= 1; i--) {
        snprintf(s, sizeof s, "s%u", (1000 - i) * 7);
        assert_int_equal(intern_s(d, s, 0), i);
        assert_str_is(d, i, s, strlen(s));
    }
    assert_int_equal(dict_size(d), 501);
    dict_free(d);
}

static void prefixes_and_extensions_are_distinct(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    const char *s[] = {"a", "ab", "abc", "abcd", "abcdefgh", "abcdefghi", "b", "ba"};
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(intern_s(d, s[i], 1), i + 1);
    for (uint32_t i = 0; i < 8; i++)
        assert_str_is(d, i + 1, s[i], strlen(s[i]));
    dict_free(d);
}

static void binary_strings_with_nul_bytes_are_kept_exactly(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    static const char a[] = "a\0b", b[] = "a\0c", c[] = "a", e[] = "a\0", z[] = "\0", zz[] = "\0\0";
    uint32_t ia = intern(d, a, 3, 1), ib = intern(d, b, 3, 1), ic = intern(d, c, 1, 1);
    uint32_t ie = intern(d, e, 2, 1), iz = intern(d, z, 1, 1), izz = intern(d, zz, 2, 1), id;
    assert_int_equal(dict_size(d), 7);
    assert_str_is(d, ia, a, 3);
    assert_str_is(d, ib, b, 3);
    assert_str_is(d, ic, c, 1);
    assert_str_is(d, ie, e, 2);
    assert_str_is(d, iz, z, 1);
    assert_str_is(d, izz, zz, 2);
    assert_int_equal(find(d, "a\0b", 3, &id), 1);
    assert_int_equal(id, ia);
    assert_int_equal(find(d, "\0", 1, &id), 1);
    assert_int_equal(id, iz);
    assert_int_equal(find(d, "\0\0\0", 3, &id), 0);
    /* A NUL-only string is not the empty string. */
    assert_int_not_equal(iz, 0);
    dict_free(d);
}

static void all_256_byte_values_round_trip(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    for (int i = 0; i < 256; i++)
        assert_int_equal(intern(d, (const char *)all + i, 1, 1), (uint32_t)i + 1);
    uint32_t whole = intern(d, (const char *)all, 256, 1);
    assert_str_is(d, whole, (const char *)all, 256);
    for (int i = 0; i < 256; i++)
        assert_str_is(d, (uint32_t)i + 1, (const char *)all + i, 1);
    dict_free(d);
}

static void long_strings_round_trip(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    size_t n = 65535;
    char *s = malloc(n);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + i % 26);
    uint32_t full = intern(d, s, n, 1), shorter = intern(d, s, n - 1, 1);
    s[n - 1] ^= 1;
    uint32_t changed = intern(d, s, n, 1);
    assert_int_not_equal(full, changed);
    assert_str_is(d, changed, s, n);
    s[n - 1] ^= 1;
    assert_str_is(d, full, s, n);
    assert_str_is(d, shorter, s, n - 1);
    free(s);
    dict_free(d);
}

/* ---- letter case ---- */

static void without_fold_case_letter_case_matters(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    uint32_t lo = intern_s(d, "sales", 1), up = intern_s(d, "Sales", 1), id;
    assert_int_not_equal(lo, up);
    assert_int_equal(find(d, "SALES", 5, &id), 0);
    dict_free(d);
}

static void fold_case_keeps_the_first_spelling(void **state)
{
    (void)state;
    struct dict *d = new_dict(1);
    uint32_t id = intern_s(d, "Segment", 1), got;
    assert_int_equal(intern_s(d, "SEGMENT", 0), id);
    assert_int_equal(intern_s(d, "segment", 0), id);
    assert_int_equal(intern_s(d, "sEgMeNt", 0), id);
    assert_str_is(d, id, "Segment", 7);
    assert_int_equal(find(d, "segMENT", 7, &got), 1);
    assert_int_equal(got, id);
    assert_int_equal(dict_size(d), 2);
    dict_free(d);
}

static void fold_case_folds_every_ascii_letter(void **state)
{
    (void)state;
    struct dict *d = new_dict(1);
    const char *upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", *lower = "abcdefghijklmnopqrstuvwxyz";
    uint32_t id = intern_s(d, upper, 1);
    assert_int_equal(intern_s(d, lower, 0), id);
    for (int i = 0; i < 26; i++) {
        uint32_t a = intern(d, upper + i, 1, 1);
        assert_int_equal(intern(d, lower + i, 1, 0), a);
    }
    dict_free(d);
}

/* Bytes 32 apart that are not letters: @ ` [ { \ | ] } ^ ~ _ DEL, and the
 * Latin-1 / UTF-8 letters whose case differs by 0x20 in one byte. */
static void fold_case_leaves_non_letters_and_non_ascii_alone(void **state)
{
    (void)state;
    struct dict *d = new_dict(1);
    static const char *pairs[][2] = {
        {"@", "`"}, {"[", "{"}, {"\\", "|"}, {"]", "}"}, {"^", "~"}, {"_", "\x7f"},
        {"\xC3\x89", "\xC3\xA9"},          /* É é in UTF-8 */
        {"\xC3\x80", "\xC3\xA0"},          /* À à */
        {"\xC1", "\xE1"},                  /* Á á in Latin-1 */
        {"caf\xC3\x89", "caf\xC3\xA9"},
        {"\xD0\x90", "\xD0\xB0"},          /* Cyrillic А а: different second byte */
        {"stra\xC3\x9F" "e", "STRASSE"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        uint32_t a = intern_s(d, pairs[i][0], 1);
        uint32_t b = intern_s(d, pairs[i][1], 1);
        assert_int_not_equal(a, b);
        assert_str_is(d, b, pairs[i][1], strlen(pairs[i][1]));
    }
    /* ... while the ASCII part around them still folds. */
    uint32_t id = intern_s(d, "Caf\xC3\x89", 0);
    assert_str_is(d, id, "caf\xC3\x89", 5);
    dict_free(d);
}

static void fold_case_folds_past_256_bytes(void **state)
{
    (void)state;
    struct dict *d = new_dict(1);
    char a[600], b[600];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (char)('a' + i % 26);
    b[599] = (char)(b[599] - 32);    /* case differs only in the last byte */
    b[300] = (char)(b[300] - 32);
    uint32_t ia = intern(d, a, sizeof a, 1);
    assert_int_equal(intern(d, b, sizeof b, 0), ia);
    b[599] = '1';
    assert_int_not_equal(intern(d, b, sizeof b, 1), ia);
    dict_free(d);
}

static void fold_case_keeps_nul_bytes_significant(void **state)
{
    (void)state;
    struct dict *d = new_dict(1);
    uint32_t a = intern(d, "A\0b", 3, 1);
    assert_int_equal(intern(d, "a\0B", 3, 0), a);
    assert_int_not_equal(intern(d, "a\0c", 3, 1), a);
    assert_int_not_equal(intern(d, "a", 1, 1), a);
    assert_str_is(d, a, "A\0b", 3);
    dict_free(d);
}

/* Hashes feed the batch fingerprint, so they must not depend on spelling
 * (with fold_case), on insertion order, or on the dictionary instance. */
static void hash_depends_only_on_the_folded_string(void **state)
{
    (void)state;
    struct dict *f1 = new_dict(1), *f2 = new_dict(1), *p1 = new_dict(0), *p2 = new_dict(0);
    uint32_t a = intern_s(f1, "Owner", 1);
    intern_s(f2, "zzz", 1);
    uint32_t b = intern_s(f2, "OWNER", 1);
    assert_true(dict_hash(f1, a) == dict_hash(f2, b));
    uint32_t c = intern_s(p1, "lead-1", 1);
    intern_s(p2, "other", 1);
    uint32_t e = intern_s(p2, "lead-1", 1);
    assert_true(dict_hash(p1, c) == dict_hash(p2, e));
    uint32_t g = intern_s(p2, "lead-2", 1);
    assert_true(dict_hash(p2, g) != dict_hash(p2, e));
    assert_true(dict_hash(p1, 0) == dict_hash(p2, 0));
    dict_free(f1);
    dict_free(f2);
    dict_free(p1);
    dict_free(p2);
}

/* ---- scale and pointer stability ---- */

#define MANY 100000u

static size_t many_key(char *s, uint32_t i)
{
    /* Lengths 1..40 bytes, all distinct: a number and a variable tail. */
    int n = snprintf(s, 64, "%x", i * 2654435761u);
    size_t len = (size_t)n + i % 32;
    for (size_t k = (size_t)n; k < len; k++)
        s[k] = (char)('g' + k % 20);
    return len;
}

static void a_hundred_thousand_entries_survive_growth(void **state)
{
    (void)state;
    for (int fold = 0; fold <= 1; fold++) {
        struct dict *d = new_dict(fold);
        char s[64];
        for (uint32_t i = 0; i < MANY; i++) {
            size_t len = many_key(s, i);
            assert_int_equal(intern(d, s, len, 1), i + 1);
        }
        assert_int_equal(dict_size(d), MANY + 1);
        for (uint32_t i = 0; i < MANY; i++) {
            size_t len = many_key(s, i);
            uint32_t id;
            assert_int_equal(find(d, s, len, &id), 1);
            assert_int_equal(id, i + 1);
            assert_str_is(d, i + 1, s, len);
        }
        uint32_t id;
        assert_int_equal(find(d, "not there", 9, &id), 0);
        assert_int_equal(intern_s(d, "one more", 1), MANY + 1);
        dict_free(d);
    }
}

static void dict_str_pointer_is_stable_across_lookups(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    char s[64];
    for (uint32_t i = 0; i < 5000; i++)
        intern(d, s, many_key(s, i), 1);
    size_t n1, n2;
    const char *p1 = dict_str(d, 1, &n1), *p4999 = dict_str(d, 4999, &n2);
    char copy1[64], copy2[64];
    memcpy(copy1, p1, n1);
    memcpy(copy2, p4999, n2);
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t id;
        size_t len = many_key(s, i);
        (void)find(d, s, len, &id);
        (void)dict_hash(d, i % 5000);
        (void)dict_size(d);
        size_t k;
        (void)dict_str(d, i % 5000, &k);
    }
    size_t m1, m2;
    assert_ptr_equal(dict_str(d, 1, &m1), p1);
    assert_ptr_equal(dict_str(d, 4999, &m2), p4999);
    assert_int_equal(m1, n1);
    assert_int_equal(m2, n2);
    assert_memory_equal(p1, copy1, n1);
    assert_memory_equal(p4999, copy2, n2);
    dict_free(d);
}

/* After growth the old pointers may move, but the bytes must not change. */
static void bytes_survive_arena_growth(void **state)
{
    (void)state;
    struct dict *d = new_dict(0);
    uint32_t first = intern_s(d, "first-string", 1);
    char big[5000];
    memset(big, 'q', sizeof big);
    for (int i = 0; i < 300; i++) {
        big[0] = (char)i;
        big[1] = (char)(i >> 8);
        intern(d, big, sizeof big, 1);
    }
    assert_str_is(d, first, "first-string", 12);
    dict_free(d);
}

/* ---- out of memory ---- */

#ifndef UNDER_ASAN
static long vm_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld", &pages) != 1)
        pages = -1;
    fclose(f);
    return pages < 0 ? -1 : pages * 4096;
}
#endif

/* With the address space capped, interning a 64 MiB string cannot get
 * memory: dict_intern says FB_ENOMEM and the dictionary is unchanged. */
static void out_of_memory_leaves_the_dictionary_unchanged(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    skip();
#else
    size_t n = (size_t)64 << 20;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    struct dict *d = new_dict(0);
    uint32_t a = intern_s(d, "a", 1), id = 77;
    struct rlimit old, cap;
    long vm = vm_bytes();
    assert_true(vm > 0);
    assert_int_equal(getrlimit(RLIMIT_AS, &old), 0);
    cap = old;
    cap.rlim_cur = (rlim_t)vm + ((rlim_t)16 << 20);
    assert_int_equal(setrlimit(RLIMIT_AS, &cap), 0);
    int rc = dict_intern(d, big, n, &id, NULL);
    assert_int_equal(setrlimit(RLIMIT_AS, &old), 0);
    assert_int_equal(rc, FB_ENOMEM);
    assert_int_equal(dict_size(d), 2);
    assert_int_equal(find(d, big, n, &id), 0);
    assert_str_is(d, a, "a", 1);
    /* With memory back the same call works. */
    assert_int_equal(intern(d, big, n, 1), 2);
    assert_int_equal(intern_s(d, "b", 1), 3);
    free(big);
    dict_free(d);
#endif
}

/* A dictionary with room reserved first holds the same ids and bytes as
 * one grown string by string, before and after the reservation; a
 * reservation past 2^31 strings is refused and changes nothing. */
static void reserved_room_changes_no_id(void **state)
{
    (void)state;
    struct dict *a = dict_new(0), *b = dict_new(0);
    assert_non_null(a);
    assert_non_null(b);
    char s[32];
    uint32_t id, jd;
    for (uint32_t i = 0; i < 5000; i++) {
        int n = snprintf(s, sizeof s, "E%08u", i * 7919u);
        if (i == 100)
            assert_int_equal(dict_reserve(b, 5001, 5000 * 10), 0);
        assert_int_equal(dict_intern(a, s, (size_t)n, &id, NULL), 0);
        assert_int_equal(dict_intern(b, s, (size_t)n, &jd, NULL), 0);
        assert_int_equal(id, jd);
    }
    assert_int_equal(dict_reserve(b, UINT32_MAX / 2 + 1, 0), FB_ENOMEM);
    for (uint32_t i = 0; i < 5000; i++) {
        int n = snprintf(s, sizeof s, "E%08u", i * 7919u);
        assert_int_equal(dict_find(b, s, (size_t)n, &id), 1);
        assert_int_equal(id, i + 1);
        assert_str_is(b, id, s, (size_t)n);
    }
    assert_int_equal(dict_size(b), 5001);
    dict_free(a);
    dict_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_dictionary_holds_only_id_0_the_empty_string),
        cmocka_unit_test(empty_string_stays_id_0_after_other_strings),
        cmocka_unit_test(intern_then_find_gives_the_same_id_and_bytes),
        cmocka_unit_test(find_of_an_absent_string_changes_nothing),
        cmocka_unit_test(added_may_be_null),
        cmocka_unit_test(only_len_bytes_are_the_string),
        cmocka_unit_test(ids_are_dense_in_insertion_order),
        cmocka_unit_test(prefixes_and_extensions_are_distinct),
        cmocka_unit_test(binary_strings_with_nul_bytes_are_kept_exactly),
        cmocka_unit_test(all_256_byte_values_round_trip),
        cmocka_unit_test(long_strings_round_trip),
        cmocka_unit_test(without_fold_case_letter_case_matters),
        cmocka_unit_test(fold_case_keeps_the_first_spelling),
        cmocka_unit_test(fold_case_folds_every_ascii_letter),
        cmocka_unit_test(fold_case_leaves_non_letters_and_non_ascii_alone),
        cmocka_unit_test(fold_case_folds_past_256_bytes),
        cmocka_unit_test(fold_case_keeps_nul_bytes_significant),
        cmocka_unit_test(hash_depends_only_on_the_folded_string),
        cmocka_unit_test(a_hundred_thousand_entries_survive_growth),
        cmocka_unit_test(dict_str_pointer_is_stable_across_lookups),
        cmocka_unit_test(bytes_survive_arena_growth),
        cmocka_unit_test(out_of_memory_leaves_the_dictionary_unchanged),
        cmocka_unit_test(reserved_room_changes_no_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
