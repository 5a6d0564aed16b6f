/*-------------------------------------------------------------------------
 * writer_own.c
 *		Entries of the audit writer's own while it serves: signed
 *		checkpoints (every juki.checkpoint_interval and on request), the
 *		worker_stop that ends a run, logical replication slots, and the
 *		sweep of planner statistics of personal data.
 *
 Each is appended through WAL like every entry (append.c: the writer's
 * own never wait for the gate, the backlog bound or standbys) and then
 * filed with everything before it; a checkpoint, and the shutdown
 * checkpoint after worker_stop, end the batch that files them and are
 * signed and stored in the same transaction as the entry they sign.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "record.h"
#include "append.h"
#include "head.h"
#include "writer.h"
#include "writer_read.h"
#include "signing.h"
#include "tiles.h"
#include "core/context.h"

/* ----------------------------------------------------------- checkpoints */

static void
note_checkpoint_problem(WriterState *ws, const char *code, const char *msg, int64 seq)
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
	if (seq >= 0)
		jd_int(&d, "seq", seq);
	detail = jd_finish(&d);
	MemoryContextSwitchTo(old);
	juki_writer_own_in_order(ws, "checkpoint", JUKI_ERROR, code, detail);
}

/*
 * A signed checkpoint, every juki.checkpoint_interval and on request: a
 * checkpoint entry appended in WAL order, ending the batch that files it, and the
 * signature over the head it makes, stored in the same transaction; then
 * the file in juki.checkpoint_directory.
 */
void
juki_writer_checkpoint(WriterState *ws)
{
	JukiSigningKey key;
	const char *code;
	char		msg[512];
	uint64		req;
	bool		requested = juki_head_checkpoint_requested(&req);
	TimestampTz now = GetCurrentTimestamp();

	if (!requested &&
		!TimestampDifferenceExceeds(ws->last_checkpoint_at, now,
									juki_checkpoint_interval_s * 1000))
		return;
	ws->last_checkpoint_at = now;
	if (ws->last_checkpoint_seq == ws->next_seq - 1)
	{
		juki_head_checkpoint_done(req);	/* the head is already signed */
		return;
	}
	/* never a signature that contradicts a published checkpoint (continuity.c) */
	if (!juki_continuity_may_sign(ws, &code, msg, sizeof(msg)))
	{
		note_checkpoint_problem(ws, code, msg, ws->next_seq - 1);
		MemoryContextReset(ws->batch_cxt);
		juki_head_checkpoint_done(req);
		return;
	}
	if (!juki_signing_key_load(&key, &code, msg, sizeof(msg)))
	{
		note_checkpoint_problem(ws, code, msg, -1);
		MemoryContextReset(ws->batch_cxt);
		juki_head_checkpoint_done(req);
		return;
	}

	PG_TRY();
	{
		JukiDetail	d;
		JkEntry		e;
		int64		seq;
		char	   *line;
		MemoryContext old = MemoryContextSwitchTo(ws->batch_cxt);

		jd_init(&d);
		jd_str(&d, "key_id", key.key_id);
		jd_bool(&d, "shutdown", false);
		jd_bool(&d, "signs_this_entry", true);
		juki_entry_own(&e, "checkpoint", JUKI_GRANTED, NULL, jd_finish(&d));
		seq = juki_log_append_own(&e);
		MemoryContextSwitchTo(old);
		line = juki_writer_file_upto(ws, seq, &key);
		if (line &&
			!juki_checkpoint_write_files(line, juki_tree_last_note(ws->last_checkpoint_seq),
										 ws->origin, ws->last_checkpoint_seq, msg, sizeof(msg)))
			note_checkpoint_problem(ws, "checkpoint_directory_unwritable", msg, ws->last_checkpoint_seq);
		MemoryContextReset(ws->batch_cxt);
	}
	PG_FINALLY();
	{
		juki_signing_key_free(&key);
	}
	PG_END_TRY();
	juki_head_checkpoint_done(req);
}

/*
 * The last entry of a run: worker_stop, with where the WAL stood (the next
 * start checks that nobody ran the server since) and whether a shutdown
 * checkpoint signs it (then in the same transaction, as above).  Nothing
 * follows it: it marks a clean stop.
 */
void
juki_writer_stop(WriterState *ws)
{
	JukiSigningKey key;
	const char *code;
	char		msg[512];
	bool		signing = juki_continuity_may_sign(ws, &code, msg, sizeof(msg)) &&
		juki_signing_key_load(&key, &code, msg, sizeof(msg));

	if (!signing)
		ereport(WARNING, (errmsg("juki could not sign a checkpoint at shutdown: %s", msg)));
	PG_TRY();
	{
		JukiDetail	d;
		JkEntry		e;
		int64		seq;
		char	   *line;
		MemoryContext old = MemoryContextSwitchTo(ws->batch_cxt);

		jd_init(&d);
		jd_str(&d, "wal_lsn", psprintf("%X/%X", LSN_FORMAT_ARGS(GetXLogInsertRecPtr())));
		jd_bool(&d, "shutdown_checkpoint", signing);
		juki_entry_own(&e, "worker_stop", JUKI_GRANTED, NULL, jd_finish(&d));
		seq = juki_log_append_own(&e);
		MemoryContextSwitchTo(old);
		line = juki_writer_file_upto(ws, seq, signing ? &key : NULL);
		if (line &&
			!juki_checkpoint_write_files(line, juki_tree_last_note(ws->last_checkpoint_seq),
										 ws->origin, ws->last_checkpoint_seq, msg, sizeof(msg)))
			ereport(WARNING, (errmsg("juki could not write the shutdown checkpoint file: %s", msg)));
	}
	PG_FINALLY();
	{
		if (signing)
			juki_signing_key_free(&key);
	}
	PG_END_TRY();
}


/* ------------------------------------------------------ logical slots */

/* Each new logical slot of juki's database on record, with a warning. */
void
juki_writer_note_slots(WriterState *ws)
{
	List	   *fresh;
	ListCell   *lc;
	MemoryContext old = MemoryContextSwitchTo(ws->batch_cxt);

	fresh = juki_new_logical_slots(&ws->seen_slots);
	MemoryContextSwitchTo(old);
	foreach(lc, fresh)
	{
		char	   *entry = lfirst(lc);
		char	   *sp = strchr(entry, ' ');
		JukiDetail	d;
		char	   *detail;

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
		juki_writer_own_in_order(ws, "logical_slot", JUKI_ERROR, "logical_slot_detected", detail);
	}
	MemoryContextReset(ws->batch_cxt);
}

/* --------------------------------------------------- planner statistics */

/*
 * ANALYZE (autovacuum's too) must find no statistics target of personal
 * data but 0; whatever it found, the statistics go (guard/guard_catalog.c,
 * called through juki_statistics_sweep_hook: the guard is above the log).  At
 * every start and every 10 seconds: autovacuum has no hook.  The repair
 * commits first; its entry follows in WAL order like any of the writer's.
 */
char	   *(*juki_statistics_sweep_hook) (void) = NULL;

void
juki_writer_sweep_statistics(WriterState *ws)
{
	char	   *detail;

	if (juki_statistics_sweep_hook == NULL)
		return;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	detail = juki_statistics_sweep_hook();
	if (detail)
		detail = MemoryContextStrdup(ws->batch_cxt, detail);
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (detail)
		juki_writer_own_in_order(ws, "planner_statistics", JUKI_ERROR, "statistics_purged", detail);
	MemoryContextReset(ws->batch_cxt);
	ws->last_statistics_sweep = GetCurrentTimestamp();
}
