/*-------------------------------------------------------------------------
 * queue.c
 *		Shared-memory ring of audit records waiting for the writer.
 *
 * Backends append flattened records (record.c, append.c) and receive a ticket: the
 * ring positions of their record.  The single audit writer copies out
 * everything between tail and head, chains and inserts it, commits with
 * synchronous commit, and only then advances tail and durable_upto and
 * wakes the waiters.  A record therefore leaves the ring only once it is
 * durable: if the writer dies with an ERROR, its successor finds the same
 * records again.  A crash of any process re-creates shared memory, but then
 * every backend that could be waiting has been killed too, so nothing
 * acknowledged is ever lost.  Sequence numbers are given by the writer, not
 * here, so the chain has no gaps whatever happens to a batch.
 *
 * The writer never takes ring space for an entry of its own (checkpoint,
 * logical slot, worker_stop): only it frees space, so waiting for room would
 * wait on itself.  It takes a mark instead (the head and the time, under the
 * lock) and writes its entry between the records before and after the mark.
 *
 * A waiter that gives up (timeout, cancel, exit) withdraws its record: it
 * stays queued, is written as decided, and the writer follows it with a
 * "withheld" entry, because the client never received the answer.  If the
 * record was already written when the writer learns of it, the writer keeps
 * the withheld entry in the pending array until it is durable too.
 *
 * Locking protocol:
 *	- lock (LWLock, tranche "juki_audit_queue") guards head, tail,
 *	  accepting, writer_pid, writer_latch, last_seq, the checkpoint
 *	  counters, the pending array, and the withdrawn fields of every queued
 *	  header.  Producers hold it exclusively while they stamp ts and copy
 *	  their record into the ring, so ring order = ts order = chain order;
 *	  marks and withdrawals are stamped under it too, so they have a place
 *	  in that order.
 *	- The other bytes in [tail, head) are immutable: producers write only
 *	  past head, into space freed by tail.  The writer therefore copies them
 *	  out without the lock, after reading head and the withdrawn fields
 *	  under it (the copy's withdrawn fields are never used).
 *	- A withdrawal is refused once tail has passed the record (it is
 *	  durable); the writer reads the withdrawn fields again, under the lock,
 *	  in the same hold in which it advances tail.  So every withdrawal is
 *	  seen by the writer, either when it takes the batch or when it
 *	  releases it.
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

#include "core/settings.h"
#include "queue.h"
#include "core/context.h"

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
	int			npending;		/* withheld entries still to write */
	int			max_pending;	/* the pending array follows the ring */

	Size		size;			/* bytes in ring, MAXALIGNed */
	char		ring[FLEXIBLE_ARRAY_MEMBER];
} JukiAuditQueue;

static JukiAuditQueue *queue = NULL;

/*
 * A backend waits for one record at a time and withdraws at most that one;
 * the writer writes pending withheld entries with its next batch.  Twice the
 * backends leaves room for a batch that is retried after a writer error.
 */
static int
max_pending(void)
{
	return 2 * MaxBackends + 16;
}

static Size
queue_ring_size(void)
{
	return MAXALIGN_DOWN((Size) juki_audit_queue_size_kb * 1024);
}

static Size
queue_shmem_size(void)
{
	return add_size(add_size(offsetof(JukiAuditQueue, ring), queue_ring_size()),
					mul_size(sizeof(JukiWithheld), max_pending()));
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
		queue->max_pending = max_pending();
		queue->npending = 0;
	}
	LWLockRelease(AddinShmemInitLock);
}

