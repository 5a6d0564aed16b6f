/*-------------------------------------------------------------------------
 * guard.c
 *		The one door (DESIGN §1, §8): relations of schema juki are reached
 *		only by code of extension juki, by the audit writer and by juki's
 *		own install/upgrade scripts.  Every other path is refused, for every
 *		role including superusers, and the refusal is logged.
 *
 * Four hooks cooperate, each because the others cannot see its path:
 *	- fmgr hooks mark "inside a juki function" (needs_fmgr_hook selects the
 *	  functions that belong to the extension by pg_depend);
 *	- ExecutorStart sees every plannable statement (SELECT, DML, COPY
 *	  (query), EXPLAIN, cursors, prepared statements, SQL in functions and
 *	  views) before the standard privilege check, so a refusal is logged
 *	  even where PostgreSQL would refuse anyway;
 *	- ExecutorCheckPerms catches what checks permissions without
 *	  ExecutorStart (COPY table, RI checks);
 *	- ProcessUtility refuses DDL and COPY on juki's objects before any lock
 *	  is taken, and object_access is the backstop for DDL reaching juki's
 *	  objects indirectly (CASCADE, ALTER on dependants), deep in catalog
 *	  code.
 *
 * Resident data and policy tables (JUKI_REL_DATA) are closed to all;
 * the operation log (JUKI_REL_LOG) to all but plain SELECT by real members
 * of juki_auditor/juki_chief_security_officer, each such statement logged
 * once (log_read).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "juki.h"
#include "audit.h"
#include "guard.h"
#include "guard_paths.h"
#include "guard_objects.h"
#include "identity.h"
#include "retention.h"
#include "roles.h"
#include "state.h"
#include "statement_text.h"
#include "version.h"

bool		juki_is_audit_writer = false;

static int	door_depth = 0;			/* juki functions on the stack */
static bool dropping_juki = false;	/* an approved DROP EXTENSION juki */
static bool updating_juki = false;	/* ALTER EXTENSION juki UPDATE, on record */
static List *checked_rtable = NIL;	/* rtable ExecutorStart already judged */

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorCheckPerms_hook_type prev_ExecutorCheckPerms = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static object_access_hook_type prev_object_access = NULL;
static needs_fmgr_hook_type prev_needs_fmgr = NULL;
static fmgr_hook_type prev_fmgr = NULL;

/* ------------------------------------------------------- identification */

static Oid	cached_nsp = InvalidOid;
static HTAB *juki_functions = NULL;		/* fn oid -> is juki's */

typedef struct FnEntry
{
	Oid			fn;
	bool		is_juki;
	bool		any_version;	/* callable while the SQL awaits its update */
	bool		internal;		/* juki._*: only ever below another juki function */
} FnEntry;

/*
 * juki functions that work whatever the installed SQL version (version.c):
 * the status a DBA checks first, the pure validators and domain checks, and
 * fold(), which index expressions call from VACUUM, ANALYZE and REINDEX.
 */
static const char *const any_version_functions[] = {
	"status", "fold", "is_valid_resident_code", "is_valid_individual_number",
	"is_valid_municipality_code", "check_resident_code", "check_individual_number",
	"check_municipality_code", NULL
};

static void
invalidate_nsp(Datum arg, int cacheid, uint32 hashvalue)
{
	cached_nsp = InvalidOid;
}

static void
invalidate_functions(Datum arg, int cacheid, uint32 hashvalue)
{
	if (juki_functions)
	{
		hash_destroy(juki_functions);
		juki_functions = NULL;
	}
}

Oid
juki_namespace(void)
{
	if (!OidIsValid(cached_nsp))
		cached_nsp = get_namespace_oid("juki", true);
	return cached_nsp;
}

JukiRelKind
juki_rel_kind(Oid relid)
{
	Oid			nsp = juki_namespace();
	char	   *name;
	JukiRelKind kind;

	if (!OidIsValid(nsp) || get_rel_namespace(relid) != nsp)
		return JUKI_REL_NONE;
	name = get_rel_name(relid);
	if (name == NULL)
		return JUKI_REL_NONE;
	kind = (strcmp(name, "operation_log") == 0 ||
			strcmp(name, "audit_checkpoint") == 0 ||
			strcmp(name, "audit_export") == 0 ||
			strncmp(name, "operation_log_", 14) == 0 ||
			strncmp(name, "audit_checkpoint_", 17) == 0 ||
			strncmp(name, "audit_export_", 13) == 0) ? JUKI_REL_LOG : JUKI_REL_DATA;
	pfree(name);
	return kind;
}

