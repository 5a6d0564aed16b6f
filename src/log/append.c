/*-------------------------------------------------------------------------
 * append.c
 *		Putting an entry into the operation log: each backend makes its
 *		own entry durable in the write-ahead log (DESIGN §7.3).
 *
 * "Log before you disclose": juki_audit_log returns only once the entry is
 * in flushed WAL, independently of the caller's transaction (the record is
 * not transactional), so it survives the caller's rollback; when it cannot
 * be made durable the caller gets 55000 and discloses nothing.
 *
 * Under the head's lock (head.c, which states the protocol) the backend
 * numbers the entry, chains it to the previous entry's hash and inserts it
 * into WAL with juki's resource manager (wal.c); outside the lock it
 * flushes the WAL up to its record (PostgreSQL's group flush: one fsync
 * serves every backend waiting) and, when synchronous standbys are
 * configured and juki.synchronous_standby_wait is on, waits for them as a
 * commit does.  No latch, condition variable or writer round trip: the
 * audit writer files the entries from WAL afterwards (writer.c).
 *
 * Fail closed and bounded: until the writer has recovered the chain after
 * a start, appends wait for it (juki.audit_wait_timeout); past
 * juki.audit_max_backlog unfiled entries a granted decision is logged as
 * refused (audit_backlog) instead; past twice that, nothing is appended and
 * the request fails without an entry.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xlog.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "replication/syncrep.h"
#include "replication/walsender.h"
#include "replication/walsender_private.h"
#include "storage/lwlock.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "core/context.h"
#include "core/settings.h"
#include "append.h"
#include "head.h"
#include "record.h"
#include "wal.h"
#include "core/message.h"

#define UNIX_EPOCH_OFFSET_US \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/* Why an append failed: the reason code the caller reports. */
typedef enum AppendFailure
{
	APPEND_OK = 0,
	APPEND_UNAVAILABLE,			/* audit_unavailable */
	APPEND_BACKLOG				/* audit_backlog */
} AppendFailure;

/* The entry of a record, canonical, restricted to what the table stores. */
static void
prepare_entry(JukiAuditRecord *r, JkEntry *e)
{
	Size		len;
	char	   *flat = juki_audit_flatten(r, &len);

	if (!juki_audit_unflatten(flat, len, e))
		elog(ERROR, "juki could not flatten an audit record");
	e->criteria = juki_canonical_json(e->criteria, "criteria");
	e->detail = juki_canonical_json(e->detail, "detail");
	/*
	 * A 1.1 field whose column the table lacks (library updated, SQL not
	 * yet) is neither stored nor hashed.  Read without the lock: it changes
	 * only when the table gains the column, and the writer then stores it.
	 */
	if (!juki_log_head->has_login_role)
		e->login_role = NULL;
	if (!juki_log_head->has_terminal)
		e->terminal = NULL;
}

/*
 * Number, chain and insert one entry (lock held exclusively).  e's seq
 * and ts are set here; flat is e flattened (seq and ts are in the header).
 */
static XLogRecPtr
insert_locked(JkEntry *e, const char *flat, Size flen, int64 ts)
{
	JukiLogHead *h = juki_log_head;
	JukiWalEntry hdr;
	JkBuf		canon;
	XLogRecPtr	end;

	e->seq = h->next_seq;
	e->ts_unix_us = ts;
	juki_buf_init(&canon);
	if (!jk_canonical_entry(&canon, e))
		elog(ERROR, "juki audit record time is outside years 0001-9999");
	memset(&hdr, 0, sizeof(hdr));
	hdr.format = JUKI_WAL_FORMAT;
	hdr.payload_len = (uint32) flen;
	hdr.seq = e->seq;
	hdr.ts_unix_us = ts;
	if (!jk_chain_hash(h->hash, canon.data, canon.len, hdr.hash))
		elog(ERROR, "SHA-256 failed while chaining a juki audit record");
	XLogBeginInsert();
	XLogRegisterData((char *) &hdr, sizeof(hdr));
	XLogRegisterData((char *) flat, (int) flen);
	end = XLogInsert(JUKI_RMGR_ID, XLOG_JUKI_ENTRY);
	memcpy(h->hash, hdr.hash, JK_HASH_LEN);
	h->next_seq++;
	h->last_ts = ts;
	h->last_end = end;
	return end;
}

/*
 * A time more than a year after the previous entry, or an hour before it:
 * the clock moved (or the log was idle for a year).  Put it on record just
 * before the entry, so that nobody moves time unseen (lock held).
 */
static void
note_clock_jump_locked(int64 ts)
{
	JkEntry		e;
	JukiDetail	d;
	int64		delta = ts - juki_log_head->last_ts;
	char	   *flat;
	Size		flen;

	if (juki_log_head->last_ts == 0 ||
		(delta <= 366 * USECS_PER_DAY && delta >= -USECS_PER_HOUR))
		return;
	jd_init(&d);
	jd_str(&d, "direction", delta > 0 ? "forward" : "backward");
	jd_int(&d, "days", delta / USECS_PER_DAY);
	jd_int(&d, "seconds", delta / USECS_PER_SEC);
	juki_entry_own(&e, "clock_jump", JUKI_ERROR, "clock_jump", jd_finish(&d));
	flat = juki_entry_flatten(&e, &flen);
	(void) insert_locked(&e, flat, flen, ts);
}

