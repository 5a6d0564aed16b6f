/*-------------------------------------------------------------------------
 * policy.h
 *		One decision function: a disclosure request → allow or deny(reason).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_POLICY_H
#define JUKI_POLICY_H

#include "nodes/pg_list.h"
#include "utils/timestamp.h"

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
	/* NULL when allowed; else the refusal, ready for juki_policy_refuse */
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
} JukiDecision;

extern void juki_policy_decide(const JukiRequest *req, JukiDecision *d);

/*
 * The bulk permit an allowed request would run under (volume.c, when a
 * ceiling would be passed), chosen by the same rules as any permit; NULL if
 * the operator holds none that applies.
 */
extern JukiPermit *juki_policy_bulk_permit(const JukiRequest *req, const JukiDecision *d);

/* Does the decision's permit name this resident? */
extern bool juki_permit_names(const JukiPermit *p, const char *resident_code);

/* Is the purpose allowed to use this criteria combination? */
extern bool juki_purpose_allows_key(const JukiPurpose *p, const char *key);

/* Is field f disclosed under p? */
extern bool juki_purpose_discloses(const JukiPurpose *p, const char *field);

#endif							/* JUKI_POLICY_H */
