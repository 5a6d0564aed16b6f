/*-------------------------------------------------------------------------
 * juki.c
 *		Module entry point: GUCs, preload detection, and (as later modules
 *		land) hooks, shared memory and the audit writer.
 *
 * juki only enforces anything when it is in shared_preload_libraries: its
 * hooks must be in place before the first query of every backend, and its
 * shared memory must exist before any backend starts.  When loaded any
 * other way, _PG_init installs nothing, so that CREATE EXTENSION and a
 * pg_restore still work, and every function that needs the enforcement
 * machinery refuses with juki_require_preload().
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xlog.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "juki.h"
#include "log/queue.h"
#include "guard/guard.h"
#include "door/session.h"
#include "core/state.h"
#include "guard/statement_text.h"
#include "core/version.h"
#include "door/volume.h"

PG_MODULE_MAGIC;

/* written once, as default_version in juki.control; the Makefile passes it */
#ifndef JUKI_VERSION
#error "JUKI_VERSION must be defined by the build (see Makefile)"
#endif

int			juki_idle_timeout_ms = 5 * 60 * 1000;
int			juki_max_login_failures = 5;
int			juki_password_max_age_min = 90 * 24 * 60;
int			juki_audit_wait_timeout_ms = 5000;
int			juki_audit_queue_size_kb = 1024;
int			juki_checkpoint_interval_s = 60;
char	   *juki_signing_key_file = NULL;
char	   *juki_checkpoint_directory = NULL;
int			juki_log_retention_years = 7;
char	   *juki_timezone = NULL;
char	   *juki_database = NULL;
bool		juki_check_resident_code_digit = false;
int			juki_max_sessions = 500;

bool		juki_preloaded = false;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* juki.timezone must name a zone PostgreSQL knows, or hours would be wrong */
static bool
check_juki_timezone(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || pg_tzset(*newval) == NULL)
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("juki.timezone \"%s\" is not a known time zone",
						 *newval ? *newval : "");
		GUC_check_errhint("Use a name from pg_timezone_names, e.g. Asia/Tokyo.");
		return false;
	}
	return true;
}

/* juki.database must be a plausible database name: the writer connects there */
static bool
check_juki_database(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errmsg("juki.database must name the database that holds juki");
		return false;
	}
	return true;
}

