/* page_text.h - how data-derived text reaches the page (docs/CHARTS.md,
 * "Safety model" point 8): cleaned, HTML-escaped and isolated in <bdi>.
 * Every page writer (page.c, page_tables.c) puts data through here. */
#ifndef FUNNEL_PAGE_TEXT_H
#define FUNNEL_PAGE_TEXT_H

#include <stddef.h>
#include <stdio.h>
#include "err.h"

/* Write s[0..len) (any bytes, NUL included) to out as text: control bytes
 * become spaces, bytes that are not valid UTF-8 '?', `& < > " '` their
 * entities, all inside <bdi>...</bdi>.  Returns 0 or FB_ENOMEM (write
 * errors show in ferror(out)). */
int page_text(FILE *out, const char *s, size_t len, struct fb_error *err) FB_MUST_USE;

#endif
