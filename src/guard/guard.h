/*-------------------------------------------------------------------------
 * guard.h
 *		The boundary between juki's own code and everything else.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_H
#define JUKI_GUARD_H

/* Kinds of relation in schema juki. */
typedef enum JukiRelKind
{
	JUKI_REL_NONE,				/* not juki's */
	JUKI_REL_LOG,				/* operation_log, audit_checkpoint, audit_export */
	JUKI_REL_DATA				/* every other relation of schema juki */
} JukiRelKind;

extern void juki_guard_install(void);

/* true inside a function of extension juki, the writer, or juki's scripts */
extern bool juki_door_open(void);

/* juki functions on the stack (the caller of juki._log must be one) */
extern int	juki_door_depth(void);

/* set by the audit writer for its whole life */
extern bool juki_is_audit_writer;

extern JukiRelKind juki_rel_kind(Oid relid);
extern Oid	juki_namespace(void);

/*
 * Planner statistics of personal data (guard_catalog.c), for the audit
 * writer inside a transaction: repairs the catalog and returns the detail
 * of the entry to write, or NULL if nothing was wrong.
 */
extern char *juki_statistics_sweep(void);

/* Refuse (ERROR 42501, reason direct_access) and log the refusal. */
extern void juki_refuse_direct(const char *command, const char *object,
							   bool wait_for_log) pg_attribute_noreturn();

#endif							/* JUKI_GUARD_H */
