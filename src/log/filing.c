/*-------------------------------------------------------------------------
 * filing.c
 *		The audit writer's side of the WAL: reading juki's records back
 *		(XLogReader over the local WAL, never waiting past the flushed
 *		end), and the physical replication slot that keeps every WAL
 *		segment holding an unfiled record.
 *
 * Why a slot: redo starts at the last checkpoint and PostgreSQL 15 has no
 * checkpoint hook, so a record flushed, not yet filed and older than a
 * completed checkpoint would be lost with its segment.  The slot's
 * restart_lsn holds WAL from the oldest record not yet filed; the writer
 * moves it only past records whose filing transaction is flushed
 * (writer.c).  The writer keeps the slot acquired while it runs, so it is
 * active for the writer's pid and nobody can drop or advance it meanwhile.
 *
 * Locking: the slot's fields are PostgreSQL's, read and set under its
 * spinlock as slotfuncs.c does; nothing of juki's shared memory is touched
 * here.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogreader.h"
#include "access/xlogutils.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "replication/slot.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/memutils.h"

#include "filing.h"
#include "wal.h"

/*
 * The reader allocates its decode and record buffers lazily, in whatever
 * context is current: every call into it runs in reader_cxt, which lives as
 * long as the writer.
 */
static MemoryContext reader_cxt = NULL;
static XLogReaderState *reader = NULL;
static ReadLocalXLogPageNoWaitPrivate *reader_private = NULL;
static XLogRecPtr read_lsn = InvalidXLogRecPtr;	/* next record to read */
static XLogRecPtr find_from = InvalidXLogRecPtr;	/* not yet at a record start */
static int64 first_seq_seen = -1;	/* the lowest seq read since the start */

/* ------------------------------------------------------------------ slot */

bool
juki_slot_held(void)
{
	return MyReplicationSlot != NULL;
}

