/*-------------------------------------------------------------------------
 * guard_context.h
 *		Where the backend stands, as the guard's hooks track it and its
 *		checkers ask it: inside a juki function, inside an extension's own
 *		script, an approved DROP or UPDATE of extension juki; and how every
 *		refusal of the guard ends (guard_context.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_CONTEXT_H
#define JUKI_GUARD_CONTEXT_H

#include "nodes/parsenodes.h"

#include "guard_ident.h"

/* ------------------------------------------------ asked by the checkers */

/* true inside a function of extension juki, the writer, or juki's scripts */
extern bool juki_door_open(void);

/* Is juki's own install or upgrade script running? */
extern bool juki_installing_juki(void);

/* A statement of an extension's own script file (not code it triggers)? */
extern bool juki_extension_script_statement(void);

/* An approved DROP EXTENSION juki / ALTER EXTENSION juki UPDATE is running. */
extern bool juki_dropping_juki(void);
extern bool juki_updating_juki(void);
extern void juki_note_dropping_juki(void);
extern void juki_note_updating_juki(void);

/* ------------------------------------------------ kept by the hooks (guard.c) */

/* fmgr hook: a function starts (after its checks) or ends */
extern void juki_guard_function_start(const JukiFnInfo *fi);
extern void juki_guard_function_end(const JukiFnInfo *fi);

/* ProcessUtility hook: around the statement; the frame is restored after */
typedef struct JukiUtilityFrame
{
	bool		script_statement;
	int			ext_frame_depth;
	int			ext_frame_user_code;
	bool		entered;
} JukiUtilityFrame;
extern void juki_guard_utility_begin(JukiUtilityFrame *f);
extern void juki_guard_utility_enter(JukiUtilityFrame *f, bool extension_statement);
extern void juki_guard_utility_end(const JukiUtilityFrame *f);

/* transaction end: forget what the transaction was doing */
extern void juki_guard_context_reset(bool committed);

/* ------------------------------------------------ refusals and their words */

/* Refuse (ERROR 42501, reason direct_access) and log the refusal. */
extern void juki_refuse_direct(const char *command, const char *object,
							   bool wait_for_log) pg_attribute_noreturn();

/* The statement as sent, clipped: forensic evidence of what was tried. */
extern const char *juki_statement_text(void);

extern char *juki_qualified_relname(Oid relid);
extern const char *juki_rte_command(RangeTblEntry *rte, CmdType op);

/* May role read the log with a plain SELECT (auditor, chief, as itself)? */
extern bool juki_is_log_reader(Oid role);

#endif							/* JUKI_GUARD_CONTEXT_H */
