/*-------------------------------------------------------------------------
 * batch.c
 *		The order in which the audit writer writes one batch: the queued
 *		records in ring order, with the writer's own entry and the withheld
 *		entries placed where they belong in that order.
 *
 * Every event that becomes an entry has a place in one total order: its
 * ring position and its time, both taken under the queue's lock.  A queued
 * record lies at its position; the writer's own entry (a checkpoint, a
 * logical slot, worker_stop) at the head it saw when it took its mark; a
 * withheld entry at the head when its waiter gave up.  A record at position
 * p was queued after any mark or withdrawal that saw the head at p, so those
 * come first.  Ordering by position, then time, keeps the chain in the
 * order in which things happened and the entries' times never go back.
 *
 * No PostgreSQL state is touched here: the writer (writer.c) writes
 * the steps in the order given.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "record.h"
#include "batch.h"

typedef struct Extra
{
	uint64		pos;
	TimestampTz ts;
	JukiBatchStep step;
} Extra;

static int
extra_cmp(const void *a, const void *b)
{
	const Extra *x = a;
	const Extra *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	/* the writer's own entry last among equals: it may have to end the batch */
	return (int) (x->step.kind == JUKI_STEP_OWN) - (int) (y->step.kind == JUKI_STEP_OWN);
}

/*
 * The steps of a batch.  own (may be absent) lies at own_pos/own_ts; with
 * own_last it must end the batch (a checkpoint signs it, worker_stop closes
 * the log), and withheld entries that belong after it wait for a later
 * batch: those of this batch's records then join the pending array when
 * the batch is released, and pending ones stay there.
 */
JukiBatchStep *
juki_batch_order(JukiBatch *b, bool has_own, uint64 own_pos, TimestampTz own_ts,
				 bool own_last, int *nsteps)
{
	Extra	   *extras = palloc(sizeof(Extra) * (b->nrecords + b->npending + 1));
	JukiBatchStep *steps = palloc(sizeof(JukiBatchStep) * (2 * b->nrecords + b->npending + 1));
	int			nextra = 0;
	int			next = 0;
	int			n = 0;
	int			i;
	bool		own_done = false;

	for (i = 0; i < b->nrecords; i++)
	{
		JukiBatchRecord *r = &b->records[i];

		if (r->withdrawn == JUKI_WITHHOLD_NONE)
			continue;
		extras[nextra].pos = r->withdrawn_at;
		extras[nextra].ts = r->withdrawn_ts;
		extras[nextra].step.kind = JUKI_STEP_WITHHELD_RECORD;
		extras[nextra].step.index = i;
		nextra++;
	}
	for (i = 0; i < b->npending; i++)
	{
		extras[nextra].pos = b->pending[i].pos;
		extras[nextra].ts = b->pending[i].ts;
		extras[nextra].step.kind = JUKI_STEP_WITHHELD_PENDING;
		extras[nextra].step.index = i;
		nextra++;
	}
	if (has_own)
	{
		extras[nextra].pos = own_pos;
		extras[nextra].ts = own_ts;
		extras[nextra].step.kind = JUKI_STEP_OWN;
		extras[nextra].step.index = -1;
		nextra++;
	}
	qsort(extras, nextra, sizeof(Extra), extra_cmp);

	for (i = 0; i <= b->nrecords; i++)
	{
		/* what happened before record i was queued (after the last: the rest) */
		while (next < nextra && !own_done &&
			   (i == b->nrecords || extras[next].pos <= b->records[i].pos))
		{
			steps[n++] = extras[next].step;
			if (own_last && extras[next].step.kind == JUKI_STEP_OWN)
				own_done = true;
			next++;
		}
		if (i == b->nrecords)
			break;
		/* an own entry that must end the batch lies past every record of it */
		Assert(!own_done);
		steps[n].kind = JUKI_STEP_RECORD;
		steps[n].index = i;
		n++;
	}
	pfree(extras);
	*nsteps = n;
	return steps;
}

/*
 * The withheld entry of a decision whose client never got the answer: it
 * names the entry it refers to; the cause is the reason.
 */
void
juki_withheld_entry(JkEntry *e, int64 seq, int32 pid, JukiWithholdCause cause,
					TimestampTz ts_unix_us)
{
	JukiDetail	d;

	memset(e, 0, sizeof(*e));
	jd_init(&d);
	jd_int(&d, "withheld_seq", seq);
	e->detail = jd_finish(&d);
	e->action = "withheld";
	e->outcome = JUKI_ERROR;
	e->reason = cause == JUKI_WITHHOLD_TIMEOUT ? "audit_unavailable" :
		cause == JUKI_WITHHOLD_CANCEL ? "cancelled" : "backend_exit";
	e->has_backend_pid = true;
	e->backend_pid = pid;
	e->subjects_null = true;
	e->fields_null = true;
	e->ts_unix_us = ts_unix_us;
}
