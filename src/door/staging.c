/*-------------------------------------------------------------------------
 * staging.c
 *		The registrar's staging table, read for juki.import_residents.
 *
 * import_residents is SECURITY DEFINER and runs inside juki's door, so
 * nothing of the caller's may run while it reads the staging table: not a
 * view or rule (a table turned into a view while the import waited for its
 * lock ran the registrar's function as juki's owner), not a policy, a
 * trigger, a column default, a user's type, cast, operator or collation.
 * So the table is not queried at all.  In this order:
 *	1. the caller may read it, and it is not juki's (checked before the lock,
 *	   so that nobody locks a table they cannot read);
 *	2. ShareLock: no DDL (rules, triggers, policies, column changes, a view
 *	   conversion) and no writes until the import's transaction ends;
 *	3. everything checked again, after the lock, from the relation cache
 *	   as the lock left it: a plain heap table, no rules, triggers, policies,
 *	   inheritance or partitions, and every column a resident field of type
 *	   text, varchar, char or date, with a built-in collation, no default
 *	   and not generated;
 *	4. the rows are read by a heap scan in C and returned as text, in the
 *	   fixed column order of the result type: no planner, no executor, no
 *	   output function but date's, which is ours.
 * The caller's privilege decides what may be read (step 1 and 3, as the
 * session's role); nothing the caller wrote is executed.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "log/append.h"
#include "access/caller.h"
#include "core/objects.h"
#include "core/context.h"
#include "core/message.h"

PG_FUNCTION_INFO_V1(juki_staging_check);
PG_FUNCTION_INFO_V1(juki_staging_rows);

#define ACTION "import_residents"
#define SHAPE_HINT "Import from a plain table: no view, partition, inheritance, rule, trigger, policy, default or generated column."

/* The result columns, in order; resident's column names. */
static const char *const fields[] = {
	"resident_code", "individual_number", "full_name", "full_name_kana", "former_surname",
	"alias_name", "birth_date", "sex", "address", "municipality_code", "change_reason",
	"change_date", "status"
};
#define NFIELDS ((int) lengthof(fields))
#define F_STATUS 12

static bool
optional_field(int i)
{
	return i == 4 || i == 5 || i == F_STATUS;	/* former_surname, alias_name, status */
}

/* Log the refusal (durable), then raise it: the way every juki refusal ends. */
static void
refuse(const char *reason, int sqlstate, const char *hint, const char *fmt,...)
	pg_attribute_printf(4, 5) pg_attribute_noreturn();

static void
refuse(const char *reason, int sqlstate, const char *hint, const char *fmt,...)
{
	JukiAuditRecord r;
	JukiDetail	d;
	char		msg[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	juki_audit_record_init(&r, ACTION,
						   ERRCODE_TO_CATEGORY(sqlstate) ==
						   ERRCODE_TO_CATEGORY(ERRCODE_INSUFFICIENT_PRIVILEGE) ?
						   JUKI_DENIED : JUKI_ERROR, reason);
	jd_init(&d);
	jd_str(&d, "message", msg);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg_internal("%s", juki_tr(msg)),
			 juki_errreason(reason),
			 hint ? errhint("%s", juki_tr(hint)) : 0));
}

static char *
relname_of(Oid relid)
{
	char	   *rel = get_rel_name(relid);
	char	   *nsp = get_namespace_name(get_rel_namespace(relid));

	if (rel == NULL || nsp == NULL)
		return psprintf("relation %u", relid);
	return quote_qualified_identifier(nsp, rel);
}

