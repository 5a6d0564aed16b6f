/*-------------------------------------------------------------------------
 * guard_objects.c
 *		DDL on juki's own objects (DESIGN §8): its tables, indexes, schema,
 *		functions, types and the extension itself are changed only by juki's
 *		install and upgrade scripts.  Statement-level checks run before any
 *		lock is taken; the object_access backstop sees DDL that reaches
 *		juki's objects indirectly (CASCADE, ALTER on dependants), deep in
 *		catalog code.  Objects are juki's by identity (guard_ident.c): the
 *		schema's OID, extension membership, never a name.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
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
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "log/append.h"
#include "core/objects.h"
#include "guard_context.h"
#include "guard_ident.h"
#include "guard_objects.h"
#include "log/retention.h"
#include "core/version.h"
#include "core/message.h"


static bool
is_juki_extension_name(const char *name)
{
	Oid			ext = juki_extension_oid();

	return OidIsValid(ext) && name && get_extension_oid(name, true) == ext;
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
		juki_refuse_direct(command, juki_qualified_relname(relid), true);
}

static void
refuse_if_juki_name_list(List *names, const char *command)
{
	if (names != NIL)
		refuse_if_juki_rel(makeRangeVarFromNameList(names), command);
}

/* Does name (as a statement gives it) denote juki's schema, by OID? */
static bool
is_juki_schema_name(const char *name)
{
	Oid			nsp = juki_namespace();

	return OidIsValid(nsp) && name && get_namespace_oid(name, true) == nsp;
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

				if (OidIsValid(fn) && (get_func_namespace(fn) == nsp || juki_fn_is_juki(fn)))
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
		jd_str(&d, "query", juki_statement_text());
		r.detail = jd_finish(&d);
		logged = juki_audit_log_try(&r, &problem);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("extension juki cannot be dropped while its operation log holds entries younger than %d years",
						years),
				 juki_errfield("retention_period"),
				 logged ?
				 errdetail("reason: retention_period; the newest entry is seq %lld of %s; the refusal is recorded in the operation log.",
						   (long long) seq, timestamptz_to_str(ts)) :
				 errdetail("reason: retention_period; the newest entry is seq %lld of %s.",
						   (long long) seq, timestamptz_to_str(ts)),
				 errhint("The operation log (操作履歴) is kept for juki.log_retention years.")));
	}
	juki_note_dropping_juki();
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
	juki_note_updating_juki();
}


/* Statement-level refusals of DDL on juki's objects (before any lock). */
void
juki_check_utility_objects(Node *parsetree)
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
						if (is_juki_extension_name(strVal(obj)))
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
					if (!s->is_from && kind == JUKI_REL_LOG && juki_is_log_reader(GetUserId()))
						break;
					juki_refuse_direct(s->is_from ? "COPY FROM" : "COPY TO",
									   juki_qualified_relname(relid), true);
				}
				break;
			}
		case T_AlterExtensionContentsStmt:
			if (is_juki_extension_name(((AlterExtensionContentsStmt *) parsetree)->extname))
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
			if (is_juki_extension_name(((AlterExtensionStmt *) parsetree)->extname))
				note_extension_update((AlterExtensionStmt *) parsetree);
			break;
		case T_DropdbStmt:
			if (strcmp(((DropdbStmt *) parsetree)->dbname, juki_database) == 0)
				juki_refuse_direct("DROP DATABASE", "juki's database", true);
			break;
		case T_CreateExtensionStmt:
			{
				CreateExtensionStmt *s = (CreateExtensionStmt *) parsetree;

				/* the name it is being created under: there is no OID yet */
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
		return get_func_namespace(objectId) == nsp || juki_fn_is_juki(objectId);
	if (classId == TypeRelationId)
		return type_namespace(objectId) == nsp;
	if (classId == ExtensionRelationId)
		return objectId == juki_extension_oid();
	if (classId == TriggerRelationId || classId == RewriteRelationId ||
		classId == PolicyRelationId)
	{
		Oid			relid = catalog_object_relation(classId, objectId);

		return OidIsValid(relid) && get_rel_namespace(relid) == nsp;
	}
	return false;
}

/* Whatever DDL slipped past the statement-level checks stops here. */
void
juki_check_object_access(ObjectAccessType access, Oid classId, Oid objectId,
						 int subId, void *arg)
{
	if (juki_door_open())
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
	if (juki_updating_juki() && classId == ExtensionRelationId)
		return;					/* its version, on record (note_extension_update) */
	juki_refuse_direct(access == OAT_DROP ? "DROP" :
					   access == OAT_TRUNCATE ? "TRUNCATE" :
					   access == OAT_POST_CREATE ? "CREATE" : "ALTER",
					   getObjectDescription(&(ObjectAddress) {classId, objectId, subId}, true),
					   false);
}
