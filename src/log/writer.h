/*-------------------------------------------------------------------------
 * writer.h
 *		The audit writer's state and what its files share (writer.c:
 *		batches, inserting, start; writer_own.c: checkpoints,
 *		worker_stop, logical slots, the planner-statistics sweep;
 *		continuity.c: promotion, restore, what may be signed).  Only
 *		the writer process uses these.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_AUDIT_WRITER_H
#define JUKI_AUDIT_WRITER_H

#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "utils/palloc.h"

#include "format/hash.h"
#include "format/entry.h"
#include "signing.h"

#define UNIX_EPOCH_OFFSET_US \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

typedef struct WriterState
{
	int64		next_seq;
	uint8		head[JK_HASH_LEN];
	uint8		origin[JK_HASH_LEN];
	int64		last_checkpoint_seq;
	TimestampTz last_checkpoint_at;
	char		last_problem[256];	/* last checkpoint problem put on record */
	int64		last_ts;		/* unix µs of the last entry filed, 0 unknown */
	bool		last_clean;		/* the last entry filed is worker_stop or genesis */
	XLogRecPtr	slot_target;	/* move the slot here once slot_commit is flushed */
	XLogRecPtr	slot_commit;
	MemoryContext batch_cxt;
	List	   *seen_slots;		/* logical slots already on record (names) */
	TimestampTz last_statistics_sweep;	/* guard_catalog.c */
} WriterState;

/* writer.c */
extern char *juki_writer_file_upto(WriterState *ws, int64 stop_seq, JukiSigningKey *key);
extern void juki_writer_own_in_order(WriterState *ws, const char *action, const char *outcome,
									 const char *reason, const char *detail);

/*
 * The guard's repair of planner statistics of personal data
 * (guard/guard_catalog.c), run by the writer in a transaction of its own at
 * start and every 10 seconds; it returns the detail of the entry to write,
 * or NULL.  Set by juki.c: the guard is above the log.
 */
extern char *(*juki_statistics_sweep_hook) (void);

/* writer_own.c */
extern void juki_writer_checkpoint(WriterState *ws);
extern void juki_writer_stop(WriterState *ws);
extern void juki_writer_note_slots(WriterState *ws);
extern void juki_writer_sweep_statistics(WriterState *ws);

/*
 * continuity.c: after the chain head is recovered, record a promotion or a
 * lost range; before signing, whether a checkpoint of the head would
 * contradict one already published (false: a reason code,
 * checkpoint_fork or behind_published_checkpoint, and a message).
 */
extern void juki_continuity_at_start(WriterState *ws);
extern bool juki_continuity_may_sign(WriterState *ws, const char **code,
									 char *msg, size_t msglen);

#endif							/* JUKI_AUDIT_WRITER_H */
