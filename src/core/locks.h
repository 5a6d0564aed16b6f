/*-------------------------------------------------------------------------
 * locks.h
 *		juki's heavyweight locks (bulk permits, operator sessions, form
 *		serials, the rebuild of the volume windows).
 *
 * They are advisory lock tags whose fourth field is neither 1 nor 2: the
 * SQL advisory-lock functions only ever produce those two (one bigint key,
 * or two int4 keys), so no SQL-level advisory lock can take, wait for or
 * block one of juki's, whoever calls them.  The 64-bit id fills the second
 * and third fields whole.  In pg_locks they show as locktype "advisory"
 * with objsubid 19024 (bulk permit: door/policy.c), 19027 (operator session:
 * door/session.c), 18003 (form serials of a year: log/form_ledger.c) or 19030 (the
 * one rebuild of the volume windows from the log: door/volume.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOCKS_H
#define JUKI_LOCKS_H

#include "miscadmin.h"
#include "storage/lock.h"

#define JUKI_LOCK_BULK_PERMIT	0x4A50	/* "JP" */
#define JUKI_LOCK_SESSION		0x4A53	/* "JS" */
#define JUKI_LOCK_FORM_SERIAL	0x4653	/* "FS": id is the year */
#define JUKI_LOCK_VOLUME_SEED	0x4A56	/* "JV": id 0 */

static inline void
juki_lock_tag(LOCKTAG *tag, uint16 kind, int64 id)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) ((uint64) id >> 32),
						 (uint32) ((uint64) id & 0xFFFFFFFF), kind);
}

#endif							/* JUKI_LOCKS_H */
