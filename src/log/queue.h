/*-------------------------------------------------------------------------
 * queue.h
 *		Shared-memory queue between backends (producers) and the audit
 *		writer (the single consumer).  See queue.c for the protocol.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_AUDIT_QUEUE_H
#define JUKI_AUDIT_QUEUE_H

#include "datatype/timestamp.h"

/* Header of a record in the ring; the flattened record follows (record.c). */
typedef struct JukiQueuedHeader
{
	uint32		len;			/* bytes of header + payload, MAXALIGNed */
	uint32		magic;			/* JUKI_QUEUE_MAGIC, or JUKI_QUEUE_WRAP */
	uint32		payload_len;	/* bytes of payload, without padding */
	uint32		withdrawn;		/* 0, or a JukiWithholdCause (under the lock) */
	TimestampTz ts;				/* stamped under the lock, in queue order */
	uint64		withdrawn_at;	/* ring head when it was withdrawn */
	TimestampTz withdrawn_ts;	/* and the time, stamped under the lock */
} JukiQueuedHeader;

#define JUKI_QUEUE_MAGIC	0x4a554b49	/* "JUKI" */
#define JUKI_QUEUE_WRAP		0x57524150	/* "WRAP": rest of the ring unused */

/*
 * Why a waiter gave up on its record: the client received an error, not
 * the answer, so the log must say the decision was not carried out.
 */
typedef enum JukiWithholdCause
{
	JUKI_WITHHOLD_NONE = 0,
	JUKI_WITHHOLD_TIMEOUT,		/* juki.audit_wait_timeout passed */
	JUKI_WITHHOLD_CANCEL,		/* cancelled (statement_timeout, cancel) */
	JUKI_WITHHOLD_EXIT			/* the backend ended while waiting */
} JukiWithholdCause;

/* Where a queued record lies in the ring: [start, end). */
typedef struct JukiTicket
{
	uint64		start;
	uint64		end;
} JukiTicket;

extern void juki_queue_shmem_request(void);
extern void juki_queue_shmem_startup(void);
extern Size juki_queue_max_record(void);

/* Producers (any backend). */
extern bool juki_queue_put(const char *payload, Size len, JukiTicket *ticket,
						   const char **why);
extern bool juki_queue_wait(uint64 end, TimestampTz deadline);
extern uint64 juki_queue_position(void);
extern bool juki_queue_withdraw(const JukiTicket *ticket, JukiWithholdCause cause);
extern void juki_queue_wake_writer(void);

/* Status for juki.status(). */
typedef struct JukiQueueStatus
{
	int			writer_pid;
	bool		accepting;
	uint64		queued_bytes;
	uint64		capacity;
	int64		last_seq;		/* last durable seq, -1 if unknown */
	uint64		checkpoints_done;
} JukiQueueStatus;
extern void juki_queue_status(JukiQueueStatus *st);

/* The writer (writer.c) only. */
extern void juki_queue_writer_attach(void);
extern void juki_queue_writer_detach(int code, Datum arg);
extern void juki_queue_stop_accepting(void);
extern void juki_queue_note_seq(int64 last_seq);

/* A place in ring order for an entry of the writer's own (no ring space). */
extern void juki_queue_mark(uint64 *pos, TimestampTz *ts);

/* One queued record as the writer took it. */
typedef struct JukiBatchRecord
{
	uint64		pos;			/* ring position of its header */
	TimestampTz ts;
	const char *payload;		/* in JukiBatch.buf */
	uint32		payload_len;
	JukiWithholdCause withdrawn;	/* as seen when taken */
	uint64		withdrawn_at;
	TimestampTz withdrawn_ts;
	/* filled by the writer */
	int64		seq;
	int32		pid;
	bool		withheld_written;	/* its withheld entry is in this batch */
} JukiBatchRecord;

/* A withheld entry still to write, for a record already durable. */
typedef struct JukiWithheld
{
	int64		seq;			/* the record's seq */
	uint64		pos;			/* ring head when it was withdrawn */
	TimestampTz ts;
	int32		pid;
	JukiWithholdCause cause;
	bool		written;		/* filled by the writer: in this batch */
} JukiWithheld;

typedef struct JukiBatch
{
	char	   *buf;
	int			nrecords;
	JukiBatchRecord *records;
	uint64		upto;			/* ring position to release after commit */
	int			npending;
	JukiWithheld *pending;
} JukiBatch;

extern void juki_queue_take_batch(uint64 stop_at, JukiBatch *b);
extern void juki_queue_release_batch(JukiBatch *b, int64 last_seq);
extern bool juki_queue_checkpoint_requested(uint64 *req);
extern void juki_queue_checkpoint_done(uint64 req);
extern uint64 juki_queue_request_checkpoint(void);
extern bool juki_queue_wait_checkpoint(uint64 req, TimestampTz deadline);

#endif							/* JUKI_AUDIT_QUEUE_H */
