/*-------------------------------------------------------------------------
 * writer.c
 *		The audit writer: the one process that files juki's operation log
 *		into juki.operation_log (DESIGN §7.3).
 *
 * Every entry is made durable by the backend that decides (append.c): it
 * is chained and in flushed WAL before anything is disclosed.  The writer
 * reads those records back from WAL (filing.c) in seq order, checks that
 * each continues the chain, and inserts them in large batches, one
 * transaction each, committed without waiting for the disk: the WAL holds
 * every record already, and juki's replication slot keeps it until the
 * filing transaction is flushed too.  Filing is idempotent by seq, so a
 * crash between filing and commit files the same records again.
 *
 * write_entry() is the one place every filed entry passes, in seq order,
 * inside the filing transaction.
 *
 * After any start the writer files whatever the retained WAL holds beyond
 * the table's last entry, and only then publishes the head and opens the
 * gate for appends (head.c).  The first entry appended after a start says
 * whether the previous run ended with a clean stop; a genesis entry opens a
 * new chain.  Checkpoints are signed every juki.checkpoint_interval, on
 * request and at shutdown, each in the transaction that files the entry it
 * signs.
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
#include "access/xlog.h"
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
#include "inserter.h"
#include "append.h"
#include "filing.h"
#include "slot_keeper.h"
#include "head.h"
#include "writer.h"
#include "writer_read.h"
#include "signing.h"
#include "tiles.h"
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

/* per-entry working memory of write_entry (TopMemoryContext, reset per entry) */
static MemoryContext entry_cxt = NULL;

/* the records of one batch as read from WAL (TopMemoryContext, reset per batch) */
static MemoryContext records_cxt = NULL;

static Datum
bytea_datum(const uint8 *data, int len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), data, len);
	return PointerGetDatum(b);
}

/*
 * File one entry: check that it continues the chain (its hash from the
 * previous one), insert it, advance the head.  Every filed entry passes
 * here, in seq order, inside the filing transaction.  wal_hash: the hash
 * the appender computed (NULL for the genesis the writer files itself); a
 * mismatch is filed as it is and warned about: verify_log then shows the
 * break.
 */
