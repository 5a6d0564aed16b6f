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
 * once (log_read).  System catalogs take no DML from anyone while juki is
 * loaded (guard_catalog.c).
 *
 * Extension scripts (issue 13, class 5): juki's own install and upgrade
 * script opens the door, and any extension's own script statements may
 * create that extension's C functions; code such a script merely triggers
 * (event triggers, the caller's SQL or PL functions) is outside both: the
 * depth counters below tell the script's statements from it.
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

#include "juki.h"
#include "log/audit.h"
#include "guard.h"
#include "guard_definitions.h"
#include "guard_internal.h"
#include "guard_paths.h"
#include "access/identity.h"
#include "access/roles.h"
#include "core/state.h"
#include "statement_text.h"
#include "core/version.h"

bool		juki_is_audit_writer = false;

static int	door_depth = 0;			/* juki functions on the stack */
static List *checked_rtable = NIL;	/* rtable ExecutorStart already judged */

/*
 * Event-trigger functions on the stack, and the door depth each of them
 * put aside: an event trigger is the caller's code wherever it fires.
 */
#define MAX_EVENT_TRIGGER_DEPTH 64
static int	event_trigger_depth = 0;
static int	saved_door_depth[MAX_EVENT_TRIGGER_DEPTH];

/*
 * The caller's SQL and PL functions on the stack (counted only for
 * functions looked up while an extension script runs: needs_fmgr_hook
 * asks for them then), ProcessUtility calls on the stack, and the
 * ProcessUtility depth of the running CREATE/ALTER EXTENSION.  A statement
 * is the script's own when it arrives directly from the script: one level
 * below the extension statement, with no user code or event trigger in
 * between.
 */
static int	user_code_depth = 0;
static int	utility_depth = 0;
static int	ext_frame_depth = -1;
static int	ext_frame_user_code = 0;
static bool current_is_script_statement = false;

static bool startup_checked = false;

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorCheckPerms_hook_type prev_ExecutorCheckPerms = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static object_access_hook_type prev_object_access = NULL;
static needs_fmgr_hook_type prev_needs_fmgr = NULL;
static fmgr_hook_type prev_fmgr = NULL;

/* -------------------------------------------------------------- the door */

/* Is juki's own install or upgrade script running? */
bool
juki_installing_juki(void)
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
	if (door_depth > 0 || juki_is_audit_writer)
		return true;
	/* what an event trigger or the caller's function does is not the script's */
	if (event_trigger_depth > 0)
		return false;
	if (juki_dropping_juki())
		return true;
	return juki_installing_juki() && user_code_depth == ext_frame_user_code;
}

bool
juki_extension_script_statement(void)
{
	return current_is_script_statement;
}

/* ----------------------------------------------------------- fmgr hooks */

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
 * triggers and the caller's functions on the stack.  An error at
 * FHET_START is not followed by FHET_ABORT: counters move after the checks.
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
		if (fi.internal && door_depth == 0 && juki_preloaded && !juki_is_audit_writer &&
			!juki_installing_juki())
			juki_refuse_direct("EXECUTE",
							   psprintf("function %s", format_procedure(flinfo->fn_oid)), true);
		/* the outermost juki call: library and installed SQL must match */
		if (fi.is_juki && door_depth == 0 && juki_preloaded &&
			!juki_installing_juki() && !fi.any_version)
			juki_require_current_sql(get_func_name(flinfo->fn_oid));
		if (fi.event_trigger)
		{
			if (event_trigger_depth >= MAX_EVENT_TRIGGER_DEPTH)
				elog(ERROR, "event triggers nested too deeply");
			saved_door_depth[event_trigger_depth++] = door_depth;
			door_depth = 0;
		}
		if (fi.is_juki)
			door_depth++;
		if (fi.user_code)
			user_code_depth++;
	}
	else
	{
		if (fi.user_code && user_code_depth > 0)
			user_code_depth--;
		if (fi.is_juki && door_depth > 0)
			door_depth--;
		if (fi.event_trigger && event_trigger_depth > 0)
			door_depth = saved_door_depth[--event_trigger_depth];
	}
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
		/*
		 * utility_depth and the extension frame are not reset: VACUUM and
		 * procedures commit inside ProcessUtility, which restores them itself.
		 */
		door_depth = 0;
		juki_objects_reset();
		checked_rtable = NIL;
		if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT &&
			event != XACT_EVENT_PREPARE)
		{
			event_trigger_depth = 0;
			user_code_depth = 0;
		}
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
const char *
juki_statement_text(void)
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
	jd_str(&d, "query", juki_statement_text());
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

