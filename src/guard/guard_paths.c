/*-------------------------------------------------------------------------
 * guard_paths.c
 *		The side doors of DESIGN §8: ways to read juki's data, or to undo
 *		juki, without naming its tables in a query.
 *
 *	- forbidden functions (guard_ident.c says which, by identity): raw
 *	  readers of files and pages and server-side file writers in every
 *	  database while juki is loaded, logical decoding in juki's database,
 *	  functions of untrusted languages, juki's library outside juki;
 *	- foreign code: CREATE FUNCTION ... LANGUAGE C or internal outside an
 *	  extension script's own statements, CREATE LANGUAGE, CREATE FUNCTION
 *	  and DO in an untrusted language, LOAD;
 *	- settings (guard_settings.c), COPY ... PROGRAM, server files COPY and
 *	  file_fdw would write or read (guard_files.c), COPY into a catalog;
 *	- publications that would carry juki's tables to a subscriber;
 *	- pg_drop_replication_slot and pg_replication_slot_advance of juki's
 *	  own slot (it keeps the WAL not yet filed), in every database: the
 *	  slot is the cluster's.  The slot is named by the call's argument,
 *	  which only a constant shows before the call: a name computed in the
 *	  query (a column, a parameter, an expression) is refused too, and so
 *	  is a fast-path call (no query at all: nothing shows the name).  The
 *	  replication protocol's DROP_REPLICATION_SLOT reaches no hook:
 *	  detected only (README).
 *
 * Function calls are caught at parse analysis (post_parse_analyze_hook,
 * which also sees the queries of PL/pgSQL and of other SPI users, and the
 * arguments of CALL), again at planning (planner_hook: stored function
 * bodies, rules, views), and at execution (guard.c: the fmgr hook for
 * functions that are not built-in, OAT_FUNCTION_EXECUTE for the calls the
 * executor and the fast-path protocol prepare).  Nothing here returns early
 * while an extension is being created: only the statements of an
 * extension's own script may create its C functions (issue 13, class 5).
 * Every refusal is logged with reason direct_access.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_language.h"
#include "commands/defrem.h"
#include "commands/proclang.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "parser/analyze.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "core/settings.h"
#include "core/context.h"
#include "core/objects.h"
#include "log/filing.h"
#include "guard_context.h"
#include "guard_files.h"
#include "guard_ident.h"
#include "guard_settings.h"
#include "guard_paths.h"

static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;
static planner_hook_type prev_planner = NULL;

/* ---------------------------------------------------------------- calls */

/* Refuse fn if it is a forbidden function (guard_ident.c). */
void
juki_check_function_call(Oid fn)
{
	JukiFnKind	kind;
	char	   *name;

	if (!juki_preloaded || juki_is_audit_writer)
		return;
	kind = juki_fn_kind(fn);
	if (kind == JFK_OK)
		return;
	/* logical decoding is per database: only juki's own is at stake */
	if (kind == JFK_LOGICAL && !OidIsValid(juki_namespace()))
		return;
	name = get_func_name(fn);
	juki_refuse_direct(juki_fn_kind_command(kind),
					   psprintf("function %s", name ? name : "?"), true);
}

/*
 * A function about to run outside any portal is a fast-path call (the
 * protocol's FunctionCall message): every query runs in a portal, and its
 * slot calls were checked with the query.  A slot function called so names
 * its slot in an argument no hook sees: refused.
 */
void
juki_check_function_execute(Oid fn)
{
	juki_check_function_call(fn);
	if (!juki_preloaded || juki_is_audit_writer || ActivePortal != NULL)
		return;
	if (fn == F_PG_DROP_REPLICATION_SLOT || fn == F_PG_REPLICATION_SLOT_ADVANCE)
		juki_refuse_direct(gettext_noop("a fast-path call"),
						   psprintf("function %s", get_func_name(fn)), true);
}

static bool
call_check(Oid fn, void *context)
{
	juki_check_function_call(fn);
	return false;
}

/* set_config() with a constant name: a protected setting is refused here. */
static void
check_set_config(FuncExpr *f)
{
	Const	   *c;

	if (list_length(f->args) < 1 || !IsA(linitial(f->args), Const))
		return;					/* a computed name: the session check sees it */
	c = linitial_node(Const, f->args);
	if (!c->constisnull && c->consttype == TEXTOID)
		juki_check_set_config_name(TextDatumGetCString(c->constvalue));
}

/*
 * pg_drop_replication_slot(name) and pg_replication_slot_advance(name, lsn)
 * (built-ins, by OID): refused on juki's slot, and on a slot the query
 * computes (juki cannot tell which it is before the call).
 */
