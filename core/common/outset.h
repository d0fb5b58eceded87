/* outset.h - a directory of files published as one set (docs/DECISIONS.md,
 * "Publishing a report as one set"; docs/CHARTS.md "Safety model" 7).
 *
 * DIR, the path users open, is a symlink to DIR.v/ID, one folder per run.
 * A run writes its files into a new folder DIR.v/ID, syncs it, and switches
 * DIR to it with symlink() + rename(), one atomic step: a reader sees the
 * whole previous set or the whole new one, never a mix.  The previous
 * folder is kept (DIR.v/previous names it) for readers still inside it;
 * older ones and whatever a killed run left in DIR.v are removed at the
 * start and the end of the next run, under a lock (DIR.v/lock) so that two
 * runs never remove each other's folder.
 *
 * A DIR that is a plain directory (from a funnel before this layout) is
 * taken over only when it holds nothing but the set's own file names and
 * their temporary names: it is exchanged with the new symlink in one step
 * (renameat2 RENAME_EXCHANGE) and kept as the previous folder.  Anything
 * else in it is refused before anything is touched. */
#ifndef FUNNEL_OUTSET_H
#define FUNNEL_OUTSET_H

#include "err.h"

struct outset {
    char *dir;        /* DIR.v/ID: write the set's files here */
    char *link;       /* DIR (trailing slashes cut; a symlink of the
                         user's followed to the name it leads to) */
    char *vdir;       /* DIR.v */
    char *id;         /* this run's folder name in vdir */
    char *old_id;     /* the folder DIR named before, NULL if none */
    int migrate;      /* DIR is a plain directory from an older funnel */
    int lock_fd;      /* DIR.v/lock, held with flock while the run lasts */
};

/* Prepare a new set for DIR: refuse a DIR that is not ours (FB_EUSAGE:
 * a plain directory holding a name not in names, or not a directory
 * (FB_EIO)); create DIR's parents and DIR.v; take the lock (FB_EIO when
 * another run holds it); remove what killed runs left in DIR.v; create
 * the new folder s->dir.  names (NULL-terminated) are the files a set may
 * hold.  On failure nothing new is left behind.  Returns 0, FB_EUSAGE,
 * FB_EIO or FB_ENOMEM. */
int outset_begin(struct outset *s, const char *dir, const char *const *names,
                 struct fb_error *err) FB_MUST_USE;

/* Sync the new folder, switch DIR to it in one rename, sync DIR's parent,
 * then remove every folder but the new and the previous one.  Always
 * releases s.  On failure the new folder is removed and DIR still names the
 * previous set.  Returns 0 or FB_EIO (FB_ENOMEM). */
int outset_commit(struct outset *s, struct fb_error *err) FB_MUST_USE;

/* Drop the new folder and release s; DIR is untouched.  A zeroed s (or one
 * after a failed outset_begin) is fine. */
void outset_abort(struct outset *s);

/* Whether name is a run folder's name (outset_begin makes them:
 * YYYYMMDDTHHMMSSZ-PID-N); only such names are ever removed from DIR.v. */
int outset_is_id(const char *name);

#endif
