/*-------------------------------------------------------------------------
 * request.h
 *		One disclosure request, from its arguments to its log entry
 *		(request.c): what lookup, forms (disclose.c) and search (search.c)
 *		share.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_REQUEST_H
#define JUKI_REQUEST_H

#include "fmgr.h"
#include "utils/jsonb.h"

#include "decision.h"

typedef struct Request
{
	JukiRequest req;
	JukiDecision dec;
	Jsonb	   *criteria;
	List	   *subjects;		/* what the caller asked about, for denials */
} Request;

/* Rows read for a request, already judged visible (visibility.c). */
typedef struct Fetched
{
	int			nrows;
	HeapTuple  *rows;			/* rows of juki_resident_row_desc() */
	bool	   *restricted;		/* under a support measure in force today */
} Fetched;

/* The roles that disclose (DESIGN §4); the session decides for whom. */
extern const char *const juki_disclosure_roles[];

/*
 * Who may ask at all, then the purpose argument (0); the hot standby
 * cannot log and refuses everything.
 */
extern void juki_request_begin(Request *rq, const char *action, FunctionCallInfo fcinfo);

/* The resident code argument n: 11 ASCII digits (and check digit if configured). */
extern char *juki_request_resident_code(Request *rq, FunctionCallInfo fcinfo, int n);

/* Log the refusal (durable), then raise it. */
extern void juki_request_refuse(Request *rq, const char *reason, int sqlstate,
								const char *hint, const char *msg) pg_attribute_noreturn();

/* Ask policy; a refusal is logged and raised. */
extern void juki_request_decide(Request *rq);

/* Count n rows against the volume ceilings, or log the refusal and raise it. */
extern void juki_request_charge(Request *rq, int64 n);

/* Log the granted request (durable); a NOTICE per protected resident. */
extern void juki_request_log_granted(Request *rq, Fetched *f, const char *form_serial,
									 const char *form_type);

/* The one-statement variants: attach the token argument n first. */
extern void juki_request_attach_token(FunctionCallInfo fcinfo, int n, const char *action);

/* The juki.disclosure value of a row, undisclosed fields NULL. */
extern HeapTuple juki_request_disclosure(Request *rq, Fetched *f, int row, TupleDesc out);

#endif							/* JUKI_REQUEST_H */
