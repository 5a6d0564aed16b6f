/*-------------------------------------------------------------------------
 * batch.h
 *		The order of one batch of the audit writer (batch.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_AUDIT_BATCH_H
#define JUKI_AUDIT_BATCH_H

#include "queue.h"
#include "format/entry.h"

typedef enum JukiStepKind
{
	JUKI_STEP_RECORD,			/* b->records[index] */
	JUKI_STEP_OWN,				/* the writer's own entry */
	JUKI_STEP_WITHHELD_RECORD,	/* withheld entry of b->records[index] */
	JUKI_STEP_WITHHELD_PENDING	/* withheld entry of b->pending[index] */
} JukiStepKind;

typedef struct JukiBatchStep
{
	JukiStepKind kind;
	int			index;
} JukiBatchStep;

extern JukiBatchStep *juki_batch_order(JukiBatch *b, bool has_own, uint64 own_pos,
									   TimestampTz own_ts, bool own_last, int *nsteps);
extern void juki_withheld_entry(JkEntry *e, int64 seq, int32 pid,
								JukiWithholdCause cause, TimestampTz ts_unix_us);

#endif							/* JUKI_AUDIT_BATCH_H */