/* Not juki's own, and readable by the caller (table or every column). */
static void
check_owner_and_privilege(Oid relid)
{
	Oid			ext = get_extension_oid("juki", true);
	Oid			caller = juki_caller();
	bool		missing = false;

	/* juki's by identity (guard_ident.c): its schema's relations, their TOAST and indexes */
	if (juki_rel_kind(relid) != JUKI_REL_NONE ||
		(OidIsValid(ext) && getExtensionOfObject(RelationRelationId, relid) == ext))
		refuse("direct_access", ERRCODE_INSUFFICIENT_PRIVILEGE, NULL,
			   gettext_noop("juki's own tables are not an import source"));
	if (relid < FirstNormalObjectId || IsCatalogRelationOid(relid))
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("a system catalog is not an import source"));
	if (pg_class_aclcheck_ext(relid, caller, ACL_SELECT, &missing) == ACLCHECK_OK)
		return;
	if (missing)
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, NULL,
			   gettext_noop("the source table does not exist"));
	if (pg_attribute_aclcheck_all(relid, caller, ACL_SELECT, ACLMASK_ALL) != ACLCHECK_OK)
		refuse("source_not_readable", ERRCODE_INSUFFICIENT_PRIVILEGE, NULL,
			   gettext_noop("you may not read %s"), relname_of(relid));
}

static bool
has_policies(Oid relid)
{
	Relation	pol = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	ScanKeyInit(&key, Anum_pg_policy_polrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(pol, PolicyPolrelidPolnameIndexId, true, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(pol, AccessShareLock);
	return found;
}

/*
 * Lock, then check everything from the relation cache as the lock left it.
 * Returns the relation (still locked) and each field's attribute number in
 * attnums (0 when absent).
 */
static Relation
open_staging(Oid relid, AttrNumber *attnums)
{
	Relation	rel;
	TupleDesc	desc;
	const char *name;
	int			i;
	int			f;

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, NULL,
			   gettext_noop("the source table does not exist"));
	check_owner_and_privilege(relid);

	/* no DDL and no writes from here to the end of the import's transaction */
	LockRelationOid(relid, ShareLock);

	/* the lock processed invalidations: what we see now is what stays */
	rel = try_relation_open(relid, NoLock);
	if (rel == NULL)
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, NULL,
			   gettext_noop("the source table does not exist"));
	check_owner_and_privilege(relid);
	name = relname_of(relid);

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("%s is not a plain table"), name);
	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("%s does not use the heap access method"), name);
	if (RELATION_IS_OTHER_TEMP(rel))
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("%s is a temporary table of another session"), name);
	if (rel->rd_rel->relispartition)
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("%s is a partition"), name);
	if (has_superclass(relid) || find_inheritance_children(relid, NoLock) != NIL)
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("%s takes part in inheritance"), name);
	if (rel->rd_rel->relrowsecurity || rel->rd_rel->relforcerowsecurity || has_policies(relid))
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("%s has row level security"), name);
	/* (relhasrules and relhastriggers may stay set after a drop: ask the cache) */
	if (rel->rd_rules != NULL)
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("%s has rules"), name);
	if (rel->trigdesc != NULL)
		refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
			   gettext_noop("%s has triggers"), name);

	/* every column a resident field (no typo silently dropped), of a plain type */
	desc = RelationGetDescr(rel);
	for (f = 0; f < NFIELDS; f++)
		attnums[f] = InvalidAttrNumber;
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *col = NameStr(att->attname);

		if (att->attisdropped)
			continue;
		for (f = 0; f < NFIELDS; f++)
			if (strcmp(fields[f], col) == 0)
				break;
		if (f == NFIELDS)
		{
			StringInfoData all;

			initStringInfo(&all);
			for (f = 0; f < NFIELDS; f++)
				appendStringInfo(&all, "%s%s", f ? ", " : "Columns: ", fields[f]);
			refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, all.data,
				   gettext_noop("column %s of %s is not a resident field"), quote_identifier(col), name);
		}
		if (att->atttypid != TEXTOID && att->atttypid != VARCHAROID &&
			att->atttypid != BPCHAROID && att->atttypid != DATEOID)
			refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE,
				   gettext_noop("Staging columns are text, varchar, char or date."),
				   gettext_noop("column %s of %s has type %s"), quote_identifier(col), name,
				   format_type_be(att->atttypid));
		if (OidIsValid(att->attcollation) && att->attcollation >= FirstNormalObjectId)
			refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
				   gettext_noop("column %s of %s has a collation that is not built in"),
				   quote_identifier(col), name);
		if (att->attgenerated)
			refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
				   gettext_noop("column %s of %s is generated"), quote_identifier(col), name);
		if (att->atthasdef)
			refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, SHAPE_HINT,
				   gettext_noop("column %s of %s has a default"), quote_identifier(col), name);
		attnums[f] = att->attnum;
	}
	for (f = 0; f < NFIELDS; f++)
		if (attnums[f] == InvalidAttrNumber && !optional_field(f))
			refuse("invalid_source", ERRCODE_INVALID_PARAMETER_VALUE, NULL,
				   gettext_noop("%s has no column %s"), name, quote_identifier(fields[f]));
	return rel;
}

