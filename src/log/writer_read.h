/*-------------------------------------------------------------------------
 * writer_read.h
 *		What the audit writer reads: the chain head, the logical slots.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_AUDIT_WRITER_READ_H
#define JUKI_AUDIT_WRITER_READ_H

#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "format/hash.h"

typedef struct JukiChainHead
{
	bool		have_head;		/* false: a new chain starts with genesis */
	bool		clean;			/* the last entry is worker_stop or genesis */
	int64		next_seq;
	uint8		head[JK_HASH_LEN];
	uint8		origin[JK_HASH_LEN];
	XLogRecPtr	stop_lsn;		/* where the WAL stood at worker_stop */
	int64		gap_days;		/* since the last entry */
	TimestampTz last_ts;		/* of the last entry */
	int64		last_checkpoint_seq;	/* newest stored checkpoint, -1 none */
} JukiChainHead;

extern void juki_read_chain_head(JukiChainHead *ch);
extern List *juki_new_logical_slots(List **seen);

#endif							/* JUKI_AUDIT_WRITER_READ_H */
