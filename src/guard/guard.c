/*-------------------------------------------------------------------------
 * guard.c
 *		The one door (DESIGN §1, §8): relations of schema juki are reached
 *		only by code of extension juki, by the audit writer and by juki's
 *		own install/upgrade scripts.  Every other path is refused, for every
 *		role including superusers, and the refusal is logged.
 *
 * Five hooks cooperate, each because the others cannot see its path:
 *	- fmgr hooks mark "inside a juki function" (needs_fmgr_hook selects the
 *	  functions that belong to the extension, guard_ident.c), refuse calls of
 *	  forbidden functions that are not built-in (aliases, C libraries,
 *	  untrusted languages), and put event-trigger functions outside the
 *	  door whatever fires them;
 *	- ExecutorStart sees every plannable statement (SELECT, DML, COPY
 *	  (query), EXPLAIN, cursors, prepared statements, SQL in functions and
 *	  views) before the standard privilege check, so a refusal is logged
 *	  even where PostgreSQL would refuse anyway;
 *	- ExecutorCheckPerms catches what checks permissions without
 *	  ExecutorStart (COPY table, RI checks);
 *	- ProcessUtility refuses DDL and COPY on juki's objects before any lock
 *	  is taken (guard_objects.c) and the side paths (guard_paths.c);
 *	- object_access is the backstop for DDL reaching juki's objects
 *	  indirectly, and its OAT_FUNCTION_EXECUTE event sees every function the
 *	  executor (and the fast-path protocol) is about to call, built-ins
 *	  included.
 *
 * Resident data and policy tables (JUKI_REL_DATA) are closed to all;
 * the operation log (JUKI_REL_LOG) to all but plain SELECT by real members
 * of juki_auditor/juki_chief_security_officer, each such statement logged
 * once (log_read); the configuration pg_dump keeps to pg_dump's two forms
 * of read by a role PostgreSQL lets read it, each statement logged
 * (config_read).
 * System catalogs take no DML from anyone while juki is loaded
 * (guard_catalog.c).
 *
 * This file holds the hooks and the order of the checks; what the checks
 * ask of the moment (inside juki's code, inside an extension's own script)
 * and how a refusal ends are guard_context.c's; each side path has a file
 * of its own.  No shared memory: every counter is backend-local.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"

#include "format/json.h"
#include "core/message.h"
#include "core/context.h"
#include "core/objects.h"
#include "core/settings.h"
#include "core/state.h"
#include "core/version.h"
#include "log/append.h"
#include "access/identity.h"
#include "guard.h"
#include "guard_catalog.h"
#include "guard_context.h"
#include "guard_definitions.h"
#include "guard_ident.h"
#include "guard_objects.h"
#include "guard_paths.h"
#include "guard_settings.h"
#include "guard_files.h"
#include "role_statements.h"

static List *checked_rtable = NIL;	/* rtable ExecutorStart already judged */

static bool startup_checked = false;

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorCheckPerms_hook_type prev_ExecutorCheckPerms = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static object_access_hook_type prev_object_access = NULL;
static needs_fmgr_hook_type prev_needs_fmgr = NULL;
static fmgr_hook_type prev_fmgr = NULL;

/* ----------------------------------------------------------- fmgr hooks */

/*
 * The library and the installed SQL must be the same version (version.c):
 * between a package upgrade and ALTER EXTENSION juki UPDATE every juki
 * function but status(), the validators and fold() is refused (55000,
 * extension_update_pending) and the refusal is logged.
 */
static void
require_current_sql(const char *function)
{
	JukiAuditRecord r;
	JukiDetail	d;
	const char *problem = NULL;
	bool		logged;
	char		have[NAMEDATALEN];

	if (juki_sql_is_current())
		return;
	strlcpy(have, juki_installed_version(), sizeof(have));
	juki_audit_record_init(&r, "call", JUKI_DENIED, "extension_update_pending");
	jd_init(&d);
	jd_str(&d, "function", function);
	jd_str(&d, "installed_version", have);
	jd_str(&d, "library_version", JUKI_VERSION);
	r.detail = jd_finish(&d);
	logged = juki_audit_log_try(&r, &problem);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("juki's library is version %s but its SQL objects in this database are version %s",
					JUKI_VERSION, have),
			 juki_errfield("extension_update_pending"),
			 logged ?
			 errdetail("reason: extension_update_pending; the refusal is recorded in the operation log.") :
			 errdetail("reason: extension_update_pending; the refusal could not be logged: %s.", juki_tr(problem)),
			 errhint("A DBA runs ALTER EXTENSION juki UPDATE in database \"%s\"; until then juki discloses nothing.",
					 juki_database)));
}


