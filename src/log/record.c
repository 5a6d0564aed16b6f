/*-------------------------------------------------------------------------
 * record.c
 *		The operation-log record, as the producers (every backend that
 *		decides something) build it and as the audit writer reads it back:
 *		one module both include, so that neither calls into the other.
 *
 *	- JukiAuditRecord: the fields a producer fills (DESIGN §7.1); the role,
 *	  login, backend pid and client address are added when it is flattened;
 *	- JukiDetail: the builder of the detail object, keys emitted sorted;
 *	- flatten/unflatten: the record as bytes in juki's WAL record (host byte
 *	  order: read back by this server's writer, or replayed by a physical
 *	  standby, which has the same architecture); the appender canonicalises
 *	  criteria and detail (format/json.c) before the bytes are final;
 *	- juki_jsonb_canonical: a stored jsonb value read back for hashing
 *	  (straight from the jsonb by jsonb_canon.c, or through its text).
 * Nothing here touches shared memory.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>
#include <netdb.h>

#include "common/ip.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "format/json.h"
#include "core/context.h"
#include "jsonb_canon.h"
#include "record.h"

/* ------------------------------------------------------------ buffers */

static void *
palloc_realloc(void *ptr, size_t size)
{
	return ptr ? repalloc(ptr, size) : palloc(size);
}

void
juki_buf_init(JkBuf *b)
{
	jk_buf_init(b, palloc_realloc);
}

/* -------------------------------------------------- jsonb → canonical */

/*
 * A stored jsonb value (criteria, detail) in canonical form, the slow way:
 * PostgreSQL's text of it through the one canonicaliser, numbers the log
 * cannot hold as strings, as the writer stored it.  A value no entry could
 * hold (nested deeper than 64: only a hand-edited row) is returned as
 * PostgreSQL's text, so that its hash simply does not match.
 */
static char *
jsonb_canonical_by_text(Jsonb *jb)
{
	char	   *text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	JkBuf		out;
	char		err[JK_ERR_LEN];

	juki_buf_init(&out);
	if (jk_json_canonicalize_ex(text, strlen(text), &out, JK_JSON_NUMBERS_AS_STRINGS,
								err, sizeof(err)))
		return out.data;
	return text;
}

/*
 * The same bytes, to hash the value again (verify_log, export_log): written
 * straight from the jsonb (jsonb_canon.c) where it can be, else the slow
 * way above for the whole value.
 */
char *
juki_jsonb_canonical(Jsonb *jb)
{
	JkBuf		out;

	juki_buf_init(&out);
	if (juki_jsonb_canonical_direct(jb, &out))
		return out.data;
	pfree(out.data);
	return jsonb_canonical_by_text(jb);
}

/* ------------------------------------------------------- detail builder */

typedef struct DetailItem
{
	char	   *key;
	char	   *value;			/* canonical JSON */
} DetailItem;

void
jd_init(JukiDetail *d)
{
	d->items = NIL;
}

void
jd_json(JukiDetail *d, const char *key, const char *canonical)
{
	DetailItem *it = palloc(sizeof(DetailItem));

	it->key = pstrdup(key);
	it->value = pstrdup(canonical ? canonical : "null");
	d->items = lappend(d->items, it);
}

void
jd_str(JukiDetail *d, const char *key, const char *val)
{
	JkBuf		b;

	if (val == NULL)
	{
		jd_json(d, key, NULL);
		return;
	}
	juki_buf_init(&b);
	jk_json_string(&b, val, strlen(val));
	jd_json(d, key, b.data);
}

void
jd_int(JukiDetail *d, const char *key, int64 val)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), INT64_FORMAT, val);
	jd_json(d, key, buf);
}

void
jd_bool(JukiDetail *d, const char *key, bool val)
{
	jd_json(d, key, val ? "true" : "false");
}

static int
item_cmp(const ListCell *a, const ListCell *b)
{
	const DetailItem *x = lfirst(a);
	const DetailItem *y = lfirst(b);

	return strcmp(x->key, y->key);	/* UTF-8 byte order = code point order */
}

