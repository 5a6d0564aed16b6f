/*-------------------------------------------------------------------------
 * policy_cache.h
 *		The cached policy rows (policy_cache.c), as the decision
 *		(policy.c) reads them.  Not for other callers: they get a decision.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_POLICY_CACHE_H
#define JUKI_POLICY_CACHE_H

#include "decision.h"

/* One operator's policy rows. */
typedef struct OpCard
{
	char	   *serial;
	bool		revoked;
	DateADT		valid_from;
	DateADT		valid_until;
} OpCard;

typedef struct OpDesignation
{
	List	   *purposes;
	DateADT		valid_from;
	DateADT		valid_until;
} OpDesignation;

typedef struct OpPolicy
{
	int64		id;
	bool		found;
	char	   *role;
	bool		contractor;
	bool		retired;
	TimestampTz password_set_at;	/* 0: no password */
	DateADT		last_training;	/* DATEVAL_NOBEGIN: never */
	List	   *cards;			/* OpCard */
	List	   *designations;	/* OpDesignation */
	List	   *permits;		/* JukiPermit, approved */
	/* contractors: the contract and this handler's designation on it */
	bool		contract_found;
	bool		contract_approved;
	bool		contractor_approved;
	bool		pledge;
	DateADT		contract_from;
	DateADT		contract_until;
	List	   *contract_purposes;
	DateADT		handler_from;	/* DATEVAL_NOBEGIN: no handler designation */
	DateADT		handler_until;
} OpPolicy;

typedef struct Hours
{
	char	   *purpose;		/* "" = default */
	int			weekday;
	bool		closed;
	TimeADT		opens;
	TimeADT		closes;
} Hours;

/* The operator's rows under the current generation (loaded if needed). */
extern OpPolicy *juki_policy_operator(int64 operator_id);

/* The operator's rows as loaded for the running request (no reload), or NULL. */
extern OpPolicy *juki_policy_cached_operator(int64 operator_id);

/* A purpose by code (loaded with the first operator), or NULL. */
extern JukiPurpose *juki_policy_purpose(const char *code);

/* The operating hours (Hours), loaded with the purposes. */
extern List *juki_policy_hours(void);

/* Is s one of the strings of l? */
extern bool juki_list_has(List *l, const char *s);

#endif							/* JUKI_POLICY_CACHE_H */
