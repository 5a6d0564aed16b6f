/*-------------------------------------------------------------------------
 * objects.c
 *		juki's own objects by identity, not by name (issue 13, class 2):
 *		extension juki by its pg_extension OID (its one name is the key to
 *		that row; PostgreSQL has no way to rename an extension), its schema
 *		as the extension's extnamespace OID, its relations as the relations
 *		of that namespace (with their indexes, owned sequences and TOAST),
 *		the log tables (with the Merkle tree's tiles) and the configuration
 *		pg_dump keeps by OID.
 *
 * Cached per backend, dropped on pg_namespace, pg_proc and pg_language
 * invalidations and around CREATE/ALTER/DROP EXTENSION (the guard calls
 * juki_objects_invalidate); renames change nothing here.  What pg_depend
 * and pg_extension say is only as trustworthy as the catalogs, which is
 * why catalog DML is refused (guard/guard_catalog.c).  Catalog access may
 * process invalidations that drop the cache: values are computed first and
 * stored after, and a fill that raced with an invalidation is done again.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "objects.h"

/* ------------------------------------------------ extension and schema */

static uint64 ident_generation = 1;		/* bumped by every invalidation */
static uint64 ident_filled = 0;			/* the generation the values are of */
static Oid	ext_oid = InvalidOid;
static Oid	nsp_oid = InvalidOid;

#define N_LOG_RELS 4
static const char *const log_names[N_LOG_RELS] = {
	"operation_log", "audit_checkpoint", "audit_export", "log_tile"
};
static Oid	log_oids[N_LOG_RELS];

/*
 * The configuration tables juki's script registers with
 * pg_extension_config_dump (extension/parts/00_base.sql): what pg_dump
 * keeps.  A relation counts only if it is (or its owned sequence is) one of
 * these AND the extension's extconfig names it, so neither a catalog edited
 * while juki was not loaded nor a renamed table widens the list.
 */
#define N_CONFIG_RELS 2
static const char *const config_names[N_CONFIG_RELS] = {
	"purpose", "operating_hours"
};
static Oid	config_oids[N_CONFIG_RELS];

static void
objects_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	ident_generation++;
}

void
juki_objects_invalidate(void)
{
	objects_invalidate((Datum) 0, 0, 0);
}

/*
 * On the syscaches the guard's function identities are cached on too
 * (guard/guard_ident.c): a namespace, function or language that changes
 * may change what is juki's.
 */
void
juki_objects_install(void)
{
	CacheRegisterSyscacheCallback(NAMESPACEOID, objects_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, objects_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(LANGOID, objects_invalidate, (Datum) 0);
}

/* pg_extension.extnamespace of ext (no syscache for pg_extension in 15). */
static Oid
extension_schema(Oid ext)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return nsp;
}

static void
ident_fill(void)
{
	int			tries;

	if (ident_filled == ident_generation || !IsTransactionState())
		return;
	for (tries = 0; tries < 5; tries++)
	{
		uint64		gen = ident_generation;
		Oid			ext = get_extension_oid("juki", true);
		Oid			nsp = OidIsValid(ext) ? extension_schema(ext) : InvalidOid;
		Oid			logs[N_LOG_RELS];
		Oid			configs[N_CONFIG_RELS];
		int			i;

		for (i = 0; i < N_LOG_RELS; i++)
			logs[i] = OidIsValid(nsp) ? get_relname_relid(log_names[i], nsp) : InvalidOid;
		for (i = 0; i < N_CONFIG_RELS; i++)
			configs[i] = OidIsValid(nsp) ? get_relname_relid(config_names[i], nsp) : InvalidOid;
		ext_oid = ext;
		nsp_oid = nsp;
		memcpy(log_oids, logs, sizeof(logs));
		memcpy(config_oids, configs, sizeof(configs));
		if (gen == ident_generation)
		{
			ident_filled = gen;
			return;
		}
	}
}

Oid
juki_extension_oid(void)
{
	ident_fill();
	return ext_oid;
}

Oid
juki_namespace(void)
{
	ident_fill();
	return nsp_oid;
}

/* ----------------------------------------------------------- relations */

