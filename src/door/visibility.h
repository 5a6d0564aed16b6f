/*-------------------------------------------------------------------------
 * visibility.h
 *		The one rule for which residents a request may see: removed
 *		residents (消除), the purpose's minimum age, the residents a permit
 *		names, residents under a support measure (DV等支援措置).  Lookup,
 *		forms and search all ask it (visibility.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_VISIBILITY_H
#define JUKI_VISIBILITY_H

#include "access/htup.h"

#include "decision.h"

typedef enum JukiVisibility
{
	JUKI_VISIBLE,				/* disclosed */
	JUKI_VISIBLE_PROTECTED,		/* disclosed, under a support measure: NOTICE */
	JUKI_HIDDEN,				/* as if there were no such resident */
	JUKI_RESTRICTED				/* under a support measure this request may not see */
} JukiVisibility;

/*
 * What the decision d may see of the resident row (a row of
 * juki_resident_row_desc()) for whom a support measure is, or is not, in
 * force today (restricted: juki_resident_restricted).  A lookup refuses a JUKI_RESTRICTED resident
 * (resident_restricted): the counter must know to stop; a search leaves
 * it out silently: a search must not reveal that a protected person lives
 * at an address.  Both leave a JUKI_HIDDEN one out as unknown.
 */
extern JukiVisibility juki_visibility(const JukiDecision *d, HeapTuple row, bool restricted);

#endif							/* JUKI_VISIBILITY_H */
