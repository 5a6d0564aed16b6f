/*-------------------------------------------------------------------------
 * audit_queue.h
 *		Shared-memory queue between backends (producers) and the audit
 *		writer (the single consumer).  See audit_queue.c for the protocol.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_AUDIT_QUEUE_H
#define JUKI_AUDIT_QUEUE_H

#include "datatype/timestamp.h"

/* Header of a record in the ring; the flattened record follows (audit.c). */
typedef struct JukiQueuedHeader
{
	uint32		len;			/* bytes of header + payload, MAXALIGNed */
	uint32		magic;			/* JUKI_QUEUE_MAGIC, or JUKI_QUEUE_WRAP */
	uint32		payload_len;	/* bytes of payload, without padding */
	uint32		pad;
	TimestampTz ts;				/* stamped under the lock, in queue order */
} JukiQueuedHeader;

#define JUKI_QUEUE_MAGIC	0x4a554b49	/* "JUKI" */
#define JUKI_QUEUE_WRAP		0x57524150	/* "WRAP": rest of the ring unused */

extern void juki_queue_shmem_request(void);
extern void juki_queue_shmem_startup(void);
extern Size juki_queue_max_record(void);

/* Producers (any backend). */
extern bool juki_queue_put(const char *payload, Size len, uint64 *ticket,
						   const char **why);
extern bool juki_queue_wait(uint64 ticket, TimestampTz deadline);
extern uint64 juki_queue_position(void);
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

/* The writer (audit_writer.c) only. */
extern void juki_queue_writer_attach(void);
extern void juki_queue_writer_detach(int code, Datum arg);
extern void juki_queue_stop_accepting(void);
extern Size juki_queue_take(char **buf, uint64 *upto);
extern void juki_queue_release(uint64 upto, int64 last_seq);
extern void juki_queue_note_seq(int64 last_seq);
extern bool juki_queue_checkpoint_requested(uint64 *req);
extern void juki_queue_checkpoint_done(uint64 req);
extern uint64 juki_queue_request_checkpoint(void);
extern bool juki_queue_wait_checkpoint(uint64 req, TimestampTz deadline);

#endif							/* JUKI_AUDIT_QUEUE_H */
