/*-------------------------------------------------------------------------
 * guard_settings.c
 *		Settings that would undo juki (issue 13, class 6): those that load
 *		code, run programs, put statements with their constants into the
 *		server log, weaken durability or integrity checks, or disable
 *		triggers and the catalog protections.  Their values come from the
 *		configuration file, which the OS administrator keeps, and from
 *		nowhere else while juki is loaded:
 *	- refused at the statement: ALTER SYSTEM, ALTER ROLE/DATABASE ... SET,
 *	  SET and SET LOCAL, a function's SET clause, set_config() with a
 *	  constant name, GRANT SET / ALTER SYSTEM ON PARAMETER;
 *	- caught before it matters: a protected setting whose value comes from
 *	  the connection (PGOPTIONS -c), from a role or database setting made
 *	  while juki was not loaded, from set_config() with a computed name or
 *	  a function's SET clause refuses the session at its start (before
 *	  session_preload_libraries load), or every statement from then on, at
 *	  parse analysis, planning, utility and executor start — before a
 *	  debug_print_* tree is written.
 * juki.* settings keep their own rule: never ALTER SYSTEM, ALTER ROLE or
 * ALTER DATABASE; SET only as PostgreSQL's contexts allow.
 * The README lists every protected setting with its reason.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#include "core/settings.h"
#include "core/context.h"
#include "guard_context.h"
#include "guard_settings.h"

typedef struct ProtectedSetting
{
	const char *name;
	const char *why;			/* the README says the same */
} ProtectedSetting;

static const ProtectedSetting protected_settings[] = {
	/* code */
	{"shared_preload_libraries", "loads libraries into every process (a stand-in juki)"},
	{"session_preload_libraries", "loads libraries into every session"},
	{"local_preload_libraries", "loads libraries into every session"},
	{"dynamic_library_path", "where library names resolve (a stand-in juki)"},
	{"jit_provider", "a library loaded for JIT compilation"},
	{"archive_library", "a library loaded into the archiver"},
	{"plperl.on_init", "Perl code run unrestricted when PL/Perl starts"},
	/* programs */
	{"archive_command", "runs a shell command"},
	{"restore_command", "runs a shell command"},
	{"archive_cleanup_command", "runs a shell command"},
	{"recovery_end_command", "runs a shell command"},
	{"ssl_passphrase_command", "runs a shell command"},
	/* statements with their constants in the server log */
	{"debug_print_parse", "parse trees with constants in the server log"},
	{"debug_print_rewritten", "rewritten trees with constants in the server log"},
	{"debug_print_plan", "plans with constants in the server log"},
	/* durability and integrity */
	{"fsync", "committed log entries could be lost"},
	{"full_page_writes", "torn pages after a crash"},
	{"data_sync_retry", "a failed flush would be ignored"},
	{"zero_damaged_pages", "damaged pages of the log would vanish silently"},
	{"ignore_checksum_failure", "edited pages would be read without complaint"},
	{"ignore_invalid_pages", "recovery would go on past invalid pages"},
	/* juki's rules */
	{"session_replication_role", "disables triggers, rules and foreign keys"},
	{"allow_system_table_mods", "allows DDL on system catalogs"},
	/* where the server writes and whom it lets in */
	{"log_directory", "the server log could be written into a configuration file"},
	{"log_filename", "the server log could be written into a configuration file"},
	{"external_pid_file", "the postmaster writes it wherever it names"},
	{"hba_file", "who may log in as which role"},
	{"ident_file", "who may log in as which role"},
};

static struct config_generic *protected_gucs[lengthof(protected_settings)];
static bool gucs_found = false;

static bool
protected_name(const char *name, bool with_juki)
{
	size_t		i;

	if (name == NULL)
		return false;
	if (with_juki && pg_strncasecmp(name, "juki.", 5) == 0)
		return true;
	for (i = 0; i < lengthof(protected_settings); i++)
		if (pg_strcasecmp(name, protected_settings[i].name) == 0)
			return true;
	return false;
}

static void
refuse_setting(const char *command, const char *name)
{
	juki_refuse_direct(command, psprintf("setting %s", name), true);
}

/* SET, SET LOCAL and SET ... FROM CURRENT; RESET and SET TO DEFAULT lower no guard. */
static bool
sets_a_value(VariableSetStmt *s)
{
	return s->kind == VAR_SET_VALUE || s->kind == VAR_SET_CURRENT;
}

