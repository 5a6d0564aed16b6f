/*-------------------------------------------------------------------------
 * scan.c
 *		Read juki.operation_log in seq order through its primary key, one
 *		row at a time with per-row memory, and decode rows into the
 *		chain's JkEntry so that verification recomputes exactly the bytes
 *		the writer hashed.
 *
 * Direct scans, not SQL: they are not subject to the guard (callers are
 * juki functions that check roles themselves), they need no snapshot
 * games, and memory does not grow with the log.  The writer appends in seq
 * order, so a forward scan first reads the heap sequentially (several
 * times faster than fetching each row through the index) and falls back to
 * the primary key from the first row that is not the next seq; the caller
 * sees seq order either way.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "append.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "columns.h"
#include "scan.h"

static void start_index_scan(JukiLogScan *s, int64 from);

Oid
juki_log_relid(const char *name)
{
	Oid			nsp = get_namespace_oid("juki", false);
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		elog(ERROR, "relation juki.%s does not exist", name);
	return relid;
}

static void
scan_open(JukiLogScan *s, Snapshot snapshot)
{
	Oid			pk;

	memset(s, 0, sizeof(*s));
	s->heap = table_open(juki_log_relid("operation_log"), AccessShareLock);
	pk = RelationGetPrimaryKeyIndex(s->heap);
	if (!OidIsValid(pk))
		elog(ERROR, "juki.operation_log has no primary key");
	s->index = index_open(pk, AccessShareLock);
	s->slot = table_slot_create(s->heap, NULL);
	juki_log_columns_map(RelationGetDescr(s->heap), &s->cols);
	s->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "juki log row",
									   ALLOCSET_DEFAULT_SIZES);
	s->snapshot = RegisterSnapshot(snapshot);
}

void
juki_log_scan_begin(JukiLogScan *s, int64 from, bool backward)
{
	/* entries appended before the scan are filed before its snapshot */
	juki_log_read_barrier();
	scan_open(s, GetLatestSnapshot());
	s->dir = backward ? BackwardScanDirection : ForwardScanDirection;
	if (backward)
		start_index_scan(s, from);
	else
	{
		s->expected = from;
		s->heapscan = table_beginscan(s->heap, s->snapshot, 0, NULL);
	}
}

/*
 * A forward scan through the primary key from the first row: for a few
 * recent entries (the Merkle tree's right edge), where reading the heap
 * from its start would cost the whole log.
 */
void
juki_log_scan_recent(JukiLogScan *s, int64 from)
{
	juki_log_scan_begin(s, from, true);
	index_endscan(s->scan);
	s->dir = ForwardScanDirection;
	s->expected = from;
	start_index_scan(s, from);
}

/*
 * Through the primary key from seq from, with the caller's snapshot: where
 * verify_log's parallel scan finds the heap out of seq order.
 */
void
juki_log_scan_index(JukiLogScan *s, int64 from, Snapshot snapshot)
{
	scan_open(s, snapshot);
	s->dir = ForwardScanDirection;
	s->expected = from;
	start_index_scan(s, from);
}

static void
start_index_scan(JukiLogScan *s, int64 from)
{
	bool		backward = ScanDirectionIsBackward(s->dir);

	ScanKeyInit(&s->key, 1,
				backward ? BTLessEqualStrategyNumber : BTGreaterEqualStrategyNumber,
				backward ? F_INT8LE : F_INT8GE, Int64GetDatum(from));
	s->scan = index_beginscan(s->heap, s->index, s->snapshot, 1, 0);
	index_rescan(s->scan, &s->key, 1, NULL, 0);
}

/* Next row in seq order into s->slot: heap order while it holds, then the index. */
static bool
next_tuple(JukiLogScan *s)
{
	while (s->heapscan)
	{
		bool		isnull;
		int64		seq;

		if (!table_scan_getnextslot(s->heapscan, ForwardScanDirection, s->slot))
		{
			/* the end of the heap: anything later (none) through the index */
			table_endscan(s->heapscan);
			s->heapscan = NULL;
			start_index_scan(s, s->expected);
			break;
		}
		seq = DatumGetInt64(slot_getattr(s->slot, s->cols.field_att[JK_F_SEQ] + 1, &isnull));
		if (isnull || seq < s->expected)
			continue;			/* before the range asked for, or already returned */
		if (seq == s->expected)
		{
			s->expected++;
			return true;
		}
		/* out of heap order (or a gap): the index decides from here */
		table_endscan(s->heapscan);
		s->heapscan = NULL;
		start_index_scan(s, s->expected);
	}
	return index_getnext_slot(s->scan, s->dir, s->slot);
}

bool
juki_log_scan_next(JukiLogScan *s, JukiLogRow *row)
{
	TupleTableSlot *slot = s->slot;
	JkEntry    *e = &row->e;
	MemoryContext old;

	MemoryContextReset(s->row_cxt);
	if (!next_tuple(s))
		return false;
	old = MemoryContextSwitchTo(s->row_cxt);
	slot_getallattrs(slot);
	memset(row, 0, sizeof(*row));
	/* columns by name (columns.c): what the writer stored is what is hashed */
	row->hashes_ok = juki_log_entry_from_slot(&s->cols, slot, e, row->prev_hash, row->hash);
	MemoryContextSwitchTo(old);
	return true;
}

bool
juki_log_scan_next_slot(JukiLogScan *s)
{
	MemoryContextReset(s->row_cxt);
	if (!next_tuple(s))
		return false;
	slot_getallattrs(s->slot);
	return true;
}

void
juki_log_scan_end(JukiLogScan *s)
{
	if (s->heapscan)
		table_endscan(s->heapscan);
	if (s->scan)
		index_endscan(s->scan);
	UnregisterSnapshot(s->snapshot);
	ExecDropSingleTupleTableSlot(s->slot);
	index_close(s->index, AccessShareLock);
	table_close(s->heap, AccessShareLock);
	MemoryContextDelete(s->row_cxt);
}

bool
juki_log_row_canonical(JukiLogRow *row, JkBuf *out)
{
	return jk_canonical_entry(out, &row->e);
}

void
juki_chain_info(JukiChainInfo *ci)
{
	Relation	rel = table_open(juki_log_relid("state"), AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	memset(ci, 0, sizeof(*ci));
	ci->retention_years = 7;
	if (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		slot_getallattrs(slot);
		for (i = 0; i < desc->natts; i++)
		{
			const char *name = NameStr(TupleDescAttr(desc, i)->attname);

			if (slot->tts_isnull[i])
				continue;
			if (strcmp(name, "chain_origin") == 0)
				ci->have_origin = juki_log_hash_att(slot, i, ci->origin);
			else if (strcmp(name, "purged_through_seq") == 0)
			{
				ci->purged = true;
				ci->purged_through_seq = DatumGetInt64(slot->tts_values[i]);
			}
			else if (strcmp(name, "purged_through_hash") == 0)
				(void) juki_log_hash_att(slot, i, ci->purged_through_hash);
			else if (strcmp(name, "retention_years") == 0)
				ci->retention_years = DatumGetInt32(slot->tts_values[i]);
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
}
