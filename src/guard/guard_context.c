/*-------------------------------------------------------------------------
 * guard_context.c
 *		Where the backend stands, for the guard: how many of juki's
 *		functions, event triggers and functions of the caller's are on the
 *		stack, which utility statement belongs to a running extension
 *		script, whether an approved DROP or UPDATE of extension juki runs;
 *		and the one way the guard refuses (logged, 42501 direct_access).
 *
 * The hooks of guard.c move the counters (juki_guard_function_start/end,
 * juki_guard_utility_begin/enter/end, juki_guard_context_reset at the end
 * of a transaction); the checkers of the other guard files only ask
 * (juki_door_open, juki_extension_script_statement, ...).  Everything is
 * backend-local: no shared memory, no locks.  The count of juki's own
 * functions is core/context.h's juki_functions_on_stack, which layers
 * below the guard read too.
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
#include "commands/extension.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "core/context.h"
#include "core/objects.h"
#include "log/append.h"
#include "access/identity.h"
#include "guard_context.h"
#include "statement_text.h"
#include "core/message.h"

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

static bool dropping_juki = false;	/* an approved DROP EXTENSION juki */
static bool updating_juki = false;	/* ALTER EXTENSION juki UPDATE, on record */

/* -------------------------------------------------------------- the door */

bool
juki_installing_juki(void)
{
	return creating_extension &&
		CurrentExtensionObject == get_extension_oid("juki", true);
}

bool
juki_door_open(void)
{
	/*
	 * Not parallel workers: a user's PARALLEL SAFE function run in a worker
	 * would otherwise read juki's tables.  juki's own queries never go
	 * parallel (juki_spi_begin, the writer and 99_grants.sql turn it off).
	 */
	if (juki_functions_on_stack > 0 || juki_is_audit_writer)
		return true;
	/* what an event trigger or the caller's function does is not the script's */
	if (event_trigger_depth > 0)
		return false;
	if (dropping_juki)
		return true;
	return juki_installing_juki() && user_code_depth == ext_frame_user_code;
}

bool
juki_extension_script_statement(void)
{
	return current_is_script_statement;
}

bool
juki_dropping_juki(void)
{
	return dropping_juki;
}

bool
juki_updating_juki(void)
{
	return updating_juki;
}

void
juki_note_dropping_juki(void)
{
	dropping_juki = true;
}

void
juki_note_updating_juki(void)
{
	updating_juki = true;
}

/* --------------------------------------------------------- the counters */

/* An error at FHET_START is not followed by FHET_ABORT: counted after the checks. */
void
juki_guard_function_start(const JukiFnInfo *fi)
{
	if (fi->event_trigger)
	{
		if (event_trigger_depth >= MAX_EVENT_TRIGGER_DEPTH)
			elog(ERROR, "event triggers nested too deeply");
		saved_door_depth[event_trigger_depth++] = juki_functions_on_stack;
		juki_functions_on_stack = 0;
	}
	if (fi->is_juki)
		juki_functions_on_stack++;
	if (fi->user_code)
		user_code_depth++;
}

void
juki_guard_function_end(const JukiFnInfo *fi)
{
	if (fi->user_code && user_code_depth > 0)
		user_code_depth--;
	if (fi->is_juki && juki_functions_on_stack > 0)
		juki_functions_on_stack--;
	if (fi->event_trigger && event_trigger_depth > 0)
		juki_functions_on_stack = saved_door_depth[--event_trigger_depth];
}

/* Before a utility statement's checks: is it the running script's own? */
void
juki_guard_utility_begin(JukiUtilityFrame *f)
{
	f->script_statement = current_is_script_statement;
	f->ext_frame_depth = ext_frame_depth;
	f->ext_frame_user_code = ext_frame_user_code;
	f->entered = false;
	current_is_script_statement = creating_extension && ext_frame_depth >= 0 &&
		utility_depth == ext_frame_depth && user_code_depth == ext_frame_user_code &&
		event_trigger_depth == 0;
}

/* After its checks, before it runs: CREATE/ALTER EXTENSION opens a frame. */
void
juki_guard_utility_enter(JukiUtilityFrame *f, bool extension_statement)
{
	utility_depth++;
	f->entered = true;
	if (extension_statement)
	{
		ext_frame_depth = utility_depth;
		ext_frame_user_code = user_code_depth;
	}
}

/* After it ran or failed. */
void
juki_guard_utility_end(const JukiUtilityFrame *f)
{
	if (f->entered)
		utility_depth--;
	ext_frame_depth = f->ext_frame_depth;
	ext_frame_user_code = f->ext_frame_user_code;
	current_is_script_statement = f->script_statement;
}

/*
 * An error unwinds past FHET_ABORT only through a top-level abort.
 * utility_depth and the extension frame are not reset: VACUUM and
 * procedures commit inside ProcessUtility, which restores them itself.
 */
void
juki_guard_context_reset(bool committed)
{
	juki_functions_on_stack = 0;
	dropping_juki = false;
	updating_juki = false;
	if (!committed)
	{
		event_trigger_depth = 0;
		user_code_depth = 0;
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
			 errmsg("juki refuses %s on %s", juki_tr(command), object),
			 juki_errfield("direct_access"),
			 logged ?
			 errdetail("reason: direct_access; the refusal is recorded in the operation log.") :
			 errdetail("reason: direct_access; the refusal could not be logged: %s.", juki_tr(problem)),
			 errhint("juki's data and operation log are reached only through juki's functions.")));
	pg_unreachable();
}

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
