/*-------------------------------------------------------------------------
 * guard_definitions.h
 *		No new functions, operators or casts that juki's own SQL would pick.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_DEFINITIONS_H
#define JUKI_GUARD_DEFINITIONS_H

#include "nodes/nodes.h"

/* Refuse (and log) what would change the resolution of juki's SQL. */
extern void juki_check_new_definitions(Node *parsetree);

#endif							/* JUKI_GUARD_DEFINITIONS_H */
