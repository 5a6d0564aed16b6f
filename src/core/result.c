/*-------------------------------------------------------------------------
 * result.c
 *		Result rows filled by column name: a library newer than the
 *		installed SQL answers the older function's columns, which are a
 *		subset of the newest's.  No state.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "result.h"

void
juki_result_set(TupleDesc desc, Datum *values, bool *nulls, const char *name,
				Datum value, bool isnull)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
		{
			values[i] = value;
			nulls[i] = isnull;
			return;
		}
}
