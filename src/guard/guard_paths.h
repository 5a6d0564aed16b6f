/*-------------------------------------------------------------------------
 * guard_paths.h
 *		Side doors to juki's data: raw file readers, logical decoding,
 *		foreign code, settings, COPY PROGRAM, publications.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_PATHS_H
#define JUKI_GUARD_PATHS_H

#include "nodes/parsenodes.h"

extern void juki_guard_paths_install(void);

/* Called by the ProcessUtility hook for every utility statement. */
extern void juki_check_side_paths(Node *parsetree);

/* Called for every function about to run (fmgr and object-access hooks). */
extern void juki_check_function_call(Oid fn);

#endif							/* JUKI_GUARD_PATHS_H */