static bool
juki_needs_fmgr_hook(Oid fn)
{
	JukiFnInfo	fi;

	if (prev_needs_fmgr && prev_needs_fmgr(fn))
		return true;
	if (fn < FirstNormalObjectId)
		return false;
	juki_fn_info(fn, &fi);
	if (fi.is_juki || fi.event_trigger || fi.kind != JFK_OK)
		return true;
	/* while a script runs, count the caller's functions it calls */
	return creating_extension && fi.user_code;
}

/*
 * Refuse forbidden functions before they start; count juki functions, event
 * triggers and the caller's functions on the stack (guard_context.c).  An
 * error at FHET_START is not followed by FHET_ABORT: counters move after
 * the checks.
 */
static void
juki_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *private)
{
	JukiFnInfo	fi;

	juki_fn_info(flinfo->fn_oid, &fi);
	if (event == FHET_START)
	{
		if (fi.kind != JFK_OK)
			juki_check_function_call(flinfo->fn_oid);

		/*
		 * An internal helper called from outside juki: refused and on record
		 * (no EXECUTE privilege is what stops it: every role has it).
		 */
		if (fi.internal && juki_door_depth() == 0 && juki_preloaded && !juki_is_audit_writer &&
			!juki_installing_juki())
			juki_refuse_direct("EXECUTE",
							   psprintf("function %s", format_procedure(flinfo->fn_oid)), true);
		/* the outermost juki call: library and installed SQL must match */
		if (fi.is_juki && juki_door_depth() == 0 && juki_preloaded &&
			!juki_installing_juki() && !fi.any_version)
			require_current_sql(get_func_name(flinfo->fn_oid));
		juki_guard_function_start(&fi);
	}
	else
		juki_guard_function_end(&fi);
	if (prev_fmgr)
		prev_fmgr(event, flinfo, private);
}

/* An error unwinds past FHET_ABORT only through a top-level abort. */
static void
guard_xact_callback(XactEvent event, void *arg)
{
	/*
	 * The first commit of a client backend ends InitPostgres: settings from
	 * the connection and from ALTER ROLE/DATABASE are in place, and no
	 * session_preload_libraries has been loaded yet.
	 */
	if (event == XACT_EVENT_PRE_COMMIT && !startup_checked)
	{
		startup_checked = true;
		if (juki_preloaded && !juki_is_audit_writer && OidIsValid(MyDatabaseId) &&
			(MyBackendType == B_BACKEND || MyBackendType == B_WAL_SENDER))
			juki_check_session_settings("session start");
	}
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
	{
		checked_rtable = NIL;
		juki_guard_context_reset(event == XACT_EVENT_COMMIT ||
								 event == XACT_EVENT_PARALLEL_COMMIT ||
								 event == XACT_EVENT_PREPARE);
	}
}

/* ------------------------------------------------------------- refusals */

/* ------------------------------------------------------- executor paths */

/*
 * pg_dump keeps the configuration juki registered with
 * pg_extension_config_dump (purposes and hours defined after installation,
 * the hours' sequence), and reads it in exactly two forms: `SELECT
 * last_value, is_called FROM seq` and, for a table with a filter, `COPY
 * (SELECT ... WHERE NOT seeded) TO stdout`.  Policy, not personal data, so
 * those two are let through — a plain read of the sequence, and a plain
 * read of the tables only into COPY TO (copy_out) — by a role PostgreSQL
 * lets read them (superusers: nothing grants juki's tables), not through
 * another's view, never a write or a row lock; each such statement is on
 * record (config_read).  Every other read of juki's tables (a SELECT of
 * juki.purpose, COPY juki.purpose TO) is still refused.
 */
