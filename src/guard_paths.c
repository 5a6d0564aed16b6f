/*-------------------------------------------------------------------------
 * guard_paths.c
 *		The side doors of DESIGN §8: ways to read juki's data without
 *		naming its tables in a query.
 *
 *	- raw readers of relation files (pg_read_file, pg_read_binary_file,
 *	  lo_import, pageinspect- and pg_surgery-style functions), refused
 *	  in every database while juki is loaded: they read any database's
 *	  files;
 *	- logical decoding slot functions, in the database that holds juki;
 *	- CREATE FUNCTION ... LANGUAGE C and LOAD outside extension scripts
 *	  (foreign code in the server could do anything juki forbids);
 *	- ALTER SYSTEM / ALTER ROLE / ALTER DATABASE settings of juki.* and of
 *	  the preload libraries, SET session_replication_role;
 *	- COPY ... PROGRAM, and COPY from or to files inside the data
 *	  directory;
 *	- publications that would carry juki's tables to a subscriber.
 *
 * Function calls are caught at parse analysis (post_parse_analyze_hook,
 * which also sees the queries of PL/pgSQL and of other SPI users, and the
 * arguments of CALL) and again at planning (planner_hook: stored function
 * bodies, rules, views): built-in functions never reach the fmgr hooks.  Every refusal is logged with
 * reason direct_access.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "nodes/readfuncs.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "parser/analyze.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "juki.h"
#include "guard.h"
#include "guard_paths.h"

typedef enum FnClass
{
	FN_OK,
	FN_RAW_READER,				/* refused everywhere */
	FN_LOGICAL_SLOT				/* refused in juki's database */
} FnClass;

typedef struct FnClassEntry
{
	Oid			fn;
	FnClass		cls;
} FnClassEntry;

static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;
static planner_hook_type prev_planner = NULL;
static HTAB *fn_classes = NULL;

/* Built-in (pg_catalog, internal language) functions that read files or decode. */
static const char *const builtin_raw[] = {
	"pg_read_file", "pg_read_binary_file", "lo_import", NULL
};
static const char *const builtin_logical[] = {
	"pg_create_logical_replication_slot", "pg_logical_slot_get_changes",
	"pg_logical_slot_peek_changes", "pg_logical_slot_get_binary_changes",
	"pg_logical_slot_peek_binary_changes", "pg_copy_logical_replication_slot",
	"pg_replication_slot_advance", NULL
};
/* C functions of contrib modules that return raw pages or tuples, or edit them. */
static const char *const c_raw[] = {
	"get_raw_page", "page_header", "heap_page_items", "heap_page_item_attrs",
	"tuple_data_split", "bt_page_items", "bt_page_stats", "bt_metap", "brin_page_items",
	"brin_revmap_data", "brin_metapage_info", "gin_leafpage_items", "gin_metapage_info",
	"gin_page_opaque_info", "gist_page_items", "gist_page_items_bytea", "hash_page_items",
	"hash_bitmap_info", "fsm_page_contents", "heap_force_kill", "heap_force_freeze",
	"pg_file_write", "pg_file_rename", "pg_file_unlink", NULL
};

static bool
in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static void
invalidate_classes(Datum arg, int cacheid, uint32 hashvalue)
{
	if (fn_classes)
	{
		hash_destroy(fn_classes);
		fn_classes = NULL;
	}
}

static FnClass classify(Oid fn);

/* The worst class of any function called in a stored body. */
static bool
body_walker(Node *node, void *context)
{
	FnClass    *worst = (FnClass *) context;

	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
	{
		FnClass		c = classify(((FuncExpr *) node)->funcid);

		if (c > *worst)
			*worst = c;
	}
	else if (IsA(node, Query))
		return query_tree_walker((Query *) node, body_walker, context, 0);
	return expression_tree_walker(node, body_walker, context);
}

static FnClassEntry *
class_entry(Oid fn, bool *found)
{
	if (fn_classes == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(FnClassEntry);
		fn_classes = hash_create("juki function classes", 256, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	return hash_search(fn_classes, &fn, HASH_ENTER, found);
}

/*
 * Catalog access below may process invalidations, which drop the cache:
 * no entry pointer is kept across it.
 */
static FnClass
classify(Oid fn)
{
	bool		found;
	FnClassEntry *e = class_entry(fn, &found);
	FnClass		cls = FN_OK;
	HeapTuple	tup;

	if (found)
		return e->cls;
	e->cls = FN_OK;				/* while we look: ends recursion through bodies */
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
		const char *name = NameStr(p->proname);

		if (p->prolang == INTERNALlanguageId && p->pronamespace == PG_CATALOG_NAMESPACE)
		{
			if (in_list(builtin_raw, name))
				cls = FN_RAW_READER;
			else if (in_list(builtin_logical, name))
				cls = FN_LOGICAL_SLOT;
		}
		else if (p->prolang == ClanguageId && in_list(c_raw, name))
			cls = FN_RAW_READER;
		else if (p->prolang == SQLlanguageId)
		{
			/*
			 * A SQL-standard body (BEGIN ATOMIC) is stored analysed and may be
			 * inlined into the caller's plan: judge the function by its body.
			 */
			bool		isnull;
			Datum		body = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosqlbody, &isnull);

			if (!isnull)
				(void) body_walker(stringToNode(TextDatumGetCString(body)), &cls);
		}
		ReleaseSysCache(tup);
	}
	e = class_entry(fn, &found);
	e->cls = cls;
	return cls;
}

