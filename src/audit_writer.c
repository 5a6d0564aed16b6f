/*-------------------------------------------------------------------------
 * audit_writer.c
 *		The audit writer: the one process that appends to juki's operation
 *		log (DESIGN §7.3).
 *
 * One writer means one chain head, hence no forks, and natural group
 * commit: each wake-up takes every queued record, numbers and chains them,
 * inserts them in one transaction, commits with synchronous_commit = on,
 * and only then frees them from the queue and wakes their waiters.
 *
 * After any restart the chain head is read back from the table.  The first
 * entry written after a start says whether the previous run ended with a
 * clean stop; a genesis entry opens a new chain.  Checkpoints are signed
 * every juki.checkpoint_interval, on request and at shutdown.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/slot.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "juki.h"
#include "audit.h"
#include "enforcement.h"
#include "form_ledger.h"
#include "log_columns.h"
#include "audit_queue.h"
#include "checkpoint.h"
#include "guard.h"
#include "state.h"

PGDLLEXPORT void juki_audit_writer_main(Datum arg);

#define UNIX_EPOCH_OFFSET_US \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

static volatile sig_atomic_t got_sigterm = false;

typedef struct WriterState
{
	int64		next_seq;
	uint8		head[JK_HASH_LEN];
	uint8		origin[JK_HASH_LEN];
	int64		last_checkpoint_seq;
	TimestampTz last_checkpoint_at;
	char		last_problem[256];	/* last checkpoint problem put on record */
	int64		last_ts;		/* unix µs of the last entry written, 0 unknown */
	MemoryContext batch_cxt;
	List	   *seen_slots;		/* logical slots already on record (names) */
	TimestampTz last_statistics_sweep;	/* guard_catalog.c */
} WriterState;

static void
writer_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	got_sigterm = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* ------------------------------------------------------------ inserting */

/* Executor state for inserting rows without a query (as logical apply does). */
typedef struct Inserter
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	JukiLogColumns cols;		/* operation_log only: its columns by name */
} Inserter;

static void
inserter_open(Inserter *ins, const char *relname)
{
	Oid			relid = get_relname_relid(relname, get_namespace_oid("juki", false));
	RangeTblEntry *rte;

	if (!OidIsValid(relid))
		elog(ERROR, "relation juki.%s does not exist", relname);
	ins->rel = table_open(relid, RowExclusiveLock);
	ins->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = ins->rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(ins->estate, list_make1(rte));
	ins->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(ins->rri, ins->rel, 1, NULL, 0);
	/* triggers on the log can only have been added behind juki's back */
	if (ins->rri->ri_TrigDesc != NULL)
	{
		ereport(WARNING,
				(errmsg("juki's audit writer ignores triggers on juki.%s", relname)));
		ins->rri->ri_TrigDesc = NULL;
	}
	ins->estate->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(ins->rri, false);
	ins->slot = ExecInitExtraTupleSlot(ins->estate, RelationGetDescr(ins->rel),
									   &TTSOpsVirtual);
	/* by name, every batch: the table may have gained a column (an update) */
	if (strcmp(relname, "operation_log") == 0)
		juki_log_columns_map(RelationGetDescr(ins->rel), &ins->cols);
}

static void
inserter_insert(Inserter *ins, Datum *values, bool *nulls)
{
	TupleDesc	desc = RelationGetDescr(ins->rel);

	ExecClearTuple(ins->slot);
	memcpy(ins->slot->tts_values, values, sizeof(Datum) * desc->natts);
	memcpy(ins->slot->tts_isnull, nulls, sizeof(bool) * desc->natts);
	ExecStoreVirtualTuple(ins->slot);
	ExecSimpleRelationInsert(ins->rri, ins->estate, ins->slot);
}

static void
inserter_close(Inserter *ins)
{
	ExecCloseIndices(ins->rri);
	ExecResetTupleTable(ins->estate->es_tupleTable, false);
	FreeExecutorState(ins->estate);
	table_close(ins->rel, NoLock);
}

