/* chart_glyphs.c - font coverage through fontconfig, loaded with dlopen;
 * see chart_glyphs.h.  The coverage is that of FcFontSort("Sans"), the
 * fallback list pango walks to find a font for each character: a character
 * outside the union of its charsets is one pango cannot draw. */
#include "chart_glyphs.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*fc_init_fn)(void);
typedef void *(*fc_name_parse_fn)(const unsigned char *);
typedef int (*fc_config_substitute_fn)(void *, void *, int);
typedef void (*fc_default_substitute_fn)(void *);
typedef void *(*fc_font_sort_fn)(void *, void *, int, void **, int *);
typedef int (*fc_charset_has_fn)(const void *, uint32_t);
typedef void (*fc_destroy_fn)(void *);

/* Loaded once, until chart_glyphs_release: 0 not tried, 1 coverage known,
 * -1 unavailable. */
static int state;
static void *lib;               /* the dlopen handle */
static void *coverage;          /* FcCharSet*, owned */
static fc_charset_has_fn has_char;

static void load(void)
{
    state = -1;
    lib = dlopen("libfontconfig.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return;
    fc_init_fn init = (fc_init_fn)dlsym(lib, "FcInit");
    fc_name_parse_fn parse = (fc_name_parse_fn)dlsym(lib, "FcNameParse");
    fc_config_substitute_fn subst = (fc_config_substitute_fn)dlsym(lib, "FcConfigSubstitute");
    fc_default_substitute_fn defsubst = (fc_default_substitute_fn)dlsym(lib, "FcDefaultSubstitute");
    fc_font_sort_fn sort = (fc_font_sort_fn)dlsym(lib, "FcFontSort");
    fc_destroy_fn set_destroy = (fc_destroy_fn)dlsym(lib, "FcFontSetDestroy");
    fc_destroy_fn pat_destroy = (fc_destroy_fn)dlsym(lib, "FcPatternDestroy");
    has_char = (fc_charset_has_fn)dlsym(lib, "FcCharSetHasChar");
    if (!init || !parse || !subst || !defsubst || !sort || !set_destroy || !pat_destroy ||
        !has_char || !init())
        return;
    void *pat = parse((const unsigned char *)"Sans");
    if (!pat)
        return;
    subst(NULL, pat, 0 /* FcMatchPattern */);
    defsubst(pat);
    int result = 0;
    void *cs = NULL, *set = sort(NULL, pat, 1, &cs, &result);
    if (set)
        set_destroy(set);
    pat_destroy(pat);
    if (cs) {
        coverage = cs;
        state = 1;
    }
}

/* Decode the code point at s (valid UTF-8); *len gets its length. */
static uint32_t decode(const unsigned char *s, size_t *len)
{
    if (s[0] < 0x80)
        return *len = 1, s[0];
    if (s[0] < 0xE0)
        return *len = 2, (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    if (s[0] < 0xF0)
        return *len = 3, (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    return *len = 4, (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
                     (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

void chart_glyphs_release(void)
{
    if (lib) {
        fc_destroy_fn cs_destroy = (fc_destroy_fn)dlsym(lib, "FcCharSetDestroy");
        void (*fini)(void) = (void (*)(void))dlsym(lib, "FcFini");
        if (coverage && cs_destroy)
            cs_destroy(coverage);
        if (state == 1 && fini)
            fini();
        dlclose(lib);
    }
    lib = coverage = NULL;
    has_char = NULL;
    state = 0;
}

int chart_drawable(const char *s, char **out, struct fb_error *err)
{
    size_t n = strlen(s);
    if (state == 0)
        load();
    /* Each replacement (3 bytes) stands for at least one byte of input. */
    char *d = malloc(3 * n + 1), *p = d;
    if (!d)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int fffd = state == 1 && has_char(coverage, 0xFFFD);
    for (const unsigned char *u = (const unsigned char *)s; *u;) {
        size_t len;
        uint32_t cp = decode(u, &len);
        if (cp < 0x80 || state != 1 || has_char(coverage, cp)) {
            memcpy(p, u, len);
            p += len;
        } else if (fffd) {
            memcpy(p, "\xEF\xBF\xBD", 3);
            p += 3;
        } else {
            *p++ = '?';
        }
        u += len;
    }
    *p = '\0';
    *out = d;
    return 0;
}
