/*-------------------------------------------------------------------------
 * settings.c
 *		Every juki.* setting (definition, variable, check hook), and
 *		whether juki came in through shared_preload_libraries.
 *
 * juki only enforces anything when it is in shared_preload_libraries: its
 * hooks must be in place before the first query of every backend, and its
 * shared memory must exist before any backend starts.  When loaded any
 * other way, _PG_init defines nothing (not even the settings), so that
 * CREATE EXTENSION and a pg_restore still work, and every function that
 * needs the enforcement machinery refuses with juki_require_preload().
 * Nothing security relevant is PGC_USERSET; ALTER SYSTEM of juki.* is
 * refused by the guard (guard/guard_settings.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgtime.h"
#include "utils/guc.h"

#include "format/note.h"
#include "settings.h"

int			juki_idle_timeout_ms = 5 * 60 * 1000;
int			juki_max_login_failures = 5;
int			juki_password_max_age_min = 90 * 24 * 60;
int			juki_max_sessions = 500;
int			juki_audit_wait_timeout_ms = 5000;
int			juki_audit_max_backlog = 100000;
bool		juki_synchronous_standby_wait = true;
int			juki_verify_workers = 1;
int			juki_checkpoint_interval_s = 60;
char	   *juki_signing_key_file = NULL;
char	   *juki_checkpoint_directory = NULL;
char	   *juki_log_origin = NULL;
char	   *juki_witness_keys = NULL;
int			juki_log_retention_years = 7;
char	   *juki_timezone = NULL;
char	   *juki_database = NULL;
bool		juki_check_resident_code_digit = false;
int			juki_statement_rows = 20;
int			juki_window_rows = 200;
int			juki_volume_window_min = 8 * 60;
bool		juki_redact_statements = true;

bool		juki_preloaded = false;

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

/* The origin line of checkpoint notes: a valid C2SP note name (or empty). */
static bool
check_log_origin(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (strlen(*newval) > JUKI_NOTE_NAME_MAX ||
		!juki_note_valid_name(*newval, strlen(*newval)))
	{
		GUC_check_errdetail("An origin is printable UTF-8 without spaces or '+', e.g. example.lg.jp/juki-oplog.");
		return false;
	}
	return true;
}

/* Witness verifier keys, separated by spaces: each must parse. */
static bool
check_witness_keys(char **newval, void **extra, GucSource source)
{
	const char *p = *newval;

	while (p != NULL && *p)
	{
		const char *end;
		JukiNoteKey key;
		char		err[256];

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = p;
		while (*end && *end != ' ' && *end != ',')
			end++;
		if (!juki_note_key_parse(p, end - p, &key, err, sizeof(err)))
		{
			GUC_check_errdetail("A witness key is <name>+<key id>+<base64 key> (C2SP signed-note): %s.", err);
			return false;
		}
		p = end;
	}
	return true;
}

/* The keys of juki.witness_keys (at most max; malformed ones were refused). */
int
juki_witness_keys_get(JukiNoteKey *keys, int max)
{
	const char *p = juki_witness_keys;
	int			n = 0;

	while (p != NULL && *p && n < max)
	{
		const char *end;
		char		err[256];

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end && *end != ' ' && *end != ','; end++)
			;
		if (juki_note_key_parse(p, end - p, &keys[n], err, sizeof(err)))
			n++;
		p = end;
	}
	return n;
}

void
juki_settings_define(void)
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
	DefineCustomIntVariable("juki.audit_max_backlog",
							"Entries appended but not yet filed by the audit writer beyond which disclosures are refused.",
							"Past it granted decisions are logged as refused (audit_backlog); past twice it nothing is logged or served.",
							&juki_audit_max_backlog, 100000, 10, 100000000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("juki.synchronous_standby_wait",
							 "Whether a request waits for synchronous standbys to flush its log entry before anything is disclosed.",
							 "Only when synchronous_standby_names names standbys; the wait is that of a commit with synchronous_commit = on.",
							 &juki_synchronous_standby_wait, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.verify_workers",
							"Parallel workers juki.verify_log may use besides the backend that calls it.",
							"Each reads a share of the log; 0 reads it in the calling backend alone.  Also bounded by max_parallel_workers.",
							&juki_verify_workers, 1, 0, 64,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
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
	DefineCustomStringVariable("juki.log_origin",
							   "Origin (first line) of the operation log's C2SP checkpoints.",
							   "Empty: juki/<first 16 hex digits of the chain origin>.",
							   &juki_log_origin, "",
							   PGC_SIGHUP, 0, check_log_origin, NULL, NULL);
	DefineCustomStringVariable("juki.witness_keys",
							   "Verifier keys of the witnesses whose cosignatures verify_log checks.",
							   "C2SP verifier keys (cosignature/v1), separated by spaces.",
							   &juki_witness_keys, "",
							   PGC_SIGHUP, 0, check_witness_keys, NULL, NULL);
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
	DefineCustomIntVariable("juki.statement_rows",
							"Residents one statement may disclose under a purpose without a bulk permit.",
							"For purposes without their own statement_rows; never below the purpose's max_rows.",
							&juki_statement_rows, 20, 1, JUKI_VOLUME_MAX_ROWS,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.window_rows",
							"Residents one operator may disclose under a purpose in juki.volume_window without a bulk permit.",
							"For purposes without their own window_rows; never below the statement ceiling.",
							&juki_window_rows, 200, 1, JUKI_VOLUME_MAX_ROWS,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("juki.volume_window",
							"The sliding window over which an operator's disclosures are counted.",
							NULL,
							&juki_volume_window_min, 8 * 60, 1, 7 * 24 * 60,
							PGC_POSTMASTER, GUC_UNIT_MIN, NULL, NULL, NULL);

	MarkGUCPrefixReserved("juki");
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
