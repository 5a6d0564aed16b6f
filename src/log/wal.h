/*-------------------------------------------------------------------------
 * wal.h
 *		juki's WAL resource manager (wal.c): the record that carries one
 *		operation-log entry through the write-ahead log.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOG_WAL_H
#define JUKI_LOG_WAL_H

#include "access/xlogreader.h"

#include "format/hash.h"

/*
 * juki's resource manager ID, in the custom range 128..255.  128 is for
 * development only; the PostgreSQL wiki page "CustomWALResourceManagers"
 * lists the IDs extensions have taken (README "Operation log").
 */
#define JUKI_RMGR_ID		211
#define JUKI_RMGR_NAME		"juki"

/* xl_info: the kinds of record (high bits; the low ones are PostgreSQL's) */
#define XLOG_JUKI_ENTRY		0x00	/* one entry of the operation log */
#define XLOG_JUKI_FILED		0x10	/* how far the writer has filed */

#define JUKI_WAL_FORMAT		1

/*
 * The record: this header, then the flattened entry (log/record.c) whose
 * criteria and detail are already canonical.  seq, ts and hash are those of
 * the chain: the writer recomputes the hash from the previous one before
 * filing.
 */
typedef struct JukiWalEntry
{
	uint32		format;			/* JUKI_WAL_FORMAT */
	uint32		payload_len;
	int64		seq;
	int64		ts_unix_us;
	uint8		hash[JK_HASH_LEN];
} JukiWalEntry;

/*
 * The writer moved juki's slot: no record of ours not yet filed begins
 * before keep_from, and every filing transaction before this record
 * committed.  A standby's redo notes keep_from for its slot (slot_keeper.c).
 */
typedef struct JukiWalFiled
{
	uint32		format;			/* JUKI_WAL_FORMAT */
	uint32		pad;
	XLogRecPtr	keep_from;
} JukiWalFiled;

extern void juki_wal_register(void);

/* The writer (primary): WAL-log how far it has filed (not flushed). */
extern void juki_wal_log_filed(XLogRecPtr keep_from);

/* A record of ours that says to be an entry but does not decode. */
extern bool juki_wal_malformed_entry(XLogReaderState *rec);

/* The header and payload of a record of ours, or false (another rmgr, malformed). */
extern bool juki_wal_decode(XLogReaderState *rec, JukiWalEntry *hdr, const char **payload);

/* Last seq replayed by this process's recovery (standby), -1 none. */
extern int64 juki_wal_last_replayed_seq(void);

#endif							/* JUKI_LOG_WAL_H */