char *
jd_finish(JukiDetail *d)
{
	JkBuf		b;
	ListCell   *lc;
	const char *prev = NULL;

	list_sort(d->items, item_cmp);
	juki_buf_init(&b);
	jk_buf_append_str(&b, "{");
	foreach(lc, d->items)
	{
		DetailItem *it = lfirst(lc);

		if (prev && strcmp(prev, it->key) == 0)
			elog(ERROR, "duplicate key \"%s\" in audit detail", it->key);
		if (prev)
			jk_buf_append_str(&b, ",");
		jk_json_string(&b, it->key, strlen(it->key));
		jk_buf_append_str(&b, ":");
		jk_buf_append_str(&b, it->value);
		prev = it->key;
	}
	jk_buf_append_str(&b, "}");
	return b.data;
}

/* ------------------------------------------------------------ records */

void
juki_audit_record_init(JukiAuditRecord *r, const char *action,
					   const char *outcome, const char *reason)
{
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->outcome = outcome;
	r->reason = reason;
	r->operator_id = JUKI_NO_ID;
	r->session_id = JUKI_NO_ID;
	r->permit_id = JUKI_NO_ID;
	r->row_count = JUKI_NO_ID;
}

/*
 * An entry of the log's own making (the writer's start, stop, checkpoints;
 * a clock jump, a withheld answer): this process, no operator, no subjects,
 * no fields.
 */
void
juki_entry_own(JkEntry *e, const char *action, const char *outcome,
			   const char *reason, const char *detail)
{
	memset(e, 0, sizeof(*e));
	e->action = action;
	e->outcome = outcome;
	e->reason = reason;
	e->detail = detail;
	e->has_backend_pid = true;
	e->backend_pid = MyProcPid;
	e->subjects_null = true;
	e->fields_null = true;
}