/* Extension juki's oid, looked up only while an extension script runs. */
static bool
installing_juki(void)
{
	return creating_extension &&
		CurrentExtensionObject == get_extension_oid("juki", true);
}

int
juki_door_depth(void)
{
	return door_depth;
}

bool
juki_door_open(void)
{
	/*
	 * Not parallel workers: a user's PARALLEL SAFE function run in a worker
	 * would otherwise read juki's tables.  juki's own queries never go
	 * parallel (juki_spi_begin, the writer and 99_grants.sql turn it off).
	 */
	return door_depth > 0 || juki_is_audit_writer || dropping_juki || installing_juki();
}

/* Does function fn belong to extension juki?  Cached per backend. */
static FnEntry *
juki_function_entry(Oid fn)
{
	FnEntry    *e;
	Oid			ext;
	char	   *name;
	bool		is_juki;
	bool		any_version = false;
	bool		internal = false;

	if (juki_functions != NULL &&
		(e = hash_search(juki_functions, &fn, HASH_FIND, NULL)) != NULL)
		return e;

	/*
	 * Catalog access may process invalidations, which destroy the cache:
	 * classify first, create the entry after.
	 */
	ext = getExtensionOfObject(ProcedureRelationId, fn);
	name = OidIsValid(ext) ? get_extension_name(ext) : NULL;
	is_juki = name != NULL && strcmp(name, "juki") == 0;
	if (is_juki)
	{
		char	   *proname = get_func_name(fn);
		const char *const *p;

		for (p = any_version_functions; *p && proname; p++)
			if (strcmp(*p, proname) == 0)
				any_version = true;
		/* a member of extension juki named by its own script: guard refuses renames */
		internal = proname != NULL && proname[0] == '_';
	}
	if (juki_functions == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(FnEntry);
		juki_functions = hash_create("juki functions", 256, &ctl,
									 HASH_ELEM | HASH_BLOBS);
	}
	e = hash_search(juki_functions, &fn, HASH_ENTER, NULL);
	e->is_juki = is_juki;
	e->any_version = any_version;
	e->internal = internal;
	return e;
}

static bool
is_juki_function(Oid fn)
{
	if (fn < FirstNormalObjectId)
		return false;
	return juki_function_entry(fn)->is_juki;
}

/* May this juki function run while the installed SQL is another version? */
static bool
is_any_version_function(Oid fn)
{
	FnEntry    *e;

	if (fn < FirstNormalObjectId)
		return true;
	e = juki_function_entry(fn);
	return !e->is_juki || e->any_version;
}

static bool
juki_needs_fmgr_hook(Oid fn)
{
	if (prev_needs_fmgr && prev_needs_fmgr(fn))
		return true;
	return is_juki_function(fn);
}

/* Count juki functions on the stack; the private slot remembers ours. */
static void
juki_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *private)
{
	if (is_juki_function(flinfo->fn_oid))
	{
		/*
		 * An internal helper called from outside juki: refused and on
		 * record (no EXECUTE privilege is what stops it: every role has it).
		 */
		if (event == FHET_START && door_depth == 0 && juki_preloaded &&
			!installing_juki() && juki_function_entry(flinfo->fn_oid)->internal)
			juki_refuse_direct("EXECUTE",
							   psprintf("function %s", format_procedure(flinfo->fn_oid)), true);
		/* the outermost juki call: library and installed SQL must match */
		if (event == FHET_START && door_depth == 0 && juki_preloaded &&
			!installing_juki() && !is_any_version_function(flinfo->fn_oid))
			juki_require_current_sql(get_func_name(flinfo->fn_oid));
		if (event == FHET_START)
			door_depth++;
		else if (door_depth > 0)
			door_depth--;
	}
	if (prev_fmgr)
		prev_fmgr(event, flinfo, private);
}

/* An error unwinds past FHET_ABORT only through a top-level abort. */
static void
guard_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
	{
		door_depth = 0;
		dropping_juki = false;
		updating_juki = false;
		checked_rtable = NIL;
	}
}