static Oid
source_arg(FunctionCallInfo fcinfo)
{
	if (juki_door_depth() < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("juki's staging readers are internal to juki"),
				 juki_errfield("direct_access"),
				 errdetail("reason: direct_access"),
				 errhint("Call juki.import_residents instead.")));
	if (PG_ARGISNULL(0))
		refuse("null_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED, NULL,
			   gettext_noop("source must not be NULL"));
	return PG_GETARG_OID(0);
}

/* juki._staging_check(source regclass): lock and check, nothing read */
Datum
juki_staging_check(PG_FUNCTION_ARGS)
{
	AttrNumber	attnums[NFIELDS];

	relation_close(open_staging(source_arg(fcinfo), attnums), NoLock);
	PG_RETURN_VOID();
}

/* A date as to_char(d, 'YYYY-MM-DD') gives it; NULL for infinity, as there. */
static Datum
date_text(DateADT d, bool *isnull)
{
	int			y,
				m,
				day;

	if (DATE_NOT_FINITE(d))
	{
		*isnull = true;
		return (Datum) 0;
	}
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	if (y <= 0)
		y = -(y - 1);			/* to_char's YYYY of a BC year */
	return CStringGetTextDatum(psprintf("%04d-%02d-%02d", y, m, day));
}

/* One column value as text, the way a cast to text gives it. */
static Datum
field_text(Form_pg_attribute att, Datum v, bool *isnull)
{
	if (*isnull)
		return (Datum) 0;
	if (att->atttypid == DATEOID)
		return date_text(DatumGetDateADT(v), isnull);
	if (att->atttypid == BPCHAROID)
		return DirectFunctionCall1(rtrim1, v);	/* bpchar::text drops trailing blanks */
	return PointerGetDatum(pg_detoast_datum_packed((struct varlena *) DatumGetPointer(v)));
}

/*
 * juki._staging_rows(source regclass): the rows as the result type's 13 text
 * columns (resident's column names); absent optional columns NULL, an
 * absent status 'active'.
 */
Datum
juki_staging_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AttrNumber	attnums[NFIELDS];
	Relation	rel;
	TupleDesc	desc;
	Snapshot	snap;
	TableScanDesc scan;
	TupleTableSlot *slot;
	Datum		values[NFIELDS];
	bool		nulls[NFIELDS];
	int			f;

	rel = open_staging(source_arg(fcinfo), attnums);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (rsinfo->setDesc->natts != NFIELDS)
		elog(ERROR, "juki._staging_rows must return %d columns", NFIELDS);
	desc = RelationGetDescr(rel);

	/* taken after the lock: every row committed before it, none after */
	snap = RegisterSnapshot(GetTransactionSnapshot());
	scan = table_beginscan(rel, snap, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		for (f = 0; f < NFIELDS; f++)
		{
			AttrNumber	a = attnums[f];

			if (a == InvalidAttrNumber)
			{
				nulls[f] = f != F_STATUS;
				values[f] = f == F_STATUS ? CStringGetTextDatum("active") : (Datum) 0;
				continue;
			}
			nulls[f] = slot->tts_isnull[a - 1];
			values[f] = field_text(TupleDescAttr(desc, a - 1), slot->tts_values[a - 1],
								   &nulls[f]);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snap);
	relation_close(rel, NoLock);
	return (Datum) 0;
}
