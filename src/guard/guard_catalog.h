/*-------------------------------------------------------------------------
 * guard_catalog.h
 *		No DML on system catalogs, and no planner statistics of personal
 *		data (guard_catalog.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_CATALOG_H
#define JUKI_GUARD_CATALOG_H

#include "nodes/parsenodes.h"

extern void juki_check_catalog_write(RangeTblEntry *rte, CmdType op);
extern void juki_statistics_around_analyze(bool before);

/*
 * For the audit writer inside its transaction (log/writer_own.c calls it
 * through the hook juki.c sets): repairs the catalog and returns the detail
 * of the entry to write, or NULL if nothing was wrong.
 */
extern char *juki_statistics_sweep(void);

#endif							/* JUKI_GUARD_CATALOG_H */
