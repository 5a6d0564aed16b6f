/*-------------------------------------------------------------------------
 * result.h
 *		Filling a result row by column name (result.c), so that the library
 *		answers every installed version of a function whose later versions
 *		add columns (status(), verify_log()).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_RESULT_H
#define JUKI_RESULT_H

#include "access/tupdesc.h"

/* Set column name of the row being built, if the installed function has it. */
extern void juki_result_set(TupleDesc desc, Datum *values, bool *nulls, const char *name,
							Datum value, bool isnull);

#endif							/* JUKI_RESULT_H */
