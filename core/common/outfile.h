/* outfile.h - atomic output files: written under a temporary name in the
 * same directory and renamed into place only when complete, so a reader
 * sees the previous complete file or the new complete file, never a part.
 * "-" means standard output (written directly). A path that names
 * something other than a regular file (/dev/null, a FIFO, a terminal) is
 * written directly too: replacing a device node with a file would be a
 * disaster, and such outputs have no "previous file" to protect. A symlink
 * is followed, so its target is replaced (or created, for a dangling link),
 * never the link.  A replaced file keeps its mode (outpath_set_mode); the
 * temporary name is outpath_tmpname's, so any valid name can be written. */
#ifndef FUNNEL_OUTFILE_H
#define FUNNEL_OUTFILE_H

#include <stdio.h>
#include "err.h"

struct outfile {
    FILE *fp;          /* write here */
    char *path;        /* final name, NULL for stdout */
    char *tmp;         /* temporary name, NULL when written directly */
};

/* Open path for writing.  Returns 0, FB_EIO or FB_ENOMEM. */
int outfile_open(struct outfile *o, const char *path, struct fb_error *err) FB_MUST_USE;

/* Flush, sync and rename into place.  Always releases o.  Returns 0 or
 * FB_EIO (the temporary file is removed and the old file stays). */
int outfile_commit(struct outfile *o, struct fb_error *err) FB_MUST_USE;

/* Drop the temporary file; the old file stays.  Safe after a failed open. */
void outfile_abort(struct outfile *o);

#endif
