/*-------------------------------------------------------------------------
 * visibility.c
 *		The one rule for which residents a request may see, for lookup,
 *		forms and search alike (they differ only in what they do with a
 *		restricted resident: visibility.h).  In this order:
 *	1. a removed resident (消除) only for purposes that allow them
 *	   (allows_removed); otherwise it is as if there were none, so the
 *	   answer is no existence oracle;
 *	2. with a minimum age (min_age), only residents born on or before today
 *	   minus that many years (29 February counts as the 28th);
 *	3. a permit naming residents limits the request to them;
 *	4. a resident under a support measure in force today only for purposes
 *	   that allow it (allows_support_measure) with a permit naming that
 *	   resident; then disclosed with a reminder (NOTICE).
 * Everything comes from the decision (purpose, permit, today) and the
 * resident's facts (resident.c: the row, and whether a support measure is
 * in force today); policy is not asked again, nothing is read: pure.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "resident.h"
#include "visibility.h"

/* The latest birth date a resident of min_age years or more can have. */
static DateADT
born_by(DateADT today, int min_age)
{
	int			y,
				m,
				d;

	j2date(today + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	if (m == 2 && d == 29)
		d = 28;
	return date2j(y - min_age, m, d) - POSTGRES_EPOCH_JDATE;
}

JukiVisibility
juki_visibility(const JukiDecision *d, HeapTuple row, bool restricted)
{
	TupleDesc	desc = juki_resident_row_desc();
	const JukiPurpose *p = d->purpose;
	bool		isnull;
	Datum		v;
	char	   *code;

	v = heap_getattr(row, JUKI_RESIDENT_COL_STATUS + 1, desc, &isnull);
	if (!p->allows_removed && (isnull || strcmp(TextDatumGetCString(v), "active") != 0))
		return JUKI_HIDDEN;
	if (p->min_age >= 0)
	{
		v = heap_getattr(row, JUKI_RESIDENT_COL_BIRTH_DATE + 1, desc, &isnull);
		if (isnull || DatumGetDateADT(v) > born_by(d->today, p->min_age))
			return JUKI_HIDDEN;
	}
	code = TextDatumGetCString(heap_getattr(row, 1, desc, &isnull));
	if (d->permit->residents != NIL && !juki_permit_names(d->permit, code))
		return JUKI_HIDDEN;
	if (!restricted)
		return JUKI_VISIBLE;
	if (p->allows_support_measure && juki_permit_names(d->permit, code))
		return JUKI_VISIBLE_PROTECTED;
	return JUKI_RESTRICTED;
}
