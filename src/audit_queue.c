/*-------------------------------------------------------------------------
 * audit_queue.c
 *		Shared-memory ring of audit records waiting for the writer.
 *
 * Backends append flattened records (audit.c) and receive a ticket: the
 * ring position just past their record.  The single audit writer copies
 * out everything between tail and head, chains and inserts it, commits
 * with synchronous commit, and only then advances tail and durable_upto
 * and wakes the waiters.  A record therefore leaves the ring only once it
 * is durable: if the writer dies with an ERROR, its successor finds the
 * same records again.  A crash of any process re-creates shared memory,
 * but then every backend that could be waiting has been killed too, so
 * nothing acknowledged is ever lost.  Sequence numbers are given by the
 * writer, not here, so the chain has no gaps whatever happens to a batch.
 *
 * Locking protocol:
 *	- lock (LWLock, tranche "juki_audit_queue") guards head, tail,
 *	  accepting, writer_pid, writer_latch, last_seq and the checkpoint
 *	  counters.  Producers hold it exclusively while they stamp ts and copy
 *	  their record into the ring, so ring order = ts order = chain order.
 *	- The bytes in [tail, head) are immutable: producers write only past
 *	  head, into space freed by tail.  The writer therefore copies them out
 *	  without the lock, after reading head under it.
 *	- durable_upto is an atomic, written only by the writer after commit
 *	  (and after tail), read without the lock by waiters; it only grows.
 *	- Waiters sleep on durable_cv, producers short of room on space_cv,
 *	  checkpoint requesters on checkpoint_cv.  After a commit the writer
 *	  signals one durable_cv waiter and raises pass_wakeup; the first waiter
 *	  to leave its wait clears the flag and broadcasts to the rest.  Waking
 *	  a process costs a signal, and on a small machine waking a whole batch
 *	  from the writer delayed the next batch by a quarter of its time; a
 *	  signalled waiter always passes its wake-up on before it returns or
 *	  sleeps again, so nobody is left waiting for the deadline.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "juki.h"
#include "audit_queue.h"

typedef struct JukiAuditQueue
{
	LWLock	   *lock;
	ConditionVariable durable_cv;
	ConditionVariable space_cv;
	ConditionVariable checkpoint_cv;
	pg_atomic_uint64 durable_upto;
	pg_atomic_uint32 pass_wakeup;	/* a waiter must broadcast durable_cv */

	/* protected by lock */
	uint64		head;			/* ring position of the next record */
	uint64		tail;			/* ring position of the oldest undurable one */
	bool		accepting;		/* false once the writer drains for shutdown */
	int			writer_pid;
	Latch	   *writer_latch;
	int64		last_seq;		/* seq of the last durable entry, -1 unknown */
	uint64		checkpoint_requests;
	uint64		checkpoints_done;

	Size		size;			/* bytes in ring, MAXALIGNed */
	char		ring[FLEXIBLE_ARRAY_MEMBER];
} JukiAuditQueue;

static JukiAuditQueue *queue = NULL;

static Size
queue_ring_size(void)
{
	return MAXALIGN_DOWN((Size) juki_audit_queue_size_kb * 1024);
}

static Size
queue_shmem_size(void)
{
	return add_size(offsetof(JukiAuditQueue, ring), queue_ring_size());
}

void
juki_queue_shmem_request(void)
{
	RequestAddinShmemSpace(queue_shmem_size());
	RequestNamedLWLockTranche("juki_audit_queue", 1);
}