/* ------------------------------------------------------------- refusals */

/*
 * Would waiting for the writer deadlock?  The writer needs RowExclusiveLock
 * on the log tables and state; if we hold anything stronger, queue only.
 */
static bool
writer_may_be_blocked(void)
{
	static const char *const rels[] = {"operation_log", "audit_checkpoint", "state",
	"operation_log_pkey", "audit_checkpoint_pkey"};
	static const LOCKMODE modes[] = {ShareLock, ShareRowExclusiveLock, ExclusiveLock,
	AccessExclusiveLock};
	Oid			nsp = juki_namespace();
	size_t		i,
				j;

	if (!OidIsValid(nsp))
		return false;
	for (i = 0; i < lengthof(rels); i++)
	{
		Oid			relid = get_relname_relid(rels[i], nsp);
		LOCKTAG		tag;

		if (!OidIsValid(relid))
			continue;
		SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
		for (j = 0; j < lengthof(modes); j++)
			if (LockHeldByMe(&tag, modes[j]))
				return true;
	}
	return false;
}

/* The statement as sent, clipped: forensic evidence of what was tried. */
static const char *
statement_text(void)
{
	const char *q = juki_statement_as_sent();
	int			len;

	if (q == NULL)
		return NULL;
	len = strlen(q);
	if (len <= 2000)
		return q;
	return pnstrdup(q, pg_mbcliplen(q, len, 2000));
}

void
juki_refuse_direct(const char *command, const char *object, bool wait_for_log)
{
	JukiAuditRecord r;
	JukiDetail	d;
	const char *problem = NULL;
	bool		logged = false;

	juki_audit_record_init(&r, "direct_access", JUKI_DENIED, "direct_access");
	jd_init(&d);
	jd_str(&d, "command", command);
	jd_str(&d, "object", object);
	jd_str(&d, "query", statement_text());
	r.detail = jd_finish(&d);
	if (wait_for_log && !writer_may_be_blocked())
		logged = juki_audit_log_try(&r, &problem);
	else
	{
		juki_audit_log_async(&r);
		logged = true;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("juki refuses %s on %s", command, object),
			 logged ?
			 errdetail("reason: direct_access; the refusal is recorded in the operation log.") :
			 errdetail("reason: direct_access; the refusal could not be logged: %s.", problem),
			 errhint("juki's data and operation log are reached only through juki's functions.")));
	pg_unreachable();
}

/* ------------------------------------------------------- executor paths */

static const char *
rte_command(RangeTblEntry *rte, CmdType op)
{
	if (rte->requiredPerms & ACL_DELETE)
		return "DELETE";
	if (rte->requiredPerms & ACL_UPDATE)
		return op == CMD_SELECT ? "SELECT FOR UPDATE/SHARE" : "UPDATE";
	if (rte->requiredPerms & ACL_INSERT)
		return "INSERT";
	return "SELECT";
}

static bool
is_log_reader(Oid role)
{
	Oid			auditor = get_role_oid("juki_auditor", true);
	Oid			chief = get_role_oid("juki_chief_security_officer", true);

	/* an assumed identity or a superuser reads nothing as an auditor (identity.c) */
	if (juki_identity_problem(NULL) != NULL)
		return false;
	return (OidIsValid(auditor) && is_member_of_role_nosuper(role, auditor)) ||
		(OidIsValid(chief) && is_member_of_role_nosuper(role, chief));
}

static char *
qualified_relname(Oid relid)
{
	char	   *nsp = get_namespace_name(get_rel_namespace(relid));
	char	   *rel = get_rel_name(relid);

	return quote_qualified_identifier(nsp ? nsp : "?", rel ? rel : "?");
}

/*
 * Judge a statement's range table: refuse (and log) any reference to a juki
 * relation that the door does not allow; log one log_read for an auditor's
 * plain SELECT of the log.
 */