static void
check_slot_call(FuncExpr *f)
{
	Node	   *arg;
	Const	   *c;

	if (f->funcid != F_PG_DROP_REPLICATION_SLOT && f->funcid != F_PG_REPLICATION_SLOT_ADVANCE)
		return;
	arg = list_length(f->args) >= 1 ? linitial(f->args) : NULL;
	while (arg && IsA(arg, RelabelType))
		arg = (Node *) ((RelabelType *) arg)->arg;
	if (arg == NULL || !IsA(arg, Const) || ((Const *) arg)->consttype != NAMEOID)
		juki_refuse_direct(gettext_noop("a replication slot named by an expression"),
						   psprintf("function %s", get_func_name(f->funcid)), true);
	c = (Const *) arg;
	if (!c->constisnull &&
		strcmp(NameStr(*DatumGetName(c->constvalue)), JUKI_SLOT_NAME) == 0)
		juki_refuse_direct(f->funcid == F_PG_DROP_REPLICATION_SLOT ?
						   gettext_noop("DROP of juki's replication slot") :
						   gettext_noop("advancing juki's replication slot"),
						   psprintf("function %s", get_func_name(f->funcid)), true);
}

static bool
call_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	/* FuncExpr, OpExpr, aggregates, window functions, coercions ... */
	(void) check_functions_in_node(node, call_check, context);
	if (IsA(node, FuncExpr) && juki_fn_is_set_config(((FuncExpr *) node)->funcid))
		check_set_config((FuncExpr *) node);
	if (IsA(node, FuncExpr))
		check_slot_call((FuncExpr *) node);
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, call_walker, context, 0);
	return expression_tree_walker(node, call_walker, context);
}

static void
check_query(Query *query)
{
	if (!juki_preloaded || juki_is_audit_writer)
		return;
	if (!juki_door_open() &&
		!(query->commandType == CMD_UTILITY && query->utilityStmt &&
		  IsA(query->utilityStmt, TransactionStmt)))
		juki_check_session_settings("statement");
	if (query->commandType != CMD_UTILITY)
		(void) query_tree_walker(query, call_walker, NULL, 0);
	else if (query->utilityStmt && IsA(query->utilityStmt, CallStmt))
		(void) call_walker((Node *) ((CallStmt *) query->utilityStmt)->funcexpr, NULL);
}

static void
juki_post_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze)
		prev_post_parse_analyze(pstate, query, jstate);
	check_query(query);
}

/*
 * Again at planning: SQL-standard function bodies (BEGIN ATOMIC) and rule
 * actions are analysed without the post-parse hook and stored; every query
 * that runs is planned, with its rules, views and defaults expanded.
 */