static Datum
bytea_datum(const uint8 *data, int len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), data, len);
	return PointerGetDatum(b);
}

/*
 * A record's JSON must be canonical or the entry could never be verified
 * (and a malformed record must not wedge the writer): keep it as a string.
 */
static const char *
safe_json(const char *json, const char *what)
{
	JkBuf		b;
	JkBuf		w;
	char		err[JK_ERR_LEN];

	if (json == NULL)
		return NULL;
	juki_buf_init(&b);
	if (jk_json_canonicalize(json, strlen(json), &b, err, sizeof(err)) &&
		strcmp(b.data, json) == 0 && json[0] == '{')
		return json;
	ereport(WARNING, (errmsg("juki audit record had malformed %s: %s", what, err)));
	juki_buf_init(&w);
	jk_buf_append_str(&w, "{\"malformed\":");
	jk_json_string(&w, json, strlen(json));
	jk_buf_append_str(&w, "}");
	return w.data;
}

/* Number, chain and insert one entry; advances the head. */
static void
write_entry(WriterState *ws, Inserter *ins, JkEntry *e)
{
	JkBuf		canon;
	uint8		hash[JK_HASH_LEN];
	Datum	   *v = palloc(sizeof(Datum) * ins->cols.natts);
	bool	   *n = palloc(sizeof(bool) * ins->cols.natts);

	e->seq = ws->next_seq;
	e->criteria = safe_json(e->criteria, "criteria");
	e->detail = safe_json(e->detail, "detail");
	/* a field the table has no column for is neither stored nor hashed */
	juki_log_columns_restrict(&ins->cols, e);
	juki_buf_init(&canon);
	if (!jk_canonical_entry(&canon, e))
		elog(ERROR, "juki audit record time is outside years 0001-9999");
	if (!jk_chain_hash(ws->head, canon.data, canon.len, hash))
		elog(ERROR, "SHA-256 failed in juki's audit writer");
	juki_log_entry_values(&ins->cols, e, ws->head, hash, v, n);
	inserter_insert(ins, v, n);

	memcpy(ws->head, hash, JK_HASH_LEN);
	ws->next_seq++;
	ws->last_ts = e->ts_unix_us;
}

/* An entry of the writer's own (start, stop, genesis, checkpoint). */
static void
own_entry(JkEntry *e, const char *action, const char *outcome,
		  const char *reason, const char *detail)
{
	memset(e, 0, sizeof(*e));
	e->ts_unix_us = GetCurrentTimestamp() + UNIX_EPOCH_OFFSET_US;
	e->action = action;
	e->outcome = outcome;
	e->reason = reason;
	e->detail = detail;
	e->has_backend_pid = true;
	e->backend_pid = MyProcPid;
	e->subjects_null = true;
	e->fields_null = true;
}

/*
 * A record more than a year after the previous entry, or an hour before it:
 * the clock moved (or the log was idle for a year).  Put it on record just
 * before the record, so that nobody moves time unseen.
 */
static void
note_clock_jump(WriterState *ws, Inserter *ins, int64 ts)
{
	JkEntry		e;
	JukiDetail	d;
	int64		delta = ts - ws->last_ts;

	if (ws->last_ts == 0 ||
		(delta <= 366 * USECS_PER_DAY && delta >= -USECS_PER_HOUR))
		return;
	jd_init(&d);
	jd_str(&d, "direction", delta > 0 ? "forward" : "backward");
	jd_int(&d, "days", delta / USECS_PER_DAY);
	jd_int(&d, "seconds", delta / USECS_PER_SEC);
	own_entry(&e, "clock_jump", JUKI_ERROR, "clock_jump", jd_finish(&d));
	e.ts_unix_us = ts;
	write_entry(ws, ins, &e);
}

