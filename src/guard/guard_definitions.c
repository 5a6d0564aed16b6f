/*-------------------------------------------------------------------------
 * guard_definitions.c
 *		New definitions that would change what juki's own SQL resolves to.
 *
 * juki's functions run as the extension's owner with search_path =
 * pg_catalog, pg_temp and name everything with its schema, but a qualified
 * call still takes the best of the overloads in that schema
 * (pg_catalog.jsonb_build_object(text, text) would beat the VARIADIC "any"
 * one in every refusal juki logs), and casts are global: a text-to-integer
 * cast WITH FUNCTION would run wherever juki reads a number out of a jsonb.
 * So in juki's database, while juki is loaded, nobody — superusers included
 * — creates a function, procedure, aggregate, operator, type or other
 * DefineStmt object in pg_catalog or juki, moves one there, or creates a cast
 * between two types that are built in or juki's.  Schemas are known by
 * OID (pg_catalog's, and juki's as its extension's namespace, guard_ident.c),
 * types by OID.  An extension script's own statements are left alone (an
 * extension may be installed into pg_catalog, as plpgsql is), as the other
 * side-path checks leave them; code such a script merely triggers (an event
 * trigger, the caller's function) is not (guard.c).  DDL on juki's existing
 * objects is guard_objects.c's.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "core/settings.h"
#include "guard_definitions.h"
#include "core/objects.h"
#include "guard_context.h"

static bool
protected_namespace(Oid nsp)
{
	return nsp == PG_CATALOG_NAMESPACE || (OidIsValid(nsp) && nsp == juki_namespace());
}

static void
check_names(List *names, const char *command)
{
	char	   *objname;
	Oid			nsp = QualifiedNameGetCreationNamespace(names, &objname);

	if (protected_namespace(nsp))
		juki_refuse_direct(command, psprintf("schema %s", get_namespace_name(nsp)), true);
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

/* juki's SQL only casts between built-in types and types of its own */
static bool
juki_type(Oid typid)
{
	return typid < FirstNormalObjectId || protected_namespace(type_namespace(typid));
}

static void
check_cast(CreateCastStmt *s)
{
	Oid			source = typenameTypeId(NULL, s->sourcetype);
	Oid			target = typenameTypeId(NULL, s->targettype);

	if (juki_type(source) && juki_type(target))
		juki_refuse_direct("CREATE CAST", psprintf("the cast from %s to %s", format_type_be(source),
												   format_type_be(target)), true);
}

void
juki_check_new_definitions(Node *parsetree)
{
	if (!juki_preloaded || juki_door_open() || juki_extension_script_statement() ||
		!OidIsValid(juki_namespace()))
		return;
	switch (nodeTag(parsetree))
	{
		case T_CreateFunctionStmt:
			check_names(((CreateFunctionStmt *) parsetree)->funcname,
						((CreateFunctionStmt *) parsetree)->is_procedure ?
						"CREATE PROCEDURE" : "CREATE FUNCTION");
			break;
		case T_DefineStmt:
			check_names(((DefineStmt *) parsetree)->defnames, "CREATE");
			break;
		case T_CreateCastStmt:
			check_cast((CreateCastStmt *) parsetree);
			break;
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *s = (AlterObjectSchemaStmt *) parsetree;
				Oid			nsp = get_namespace_oid(s->newschema, true);

				if (protected_namespace(nsp))
					juki_refuse_direct("ALTER ... SET SCHEMA",
									   psprintf("schema %s", s->newschema), true);
				break;
			}
		default:
			break;
	}
}
