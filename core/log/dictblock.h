/* dictblock.h - DICT blocks (docs/FORMAT.md §5): the strings a batch added to
 * one dictionary, and loading a log's dictionaries back from them. */
#ifndef FUNNEL_DICTBLOCK_H
#define FUNNEL_DICTBLOCK_H

#include <stdint.h>
#include "blocklog.h"
#include "dict.h"
#include "err.h"

/* Append DICT blocks holding ids [from, dict_size(d)) of dictionary `kind`
 * to out, at most BLOG_DICT_MAX_ENTRIES per block.  Returns 0, FB_ENOMEM, or
 * FB_EINPUT for a string longer than BLOG_MAX_STRING (nothing valid can be
 * written then; out may hold part of the blocks). */
int dictblock_write(const struct dict *d, int kind, uint32_t from, struct buf *out) FB_MUST_USE;

/* Load the committed DICT blocks of the kinds in kind_mask (bit 1<<kind)
 * into dicts[kind] (fresh dictionaries from dict_new; fold case for
 * attribute names).  Ids must come out in order and end at the last
 * commit's sizes, else the log is corrupt.  Returns 0, FB_ECORRUPT, FB_EIO
 * or FB_ENOMEM. */
int dictblock_load(int fd, const char *path, const struct blog_scan *s, unsigned kind_mask,
                   struct dict **dicts, struct fb_error *err) FB_MUST_USE;

#endif
