/*-------------------------------------------------------------------------
 * resident.c
 *		Reading residents for the door: the fields of juki.disclosure in
 *		their order, one resident by code through the primary key, and
 *		whether a support measure (DV等支援措置) is in force for one today.
 *
 * These are facts only; who may see them is visibility.c's rule.  Lookup
 * (one probe) and search (for each row its query found) take whether a
 * support measure is in force from juki_resident_restricted alike, so the
 * two can never disagree about it.  Reads
 * use the active snapshot, as the request's own queries do; no locks but
 * the relation locks every read takes.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "core/objects.h"
#include "resident.h"

const char *const juki_resident_fields[JUKI_RESIDENT_NFIELDS] = {
	"resident_code", "individual_number", "full_name", "full_name_kana", "former_surname",
	"alias_name", "birth_date", "sex", "address", "municipality_code", "change_reason",
	"change_date"
};

TupleDesc
juki_resident_row_desc(void)
{
	static TupleDesc desc = NULL;

	if (desc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		TupleDesc	d = CreateTemplateTupleDesc(JUKI_RESIDENT_NCOLS);
		int			i;

		for (i = 0; i < JUKI_RESIDENT_NCOLS; i++)
			TupleDescInitEntry(d, i + 1,
							   i < JUKI_RESIDENT_NFIELDS ? juki_resident_fields[i] : "status",
							   (i == JUKI_RESIDENT_COL_BIRTH_DATE ||
								i == JUKI_RESIDENT_COL_CHANGE_DATE) ? DATEOID : TEXTOID,
							   -1, 0);
		MemoryContextSwitchTo(old);
		desc = d;
	}
	return desc;
}

static Oid
juki_relid(const char *name)
{
	Oid			relid = get_relname_relid(name, juki_namespace());

	if (!OidIsValid(relid))
		elog(ERROR, "juki: relation juki.%s does not exist", name);
	return relid;
}

/* An index probe: rows of rel whose first index column equals code. */
static IndexScanDesc
probe(Relation rel, Relation idx, const char *code, Snapshot snap, ScanKeyData *key)
{
	IndexScanDesc sc;

	ScanKeyEntryInitialize(key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[0], F_TEXTEQ, CStringGetTextDatum(code));
	sc = index_beginscan(rel, idx, snap, 1, 0);
	index_rescan(sc, key, 1, NULL, 0);
	return sc;
}

HeapTuple
juki_resident_read(const char *code, DateADT today, bool *restricted)
{
	Snapshot	snap = GetActiveSnapshot();
	Relation	rel = table_open(juki_relid("resident"), AccessShareLock);
	Relation	idx = index_open(RelationGetPrimaryKeyIndex(rel), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	ScanKeyData key;
	IndexScanDesc sc = probe(rel, idx, code, snap, &key);
	HeapTuple	row = NULL;

	if (index_getnext_slot(sc, ForwardScanDirection, slot))
	{
		Datum		values[JUKI_RESIDENT_NCOLS];
		bool		nulls[JUKI_RESIDENT_NCOLS];
		int			i;

		/* juki.resident's first columns are the fields, then status */
		slot_getallattrs(slot);
		for (i = 0; i < JUKI_RESIDENT_NCOLS; i++)
		{
			values[i] = slot->tts_values[i];
			nulls[i] = slot->tts_isnull[i];
		}
		row = heap_form_tuple(juki_resident_row_desc(), values, nulls);
	}
	index_endscan(sc);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, NoLock);
	table_close(rel, NoLock);
	*restricted = row != NULL && juki_resident_restricted(code, today);
	return row;
}

bool
juki_resident_restricted(const char *code, DateADT today)
{
	Snapshot	snap = GetActiveSnapshot();
	Relation	sm = table_open(juki_relid("support_measure"), AccessShareLock);
	Relation	smi = index_open(juki_relid("support_measure_active_idx"), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(sm, NULL);
	ScanKeyData key;
	IndexScanDesc sc = probe(sm, smi, code, snap, &key);
	bool		restricted = false;

	while (!restricted && index_getnext_slot(sc, ForwardScanDirection, slot))
	{
		bool		n1,
					n2;
		DateADT		from = DatumGetDateADT(slot_getattr(slot, 3, &n1));
		DateADT		until = DatumGetDateADT(slot_getattr(slot, 4, &n2));

		restricted = !n1 && !n2 && from <= today && today <= until;
	}
	index_endscan(sc);
	ExecDropSingleTupleTableSlot(slot);
	index_close(smi, NoLock);
	table_close(sm, NoLock);
	return restricted;
}