static void
write_entry(WriterState *ws, JukiInserter *ins, JkEntry *e, const uint8 *wal_hash)
{
	JkBuf		canon;
	uint8		hash[JK_HASH_LEN];
	Datum	   *v;
	bool	   *n;
	MemoryContext old;

	/*
	 * Everything built here is garbage once the row is in its slot: a batch
	 * of thousands of entries kept in the transaction's memory cost the
	 * writer more in page faults than the inserts themselves.
	 */
	if (entry_cxt == NULL)
		entry_cxt = AllocSetContextCreate(TopMemoryContext, "juki audit entry",
										  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(entry_cxt);
	v = palloc(sizeof(Datum) * ins->cols.natts);
	n = palloc(sizeof(bool) * ins->cols.natts);

	if (e->seq != ws->next_seq)
		ereport(WARNING,
				(errmsg("juki's operation log jumps from seq %lld to %lld",
						(long long) (ws->next_seq - 1), (long long) e->seq)));
	/* a field the table has no column for is neither stored nor hashed */
	juki_log_columns_restrict(&ins->cols, e);
	juki_buf_init(&canon);
	if (!jk_canonical_entry(&canon, e))
		elog(ERROR, "juki audit record time is outside years 0001-9999");
	if (!jk_chain_hash(ws->head, canon.data, canon.len, hash))
		elog(ERROR, "SHA-256 failed in juki's audit writer");
	if (wal_hash != NULL && memcmp(hash, wal_hash, JK_HASH_LEN) != 0)
	{
		ereport(WARNING,
				(errmsg("juki's operation log entry %lld does not continue the chain",
						(long long) e->seq)));
		memcpy(hash, wal_hash, JK_HASH_LEN);
	}

	juki_log_entry_values(&ins->cols, e, ws->head, hash, v, n);
	juki_inserter_insert(ins, v, n);
	/* a printed form enters the ledger with its entry (form_ledger.c) */
	juki_form_ledger_write(e, e->ts_unix_us - UNIX_EPOCH_OFFSET_US);
	/* the Merkle tree over the same bytes, in the same transaction */
	juki_tree_append(e->seq, canon.data, canon.len);
	MemoryContextSwitchTo(old);
	MemoryContextReset(entry_cxt);

	memcpy(ws->head, hash, JK_HASH_LEN);
	ws->next_seq = e->seq + 1;
	ws->last_ts = e->ts_unix_us;
	ws->last_clean = strcmp(e->action, "worker_stop") == 0;
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
	CommitTransactionCommand();
}

/* --------------------------------------------------------------- filing */

#define FILING_BATCH	5000

static char *store_checkpoint(WriterState *ws, JukiSigningKey *key);

/*
 * Let WAL go that only holds filed records, once the transaction that
 * filed them is flushed (it commits without waiting for the disk).
 */
static void
advance_slot(WriterState *ws)
{
	if (XLogRecPtrIsInvalid(ws->slot_target) || GetFlushRecPtr(NULL) < ws->slot_commit)
		return;
	juki_slot_advance(ws->slot_target);
	juki_head_set_filed(ws->next_seq, ws->slot_target);
	ws->slot_target = InvalidXLogRecPtr;
}

/*
 * File one batch from WAL: the records from ws->next_seq on, at most up to
 * stop_seq, in one transaction.  With a key and stop_seq reached, a
 * checkpoint signing that entry is stored in the same transaction and its
 * line returned (in batch_cxt); *reached says whether stop_seq is filed.
 * Returns the number of entries filed.
 */
static int
file_batch(WriterState *ws, int64 stop_seq, JukiSigningKey *key, bool *reached, char **line)
{
	JukiWalRead *recs;
	int			n;
	int			i;
	JukiInserter ins;
	MemoryContext old;

	/* the records read, reset after each batch (not batch_cxt: it outlives one) */
	if (records_cxt == NULL)
		records_cxt = AllocSetContextCreate(TopMemoryContext, "juki audit records",
											ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(records_cxt);
	*reached = ws->next_seq > stop_seq;
	recs = palloc(sizeof(JukiWalRead) * FILING_BATCH);
	n = juki_filing_read(recs, FILING_BATCH, stop_seq, ws->next_seq);
	if (n > 0 && recs[n - 1].seq >= stop_seq)
		*reached = true;
	if (n == 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(records_cxt);
		MemoryContextReset(ws->batch_cxt);
		return 0;
	}

	pgstat_report_activity(STATE_RUNNING, "filing audit records");
	begin_xact();
	juki_inserter_open(&ins, "operation_log");
	juki_head_set_columns(ins.cols.field_att[JK_F_LOGIN_ROLE] >= 0,
						  ins.cols.field_att[JK_F_TERMINAL] >= 0);
	for (i = 0; i < n; i++)
	{
		JkEntry		e;

		if (!juki_audit_unflatten(recs[i].payload, recs[i].payload_len, &e))
		{
			ereport(WARNING, (errmsg("juki audit writer found a malformed record in WAL")));
			juki_entry_own(&e, "audit_record_malformed", JUKI_ERROR, "malformed_record", NULL);
		}
		e.seq = recs[i].seq;
		e.ts_unix_us = recs[i].ts_unix_us;
		write_entry(ws, &ins, &e, recs[i].hash);
	}
	juki_inserter_close(&ins);
	if (key && *reached)
		*line = store_checkpoint(ws, key);
	commit_xact();
	/* a stored signature is in no WAL record of ours: flush it (locally) */
	if (key && *reached)
		XLogFlush(XactLastCommitEnd);
	ws->slot_target = juki_filing_position();
	ws->slot_commit = XactLastCommitEnd;
	pg_atomic_write_u64(&juki_log_head->filed_next, (uint64) ws->next_seq);
	ConditionVariableBroadcast(&juki_log_head->filed_cv);
	advance_slot(ws);
	if (key && *reached)
	{
		ws->last_checkpoint_seq = ws->next_seq - 1;
		ws->last_problem[0] = '\0';
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(records_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
	return n;
}

/*
 * File every record up to stop_seq (PG_INT64_MAX: all the flushed WAL
 * holds).  With a key, the batch that files stop_seq also stores the
 * checkpoint that signs it; its line is returned (in batch_cxt).
 */
char *
juki_writer_file_upto(WriterState *ws, int64 stop_seq, JukiSigningKey *key)
{
	char	   *line = NULL;
	bool		reached = false;

	for (;;)
	{
		int			n = file_batch(ws, stop_seq, key, &reached, &line);

		CHECK_FOR_INTERRUPTS();
		if (reached || (n == 0 && stop_seq == PG_INT64_MAX))
			break;
		if (n == 0)
		{
			/* the entry is flushed by its appender; it must show up */
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 10L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
	return line;
}

/*
 * File what the flushed WAL holds, for at most a second: under a load that
 * appends faster than the writer files, the main loop must still come
 * round to sign checkpoints, note slots and see signals (it stayed here,
 * and signed none, in 016's load on a slower machine).
 */
static void
file_available(WriterState *ws)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
	bool		reached;
	char	   *line = NULL;

	while (file_batch(ws, PG_INT64_MAX, NULL, &reached, &line) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (got_sigterm || GetCurrentTimestamp() >= until)
			break;
	}
}

/*
 * An entry of the writer's own while it is serving: appended like every
 * other (append.c), then filed with what precedes it.  The caller resets
 * batch_cxt.
 */
void
juki_writer_own_in_order(WriterState *ws, const char *action, const char *outcome,
			 const char *reason, const char *detail)
{
	JkEntry		e;
	int64		seq;

	juki_entry_own(&e, action, outcome, reason, detail);
	seq = juki_log_append_own(&e);
	(void) juki_writer_file_upto(ws, seq, NULL);
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
	JukiInserter ins;
	uint8		sig[JK_SIG_LEN];
	char		ts[JK_TS_LEN + 1];
	char		sighex[2 * JK_SIG_LEN + 1];
	char		origin[JK_HEX_LEN + 1];
	Datum		v[10];
	bool		n[10] = {false};
	int64		seq = ws->next_seq - 1;
	int64		tree_size = 0;
	uint8		tree_root[JUKI_HASH_LEN];
	char	   *note;

	if (!jk_format_ts(GetCurrentTimestamp() + UNIX_EPOCH_OFFSET_US, ts))
		elog(ERROR, "cannot format checkpoint time");
	juki_buf_init(&line);
	jk_checkpoint_message(&line, ws->origin, seq, ws->head, ts, key->key_id);
	if (!juki_sign(key, line.data, line.len, sig))
		elog(ERROR, "Ed25519 signing failed");
	jk_hex(sig, JK_SIG_LEN, sighex);
	jk_buf_append_str(&line, " sig=");
	jk_buf_append_str(&line, sighex);

	juki_inserter_open(&ins, "audit_checkpoint");
	v[0] = Int64GetDatum(seq);
	v[1] = bytea_datum(ws->head, JK_HASH_LEN);
	v[2] = TimestampTzGetDatum(GetCurrentTimestamp());
	jk_hex(ws->origin, JK_HASH_LEN, origin);
	v[3] = CStringGetTextDatum(origin);
	v[4] = CStringGetTextDatum(key->key_id);
	v[5] = bytea_datum(sig, JK_SIG_LEN);
	v[6] = CStringGetTextDatum(line.data);
	/* 1.1: the C2SP checkpoint note of the tree head, signed with the same key */
	note = juki_tree_checkpoint_note(key, ws->origin, &tree_size, tree_root);
	v[7] = Int64GetDatum(tree_size);
	v[8] = bytea_datum(tree_root, JUKI_HASH_LEN);
	v[9] = note ? CStringGetTextDatum(note) : (Datum) 0;
	n[7] = n[8] = n[9] = (note == NULL);
	if (RelationGetDescr(ins.rel)->natts > 10)
		elog(ERROR, "juki.audit_checkpoint has unexpected columns");
	juki_inserter_insert(&ins, v, n);
	juki_inserter_close(&ins);
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

/* Read the filed head from the table into ws. */
static void
read_filed_head(WriterState *ws, JukiChainHead *ch)
{
	begin_xact();
	juki_read_chain_head(ch);
	commit_xact();
	ws->next_seq = ch->next_seq;
	memcpy(ws->head, ch->head, JK_HASH_LEN);
	memcpy(ws->origin, ch->origin, JK_HASH_LEN);
	ws->last_checkpoint_seq = ch->last_checkpoint_seq;
	ws->last_ts = ch->have_head && ch->last_ts != 0 ? ch->last_ts + UNIX_EPOCH_OFFSET_US : 0;
	ws->last_clean = ch->clean;
}

/* A new chain: genesis names the server and database it belongs to. */
static void
write_genesis(WriterState *ws)
{
	char		sysid[32];
	char		sql[256];
	char		hex[JK_HEX_LEN + 1];
	JukiDetail	d;
	JkEntry		e;
	JukiInserter ins;

	ws->next_seq = 0;
	memset(ws->head, 0, JK_HASH_LEN);
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, GetSystemIdentifier());
	begin_xact();
	jd_init(&d);
	jd_str(&d, "database", get_database_name(MyDatabaseId));
	jd_str(&d, "system_identifier", sysid);
	juki_entry_own(&e, "genesis", JUKI_GRANTED, NULL, jd_finish(&d));
	e.seq = 0;
	e.ts_unix_us = GetCurrentTimestamp() + UNIX_EPOCH_OFFSET_US;
	juki_inserter_open(&ins, "operation_log");
	write_entry(ws, &ins, &e, NULL);
	juki_inserter_close(&ins);
	memcpy(ws->origin, ws->head, JK_HASH_LEN);
	jk_hex(ws->origin, JK_HASH_LEN, hex);
	snprintf(sql, sizeof(sql), "UPDATE juki.state SET chain_origin = '\\x%s'", hex);
	if (SPI_connect() != SPI_OK_CONNECT || SPI_execute(sql, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "cannot record the chain origin");
	SPI_finish();
	commit_xact();
	XLogFlush(XactLastCommitEnd);	/* the genesis is in no WAL record of ours */
	ws->last_clean = true;
}

/*
 * Recover after any start: the table's last entry, then every record the
 * retained WAL holds beyond it (nothing acknowledged is lost, nothing is
 * filed twice), then publish the head and open the gate, with
 * worker_start (and enforcement_gap, slot problems) as the first entries.
 */
static void
recover(WriterState *ws)
{
	JukiChainHead ch;
	bool		fresh = false;
	bool		clean;
	bool		created = false;
	bool		lost = false;
	bool		have_slot;
	bool		shmem_kept;
	XLogRecPtr	restart = InvalidXLogRecPtr;
	int64		head_before = 0;
	bool		covered = false;
	bool		kept = false;
	bool		vouched = false;
	char		why[200];
	JukiDetail	d;
	char	   *detail;
	MemoryContext old;

	read_filed_head(ws, &ch);
	have_slot = juki_slot_acquire(&restart, &created, &lost, why, sizeof(why));
	if (have_slot)
	{
		/* a new slot over an old log (promotion): read all WAL still here */
		if (created && ch.have_head)
			restart = juki_slot_reserve_oldest(restart);
		/* a promoted standby's slot, kept during recovery (slot_keeper.c) */
		kept = !created && !lost && juki_slot_kept_in_recovery(restart, &vouched);
		head_before = ws->next_seq;
		juki_filing_start(restart);
		/* file what WAL holds beyond the table (a crash, a kill of the writer) */
		if (ch.have_head)
			(void) juki_writer_file_upto(ws, PG_INT64_MAX, NULL);
		/* the WAL read reaches back to filed entries: nothing in between lost */
		covered = juki_filing_first_seq() >= 0 && juki_filing_first_seq() <= head_before;
		/* none unfiled after where the old primary said all before was filed */
		if (kept && vouched && juki_filing_first_seq() < 0)
			covered = true;
		read_filed_head(ws, &ch);
	}
	else
	{
		/*
		 * No slot, no retention: juki refuses requests (the gate stays
		 * shut), but its own entries are still filed from WAL, and what the
		 * WAL since the last checkpoint still holds is filed first.
		 */
		ereport(WARNING, (errmsg("juki refuses requests: %s", why)));
		juki_filing_start(GetRedoRecPtr());
		if (ch.have_head)
			(void) juki_writer_file_upto(ws, PG_INT64_MAX, NULL);
		read_filed_head(ws, &ch);
	}
	if (!ch.have_head)
	{
		write_genesis(ws);
		fresh = true;
		/* records of an earlier chain (the extension dropped) are not this one's */
		juki_filing_start(GetXLogInsertRecPtr());
	}
	clean = ws->last_clean;

	/* a writer restarted without a crash finds the head still published */
	LWLockAcquire(juki_log_head->lock, LW_SHARED);
	shmem_kept = juki_log_head->gate != JUKI_GATE_UNKNOWN;
	LWLockRelease(juki_log_head->lock);
	if (!shmem_kept)
		juki_head_publish(ws->next_seq, ws->head, ws->last_ts);
	pg_atomic_write_u64(&juki_log_head->filed_next, (uint64) ws->next_seq);

	old = MemoryContextSwitchTo(ws->batch_cxt);
	/* did the server run without juki since its last clean stop? */
	if (!XLogRecPtrIsInvalid(ch.stop_lsn) && clean && !fresh)
	{
		char		gwhy[256] = "";
		int			shutdowns = juki_shutdowns_since(ch.stop_lsn, gwhy, sizeof(gwhy));

		if (shutdowns != 1)
		{
			jd_init(&d);
			jd_str(&d, "since_wal_lsn", psprintf("%X/%X", LSN_FORMAT_ARGS(ch.stop_lsn)));
			if (shutdowns > 1)
				jd_int(&d, "runs_without_juki", shutdowns - 1);
			else
				jd_str(&d, "problem", gwhy);
			juki_writer_own_in_order(ws, "enforcement_gap", JUKI_ERROR,
									 shutdowns > 1 ? "ran_without_juki" : "gap_unknown", jd_finish(&d));
			ereport(WARNING,
					(errmsg("the server ran without juki since juki's last stop"),
					 shutdowns > 1 ?
					 errdetail_plural("%d start and stop without juki in shared_preload_libraries; nothing was guarded or logged meanwhile.",
									  "%d starts and stops without juki in shared_preload_libraries; nothing was guarded or logged meanwhile.",
									  shutdowns - 1, shutdowns - 1) :
					 errdetail("juki cannot tell whether it did: %s.", gwhy)));
		}
	}
	if (!have_slot || lost || ((created || kept) && !fresh && !covered))
	{
		jd_init(&d);
		jd_str(&d, "slot", JUKI_SLOT_NAME);
		jd_str(&d, "problem", !have_slot ? why : lost ?
			   "the slot's WAL was taken (max_slot_wal_keep_size): records not yet filed may be lost" :
			   kept ? "the standby's slot does not reach back to the last filed entry: records not yet filed may be lost" :
			   "the slot was missing and is created again: records not yet filed may be lost");
		detail = jd_finish(&d);
		juki_writer_own_in_order(ws, "wal_retention", JUKI_ERROR,
								 !have_slot ? "wal_retention_unavailable" : "wal_retention_lost", detail);
	}
	if (kept)
		juki_slot_keeper_forget();	/* judged: a restart must not judge it again */
	jd_init(&d);
	jd_bool(&d, "after_crash", !clean && !fresh);
	jd_int(&d, "recovered_seq", ws->next_seq - 1);
	if (ch.gap_days > 366)
		jd_int(&d, "days_since_last_entry", ch.gap_days);	/* a clock jump shows */
	detail = jd_finish(&d);
	MemoryContextSwitchTo(old);
	juki_writer_own_in_order(ws, "worker_start", JUKI_GRANTED,
							 !clean && !fresh ? "recovered_after_crash" : NULL, detail);
	MemoryContextReset(ws->batch_cxt);
	juki_head_set_gate(have_slot ? JUKI_GATE_OPEN : JUKI_GATE_REFUSED, have_slot ? NULL : why);
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
	ws.slot_target = InvalidXLogRecPtr;
	pqsignal(SIGTERM, writer_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	juki_is_audit_writer = true;
	BackgroundWorkerInitializeConnection(juki_database, NULL, 0);
	/*
	 * The WAL holds every entry before the writer files it and the slot
	 * keeps it until the filing commit is flushed: no commit of the writer
	 * waits for the disk or for standbys (a signed checkpoint and the
	 * genesis, which no record of ours carries, are flushed explicitly).
	 */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);

	ws.batch_cxt = AllocSetContextCreate(TopMemoryContext, "juki audit batch",
										 ALLOCSET_DEFAULT_SIZES);
	on_shmem_exit(juki_head_writer_detach, (Datum) 0);
	juki_head_writer_attach();
	pgstat_report_appname("juki audit writer");
	/* parallel workers are outside the door (guard/guard.c) */
	SetConfigOption("max_parallel_workers_per_gather", "0", PGC_USERSET, PGC_S_OVERRIDE);

	if (!wait_for_extension())
		proc_exit(1);
	recover(&ws);
	juki_continuity_at_start(&ws);	/* promotion, restore: continuity.c */
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
		file_available(&ws);
		advance_slot(&ws);
		MemoryContextReset(ws.batch_cxt);
		juki_writer_note_slots(&ws);
		if (TimestampDifferenceExceeds(ws.last_statistics_sweep, GetCurrentTimestamp(), 10000))
			juki_writer_sweep_statistics(&ws);
		juki_writer_checkpoint(&ws);
		timeout = juki_checkpoint_interval_s * 1000L;
		/* appenders nudge every 256th entry; readers of the log wake us */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(timeout, 20L), PG_WAIT_EXTENSION);
	}

	/* shutdown: nothing more is appended but our own; file it all */
	juki_head_set_gate(JUKI_GATE_STOPPED, NULL);
	juki_writer_stop(&ws);
	proc_exit(1);				/* a static worker exiting 0 would never restart */
}
