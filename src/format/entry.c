/*-------------------------------------------------------------------------
 * entry.c
 *		The fields of an operation-log entry and its canonical form
 *		(DESIGN §7.2, entry.h): which fields there are, in which order, which
 *		were added after format 1.0 (and so appear only with a value), and
 *		the check of an entry's fields that the offline verifier makes.
 *
 * Free of PostgreSQL, like the rest of format/, and linked with it into the
 * backend, juki_verify, the unit tests and the fuzz targets.
 *-------------------------------------------------------------------------
 */
#include "entry.h"
#include "json.h"
#include "json_check.h"
#include "timestamp.h"

#include <stdio.h>
#include <string.h>

/* One byte; the buffer always has room for its NUL, so usually no call. */
static inline void
putc_(JkBuf *b, char c)
{
	if (b->data != NULL && b->len + 2 <= b->cap)
	{
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
	}
	else
		jk_buf_append(b, &c, 1);
}

/* FieldCheck.seen is a 32-bit mask */
_Static_assert(JK_NFIELDS <= 32, "too many entry fields for FieldCheck.seen");

/* name, the key as written ("name":), its length, and the rest */
#define FIELD(name, id, kind, since, added) \
	{name, "\"" name "\":", sizeof("\"" name "\":") - 1, id, kind, since, added}

/* Indexed by JkFieldId; the ids are in code-point order of the names. */
const JkField jk_fields[JK_NFIELDS] = {
	FIELD("action", JK_F_ACTION, JK_KIND_TEXT, "1.0", false),
	FIELD("backend_pid", JK_F_BACKEND_PID, JK_KIND_INT, "1.0", false),
	FIELD("card_serial", JK_F_CARD_SERIAL, JK_KIND_TEXT, "1.0", false),
	FIELD("client_addr", JK_F_CLIENT_ADDR, JK_KIND_TEXT, "1.0", false),
	FIELD("criteria", JK_F_CRITERIA, JK_KIND_JSON, "1.0", false),
	FIELD("db_role", JK_F_DB_ROLE, JK_KIND_TEXT, "1.0", false),
	FIELD("detail", JK_F_DETAIL, JK_KIND_JSON, "1.0", false),
	FIELD("fields", JK_F_FIELDS, JK_KIND_TEXT_ARRAY, "1.0", false),
	FIELD("login_role", JK_F_LOGIN_ROLE, JK_KIND_TEXT, "1.1", true),
	FIELD("operator_id", JK_F_OPERATOR_ID, JK_KIND_INT, "1.0", false),
	FIELD("outcome", JK_F_OUTCOME, JK_KIND_TEXT, "1.0", false),
	FIELD("permit_id", JK_F_PERMIT_ID, JK_KIND_INT, "1.0", false),
	FIELD("purpose", JK_F_PURPOSE, JK_KIND_TEXT, "1.0", false),
	FIELD("reason", JK_F_REASON, JK_KIND_TEXT, "1.0", false),
	FIELD("row_count", JK_F_ROW_COUNT, JK_KIND_INT, "1.0", false),
	FIELD("seq", JK_F_SEQ, JK_KIND_INT, "1.0", false),
	FIELD("session_id", JK_F_SESSION_ID, JK_KIND_INT, "1.0", false),
	FIELD("subjects", JK_F_SUBJECTS, JK_KIND_TEXT_ARRAY, "1.0", false),
	FIELD("terminal", JK_F_TERMINAL, JK_KIND_TEXT, "1.1", true),
	FIELD("ts", JK_F_TS, JK_KIND_TS, "1.0", false),
};

const JkField *
jk_field_by_name(const char *name, size_t len)
{
	int			i;

	for (i = 0; i < JK_NFIELDS; i++)
		if (strlen(jk_fields[i].name) == len && memcmp(jk_fields[i].name, name, len) == 0)
			return &jk_fields[i];
	return NULL;
}

bool
jk_entry_field_absent(const JkEntry *e, JkFieldId id)
{
	switch (id)
	{
		case JK_F_ACTION:
			return e->action == NULL;
		case JK_F_BACKEND_PID:
			return !e->has_backend_pid;
		case JK_F_CARD_SERIAL:
			return e->card_serial == NULL;
		case JK_F_CLIENT_ADDR:
			return e->client_addr == NULL;
		case JK_F_CRITERIA:
			return e->criteria == NULL;
		case JK_F_DB_ROLE:
			return e->db_role == NULL;
		case JK_F_DETAIL:
			return e->detail == NULL;
		case JK_F_FIELDS:
			return e->fields_null;
		case JK_F_LOGIN_ROLE:
			return e->login_role == NULL;
		case JK_F_TERMINAL:
			return e->terminal == NULL;
		case JK_F_OPERATOR_ID:
			return !e->has_operator_id;
		case JK_F_OUTCOME:
			return e->outcome == NULL;
		case JK_F_PERMIT_ID:
			return !e->has_permit_id;
		case JK_F_PURPOSE:
			return e->purpose == NULL;
		case JK_F_REASON:
			return e->reason == NULL;
		case JK_F_ROW_COUNT:
			return !e->has_row_count;
		case JK_F_SESSION_ID:
			return !e->has_session_id;
		case JK_F_SUBJECTS:
			return e->subjects_null;
		case JK_F_SEQ:
		case JK_F_TS:
		case JK_NFIELDS:
			break;
	}
	return false;
}

static void
put_str_or_null(JkBuf *out, const char *s)
{
	if (s == NULL)
		jk_buf_append(out, "null", 4);
	else
		jk_json_string(out, s, strlen(s));
}

static void
put_int_or_null(JkBuf *out, bool has, int64_t v)
{
	if (has)
		jk_buf_append_int64(out, v);
	else
		jk_buf_append(out, "null", 4);
}

