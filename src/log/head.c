/*-------------------------------------------------------------------------
 * head.c
 *		The operation log's shared head: the last entry appended (seq,
 *		hash, time), the gate that lets appends go once the audit writer
 *		has recovered the chain, and how far the writer has filed.
 *
 * Appending is done by every backend itself (append.c): under the lock it
 * numbers its entry, chains it to head.hash and inserts it into WAL, so
 * chain order = seq order = WAL order.  The writer files the entries from
 * WAL afterwards (filing.c, writer.c) and publishes filed_next.
 *
 * Locking protocol:
 *	- lock (LWLock, tranche "juki_log_append") guards every field below
 *	  "under lock" in head.h.  Appenders hold it exclusively from reading
 *	  next_seq to XLogInsert and updating next_seq, hash, last_ts,
 *	  last_end; nothing else is done under it (no flush, no wait).
 *	- gate: UNKNOWN after every (re)initialisation of shared memory, until
 *	  the writer has filed what the WAL holds and publishes the head; only
 *	  the writer appends while it is not OPEN.  Waiters for the gate sleep
 *	  on gate_cv (only at start-up: never on the hot path).
 *	- filed_next is an atomic written only by the writer after its filing
 *	  transaction commits; it only grows (within one shared memory
 *	  lifetime).  Readers of the log that must see every entry appended
 *	  before them wait on filed_cv (log reads, form serials: not the hot
 *	  path), having set the writer's latch.
 *	- checkpoint requests: counters under lock, requesters wait on
 *	  checkpoint_cv.
 *	- standby_keep_from is written only by the startup process's redo
 *	  (wal.c) and only grows; keeper_vouched and keeper_held by the
 *	  standby's slot keeper (slot_keeper.c) while it holds the slot; the
 *	  writer reads them after recovery has ended and the keeper has let
 *	  go of the slot, and clears keeper_held once it has judged the slot.
 *	A crash of any process re-creates shared memory; the writer recovers
 *	the head from the table and the WAL its slot retained (writer.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "head.h"

JukiLogHead *juki_log_head = NULL;

void
juki_head_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(JukiLogHead)));
	RequestNamedLWLockTranche("juki_log_append", 1);
}

void
juki_head_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	juki_log_head = ShmemInitStruct("juki log head", sizeof(JukiLogHead), &found);
	if (!found)
	{
		memset(juki_log_head, 0, sizeof(JukiLogHead));
		juki_log_head->lock = &(GetNamedLWLockTranche("juki_log_append"))->lock;
		ConditionVariableInit(&juki_log_head->gate_cv);
		ConditionVariableInit(&juki_log_head->filed_cv);
		ConditionVariableInit(&juki_log_head->checkpoint_cv);
		pg_atomic_init_u64(&juki_log_head->filed_next, 0);
		pg_atomic_init_u64(&juki_log_head->standby_keep_from, 0);
		pg_atomic_init_u64(&juki_log_head->keeper_vouched, 0);
		pg_atomic_init_u32(&juki_log_head->keeper_held, 0);
		juki_log_head->gate = JUKI_GATE_UNKNOWN;
		juki_log_head->has_login_role = true;
		juki_log_head->has_terminal = true;
		juki_log_head->slot_lsn = InvalidXLogRecPtr;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Milliseconds until deadline, at least 1; 0 once it has passed. */
static long
ms_until(TimestampTz deadline)
{
	TimestampTz now = GetCurrentTimestamp();

	if (now >= deadline)
		return 0;
	return Max(1, (long) ((deadline - now + 999) / 1000));
}