/* The relation an index or an owned sequence of schema juki belongs to. */
static Oid
base_relation(Oid relid, char relkind)
{
	Oid			table;
	int32		col;

	if (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX)
		return IndexGetRelation(relid, true);
	if (relkind == RELKIND_SEQUENCE &&
		(sequenceIsOwned(relid, DEPENDENCY_AUTO, &table, &col) ||
		 sequenceIsOwned(relid, DEPENDENCY_INTERNAL, &table, &col)))
		return table;
	return relid;
}

/* The relation a TOAST table belongs to (its internal dependency). */
static Oid
toast_owner(Oid toastrel)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key[2];
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(toastrel));
	scan = systable_beginscan(rel, DependDependerIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);

		if (d->refclassid == RelationRelationId && d->deptype == DEPENDENCY_INTERNAL)
		{
			owner = d->refobjid;
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

/*
 * Is relid juki's, and is it the log?  Every relation of juki's schema is
 * juki's (whatever it is called), and so are the TOAST tables and indexes
 * of juki's relations; an index, an owned sequence or a TOAST table is of
 * the kind of the table it belongs to.
 */
JukiRelKind
juki_rel_kind(Oid relid)
{
	HeapTuple	tup;
	Oid			nsp;
	char		relkind;
	Oid			base = relid;
	int			i;

	ident_fill();
	if (!OidIsValid(nsp_oid))
		return JUKI_REL_NONE;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return JUKI_REL_NONE;
	nsp = ((Form_pg_class) GETSTRUCT(tup))->relnamespace;
	relkind = ((Form_pg_class) GETSTRUCT(tup))->relkind;
	ReleaseSysCache(tup);

	if (nsp == PG_TOAST_NAMESPACE)
	{
		Oid			toast = relid;

		if (relkind == RELKIND_INDEX)
			toast = IndexGetRelation(relid, true);
		base = OidIsValid(toast) ? toast_owner(toast) : InvalidOid;
		return OidIsValid(base) && base != relid ? juki_rel_kind(base) : JUKI_REL_NONE;
	}
	if (nsp != nsp_oid)
		return JUKI_REL_NONE;
	base = base_relation(relid, relkind);
	for (i = 0; i < N_LOG_RELS; i++)
		if (OidIsValid(base) && base == log_oids[i])
			return JUKI_REL_LOG;
	return JUKI_REL_DATA;
}

/* Does extension juki's extconfig (pg_extension_config_dump) name relid? */
static bool
in_extconfig(Oid ext, Oid relid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extconfig,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Datum	   *elems;
			bool	   *enulls;
			int			n;
			int			i;

			if (ARR_ELEMTYPE(arr) == OIDOID)
			{
				deconstruct_array(arr, OIDOID, sizeof(Oid), true, TYPALIGN_INT,
								  &elems, &enulls, &n);
				for (i = 0; i < n; i++)
					if (!enulls[i] && DatumGetObjectId(elems[i]) == relid)
						found = true;
			}
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Is relid configuration that pg_dump keeps (purposes, operating hours,
 * the hours' sequence)?  Policy, not personal data: the guard lets a
 * privileged role read it with a plain SELECT, on record (guard.c).
 */
bool
juki_rel_is_config(Oid relid)
{
	HeapTuple	tup;
	Oid			nsp;
	char		relkind;
	Oid			base;
	int			i;

	ident_fill();
	if (!OidIsValid(nsp_oid) || !OidIsValid(ext_oid))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return false;
	nsp = ((Form_pg_class) GETSTRUCT(tup))->relnamespace;
	relkind = ((Form_pg_class) GETSTRUCT(tup))->relkind;
	ReleaseSysCache(tup);
	if (nsp != nsp_oid || (relkind != RELKIND_RELATION && relkind != RELKIND_SEQUENCE))
		return false;
	base = base_relation(relid, relkind);
	for (i = 0; i < N_CONFIG_RELS; i++)
		if (OidIsValid(base) && base == config_oids[i])
			return in_extconfig(ext_oid, relid);
	return false;
}

/*
 * juki.log_tile, the Merkle tree's tiles (issue 17): the relation of that
 * name in juki's schema, found as the log relations are; InvalidOid before
 * the update to 1.1 created it.
 */
Oid
juki_log_tile_relation(void)
{
	ident_fill();
	return log_oids[3];
}
