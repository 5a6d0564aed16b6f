/*-------------------------------------------------------------------------
 * guard_internal.h
 *		What the guard's files share among themselves (guard.c, guard_ident.c,
 *		guard_objects.c, guard_paths.c, guard_files.c, guard_settings.c,
 *		guard_catalog.c).  Nothing here is for the rest of juki: see guard.h.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_INTERNAL_H
#define JUKI_GUARD_INTERNAL_H

#include "catalog/objectaccess.h"
#include "nodes/parsenodes.h"

/* ------------------------------------------------ guard_ident.c: identity */

/* What a function is, by identity (built-in OID, C symbol and library). */
typedef enum JukiFnKind
{
	JFK_OK = 0,
	JFK_LOGICAL,				/* logical decoding: refused in juki's database */
	JFK_RAW_READER,				/* reads server files or raw pages */
	JFK_FILE_WRITER,			/* writes, renames or removes server files */
	JFK_UNTRUSTED,				/* written in an untrusted procedural language */
	JFK_JUKI_ALIAS				/* juki's library, but not extension juki's */
} JukiFnKind;

/* What the fmgr hook needs to know of a function, in one lookup. */
typedef struct JukiFnInfo
{
	JukiFnKind	kind;
	bool		is_juki;		/* a member of extension juki */
	bool		any_version;	/* may run while juki's SQL awaits its update */
	bool		internal;		/* juki._*: only ever below another juki function */
	bool		event_trigger;	/* returns event_trigger */
	bool		user_code;		/* SQL or a procedural language, not juki's */
	bool		set_config;		/* set_config() or an alias of it */
} JukiFnInfo;

extern void juki_guard_ident_install(void);
extern Oid	juki_extension_oid(void);
extern void juki_ident_reset(void);
extern JukiFnKind juki_fn_kind(Oid fn);
extern const char *juki_fn_kind_command(JukiFnKind kind);
extern void juki_fn_info(Oid fn, JukiFnInfo *info);
extern bool juki_fn_is_juki(Oid fn);
extern bool juki_fn_is_set_config(Oid fn);
extern bool juki_language_untrusted(Oid lang);
extern bool juki_new_language_untrusted(CreatePLangStmt *s);
extern bool juki_fdw_is_file_fdw(Oid fdwid);

/* -------------------------------------------------- guard.c: the context */

extern bool juki_installing_juki(void);

/* A statement of an extension's own script file (not code it triggers)? */
extern bool juki_extension_script_statement(void);

extern char *juki_qualified_relname(Oid relid);
extern const char *juki_rte_command(RangeTblEntry *rte, CmdType op);
extern bool juki_is_log_reader(Oid role);
extern const char *juki_statement_text(void);

/* ----------------------------------------- guard_objects.c: juki's objects */

extern void juki_check_utility_objects(Node *parsetree);
extern void juki_check_object_access(ObjectAccessType access, Oid classId,
									 Oid objectId, int subId, void *arg);
extern bool juki_dropping_juki(void);
extern bool juki_updating_juki(void);
extern void juki_objects_reset(void);

/* ------------------------------------------------- guard_paths.c: calls */

extern void juki_check_function_call(Oid fn);

/* --------------------------------------------------- guard_files.c: files */

extern void juki_check_server_file(const char *command, const char *path, bool write);
extern void juki_check_foreign_table(const char *command, Oid relid);
extern void juki_check_foreign_table_options(const char *command, Oid serverid,
											 List *options);

/* ------------------------------------------- guard_settings.c: settings */

extern void juki_check_setting_statement(Node *parsetree);
extern void juki_check_set_config_name(const char *name);
extern void juki_check_session_settings(const char *command);

/* ---------------------------------------- guard_catalog.c: catalog writes */

extern void juki_check_catalog_write(RangeTblEntry *rte, CmdType op);
extern void juki_statistics_around_analyze(bool before);

#endif							/* JUKI_GUARD_INTERNAL_H */
