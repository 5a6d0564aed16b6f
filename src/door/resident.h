/*-------------------------------------------------------------------------
 * resident.h
 *		A resident as the door reads it (resident.c): the fields of
 *		juki.disclosure in their order, one resident read by its code, and
 *		whether a support measure (DV等支援措置) is in force for one today.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_RESIDENT_H
#define JUKI_RESIDENT_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/date.h"

/* The resident fields in juki.disclosure order (then status, disclosed_fields). */
#define JUKI_RESIDENT_NFIELDS	12
extern const char *const juki_resident_fields[JUKI_RESIDENT_NFIELDS];

/* 0-based columns of a resident row: the fields, then status */
#define JUKI_RESIDENT_COL_BIRTH_DATE	6
#define JUKI_RESIDENT_COL_CHANGE_DATE	11
#define JUKI_RESIDENT_COL_STATUS		JUKI_RESIDENT_NFIELDS
#define JUKI_RESIDENT_NCOLS				(JUKI_RESIDENT_NFIELDS + 1)

/* The row shape above (text columns, dates as date). */
extern TupleDesc juki_resident_row_desc(void);

/*
 * The resident with this code, read directly through the primary key (a
 * lookup is one index probe, not an executor run) with the active
 * snapshot, as a row of juki_resident_row_desc(), and whether a support
 * measure is in force for them on day today; NULL if there is none.
 */
extern HeapTuple juki_resident_read(const char *code, DateADT today, bool *restricted);

/* Is a support measure in force for this resident on day today? */
extern bool juki_resident_restricted(const char *code, DateADT today);

#endif							/* JUKI_RESIDENT_H */
