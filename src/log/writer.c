/*-------------------------------------------------------------------------
 * writer.c
 *		The audit writer: the one process that appends to juki's operation
 *		log (DESIGN §7.3).
 *
 * One writer means one chain head, hence no forks, and natural group
 * commit: each wake-up takes every queued record, numbers and chains them,
 * inserts them in one transaction, commits with synchronous_commit = on,
 * and only then frees them from the queue and wakes their waiters.
 *
 * The writer never takes ring space for entries of its own: only it frees
 * space, so it would wait on itself.  It takes a mark in ring order instead
 * and writes its entry there (batch.c); the same order places the
 * withheld entries of requests whose client gave up waiting.
 *
 * After any restart the chain head is read back from the table.  The first
 * entry written after a start says whether the previous run ended with a
 * clean stop; a genesis entry opens a new chain.  Checkpoints are signed
 * every juki.checkpoint_interval, on request and at shutdown, each in the
 * same transaction as the entry it signs.
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

#include "core/settings.h"
#include "format/json.h"
#include "record.h"
#include "enforcement.h"
#include "form_ledger.h"
#include "columns.h"
#include "queue.h"
#include "batch.h"
#include "writer.h"
#include "writer_read.h"
#include "signing.h"
#include "core/context.h"
#include "core/state.h"

PGDLLEXPORT void juki_audit_writer_main(Datum arg);

static volatile sig_atomic_t got_sigterm = false;

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
 * A record's criteria and detail, as the log keeps them: canonical
 * (format/json.c, the one canonicaliser; numbers an entry cannot hold
 * become strings), and an object.  Anything else (a malformed record must
 * not wedge the writer, and a value that is not an object could never be
 * verified as one) is kept as a string under "malformed".
 */
