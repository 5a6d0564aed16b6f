/*-------------------------------------------------------------------------
 * decision.h
 *		What a decision carries (policy.c fills it, once per request):
 *		the purpose and permit the request runs under, its row limit, and
 *		everything disclosure needs — which fields to disclose and log, the
 *		residents the permit names — so that disclosure (disclose.c,
 *		search.c, visibility.c) reads the decision and never asks policy
 *		again.  Types and one pure helper only.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_DECISION_H
#define JUKI_DECISION_H

#include "nodes/pg_list.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "resident.h"
#include "session.h"

/* A purpose (利用事務), newest version, as cached. */
typedef struct JukiPurpose
{
	char	   *code;
	int			version;
	char	   *department;
	List	   *fields;			/* char *, disclosed fields */
	List	   *search_keys;	/* char *, sorted names joined by '+' */
	int			max_rows;		/* -1: none (bulk purposes) */
	bool		allows_forms;
	bool		allows_removed;
	bool		allows_bulk;
	bool		allows_support_measure;
	bool		requires_named_permit;
	bool		aggregates_only;
	int			min_age;		/* -1: none */
	bool		active;
	int			statement_rows; /* -1: juki.statement_rows (volume.c) */
	int			window_rows;	/* -1: juki.window_rows (volume.c) */
} JukiPurpose;

/* An approved permit (許可), as cached. */
typedef struct JukiPermit
{
	int64		id;
	char	   *purpose;
	TimestampTz valid_from;
	TimestampTz valid_until;
	List	   *residents;		/* char *, NIL: any resident */
	int64		bulk_rows;		/* -1: not a bulk permit */
	bool		off_hours;
} JukiPermit;

typedef struct JukiRequest
{
	const char *action;			/* lookup, search, issue_form */
	const char *purpose;
	const char *criteria_key;	/* sorted names joined by '+' */
	const char *resident_code;	/* lookup and forms: the one resident */
	bool		form;
} JukiRequest;

typedef struct JukiDecision
{
	/* NULL when allowed; else the refusal, ready to be logged and raised */
	const char *reason;
	int			sqlstate;
	char	   *message;
	char	   *hint;

	const JukiCurrentSession *session;	/* NULL: no attached session */
	JukiPurpose *purpose;		/* NULL: unknown */
	JukiPermit *permit;			/* the permit the request runs under */
	int64		row_limit;		/* rows one request may return */
	bool		off_hours;		/* allowed outside hours by the permit */
	DateADT		today;			/* in juki.timezone */

	/* for disclosure, set with the purpose */
	bool		disclose[JUKI_RESIDENT_NFIELDS];	/* by juki_resident_fields */
	List	   *fields;			/* the names of those fields, in that order */
} JukiDecision;

/* Does the permit name this resident? */
static inline bool
juki_permit_names(const JukiPermit *p, const char *resident_code)
{
	ListCell   *lc;

	if (p == NULL || resident_code == NULL)
		return false;
	foreach(lc, p->residents)
		if (strcmp((const char *) lfirst(lc), resident_code) == 0)
			return true;
	return false;
}

#endif							/* JUKI_DECISION_H */
