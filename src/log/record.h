/*-------------------------------------------------------------------------
 * record.h
 *		The operation-log record as producers build it and the audit writer
 *		reads it (record.c): one module both include.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_RECORD_H
#define JUKI_RECORD_H

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "format/buf.h"
#include "format/entry.h"

#define JUKI_GRANTED	"granted"
#define JUKI_DENIED		"denied"
#define JUKI_ERROR		"error"

#define JUKI_NO_ID		((int64) -1)

/*
 * One decision.  action and outcome are required; everything else may be
 * left as set by juki_audit_record_init (absent).  The database role,
 * login, backend pid, client address and time are filled in when it is
 * logged.
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
	const char *terminal;		/* the operator's 業務端末 (given at login), or NULL */
	List	   *subjects;		/* of char *, NIL = null */
	List	   *fields;			/* of char *, NIL = null */
	Jsonb	   *criteria;		/* as given; NULL = null */
	const char *detail;			/* a JSON object (JukiDetail's, or any JSON
								 * text: the writer canonicalises it), or NULL */
} JukiAuditRecord;

extern void juki_audit_record_init(JukiAuditRecord *r, const char *action,
								   const char *outcome, const char *reason);

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

/*
 * Flattened records (the payload of juki's WAL record) and their decoding
 * by the writer into a JkEntry that points into the payload (seq and ts not set); false
 * if it is malformed.
 */
extern char *juki_audit_flatten(JukiAuditRecord *r, Size *len);
extern bool juki_audit_unflatten(const char *payload, Size len, JkEntry *e);
extern char *juki_entry_flatten(const JkEntry *e, Size *len);
extern void juki_entry_own(JkEntry *e, const char *action, const char *outcome,
						   const char *reason, const char *detail);

/* criteria or detail as the log keeps them: a canonical object (or "malformed") */
extern const char *juki_canonical_json(const char *json, const char *what);

/* A stored jsonb value in canonical form, to hash it again. */
extern char *juki_jsonb_canonical(Jsonb *jb);

#endif							/* JUKI_RECORD_H */
