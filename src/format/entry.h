/*-------------------------------------------------------------------------
 * entry.h
 *		An operation-log entry (DESIGN §7.1): its fields, in canonical order,
 *		with the format version that added each, and its canonical form
 *		(entry.c).  Free of PostgreSQL.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_ENTRY_H
#define JUKI_FORMAT_ENTRY_H

#include "buf.h"

/*
 * The fields of an entry, in canonical order (keys sorted by code point).
 *
 * Format evolution: the fields of format 1.0 are always in canonical(e),
 * written as null when absent; a field added after 1.0 is written only when
 * it has a value.  So every entry written before a field existed keeps its
 * bytes and its hash, an entry that has the new field is still one JSON
 * object with sorted keys, and a log table that lacks the column simply
 * never has the value.  Adding a field = a JkFieldId in its sorted place, a
 * row of jk_fields (with the version that added it), a member of JkEntry,
 * its cases in entry.c and log/columns.c, and a column appended to
 * juki.operation_log.
 */
typedef enum JkFieldId
{
	JK_F_ACTION,
	JK_F_BACKEND_PID,
	JK_F_CARD_SERIAL,
	JK_F_CLIENT_ADDR,
	JK_F_CRITERIA,
	JK_F_DB_ROLE,
	JK_F_DETAIL,
	JK_F_FIELDS,
	JK_F_LOGIN_ROLE,			/* 1.1 */
	JK_F_OPERATOR_ID,
	JK_F_OUTCOME,
	JK_F_PERMIT_ID,
	JK_F_PURPOSE,
	JK_F_REASON,
	JK_F_ROW_COUNT,
	JK_F_SEQ,
	JK_F_SESSION_ID,
	JK_F_SUBJECTS,
	JK_F_TERMINAL,				/* 1.1 */
	JK_F_TS,
	JK_NFIELDS
} JkFieldId;

typedef enum JkFieldKind
{
	JK_KIND_TEXT,				/* JSON string */
	JK_KIND_INT,				/* JSON integer */
	JK_KIND_JSON,				/* a canonical JSON object (criteria, detail) */
	JK_KIND_TEXT_ARRAY,			/* JSON array of strings */
	JK_KIND_TS					/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
} JkFieldKind;

typedef struct JkField
{
	const char *name;
	const char *key;			/* as written in canonical(e): "\"name\":" */
	size_t		key_len;
	JkFieldId	id;
	JkFieldKind kind;
	const char *since;			/* format version that added the field */
	bool		added;			/* after 1.0: in canonical(e) only with a value */
} JkField;

/* Every field, indexed by JkFieldId (which is canonical order). */
extern const JkField jk_fields[JK_NFIELDS];

/* The field with this name (len bytes, not NUL-terminated), or NULL. */
extern const JkField *jk_field_by_name(const char *name, size_t len);

/*
 * One operation-log entry (DESIGN §7.1) as plain C values.  Strings are
 * NUL-terminated valid UTF-8, NULL meaning JSON null (or, for a field added
 * after 1.0, absent).  criteria and detail are already canonical JSON text
 * (objects), or NULL.  subjects/fields are arrays of strings (no NULL
 * elements); *_null distinguishes a JSON null from an empty array.
 */
typedef struct JkEntry
{
	int64_t		seq;
	int64_t		ts_unix_us;		/* microseconds since 1970-01-01T00:00:00Z */
	const char *db_role;		/* the role in effect (after SET ROLE) */
	const char *login_role;		/* 1.1: the authenticated login */
	const char *terminal;		/* 1.1: the operator's 業務端末, given at login */
	bool		has_operator_id;
	int64_t		operator_id;
	bool		has_session_id;
	int64_t		session_id;
	const char *card_serial;
	const char *client_addr;
	bool		has_backend_pid;
	int64_t		backend_pid;
	const char *action;
	const char *purpose;
	bool		has_permit_id;
	int64_t		permit_id;
	const char *outcome;
	const char *reason;
	bool		subjects_null;
	int			nsubjects;
	const char *const *subjects;
	bool		fields_null;
	int			nfields;
	const char *const *fields;
	const char *criteria;
	bool		has_row_count;
	int64_t		row_count;
	const char *detail;
} JkEntry;

/* Is field id of e absent (SQL NULL)?  seq and ts never are. */
extern bool jk_entry_field_absent(const JkEntry *e, JkFieldId id);

/*
 * canonical(e): the JSON object of the fields of jk_fields (every field but
 * prev_hash and hash), keys sorted by code point, no white space, integers
 * as integers, ts as YYYY-MM-DDTHH:MM:SS.ffffffZ, absent 1.0 values as null
 * and absent later fields left out, strings escaped as in RFC 8785.
 * Appends to out.  Returns false, appending nothing, if ts is outside years
 * 0001-9999.
 */
extern bool jk_canonical_entry(JkBuf *out, const JkEntry *e);

/*
 * The fields of a canonical entry (text already accepted by jk_entry_seq):
 * every 1.0 field present, every key a known field, no field added after
 * 1.0 written as null.  False with a message otherwise.
 */
extern bool jk_entry_check_fields(const char *canon, size_t len,
								  char *err, size_t errlen);

#endif							/* JUKI_FORMAT_ENTRY_H */
