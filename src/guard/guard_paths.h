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

/*
 * Called for every function the executor or the fast-path protocol is
 * about to run (object-access hook): the checks above, and the calls whose
 * arguments no query showed (the slot functions by fast path).
 */
extern void juki_check_function_execute(Oid fn);

#endif							/* JUKI_GUARD_PATHS_H */
