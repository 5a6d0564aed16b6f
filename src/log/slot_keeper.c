/*-------------------------------------------------------------------------
 * slot_keeper.c
 *		On a standby, juki's physical replication slot (juki_audit_log)
 *		held where the primary's writer had filed up to, so that the
 *		standby's restartpoints (and the checkpoint after a promotion) keep
 *		every WAL segment holding an entry the primary had not filed yet.
 *
 * Why: a primary's slots are not replicated.  A standby removes WAL older
 * than its last restartpoint's redo point; entries the old primary had
 * not filed before it died were lost at a failover once their segments
 * went (measured in test 085).  The primary's writer WAL-logs a FILED
 * record each time it moves its slot (filing.c, wal.c); the standby's redo
 * publishes its keep_from in the log head; this worker, started with the
 * postmaster and running only while a standby is in recovery, creates the
 * slot (reserving WAL from the redo point, as PostgreSQL does) and moves
 * it forward to keep_from, never back.  When recovery ends it lets go and
 * exits; the writer, which starts after recovery, waits for that and takes
 * the slot over (filing.c), reading the old primary's unfiled entries
 * from it.
 *
 * The keeper never waits for a checkpoint or anything else but its
 * latch: a checkpoint that invalidates the slot signals it (SIGTERM) and
 * it exits at once, so no checkpoint waits on it for long.
 *
 * Locking: the slot's fields are PostgreSQL's, read and set under its
 * spinlock as slotfuncs.c does; of juki's shared memory only the head's
 * atomics standby_keep_from (read), keeper_vouched and keeper_held
 * (written here; keeper_held cleared by the writer once it has taken the
 * slot over) and slot_lsn, under the head's lock, for juki.status()
 * (head.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "replication/slot.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"

#include "filing.h"
#include "head.h"
#include "slot_keeper.h"

/* Hold juki's slot, creating it if missing; false: not now (try again). */
static bool
keeper_acquire(void)
{
	bool		exists;

	if (juki_slot_holder(&exists) != 0)
		return false;			/* a walsender of that name: the writer reports it */
	(void) juki_slot_take(exists);
	if (SlotIsLogical(MyReplicationSlot))
	{
		/* not ours to move; the writer refuses requests after promotion */
		ReplicationSlotRelease();
		proc_exit(0);
	}
	if (XLogRecPtrIsInvalid(MyReplicationSlot->data.restart_lsn))
	{
		/* invalidated (max_slot_wal_keep_size): hold from now on */
		ReplicationSlotReserveWal();
		ReplicationSlotMarkDirty();
		ReplicationSlotSave();
	}
	pg_atomic_write_u32(&juki_log_head->keeper_held, 1);
	juki_head_set_slot_lsn(MyReplicationSlot->data.restart_lsn);
	return true;
}

/* Move the slot forward to the primary's last keep_from (never back). */
static void
keeper_advance(void)
{
	ReplicationSlot *slot = MyReplicationSlot;
	XLogRecPtr	to = (XLogRecPtr) pg_atomic_read_u64(&juki_log_head->standby_keep_from);
	XLogRecPtr	at;

	if (slot == NULL || XLogRecPtrIsInvalid(to))
		return;
	SpinLockAcquire(&slot->mutex);
	at = slot->data.restart_lsn;
	if (to > at)
		slot->data.restart_lsn = to;
	SpinLockRelease(&slot->mutex);
	if (to < at)
		return;
	/* the slot stands where the primary vouched that all before is filed */
	pg_atomic_write_u64(&juki_log_head->keeper_vouched, (uint64) to);
	if (to == at)
		return;
	/* saved to disk at the next restartpoint, before that removes any WAL */
	ReplicationSlotMarkDirty();
	ReplicationSlotsComputeRequiredLSN();
	juki_head_set_slot_lsn(to);
}

void
juki_slot_keeper_main(Datum arg)
{
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (juki_log_head == NULL || wal_level < WAL_LEVEL_REPLICA || max_replication_slots == 0)
		proc_exit(0);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();

		/*
		 * A primary (or one whose recovery has ended) needs no keeper: the
		 * writer holds the slot.  Exit 0 so the postmaster does not start
		 * this worker again (until it restarts).
		 */
		if (!RecoveryInProgress() || access(STANDBY_SIGNAL_FILE, F_OK) != 0)
		{
			if (MyReplicationSlot != NULL)
			{
				ReplicationSlotSave();
				ReplicationSlotRelease();
			}
			proc_exit(0);
		}

		/*
		 * The startup process restores the slots from disk before it
		 * replays anything: touch none before replay has begun.
		 */
		if (!XLogRecPtrIsInvalid(GetXLogReplayRecPtr(NULL)) &&
			(MyReplicationSlot != NULL || keeper_acquire()))
			keeper_advance();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 200L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * The writer, after taking the slot over at its start: whether a standby's
 * keeper held it during the recovery that just ended, and whether the slot
 * stood at a position the old primary vouched for (all before it filed).
 * Until juki_slot_keeper_forget, a restart of the writer asks again.
 */
bool
juki_slot_kept_in_recovery(XLogRecPtr restart, bool *vouched)
{
	*vouched = false;
	if (juki_log_head == NULL || pg_atomic_read_u32(&juki_log_head->keeper_held) == 0)
		return false;
	*vouched = !XLogRecPtrIsInvalid(restart) &&
		(XLogRecPtr) pg_atomic_read_u64(&juki_log_head->keeper_vouched) == restart;
	return true;
}

/*
 * The writer has judged the slot it took over (recorded a possible loss or
 * not): from now on the slot is simply the writer's, and a later restart
 * of the writer in this shared memory must not judge it as a standby's.
 */
void
juki_slot_keeper_forget(void)
{
	if (juki_log_head != NULL)
		pg_atomic_write_u32(&juki_log_head->keeper_held, 0);
}
