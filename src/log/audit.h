/*-------------------------------------------------------------------------
 * audit.h
 *		The C API every decision of juki goes through: build a record,
 *		enqueue it, wait until the audit writer has made it durable.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_AUDIT_H
#define JUKI_AUDIT_H

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "format/chain.h"

#define JUKI_GRANTED	"granted"
#define JUKI_DENIED		"denied"
#define JUKI_ERROR		"error"

#define JUKI_NO_ID		((int64) -1)

/*
 * One decision.  action and outcome are required; everything else may be
 * left as set by juki_audit_record_init (absent).  The database role,
 * backend pid, client address and time are filled in by juki_audit_*.
 */
typedef struct JukiAuditRecord
{
	const char *action;
	const char *outcome;
	const char *reason;
	const char *purpose;
	int64		operator_id;
	int64		session_id;
	int64		permit_id;
	int64		row_count;
	const char *card_serial;
	List	   *subjects;		/* of char *, NIL = null */
	List	   *fields;			/* of char *, NIL = null */
	Jsonb	   *criteria;		/* as given; NULL = null */
	const char *detail;			/* canonical JSON object (JukiDetail), or NULL */
} JukiAuditRecord;

extern void juki_audit_record_init(JukiAuditRecord *r, const char *action,
								   const char *outcome, const char *reason);

/* Durable before return, or ERROR 55000: the caller must not go on. */
extern void juki_audit_log(JukiAuditRecord *r);

/* Durable before return, or false with *problem; never throws for the log. */
extern bool juki_audit_log_try(JukiAuditRecord *r, const char **problem);

/* Queued but not waited for: only where the caller holds locks the writer
 * may need (deep in DDL), and always followed by an ERROR of the caller. */
extern void juki_audit_log_async(JukiAuditRecord *r);

/* Canonical JSON (DESIGN §7.2) of a jsonb value; non-integer numbers and
 * integers beyond int64 become strings, as documented. */
extern char *juki_jsonb_canonical(Jsonb *jb);

/* palloc-backed JkBuf */
extern void juki_buf_init(JkBuf *b);

/* Builder for the detail object: keys in any order, emitted sorted. */
typedef struct JukiDetail
{
	List	   *items;
} JukiDetail;

extern void jd_init(JukiDetail *d);
extern void jd_str(JukiDetail *d, const char *key, const char *val);
extern void jd_int(JukiDetail *d, const char *key, int64 val);
extern void jd_bool(JukiDetail *d, const char *key, bool val);
extern void jd_json(JukiDetail *d, const char *key, const char *canonical);
extern char *jd_finish(JukiDetail *d);

/* Flattened records (queue payload) and their decoding in the writer. */
extern char *juki_audit_flatten(JukiAuditRecord *r, Size *len);
extern bool juki_audit_unflatten(const char *payload, Size len, JkEntry *e);

#endif							/* JUKI_AUDIT_H */