static const char *
canonical_json(const char *json, const char *what)
{
	JkBuf		b;
	JkBuf		w;
	char		err[JK_ERR_LEN];
	const char *keep = json;

	if (json == NULL)
		return NULL;
	juki_buf_init(&b);
	if (jk_json_canonicalize_ex(json, strlen(json), &b, JK_JSON_NUMBERS_AS_STRINGS,
								err, sizeof(err)))
	{
		if (b.data[0] == '{')
			return b.data;
		keep = b.data;
		snprintf(err, sizeof(err), "not a JSON object");
	}
	ereport(WARNING, (errmsg("juki audit record had malformed %s: %s", what, err)));
	juki_buf_init(&w);
	jk_buf_append_str(&w, "{\"malformed\":");
	jk_json_string(&w, keep, strlen(keep));
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
	e->criteria = canonical_json(e->criteria, "criteria");
	e->detail = canonical_json(e->detail, "detail");
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

static char *store_checkpoint(WriterState *ws, JukiSigningKey *key);

/* Write a step of a batch (batch.c decides the order). */
static void
write_step(WriterState *ws, Inserter *ins, JukiBatch *b, JukiBatchStep *st, JkEntry *own)
{
	JkEntry		e;

	switch (st->kind)
	{
		case JUKI_STEP_RECORD:
			{
				JukiBatchRecord *r = &b->records[st->index];

				if (!juki_audit_unflatten(r->payload, r->payload_len, &e))
				{
					ereport(WARNING, (errmsg("juki audit writer found a malformed record in the queue")));
					own_entry(&e, "audit_record_malformed", JUKI_ERROR, "malformed_record", NULL);
				}
				e.ts_unix_us = r->ts + UNIX_EPOCH_OFFSET_US;
				note_clock_jump(ws, ins, e.ts_unix_us);
				write_entry(ws, ins, &e);
				/* a printed form enters the ledger with its entry (form_ledger.c) */
				juki_form_ledger_write(&e, r->ts);
				r->seq = e.seq;
				r->pid = (int32) e.backend_pid;
				return;
			}
		case JUKI_STEP_OWN:
			if (own == NULL)
				elog(ERROR, "juki audit batch has no entry of the writer's own to write");
			note_clock_jump(ws, ins, own->ts_unix_us);
			write_entry(ws, ins, own);
			return;
		case JUKI_STEP_WITHHELD_RECORD:
			{
				JukiBatchRecord *r = &b->records[st->index];

				juki_withheld_entry(&e, r->seq, r->pid, r->withdrawn,
									r->withdrawn_ts + UNIX_EPOCH_OFFSET_US);
				r->withheld_written = true;
				break;
			}
		case JUKI_STEP_WITHHELD_PENDING:
			{
				JukiWithheld *p = &b->pending[st->index];

				juki_withheld_entry(&e, p->seq, p->pid, p->cause, p->ts + UNIX_EPOCH_OFFSET_US);
				p->written = true;
				break;
			}
	}
	note_clock_jump(ws, ins, e.ts_unix_us);
	write_entry(ws, ins, &e);
}

/*
 * Write one batch in one transaction: the queued records below stop_at
 * (PG_UINT64_MAX: all), with own (may be NULL, its time set) placed at
 * own_pos and withheld entries where they belong.  With stop_at the batch
 * ends with own; with a key, a checkpoint signing own follows it in the same
 * transaction, and its line is returned (in batch_cxt).  Commit, then
 * release the ring and wake the waiters.  Never waits for ring space.
 */
char *
juki_writer_drain_batch(WriterState *ws, JkEntry *own, uint64 own_pos, uint64 stop_at,
			JukiSigningKey *key)
{
	JukiBatch	b;
	JukiBatchStep *steps;
	int			nsteps;
	int			i;
	Inserter	ins;
	char	   *line = NULL;
	MemoryContext old;

	Assert(key == NULL || (own != NULL && stop_at == own_pos));
	old = MemoryContextSwitchTo(ws->batch_cxt);
	juki_queue_take_batch(stop_at, &b);
	steps = juki_batch_order(&b, own != NULL, own_pos,
							 own ? own->ts_unix_us - UNIX_EPOCH_OFFSET_US : 0,
							 stop_at != PG_UINT64_MAX, &nsteps);
	if (nsteps == 0)
	{
		MemoryContextSwitchTo(old);
		return NULL;
	}

	pgstat_report_activity(STATE_RUNNING, "writing audit records");
	begin_xact();
	inserter_open(&ins, "operation_log");
	for (i = 0; i < nsteps; i++)
		write_step(ws, &ins, &b, &steps[i], own);
	inserter_close(&ins);
	if (key)
		line = store_checkpoint(ws, key);
	commit_xact();
	/* durable: now, and only now, the waiters may go on */
	juki_queue_release_batch(&b, ws->next_seq - 1);
	if (key)
	{
		ws->last_checkpoint_seq = ws->next_seq - 1;
		ws->last_problem[0] = '\0';
	}
	MemoryContextSwitchTo(old);
	pgstat_report_activity(STATE_IDLE, NULL);
	return line;
}

/* Every queued record (and pending withheld entries) into the log. */
static void
drain(WriterState *ws)
{
	(void) juki_writer_drain_batch(ws, NULL, 0, PG_UINT64_MAX, NULL);
	MemoryContextReset(ws->batch_cxt);
}

/*
 * An entry of the writer's own while it is serving, in its place in ring
 * order (a mark, not ring space: only the writer frees space, so it never
 * waits for it).  The caller resets batch_cxt.
 */
void
juki_writer_own_in_order(WriterState *ws, const char *action, const char *outcome,
			 const char *reason, const char *detail)
{
	JkEntry		e;
	uint64		pos;
	TimestampTz ts;

	own_entry(&e, action, outcome, reason, detail);
	juki_queue_mark(&pos, &ts);
	e.ts_unix_us = ts + UNIX_EPOCH_OFFSET_US;
	(void) juki_writer_drain_batch(ws, &e, pos, PG_UINT64_MAX, NULL);
}

/* own_entry for the writer's other files */
void
juki_writer_own_entry(JkEntry *e, const char *action, const char *outcome,
					  const char *reason, const char *detail)
{
	own_entry(e, action, outcome, reason, detail);
}

/* ----------------------------------------------------------- checkpoints */

/*
 * Sign the chain head and store the checkpoint, inside the batch's
 * transaction (the line is returned in batch_cxt): the entry it signs and the stored checkpoint are committed
 * together, so the log never records a signing that is not stored (and an
 * auditor may count on that, see audit/verify.c).
 */
static char *
store_checkpoint(WriterState *ws, JukiSigningKey *key)
{
	JkBuf		line;
	Inserter	ins;
	uint8		sig[JK_SIG_LEN];
	char		ts[JK_TS_LEN + 1];
	char		sighex[2 * JK_SIG_LEN + 1];
	char		origin[JK_HEX_LEN + 1];
	Datum		v[7];
	bool		n[7] = {false};
	int64		seq = ws->next_seq - 1;

	if (!jk_format_ts(GetCurrentTimestamp() + UNIX_EPOCH_OFFSET_US, ts))
		elog(ERROR, "cannot format checkpoint time");
	juki_buf_init(&line);
	jk_checkpoint_message(&line, ws->origin, seq, ws->head, ts, key->key_id);
	if (!juki_sign(key, line.data, line.len, sig))
		elog(ERROR, "Ed25519 signing failed");
	jk_hex(sig, JK_SIG_LEN, sighex);
	jk_buf_append_str(&line, " sig=");
	jk_buf_append_str(&line, sighex);

	inserter_open(&ins, "audit_checkpoint");
	v[0] = Int64GetDatum(seq);
	v[1] = bytea_datum(ws->head, JK_HASH_LEN);
	v[2] = TimestampTzGetDatum(GetCurrentTimestamp());
	jk_hex(ws->origin, JK_HASH_LEN, origin);
	v[3] = CStringGetTextDatum(origin);
	v[4] = CStringGetTextDatum(key->key_id);
	v[5] = bytea_datum(sig, JK_SIG_LEN);
	v[6] = CStringGetTextDatum(line.data);
	inserter_insert(&ins, v, n);
	inserter_close(&ins);
	/* the transaction's memory goes at commit; the file is written after it */
	return MemoryContextStrdup(ws->batch_cxt, line.data);
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
	JukiChainHead ch;
	bool		have_head;
	bool		clean;
	bool		fresh = false;
	int64		gap_days;
	XLogRecPtr	stop_lsn;
	JkEntry		e[3];
	int			ne = 0;
	JukiDetail	d;

	begin_xact();
	juki_read_chain_head(&ch);
	commit_xact();
	have_head = ch.have_head;
	clean = ch.clean;
	gap_days = ch.gap_days;
	stop_lsn = ch.stop_lsn;
	ws->next_seq = ch.next_seq;
	memcpy(ws->head, ch.head, JK_HASH_LEN);
	memcpy(ws->origin, ch.origin, JK_HASH_LEN);
	ws->last_checkpoint_seq = ch.last_checkpoint_seq;
	if (have_head && ch.last_ts != 0)
		ws->last_ts = ch.last_ts + UNIX_EPOCH_OFFSET_US;

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
						 errdetail_plural("%d start and stop without juki in shared_preload_libraries; nothing was guarded or logged meanwhile.",
										  "%d starts and stops without juki in shared_preload_libraries; nothing was guarded or logged meanwhile.",
										  shutdowns - 1, shutdowns - 1) :
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
		ereport(LOG, (errmsg("juki audit writer recovered the chain at seq %lld after an unclean stop",
							 (long long) (ws->next_seq - 2))));
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
	/* parallel workers are outside the door (guard/guard.c) */
	SetConfigOption("max_parallel_workers_per_gather", "0", PGC_USERSET, PGC_S_OVERRIDE);

	if (!wait_for_extension())
		proc_exit(1);
	recover(&ws);
	ws.last_checkpoint_at = GetCurrentTimestamp();
	juki_writer_sweep_statistics(&ws);

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
		juki_writer_note_slots(&ws);
		if (TimestampDifferenceExceeds(ws.last_statistics_sweep, GetCurrentTimestamp(), 10000))
			juki_writer_sweep_statistics(&ws);
		juki_writer_checkpoint(&ws);
		timeout = juki_checkpoint_interval_s * 1000L;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(timeout, 1000L), PG_WAIT_EXTENSION);
	}

	/* shutdown: nothing enters the queue any more, write out what is there */
	juki_queue_stop_accepting();
	drain(&ws);
	juki_writer_stop(&ws);
	proc_exit(1);				/* a static worker exiting 0 would never restart */
}
