/*-------------------------------------------------------------------------
 * writer_read.c
 *		What the audit writer reads rather than writes: the chain head and
 *		how the last run ended (at start), and the logical replication slots
 *		of juki's database (every round).
 *
 * Locking: the slots are PostgreSQL's shared array, read under
 * ReplicationSlotControlLock (shared) and each slot's spinlock, as
 * pg_get_replication_slots reads them; nothing of juki's shared memory is
 * touched here.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "replication/slot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "writer_read.h"
#include "core/state.h"

/*
 * Read the chain head back from the table (in the caller's transaction):
 * the last entry, whether it was a clean stop and where the WAL stood then,
 * the chain origin, the purge anchor when everything was purged, and the
 * newest stored checkpoint.  Publishes the emergency stop (作動停止 survives
 * restarts) before anyone asks.
 */
void
juki_read_chain_head(JukiChainHead *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->stop_lsn = InvalidXLogRecPtr;
	ch->last_checkpoint_seq = -1;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT seq, hash, action, ts, detail->>'wal_lsn' FROM juki.operation_log ORDER BY seq DESC LIMIT 1",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.operation_log");
	if (SPI_processed == 1)
	{
		bool		isnull;
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bytea	   *h = DatumGetByteaPP(SPI_getbinval(t, td, 2, &isnull));
		char	   *action = SPI_getvalue(t, td, 3);
		TimestampTz ts = DatumGetTimestampTz(SPI_getbinval(t, td, 4, &isnull));

		ch->next_seq = DatumGetInt64(SPI_getbinval(t, td, 1, &isnull)) + 1;
		if (VARSIZE_ANY_EXHDR(h) != JK_HASH_LEN)
			elog(ERROR, "juki.operation_log seq " INT64_FORMAT " has a malformed hash",
				 ch->next_seq - 1);
		memcpy(ch->head, VARDATA_ANY(h), JK_HASH_LEN);
		ch->clean = strcmp(action, "worker_stop") == 0 || strcmp(action, "genesis") == 0;
		if (strcmp(action, "worker_stop") == 0)
		{
			char	   *lsn = SPI_getvalue(t, td, 5);
			uint32		hi,
						lo;

			if (lsn && sscanf(lsn, "%X/%X", &hi, &lo) == 2)
				ch->stop_lsn = ((uint64) hi << 32) | lo;
		}
		ch->gap_days = (GetCurrentTimestamp() - ts) / USECS_PER_DAY;
		ch->last_ts = ts;
		ch->have_head = true;
	}
	if (SPI_execute("SELECT chain_origin, purged_through_seq, purged_through_hash, emergency_stop FROM juki.state",
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "cannot read juki.state");
	else
	{
		bool		isnull;
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;
		Datum		origin = SPI_getbinval(t, td, 1, &isnull);

		if (!isnull)
			memcpy(ch->origin, VARDATA_ANY(DatumGetByteaPP(origin)), JK_HASH_LEN);
		juki_emergency_publish(DatumGetBool(SPI_getbinval(t, td, 4, &isnull)));
		if (!ch->have_head)
		{
			Datum		pseq = SPI_getbinval(t, td, 2, &isnull);

			if (!isnull)
			{
				/* everything was purged: continue from the anchor */
				bool		hnull;
				bytea	   *ph = DatumGetByteaPP(SPI_getbinval(t, td, 3, &hnull));

				ch->next_seq = DatumGetInt64(pseq) + 1;
				memcpy(ch->head, VARDATA_ANY(ph), JK_HASH_LEN);
				ch->have_head = true;
				ch->clean = true;
			}
		}
	}
	if (SPI_execute("SELECT coalesce(max(seq), -1) FROM juki.audit_checkpoint", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;

		ch->last_checkpoint_seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															  SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
}

/*
 * Logical decoding could stream juki's tables out of the database.  The
 * SQL functions that create slots are refused (guard_paths.c), but a
 * replication connection creates them without SQL, where no hook reaches:
 * the writer looks at the slots on every round and puts each logical slot
 * of juki's database on record once (detected, not prevented; README
 * "Threat model").  Returns the slots not seen before, as "name plugin"
 * strings in the caller's memory context, and adds them to *seen (kept in
 * TopMemoryContext).
 */
List *
juki_new_logical_slots(List **seen)
{
	List	   *found = NIL;
	List	   *fresh = NIL;
	ListCell   *lc;
	int			i;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext tmp;

	if (ReplicationSlotCtl == NULL || max_replication_slots == 0)
		return NIL;
	tmp = AllocSetContextCreate(CurrentMemoryContext, "juki slot scan", ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(tmp);
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	for (i = 0; i < max_replication_slots; i++)
	{
		ReplicationSlot *slot = &ReplicationSlotCtl->replication_slots[i];
		Oid			db;
		NameData	name;
		NameData	plugin;

		if (!slot->in_use)
			continue;
		SpinLockAcquire(&slot->mutex);
		db = slot->data.database;
		name = slot->data.name;
		plugin = slot->data.plugin;
		SpinLockRelease(&slot->mutex);
		if (db == MyDatabaseId)
			found = lappend(found, psprintf("%s %s", NameStr(name), NameStr(plugin)));
	}
	LWLockRelease(ReplicationSlotControlLock);

	foreach(lc, found)
	{
		char	   *entry = lfirst(lc);

		if (list_member(*seen, makeString(entry)))
			continue;
		MemoryContextSwitchTo(TopMemoryContext);
		*seen = lappend(*seen, makeString(pstrdup(entry)));
		MemoryContextSwitchTo(caller);
		fresh = lappend(fresh, pstrdup(entry));
		MemoryContextSwitchTo(tmp);
	}
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(tmp);
	return fresh;
}