/* criteria and detail are canonical JSON already: copied verbatim. */
static void
put_raw_or_null(JkBuf *out, const char *json)
{
	jk_buf_append_str(out, json != NULL ? json : "null");
}

static void
put_str_array_or_null(JkBuf *out, bool isnull, int n, const char *const *v)
{
	int			i;

	if (isnull)
	{
		jk_buf_append(out, "null", 4);
		return;
	}
	putc_(out, '[');
	for (i = 0; v != NULL && i < n; i++)
	{
		if (i > 0)
			putc_(out, ',');
		jk_json_string(out, v[i], strlen(v[i]));
	}
	putc_(out, ']');
}

/* The value of one field (absent: null). */
static void
put_field_value(JkBuf *out, const JkEntry *e, JkFieldId id, const char *ts)
{
	switch (id)
	{
		case JK_F_ACTION:
			put_str_or_null(out, e->action);
			break;
		case JK_F_BACKEND_PID:
			put_int_or_null(out, e->has_backend_pid, e->backend_pid);
			break;
		case JK_F_CARD_SERIAL:
			put_str_or_null(out, e->card_serial);
			break;
		case JK_F_CLIENT_ADDR:
			put_str_or_null(out, e->client_addr);
			break;
		case JK_F_CRITERIA:
			put_raw_or_null(out, e->criteria);
			break;
		case JK_F_DB_ROLE:
			put_str_or_null(out, e->db_role);
			break;
		case JK_F_DETAIL:
			put_raw_or_null(out, e->detail);
			break;
		case JK_F_FIELDS:
			put_str_array_or_null(out, e->fields_null, e->nfields, e->fields);
			break;
		case JK_F_LOGIN_ROLE:
			put_str_or_null(out, e->login_role);
			break;
		case JK_F_TERMINAL:
			put_str_or_null(out, e->terminal);
			break;
		case JK_F_OPERATOR_ID:
			put_int_or_null(out, e->has_operator_id, e->operator_id);
			break;
		case JK_F_OUTCOME:
			put_str_or_null(out, e->outcome);
			break;
		case JK_F_PERMIT_ID:
			put_int_or_null(out, e->has_permit_id, e->permit_id);
			break;
		case JK_F_PURPOSE:
			put_str_or_null(out, e->purpose);
			break;
		case JK_F_REASON:
			put_str_or_null(out, e->reason);
			break;
		case JK_F_ROW_COUNT:
			put_int_or_null(out, e->has_row_count, e->row_count);
			break;
		case JK_F_SEQ:
			jk_buf_append_int64(out, e->seq);
			break;
		case JK_F_SESSION_ID:
			put_int_or_null(out, e->has_session_id, e->session_id);
			break;
		case JK_F_SUBJECTS:
			put_str_array_or_null(out, e->subjects_null, e->nsubjects, e->subjects);
			break;
		case JK_F_TS:
			put_str_or_null(out, ts);
			break;
		case JK_NFIELDS:
			break;
	}
}

/* Keys in jk_fields order, which is code-point order; see entry.h. */
bool
jk_canonical_entry(JkBuf *out, const JkEntry *e)
{
	char		ts[JK_TS_LEN + 1];
	bool		first = true;
	int			i;

	if (!jk_format_ts(e->ts_unix_us, ts))
		return false;			/* nothing appended */

	putc_(out, '{');
	for (i = 0; i < JK_NFIELDS; i++)
	{
		const JkField *f = &jk_fields[i];

		/* a field added after 1.0 appears only with a value (entry.h) */
		if (f->added && jk_entry_field_absent(e, f->id))
			continue;
		if (!first)
			putc_(out, ',');
		first = false;
		jk_buf_append(out, f->key, f->key_len);
		put_field_value(out, e, f->id, ts);
	}
	putc_(out, '}');
	return true;
}

/* What jk_entry_check_fields learns from the top-level keys. */
typedef struct FieldCheck
{
	uint32_t	seen;			/* bit per JkFieldId */
	const char *unknown_key;	/* the first key that is not a field */
	size_t		unknown_len;
	const JkField *null_added;	/* the first later field written as null */
} FieldCheck;

static void
note_key(const char *key, size_t len, char value_first, void *arg)
{
	FieldCheck *fc = arg;
	const JkField *f = jk_field_by_name(key, len);

	if (f == NULL)
	{
		if (fc->unknown_key == NULL)
		{
			fc->unknown_key = key;
			fc->unknown_len = len;
		}
		return;
	}
	fc->seen |= UINT32_C(1) << f->id;
	if (f->added && value_first == 'n' && fc->null_added == NULL)
		fc->null_added = f;
}

/* The top-level keys of an entry against jk_fields (see entry.h). */
bool
jk_entry_check_fields(const char *canon, size_t len, char *err, size_t errlen)
{
	FieldCheck	fc;
	int			i;

	memset(&fc, 0, sizeof(fc));
	if (!jk_json_top_keys(canon, len, note_key, &fc))
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "entry is not a canonical JSON object");
		return false;
	}
	if (fc.unknown_key != NULL)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "entry has a field this verifier does not know: \"%.*s\" "
					 "(a newer log format? use a newer juki_verify)",
					 (int) (fc.unknown_len < 64 ? fc.unknown_len : 64), fc.unknown_key);
		return false;
	}
	if (fc.null_added != NULL)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "entry has \"%s\": null (a field added in format %s "
					 "is left out when it has no value)", fc.null_added->name, fc.null_added->since);
		return false;
	}
	for (i = 0; i < JK_NFIELDS; i++)
		if (!jk_fields[i].added && !(fc.seen & (UINT32_C(1) << i)))
		{
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "entry lacks the field \"%s\"", jk_fields[i].name);
			return false;
		}
	return true;
}