static void
guard_rtable(List *rtable, CmdType op)
{
	ListCell   *lc;
	List	   *log_reads = NIL;
	bool		foreign_view = false;

	if (juki_door_open() || !OidIsValid(juki_namespace()))
		return;

	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_VIEW &&
			juki_rel_kind(rte->relid) == JUKI_REL_NONE)
			foreign_view = true;
	}

	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst(lc);
		JukiRelKind kind;
		Oid			role;

		if (rte->rtekind != RTE_RELATION)
			continue;
		kind = juki_rel_kind(rte->relid);
		if (kind == JUKI_REL_NONE)
			continue;
		role = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
		if (kind == JUKI_REL_LOG && rte->requiredPerms == ACL_SELECT && !foreign_view &&
			is_log_reader(role))
		{
			log_reads = lappend(log_reads, qualified_relname(rte->relid));
			continue;
		}
		juki_refuse_direct(rte_command(rte, op), qualified_relname(rte->relid), true);
	}

	/* the leader logged the read; its parallel workers do not again */
	if (log_reads != NIL && !IsParallelWorker())
	{
		JukiAuditRecord r;
		JukiDetail	d;
		JkBuf		b;
		ListCell   *lc2;

		juki_buf_init(&b);
		jk_buf_append_str(&b, "[");
		foreach(lc2, log_reads)
		{
			const char *name = lfirst(lc2);

			if (lc2 != list_head(log_reads))
				jk_buf_append_str(&b, ",");
			jk_json_string(&b, name, strlen(name));
		}
		jk_buf_append_str(&b, "]");
		juki_audit_record_init(&r, "log_read", JUKI_GRANTED, NULL);
		jd_init(&d);
		jd_json(&d, "relations", b.data);
		jd_str(&d, "query", statement_text());
		r.detail = jd_finish(&d);
		/* the reader sees the log only once its reading is on record */
		juki_audit_log(&r);
	}
}

static void
juki_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	guard_rtable(queryDesc->plannedstmt->rtable, queryDesc->operation);
	checked_rtable = queryDesc->plannedstmt->rtable;
	PG_TRY();
	{
		if (prev_ExecutorStart)
			prev_ExecutorStart(queryDesc, eflags);
		else
			standard_ExecutorStart(queryDesc, eflags);
	}
	PG_FINALLY();
	{
		checked_rtable = NIL;
	}
	PG_END_TRY();
}

static bool
juki_ExecutorCheckPerms(List *rangeTable, bool ereport_on_violation)
{
	if (rangeTable != checked_rtable)
		guard_rtable(rangeTable, CMD_SELECT);
	if (prev_ExecutorCheckPerms)
		return prev_ExecutorCheckPerms(rangeTable, ereport_on_violation);
	return true;
}

/* -------------------------------------------------------- utility paths */

static bool
rangevar_kind(RangeVar *rv, JukiRelKind *kind, Oid *relid)
{
	*relid = RangeVarGetRelid(rv, NoLock, true);
	*kind = OidIsValid(*relid) ? juki_rel_kind(*relid) : JUKI_REL_NONE;
	return *kind != JUKI_REL_NONE;
}

/* Refuse if rv names a juki relation. */
static void
refuse_if_juki_rel(RangeVar *rv, const char *command)
{
	JukiRelKind kind;
	Oid			relid;

	if (rv && rangevar_kind(rv, &kind, &relid))
		juki_refuse_direct(command, qualified_relname(relid), true);
}

static void
refuse_if_juki_name_list(List *names, const char *command)
{
	if (names != NIL)
		refuse_if_juki_rel(makeRangeVarFromNameList(names), command);
}

static bool
is_juki_schema_name(const char *name)
{
	return name && strcmp(name, "juki") == 0;
}

static Oid
type_namespace(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Oid			nsp = InvalidOid;

	if (HeapTupleIsValid(tup))
	{
		nsp = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
		ReleaseSysCache(tup);
	}
	return nsp;
}