void
juki_queue_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	queue = ShmemInitStruct("juki audit queue", queue_shmem_size(), &found);
	if (!found)
	{
		memset(queue, 0, offsetof(JukiAuditQueue, ring));
		queue->lock = &(GetNamedLWLockTranche("juki_audit_queue"))->lock;
		ConditionVariableInit(&queue->durable_cv);
		ConditionVariableInit(&queue->space_cv);
		ConditionVariableInit(&queue->checkpoint_cv);
		pg_atomic_init_u64(&queue->durable_upto, 0);
		pg_atomic_init_u32(&queue->pass_wakeup, 0);
		queue->accepting = true;
		queue->last_seq = -1;
		queue->size = queue_ring_size();
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Largest record the ring takes: half of it, so a wrap always fits. */
Size
juki_queue_max_record(void)
{
	return queue_ring_size() / 2 - sizeof(JukiQueuedHeader);
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

/*
 * Append a record; on success *ticket is the position to wait for.  Waits
 * for room until juki.audit_wait_timeout; returns false with *why if the
 * record cannot be queued (no room in time, shutting down).
 */
bool
juki_queue_put(const char *payload, Size len, uint64 *ticket, const char **why)
{
	Size		need = MAXALIGN(sizeof(JukiQueuedHeader) + len);
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   juki_audit_wait_timeout_ms);
	bool		sleeping = false;

	Assert(queue != NULL);
	if (len > juki_queue_max_record())
	{
		*why = "the record is larger than half of juki.audit_queue_size";
		return false;
	}

	for (;;)
	{
		uint64		pos;
		Size		room_at_end;
		Size		waste;
		Latch	   *latch;

		LWLockAcquire(queue->lock, LW_EXCLUSIVE);
		if (!queue->accepting)
		{
			LWLockRelease(queue->lock);
			if (sleeping)
				ConditionVariableCancelSleep();
			*why = "the audit writer is shutting down";
			return false;
		}
		pos = queue->head % queue->size;
		room_at_end = queue->size - pos;
		waste = room_at_end < need ? room_at_end : 0;
		if (queue->size - (queue->head - queue->tail) >= need + waste)
		{
			JukiQueuedHeader *h;

			if (waste > 0)
			{
				/* mark the rest of the ring unused; ring size is MAXALIGNed */
				h = (JukiQueuedHeader *) (queue->ring + pos);
				h->len = (uint32) waste;
				h->magic = JUKI_QUEUE_WRAP;
				queue->head += waste;
				pos = 0;
			}
			h = (JukiQueuedHeader *) (queue->ring + pos);
			h->len = (uint32) need;
			h->magic = JUKI_QUEUE_MAGIC;
			h->payload_len = (uint32) len;
			h->ts = GetCurrentTimestamp();
			memcpy(queue->ring + pos + sizeof(JukiQueuedHeader), payload, len);
			queue->head += need;
			*ticket = queue->head;
			latch = queue->writer_latch;
			LWLockRelease(queue->lock);
			if (sleeping)
				ConditionVariableCancelSleep();
			if (latch)
				SetLatch(latch);
			return true;
		}
		LWLockRelease(queue->lock);

		/* no room: the writer is behind or absent; wait for it, bounded */
		if (!sleeping)
		{
			ConditionVariablePrepareToSleep(&queue->space_cv);
			sleeping = true;
			continue;
		}
		if (ms_until(deadline) == 0)
		{
			ConditionVariableCancelSleep();
			*why = "the audit queue stayed full for juki.audit_wait_timeout";
			return false;
		}
		ConditionVariableTimedSleep(&queue->space_cv, ms_until(deadline),
									PG_WAIT_EXTENSION);
	}
}

/* The writer's wake-up reached us: wake the other waiters (once per commit). */
static void
pass_wakeup_on(void)
{
	if (pg_atomic_read_u32(&queue->pass_wakeup) != 0 &&
		pg_atomic_exchange_u32(&queue->pass_wakeup, 0) != 0)
		ConditionVariableBroadcast(&queue->durable_cv);
}

/* Sleep until the record at ticket is durable; false if deadline passes. */
bool
juki_queue_wait(uint64 ticket, TimestampTz deadline)
{
	bool		done = true;

	if (pg_atomic_read_u64(&queue->durable_upto) >= ticket)
	{
		pass_wakeup_on();
		return true;
	}
	ConditionVariablePrepareToSleep(&queue->durable_cv);
	while (pg_atomic_read_u64(&queue->durable_upto) < ticket)
	{
		long		ms = ms_until(deadline);

		if (ms == 0)
		{
			done = false;
			break;
		}
		/*
		 * At most 100 ms at a time: if the waiter the writer signalled is
		 * cancelled before it passes the wake-up on, the others still look.
		 */
		ConditionVariableTimedSleep(&queue->durable_cv, Min(ms, 100), PG_WAIT_EXTENSION);
		pass_wakeup_on();
	}
	ConditionVariableCancelSleep();
	pass_wakeup_on();
	return done;
}

/*
 * The ring position just past every record queued so far: waiting for it
 * waits until all of them are durable (form_ledger.c, before a serial).
 */
uint64
juki_queue_position(void)
{
	uint64		head;

	LWLockAcquire(queue->lock, LW_SHARED);
	head = queue->head;
	LWLockRelease(queue->lock);
	return head;
}

void
juki_queue_wake_writer(void)
{
	Latch	   *latch;

	LWLockAcquire(queue->lock, LW_SHARED);
	latch = queue->writer_latch;
	LWLockRelease(queue->lock);
	if (latch)
		SetLatch(latch);
}

void
juki_queue_status(JukiQueueStatus *st)
{
	LWLockAcquire(queue->lock, LW_SHARED);
	st->writer_pid = queue->writer_pid;
	st->accepting = queue->accepting;
	st->queued_bytes = queue->head - queue->tail;
	st->capacity = queue->size;
	st->last_seq = queue->last_seq;
	st->checkpoints_done = queue->checkpoints_done;
	LWLockRelease(queue->lock);
}

/* ---------------------------------------------------------------- writer */

void
juki_queue_writer_attach(void)
{
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	queue->writer_pid = MyProcPid;
	queue->writer_latch = &MyProc->procLatch;
	queue->accepting = true;
	LWLockRelease(queue->lock);
	/* producers that found the ring full, and waiters, re-check now */
	ConditionVariableBroadcast(&queue->space_cv);
}

/* on_shmem_exit: nobody is to set a latch that is going away */
void
juki_queue_writer_detach(int code, Datum arg)
{
	if (queue == NULL)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	if (queue->writer_pid == MyProcPid)
	{
		queue->writer_pid = 0;
		queue->writer_latch = NULL;
	}
	LWLockRelease(queue->lock);
}

/* Shutdown: refuse new records, so the final drain leaves nothing behind. */
void
juki_queue_stop_accepting(void)
{
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	queue->accepting = false;
	LWLockRelease(queue->lock);
	ConditionVariableBroadcast(&queue->space_cv);
}

/*
 * Copy every queued record into one palloc'd buffer (wrap markers dropped),
 * in ring order.  Returns its length (0: nothing queued) and, in *upto, the
 * ring position to pass to juki_queue_release after commit.
 */
Size
juki_queue_take(char **buf, uint64 *upto)
{
	uint64		head;
	uint64		tail;
	uint64		p;
	Size		n = 0;

	LWLockAcquire(queue->lock, LW_SHARED);
	head = queue->head;
	tail = queue->tail;
	LWLockRelease(queue->lock);

	*upto = head;
	if (head == tail)
		return 0;
	*buf = palloc(head - tail);
	for (p = tail; p < head;)
	{
		JukiQueuedHeader *h = (JukiQueuedHeader *) (queue->ring + p % queue->size);

		if (h->magic == JUKI_QUEUE_WRAP)
		{
			p += h->len;
			continue;
		}
		if (h->magic != JUKI_QUEUE_MAGIC || h->len < sizeof(JukiQueuedHeader) ||
			h->len > head - p || h->payload_len > h->len - sizeof(JukiQueuedHeader))
			elog(PANIC, "juki audit queue is corrupt at position " UINT64_FORMAT, p);
		memcpy(*buf + n, h, h->len);
		n += h->len;
		p += h->len;
	}
	return n;
}

/* After commit: free the ring up to upto, wake everyone whose record it held. */
void
juki_queue_release(uint64 upto, int64 last_seq)
{
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	Assert(upto >= queue->tail && upto <= queue->head);
	queue->tail = upto;
	queue->last_seq = last_seq;
	LWLockRelease(queue->lock);
	pg_atomic_write_u64(&queue->durable_upto, upto);
	/*
	 * One signal from here; the waiter it reaches wakes the others.  With
	 * nobody asleep the flag costs the next leaving waiter one broadcast.
	 */
	pg_atomic_write_u32(&queue->pass_wakeup, 1);
	ConditionVariableSignal(&queue->durable_cv);
	ConditionVariableBroadcast(&queue->space_cv);
}

/* The writer wrote entries of its own outside a batch (start, stop). */
void
juki_queue_note_seq(int64 last_seq)
{
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	queue->last_seq = last_seq;
	LWLockRelease(queue->lock);
}

/* --------------------------------------------------- on-demand checkpoints */

uint64
juki_queue_request_checkpoint(void)
{
	uint64		req;

	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	req = ++queue->checkpoint_requests;
	LWLockRelease(queue->lock);
	juki_queue_wake_writer();
	return req;
}

bool
juki_queue_checkpoint_requested(uint64 *req)
{
	bool		pending;

	LWLockAcquire(queue->lock, LW_SHARED);
	*req = queue->checkpoint_requests;
	pending = queue->checkpoint_requests > queue->checkpoints_done;
	LWLockRelease(queue->lock);
	return pending;
}

void
juki_queue_checkpoint_done(uint64 req)
{
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	if (req > queue->checkpoints_done)
		queue->checkpoints_done = req;
	LWLockRelease(queue->lock);
	ConditionVariableBroadcast(&queue->checkpoint_cv);
}

bool
juki_queue_wait_checkpoint(uint64 req, TimestampTz deadline)
{
	bool		done;

	ConditionVariablePrepareToSleep(&queue->checkpoint_cv);
	for (;;)
	{
		long		ms;

		LWLockAcquire(queue->lock, LW_SHARED);
		done = queue->checkpoints_done >= req;
		LWLockRelease(queue->lock);
		ms = ms_until(deadline);
		if (done || ms == 0)
			break;
		ConditionVariableTimedSleep(&queue->checkpoint_cv, ms, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return done;
}