static bool
is_config_read(RangeTblEntry *rte, CmdType op, Oid role, bool foreign_view, bool copy_out)
{
	return op == CMD_SELECT && rte->requiredPerms == ACL_SELECT && !foreign_view &&
		(copy_out || rte->relkind == RELKIND_SEQUENCE) &&
		juki_rel_is_config(rte->relid) &&
		pg_class_aclcheck(rte->relid, role, ACL_SELECT) == ACLCHECK_OK;
}

/* One entry naming the relations a statement read (log_read, config_read). */
static void
log_read_entry(const char *action, List *relations)
{
	JukiAuditRecord r;
	JukiDetail	d;
	JkBuf		b;
	ListCell   *lc;

	/* the leader logged the read; its parallel workers do not again */
	if (relations == NIL || IsParallelWorker())
		return;
	juki_buf_init(&b);
	jk_buf_append_str(&b, "[");
	foreach(lc, relations)
	{
		const char *name = lfirst(lc);

		if (lc != list_head(relations))
			jk_buf_append_str(&b, ",");
		jk_json_string(&b, name, strlen(name));
	}
	jk_buf_append_str(&b, "]");
	juki_audit_record_init(&r, action, JUKI_GRANTED, NULL);
	jd_init(&d);
	jd_json(&d, "relations", b.data);
	jd_str(&d, "query", juki_statement_text());
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
}

/*
 * Judge a statement's range table: refuse (and log) DML on a system
 * catalog and reads of a file_fdw table that reach server files, in every
 * database; then any reference to a juki relation that the door does not
 * allow; log one log_read for an auditor's plain SELECT of the log, one
 * config_read for pg_dump's reads of the configuration (copy_out: the
 * statement feeds COPY TO).
 */
static void
guard_rtable(List *rtable, CmdType op, bool copy_out)
{
	ListCell   *lc;
	List	   *log_reads = NIL;
	List	   *config_reads = NIL;
	bool		foreign_view = false;

	if (!juki_preloaded || juki_is_audit_writer)
		return;
	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind != RTE_RELATION)
			continue;
		juki_check_catalog_write(rte, op);
		if (rte->relkind == RELKIND_FOREIGN_TABLE)
			juki_check_foreign_table(juki_rte_command(rte, op), rte->relid);
	}

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
			juki_is_log_reader(role))
		{
			log_reads = lappend(log_reads, juki_qualified_relname(rte->relid));
			continue;
		}
		if (is_config_read(rte, op, role, foreign_view, copy_out))
		{
			config_reads = lappend(config_reads, juki_qualified_relname(rte->relid));
			continue;
		}
		juki_refuse_direct(juki_rte_command(rte, op), juki_qualified_relname(rte->relid), true);
	}

	/* the reader sees the log only once its reading is on record */
	log_read_entry("log_read", log_reads);
	log_read_entry("config_read", config_reads);
}

/*
 * A query of juki's log tables sees every entry appended before it: the
 * entries are durable in WAL at once but filed by the writer a moment
 * later, so wait for the filing (log/head.c), then read with a snapshot
 * taken after it.  Only for reads in READ COMMITTED: a transaction
 * snapshot is the transaction's to keep.
 */
static void
log_read_barrier(QueryDesc *queryDesc)
{
	ListCell   *lc;
	bool		reads_log = false;
	Oid			ledger = InvalidOid;

	/* a parallel worker runs on its leader's snapshot, taken after the wait */
	if (!juki_preloaded || juki_is_audit_writer || queryDesc->operation != CMD_SELECT ||
		IsParallelWorker() || !OidIsValid(juki_namespace()))
		return;
	foreach(lc, queryDesc->plannedstmt->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);
		JukiRelKind kind;

		if (rte->rtekind != RTE_RELATION)
			continue;
		kind = juki_rel_kind(rte->relid);
		if (kind == JUKI_REL_LOG)
			reads_log = true;
		else if (kind == JUKI_REL_DATA)
		{
			/* the form ledger's rows are filed with their entries too */
			if (!OidIsValid(ledger))
				ledger = get_relname_relid("printed_form", juki_namespace());
			if (rte->relid == ledger)
				reads_log = true;
		}
	}
	if (!reads_log)
		return;
	juki_log_read_barrier();
	if (!IsolationUsesXactSnapshot() && queryDesc->snapshot != InvalidSnapshot)
	{
		Snapshot	fresh = RegisterSnapshot(GetLatestSnapshot());

		UnregisterSnapshot(queryDesc->snapshot);
		queryDesc->snapshot = fresh;
	}
}