/* DROP / ALTER ... of one object given as in a DropStmt. */
static void
check_object(ObjectType type, Node *object, const char *command)
{
	Oid			nsp = juki_namespace();

	switch (type)
	{
		case OBJECT_TABLE:
		case OBJECT_INDEX:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_SEQUENCE:
		case OBJECT_FOREIGN_TABLE:
			refuse_if_juki_name_list(castNode(List, object), command);
			break;
		case OBJECT_TRIGGER:
		case OBJECT_RULE:
		case OBJECT_POLICY:
			{
				List	   *names = castNode(List, object);

				refuse_if_juki_name_list(list_truncate(list_copy(names), list_length(names) - 1),
										 command);
				break;
			}
		case OBJECT_SCHEMA:
			if (is_juki_schema_name(strVal(object)))
				juki_refuse_direct(command, "schema juki", true);
			break;
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
		case OBJECT_AGGREGATE:
			{
				Oid			fn = LookupFuncWithArgs(type, castNode(ObjectWithArgs, object), true);

				if (OidIsValid(fn) && get_func_namespace(fn) == nsp)
					juki_refuse_direct(command, format_procedure(fn), true);
				break;
			}
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			{
				Oid			typid = LookupTypeNameOid(NULL, castNode(TypeName, object), true);

				if (OidIsValid(typid) && type_namespace(typid) == nsp)
					juki_refuse_direct(command, format_type_be(typid), true);
				break;
			}
		default:
			break;				/* the object_access backstop sees the rest */
	}
}

/* May DROP EXTENSION juki go ahead?  Only while no entry is young. */
static void
check_drop_extension(void)
{
	int64		seq;
	TimestampTz ts;
	int			years;

	if (juki_log_young_entries(&seq, &ts, &years))
	{
		JukiAuditRecord r;
		JukiDetail	d;
		const char *problem;
		bool		logged;

		juki_audit_record_init(&r, "drop_extension", JUKI_DENIED, "retention_period");
		jd_init(&d);
		jd_int(&d, "newest_seq", seq);
		jd_int(&d, "retention_years", years);
		jd_str(&d, "query", statement_text());
		r.detail = jd_finish(&d);
		logged = juki_audit_log_try(&r, &problem);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("extension juki cannot be dropped while its operation log holds entries younger than %d years",
						years),
				 errdetail("reason: retention_period; the newest entry is seq " INT64_FORMAT " of %s%s",
						   seq, timestamptz_to_str(ts),
						   logged ? "; the refusal is recorded in the operation log." : "."),
				 errhint("The operation log (操作履歴) is kept for juki.log_retention years.")));
	}
	dropping_juki = true;
}

/*
 * ALTER EXTENSION juki UPDATE is how a town moves to a new version: it goes
 * on record (from, to) before it starts — durable while no lock is held
 * that the writer needs — and the extension's own catalog row may then
 * change.  PostgreSQL lets only a superuser run it (superuser = true).
 */
static void
note_extension_update(AlterExtensionStmt *stmt)
{
	JukiAuditRecord r;
	JukiDetail	d;
	ListCell   *lc;
	const char *to = NULL;

	foreach(lc, stmt->options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, "new_version") == 0)
			to = defGetString(opt);
	}
	juki_audit_record_init(&r, "extension_update", JUKI_GRANTED, NULL);
	jd_init(&d);
	jd_str(&d, "from_version", juki_installed_version());
	jd_str(&d, "to_version", to ? to : "default");
	jd_str(&d, "library_version", JUKI_VERSION);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
	updating_juki = true;
}

