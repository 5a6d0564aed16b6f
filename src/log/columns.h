/*-------------------------------------------------------------------------
 * columns.h
 *		The columns of juki.operation_log, found by name, and the
 *		conversion between a row and the chain's JkEntry.
 *
 * The writer and the readers (verify_log, export, retention) map the
 * table's columns to the entry fields of format/entry.h by name, once per batch
 * or scan: a library that knows fields added after 1.0 still logs into a
 * table that lacks their columns (the installed SQL not yet updated), and
 * such a field is then neither stored nor hashed, so the entry verifies
 * from the table alone.  A column the library does not know is left NULL
 * and ignored.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOG_COLUMNS_H
#define JUKI_LOG_COLUMNS_H

#include "access/tupdesc.h"
#include "executor/tuptable.h"

#include "format/buf.h"
#include "format/entry.h"
#include "format/hash.h"

typedef struct JukiLogColumns
{
	int			natts;
	int			field_att[JK_NFIELDS];	/* 0-based attribute, -1 = no column */
	Oid			field_type[JK_NFIELDS];
	int			prev_hash_att;
	int			hash_att;
} JukiLogColumns;

/* Map the table's columns; ERROR if a 1.0 field or a hash column is missing
 * or has an unexpected type. */
extern void juki_log_columns_map(TupleDesc desc, JukiLogColumns *map);

/* Forget the fields of e that the table cannot store (before hashing). */
extern void juki_log_columns_restrict(const JukiLogColumns *map, JkEntry *e);

/* The row of an entry: values/nulls have map->natts elements. */
extern void juki_log_entry_values(const JukiLogColumns *map, const JkEntry *e,
								  const uint8 *prev_hash, const uint8 *hash,
								  Datum *values, bool *nulls);

/*
 * The entry of a row (slot_getallattrs done), in the current memory
 * context.  False if a hash column is NULL or not 32 bytes (the entry is
 * still filled in).
 */
extern bool juki_log_entry_from_slot(const JukiLogColumns *map, TupleTableSlot *slot,
									 JkEntry *e, uint8 *prev_hash, uint8 *hash);

/*
 * The canonical form of a row (slot_getallattrs done) appended to out, as
 * jk_canonical_entry writes it for the row's JkEntry, without building the
 * JkEntry (canon_row.c).  False, nothing appended, for a time outside years
 * 0001-9999.  *detail_off/len: where the detail's JSON is in out (len 0: null).
 */
extern bool juki_log_row_canonical_direct(const JukiLogColumns *map, TupleTableSlot *slot,
										  JkBuf *out, size_t *detail_off, size_t *detail_len);

/* A 32-byte hash from a bytea attribute, false if NULL or another length. */
extern bool juki_log_hash_att(TupleTableSlot *slot, int att, uint8 *out);

#endif							/* JUKI_LOG_COLUMNS_H */