static void
juki_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	juki_message_backend();
	log_read_barrier(queryDesc);
	/* a cached plan runs without parse analysis or planning: check here too */
	if (juki_preloaded && !juki_door_open())
		juki_check_session_settings("statement");
	guard_rtable(queryDesc->plannedstmt->rtable, queryDesc->operation,
				 queryDesc->dest != NULL && queryDesc->dest->mydest == DestCopyOut);
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
		guard_rtable(rangeTable, CMD_SELECT, false);
	if (prev_ExecutorCheckPerms)
		return prev_ExecutorCheckPerms(rangeTable, ereport_on_violation);
	return true;
}

/* -------------------------------------------------------- utility paths */

static bool
is_extension_statement(Node *stmt)
{
	return IsA(stmt, CreateExtensionStmt) || IsA(stmt, AlterExtensionStmt);
}

static void
juki_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;
	bool		extension_stmt = is_extension_statement(stmt);
	volatile bool analyze = false;
	JukiUtilityFrame frame;

	juki_message_backend();
	juki_guard_utility_begin(&frame);
	PG_TRY();
	{
		if (extension_stmt)
			juki_ident_reset();
		if (juki_preloaded && !juki_door_open() && !IsA(stmt, TransactionStmt))
			juki_check_session_settings("statement");
		if (!juki_door_open() || IsA(stmt, CreateExtensionStmt))
			juki_check_utility_objects(stmt);
		juki_check_side_paths(stmt);
		juki_check_new_definitions(stmt);
		if (juki_preloaded && OidIsValid(juki_namespace()) &&
			(IsA(stmt, GrantRoleStmt) || IsA(stmt, CreateRoleStmt) ||
			 IsA(stmt, AlterRoleStmt) || IsA(stmt, DropRoleStmt) ||
			 (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_ROLE)))
			juki_check_role_statement(stmt);
		analyze = IsA(stmt, VacuumStmt) && juki_preloaded && !juki_is_audit_writer &&
			OidIsValid(juki_namespace());
		if (analyze)
			juki_statistics_around_analyze(true);

		juki_guard_utility_enter(&frame, extension_stmt);
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		juki_guard_utility_end(&frame);
	}
	PG_END_TRY();

	if (extension_stmt || IsA(stmt, DropStmt))
		juki_ident_reset();
	if (analyze)
		juki_statistics_around_analyze(false);

	/* a new installed version: every backend re-reads it once this commits */
	if (juki_preloaded &&
		((IsA(stmt, AlterExtensionStmt) &&
		  strcmp(((AlterExtensionStmt *) stmt)->extname, "juki") == 0) ||
		 (IsA(stmt, CreateExtensionStmt) &&
		  strcmp(((CreateExtensionStmt *) stmt)->extname, "juki") == 0)))
		juki_policy_changed();
}

/* ----------------------------------------------------------- object access */

static void
juki_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				   int subId, void *arg)
{
	juki_message_backend();
	if (prev_object_access)
		prev_object_access(access, classId, objectId, subId, arg);

	if (!juki_preloaded || juki_is_audit_writer)
		return;
	/* every call the executor or the fast-path protocol prepares */
	if (access == OAT_FUNCTION_EXECUTE)
	{
		juki_check_function_execute(objectId);
		return;
	}
	juki_check_object_access(access, classId, objectId, subId, arg);
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

	RegisterXactCallback(guard_xact_callback, NULL);
	juki_guard_ident_install();
	juki_guard_paths_install();
}
