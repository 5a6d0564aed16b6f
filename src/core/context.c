/*-------------------------------------------------------------------------
 * context.c
 *		The backend-local facts of context.h: whether this process is the
 *		audit writer, and how many of juki's functions are on its stack.
 *		No shared memory, no locks.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "context.h"

bool		juki_is_audit_writer = false;

int			juki_functions_on_stack = 0;
