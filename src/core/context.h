/*-------------------------------------------------------------------------
 * context.h
 *		What this process is doing, as every layer needs to know it: is it
 *		the audit writer, and how many of juki's functions are on its stack.
 *
 * Both are backend-local.  The writer sets juki_is_audit_writer once, at
 * start (log/writer.c).  The guard's fmgr hook (guard/guard_context.c) is
 * the only one that moves juki_functions_on_stack; everyone else only reads
 * it, through juki_door_depth().
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_CONTEXT_H
#define JUKI_CONTEXT_H

/* set by the audit writer for its whole life */
extern bool juki_is_audit_writer;

/* juki functions on the stack: kept by the guard's fmgr hook */
extern int	juki_functions_on_stack;

/*
 * How many of juki's functions are on the stack: an internal helper
 * (juki._*) is called by another juki function only if it is 2 or more.
 */
static inline int
juki_door_depth(void)
{
	return juki_functions_on_stack;
}

#endif							/* JUKI_CONTEXT_H */
