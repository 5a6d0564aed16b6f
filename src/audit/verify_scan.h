/*-------------------------------------------------------------------------
 * verify_scan.h
 *		verify_log's reading of the log: each entry's own checks, made by
 *		parallel workers, handed over in seq order (verify_scan.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_AUDIT_VERIFY_SCAN_H
#define JUKI_AUDIT_VERIFY_SCAN_H

#include "format/hash.h"

/* What one entry says about itself; the links between entries are the caller's. */
typedef struct JukiVEntry
{
	int64		seq;
	uint8		prev[JK_HASH_LEN];	/* stored prev_hash */
	uint8		hash[JK_HASH_LEN];	/* stored hash */
	uint8		leaf[JK_HASH_LEN];	/* Merkle leaf hash of the canonical form */
	uint8		flags;
} JukiVEntry;

#define JUKI_VE_HASHES_OK	0x01	/* both hash columns hold 32 bytes */
#define JUKI_VE_CANON_OK	0x02	/* the canonical form exists (a time in 0001-9999): leaf set */
#define JUKI_VE_HASH_MATCH	0x04	/* SHA-256(prev || canonical form) is the stored hash */
#define JUKI_VE_SIGNED_HERE	0x08	/* the entry says a checkpoint signing it was stored */

typedef struct JukiVScan JukiVScan;

/*
 * The entries with seq >= from, in seq order, read with up to nworkers
 * parallel workers besides the caller.  The caller must not be in parallel
 * mode; between begin and end it is, and may only read.
 */
extern JukiVScan *juki_vscan_begin(int64 from, int nworkers);
extern bool juki_vscan_next(JukiVScan *s, JukiVEntry *e);
/* Workers launched (0: the caller read alone). */
extern int	juki_vscan_workers(JukiVScan *s);
extern void juki_vscan_end(JukiVScan *s);

#endif							/* JUKI_AUDIT_VERIFY_SCAN_H */
