/* funnel_def.h - the funnel: an ordered list of stage names, first to last,
 * the last meaning won (docs/METRICS.md §1).  Names are 1 to 64
 * bytes, unique case-insensitively (ASCII letters only). */
#ifndef FUNNEL_FUNNEL_DEF_H
#define FUNNEL_FUNNEL_DEF_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define FUNNEL_MAX_STAGE_NAME 64
#define FUNNEL_MAX_STAGES 256

struct funnel_def {
    size_t n;
    char **names;    /* owned, NUL-terminated, spelled as given */
    /* NULL, or n stale thresholds in seconds, -1 where the stage has none
     * of its own (docs/METRICS.md §4.14): from `stale-after=DUR` keys of a
     * funnel file and --stale-after STAGE=DUR.  Owned. */
    int64_t *stale_after;
};

/* suspect, prospect, interested, engaged, evaluating, negotiating, purchasing. */
int funnel_def_default(struct funnel_def *f, struct fb_error *err) FB_MUST_USE;

/* From "a,b,c" (--stages); blanks around each name are dropped, as in a
 * funnel file.  FB_EUSAGE on an empty, long or duplicate name. */
int funnel_def_from_list(struct funnel_def *f, const char *list, struct fb_error *err) FB_MUST_USE;

/* From a file: one name a line, '#' starts a comment, spaces and tabs around
 * names, empty lines and a UTF-8 byte order mark at the start ignored;
 * trailing `stale-after=DUR` tokens of a line are keys, not part of the
 * name (docs/METRICS.md §4.14).  FB_EUSAGE on bad names or keys (with
 * line), FB_EIO when unreadable. */
int funnel_def_from_file(struct funnel_def *f, const char *path, struct fb_error *err) FB_MUST_USE;

void funnel_def_free(struct funnel_def *f);

/* Set stage s's own stale threshold (allocating f->stale_after on first
 * use).  Returns 0 or FB_ENOMEM. */
int funnel_def_set_stale(struct funnel_def *f, size_t s, int64_t seconds, struct fb_error *err) FB_MUST_USE;

/* The index of the stage named s[0..n) (funnel_name_eq), or -1. */
int funnel_def_find(const struct funnel_def *f, const char *s, size_t n);

/* ASCII case-insensitive equality of s[0..n) and the NUL-terminated name. */
int funnel_name_eq(const char *s, size_t n, const char *name);

/* Narrow s[0..*n) to drop the blanks (space, tab, CR) around it. */
void funnel_trim(const char **s, size_t *n);

/* 1 when s[0..n) has blanks around it and equals name (funnel_name_eq) once
 * they are dropped.  Events are mapped without trimming (docs/METRICS.md
 * §1), so such an unmapped stage is worth a hint. */
int funnel_name_eq_trimmed(const char *s, size_t n, const char *name);

#endif