const char *
juki_rte_command(RangeTblEntry *rte, CmdType op)
{
	if (rte->requiredPerms & ACL_DELETE)
		return "DELETE";
	if (rte->requiredPerms & ACL_UPDATE)
		return op == CMD_SELECT ? "SELECT FOR UPDATE/SHARE" : "UPDATE";
	if (rte->requiredPerms & ACL_INSERT)
		return "INSERT";
	return "SELECT";
}

bool
juki_is_log_reader(Oid role)
{
	Oid			auditor = get_role_oid("juki_auditor", true);
	Oid			chief = get_role_oid("juki_chief_security_officer", true);

	/* an assumed identity or a superuser reads nothing as an auditor (identity.c) */
	if (juki_identity_problem(NULL) != NULL)
		return false;
	return (OidIsValid(auditor) && is_member_of_role_nosuper(role, auditor)) ||
		(OidIsValid(chief) && is_member_of_role_nosuper(role, chief));
}

char *
juki_qualified_relname(Oid relid)
{
	char	   *nsp = get_namespace_name(get_rel_namespace(relid));
	char	   *rel = get_rel_name(relid);

	return quote_qualified_identifier(nsp ? nsp : "?", rel ? rel : "?");
}

/*
 * Judge a statement's range table: refuse (and log) DML on a system
 * catalog and reads of a file_fdw table that reach server files, in every
 * database; then any reference to a juki relation that the door does not
 * allow; log one log_read for an auditor's plain SELECT of the log.
 */
static void
guard_rtable(List *rtable, CmdType op)
{
	ListCell   *lc;
	List	   *log_reads = NIL;
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
		juki_refuse_direct(juki_rte_command(rte, op), juki_qualified_relname(rte->relid), true);
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
		jd_str(&d, "query", juki_statement_text());
		r.detail = jd_finish(&d);
		/* the reader sees the log only once its reading is on record */
		juki_audit_log(&r);
	}
}

static void
juki_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	/* a cached plan runs without parse analysis or planning: check here too */
	if (juki_preloaded && !juki_door_open())
		juki_check_session_settings("statement");
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
	bool		saved_script_statement = current_is_script_statement;
	int			saved_frame_depth = ext_frame_depth;
	int			saved_frame_user_code = ext_frame_user_code;
	bool		extension_stmt = is_extension_statement(stmt);
	bool		analyze = false;
	bool		entered = false;

	current_is_script_statement = creating_extension && ext_frame_depth >= 0 &&
		utility_depth == ext_frame_depth && user_code_depth == ext_frame_user_code &&
		event_trigger_depth == 0;
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

		utility_depth++;
		entered = true;
		if (extension_stmt)
		{
			ext_frame_depth = utility_depth;
			ext_frame_user_code = user_code_depth;
		}
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		if (entered)
			utility_depth--;
		ext_frame_depth = saved_frame_depth;
		ext_frame_user_code = saved_frame_user_code;
		current_is_script_statement = saved_script_statement;
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
	if (prev_object_access)
		prev_object_access(access, classId, objectId, subId, arg);

	if (!juki_preloaded || juki_is_audit_writer)
		return;
	/* every call the executor or the fast-path protocol prepares */
	if (access == OAT_FUNCTION_EXECUTE)
	{
		juki_check_function_call(objectId);
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