static void
check_utility(Node *parsetree)
{
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) parsetree)->relations)
				refuse_if_juki_rel(lfirst_node(RangeVar, lc), "TRUNCATE");
			break;
		case T_AlterTableStmt:
			{
				AlterTableStmt *s = (AlterTableStmt *) parsetree;

				refuse_if_juki_rel(s->relation, "ALTER TABLE");
				foreach(lc, s->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					/* INHERIT / ATTACH PARTITION would make juki data reachable */
					if (cmd->subtype == AT_AddInherit && cmd->def)
						refuse_if_juki_rel((RangeVar *) cmd->def, "ALTER TABLE INHERIT");
					if (cmd->subtype == AT_AttachPartition && cmd->def)
						refuse_if_juki_rel(((PartitionCmd *) cmd->def)->name, "ATTACH PARTITION");
				}
				break;
			}
		case T_RenameStmt:
			{
				RenameStmt *s = (RenameStmt *) parsetree;

				if (s->relation)
					refuse_if_juki_rel(s->relation, "RENAME");
				else if (s->renameType == OBJECT_SCHEMA)
					check_object(OBJECT_SCHEMA, (Node *) makeString(s->subname), "RENAME");
				else if (s->renameType == OBJECT_DATABASE &&
						 strcmp(s->subname, juki_database) == 0)
					juki_refuse_direct("RENAME", "juki's database", true);
				else if (s->object)
					check_object(s->renameType, s->object, "RENAME");
				break;
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *s = (AlterObjectSchemaStmt *) parsetree;

				if (s->relation)
					refuse_if_juki_rel(s->relation, "ALTER ... SET SCHEMA");
				else if (s->object)
					check_object(s->objectType, s->object, "ALTER ... SET SCHEMA");
				break;
			}
		case T_AlterOwnerStmt:
			{
				AlterOwnerStmt *s = (AlterOwnerStmt *) parsetree;

				if (s->relation)
					refuse_if_juki_rel(s->relation, "ALTER ... OWNER");
				else if (s->object)
					check_object(s->objectType, s->object, "ALTER ... OWNER");
				break;
			}
		case T_DropStmt:
			{
				DropStmt   *s = (DropStmt *) parsetree;

				foreach(lc, s->objects)
				{
					Node	   *obj = lfirst(lc);

					if (s->removeType == OBJECT_EXTENSION)
					{
						if (strcmp(strVal(obj), "juki") == 0)
							check_drop_extension();
					}
					else
						check_object(s->removeType, obj, "DROP");
				}
				break;
			}
		case T_CreateTrigStmt:
			refuse_if_juki_rel(((CreateTrigStmt *) parsetree)->relation, "CREATE TRIGGER");
			break;
		case T_RuleStmt:
			refuse_if_juki_rel(((RuleStmt *) parsetree)->relation, "CREATE RULE");
			break;
		case T_CreatePolicyStmt:
			refuse_if_juki_rel(((CreatePolicyStmt *) parsetree)->table, "CREATE POLICY");
			break;
		case T_AlterPolicyStmt:
			refuse_if_juki_rel(((AlterPolicyStmt *) parsetree)->table, "ALTER POLICY");
			break;
		case T_IndexStmt:
			refuse_if_juki_rel(((IndexStmt *) parsetree)->relation, "CREATE INDEX");
			break;
		case T_CreateStatsStmt:
			foreach(lc, ((CreateStatsStmt *) parsetree)->relations)
				if (IsA(lfirst(lc), RangeVar))
					refuse_if_juki_rel(lfirst_node(RangeVar, lc), "CREATE STATISTICS");
			break;
		case T_CreateStmt:
			{
				CreateStmt *s = (CreateStmt *) parsetree;

				foreach(lc, s->inhRelations)
					refuse_if_juki_rel(lfirst_node(RangeVar, lc), "CREATE TABLE INHERITS/PARTITION OF");
				if (s->relation && s->relation->schemaname &&
					is_juki_schema_name(s->relation->schemaname))
					juki_refuse_direct("CREATE TABLE", "schema juki", true);
				break;
			}
		case T_LockStmt:
			foreach(lc, ((LockStmt *) parsetree)->relations)
				refuse_if_juki_rel(lfirst_node(RangeVar, lc), "LOCK");
			break;
		case T_CommentStmt:
			check_object(((CommentStmt *) parsetree)->objtype,
						 ((CommentStmt *) parsetree)->object, "COMMENT");
			break;
		case T_SecLabelStmt:
			check_object(((SecLabelStmt *) parsetree)->objtype,
						 ((SecLabelStmt *) parsetree)->object, "SECURITY LABEL");
			break;
		case T_GrantStmt:
			{
				GrantStmt  *s = (GrantStmt *) parsetree;
				const char *cmd = s->is_grant ? "GRANT" : "REVOKE";

				if (s->targtype == ACL_TARGET_ALL_IN_SCHEMA)
				{
					foreach(lc, s->objects)
						if (is_juki_schema_name(strVal(lfirst(lc))))
							juki_refuse_direct(cmd, "schema juki", true);
				}
				else if (s->targtype == ACL_TARGET_OBJECT &&
						 (s->objtype == OBJECT_TABLE || s->objtype == OBJECT_SEQUENCE))
				{
					foreach(lc, s->objects)
						refuse_if_juki_rel(lfirst_node(RangeVar, lc), cmd);
				}
				else if (s->targtype == ACL_TARGET_OBJECT && s->objtype == OBJECT_SCHEMA)
				{
					foreach(lc, s->objects)
						if (is_juki_schema_name(strVal(lfirst(lc))))
							juki_refuse_direct(cmd, "schema juki", true);
				}
				else if (s->targtype == ACL_TARGET_OBJECT &&
						 (s->objtype == OBJECT_FUNCTION || s->objtype == OBJECT_PROCEDURE ||
						  s->objtype == OBJECT_ROUTINE))
				{
					foreach(lc, s->objects)
						check_object(s->objtype, lfirst(lc), cmd);
				}
				break;
			}
		case T_CopyStmt:
			{
				CopyStmt   *s = (CopyStmt *) parsetree;
				JukiRelKind kind;
				Oid			relid;

				if (s->relation && rangevar_kind(s->relation, &kind, &relid))
				{
					/* COPY TO of the log is an auditor's SELECT: judged as one */
					if (!s->is_from && kind == JUKI_REL_LOG && is_log_reader(GetUserId()))
						break;
					juki_refuse_direct(s->is_from ? "COPY FROM" : "COPY TO",
									   qualified_relname(relid), true);
				}
				break;
			}
		case T_AlterExtensionContentsStmt:
			if (strcmp(((AlterExtensionContentsStmt *) parsetree)->extname, "juki") == 0)
				juki_refuse_direct("ALTER EXTENSION ADD/DROP", "extension juki", true);
			break;
		case T_AlterDomainStmt:
			{
				AlterDomainStmt *s = (AlterDomainStmt *) parsetree;
				TypeName   *tn = makeTypeNameFromNameList(s->typeName);

				check_object(OBJECT_DOMAIN, (Node *) tn, "ALTER DOMAIN");
				break;
			}
		case T_AlterFunctionStmt:
			{
				AlterFunctionStmt *s = (AlterFunctionStmt *) parsetree;

				check_object(s->objtype, (Node *) s->func, "ALTER FUNCTION");
				break;
			}
		case T_AlterExtensionStmt:
			if (strcmp(((AlterExtensionStmt *) parsetree)->extname, "juki") == 0)
				note_extension_update((AlterExtensionStmt *) parsetree);
			break;
		case T_DropdbStmt:
			if (strcmp(((DropdbStmt *) parsetree)->dbname, juki_database) == 0)
				juki_refuse_direct("DROP DATABASE", "juki's database", true);
			break;
		case T_CreateExtensionStmt:
			{
				CreateExtensionStmt *s = (CreateExtensionStmt *) parsetree;

				if (strcmp(s->extname, "juki") == 0 &&
					strcmp(get_database_name(MyDatabaseId), juki_database) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("juki can be created only in database \"%s\"", juki_database),
							 errhint("juki.database names the one database that holds juki; change it in postgresql.conf and restart to use another.")));
				break;
			}
		default:
			break;
	}
}

