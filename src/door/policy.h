/*-------------------------------------------------------------------------
 * policy.h
 *		One decision function: a disclosure request → allow or
 *		deny(reason) (policy.c); what the decision carries is decision.h.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_POLICY_H
#define JUKI_POLICY_H

#include "decision.h"

extern void juki_policy_decide(const JukiRequest *req, JukiDecision *d);

/*
 * The bulk permit an allowed request would run under (volume.c, when a
 * ceiling would be passed), chosen by the same rules as any permit; NULL if
 * the operator holds none that applies.
 */
extern JukiPermit *juki_policy_bulk_permit(const JukiRequest *req, const JukiDecision *d);

#endif							/* JUKI_POLICY_H */