/* The client's host address as text, NULL for a Unix socket; computed once. */
static const char *
client_addr(void)
{
	static bool done = false;
	static char host[NI_MAXHOST];

	if (!done)
	{
		host[0] = '\0';
		if (MyProcPort && (MyProcPort->raddr.addr.ss_family == AF_INET ||
						   MyProcPort->raddr.addr.ss_family == AF_INET6))
		{
			if (pg_getnameinfo_all(&MyProcPort->raddr.addr, MyProcPort->raddr.salen,
								   host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
				host[0] = '\0';
		}
		done = true;
	}
	return host[0] ? host : NULL;
}

/*
 * Flattened record layout (payload of juki's WAL record, log/wal.h; host
 * byte order):
 *	FlatFixed, then 11 strings (db_role, login_role, card_serial, client_addr,
 *	action, purpose, outcome, reason, criteria, detail, terminal), then subjects and fields
 *	as a count followed by that many strings.  A string is a uint32 length
 *	(FLAT_NULL for null), its bytes and a NUL; a count FLAT_NULL is null.
 */
typedef struct FlatFixed
{
	int64		operator_id;
	int64		session_id;
	int64		permit_id;
	int64		row_count;
	int32		backend_pid;
	int32		pad;
} FlatFixed;

#define FLAT_NULL	PG_UINT32_MAX
#define FLAT_NSTRINGS 11

static void
flat_str(StringInfo buf, const char *s)
{
	uint32		len = s ? (uint32) strlen(s) : FLAT_NULL;

	appendBinaryStringInfo(buf, (char *) &len, sizeof(len));
	if (s)
		appendBinaryStringInfo(buf, s, len + 1);
}

static void
flat_list(StringInfo buf, List *l)
{
	uint32		n = l == NIL ? FLAT_NULL : (uint32) list_length(l);
	ListCell   *lc;

	appendBinaryStringInfo(buf, (char *) &n, sizeof(n));
	foreach(lc, l)
		flat_str(buf, (const char *) lfirst(lc));
}

char *
juki_audit_flatten(JukiAuditRecord *r, Size *len)
{
	StringInfoData buf;
	FlatFixed	fixed;
	/* the writer flattens its own entries outside any transaction */
	char	   *role = juki_is_audit_writer ? NULL :
		GetUserNameFromId(GetOuterUserId(), true);
	/* who authenticated: SET ROLE / SET SESSION AUTHORIZATION never change it */
	char	   *login = juki_is_audit_writer ? NULL :
		GetUserNameFromId(GetAuthenticatedUserId(), true);

	Assert(r->action && r->outcome);
	memset(&fixed, 0, sizeof(fixed));
	fixed.operator_id = r->operator_id;
	fixed.session_id = r->session_id;
	fixed.permit_id = r->permit_id;
	fixed.row_count = r->row_count;
	fixed.backend_pid = MyProcPid;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, (char *) &fixed, sizeof(fixed));
	flat_str(&buf, role);
	flat_str(&buf, login);
	flat_str(&buf, r->card_serial);
	flat_str(&buf, client_addr());
	flat_str(&buf, r->action);
	flat_str(&buf, r->purpose);
	flat_str(&buf, r->outcome);
	flat_str(&buf, r->reason);
	/* as text: the writer canonicalises it (format/json.c), the one canonicaliser */
	flat_str(&buf, r->criteria ? JsonbToCString(NULL, &r->criteria->root, VARSIZE(r->criteria)) : NULL);
	flat_str(&buf, r->detail);
	flat_str(&buf, r->terminal);
	flat_list(&buf, r->subjects);
	flat_list(&buf, r->fields);
	*len = buf.len;
	return buf.data;
}

/*
 * The same layout from an entry (append.c: the payload of juki's WAL
 * record, whose criteria and detail are already canonical).
 */
char *
juki_entry_flatten(const JkEntry *e, Size *len)
{
	StringInfoData buf;
	FlatFixed	fixed;
	int			i;
	uint32		n;

	memset(&fixed, 0, sizeof(fixed));
	fixed.operator_id = e->has_operator_id ? e->operator_id : JUKI_NO_ID;
	fixed.session_id = e->has_session_id ? e->session_id : JUKI_NO_ID;
	fixed.permit_id = e->has_permit_id ? e->permit_id : JUKI_NO_ID;
	fixed.row_count = e->has_row_count ? e->row_count : JUKI_NO_ID;
	fixed.backend_pid = (int32) e->backend_pid;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, (char *) &fixed, sizeof(fixed));
	flat_str(&buf, e->db_role);
	flat_str(&buf, e->login_role);
	flat_str(&buf, e->card_serial);
	flat_str(&buf, e->client_addr);
	flat_str(&buf, e->action);
	flat_str(&buf, e->purpose);
	flat_str(&buf, e->outcome);
	flat_str(&buf, e->reason);
	flat_str(&buf, e->criteria);
	flat_str(&buf, e->detail);
	flat_str(&buf, e->terminal);
	n = e->subjects_null ? FLAT_NULL : (uint32) e->nsubjects;
	appendBinaryStringInfo(&buf, (char *) &n, sizeof(n));
	for (i = 0; !e->subjects_null && i < e->nsubjects; i++)
		flat_str(&buf, e->subjects[i]);
	n = e->fields_null ? FLAT_NULL : (uint32) e->nfields;
	appendBinaryStringInfo(&buf, (char *) &n, sizeof(n));
	for (i = 0; !e->fields_null && i < e->nfields; i++)
		flat_str(&buf, e->fields[i]);
	*len = buf.len;
	return buf.data;
}

/*
 * A record's criteria and detail, as the log keeps them: canonical
 * (format/json.c, the one canonicaliser; numbers an entry cannot hold
 * become strings), and an object.  Anything else (a malformed record must
 * not stop the log, and a value that is not an object could never be
 * verified as one) is kept as a string under "malformed".
 */