/*
 * Append e (prepared) and flush it.  own: the writer's entry (may go while
 * the gate is not open, never bounded).  bounded: a granted decision past
 * the backlog bound becomes a refusal (then APPEND_BACKLOG after it is
 * durable).  *seq gets its seq.
 */
static AppendFailure
append_entry(JkEntry *e, bool own, bool bounded, int64 *seq, XLogRecPtr *end,
			 const char **why)
{
	JukiLogHead *h = juki_log_head;
	AppendFailure result = APPEND_OK;
	char	   *flat;
	Size		flen;
	int64		ts;
	Latch	   *wake = NULL;

	if (!own && !juki_head_wait_gate(TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
																 juki_audit_wait_timeout_ms)))
	{
		*why = gettext_noop("the audit writer has not recovered the operation log within juki.audit_wait_timeout");
		return APPEND_UNAVAILABLE;
	}
	flat = juki_entry_flatten(e, &flen);

	LWLockAcquire(h->lock, LW_EXCLUSIVE);
	if (!own && h->gate != JUKI_GATE_OPEN)
	{
		*why = h->gate == JUKI_GATE_STOPPED ? gettext_noop("the audit writer is shutting down") :
			pstrdup(h->why);
		LWLockRelease(h->lock);
		return APPEND_UNAVAILABLE;
	}
	if (!own)
	{
		int64		backlog = h->next_seq - (int64) pg_atomic_read_u64(&h->filed_next);

		if (backlog >= 2 * (int64) juki_audit_max_backlog)
		{
			LWLockRelease(h->lock);
			*why = gettext_noop("the audit writer is further behind than twice juki.audit_max_backlog entries, so nothing more can be logged");
			return APPEND_BACKLOG;
		}
		if (bounded && backlog >= juki_audit_max_backlog &&
			strcmp(e->outcome, JUKI_GRANTED) == 0)
		{
			/* logged as refused, in place of the decision */
			LWLockRelease(h->lock);
			e->outcome = JUKI_ERROR;
			e->reason = "audit_backlog";
			flat = juki_entry_flatten(e, &flen);
			*why = gettext_noop("the audit writer is further behind than juki.audit_max_backlog entries");
			result = APPEND_BACKLOG;
			LWLockAcquire(h->lock, LW_EXCLUSIVE);
			if (h->gate != JUKI_GATE_OPEN)
			{
				LWLockRelease(h->lock);
				*why = gettext_noop("the audit writer is shutting down");
				return APPEND_UNAVAILABLE;
			}
		}
	}
	ts = GetCurrentTimestamp() + UNIX_EPOCH_OFFSET_US;
	note_clock_jump_locked(ts);
	*end = insert_locked(e, flat, flen, ts);
	*seq = e->seq;
	/* a nudge now and then, so the writer files promptly under load */
	if ((h->next_seq & 255) == 0)
		wake = h->writer_latch;
	LWLockRelease(h->lock);
	if (wake)
		SetLatch(wake);

	XLogFlush(*end);
	return result;
}

/*
 * Synchronous standbys, when configured and juki.synchronous_standby_wait
 * is on: wait as a commit would (whatever the session's
 * synchronous_commit), then check that they have flushed the record.  A
 * cancel or termination ends the wait with a WARNING: false then, and
 * *cause says which.
 */
