/*-------------------------------------------------------------------------
 * verify_scan.c
 *		verify_log's reading of the log (issue 17: verification at a
 *		million entries a second).  What one entry says about itself, its
 *		canonical form, its recomputed chain hash against the stored one
 *		and its Merkle leaf hash, needs no other entry: that is nearly all
 *		the work, and parallel workers do it over ranges of the heap.  The
 *		caller (verify.c) gets the entries in seq order and checks what
 *		links them: seq without a gap, prev_hash as the hash before, the
 *		tree, the checkpoints.
 *
 * The heap is cut into chunks of CHUNK_BLOCKS blocks.  Each participant
 * (the leader too) claims the next chunk, reads its rows with the leader's
 * snapshot and writes one JukiVEntry per row, in heap order, into the
 * chunk's slot of shared memory.  The leader hands the slots over in chunk
 * order.  The writer appends in seq order, so heap order is seq order; where
 * it is not (a row moved, a gap, more rows in a chunk than a slot holds)
 * the leader stops the workers and reads on from the seq it expects through
 * the primary key, as scan.c does for a single reader.  With no worker
 * (juki.verify_workers = 0, none free, or a short log) the leader reads
 * every chunk itself in the same way.
 *
 * Locking protocol (the shared state, in the parallel context's DSM):
 * - mutex (a spinlock) guards next_chunk, merged, stop and every slot's
 *   state and chunk; nothing else is done while holding it.
 * - A participant may claim chunk c = next_chunk only if c < merged + nslots:
 *   c's slot (c % nslots) was then released by the leader.  It sets the slot
 *   BUSY, fills the entries and the slot's count and overflow without the
 *   lock (nobody else touches a BUSY slot), then sets it DONE under the lock
 *   (which orders those writes before it) and broadcasts the condition
 *   variable.
 * - Only the leader reads a DONE slot, the one of chunk `merged`; when it
 *   has handed over its entries it sets it FREE, increments merged and
 *   broadcasts.  Everyone waits on the condition variable, never spins.
 * - stop (set by the leader only) makes workers claim nothing more; the
 *   leader then waits for them to exit before it frees the segment.
 * A worker's ERROR reaches the leader through the parallel machinery at its
 * next CHECK_FOR_INTERRUPTS (its condition-variable sleep included).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/condition_variable.h"
#include "storage/spin.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "format/merkle.h"
#include "log/append.h"
#include "log/columns.h"
#include "log/record.h"
#include "log/scan.h"
#include "verify_scan.h"

#define CHUNK_BLOCKS	32
/* entries a slot holds: ~14 lookups fit a block; more rows than this end the parallel part */
#define SLOT_ENTRIES	(CHUNK_BLOCKS * 64)
#define KEY_SHARED		UINT64CONST(0x4A554B4956530001)
#define KEY_ENTRIES		UINT64CONST(0x4A554B4956530002)

typedef enum SlotState
{
	SLOT_FREE,
	SLOT_BUSY,
	SLOT_DONE
} SlotState;

typedef struct Slot
{
	SlotState	state;
	uint32		chunk;
	uint32		count;
	bool		overflow;		/* the chunk had more rows than SLOT_ENTRIES */
} Slot;

typedef struct Shared
{
	Oid			heap;
	BlockNumber nblocks;
	int64		from;
	uint32		nchunks;
	int			nslots;
	ConditionVariable cv;
	slock_t		mutex;
	/* under mutex */
	uint32		next_chunk;
	uint32		merged;
	bool		stop;
	Slot		slots[FLEXIBLE_ARRAY_MEMBER];
} Shared;

/* One participant's own means of reading. */
typedef struct Reader
{
	Relation	heap;
	TableScanDesc scan;
	TupleTableSlot *slot;
	JukiLogColumns cols;
	MemoryContext row_cxt;
	JkBuf		canon;
	JukiHasher	hasher;
} Reader;