/* Wait (start-up only) until the gate is no longer UNKNOWN; false if it still is. */
bool
juki_head_wait_gate(TimestampTz deadline)
{
	JukiGate	gate;

	ConditionVariablePrepareToSleep(&juki_log_head->gate_cv);
	for (;;)
	{
		long		ms;

		LWLockAcquire(juki_log_head->lock, LW_SHARED);
		gate = juki_log_head->gate;
		LWLockRelease(juki_log_head->lock);
		ms = ms_until(deadline);
		if (gate != JUKI_GATE_UNKNOWN || ms == 0)
			break;
		ConditionVariableTimedSleep(&juki_log_head->gate_cv, Min(ms, 100), PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return gate != JUKI_GATE_UNKNOWN;
}

void
juki_head_wake_writer(void)
{
	Latch	   *latch;

	LWLockAcquire(juki_log_head->lock, LW_SHARED);
	latch = juki_log_head->writer_latch;
	LWLockRelease(juki_log_head->lock);
	if (latch)
		SetLatch(latch);
}

/*
 * Wait until every entry appended before the call is filed (a read of the
 * log must see them; a form serial must see the ledger rows); false if the
 * deadline passes first.
 */
bool
juki_head_wait_filed(TimestampTz deadline)
{
	int64		upto;
	bool		done;

	if (!juki_head_wait_gate(deadline))
		return false;
	LWLockAcquire(juki_log_head->lock, LW_SHARED);
	upto = juki_log_head->gate == JUKI_GATE_UNKNOWN ? -1 : juki_log_head->next_seq;
	LWLockRelease(juki_log_head->lock);
	if (upto < 0)
		return false;
	if ((int64) pg_atomic_read_u64(&juki_log_head->filed_next) >= upto)
		return true;
	juki_head_wake_writer();
	ConditionVariablePrepareToSleep(&juki_log_head->filed_cv);
	for (;;)
	{
		long		ms;

		done = (int64) pg_atomic_read_u64(&juki_log_head->filed_next) >= upto;
		ms = ms_until(deadline);
		if (done || ms == 0)
			break;
		ConditionVariableTimedSleep(&juki_log_head->filed_cv, Min(ms, 100), PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return done;
}

/* ---------------------------------------------------------------- writer */

void
juki_head_writer_attach(void)
{
	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	juki_log_head->writer_pid = MyProcPid;
	juki_log_head->writer_latch = &MyProc->procLatch;
	LWLockRelease(juki_log_head->lock);
}

/* on_shmem_exit: nobody is to set a latch that is going away */
void
juki_head_writer_detach(int code, Datum arg)
{
	if (juki_log_head == NULL)
		return;
	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	if (juki_log_head->writer_pid == MyProcPid)
	{
		juki_log_head->writer_pid = 0;
		juki_log_head->writer_latch = NULL;
	}
	LWLockRelease(juki_log_head->lock);
}

/* The chain recovered: entries continue from here, and appends may go. */
void
juki_head_publish(int64 next_seq, const uint8 *hash, int64 last_ts)
{
	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	juki_log_head->next_seq = next_seq;
	memcpy(juki_log_head->hash, hash, JK_HASH_LEN);
	juki_log_head->last_ts = last_ts;
	LWLockRelease(juki_log_head->lock);
}

void
juki_head_set_gate(JukiGate gate, const char *why)
{
	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	juki_log_head->gate = gate;
	strlcpy(juki_log_head->why, why ? why : "", sizeof(juki_log_head->why));
	LWLockRelease(juki_log_head->lock);
	ConditionVariableBroadcast(&juki_log_head->gate_cv);
}

void
juki_head_set_columns(bool has_login_role, bool has_terminal)
{
	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	juki_log_head->has_login_role = has_login_role;
	juki_log_head->has_terminal = has_terminal;
	LWLockRelease(juki_log_head->lock);
}

/* After the filing transaction committed. */
void
juki_head_set_filed(int64 filed_next, XLogRecPtr slot_lsn)
{
	pg_atomic_write_u64(&juki_log_head->filed_next, (uint64) filed_next);
	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	juki_log_head->slot_lsn = slot_lsn;
	LWLockRelease(juki_log_head->lock);
	ConditionVariableBroadcast(&juki_log_head->filed_cv);
}

/* A standby's slot keeper: where its slot holds WAL from (status()). */
void
juki_head_set_slot_lsn(XLogRecPtr slot_lsn)
{
	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	juki_log_head->slot_lsn = slot_lsn;
	LWLockRelease(juki_log_head->lock);
}

/* --------------------------------------------------- on-demand checkpoints */

uint64
juki_head_request_checkpoint(void)
{
	uint64		req;

	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	req = ++juki_log_head->checkpoint_requests;
	LWLockRelease(juki_log_head->lock);
	juki_head_wake_writer();
	return req;
}

bool
juki_head_checkpoint_requested(uint64 *req)
{
	bool		pending;

	LWLockAcquire(juki_log_head->lock, LW_SHARED);
	*req = juki_log_head->checkpoint_requests;
	pending = juki_log_head->checkpoint_requests > juki_log_head->checkpoints_done;
	LWLockRelease(juki_log_head->lock);
	return pending;
}

void
juki_head_checkpoint_done(uint64 req)
{
	LWLockAcquire(juki_log_head->lock, LW_EXCLUSIVE);
	if (req > juki_log_head->checkpoints_done)
		juki_log_head->checkpoints_done = req;
	LWLockRelease(juki_log_head->lock);
	ConditionVariableBroadcast(&juki_log_head->checkpoint_cv);
}

bool
juki_head_wait_checkpoint(uint64 req, TimestampTz deadline)
{
	bool		done;

	ConditionVariablePrepareToSleep(&juki_log_head->checkpoint_cv);
	for (;;)
	{
		long		ms;

		LWLockAcquire(juki_log_head->lock, LW_SHARED);
		done = juki_log_head->checkpoints_done >= req;
		LWLockRelease(juki_log_head->lock);
		ms = ms_until(deadline);
		if (done || ms == 0)
			break;
		ConditionVariableTimedSleep(&juki_log_head->checkpoint_cv, ms, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return done;
}

void
juki_head_status(JukiHeadStatus *st)
{
	LWLockAcquire(juki_log_head->lock, LW_SHARED);
	st->writer_pid = juki_log_head->writer_pid;
	st->gate = juki_log_head->gate;
	st->last_seq = juki_log_head->gate == JUKI_GATE_UNKNOWN ? -1 : juki_log_head->next_seq - 1;
	st->slot_lsn = juki_log_head->slot_lsn;
	LWLockRelease(juki_log_head->lock);
	st->filed_seq = st->gate == JUKI_GATE_UNKNOWN ? -1 :
		(int64) pg_atomic_read_u64(&juki_log_head->filed_next) - 1;
}
