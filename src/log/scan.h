/*-------------------------------------------------------------------------
 * scan.h
 *		Streaming the operation log in seq order, one row at a time, in
 *		constant memory (verification, export, retention).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOG_SCAN_H
#define JUKI_LOG_SCAN_H

#include "access/genam.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

#include "format/buf.h"
#include "format/hash.h"
#include "format/entry.h"
#include "columns.h"

typedef struct JukiLogScan
{
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;			/* NULL while reading in heap order */
	TableScanDesc heapscan;		/* forward scans start in heap order */
	int64		expected;		/* heap order: the seq the next row must have */
	TupleTableSlot *slot;
	MemoryContext row_cxt;		/* reset for every row */
	Snapshot	snapshot;		/* latest at begin: sees every committed entry */
	ScanDirection dir;
	ScanKeyData key;
	JukiLogColumns cols;		/* the table's columns, by name */
} JukiLogScan;

typedef struct JukiLogRow
{
	JkEntry		e;
	uint8		prev_hash[JK_HASH_LEN];
	uint8		hash[JK_HASH_LEN];
	bool		hashes_ok;		/* both hash columns were 32 bytes */
} JukiLogRow;

/* Rows with seq >= from (forward) or seq <= from (backward). */
extern void juki_log_scan_begin(JukiLogScan *s, int64 from, bool backward);
/* Rows with seq >= from through the index from the start (a short tail). */
extern void juki_log_scan_recent(JukiLogScan *s, int64 from);
/* Rows with seq >= from through the index, seen by the given snapshot. */
extern void juki_log_scan_index(JukiLogScan *s, int64 from, Snapshot snapshot);
/* Next row (memory valid until the next call), false at the end. */
extern bool juki_log_scan_next(JukiLogScan *s, JukiLogRow *row);
/* Next row into s->slot (all attributes), not decoded: false at the end. */
extern bool juki_log_scan_next_slot(JukiLogScan *s);
extern void juki_log_scan_end(JukiLogScan *s);

/* juki.<name>'s OID (operation_log, state). */
extern Oid	juki_log_relid(const char *name);

/* Canonical form of a row, into out (palloc'd JkBuf). */
extern bool juki_log_row_canonical(JukiLogRow *row, JkBuf *out);

/* The purge anchor and chain origin from juki.state. */
typedef struct JukiChainInfo
{
	bool		have_origin;
	uint8		origin[JK_HASH_LEN];
	bool		purged;
	int64		purged_through_seq;
	uint8		purged_through_hash[JK_HASH_LEN];
	int			retention_years;
} JukiChainInfo;
extern void juki_chain_info(JukiChainInfo *ci);

#define JUKI_UNIX_EPOCH_OFFSET_US \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

#endif							/* JUKI_LOG_SCAN_H */
