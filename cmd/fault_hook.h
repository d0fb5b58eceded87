/* fault_hook.h - crash injection for the reliability tests (issue 4).
 *
 *   FUNNEL_FAULT=STEP:K[:MODE]
 *
 * kills `append` with SIGKILL right after the K-th I/O step of kind STEP
 * (write, sync, truncate, dirsync, rename [the link() that creates a new log], or any).  MODE simulates power loss at
 * that moment: `cut` truncates the file to the length last synced; `garbage`
 * overwrites everything after it with pseudo-random 512-byte sectors.
 * Unset (always, outside tests) it does nothing. */
#ifndef FUNNEL_FAULT_HOOK_H
#define FUNNEL_FAULT_HOOK_H

#include "appender.h"

/* A hook from the environment, or one with after == NULL. */
struct app_hook fault_hook_from_env(void);

#endif
