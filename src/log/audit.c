/*-------------------------------------------------------------------------
 * audit.c
 *		Building operation-log records, queueing them, and waiting until the
 *		audit writer has committed and flushed them (DESIGN §7.3).
 *
 * "Log before you disclose": juki_audit_log returns only once the record
 * is durable, independently of the caller's transaction, so it survives
 * the caller's rollback; if that cannot be confirmed within
 * juki.audit_wait_timeout it raises 55000 and the caller discloses nothing.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>
#include <netdb.h>

#include "access/xlog.h"
#include "common/ip.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "audit.h"
#include "queue.h"
#include "core/context.h"

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

static void canon_container(JkBuf *out, JsonbContainer *c, int depth);

/* An integral numeric within int64 stays a number, anything else a string. */
static void
canon_numeric(JkBuf *out, Numeric num)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	char	   *dot = strchr(s, '.');
	bool		integral = strpbrk(s, "eEnN") == NULL;
	char	   *end;
	long long	v;

	if (integral && dot != NULL)
	{
		char	   *p;

		for (p = dot + 1; *p; p++)
			if (*p != '0')
				integral = false;
		if (integral)
			*dot = '\0';
	}
	if (integral)
	{
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
		{
			char		buf[32];

			snprintf(buf, sizeof(buf), "%lld", v);
			jk_buf_append_str(out, buf);
			return;
		}
		if (dot)
			*dot = '.';
	}
	jk_json_string(out, s, strlen(s));
}

static void
canon_value(JkBuf *out, JsonbValue *v, int depth)
{
	switch (v->type)
	{
		case jbvNull:
			jk_buf_append_str(out, "null");
			break;
		case jbvBool:
			jk_buf_append_str(out, v->val.boolean ? "true" : "false");
			break;
		case jbvString:
			jk_json_string(out, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			canon_numeric(out, v->val.numeric);
			break;
		case jbvBinary:
			canon_container(out, v->val.binary.data, depth + 1);
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
}

typedef struct CanonPair
{
	char	   *key;
	int			keylen;
	char	   *value;
} CanonPair;

static int
pair_cmp(const void *a, const void *b)
{
	const CanonPair *x = a;
	const CanonPair *y = b;
	int			c = memcmp(x->key, y->key, Min(x->keylen, y->keylen));

	return c != 0 ? c : x->keylen - y->keylen;
}

/* Objects: jsonb orders keys by length first, the log by code point. */
static void
canon_container(JkBuf *out, JsonbContainer *c, int depth)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;

	check_stack_depth();
	tok = JsonbIteratorNext(&it, &v, true);
	if (tok == WJB_BEGIN_ARRAY)
	{
		bool		first = true;

		if (v.val.array.rawScalar)
		{
			tok = JsonbIteratorNext(&it, &v, true);
			canon_value(out, &v, depth);
			return;
		}
		jk_buf_append_str(out, "[");
		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_ELEM)
		{
			if (!first)
				jk_buf_append_str(out, ",");
			first = false;
			canon_value(out, &v, depth);
		}
		jk_buf_append_str(out, "]");
	}
	else if (tok == WJB_BEGIN_OBJECT)
	{
		int			n = v.val.object.nPairs;
		CanonPair  *pairs = palloc(sizeof(CanonPair) * Max(n, 1));
		int			i = 0;

		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_KEY)
		{
			JkBuf		vb;

			Assert(i < n);
			pairs[i].key = v.val.string.val;
			pairs[i].keylen = v.val.string.len;
			tok = JsonbIteratorNext(&it, &v, true);
			Assert(tok == WJB_VALUE);
			juki_buf_init(&vb);
			canon_value(&vb, &v, depth);
			pairs[i].value = vb.data;
			i++;
		}
		qsort(pairs, i, sizeof(CanonPair), pair_cmp);
		jk_buf_append_str(out, "{");
		for (n = 0; n < i; n++)
		{
			if (n > 0)
				jk_buf_append_str(out, ",");
			jk_json_string(out, pairs[n].key, pairs[n].keylen);
			jk_buf_append_str(out, ":");
			jk_buf_append_str(out, pairs[n].value);
		}
		jk_buf_append_str(out, "}");
	}
	else
		elog(ERROR, "unexpected jsonb iterator token %d", (int) tok);
}

