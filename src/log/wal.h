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

/* xl_info: the one kind of record (high bits; the low ones are PostgreSQL's) */
#define XLOG_JUKI_ENTRY		0x00

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

extern void juki_wal_register(void);

/* The header and payload of a record of ours, or false (another rmgr, malformed). */
extern bool juki_wal_decode(XLogReaderState *rec, JukiWalEntry *hdr, const char **payload);

/* Last seq replayed by this process's recovery (standby), -1 none. */
extern int64 juki_wal_last_replayed_seq(void);

#endif							/* JUKI_LOG_WAL_H */