static void
check_set_clauses(List *options, const char *command)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *d = lfirst_node(DefElem, lc);

		if (strcmp(d->defname, "set") == 0 && d->arg && IsA(d->arg, VariableSetStmt))
		{
			VariableSetStmt *v = (VariableSetStmt *) d->arg;

			if (sets_a_value(v) && protected_name(v->name, true))
				refuse_setting(command, v->name);
		}
	}
}

/* Statements that set a value at some level. */
void
juki_check_setting_statement(Node *parsetree)
{
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_AlterSystemStmt:
			{
				VariableSetStmt *s = ((AlterSystemStmt *) parsetree)->setstmt;

				/* the auto.conf value may be what loads juki: RESET is refused too */
				if (s->kind == VAR_RESET_ALL)
					juki_refuse_direct("ALTER SYSTEM", "all settings", true);
				if (protected_name(s->name, true))
					refuse_setting("ALTER SYSTEM", s->name);
				break;
			}
		case T_AlterRoleSetStmt:
			{
				VariableSetStmt *s = ((AlterRoleSetStmt *) parsetree)->setstmt;

				/* RESET takes away what should never have been stored */
				if (sets_a_value(s) && protected_name(s->name, true))
					refuse_setting("ALTER ROLE SET", s->name);
				break;
			}
		case T_AlterDatabaseSetStmt:
			{
				VariableSetStmt *s = ((AlterDatabaseSetStmt *) parsetree)->setstmt;

				if (sets_a_value(s) && protected_name(s->name, true))
					refuse_setting("ALTER DATABASE SET", s->name);
				break;
			}
		case T_VariableSetStmt:
			{
				VariableSetStmt *s = (VariableSetStmt *) parsetree;

				if (sets_a_value(s) && protected_name(s->name, false))
					refuse_setting("SET", s->name);
				break;
			}
		case T_CreateFunctionStmt:
			check_set_clauses(((CreateFunctionStmt *) parsetree)->options, "CREATE FUNCTION SET");
			break;
		case T_AlterFunctionStmt:
			check_set_clauses(((AlterFunctionStmt *) parsetree)->actions, "ALTER FUNCTION SET");
			break;
		case T_GrantStmt:
			{
				GrantStmt  *s = (GrantStmt *) parsetree;

				if (s->objtype == OBJECT_PARAMETER_ACL && s->is_grant)
					foreach(lc, s->objects)
						if (protected_name(strVal(lfirst(lc)), true))
							refuse_setting("GRANT ON PARAMETER", strVal(lfirst(lc)));
				break;
			}
		default:
			break;
	}
}

void
juki_check_set_config_name(const char *name)
{
	if (protected_name(name, false))
		refuse_setting("set_config", name);
}

/* ------------------------------------------------------------ sessions */

static void
find_gucs(void)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();
	size_t		i;
	int			j;

	for (i = 0; i < lengthof(protected_settings); i++)
	{
		protected_gucs[i] = NULL;
		/* a custom setting's struct may be replaced when its library loads */
		if (strchr(protected_settings[i].name, '.') != NULL)
			continue;
		for (j = 0; j < n; j++)
			if (pg_strcasecmp(vars[j]->name, protected_settings[i].name) == 0)
				protected_gucs[i] = vars[j];
	}
	gucs_found = true;
}

static const char *
source_name(GucSource source)
{
	switch (source)
	{
		case PGC_S_GLOBAL:
			return "all roles and databases";
		case PGC_S_DATABASE:
			return "the database";
		case PGC_S_USER:
			return "the role";
		case PGC_S_DATABASE_USER:
			return "the role in this database";
		case PGC_S_CLIENT:
			return "the client";
		case PGC_S_SESSION:
			return "the session";
		default:
			return "a source other than the configuration file";
	}
}

/*
 * Refuse (and log) if a protected setting has a value from anywhere but
 * the configuration file, the postmaster's command line or the server
 * itself (PGC_S_OVERRIDE: replication workers, autovacuum).
 */
void
juki_check_session_settings(const char *command)
{
	size_t		i;

	if (!juki_preloaded || juki_is_audit_writer || IsParallelWorker())
		return;
	if (!gucs_found)
		find_gucs();
	for (i = 0; i < lengthof(protected_settings); i++)
	{
		struct config_generic *g = protected_gucs[i];

		if (g != NULL && g->source > PGC_S_ARGV && g->source != PGC_S_OVERRIDE)
			juki_refuse_direct(command, psprintf("setting %s set by %s", g->name,
												 source_name(g->source)), true);
	}
}