/* The pid that holds juki's slot (0: none), and whether the slot exists. */
pid_t
juki_slot_holder(bool *exists)
{
	ReplicationSlot *s;
	pid_t		active = 0;

	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	s = SearchNamedReplicationSlot(JUKI_SLOT_NAME, false);
	if (s != NULL)
	{
		SpinLockAcquire(&s->mutex);
		active = s->active_pid;
		SpinLockRelease(&s->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
	*exists = s != NULL;
	return active;
}

/*
 * Whether juki's slot exists; if another process holds it, wait a while
 * for it to let go: on a promoted standby the slot keeper (slot_keeper.c)
 * holds it until it sees that recovery has ended.  The keeper never waits
 * for anything, so neither does this wait for a checkpoint.  Past the
 * limit the acquisition fails as before (the writer restarts).
 */
static bool
wait_slot_free(void)
{
	int			i;

	for (i = 0;; i++)
	{
		bool		exists;
		pid_t		active = juki_slot_holder(&exists);

		if (!exists || active == 0 || i >= 600)
			return exists;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 50L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Take juki's slot (MyReplicationSlot afterwards): the one that exists,
 * which must be free, or a new physical slot reserving WAL from the redo
 * point as PostgreSQL does.  Returns true if it was created.  For the
 * writer and the standby's keeper alike.
 */
bool
juki_slot_take(bool exists)
{
	if (exists)
	{
		ReplicationSlotAcquire(JUKI_SLOT_NAME, true);
		return false;
	}
	ReplicationSlotCreate(JUKI_SLOT_NAME, false, RS_PERSISTENT, false);
	ReplicationSlotReserveWal();
	ReplicationSlotMarkDirty();
	ReplicationSlotSave();
	return true;
}

/*
 * Acquire juki's slot, creating it (reserving WAL from the last
 * checkpoint's redo point) if it does not exist.  *lost: it existed but
 * its WAL was taken (max_slot_wal_keep_size): reserved again from now.
 * False with why if the server cannot have one.
 */
bool
juki_slot_acquire(XLogRecPtr *restart, bool *created, bool *lost, char *why, int whylen)
{
	bool		exists;

	*created = false;
	*lost = false;
	if (wal_level < WAL_LEVEL_REPLICA)
	{
		snprintf(why, whylen, "wal_level is minimal: juki needs replica or logical to keep the WAL it files from");
		return false;
	}
	if (max_replication_slots == 0)
	{
		snprintf(why, whylen, "max_replication_slots is 0: juki needs one slot to keep the WAL it files from");
		return false;
	}
	if (MyReplicationSlot == NULL)
	{
		exists = wait_slot_free();
		*created = juki_slot_take(exists);
	}
	if (SlotIsLogical(MyReplicationSlot))
	{
		ReplicationSlotRelease();
		snprintf(why, whylen, "a logical slot named \"%s\" is in the way of juki's slot", JUKI_SLOT_NAME);
		return false;
	}
	if (XLogRecPtrIsInvalid(MyReplicationSlot->data.restart_lsn))
	{
		*lost = true;
		ReplicationSlotReserveWal();
		ReplicationSlotMarkDirty();
		ReplicationSlotSave();
	}
	*restart = MyReplicationSlot->data.restart_lsn;
	return true;
}

/*
 * A slot created while the log already has entries (a promoted standby: a
 * primary's slots are not replicated; or a slot dropped while juki was
 * stopped) reserves WAL only from the last checkpoint's redo point, but
 * records replicated or written before it may not be filed yet.  Hold and
 * read from the oldest WAL segment still in pg_wal instead: the writer then
 * files what it holds and can tell whether anything is missing.
 */
XLogRecPtr
juki_slot_reserve_oldest(XLogRecPtr restart)
{
	DIR		   *dir;
	struct dirent *de;
	XLogSegNo	oldest = 0;
	XLogRecPtr	lsn;

	if (MyReplicationSlot == NULL)
		return restart;
	dir = AllocateDir(XLOGDIR);
	while ((de = ReadDir(dir, XLOGDIR)) != NULL)
	{
		TimeLineID	tli = 0;
		XLogSegNo	segno = 0;	/* not "seg": XLogFromFileName declares one */

		if (!IsXLogFileName(de->d_name))
			continue;
		XLogFromFileName(de->d_name, &tli, &segno, wal_segment_size);
		if (oldest == 0 || segno < oldest)
			oldest = segno;
	}
	FreeDir(dir);
	if (oldest == 0)
		return restart;
	for (;;)
	{
		XLogSegNo	removed = XLogGetLastRemovedSegno();

		if (oldest <= removed)
			oldest = removed + 1;
		XLogSegNoOffsetToRecPtr(oldest, 0, wal_segment_size, lsn);
		if (lsn >= restart)
			return restart;
		SpinLockAcquire(&MyReplicationSlot->mutex);
		MyReplicationSlot->data.restart_lsn = lsn;
		SpinLockRelease(&MyReplicationSlot->mutex);
		ReplicationSlotsComputeRequiredLSN();

		/*
		 * A checkpoint running now (the one that ends recovery after a
		 * promotion) may have chosen what to remove before the slot held
		 * it: then it invalidates the slot and stops this writer, and the
		 * next start records the slot's loss (wal_retention_lost).  Never
		 * wait for that checkpoint here: it waits for us to let go of the
		 * slot.
		 */
		if (XLogGetLastRemovedSegno() < oldest)
			break;
	}
	ReplicationSlotMarkDirty();
	ReplicationSlotSave();
	return lsn;
}

/* The lowest seq the reader has met since juki_filing_start (-1: none). */
int64
juki_filing_first_seq(void)
{
	return first_seq_seen;
}

/* No unfiled record begins before to: let WAL before it go. */
void
juki_slot_advance(XLogRecPtr to)
{
	ReplicationSlot *slot = MyReplicationSlot;

	if (slot == NULL || XLogRecPtrIsInvalid(to))
		return;
	SpinLockAcquire(&slot->mutex);
	if (to <= slot->data.restart_lsn)
	{
		SpinLockRelease(&slot->mutex);
		return;
	}
	slot->data.restart_lsn = to;
	SpinLockRelease(&slot->mutex);
	/* saved to disk at the next checkpoint, before that removes any WAL */
	ReplicationSlotMarkDirty();
	ReplicationSlotsComputeRequiredLSN();
	/* standbys keep their own slot there (slot_keeper.c) */
	juki_wal_log_filed(to);
}

/* ---------------------------------------------------------------- reader */

void
juki_filing_start(XLogRecPtr from)
{
	XLogSegNo	removed = XLogGetLastRemovedSegno();
	XLogSegNo	seg;

	if (reader == NULL)
	{
		MemoryContext old;

		reader_cxt = AllocSetContextCreate(TopMemoryContext, "juki WAL reader",
										   ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(reader_cxt);

		reader_private = palloc0(sizeof(ReadLocalXLogPageNoWaitPrivate));
		reader = XLogReaderAllocate(wal_segment_size, NULL,
									XL_ROUTINE(.page_read = &read_local_xlog_page_no_wait,
											   .segment_open = &wal_segment_open,
											   .segment_close = &wal_segment_close),
									reader_private);
		MemoryContextSwitchTo(old);
		if (reader == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory while allocating juki's WAL reader")));
	}

	/*
	 * The slot's restart_lsn on disk may lag the one a checkpoint used to
	 * remove segments; what lies in removed segments was filed already.
	 */
	XLByteToSeg(from, seg, wal_segment_size);
	if (removed > 0 && seg <= removed)
		XLogSegNoOffsetToRecPtr(removed + 1, 0, wal_segment_size, from);
	if (from < XLOG_BLCKSZ)
		from = XLOG_BLCKSZ;
	find_from = from;
	read_lsn = InvalidXLogRecPtr;
	first_seq_seen = -1;
}

/* Position on the first record at or after find_from; false: not yet in WAL. */
static bool
find_start(void)
{
	XLogRecPtr	first;
	MemoryContext old;

	if (XLogRecPtrIsInvalid(find_from))
		return true;
	if (find_from >= GetFlushRecPtr(NULL))
		return false;
	reader_private->end_of_wal = false;
	old = MemoryContextSwitchTo(reader_cxt);
	first = XLogFindNextRecord(reader, find_from);
	MemoryContextSwitchTo(old);
	if (XLogRecPtrIsInvalid(first))
	{
		if (reader_private->end_of_wal)
			return false;
		ereport(ERROR,
				(errmsg("juki's audit writer cannot find a WAL record after %X/%X",
						LSN_FORMAT_ARGS(find_from))));
	}
	read_lsn = first;
	find_from = InvalidXLogRecPtr;
	return true;
}

int
juki_filing_read(JukiWalRead *out, int max, int64 stop_seq, int64 skip_below)
{
	int			n = 0;
	MemoryContext caller = CurrentMemoryContext;

	Assert(reader != NULL);
	if (!find_start())
		return 0;
	if (read_lsn >= GetFlushRecPtr(NULL))
		return 0;
	XLogBeginRead(reader, read_lsn);
	reader_private->end_of_wal = false;
	while (n < max)
	{
		char	   *errormsg = NULL;
		XLogRecord *rec;
		JukiWalEntry hdr;
		const char *payload;

		MemoryContextSwitchTo(reader_cxt);
		rec = XLogReadRecord(reader, &errormsg);
		MemoryContextSwitchTo(caller);
		if (rec == NULL)
		{
			if (reader_private->end_of_wal)
				break;
			ereport(ERROR,
					(errmsg("juki's audit writer could not read WAL at %X/%X: %s",
							LSN_FORMAT_ARGS(reader->EndRecPtr),
							errormsg ? errormsg : "unknown error")));
		}
		if (!juki_wal_decode(reader, &hdr, &payload))
		{
			if (juki_wal_malformed_entry(reader))
				ereport(WARNING,
						(errmsg("juki's audit writer found a malformed record of its own at %X/%X",
								LSN_FORMAT_ARGS(reader->ReadRecPtr))));
			read_lsn = reader->EndRecPtr;
			continue;
		}
		if (first_seq_seen < 0 || hdr.seq < first_seq_seen)
			first_seq_seen = hdr.seq;
		if (hdr.seq > stop_seq)
			break;				/* read_lsn stays at its start */
		read_lsn = reader->EndRecPtr;
		if (hdr.seq < skip_below)
			continue;
		out[n].seq = hdr.seq;
		out[n].ts_unix_us = hdr.ts_unix_us;
		memcpy(out[n].hash, hdr.hash, JK_HASH_LEN);
		out[n].payload = palloc(hdr.payload_len + 1);
		memcpy(out[n].payload, payload, hdr.payload_len);
		out[n].payload[hdr.payload_len] = '\0';
		out[n].payload_len = hdr.payload_len;
		out[n].end = reader->EndRecPtr;
		n++;
	}
	return n;
}

XLogRecPtr
juki_filing_position(void)
{
	return XLogRecPtrIsInvalid(read_lsn) ? find_from : read_lsn;
}