static void
check_function(Oid fn)
{
	FnClass		cls;

	if (juki_door_open())
		return;
	cls = classify(fn);
	if (cls == FN_RAW_READER ||
		(cls == FN_LOGICAL_SLOT && OidIsValid(juki_namespace())))
		juki_refuse_direct(cls == FN_RAW_READER ? "raw file or page reader" : "logical decoding",
						   psprintf("function %s", get_func_name(fn)), true);
}

static bool
function_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
		check_function(((FuncExpr *) node)->funcid);
	else if (IsA(node, Query))
		return query_tree_walker((Query *) node, function_walker, context, 0);
	return expression_tree_walker(node, function_walker, context);
}

static void
check_query(Query *query)
{
	if (!juki_preloaded || creating_extension)
		return;
	if (query->commandType != CMD_UTILITY)
		(void) query_tree_walker(query, function_walker, NULL, 0);
	else if (query->utilityStmt && IsA(query->utilityStmt, CallStmt))
		(void) function_walker((Node *) ((CallStmt *) query->utilityStmt)->funcexpr, NULL);
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

/* ------------------------------------------------------------ utility */

static bool
protected_setting(const char *name)
{
	return name != NULL &&
		(pg_strncasecmp(name, "juki.", 5) == 0 ||
		 pg_strcasecmp(name, "shared_preload_libraries") == 0 ||
		 pg_strcasecmp(name, "session_preload_libraries") == 0 ||
		 pg_strcasecmp(name, "local_preload_libraries") == 0 ||
		 pg_strcasecmp(name, "session_replication_role") == 0);
}

static void
check_setting(VariableSetStmt *s, const char *command)
{
	if (s && protected_setting(s->name))
		juki_refuse_direct(command, psprintf("setting %s", s->name), true);
}

/* Is path (as COPY would open it) inside the data directory? */
static bool
inside_data_directory(const char *filename)
{
	char	   *path;

	if (!is_absolute_path(filename))
		return true;			/* relative paths are relative to the data directory */
	path = pstrdup(filename);
	canonicalize_path(path);
	return path_is_prefix_of_path(DataDir, path);
}

static bool
is_juki_schema(const char *name)
{
	return name && strcmp(name, "juki") == 0;
}

static void
check_publication_objects(List *objects, bool all_tables, const char *command)
{
	ListCell   *lc;

	if (!OidIsValid(juki_namespace()))
		return;
	if (all_tables)
		juki_refuse_direct(command, "FOR ALL TABLES (includes juki's tables)", true);
	foreach(lc, objects)
	{
		PublicationObjSpec *o = lfirst(lc);

		if (o->pubobjtype == PUBLICATIONOBJ_TABLES_IN_SCHEMA && is_juki_schema(o->name))
			juki_refuse_direct(command, "schema juki", true);
		if (o->pubobjtype == PUBLICATIONOBJ_TABLE && o->pubtable && o->pubtable->relation)
		{
			Oid			relid = RangeVarGetRelid(o->pubtable->relation, NoLock, true);

			if (OidIsValid(relid) && juki_rel_kind(relid) != JUKI_REL_NONE)
				juki_refuse_direct(command, get_rel_name(relid), true);
		}
	}
}

void
juki_check_side_paths(Node *parsetree)
{
	ListCell   *lc;

	if (!juki_preloaded || juki_door_open() || creating_extension)
		return;
	switch (nodeTag(parsetree))
	{
		case T_CreateFunctionStmt:
			foreach(lc, ((CreateFunctionStmt *) parsetree)->options)
			{
				DefElem    *d = lfirst(lc);

				if (strcmp(d->defname, "language") == 0 &&
					(pg_strcasecmp(strVal(d->arg), "c") == 0 ||
					 pg_strcasecmp(strVal(d->arg), "internal") == 0))
					juki_refuse_direct("CREATE FUNCTION", "LANGUAGE C (outside an extension script)", true);
			}
			break;
		case T_LoadStmt:
			juki_refuse_direct("LOAD", ((LoadStmt *) parsetree)->filename, true);
			break;
		case T_AlterSystemStmt:
			check_setting(((AlterSystemStmt *) parsetree)->setstmt, "ALTER SYSTEM");
			break;
		case T_AlterRoleSetStmt:
			check_setting(((AlterRoleSetStmt *) parsetree)->setstmt, "ALTER ROLE SET");
			break;
		case T_AlterDatabaseSetStmt:
			check_setting(((AlterDatabaseSetStmt *) parsetree)->setstmt, "ALTER DATABASE SET");
			break;
		case T_VariableSetStmt:
			{
				VariableSetStmt *s = (VariableSetStmt *) parsetree;

				if (s->name && pg_strcasecmp(s->name, "session_replication_role") == 0 &&
					s->kind == VAR_SET_VALUE)
					juki_refuse_direct("SET", "setting session_replication_role", true);
				break;
			}
		case T_CopyStmt:
			{
				CopyStmt   *s = (CopyStmt *) parsetree;

				if (s->is_program)
					juki_refuse_direct(s->is_from ? "COPY FROM PROGRAM" : "COPY TO PROGRAM",
									   s->filename ? s->filename : "a program", true);
				if (s->filename && inside_data_directory(s->filename))
					juki_refuse_direct(s->is_from ? "COPY FROM" : "COPY TO",
									   psprintf("file %s in the data directory", s->filename), true);
				break;
			}
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
	CacheRegisterSyscacheCallback(PROCOID, invalidate_classes, (Datum) 0);
}