static bool
wait_standbys(XLogRecPtr lsn, const char **cause)
{
	int			nest;
	bool		ok;

	HOLD_INTERRUPTS();			/* resumed by the caller */
	if (!juki_synchronous_standby_wait || max_wal_senders == 0 || WalSndCtl == NULL ||
		!(((volatile WalSndCtlData *) WalSndCtl)->sync_standbys_status & SYNC_STANDBY_DEFINED))
		return true;
	nest = NewGUCNestLevel();
	(void) set_config_option("synchronous_commit", "on", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/*
	 * The wait watches cancel and die itself; held interrupts keep the
	 * WARNING it ends with from ending the backend before the withheld
	 * entry is on record.
	 */
	SyncRepWaitForLSN(lsn, false);
	AtEOXact_GUC(true, nest);
	LWLockAcquire(SyncRepLock, LW_SHARED);
	ok = !(WalSndCtl->sync_standbys_status & SYNC_STANDBY_DEFINED) ||
		WalSndCtl->lsn[SYNC_REP_WAIT_FLUSH] >= lsn;
	LWLockRelease(SyncRepLock);
	*cause = ProcDiePending ? "backend_exit" : "cancelled";
	return ok;
}

/*
 * The entry is durable here but the client will not get the answer: a
 * withheld entry names it, so the log says nothing was disclosed.
 */
static void
append_withheld(int64 seq, const char *cause)
{
	JkEntry		e;
	JukiDetail	d;
	int64		wseq;
	XLogRecPtr	end;
	const char *why;

	jd_init(&d);
	jd_int(&d, "withheld_seq", seq);
	juki_entry_own(&e, "withheld", JUKI_ERROR, cause, jd_finish(&d));
	if (append_entry(&e, false, false, &wseq, &end, &why) != APPEND_OK)
		ereport(WARNING,
				(errmsg("juki could not log that the answer of entry %lld was withheld: %s",
						(long long) seq, why)));
}

/* Append and make durable; on failure say why.  Never throws for the log itself. */
static AppendFailure
audit_log(JukiAuditRecord *r, const char **problem)
{
	JkEntry		e;
	int64		seq;
	XLogRecPtr	end;
	AppendFailure f;
	const char *cause;

	juki_require_preload();
	if (RecoveryInProgress())
	{
		*problem = gettext_noop("this server is a standby and the operation log is written only on the primary");
		return APPEND_UNAVAILABLE;
	}
	prepare_entry(r, &e);
	f = append_entry(&e, juki_is_audit_writer, true, &seq, &end, problem);
	if (f != APPEND_OK || juki_is_audit_writer)
		return f;
	if (!wait_standbys(end, &cause))
	{
		append_withheld(seq, cause);
		RESUME_INTERRUPTS();
		*problem = gettext_noop("the synchronous standbys did not confirm the record (the wait was cancelled)");
		return APPEND_UNAVAILABLE;
	}
	RESUME_INTERRUPTS();
	return APPEND_OK;
}

bool
juki_audit_log_try(JukiAuditRecord *r, const char **problem)
{
	return audit_log(r, problem) == APPEND_OK;
}

void
juki_audit_log(JukiAuditRecord *r)
{
	const char *problem;

	switch (audit_log(r, &problem))
	{
		case APPEND_OK:
			return;
		case APPEND_BACKLOG:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("juki's operation log is too far behind, so the request is refused"),
					 juki_errfield("audit_backlog"),
					 errdetail("reason: audit_backlog; %s.", juki_tr(problem)),
					 errhint("Check that the juki audit writer runs (SELECT * FROM juki.status()) and read the server log.")));
			break;
		case APPEND_UNAVAILABLE:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("juki cannot make the audit record of this request durable, so it is refused"),
					 juki_errfield("audit_unavailable"),
					 errdetail("reason: audit_unavailable; %s.", juki_tr(problem)),
					 errhint("Check that the juki audit writer runs (SELECT * FROM juki.status()) and read the server log.")));
			break;
	}
}

void
juki_audit_log_async(JukiAuditRecord *r)
{
	const char *problem;

	if (!juki_preloaded || RecoveryInProgress())
		return;
	if (audit_log(r, &problem) != APPEND_OK)
		ereport(WARNING,
				(errmsg("juki could not log the audit record of action \"%s\": %s",
						r->action, juki_tr(problem))));
}

/*
 * Before a read of the log (a query of a log table, verify_log, export):
 * every entry appended before it must be visible, so wait until the writer
 * has filed them; the caller takes its snapshot afterwards.  If the writer
 * does not file them within juki.audit_wait_timeout, the read is refused
 * (an incomplete log is not shown as if it were complete), and the refusal
 * is logged.  The writer itself never waits.
 */
bool		juki_log_read_recovered_only = false;

void
juki_log_read_barrier(void)
{
	JukiAuditRecord r;
	const char *problem = NULL;
	bool		logged;
	TimestampTz deadline;

	if (!juki_preloaded || juki_is_audit_writer || juki_log_head == NULL ||
		IsParallelWorker() || RecoveryInProgress())
		return;
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), juki_audit_wait_timeout_ms);
	/* the writer opens the gate only once the earlier runs' entries are filed */
	if (juki_log_read_recovered_only ? juki_head_wait_gate(deadline) :
		juki_head_wait_filed(deadline))
		return;
	juki_audit_record_init(&r, "log_read", JUKI_ERROR, "audit_unavailable");
	logged = juki_audit_log_try(&r, &problem);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("juki's audit writer has not filed the newest entries of the operation log, so reading it is refused"),
			 juki_errfield("audit_unavailable"),
			 logged ?
			 errdetail("reason: audit_unavailable; the refusal is recorded in the operation log.") :
			 errdetail("reason: audit_unavailable; the refusal could not be logged: %s.", juki_tr(problem)),
			 errhint("Check that the juki audit writer runs: SELECT * FROM juki.status();")));
}

/*
 * An entry of the writer's own: appended like any other (its seq in WAL
 * order), even while the gate is closed, never bounded, never waiting for
 * standbys (the writer must not wait on anything that waits on it).
 */
int64
juki_log_append_own(JkEntry *e)
{
	int64		seq;
	XLogRecPtr	end;
	const char *why;

	Assert(juki_is_audit_writer);
	e->detail = juki_canonical_json(e->detail, "detail");
	if (!juki_log_head->has_login_role)
		e->login_role = NULL;
	if (!juki_log_head->has_terminal)
		e->terminal = NULL;
	if (append_entry(e, true, false, &seq, &end, &why) != APPEND_OK)
		elog(ERROR, "juki's audit writer could not append its own entry: %s", why);
	return seq;
}