const char *
juki_canonical_json(const char *json, const char *what)
{
	JkBuf		b;
	JkBuf		w;
	char		err[JK_ERR_LEN];
	const char *keep = json;

	if (json == NULL)
		return NULL;
	juki_buf_init(&b);
	if (jk_json_canonicalize_ex(json, strlen(json), &b, JK_JSON_NUMBERS_AS_STRINGS,
								err, sizeof(err)))
	{
		if (b.data[0] == '{')
			return b.data;
		keep = b.data;
		snprintf(err, sizeof(err), "not a JSON object");
	}
	/* the server log only: the caller gets its own error for the input */
	ereport(LOG, (errmsg("juki audit record had malformed %s: %s", what, err)));
	juki_buf_init(&w);
	jk_buf_append_str(&w, "{\"malformed\":");
	jk_json_string(&w, keep, strlen(keep));
	jk_buf_append_str(&w, "}");
	return w.data;
}

/* Cursor over a flattened record; every read is bounds-checked. */
typedef struct FlatReader
{
	const char *p;
	const char *end;
	bool		bad;
} FlatReader;

static uint32
flat_read_u32(FlatReader *fr)
{
	uint32		v;

	if (fr->bad || fr->end - fr->p < (ptrdiff_t) sizeof(v))
	{
		fr->bad = true;
		return 0;
	}
	memcpy(&v, fr->p, sizeof(v));
	fr->p += sizeof(v);
	return v;
}

static const char *
flat_read_str(FlatReader *fr)
{
	uint32		len = flat_read_u32(fr);
	const char *s;

	if (fr->bad || len == FLAT_NULL)
		return NULL;
	if (fr->end - fr->p < (ptrdiff_t) len + 1 || fr->p[len] != '\0' ||
		strlen(fr->p) != len)
	{
		fr->bad = true;
		return NULL;
	}
	s = fr->p;
	fr->p += len + 1;
	return s;
}

static const char *const *
flat_read_list(FlatReader *fr, int *n, bool *isnull)
{
	uint32		count = flat_read_u32(fr);
	const char **items;
	uint32		i;

	*isnull = fr->bad || count == FLAT_NULL;
	*n = 0;
	if (*isnull || count == 0)
		return NULL;
	if (count > (uint32) (fr->end - fr->p) / sizeof(uint32))
	{
		fr->bad = true;
		return NULL;
	}
	items = palloc(sizeof(char *) * count);
	for (i = 0; i < count; i++)
	{
		items[i] = flat_read_str(fr);
		if (items[i] == NULL)
		{
			fr->bad = true;
			return NULL;
		}
	}
	*n = (int) count;
	return items;
}

/*
 * Decode a payload into a JkEntry pointing into it (seq and ts not set).
 * False if it is malformed: the writer then records that instead of dying
 * on it over and over.
 */
bool
juki_audit_unflatten(const char *payload, Size len, JkEntry *e)
{
	FlatReader	fr = {payload, payload + len, false};
	FlatFixed	fixed;

	memset(e, 0, sizeof(*e));
	if (len < sizeof(fixed))
		return false;
	memcpy(&fixed, payload, sizeof(fixed));
	fr.p += sizeof(fixed);
	e->has_operator_id = fixed.operator_id != JUKI_NO_ID;
	e->operator_id = fixed.operator_id;
	e->has_session_id = fixed.session_id != JUKI_NO_ID;
	e->session_id = fixed.session_id;
	e->has_permit_id = fixed.permit_id != JUKI_NO_ID;
	e->permit_id = fixed.permit_id;
	e->has_row_count = fixed.row_count != JUKI_NO_ID;
	e->row_count = fixed.row_count;
	e->has_backend_pid = true;
	e->backend_pid = fixed.backend_pid;
	e->db_role = flat_read_str(&fr);
	e->login_role = flat_read_str(&fr);
	e->card_serial = flat_read_str(&fr);
	e->client_addr = flat_read_str(&fr);
	e->action = flat_read_str(&fr);
	e->purpose = flat_read_str(&fr);
	e->outcome = flat_read_str(&fr);
	e->reason = flat_read_str(&fr);
	e->criteria = flat_read_str(&fr);
	e->detail = flat_read_str(&fr);
	e->terminal = flat_read_str(&fr);
	e->subjects = flat_read_list(&fr, &e->nsubjects, &e->subjects_null);
	e->fields = flat_read_list(&fr, &e->nfields, &e->fields_null);
	return !fr.bad && e->action != NULL && e->outcome != NULL && fr.p == fr.end;
}