struct JukiVScan
{
	Snapshot	snapshot;
	ParallelContext *pcxt;		/* NULL: no worker asked for */
	bool		parallel;		/* in parallel mode, snapshot pushed */
	Shared	   *sh;
	JukiVEntry *entries;
	Reader		rd;
	int64		expected;		/* the seq the next entry must have */
	bool		have_cur;		/* handing over chunk sh->merged */
	uint32		cur_pos;
	bool		chunks_done;	/* the rest comes through the index */
	bool		index_open;
	JukiLogScan iscan;
	int			launched;
};

/* ------------------------------------------------------- one entry */

static bool
text_is(TupleTableSlot *slot, int a, const char *s)
{
	text	   *t;
	size_t		len = strlen(s);

	if (a < 0 || slot->tts_isnull[a])
		return false;
	t = DatumGetTextPP(slot->tts_values[a]);
	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/*
 * Does this entry say that a checkpoint signing it was stored with it?  The
 * writer's own entries; their detail is canonical JSON, so the key and
 * value appear exactly so (a string value would have its quotes escaped).
 */
static bool
signed_here(const JukiLogColumns *cols, TupleTableSlot *slot, const char *detail, size_t len)
{
	int			action = cols->field_att[JK_F_ACTION];
	int			outcome = cols->field_att[JK_F_OUTCOME];
	const char *needle;

	/* as verify_log did with the JkEntry: action, outcome and detail not NULL */
	if (len == 0 || outcome < 0 || slot->tts_isnull[outcome])
		return false;
	if (text_is(slot, action, "checkpoint") && text_is(slot, outcome, "granted"))
		needle = "\"signs_this_entry\":true";
	else if (text_is(slot, action, "worker_stop"))
		needle = "\"shutdown_checkpoint\":true";
	else
		return false;
	return memmem(detail, len, needle, strlen(needle)) != NULL;
}

/* A row's seq; as juki_log_entry_from_slot: a NULL seq is 0. */
static int64
row_seq(const JukiLogColumns *cols, TupleTableSlot *slot)
{
	int			a = cols->field_att[JK_F_SEQ];

	if (a < 0 || slot->tts_isnull[a])
		return 0;
	return cols->field_type[JK_F_SEQ] == INT4OID ?
		DatumGetInt32(slot->tts_values[a]) : DatumGetInt64(slot->tts_values[a]);
}

/*
 * One row (slot_getallattrs done): what it says about itself.  Its canonical
 * form comes straight from the datums (log/canon_row.c), in the reader's
 * row context.
 */
static void
check_slot(Reader *rd, const JukiLogColumns *cols, TupleTableSlot *slot, JukiVEntry *ve)
{
	uint8		computed[JK_HASH_LEN];
	char		err[256];
	size_t		doff;
	size_t		dlen;
	bool		prev_ok;
	bool		hash_ok;
	MemoryContext old;

	memset(ve, 0, sizeof(*ve));
	ve->seq = row_seq(cols, slot);
	prev_ok = juki_log_hash_att(slot, cols->prev_hash_att, ve->prev);
	hash_ok = juki_log_hash_att(slot, cols->hash_att, ve->hash);
	if (prev_ok && hash_ok)
		ve->flags |= JUKI_VE_HASHES_OK;
	MemoryContextReset(rd->row_cxt);
	old = MemoryContextSwitchTo(rd->row_cxt);
	jk_buf_reset(&rd->canon);
	if (juki_log_row_canonical_direct(cols, slot, &rd->canon, &doff, &dlen))
	{
		ve->flags |= JUKI_VE_CANON_OK;
		if (signed_here(cols, slot, rd->canon.data + doff, dlen))
			ve->flags |= JUKI_VE_SIGNED_HERE;
		if (!juki_merkle_leaf_hash(&rd->hasher, rd->canon.data, rd->canon.len, ve->leaf,
								   err, sizeof(err)))
			elog(ERROR, "juki.verify_log: leaf hash: %s", err);
		if (!jk_chain_hash(ve->prev, rd->canon.data, rd->canon.len, computed))
			elog(ERROR, "juki.verify_log: SHA-256 failed");
		if (memcmp(computed, ve->hash, JK_HASH_LEN) == 0)
			ve->flags |= JUKI_VE_HASH_MATCH;
	}
	MemoryContextSwitchTo(old);
}

static void
reader_open(Reader *rd, Oid heap, Snapshot snapshot)
{
	char		err[256];

	rd->heap = table_open(heap, AccessShareLock);
	juki_log_columns_map(RelationGetDescr(rd->heap), &rd->cols);
	rd->slot = table_slot_create(rd->heap, NULL);
	/*
	 * Block ranges: no synchronized start.  A log larger than a quarter of
	 * shared_buffers is read through a small ring of buffers, as a
	 * sequential scan is, so that verifying years of log does not evict
	 * the register.
	 */
	rd->scan = table_beginscan_strat(rd->heap, snapshot, 0, NULL, true, false);
	rd->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "juki verify row",
										ALLOCSET_DEFAULT_SIZES);
	juki_buf_init(&rd->canon);
	if (!juki_hasher_init(&rd->hasher, err, sizeof(err)))
		elog(ERROR, "juki.verify_log: SHA-256: %s", err);
}

