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

#endif							/* JUKI_POLICY_H */
