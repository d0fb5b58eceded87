/* append_shards.h - `funnel append --shards N DIR FILE...`: one CSV read,
 * each row to its shard's batch, all or nothing over the whole input
 * (docs/FORMAT.md §13.3).  Kept apart from cmd_append.c, whose option
 * parsing only hands over to it. */
#ifndef FUNNEL_APPEND_SHARDS_H
#define FUNNEL_APPEND_SHARDS_H

#include <stdint.h>
#include "shardset.h"

struct append_shards_args {
    const char *dir;
    uint32_t n;
    char **files;
    int nfiles;
    int quiet;
    int allow_dup;
};

/* Parse N of --shards (1..SHARDSET_MAX_SHARDS, digits only): 0 or -1. */
int append_shards_parse_n(const char *s, uint32_t *n);

/* Run the sharded append; returns the exit code. */
int append_shards_run(const struct append_shards_args *a);

#endif
