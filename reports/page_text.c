/* page_text.c - escaped text for the page; see page_text.h. */
#include "page_text.h"

#include <stdlib.h>

#include "chart_label.h"

/* Isolated in <bdi>: a bidirectional control in a name (U+202E
 * RIGHT-TO-LEFT OVERRIDE, U+2067 ...) then ends with the name instead of
 * reversing the rest of its paragraph (docs/CHARTS.md, "Safety model" 8). */
int page_text(FILE *out, const char *s, size_t len, struct fb_error *err)
{
    char *c;
    if (chart_clean(s, len, &c, err))
        return FB_ENOMEM;
    fputs("<bdi>", out);
    for (const char *p = c; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: putc(*p, out);
        }
    }
    fputs("</bdi>", out);
    free(c);
    return 0;
}