static PlannedStmt *
juki_planner(Query *parse, const char *query_string, int cursorOptions,
			 ParamListInfo boundParams)
{
	check_query(parse);
	if (prev_planner)
		return prev_planner(parse, query_string, cursorOptions, boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

/* ---------------------------------------------------------- foreign code */

/* The language a CREATE FUNCTION names (SQL when it has a standard body). */
static char *
function_language(CreateFunctionStmt *s)
{
	ListCell   *lc;

	foreach(lc, s->options)
	{
		DefElem    *d = lfirst_node(DefElem, lc);

		if (strcmp(d->defname, "language") == 0)
			return strVal(d->arg);
	}
	return "sql";
}

static void
check_create_function(CreateFunctionStmt *s)
{
	char	   *lanname = function_language(s);
	Oid			lang = get_language_oid(lanname, true);

	if (!OidIsValid(lang))
		return;					/* PostgreSQL says it does not exist */
	if ((lang == ClanguageId || lang == INTERNALlanguageId) &&
		!juki_extension_script_statement())
		juki_refuse_direct("CREATE FUNCTION",
						   lang == ClanguageId ? "LANGUAGE C (outside an extension script)" :
						   "LANGUAGE internal (outside an extension script)", true);
	if (juki_language_untrusted(lang))
		juki_refuse_direct("CREATE FUNCTION", psprintf("untrusted language %s", lanname), true);
}

static void
check_do(DoStmt *s)
{
	ListCell   *lc;
	char	   *lanname = "plpgsql";
	Oid			lang;

	foreach(lc, s->args)
	{
		DefElem    *d = lfirst_node(DefElem, lc);

		if (strcmp(d->defname, "language") == 0)
			lanname = strVal(d->arg);
	}
	lang = get_language_oid(lanname, true);
	if (OidIsValid(lang) && juki_language_untrusted(lang))
		juki_refuse_direct("DO", psprintf("untrusted language %s", lanname), true);
}

/*
 * A new language: never an untrusted one; a trusted one (its handler is a
 * C function, which only an extension script can create) only from an
 * extension script's own statements.
 */
static void
check_create_language(CreatePLangStmt *s)
{
	if (juki_new_language_untrusted(s))
		juki_refuse_direct("CREATE LANGUAGE", psprintf("untrusted language %s", s->plname), true);
	if (!juki_extension_script_statement())
		juki_refuse_direct("CREATE LANGUAGE",
						   psprintf("language %s (outside an extension script)", s->plname), true);
}

/* ------------------------------------------------------------ publications */

static void
check_publication_objects(List *objects, bool all_tables, const char *command)
{
	ListCell   *lc;
	Oid			nsp = juki_namespace();

	if (!OidIsValid(nsp))
		return;
	if (all_tables)
		juki_refuse_direct(command, "FOR ALL TABLES (includes juki's tables)", true);
	foreach(lc, objects)
	{
		PublicationObjSpec *o = lfirst(lc);

		if (o->pubobjtype == PUBLICATIONOBJ_TABLES_IN_SCHEMA && o->name &&
			get_namespace_oid(o->name, true) == nsp)
			juki_refuse_direct(command, "schema juki", true);
		if (o->pubobjtype == PUBLICATIONOBJ_TABLE && o->pubtable && o->pubtable->relation)
		{
			Oid			relid = RangeVarGetRelid(o->pubtable->relation, NoLock, true);

			if (OidIsValid(relid) && juki_rel_kind(relid) != JUKI_REL_NONE)
				juki_refuse_direct(command, get_rel_name(relid), true);
		}
	}
}

/* ------------------------------------------------------------------ COPY */

static void
check_copy(CopyStmt *s)
{
	if (s->is_program)
		juki_refuse_direct(s->is_from ? "COPY FROM PROGRAM" : "COPY TO PROGRAM",
						   s->filename ? s->filename : "a program", true);
	if (s->filename)
		juki_check_server_file(s->is_from ? "COPY FROM" : "COPY TO", s->filename, !s->is_from);
	if (s->is_from && s->relation)
	{
		Oid			relid = RangeVarGetRelid(s->relation, NoLock, true);

		if (OidIsValid(relid) && IsCatalogRelationOid(relid))
			juki_refuse_direct("COPY FROM", juki_qualified_relname(relid), true);
	}
}

/* -------------------------------------------------------- foreign tables */

static void
check_alter_foreign_table(AlterTableStmt *s)
{
	ListCell   *lc;
	Oid			relid;

	if (s->objtype != OBJECT_FOREIGN_TABLE)
		return;
	relid = RangeVarGetRelid(s->relation, NoLock, true);
	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		return;
	foreach(lc, s->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_GenericOptions && cmd->def)
			juki_check_foreign_table_options("ALTER FOREIGN TABLE",
											 GetForeignTable(relid)->serverid,
											 castNode(List, cmd->def));
	}
}

/* -------------------------------------------------------------- utility */

void
juki_check_side_paths(Node *parsetree)
{
	if (!juki_preloaded || juki_is_audit_writer)
		return;
	juki_check_setting_statement(parsetree);
	switch (nodeTag(parsetree))
	{
		case T_CreateFunctionStmt:
			check_create_function((CreateFunctionStmt *) parsetree);
			break;
		case T_DoStmt:
			check_do((DoStmt *) parsetree);
			break;
		case T_CreatePLangStmt:
			check_create_language((CreatePLangStmt *) parsetree);
			break;
		case T_LoadStmt:
			juki_refuse_direct("LOAD", ((LoadStmt *) parsetree)->filename, true);
			break;
		case T_CopyStmt:
			check_copy((CopyStmt *) parsetree);
			break;
		case T_CreateForeignTableStmt:
			{
				CreateForeignTableStmt *s = (CreateForeignTableStmt *) parsetree;
				ForeignServer *srv = GetForeignServerByName(s->servername, true);

				if (srv)
					juki_check_foreign_table_options("CREATE FOREIGN TABLE", srv->serverid,
													 s->options);
				break;
			}
		case T_AlterTableStmt:
			check_alter_foreign_table((AlterTableStmt *) parsetree);
			break;
		case T_CreatePublicationStmt:
			{
				CreatePublicationStmt *s = (CreatePublicationStmt *) parsetree;

				check_publication_objects(s->pubobjects, s->for_all_tables, "CREATE PUBLICATION");
				break;
			}
		case T_AlterPublicationStmt:
			{
				AlterPublicationStmt *s = (AlterPublicationStmt *) parsetree;

				check_publication_objects(s->pubobjects, s->for_all_tables, "ALTER PUBLICATION");
				break;
			}
		default:
			break;
	}
}

void
juki_guard_paths_install(void)
{
	prev_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = juki_post_parse_analyze;
	prev_planner = planner_hook;
	planner_hook = juki_planner;
}