static void
define_gucs(void)
{
	DefineCustomIntVariable("juki.idle_timeout",
							"Idle time after which an operator session locks.",
							"A locked session needs juki.unlock with a new card signature and the password.",
							&juki_idle_timeout_ms, 5 * 60 * 1000, 1000, 24 * 60 * 60 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.max_login_failures",
							"Consecutive failed logins after which an operator is locked.",
							NULL,
							&juki_max_login_failures, 5, 1, 100,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.password_max_age",
							"Age after which an operator password expires.",
							NULL,
							&juki_password_max_age_min, 90 * 24 * 60, 60, 366 * 24 * 60,
							PGC_SIGHUP, GUC_UNIT_MIN, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.audit_wait_timeout",
							"How long a request waits for its audit record to become durable.",
							"When it passes, the request fails and nothing is disclosed.",
							&juki_audit_wait_timeout_ms, 5000, 100, 600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.audit_queue_size",
							"Shared memory for audit records waiting for the writer.",
							NULL,
							&juki_audit_queue_size_kb, 1024, 64, 1024 * 1024,
							PGC_POSTMASTER, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.checkpoint_interval",
							"Interval between signed checkpoints of the operation log.",
							NULL,
							&juki_checkpoint_interval_s, 60, 1, 24 * 60 * 60,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("juki.signing_key_file",
							   "PEM file of the Ed25519 private key that signs checkpoints.",
							   "Keep it outside the data directory.",
							   &juki_signing_key_file, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("juki.checkpoint_directory",
							   "Directory (external media or another host) that receives checkpoint files.",
							   NULL,
							   &juki_checkpoint_directory, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.log_retention",
							"Years the operation log is kept; at least 7 and never lowered.",
							NULL,
							&juki_log_retention_years, 7, 7, 100,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("juki.timezone",
							   "Time zone in which operating hours are evaluated.",
							   NULL,
							   &juki_timezone, "Asia/Tokyo",
							   PGC_SIGHUP, 0, check_juki_timezone, NULL, NULL);
	DefineCustomStringVariable("juki.database",
							   "The one database that holds juki; the audit writer connects there.",
							   NULL,
							   &juki_database, "postgres",
							   PGC_POSTMASTER, 0, check_juki_database, NULL, NULL);
	DefineCustomBoolVariable("juki.check_resident_code_digit",
							 "Check the 11th digit of resident codes (住民票コード).",
							 "The formula is an assumption documented in the README; off by default.",
							 &juki_check_resident_code_digit, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("juki.max_sessions",
							"Operator sessions (and pending card challenges) held in shared memory.",
							NULL,
							&juki_max_sessions, 500, 10, 100000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);

	DefineCustomBoolVariable("juki.redact_statements",
							 "Take literals and comments out of statement texts in pg_stat_activity and the server log.",
							 "Search terms, resident codes and session tokens written into SQL text stay out of both.",
							 &juki_redact_statements, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	juki_volume_define_gucs();

	MarkGUCPrefixReserved("juki");
}

static void
juki_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	juki_queue_shmem_request();
	juki_state_shmem_request();
	juki_session_shmem_request();
	juki_volume_shmem_request();
}

static void
juki_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	juki_queue_shmem_startup();
	juki_state_shmem_startup();
	juki_session_shmem_startup();
	juki_volume_shmem_startup();
}

/* The audit writer: one static worker, restarted at once if it dies. */
static void
register_audit_writer(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "juki");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "juki_audit_writer_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "juki audit writer");
	snprintf(worker.bgw_type, BGW_MAXLEN, "juki audit writer");
	RegisterBackgroundWorker(&worker);
}

/* Module load: everything juki enforces is installed from here. */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	/* pg_upgrade runs with its own rules; juki enforces nothing there */
	if (IsBinaryUpgrade)
		return;

	define_gucs();
	juki_preloaded = true;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = juki_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = juki_shmem_startup;
	register_audit_writer();
	juki_guard_install();
	juki_statement_text_install();
}

/* Refuse to do anything that needs the hooks, shared memory or the writer. */
void
juki_require_preload(void)
{
	if (!juki_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("juki must be loaded via shared_preload_libraries"),
				 errhint("Add juki to shared_preload_libraries in postgresql.conf and restart the server.")));
}

PG_FUNCTION_INFO_V1(juki_status);

/* Set column name of the result row, if the installed status() has it. */
static void
status_set(TupleDesc desc, Datum *values, bool *nulls, const char *name,
		   Datum value, bool isnull)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
		{
			values[i] = value;
			nulls[i] = isnull;
			return;
		}
}

/*
 * juki.status(): what a DBA checks first — is juki enforcing, and where.
 * Columns are filled by name, so that the library answers every installed
 * version of the function (1.0's columns are a subset of the newest); it
 * works without preload too, and then says so.
 */
Datum
juki_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum	   *values;
	bool	   *nulls;
	JukiQueueStatus st;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values = palloc0(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	for (i = 0; i < tupdesc->natts; i++)
		nulls[i] = true;

#define SET(name, value, isnull) status_set(tupdesc, values, nulls, name, value, isnull)
	SET("preloaded", BoolGetDatum(juki_preloaded), false);
	SET("version", CStringGetTextDatum(JUKI_VERSION), false);
	SET("sql_version", CStringGetTextDatum(juki_installed_version()), false);
	SET("standby", BoolGetDatum(RecoveryInProgress()), false);
	if (juki_preloaded)
	{
		juki_queue_status(&st);
		SET("database", CStringGetTextDatum(juki_database), false);
		SET("timezone", CStringGetTextDatum(juki_timezone), false);
		SET("writer_pid", Int32GetDatum(st.writer_pid), st.writer_pid == 0);
		SET("accepting", BoolGetDatum(st.accepting), false);
		SET("queued_bytes", Int64GetDatum((int64) st.queued_bytes), false);
		SET("queue_capacity", Int64GetDatum((int64) st.capacity), false);
		SET("last_seq", Int64GetDatum(st.last_seq), st.last_seq < 0);
		SET("emergency_stop", BoolGetDatum(juki_emergency_stopped()), false);
	}
	SET("sql_current", BoolGetDatum(juki_sql_is_current()), false);
#undef SET
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