static JukiWithheld *
pending_array(void)
{
	return (JukiWithheld *) (queue->ring + queue->size);
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
 * Append a record; on success *ticket says where it lies (its end is the
 * position to wait for).  Waits for room until juki.audit_wait_timeout;
 * returns false with *why if the record cannot be queued (no room in time,
 * shutting down).  Never called by the writer (see juki_queue_mark).
 */
bool
juki_queue_put(const char *payload, Size len, JukiTicket *ticket, const char **why)
{
	Size		need = MAXALIGN(sizeof(JukiQueuedHeader) + len);
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   juki_audit_wait_timeout_ms);
	bool		sleeping = false;

	Assert(queue != NULL);
	Assert(!juki_is_audit_writer);
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
				/*
				 * mark the rest of the ring unused; ring size and records
				 * are MAXALIGNed, so len and magic always fit
				 */
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
			h->withdrawn = JUKI_WITHHOLD_NONE;
			h->withdrawn_at = 0;
			h->withdrawn_ts = 0;
			h->ts = GetCurrentTimestamp();
			memcpy(queue->ring + pos + sizeof(JukiQueuedHeader), payload, len);
			ticket->start = queue->head;
			queue->head += need;
			ticket->end = queue->head;
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

/* Sleep until the record ending at ticket is durable; false if deadline passes. */
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

/*
 * The waiter gives up on its record: mark it withdrawn, so that the writer
 * follows it with a withheld entry.  False if the record is already durable
 * (tail has passed it): then the caller may go on as if it had waited.
 */
bool
juki_queue_withdraw(const JukiTicket *ticket, JukiWithholdCause cause)
{
	JukiQueuedHeader *h;
	bool		withdrawn = false;

	Assert(cause != JUKI_WITHHOLD_NONE);
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	if (queue->tail < ticket->end)
	{
		h = (JukiQueuedHeader *) (queue->ring + ticket->start % queue->size);
		if (h->magic != JUKI_QUEUE_MAGIC || ticket->end - ticket->start != h->len)
			elog(PANIC, "juki audit queue is corrupt at position " UINT64_FORMAT, ticket->start);
		if (h->withdrawn == JUKI_WITHHOLD_NONE)
		{
			h->withdrawn = (uint32) cause;
			h->withdrawn_at = queue->head;
			h->withdrawn_ts = GetCurrentTimestamp();
		}
		withdrawn = true;
	}
	LWLockRelease(queue->lock);
	return withdrawn;
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
 * A place in ring order for an entry of the writer's own: the head and the
 * time, under the lock.  Records queued before it have an earlier time and
 * a position below *pos; records queued after it, a later time and a
 * position at or above *pos.
 */
void
juki_queue_mark(uint64 *pos, TimestampTz *ts)
{
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	*pos = queue->head;
	*ts = GetCurrentTimestamp();
	LWLockRelease(queue->lock);
}

/*
 * Take the queued records below stop_at (PG_UINT64_MAX: all) into one
 * palloc'd batch, in ring order, with what each one's withdrawn fields say
 * now, and a copy of the pending withheld entries.  b->upto is the ring
 * position to pass to juki_queue_release_batch after commit.
 */
void
juki_queue_take_batch(uint64 stop_at, JukiBatch *b)
{
	uint64		head;
	uint64		tail;
	uint64		p;
	Size		n = 0;
	int			i;
	int			count = 0;

	memset(b, 0, sizeof(*b));
	LWLockAcquire(queue->lock, LW_SHARED);
	head = Min(queue->head, stop_at);
	tail = queue->tail;
	Assert(head >= tail);
	/* note the records and their withdrawn fields while they hold */
	for (p = tail; p < head;)
	{
		JukiQueuedHeader *h = (JukiQueuedHeader *) (queue->ring + p % queue->size);

		/* a wrap marker may be shorter than a header: only len and magic */
		if (h->len > head - p ||
			(h->magic == JUKI_QUEUE_MAGIC && h->len < sizeof(JukiQueuedHeader)) ||
			(h->magic == JUKI_QUEUE_WRAP && h->len < MAXALIGN(2 * sizeof(uint32))) ||
			(h->magic != JUKI_QUEUE_MAGIC && h->magic != JUKI_QUEUE_WRAP))
			elog(PANIC, "juki audit queue is corrupt at position " UINT64_FORMAT, p);
		if (h->magic == JUKI_QUEUE_MAGIC)
		{
			JukiBatchRecord *r;

			if (b->nrecords == count)
			{
				count = Max(16, count * 2);
				b->records = b->records ? repalloc(b->records, sizeof(JukiBatchRecord) * count)
					: palloc(sizeof(JukiBatchRecord) * count);
			}
			r = &b->records[b->nrecords++];
			memset(r, 0, sizeof(*r));
			r->pos = p;
			r->withdrawn = (JukiWithholdCause) h->withdrawn;
			r->withdrawn_at = h->withdrawn_at;
			r->withdrawn_ts = h->withdrawn_ts;
			r->seq = -1;
		}
		p += h->len;
	}
	b->npending = queue->npending;
	b->pending = palloc0(sizeof(JukiWithheld) * Max(queue->npending, 1));
	memcpy(b->pending, pending_array(), sizeof(JukiWithheld) * queue->npending);
	LWLockRelease(queue->lock);

	b->upto = head;
	if (b->nrecords == 0)
		return;
	/* the bytes below head are immutable: copy them without the lock */
	b->buf = palloc(head - tail);
	for (i = 0; i < b->nrecords; i++)
	{
		JukiBatchRecord *r = &b->records[i];
		JukiQueuedHeader *h = (JukiQueuedHeader *) (queue->ring + r->pos % queue->size);

		if (h->payload_len > h->len - sizeof(JukiQueuedHeader))
			elog(PANIC, "juki audit queue is corrupt at position " UINT64_FORMAT, r->pos);
		memcpy(b->buf + n, (char *) h + sizeof(JukiQueuedHeader), h->payload_len);
		r->payload = b->buf + n;
		r->payload_len = h->payload_len;
		r->ts = h->ts;
		n += h->payload_len;
	}
}

/*
 * After commit: free the ring up to b->upto and wake everyone whose record
 * it held.  In the same hold of the lock, records withdrawn since they were
 * taken, whose withheld entry is not in this batch, join the pending array,
 * and the pending entries this batch wrote leave it.
 */
void
juki_queue_release_batch(JukiBatch *b, int64 last_seq)
{
	JukiWithheld *pend = pending_array();
	int			i;
	int			j;
	int			lost = 0;

	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	Assert(b->upto >= queue->tail && b->upto <= queue->head);
	/* pending entries written now are done (matched by seq, unique) */
	for (i = 0; i < b->npending; i++)
	{
		if (!b->pending[i].written)
			continue;
		for (j = 0; j < queue->npending; j++)
			if (pend[j].seq == b->pending[i].seq)
			{
				pend[j] = pend[--queue->npending];
				break;
			}
	}
	for (i = 0; i < b->nrecords; i++)
	{
		JukiBatchRecord *r = &b->records[i];
		JukiQueuedHeader *h = (JukiQueuedHeader *) (queue->ring + r->pos % queue->size);

		if (h->withdrawn == JUKI_WITHHOLD_NONE || r->withheld_written || r->seq < 0)
			continue;
		if (queue->npending >= queue->max_pending)
		{
			lost++;
			continue;
		}
		pend[queue->npending].seq = r->seq;
		pend[queue->npending].pos = h->withdrawn_at;
		pend[queue->npending].ts = h->withdrawn_ts;
		pend[queue->npending].pid = r->pid;
		pend[queue->npending].cause = (JukiWithholdCause) h->withdrawn;
		pend[queue->npending].written = false;
		queue->npending++;
	}
	queue->tail = b->upto;
	queue->last_seq = last_seq;
	LWLockRelease(queue->lock);
	if (lost > 0)
		ereport(WARNING,
				(errmsg("juki could not keep %d withheld entries for the operation log", lost)));
	pg_atomic_write_u64(&queue->durable_upto, b->upto);

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