static void
juki_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	if (!juki_door_open() || IsA(pstmt->utilityStmt, CreateExtensionStmt))
		check_utility(pstmt->utilityStmt);
	juki_check_side_paths(pstmt->utilityStmt);
	juki_check_new_objects(pstmt->utilityStmt);
	if (juki_preloaded && OidIsValid(juki_namespace()) &&
		(IsA(pstmt->utilityStmt, GrantRoleStmt) || IsA(pstmt->utilityStmt, CreateRoleStmt) ||
		 IsA(pstmt->utilityStmt, AlterRoleStmt) || IsA(pstmt->utilityStmt, DropRoleStmt) ||
		 (IsA(pstmt->utilityStmt, RenameStmt) &&
		  ((RenameStmt *) pstmt->utilityStmt)->renameType == OBJECT_ROLE)))
		juki_check_role_statement(pstmt->utilityStmt);

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	/* a new installed version: every backend re-reads it once this commits */
	if (juki_preloaded &&
		((IsA(pstmt->utilityStmt, AlterExtensionStmt) &&
		  strcmp(((AlterExtensionStmt *) pstmt->utilityStmt)->extname, "juki") == 0) ||
		 (IsA(pstmt->utilityStmt, CreateExtensionStmt) &&
		  strcmp(((CreateExtensionStmt *) pstmt->utilityStmt)->extname, "juki") == 0)))
		juki_policy_changed();
}

/* --------------------------------------------------- catalog backstop */