static void
reader_close(Reader *rd)
{
	if (rd->heap == NULL)
		return;
	table_endscan(rd->scan);
	ExecDropSingleTupleTableSlot(rd->slot);
	table_close(rd->heap, AccessShareLock);
	juki_hasher_free(&rd->hasher);
	MemoryContextDelete(rd->row_cxt);
	rd->heap = NULL;
}

/* The rows of one chunk into its slot (claimed: BUSY, ours alone). */
static void
read_chunk(Reader *rd, Shared *sh, uint32 chunk, Slot *slot, JukiVEntry *out)
{
	BlockNumber start = chunk * CHUNK_BLOCKS;
	uint32		n = 0;

	slot->overflow = false;
	table_rescan(rd->scan, NULL);
	heap_setscanlimits(rd->scan, start, Min(CHUNK_BLOCKS, sh->nblocks - start));
	while (table_scan_getnextslot(rd->scan, ForwardScanDirection, rd->slot))
	{
		CHECK_FOR_INTERRUPTS();
		if (n == SLOT_ENTRIES)
		{
			slot->overflow = true;
			break;
		}
		slot_getallattrs(rd->slot);
		/* purged rows are gone; nothing before from is wanted, nor decoded */
		if (row_seq(&rd->cols, rd->slot) < sh->from)
			continue;
		check_slot(rd, &rd->cols, rd->slot, &out[n++]);
	}
	slot->count = n;
}

/*
 * Claim the next chunk if its slot is free: returns its number, or -1
 * (nothing left, stopped, or no free slot).  Caller holds the mutex.
 */
static int64
claim(Shared *sh)
{
	uint32		c = sh->next_chunk;
	Slot	   *slot;

	if (sh->stop || c >= sh->nchunks || c >= sh->merged + (uint32) sh->nslots)
		return -1;
	slot = &sh->slots[c % sh->nslots];
	Assert(slot->state == SLOT_FREE);
	slot->state = SLOT_BUSY;
	slot->chunk = c;
	sh->next_chunk++;
	return c;
}

static void
read_claimed(Reader *rd, Shared *sh, JukiVEntry *entries, uint32 c)
{
	int			i = c % sh->nslots;

	read_chunk(rd, sh, c, &sh->slots[i], entries + (size_t) i * SLOT_ENTRIES);
	SpinLockAcquire(&sh->mutex);
	sh->slots[i].state = SLOT_DONE;
	SpinLockRelease(&sh->mutex);
	ConditionVariableBroadcast(&sh->cv);
}

/* ------------------------------------------------------- the workers */

PGDLLEXPORT void juki_verify_worker_main(dsm_segment *seg, shm_toc *toc);

