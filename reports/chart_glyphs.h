/* chart_glyphs.h - which characters the charts' font can draw (docs/CHARTS.md,
 * "Fonts").  pango draws a character that no installed font has as a box,
 * and under gnuplot's cairo terminal that box comes out hundreds of pixels
 * wide, covering the chart; such characters are replaced before they reach
 * a label.  The answer comes from fontconfig, the font library that
 * gnuplot's pngcairo uses, loaded at run time (so funnel itself needs no
 * font library to build or to run its other commands). */
#ifndef FUNNEL_CHART_GLYPHS_H
#define FUNNEL_CHART_GLYPHS_H

#include "err.h"

/* Copy the UTF-8 text s (valid UTF-8, as chart_clean makes it) to a new
 * string in *out, with every character that no font of the "Sans" family
 * fallback list covers replaced by U+FFFD (or '?' when even that has no
 * glyph).  When fontconfig cannot be loaded, s is copied unchanged.
 * Returns 0 or FB_ENOMEM. */
int chart_drawable(const char *s, char **out, struct fb_error *err) FB_MUST_USE;

/* Free what fontconfig holds (the coverage is computed once and kept until
 * then; the next chart_drawable loads it again). */
void chart_glyphs_release(void);

#endif
