/*-------------------------------------------------------------------------
 * head.h
 *		The operation log's shared head (head.c): where the chain stands,
 *		whether appends may go, how far the writer has filed.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOG_HEAD_H
#define JUKI_LOG_HEAD_H

#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"

#include "format/hash.h"

typedef enum JukiGate
{
	JUKI_GATE_UNKNOWN = 0,		/* the writer has not recovered the chain yet */
	JUKI_GATE_OPEN,				/* appends go */
	JUKI_GATE_REFUSED,			/* the writer cannot keep the log safe: why says why */
	JUKI_GATE_STOPPED			/* the writer is stopping: only its own entries */
} JukiGate;

typedef struct JukiLogHead
{
	LWLock	   *lock;			/* "juki_log_append": see head.c */
	ConditionVariable gate_cv;	/* the gate left UNKNOWN */
	ConditionVariable filed_cv; /* filed_next grew */
	ConditionVariable checkpoint_cv;	/* checkpoints_done grew */
	pg_atomic_uint64 filed_next;	/* seq of the next entry to file */

	/* under lock */
	JukiGate	gate;
	char		why[200];		/* JUKI_GATE_REFUSED: the reason, for messages */
	int64		next_seq;		/* seq of the next entry appended */
	uint8		hash[JK_HASH_LEN];	/* hash of the last entry appended */
	int64		last_ts;		/* unix µs of the last entry appended, 0 none */
	XLogRecPtr	last_end;		/* end of the last record appended */
	bool		has_login_role; /* the table has the 1.1 column */
	bool		has_terminal;	/* the table has the 1.1 column terminal */
	int			writer_pid;
	Latch	   *writer_latch;
	XLogRecPtr	slot_lsn;		/* restart_lsn of juki's slot, as last set
								 * (by the writer; on a standby the keeper) */
	uint64		checkpoint_requests;
	uint64		checkpoints_done;

	/* a standby's slot (wal.c redo, slot_keeper.c): atomics, see head.c */
	pg_atomic_uint64 standby_keep_from; /* the primary's last FILED keep_from, 0 none */
	pg_atomic_uint64 keeper_vouched;	/* the keeper set its slot to this keep_from, 0 none */
	pg_atomic_uint32 keeper_held;	/* the keeper held juki's slot in this recovery */
} JukiLogHead;

extern JukiLogHead *juki_log_head;

extern void juki_head_shmem_request(void);
extern void juki_head_shmem_startup(void);

/* Backends. */
extern bool juki_head_wait_gate(TimestampTz deadline);
extern bool juki_head_wait_filed(TimestampTz deadline);
extern void juki_head_wake_writer(void);

/* The writer. */
extern void juki_head_writer_attach(void);
extern void juki_head_writer_detach(int code, Datum arg);
extern void juki_head_publish(int64 next_seq, const uint8 *hash, int64 last_ts);
extern void juki_head_set_gate(JukiGate gate, const char *why);
extern void juki_head_set_columns(bool has_login_role, bool has_terminal);
extern void juki_head_set_filed(int64 filed_next, XLogRecPtr slot_lsn);

/* A standby's slot keeper. */
extern void juki_head_set_slot_lsn(XLogRecPtr slot_lsn);

/* Checkpoints on request (export_log, checkpoint()). */
extern uint64 juki_head_request_checkpoint(void);
extern bool juki_head_wait_checkpoint(uint64 req, TimestampTz deadline);
extern bool juki_head_checkpoint_requested(uint64 *req);
extern void juki_head_checkpoint_done(uint64 req);

/* juki.status() */
typedef struct JukiHeadStatus
{
	int			writer_pid;
	JukiGate	gate;
	int64		last_seq;		/* last appended (durable), -1 unknown */
	int64		filed_seq;		/* last filed, -1 unknown */
	XLogRecPtr	slot_lsn;
} JukiHeadStatus;
extern void juki_head_status(JukiHeadStatus *st);

#endif							/* JUKI_LOG_HEAD_H */
