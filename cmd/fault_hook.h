/* fault_hook.h - crash injection for the reliability tests
 * (docs/RELIABILITY.md, "Crash at each I/O step, and power loss").
 *
 *   FUNNEL_FAULT=STEP:K[:MODE]
 *
 * kills `append` with SIGKILL right after the K-th I/O step of kind STEP
 * (write, sync, truncate, dirsync, rename [the link() that creates a new log],
 * spill [a write to the batch's nameless spill file, core/log/spill.h], or any).
 * MODE simulates power loss at that moment: `cut` truncates the file to the
 * length last synced; `garbage` overwrites everything after it with
 * pseudo-random 512-byte sectors (for `spill`, the spill file from 0).
 *
 *   FUNNEL_SPILL_BYTES=N
 *
 * holds at most N bytes of EVENTS blocks in memory before they go to the
 * spill file (default SPILL_DEFAULT_LIMIT), so tests spill small batches.
 * Unset (always, outside tests) they do nothing. */
#ifndef FUNNEL_FAULT_HOOK_H
#define FUNNEL_FAULT_HOOK_H

#include <stddef.h>
#include "appender.h"

/* A hook from the environment, or one with after == NULL. */
struct app_hook fault_hook_from_env(void);

/* The spill limit from FUNNEL_SPILL_BYTES, or 0 (the default). */
size_t fault_spill_limit_from_env(void);

#endif
