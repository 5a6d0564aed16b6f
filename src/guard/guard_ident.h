/*-------------------------------------------------------------------------
 * guard_ident.h
 *		What a function is, by identity: juki's, internal to juki, or a
 *		forbidden one (built-in OID, C symbol and library); untrusted
 *		languages; file_fdw (guard_ident.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_IDENT_H
#define JUKI_GUARD_IDENT_H

#include "nodes/parsenodes.h"

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
/* around CREATE/ALTER/DROP EXTENSION: juki's objects and functions anew */
extern void juki_ident_reset(void);
extern JukiFnKind juki_fn_kind(Oid fn);
extern const char *juki_fn_kind_command(JukiFnKind kind);
extern void juki_fn_info(Oid fn, JukiFnInfo *info);
extern bool juki_fn_is_juki(Oid fn);
extern bool juki_fn_is_set_config(Oid fn);
extern bool juki_language_untrusted(Oid lang);
extern bool juki_new_language_untrusted(CreatePLangStmt *s);
extern bool juki_fdw_is_file_fdw(Oid fdwid);

#endif							/* JUKI_GUARD_IDENT_H */