static void
begin_xact(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
commit_xact(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();	/* synchronous_commit = on: flushed on return */
}

/* Write entries of the writer's own in one transaction. */
static void
write_own(WriterState *ws, JkEntry *entries, int n)
{
	Inserter	ins;
	int			i;

	begin_xact();
	inserter_open(&ins, "operation_log");
	for (i = 0; i < n; i++)
		write_entry(ws, &ins, &entries[i]);
	inserter_close(&ins);
	commit_xact();
	juki_queue_note_seq(ws->next_seq - 1);
}

/* --------------------------------------------------------------- batches */

/* Take every queued record, insert them in one transaction, commit, release. */
static void
drain(WriterState *ws)
{
	char	   *buf;
	uint64		upto;
	Size		len;
	Size		off;
	Inserter	ins;
	MemoryContext old;

	old = MemoryContextSwitchTo(ws->batch_cxt);
	len = juki_queue_take(&buf, &upto);
	MemoryContextSwitchTo(old);
	if (len == 0)
		return;

	pgstat_report_activity(STATE_RUNNING, "writing audit records");
	begin_xact();
	inserter_open(&ins, "operation_log");
	for (off = 0; off < len;)
	{
		JukiQueuedHeader *h = (JukiQueuedHeader *) (buf + off);
		JkEntry		e;

		if (!juki_audit_unflatten(buf + off + sizeof(JukiQueuedHeader),
								  h->payload_len, &e))
		{
			ereport(WARNING, (errmsg("juki audit writer found a malformed record in the queue")));
			own_entry(&e, "audit_record_malformed", JUKI_ERROR, "malformed_record", NULL);
		}
		e.ts_unix_us = h->ts + UNIX_EPOCH_OFFSET_US;
		note_clock_jump(ws, &ins, e.ts_unix_us);
		write_entry(ws, &ins, &e);
		/* a printed form enters the ledger with its entry (form_ledger.c) */
		juki_form_ledger_write(&e, h->ts);
		off += h->len;
	}
	inserter_close(&ins);
	commit_xact();
	/* durable: now, and only now, the waiters may go on */
	juki_queue_release(upto, ws->next_seq - 1);
	MemoryContextReset(ws->batch_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* ----------------------------------------------------------- checkpoints */

/*
 * An entry of the writer's own while it is serving: through the queue like
 * any other, so that its place in the chain follows its time.  (While the
 * queue is closed for shutdown, nothing else can come: write it directly.)
 */
static void
queue_own(WriterState *ws, const char *action, const char *outcome,
		  const char *reason, const char *detail)
{
	JukiAuditRecord r;
	Size		len;
	char	   *flat;
	uint64		ticket;
	const char *why;
	MemoryContext old = MemoryContextSwitchTo(ws->batch_cxt);

	juki_audit_record_init(&r, action, outcome, reason);
	r.detail = detail;
	flat = juki_audit_flatten(&r, &len);
	MemoryContextSwitchTo(old);
	if (!juki_queue_put(flat, len, &ticket, &why))
	{
		JkEntry		e;

		own_entry(&e, action, outcome, reason, detail);
		write_own(ws, &e, 1);
	}
	drain(ws);
}

static void
note_checkpoint_problem(WriterState *ws, const char *code, const char *msg)
{
	JukiDetail	d;
	char	   *detail;
	MemoryContext old;

	ereport(WARNING, (errmsg("juki could not sign a checkpoint: %s", msg)));
	if (strcmp(ws->last_problem, code) == 0)
		return;					/* already on record; don't repeat every interval */
	strlcpy(ws->last_problem, code, sizeof(ws->last_problem));
	old = MemoryContextSwitchTo(ws->batch_cxt);
	jd_init(&d);
	jd_str(&d, "problem", msg);
	detail = jd_finish(&d);
	MemoryContextSwitchTo(old);
	queue_own(ws, "checkpoint", JUKI_ERROR, code, detail);
	MemoryContextReset(ws->batch_cxt);
}

/*
 * Sign the chain head.  A checkpoint entry goes into the chain first, so
 * the log itself says when checkpoints were taken; the signature then
 * covers the head as it is once that entry is durable.
 */
static void
checkpoint(WriterState *ws, bool shutdown)
{
	JukiSigningKey key;
	const char *code;
	char		msg[512];
	uint64		req;
	bool		requested = juki_queue_checkpoint_requested(&req);
	TimestampTz now = GetCurrentTimestamp();

	if (!shutdown && !requested &&
		!TimestampDifferenceExceeds(ws->last_checkpoint_at, now,
									juki_checkpoint_interval_s * 1000))
		return;
	ws->last_checkpoint_at = now;
	if (!shutdown && ws->last_checkpoint_seq == ws->next_seq - 1)
	{
		juki_queue_checkpoint_done(req);	/* the head is already signed */
		return;
	}
	if (!juki_signing_key_load(&key, &code, msg, sizeof(msg)))
	{
		/* at shutdown nothing may follow worker_stop; the next start notes it */
		if (!shutdown)
			note_checkpoint_problem(ws, code, msg);
		else
			ereport(WARNING, (errmsg("juki could not sign a checkpoint at shutdown: %s", msg)));
		juki_queue_checkpoint_done(req);
		return;
	}

	PG_TRY();
	{
		JukiDetail	d;
		JkBuf		line;
		Inserter	ins;
		uint8		sig[JK_SIG_LEN];
		char		ts[JK_TS_LEN + 1];
		char		sighex[2 * JK_SIG_LEN + 1];
		Datum		v[7];
		bool		n[7] = {false};
		int64		seq;
		MemoryContext old = MemoryContextSwitchTo(ws->batch_cxt);
		char	   *detail;

		jd_init(&d);
		jd_str(&d, "key_id", key.key_id);
		jd_bool(&d, "shutdown", shutdown);
		detail = jd_finish(&d);
		MemoryContextSwitchTo(old);
		/* at shutdown worker_stop stays the last entry: it marks a clean stop */
		if (!shutdown)
			queue_own(ws, "checkpoint", JUKI_GRANTED, NULL, detail);

		begin_xact();
		seq = ws->next_seq - 1;
		if (!jk_format_ts(GetCurrentTimestamp() + UNIX_EPOCH_OFFSET_US, ts))
			elog(ERROR, "cannot format checkpoint time");
		juki_buf_init(&line);
		jk_checkpoint_message(&line, ws->origin, seq, ws->head, ts, key.key_id);
		if (!juki_sign(&key, line.data, line.len, sig))
			elog(ERROR, "Ed25519 signing failed");
		jk_hex(sig, JK_SIG_LEN, sighex);
		jk_buf_append_str(&line, " sig=");
		jk_buf_append_str(&line, sighex);

		inserter_open(&ins, "audit_checkpoint");
		v[0] = Int64GetDatum(seq);
		v[1] = bytea_datum(ws->head, JK_HASH_LEN);
		v[2] = TimestampTzGetDatum(GetCurrentTimestamp());
		jk_hex(ws->origin, JK_HASH_LEN, msg);
		v[3] = CStringGetTextDatum(msg);
		v[4] = CStringGetTextDatum(key.key_id);
		v[5] = bytea_datum(sig, JK_SIG_LEN);
		v[6] = CStringGetTextDatum(line.data);
		inserter_insert(&ins, v, n);
		inserter_close(&ins);
		commit_xact();
		ws->last_checkpoint_seq = seq;
		ws->last_problem[0] = '\0';
		MemoryContextReset(ws->batch_cxt);

		if (!juki_checkpoint_write_file(line.data, ws->origin, seq, msg, sizeof(msg)))
		{
			if (!shutdown)
				note_checkpoint_problem(ws, "checkpoint_directory_unwritable", msg);
			else
				ereport(WARNING, (errmsg("juki could not write the shutdown checkpoint file: %s", msg)));
		}
	}
	PG_FINALLY();
	{
		juki_signing_key_free(&key);
	}
	PG_END_TRY();
	juki_queue_checkpoint_done(req);
}

/* ------------------------------------------------------ logical slots */

/*
 * Logical decoding could stream juki's tables out of the database.  The
 * SQL functions that create slots are refused (guard_paths.c), but a
 * replication connection creates them without SQL, where no hook reaches:
 * the writer looks at the slots on every round and puts each logical slot
 * of juki's database on record once, with a warning (detected, not
 * prevented; README "Threat model").
 */
static void
note_logical_slots(WriterState *ws)
{
	List	   *found = NIL;
	ListCell   *lc;
	int			i;
	MemoryContext tmp;
	MemoryContext caller;

	if (ReplicationSlotCtl == NULL || max_replication_slots == 0)
		return;
	/* every round: nothing of it may stay behind (queue_own resets batch_cxt) */
	tmp = AllocSetContextCreate(TopMemoryContext, "juki slot scan", ALLOCSET_SMALL_SIZES);
	caller = MemoryContextSwitchTo(tmp);
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
	MemoryContextSwitchTo(caller);

	foreach(lc, found)
	{
		char	   *entry = lfirst(lc);
		char	   *sp = strchr(entry, ' ');
		JukiDetail	d;
		MemoryContext old;
		char	   *detail;

		old = MemoryContextSwitchTo(tmp);
		if (list_member(ws->seen_slots, makeString(entry)))
		{
			MemoryContextSwitchTo(old);
			continue;
		}
		MemoryContextSwitchTo(old);
		old = MemoryContextSwitchTo(TopMemoryContext);
		ws->seen_slots = lappend(ws->seen_slots, makeString(pstrdup(entry)));
		MemoryContextSwitchTo(old);
		*sp = '\0';
		ereport(WARNING,
				(errmsg("a logical replication slot \"%s\" exists in juki's database", entry),
				 errdetail("Logical decoding can carry juki's tables out of the database; the slot is on record in the operation log."),
				 errhint("Drop it with pg_drop_replication_slot() unless the security officers approved it.")));
		old = MemoryContextSwitchTo(ws->batch_cxt);
		jd_init(&d);
		jd_str(&d, "slot", entry);
		jd_str(&d, "plugin", sp + 1);
		detail = jd_finish(&d);
		MemoryContextSwitchTo(old);
		queue_own(ws, "logical_slot", JUKI_ERROR, "logical_slot_detected", detail);
		MemoryContextReset(ws->batch_cxt);
	}
	MemoryContextDelete(tmp);
}

/* --------------------------------------------------- planner statistics */

/*
 * ANALYZE (autovacuum's too) must find no statistics target of personal
 * data but 0; whatever it found, the statistics go (guard_catalog.c).  At
 * every start and every few seconds: autovacuum has no hook.
 */
static void
sweep_statistics(WriterState *ws)
{
	char	   *detail;

	begin_xact();
	detail = juki_statistics_sweep();
	if (detail)
		detail = MemoryContextStrdup(ws->batch_cxt, detail);
	commit_xact();
	if (detail)
		queue_own(ws, "planner_statistics", JUKI_ERROR, "statistics_purged", detail);
	ws->last_statistics_sweep = GetCurrentTimestamp();
}

/* --------------------------------------------------------------- startup */

/* Wait until CREATE EXTENSION juki has committed in this database. */
static bool
wait_for_extension(void)
{
	for (;;)
	{
		bool		ready;

		CHECK_FOR_INTERRUPTS();
		if (got_sigterm)
			return false;
		StartTransactionCommand();
		ready = OidIsValid(get_extension_oid("juki", true)) &&
			OidIsValid(get_namespace_oid("juki", true)) &&
			OidIsValid(get_relname_relid("operation_log", get_namespace_oid("juki", true)));
		CommitTransactionCommand();
		if (ready)
			return true;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 200L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Read back the chain head (and how the last run ended) from the table. */
static void
recover(WriterState *ws)
{
	bool		have_head = false;
	bool		clean = false;
	bool		fresh = false;
	int64		gap_days = 0;
	XLogRecPtr	stop_lsn = InvalidXLogRecPtr;
	JkEntry		e[3];
	int			ne = 0;
	JukiDetail	d;

	begin_xact();
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

		ws->next_seq = DatumGetInt64(SPI_getbinval(t, td, 1, &isnull)) + 1;
		if (VARSIZE_ANY_EXHDR(h) != JK_HASH_LEN)
			elog(ERROR, "juki.operation_log seq " INT64_FORMAT " has a malformed hash",
				 ws->next_seq - 1);
		memcpy(ws->head, VARDATA_ANY(h), JK_HASH_LEN);
		clean = strcmp(action, "worker_stop") == 0 || strcmp(action, "genesis") == 0;
		if (strcmp(action, "worker_stop") == 0)
		{
			char	   *lsn = SPI_getvalue(t, td, 5);
			uint32		hi,
						lo;

			if (lsn && sscanf(lsn, "%X/%X", &hi, &lo) == 2)
				stop_lsn = ((uint64) hi << 32) | lo;
		}
		gap_days = (GetCurrentTimestamp() - ts) / USECS_PER_DAY;
		ws->last_ts = ts + UNIX_EPOCH_OFFSET_US;
		have_head = true;
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
			memcpy(ws->origin, VARDATA_ANY(DatumGetByteaPP(origin)), JK_HASH_LEN);
		/* 作動停止 survives restarts: publish it before anyone asks */
		juki_emergency_publish(DatumGetBool(SPI_getbinval(t, td, 4, &isnull)));
		if (!have_head)
		{
			Datum		pseq = SPI_getbinval(t, td, 2, &isnull);

			if (!isnull)
			{
				/* everything was purged: continue from the anchor */
				bool		hnull;
				bytea	   *ph = DatumGetByteaPP(SPI_getbinval(t, td, 3, &hnull));

				ws->next_seq = DatumGetInt64(pseq) + 1;
				memcpy(ws->head, VARDATA_ANY(ph), JK_HASH_LEN);
				have_head = true;
				clean = true;
			}
		}
	}
	if (SPI_execute("SELECT coalesce(max(seq), -1) FROM juki.audit_checkpoint", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;

		ws->last_checkpoint_seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															  SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	commit_xact();

	if (!have_head)
	{
		/* a new chain: genesis names the server and database it belongs to */
		char		sysid[32];
		char		sql[256];
		char		hex[JK_HEX_LEN + 1];

		fresh = true;
		ws->next_seq = 0;
		memset(ws->head, 0, JK_HASH_LEN);
		snprintf(sysid, sizeof(sysid), UINT64_FORMAT, GetSystemIdentifier());
		begin_xact();
		jd_init(&d);
		jd_str(&d, "database", get_database_name(MyDatabaseId));
		jd_str(&d, "system_identifier", sysid);
		own_entry(&e[0], "genesis", JUKI_GRANTED, NULL, jd_finish(&d));
		{
			Inserter	ins;

			inserter_open(&ins, "operation_log");
			write_entry(ws, &ins, &e[0]);
			inserter_close(&ins);
		}
		memcpy(ws->origin, ws->head, JK_HASH_LEN);
		jk_hex(ws->origin, JK_HASH_LEN, hex);
		snprintf(sql, sizeof(sql), "UPDATE juki.state SET chain_origin = '\\x%s'", hex);
		if (SPI_connect() != SPI_OK_CONNECT || SPI_execute(sql, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "cannot record the chain origin");
		SPI_finish();
		commit_xact();
	}

	{
		MemoryContext old = MemoryContextSwitchTo(ws->batch_cxt);

		/* did the server run without juki since its last clean stop? */
		if (!XLogRecPtrIsInvalid(stop_lsn))
		{
			char		why[256] = "";
			int			shutdowns = juki_shutdowns_since(stop_lsn, why, sizeof(why));

			if (shutdowns != 1)
			{
				jd_init(&d);
				jd_str(&d, "since_wal_lsn", psprintf("%X/%X", LSN_FORMAT_ARGS(stop_lsn)));
				if (shutdowns > 1)
					jd_int(&d, "runs_without_juki", shutdowns - 1);
				else
					jd_str(&d, "problem", why);
				own_entry(&e[ne], "enforcement_gap", JUKI_ERROR,
						  shutdowns > 1 ? "ran_without_juki" : "gap_unknown", jd_finish(&d));
				ne++;
				ereport(WARNING,
						(errmsg("the server ran without juki since juki's last stop"),
						 shutdowns > 1 ?
						 errdetail("%d start(s) and stop(s) without juki in shared_preload_libraries; nothing was guarded or logged meanwhile.",
								   shutdowns - 1) :
						 errdetail("juki cannot tell whether it did: %s.", why)));
			}
		}
		jd_init(&d);
		jd_bool(&d, "after_crash", !clean && !fresh);
		jd_int(&d, "recovered_seq", ws->next_seq - 1);
		if (gap_days > 366)
			jd_int(&d, "days_since_last_entry", gap_days);	/* a clock jump shows */
		own_entry(&e[ne], "worker_start", JUKI_GRANTED,
				  !clean && !fresh ? "recovered_after_crash" : NULL, jd_finish(&d));
		ne++;
		MemoryContextSwitchTo(old);
		write_own(ws, e, ne);
		MemoryContextReset(ws->batch_cxt);
	}
	if (!clean && !fresh)
		ereport(LOG, (errmsg("juki audit writer recovered the chain at seq " INT64_FORMAT
							 " after an unclean stop", ws->next_seq - 2)));
}

/* ------------------------------------------------------------------ main */

void
juki_audit_writer_main(Datum arg)
{
	WriterState ws;

	memset(&ws, 0, sizeof(ws));
	ws.last_checkpoint_seq = -1;
	pqsignal(SIGTERM, writer_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	juki_is_audit_writer = true;
	BackgroundWorkerInitializeConnection(juki_database, NULL, 0);
	/* durability is the point: never let a setting weaken the commit */
	SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);

	ws.batch_cxt = AllocSetContextCreate(TopMemoryContext, "juki audit batch",
										 ALLOCSET_DEFAULT_SIZES);
	on_shmem_exit(juki_queue_writer_detach, (Datum) 0);
	juki_queue_writer_attach();
	pgstat_report_appname("juki audit writer");
	/* parallel workers are outside the door (guard.c) */
	SetConfigOption("max_parallel_workers_per_gather", "0", PGC_USERSET, PGC_S_OVERRIDE);

	if (!wait_for_extension())
		proc_exit(1);
	recover(&ws);
	ws.last_checkpoint_at = GetCurrentTimestamp();
	sweep_statistics(&ws);

	while (!got_sigterm)
	{
		long		timeout;

		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		drain(&ws);
		note_logical_slots(&ws);
		if (TimestampDifferenceExceeds(ws.last_statistics_sweep, GetCurrentTimestamp(), 10000))
			sweep_statistics(&ws);
		checkpoint(&ws, false);
		timeout = juki_checkpoint_interval_s * 1000L;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(timeout, 1000L), PG_WAIT_EXTENSION);
	}

	/* shutdown: nothing enters the queue any more, write out what is there */
	juki_queue_stop_accepting();
	drain(&ws);
	{
		JkEntry		e;

		JukiDetail	d;

		/* where the WAL stood: the next start checks nobody ran the server since */
		jd_init(&d);
		jd_str(&d, "wal_lsn", psprintf("%X/%X", LSN_FORMAT_ARGS(GetXLogInsertRecPtr())));
		own_entry(&e, "worker_stop", JUKI_GRANTED, NULL, jd_finish(&d));
		write_own(&ws, &e, 1);
	}
	checkpoint(&ws, true);
	proc_exit(1);				/* a static worker exiting 0 would never restart */
}