void
juki_verify_worker_main(dsm_segment *seg, shm_toc *toc)
{
	Shared	   *sh = shm_toc_lookup(toc, KEY_SHARED, false);
	JukiVEntry *entries = shm_toc_lookup(toc, KEY_ENTRIES, false);
	Reader		rd;

	(void) seg;
	memset(&rd, 0, sizeof(rd));
	/* the leader's scan snapshot, restored as the active one */
	reader_open(&rd, sh->heap, GetActiveSnapshot());
	for (;;)
	{
		int64		c;
		bool		done;

		SpinLockAcquire(&sh->mutex);
		c = claim(sh);
		done = sh->stop || sh->next_chunk >= sh->nchunks;
		SpinLockRelease(&sh->mutex);
		if (c >= 0)
		{
			ConditionVariableCancelSleep();
			read_claimed(&rd, sh, entries, (uint32) c);
			continue;
		}
		if (done)
			break;
		ConditionVariableSleep(&sh->cv, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	reader_close(&rd);
}

/* ------------------------------------------------------- the leader */

static Size
shared_size(int nslots)
{
	return add_size(offsetof(Shared, slots), mul_size(sizeof(Slot), nslots));
}

JukiVScan *
juki_vscan_begin(int64 from, int nworkers)
{
	JukiVScan  *s = palloc0(sizeof(JukiVScan));
	Relation	heap;
	BlockNumber nblocks;
	Size		entries_size;
	int			nslots;

	/* entries appended before the scan are filed before its snapshot */
	juki_log_read_barrier();
	s->snapshot = RegisterSnapshot(GetLatestSnapshot());
	s->expected = from;
	heap = table_open(juki_log_relid("operation_log"), AccessShareLock);
	/* after the snapshot: every row it sees is in these blocks */
	nblocks = RelationGetNumberOfBlocks(heap);
	if (heap->rd_tableam != GetHeapamTableAmRoutine())
		elog(ERROR, "juki.operation_log is not a heap table");
	/* a log of a few chunks is read faster than workers start */
	if (nblocks < 4 * CHUNK_BLOCKS || IsInParallelMode())
		nworkers = 0;
	/* no more than can ever run: the shared segment is sized by it */
	nworkers = Max(Min(nworkers, max_parallel_workers), 0);
	nslots = 4 * (nworkers + 1);
	entries_size = mul_size(mul_size(sizeof(JukiVEntry), SLOT_ENTRIES), nslots);

	if (nworkers > 0)
	{
		PushActiveSnapshot(s->snapshot);
		EnterParallelMode();
		s->parallel = true;
		s->pcxt = CreateParallelContext("juki", "juki_verify_worker_main", nworkers);
		shm_toc_estimate_chunk(&s->pcxt->estimator, shared_size(nslots));
		shm_toc_estimate_chunk(&s->pcxt->estimator, entries_size);
		shm_toc_estimate_keys(&s->pcxt->estimator, 2);
		InitializeParallelDSM(s->pcxt);
		if (s->pcxt->seg == NULL)
		{
			/* no dynamic shared memory to be had: read alone */
			DestroyParallelContext(s->pcxt);
			s->pcxt = NULL;
		}
	}
	if (s->pcxt)
	{
		s->sh = shm_toc_allocate(s->pcxt->toc, shared_size(nslots));
		s->entries = shm_toc_allocate(s->pcxt->toc, entries_size);
		shm_toc_insert(s->pcxt->toc, KEY_SHARED, s->sh);
		shm_toc_insert(s->pcxt->toc, KEY_ENTRIES, s->entries);
	}
	else
	{
		nslots = 4;
		s->sh = palloc0(shared_size(nslots));
		s->entries = palloc(mul_size(mul_size(sizeof(JukiVEntry), SLOT_ENTRIES), nslots));
	}
	memset(s->sh, 0, shared_size(nslots));
	s->sh->heap = RelationGetRelid(heap);
	s->sh->nblocks = nblocks;
	s->sh->from = from;
	s->sh->nchunks = (nblocks + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS;
	s->sh->nslots = nslots;
	ConditionVariableInit(&s->sh->cv);
	SpinLockInit(&s->sh->mutex);
	table_close(heap, AccessShareLock);	/* the reader below opens it again */
	if (s->pcxt)
	{
		LaunchParallelWorkers(s->pcxt);
		s->launched = s->pcxt->nworkers_launched;
	}
	reader_open(&s->rd, s->sh->heap, s->snapshot);
	return s;
}

/* Stop the workers and leave parallel mode: the chunks are done with. */
static void
end_chunks(JukiVScan *s)
{
	if (s->chunks_done)
		return;
	s->chunks_done = true;
	SpinLockAcquire(&s->sh->mutex);
	s->sh->stop = true;
	SpinLockRelease(&s->sh->mutex);
	ConditionVariableBroadcast(&s->sh->cv);
	ConditionVariableCancelSleep();
	if (s->pcxt)
	{
		WaitForParallelWorkersToFinish(s->pcxt);
		DestroyParallelContext(s->pcxt);
		s->pcxt = NULL;
	}
	if (s->parallel)
	{
		ExitParallelMode();
		PopActiveSnapshot();
		s->parallel = false;
	}
}

/* From here on through the primary key, from the seq expected. */
static void
to_index(JukiVScan *s)
{
	end_chunks(s);
	juki_log_scan_index(&s->iscan, s->expected, s->snapshot);
	s->index_open = true;
}

/* Wait for chunk `merged` to be DONE, reading chunks meanwhile; false: none left. */
static bool
next_chunk_ready(JukiVScan *s)
{
	Shared	   *sh = s->sh;

	for (;;)
	{
		Slot	   *slot;
		int64		c;
		bool		ready;
		bool		none;

		SpinLockAcquire(&sh->mutex);
		slot = &sh->slots[sh->merged % sh->nslots];
		none = sh->merged >= sh->nchunks;
		ready = !none && slot->state == SLOT_DONE && slot->chunk == sh->merged;
		c = (none || ready) ? -1 : claim(sh);
		SpinLockRelease(&sh->mutex);
		if (none || ready)
			break;
		if (c >= 0)
		{
			ConditionVariableCancelSleep();
			read_claimed(&s->rd, sh, s->entries, (uint32) c);
			continue;
		}
		ConditionVariableSleep(&sh->cv, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return sh->merged < sh->nchunks;
}

bool
juki_vscan_next(JukiVScan *s, JukiVEntry *e)
{
	Shared	   *sh = s->sh;

	for (;;)
	{
		if (s->index_open)
		{
			if (!juki_log_scan_next_slot(&s->iscan))
				return false;
			check_slot(&s->rd, &s->iscan.cols, s->iscan.slot, e);
			s->expected = e->seq + 1;
			return true;
		}
		if (s->have_cur)
		{
			int			i = sh->merged % sh->nslots;
			Slot	   *slot = &sh->slots[i];
			const JukiVEntry *ents = s->entries + (size_t) i * SLOT_ENTRIES;
			bool		jump = false;

			while (s->cur_pos < slot->count)
			{
				const JukiVEntry *ve = &ents[s->cur_pos++];

				if (ve->seq < s->expected)
					continue;	/* an older row version, or before the range */
				if (ve->seq > s->expected)
				{
					jump = true;	/* out of heap order, or a gap */
					break;
				}
				*e = *ve;
				s->expected++;
				return true;
			}
			if (jump || slot->overflow)
			{
				/* the index decides from here */
				to_index(s);
				continue;
			}
			s->have_cur = false;
			SpinLockAcquire(&sh->mutex);
			slot->state = SLOT_FREE;
			sh->merged++;
			SpinLockRelease(&sh->mutex);
			ConditionVariableBroadcast(&sh->cv);
		}
		if (s->chunks_done || !next_chunk_ready(s))
		{
			/* the end of the heap: anything later (none) through the index */
			to_index(s);
			continue;
		}
		s->have_cur = true;
		s->cur_pos = 0;
	}
}

int
juki_vscan_workers(JukiVScan *s)
{
	return s->launched;
}

void
juki_vscan_end(JukiVScan *s)
{
	end_chunks(s);
	if (s->index_open)
		juki_log_scan_end(&s->iscan);
	reader_close(&s->rd);
	UnregisterSnapshot(s->snapshot);
}