static Oid
catalog_object_relation(Oid classId, Oid objectId)
{
	Relation	rel;
	HeapTuple	tup;
	Oid			relid = InvalidOid;
	AttrNumber	oidattr;
	AttrNumber	relattr;

	if (classId == TriggerRelationId)
	{
		oidattr = Anum_pg_trigger_oid;
		relattr = Anum_pg_trigger_tgrelid;
	}
	else if (classId == RewriteRelationId)
	{
		oidattr = Anum_pg_rewrite_oid;
		relattr = Anum_pg_rewrite_ev_class;
	}
	else if (classId == PolicyRelationId)
	{
		oidattr = Anum_pg_policy_oid;
		relattr = Anum_pg_policy_polrelid;
	}
	else
		return InvalidOid;

	rel = table_open(classId, AccessShareLock);
	tup = get_catalog_object_by_oid(rel, oidattr, objectId);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, relattr, RelationGetDescr(rel), &isnull);

		if (!isnull)
			relid = DatumGetObjectId(d);
	}
	table_close(rel, AccessShareLock);
	return relid;
}

static bool
object_is_juki(Oid classId, Oid objectId)
{
	Oid			nsp = juki_namespace();

	if (!OidIsValid(nsp))
		return false;
	if (classId == RelationRelationId)
		return get_rel_namespace(objectId) == nsp;
	if (classId == NamespaceRelationId)
		return objectId == nsp;
	if (classId == ProcedureRelationId)
		return get_func_namespace(objectId) == nsp;
	if (classId == TypeRelationId)
		return type_namespace(objectId) == nsp;
	if (classId == ExtensionRelationId)
	{
		char	   *name = get_extension_name(objectId);

		return name && strcmp(name, "juki") == 0;
	}
	if (classId == TriggerRelationId || classId == RewriteRelationId ||
		classId == PolicyRelationId)
	{
		Oid			relid = catalog_object_relation(classId, objectId);

		return OidIsValid(relid) && get_rel_namespace(relid) == nsp;
	}
	return false;
}

/* Whatever DDL slipped past the statement-level checks stops here. */
static void
juki_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				   int subId, void *arg)
{
	if (prev_object_access)
		prev_object_access(access, classId, objectId, subId, arg);

	if (!juki_preloaded || juki_door_open())
		return;
	if (access != OAT_DROP && access != OAT_POST_ALTER &&
		access != OAT_POST_CREATE && access != OAT_TRUNCATE)
		return;
	/* internal changes (e.g. statistics, dependent bookkeeping) are not DDL */
	if (access == OAT_POST_ALTER && arg && ((ObjectAccessPostAlter *) arg)->is_internal)
		return;
	if (access == OAT_POST_CREATE && arg && ((ObjectAccessPostCreate *) arg)->is_internal)
		return;
	if (access == OAT_DROP && arg &&
		(((ObjectAccessDrop *) arg)->dropflags & PERFORM_DELETION_INTERNAL))
		return;
	if (!object_is_juki(classId, objectId))
		return;
	if (updating_juki && classId == ExtensionRelationId)
		return;					/* its version, on record (note_extension_update) */
	juki_refuse_direct(access == OAT_DROP ? "DROP" :
					   access == OAT_TRUNCATE ? "TRUNCATE" :
					   access == OAT_POST_CREATE ? "CREATE" : "ALTER",
					   getObjectDescription(&(ObjectAddress) {classId, objectId, subId}, true),
					   false);
}

/* ------------------------------------------------------------- install */

void
juki_guard_install(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = juki_ExecutorStart;
	prev_ExecutorCheckPerms = ExecutorCheckPerms_hook;
	ExecutorCheckPerms_hook = juki_ExecutorCheckPerms;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = juki_ProcessUtility;
	prev_object_access = object_access_hook;
	object_access_hook = juki_object_access;
	prev_needs_fmgr = needs_fmgr_hook;
	needs_fmgr_hook = juki_needs_fmgr_hook;
	prev_fmgr = fmgr_hook;
	fmgr_hook = juki_fmgr_hook;

	CacheRegisterSyscacheCallback(NAMESPACEOID, invalidate_nsp, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, invalidate_functions, (Datum) 0);
	RegisterXactCallback(guard_xact_callback, NULL);
	juki_guard_paths_install();
}
