/*-------------------------------------------------------------------------
 * filing.h
 *		What the audit writer reads from WAL, and the replication slot that
 *		keeps that WAL until it is filed (filing.c).  The writer only.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOG_FILING_H
#define JUKI_LOG_FILING_H

#include "access/xlogdefs.h"

#include "format/hash.h"

#define JUKI_SLOT_NAME "juki_audit_log"

/* One of juki's records as read from WAL (payload in the caller's memory). */
typedef struct JukiWalRead
{
	int64		seq;
	int64		ts_unix_us;
	uint8		hash[JK_HASH_LEN];
	char	   *payload;
	uint32		payload_len;
	XLogRecPtr	end;			/* where the next record begins */
} JukiWalRead;

/* The slot: acquired (created if missing) for the writer's lifetime. */
extern bool juki_slot_acquire(XLogRecPtr *restart, bool *created, bool *lost,
							  char *why, int whylen);
extern bool juki_slot_take(bool exists);
/* The pid that holds juki's slot (0: none), and whether the slot exists. */
extern pid_t juki_slot_holder(bool *exists);
extern void juki_slot_advance(XLogRecPtr to);
extern bool juki_slot_held(void);
extern XLogRecPtr juki_slot_reserve_oldest(XLogRecPtr restart);
extern int64 juki_filing_first_seq(void);

/* The reader: start at the first record at or after from. */
extern void juki_filing_start(XLogRecPtr from);

/*
 * Read juki's records from WAL as far as it is flushed: at most max, none
 * with a seq above stop_seq (that one stays to be read next time), those
 * below skip_below passed over (already filed).  Returns how many.
 */
extern int	juki_filing_read(JukiWalRead *out, int max, int64 stop_seq, int64 skip_below);

/* Where reading continues: no unfiled record of ours begins before it. */
extern XLogRecPtr juki_filing_position(void);

#endif							/* JUKI_LOG_FILING_H */