char *
juki_jsonb_canonical(Jsonb *jb)
{
	JkBuf		out;

	juki_buf_init(&out);
	canon_container(&out, &jb->root, 0);
	return out.data;
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
 * Flattened record layout (payload of a queue entry; host byte order, only
 * ever read by the writer of the same server):
 *	FlatFixed, then 10 strings (db_role, login_role, card_serial, client_addr,
 *	action, purpose, outcome, reason, criteria, detail), then subjects and fields
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
#define FLAT_NSTRINGS 10

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
	flat_str(&buf, r->criteria ? juki_jsonb_canonical(r->criteria) : NULL);
	flat_str(&buf, r->detail);
	flat_list(&buf, r->subjects);
	flat_list(&buf, r->fields);
	*len = buf.len;
	return buf.data;
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
	e->subjects = flat_read_list(&fr, &e->nsubjects, &e->subjects_null);
	e->fields = flat_read_list(&fr, &e->nfields, &e->fields_null);
	return !fr.bad && e->action != NULL && e->outcome != NULL && fr.p == fr.end;
}

/* ------------------------------------------------------------- logging */

/*
 * The record this backend is waiting for, if any: should the backend end
 * while it waits (pg_terminate_backend, shutdown), its exit callback
 * withdraws the record, as a timeout or a cancel does.
 */
static JukiTicket waiting_for;
static bool waiting = false;

static void
withdraw_at_exit(int code, Datum arg)
{
	if (waiting)
	{
		waiting = false;
		(void) juki_queue_withdraw(&waiting_for, JUKI_WITHHOLD_EXIT);
	}
}

/*
 * Wait until the record is durable.  A waiter that gives up (the deadline
 * passed, the statement was cancelled, the backend ends) withdraws it: the
 * record stays queued and is written as decided, followed by a withheld
 * entry, so that the log says the client never got the answer.  If it
 * became durable meanwhile, the wait succeeded after all.
 */
static bool
wait_durable(const JukiTicket *ticket)
{
	static bool registered = false;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   juki_audit_wait_timeout_ms);
	bool		done;

	if (!registered)
	{
		before_shmem_exit(withdraw_at_exit, (Datum) 0);
		registered = true;
	}
	waiting_for = *ticket;
	waiting = true;
	PG_TRY();
	{
		done = juki_queue_wait(ticket->end, deadline);
	}
	PG_CATCH();
	{
		waiting = false;
		(void) juki_queue_withdraw(ticket, JUKI_WITHHOLD_CANCEL);
		PG_RE_THROW();
	}
	PG_END_TRY();
	waiting = false;
	if (!done)
		done = !juki_queue_withdraw(ticket, JUKI_WITHHOLD_TIMEOUT);
	return done;
}

/* Queue and wait; on failure say why.  Never throws for the log itself. */
bool
juki_audit_log_try(JukiAuditRecord *r, const char **problem)
{
	Size		len;
	char	   *flat;
	JukiTicket	ticket;

	juki_require_preload();
	if (RecoveryInProgress())
	{
		*problem = "this server is a standby and the operation log is written only on the primary";
		return false;
	}
	flat = juki_audit_flatten(r, &len);
	if (!juki_queue_put(flat, len, &ticket, problem))
	{
		pfree(flat);
		return false;
	}
	pfree(flat);
	if (!wait_durable(&ticket))
	{
		*problem = "the audit writer did not confirm the record within juki.audit_wait_timeout";
		return false;
	}
	return true;
}

void
juki_audit_log(JukiAuditRecord *r)
{
	const char *problem;

	if (!juki_audit_log_try(r, &problem))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("juki cannot make the audit record of this request durable, so it is refused"),
				 errdetail("reason: audit_unavailable; %s.", problem),
				 errhint("Check that the juki audit writer runs (SELECT * FROM juki.status()) and read the server log.")));
}

void
juki_audit_log_async(JukiAuditRecord *r)
{
	Size		len;
	char	   *flat;
	JukiTicket	ticket;
	const char *problem;

	if (!juki_preloaded || RecoveryInProgress())
		return;
	flat = juki_audit_flatten(r, &len);
	if (!juki_queue_put(flat, len, &ticket, &problem))
		ereport(WARNING,
				(errmsg("juki could not queue the audit record of action \"%s\": %s",
						r->action, problem)));
	pfree(flat);
}
