/*-------------------------------------------------------------------------
 * policy.c
 *		The one decision function: who is asking (the attached operator
 *		session), for what purpose, with which criteria, at what time →
 *		allow (with the permit and row limit the request runs under) or
 *		deny with a stable reason code and SQLSTATE.
 *
 * Policy rows (purposes, hours, operators, cards, designations, permits,
 * contracts) are cached per backend and dropped as a whole when the shared
 * policy generation moves; every juki function that changes one of them
 * bumps it at commit (state.c).  What is cached is data, never a decision:
 * windows, expiry and hours are evaluated on every request, against the
 * clock.  The cache is loaded with the latest snapshot, so a REPEATABLE READ
 * transaction that began before a revocation still sees the revocation.
 * Two things are never cached: the emergency flag (shared memory) and
 * whether a bulk permit was used (the durable log).  How many rows a
 * request may add to what was already disclosed is volume.c's business.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "core/spi.h"
#include "access/duties.h"
#include "core/locks.h"
#include "policy.h"
#include "core/state.h"
#include "statement_rows.h"

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

static MemoryContext policy_cxt = NULL;
static uint64 cached_generation = 0;
static List *purposes = NIL;	/* JukiPurpose */
static List *hours = NIL;		/* Hours */
static List *operators = NIL;	/* OpPolicy */

#define MAX_CACHED_OPERATORS 256

/* ------------------------------------------------------------ loading */

static char *
cache_text(SPITupleTable *t, int row, int col)
{
	char	   *v = SPI_getvalue(t->vals[row], t->tupdesc, col);

	return v ? MemoryContextStrdup(policy_cxt, v) : NULL;
}

static Datum
col(SPITupleTable *t, int row, int c, bool *isnull)
{
	return SPI_getbinval(t->vals[row], t->tupdesc, c, isnull);
}

static List *
cache_text_array(SPITupleTable *t, int row, int c)
{
	bool		isnull;
	Datum		v = col(t, row, c, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *l = NIL;
	MemoryContext old;

	if (isnull)
		return NIL;
	deconstruct_array(DatumGetArrayTypeP(v), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	old = MemoryContextSwitchTo(policy_cxt);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			l = lappend(l, TextDatumGetCString(elems[i]));
	MemoryContextSwitchTo(old);
	return l;
}

static int
int_or(SPITupleTable *t, int row, int c, int dflt)
{
	bool		isnull;
	Datum		v = col(t, row, c, &isnull);

	return isnull ? dflt : DatumGetInt32(v);
}

static bool
bool_col(SPITupleTable *t, int row, int c)
{
	bool		isnull;
	Datum		v = col(t, row, c, &isnull);

	return !isnull && DatumGetBool(v);
}

static DateADT
date_or(SPITupleTable *t, int row, int c, DateADT dflt)
{
	bool		isnull;
	Datum		v = col(t, row, c, &isnull);

	return isnull ? dflt : DatumGetDateADT(v);
}

static TimestampTz
ts_or(SPITupleTable *t, int row, int c, TimestampTz dflt)
{
	bool		isnull;
	Datum		v = col(t, row, c, &isnull);

	return isnull ? dflt : DatumGetTimestampTz(v);
}

/* Run one read-only query against the latest committed policy. */
static SPITupleTable *
query(const char *sql, int nargs, Oid *types, Datum *args)
{
	int			rc;

	rc = SPI_execute_with_args(sql, nargs, types, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "juki policy query failed: %s", SPI_result_code_string(rc));
	return SPI_tuptable;
}

static void
load_shared_policy(void)
{
	SPITupleTable *t;
	uint64		i;
	MemoryContext old;

	t = query("SELECT DISTINCT ON (code) code, version, department, disclosed_fields,"
			  " search_keys, max_rows, allows_forms, allows_removed, allows_bulk,"
			  " allows_support_measure, requires_named_permit, aggregates_only, min_age, active,"
			  " statement_rows, window_rows"
			  " FROM juki.purpose ORDER BY code, version DESC", 0, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
	{
		JukiPurpose *p = MemoryContextAllocZero(policy_cxt, sizeof(JukiPurpose));

		p->code = cache_text(t, i, 1);
		p->version = int_or(t, i, 2, 1);
		p->department = cache_text(t, i, 3);
		p->fields = cache_text_array(t, i, 4);
		p->search_keys = cache_text_array(t, i, 5);
		p->max_rows = int_or(t, i, 6, -1);
		p->allows_forms = bool_col(t, i, 7);
		p->allows_removed = bool_col(t, i, 8);
		p->allows_bulk = bool_col(t, i, 9);
		p->allows_support_measure = bool_col(t, i, 10);
		p->requires_named_permit = bool_col(t, i, 11);
		p->aggregates_only = bool_col(t, i, 12);
		p->min_age = int_or(t, i, 13, -1);
		p->active = bool_col(t, i, 14);
		p->statement_rows = int_or(t, i, 15, -1);
		p->window_rows = int_or(t, i, 16, -1);
		old = MemoryContextSwitchTo(policy_cxt);
		purposes = lappend(purposes, p);
		MemoryContextSwitchTo(old);
	}

	t = query("SELECT DISTINCT ON (purpose, weekday) coalesce(purpose, ''), weekday, opens, closes"
			  " FROM juki.operating_hours ORDER BY purpose, weekday, id DESC", 0, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
	{
		Hours	   *h = MemoryContextAllocZero(policy_cxt, sizeof(Hours));
		bool		isnull;

		h->purpose = cache_text(t, i, 1);
		h->weekday = int_or(t, i, 2, -1);
		h->opens = DatumGetTimeADT(col(t, i, 3, &isnull));
		h->closed = isnull;
		if (!isnull)
			h->closes = DatumGetTimeADT(col(t, i, 4, &isnull));
		old = MemoryContextSwitchTo(policy_cxt);
		hours = lappend(hours, h);
		MemoryContextSwitchTo(old);
	}
}

static void
load_operator(OpPolicy *op)
{
	SPITupleTable *t;
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		args[2];
	uint64		i;
	int64		contract_id = -1;
	MemoryContext old;

	args[0] = Int64GetDatum(op->id);
	t = query("SELECT o.role_name::text, o.kind = 'contractor', o.retired_at IS NOT NULL,"
			  " (SELECT p.set_at FROM juki.operator_password p WHERE p.operator_id = o.id),"
			  " (SELECT max(t.completed_on) FROM juki.training t"
			  "   WHERE t.operator_id = o.id AND t.course = 'operator'),"
			  " o.contract_id"
			  " FROM juki.operator o WHERE o.id = $1", 1, types, args);
	if (SPI_processed != 1)
		return;
	op->found = true;
	op->role = cache_text(t, 0, 1);
	op->contractor = bool_col(t, 0, 2);
	op->retired = bool_col(t, 0, 3);
	op->password_set_at = ts_or(t, 0, 4, 0);
	op->last_training = date_or(t, 0, 5, DATEVAL_NOBEGIN);
	{
		bool		isnull;
		Datum		v = col(t, 0, 6, &isnull);

		if (!isnull)
			contract_id = DatumGetInt64(v);
	}

	old = MemoryContextSwitchTo(policy_cxt);

	t = query("SELECT card_serial, revoked_at IS NOT NULL, valid_from, valid_until"
			  " FROM juki.operator_card WHERE operator_id = $1", 1, types, args);
	/* SPI left us in its procedure context */
	MemoryContextSwitchTo(policy_cxt);
	for (i = 0; i < SPI_processed; i++)
	{
		OpCard	   *c = palloc0(sizeof(OpCard));

		c->serial = cache_text(t, i, 1);
		c->revoked = bool_col(t, i, 2);
		c->valid_from = date_or(t, i, 3, DATEVAL_NOBEGIN);
		c->valid_until = date_or(t, i, 4, DATEVAL_NOBEGIN);
		op->cards = lappend(op->cards, c);
	}

	t = query("SELECT purposes, valid_from, valid_until FROM juki.designation"
			  " WHERE operator_id = $1 AND revoked_at IS NULL", 1, types, args);
	/* SPI left us in its procedure context */
	MemoryContextSwitchTo(policy_cxt);
	for (i = 0; i < SPI_processed; i++)
	{
		OpDesignation *ds = palloc0(sizeof(OpDesignation));

		ds->purposes = cache_text_array(t, i, 1);
		ds->valid_from = date_or(t, i, 2, DATEVAL_NOEND);
		ds->valid_until = date_or(t, i, 3, DATEVAL_NOBEGIN);
		op->designations = lappend(op->designations, ds);
	}

	/* recently expired permits too, to say permit_expired rather than no_permit */
	t = query("SELECT id, purpose, valid_from, valid_until, residents, bulk_rows, off_hours"
			  " FROM juki.access_permit WHERE operator_id = $1 AND status = 'approved'"
			  " AND valid_until > pg_catalog.now() - interval '30 days'", 1, types, args);
	/* SPI left us in its procedure context */
	MemoryContextSwitchTo(policy_cxt);
	for (i = 0; i < SPI_processed; i++)
	{
		JukiPermit *p = palloc0(sizeof(JukiPermit));
		bool		isnull;
		Datum		v;

		p->id = DatumGetInt64(col(t, i, 1, &isnull));
		p->purpose = cache_text(t, i, 2);
		p->valid_from = ts_or(t, i, 3, DT_NOEND);
		p->valid_until = ts_or(t, i, 4, DT_NOBEGIN);
		p->residents = cache_text_array(t, i, 5);
		v = col(t, i, 6, &isnull);
		p->bulk_rows = isnull ? -1 : DatumGetInt32(v);
		p->off_hours = bool_col(t, i, 7);
		op->permits = lappend(op->permits, p);
	}

	if (op->contractor && contract_id >= 0)
	{
		args[1] = Int64GetDatum(contract_id);
		t = query("SELECT c.starts_on, c.ends_on, c.pledge_received_on IS NOT NULL,"
				  " c.approved_at IS NOT NULL, k.approved_at IS NOT NULL, c.purposes,"
				  " (SELECT min(h.valid_from) FROM juki.contract_handler h WHERE h.contract_id = c.id"
				  "   AND h.operator_id = $1 AND h.revoked_at IS NULL),"
				  " (SELECT max(h.valid_until) FROM juki.contract_handler h WHERE h.contract_id = c.id"
				  "   AND h.operator_id = $1 AND h.revoked_at IS NULL)"
				  " FROM juki.contract c JOIN juki.contractor k ON k.id = c.contractor_id"
				  " WHERE c.id = $2", 2, types, args);
		/* SPI left us in its procedure context */
		MemoryContextSwitchTo(policy_cxt);
		if (SPI_processed == 1)
		{
			op->contract_found = true;
			op->contract_from = date_or(t, 0, 1, DATEVAL_NOEND);
			op->contract_until = date_or(t, 0, 2, DATEVAL_NOBEGIN);
			op->pledge = bool_col(t, 0, 3);
			op->contract_approved = bool_col(t, 0, 4);
			op->contractor_approved = bool_col(t, 0, 5);
			op->contract_purposes = cache_text_array(t, 0, 6);
			op->handler_from = date_or(t, 0, 7, DATEVAL_NOBEGIN);
			op->handler_until = date_or(t, 0, 8, DATEVAL_NOBEGIN);
		}
	}
	MemoryContextSwitchTo(old);
}

/*
 * Policy rows for this operator under the current generation.  Loaded with
 * the latest snapshot (see the file header) as juki's owner.
 */
static OpPolicy *
operator_policy(int64 operator_id)
{
	uint64		gen = juki_policy_generation();
	ListCell   *lc;
	OpPolicy   *op = NULL;
	JukiSpi		spi;
	bool		need_shared;

	if (policy_cxt == NULL)
		policy_cxt = AllocSetContextCreate(CacheMemoryContext, "juki policy cache",
										   ALLOCSET_DEFAULT_SIZES);
	if (gen != cached_generation || list_length(operators) > MAX_CACHED_OPERATORS)
	{
		MemoryContextReset(policy_cxt);
		purposes = hours = operators = NIL;
		cached_generation = 0;
	}
	foreach(lc, operators)
	{
		OpPolicy   *o = lfirst(lc);

		if (o->id == operator_id)
			return o;
	}

	need_shared = cached_generation == 0;
	juki_spi_begin(&spi);
	PushActiveSnapshot(GetLatestSnapshot());
	PG_TRY();
	{
		MemoryContext old;

		if (need_shared)
			load_shared_policy();
		op = MemoryContextAllocZero(policy_cxt, sizeof(OpPolicy));
		op->id = operator_id;
		load_operator(op);
		old = MemoryContextSwitchTo(policy_cxt);
		operators = lappend(operators, op);
		MemoryContextSwitchTo(old);
	}
	PG_CATCH();
	{
		/* half-loaded: forget all of it */
		MemoryContextReset(policy_cxt);
		purposes = hours = operators = NIL;
		cached_generation = 0;
		PG_RE_THROW();
	}
	PG_END_TRY();
	PopActiveSnapshot();
	juki_spi_end(&spi);
	cached_generation = gen;
	return op;
}

static JukiPurpose *
find_purpose(const char *code)
{
	ListCell   *lc;

	foreach(lc, purposes)
	{
		JukiPurpose *p = lfirst(lc);

		if (strcmp(p->code, code) == 0)
			return p;
	}
	return NULL;
}

static bool
list_has(List *l, const char *s)
{
	ListCell   *lc;

	foreach(lc, l)
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	return false;
}

bool
juki_purpose_allows_key(const JukiPurpose *p, const char *key)
{
	return list_has(p->search_keys, key);
}

bool
juki_purpose_discloses(const JukiPurpose *p, const char *field)
{
	return list_has(p->fields, field);
}

bool
juki_permit_names(const JukiPermit *p, const char *resident_code)
{
	return p != NULL && resident_code != NULL && list_has(p->residents, resident_code);
}

/* ------------------------------------------------------------ clock */

typedef struct LocalNow
{
	TimestampTz now;
	DateADT		date;
	TimeADT		time;
	int			weekday;		/* 0 = Sunday */
	DateADT		year_ago;
} LocalNow;

static void
local_now(LocalNow *ln)
{
	Timestamp	local;
	struct pg_tm tm;
	fsec_t		fsec;
	int			j;
	int			mday;

	ln->now = GetCurrentTimestamp();
	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone,
												  CStringGetTextDatum(juki_timezone),
												  TimestampTzGetDatum(ln->now)));
	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "juki: the clock is out of range");
	j = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	ln->date = j - POSTGRES_EPOCH_JDATE;
	ln->weekday = j2day(j);
	ln->time = (((tm.tm_hour * MINS_PER_HOUR) + tm.tm_min) * SECS_PER_MINUTE + tm.tm_sec)
		* USECS_PER_SEC + fsec;
	/* the same day a year ago; 29 February falls back to the 28th */
	mday = (tm.tm_mon == 2 && tm.tm_mday == 29) ? 28 : tm.tm_mday;
	ln->year_ago = date2j(tm.tm_year - 1, tm.tm_mon, mday) - POSTGRES_EPOCH_JDATE;
}

/* Inside the operating hours of this purpose (or the default ones)? */
static bool
within_hours(const char *purpose, const LocalNow *ln)
{
	ListCell   *lc;
	Hours	   *own = NULL;
	Hours	   *dflt = NULL;
	Hours	   *h;

	foreach(lc, hours)
	{
		Hours	   *x = lfirst(lc);

		if (x->weekday != ln->weekday)
			continue;
		if (strcmp(x->purpose, purpose) == 0)
			own = x;
		else if (x->purpose[0] == '\0')
			dflt = x;
	}
	h = own ? own : dflt;
	return h != NULL && !h->closed && ln->time >= h->opens && ln->time < h->closes;
}

/* ------------------------------------------------------------ decision */

static void
deny(JukiDecision *d, const char *reason, int sqlstate, const char *hint, const char *fmt,...)
	pg_attribute_printf(5, 6);

static void
deny(JukiDecision *d, const char *reason, int sqlstate, const char *hint, const char *fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		ap;
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&buf, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	d->reason = reason;
	d->sqlstate = sqlstate;
	d->message = buf.data;
	d->hint = hint ? pstrdup(hint) : NULL;
}

/* Has this bulk permit already served a request?  Asked of the durable log. */
static bool
bulk_permit_used(int64 permit_id)
{
	JukiSpi		spi;
	Oid			types[1] = {INT8OID};
	Datum		args[1];
	bool		used;
	LOCKTAG		tag;

	/*
	 * Serialise requests under one bulk permit until the first one's log
	 * entry is durable and its transaction ends; then the next one sees it.
	 * The tag is out of reach of SQL advisory locks (locks.h).
	 */
	juki_lock_tag(&tag, JUKI_LOCK_BULK_PERMIT, permit_id);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	args[0] = Int64GetDatum(permit_id);
	juki_spi_begin(&spi);
	PushActiveSnapshot(GetLatestSnapshot());
	used = SPI_execute_with_args("SELECT 1 FROM juki.operation_log WHERE permit_id = $1"
								 " AND detail ? 'bulk_rows' AND outcome = 'granted'"
								 " AND action IN ('lookup', 'search', 'issue_form') LIMIT 1",
								 1, types, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed > 0;
	PopActiveSnapshot();
	juki_spi_end(&spi);
	return used;
}

/*
 * A bulk permit serves the one statement that first used it (volume.c
 * counts its rows there); any other statement finds it used in the log.
 */
static bool
bulk_permit_spent(const JukiPermit *p)
{
	if (juki_statement_permit_rows(p->id) >= 0)
		return false;
	return bulk_permit_used(p->id);
}

/*
 * Pick the permit a request runs under: one naming the resident, else a
 * general one, else (search only) one naming residents, which then limits
 * the search to them.  bulk: only permits with bulk_rows, else only those
 * without.  NULL with a refusal in d if none applies.
 */
static JukiPermit *
choose_permit(OpPolicy *op, const JukiRequest *req, JukiPurpose *pur,
			  const LocalNow *ln, bool open, bool bulk, JukiDecision *d)
{
	ListCell   *lc;
	JukiPermit *best = NULL;
	int			best_score = 0;
	bool		any = false;
	bool		expired = false;
	bool		names_others = false;
	bool		closed = false;
	bool		used = false;

	foreach(lc, op->permits)
	{
		JukiPermit *p = lfirst(lc);
		int			score;

		if (strcmp(p->purpose, req->purpose) != 0)
			continue;
		any = true;
		if (ln->now < p->valid_from || ln->now >= p->valid_until)
		{
			expired = true;
			continue;
		}
		if (bulk != (p->bulk_rows > 0))
			continue;
		if (p->residents == NIL)
			score = pur->requires_named_permit ? 0 : 2;
		else if (req->resident_code)
		{
			score = juki_permit_names(p, req->resident_code) ? 3 : 0;
			if (score == 0)
				names_others = true;
		}
		else
			score = 1;
		/* a bulk permit serves one statement (asked of the durable log) */
		if (score > 0 && bulk && bulk_permit_spent(p))
		{
			used = true;
			continue;
		}
		/* outside the operating hours only off-hours permits count */
		if (score > 0 && !open && !p->off_hours)
		{
			closed = true;
			continue;
		}
		if (score > best_score ||
			(score == best_score && score > 0 && p->valid_until > best->valid_until))
		{
			best = p;
			best_score = score;
		}
	}
	if (best)
		return best;
	if (used)
		deny(d, "permit_used", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "A bulk permit serves one statement; request a new one.",
			 "the bulk permit for purpose %s has already been used", req->purpose);
	else if (closed)
		deny(d, "outside_hours", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "Outside operating hours a permit with off_hours is needed.",
			 "purpose %s is outside its operating hours (%s)", pur->code, juki_timezone);
	else if (names_others)
		deny(d, "no_permit", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "Request a permit naming this resident (juki.request_permit(..., residents => ...)).",
			 "no approved permit for purpose %s names the resident asked for", req->purpose);
	else if (any && expired)
		deny(d, "permit_expired", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "Request a new permit with juki.request_permit().",
			 "the permit for purpose %s is outside its window", req->purpose);
	else
		deny(d, "no_permit", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 pur->allows_bulk ? "This batch purpose needs an approved permit with a row allowance (bulk_rows)."
			 : pur->requires_named_permit ? "This purpose needs an approved permit naming the resident."
			 : "Request one with juki.request_permit(); a security officer of your department approves it.",
			 "no approved permit for purpose %s", req->purpose);
	return NULL;
}

/* Check the operator's own standing: role, card, password, retirement. */
static bool
check_operator(OpPolicy *op, const JukiCurrentSession *s, const LocalNow *ln, JukiDecision *d)
{
	Oid			role = get_role_oid(s->role_name, true);
	const char *a;
	const char *b;
	ListCell   *lc;
	OpCard	   *card = NULL;
	const char *need = op->contractor ? "juki_contractor_operator" : "juki_operator";

	if (!op->found || op->retired)
	{
		deny(d, "operator_retired", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, NULL,
			 "operator %lld is retired or no longer registered", (long long) op->id);
		return false;
	}
	if (!OidIsValid(role) || !is_member_of_role_nosuper(role, get_role_oid(need, false)))
	{
		deny(d, "role_required", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "A DBA grants the operator role to the operator's login role.",
			 "role %s is no longer a member of %s", s->role_name, need);
		return false;
	}
	if (juki_role_conflict(role, &a, &b))
	{
		deny(d, "conflict_of_duties", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "Separate these duties between different people.",
			 "role %s holds both %s and %s", s->role_name, a, b);
		return false;
	}
	foreach(lc, op->cards)
	{
		OpCard	   *c = lfirst(lc);

		if (strcmp(c->serial, s->card_serial) == 0)
			card = c;
	}
	if (card == NULL || card->revoked)
	{
		deny(d, "card_revoked", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			 "Ask the access manager for a new card, then log in again.",
			 "IC card %s was revoked", s->card_serial);
		return false;
	}
	if (ln->date < card->valid_from || ln->date > card->valid_until)
	{
		deny(d, "card_expired", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			 "Ask the access manager to register a renewed card.",
			 "IC card %s is outside its validity", s->card_serial);
		return false;
	}
	if (op->password_set_at == 0 ||
		ln->now - op->password_set_at > (int64) juki_password_max_age_min * 60 * USECS_PER_SEC)
	{
		deny(d, "password_expired", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			 "Ask the access manager to set a new password (juki.password_max_age).",
			 "the password of operator %lld has expired", (long long) op->id);
		return false;
	}
	return true;
}

/* Designation (staff) or contract handler designation (contractors). */
static bool
check_designation(OpPolicy *op, const JukiRequest *req, const LocalNow *ln, JukiDecision *d)
{
	ListCell   *lc;
	bool		seen = false;

	if (op->contractor)
	{
		if (!op->contract_found || !list_has(op->contract_purposes, req->purpose))
			deny(d, "not_designated", ERRCODE_INSUFFICIENT_PRIVILEGE,
				 "Contractors handle only the purposes of their contract.",
				 "the contract of operator %lld does not cover purpose %s",
				 (long long) op->id, req->purpose);
		else if (!op->contractor_approved || !op->contract_approved)
			deny(d, "contract_unapproved", ERRCODE_INSUFFICIENT_PRIVILEGE,
				 "The chief security officer approves contractors and contracts.",
				 "the contract of operator %lld is not approved", (long long) op->id);
		else if (!op->pledge)
			deny(d, "pledge_missing", ERRCODE_INSUFFICIENT_PRIVILEGE,
				 "Record the contractor's signed pledge (誓約書) first.",
				 "no pledge is on record for the contract of operator %lld", (long long) op->id);
		else if (ln->date < op->contract_from || ln->date > op->contract_until)
			deny(d, "contract_expired", ERRCODE_INSUFFICIENT_PRIVILEGE, NULL,
				 "the contract of operator %lld is outside its period", (long long) op->id);
		else if (op->handler_from == DATEVAL_NOBEGIN)
			deny(d, "not_designated", ERRCODE_INSUFFICIENT_PRIVILEGE,
				 "A security officer designates handlers per contract.",
				 "operator %lld is not designated as a handler of the contract", (long long) op->id);
		else if (ln->date < op->handler_from || ln->date > op->handler_until)
			deny(d, "designation_expired", ERRCODE_INSUFFICIENT_PRIVILEGE, NULL,
				 "the handler designation of operator %lld is outside its period", (long long) op->id);
		else
			return true;
		return false;
	}

	foreach(lc, op->designations)
	{
		OpDesignation *ds = lfirst(lc);

		if (!list_has(ds->purposes, req->purpose))
			continue;
		if (ln->date >= ds->valid_from && ln->date <= ds->valid_until)
			return true;
		seen = true;
	}
	if (seen)
		deny(d, "designation_expired", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "A security officer of your department renews the designation.",
			 "the designation of operator %lld for purpose %s is outside its period",
			 (long long) op->id, req->purpose);
	else
		deny(d, "not_designated", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "A security officer of your department designates operators (juki.designate).",
			 "operator %lld is not designated for purpose %s", (long long) op->id, req->purpose);
	return false;
}

/*
 * A purpose that is not a batch purpose runs on ordinary permits; an
 * operator who holds only a bulk permit for it (volume beyond the
 * ceilings, volume.c) runs under that one.  If none applies either, the
 * refusal is the one for ordinary permits, unless there was none at all
 * and the bulk permit is used: then that is what the operator learns.
 */
static JukiPermit *
bulk_permit_instead(OpPolicy *op, const JukiRequest *req, JukiPurpose *pur,
					const LocalNow *ln, JukiDecision *d)
{
	JukiDecision scratch;
	JukiPermit *p;

	memset(&scratch, 0, sizeof(scratch));
	p = choose_permit(op, req, pur, ln, !d->off_hours, true, &scratch);
	if (p != NULL)
	{
		d->reason = NULL;
		d->sqlstate = 0;
		d->message = NULL;
		d->hint = NULL;
	}
	else if (strcmp(d->reason, "no_permit") == 0 && strcmp(scratch.reason, "permit_used") == 0)
	{
		d->reason = scratch.reason;
		d->sqlstate = scratch.sqlstate;
		d->message = scratch.message;
		d->hint = scratch.hint;
	}
	return p;
}

JukiPermit *
juki_policy_bulk_permit(const JukiRequest *req, const JukiDecision *d)
{
	LocalNow	ln;
	JukiDecision scratch;
	ListCell   *lc;

	if (d->session == NULL || d->purpose == NULL)
		return NULL;
	local_now(&ln);
	memset(&scratch, 0, sizeof(scratch));
	/* the rows this request was decided on; never reload them mid-request */
	foreach(lc, operators)
	{
		OpPolicy   *op = lfirst(lc);

		if (op->id == d->session->operator_id)
			return choose_permit(op, req, d->purpose, &ln, !d->off_hours, true, &scratch);
	}
	return NULL;
}

void
juki_policy_decide(const JukiRequest *req, JukiDecision *d)
{
	LocalNow	ln;
	OpPolicy   *op;
	JukiPurpose *pur;
	const JukiCurrentSession *s;

	memset(d, 0, sizeof(*d));
	local_now(&ln);
	d->today = ln.date;
	d->session = s = juki_session_current();

	if (juki_emergency_stopped())
	{
		deny(d, "emergency_stop", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			 "The chief security officer resumes with juki.emergency_resume().",
			 "juki is stopped (作動停止): no disclosure until resumed");
		return;
	}
	if (s == NULL)
	{
		deny(d, "not_authenticated", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			 "Log in with juki.card_login() and call juki.attach(token) in this transaction.",
			 "no operator session is attached to this transaction");
		return;
	}

	op = operator_policy(s->operator_id);
	if (!check_operator(op, s, &ln, d))
		return;

	pur = find_purpose(req->purpose);
	d->purpose = pur;
	if (pur == NULL)
	{
		deny(d, "purpose_unknown", ERRCODE_INVALID_PARAMETER_VALUE,
			 "juki.purposes() lists the registered purposes.",
			 "purpose \"%s\" is not registered", req->purpose);
		return;
	}
	if (!pur->active)
	{
		deny(d, "purpose_inactive", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, NULL,
			 "purpose %s is not active", pur->code);
		return;
	}
	if (pur->aggregates_only)
	{
		deny(d, "aggregates_only", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "This purpose receives statistics, never individual records.",
			 "purpose %s does not disclose individual records", pur->code);
		return;
	}
	if (!check_designation(op, req, &ln, d))
		return;
	if (ln.year_ago > op->last_training || op->last_training == DATEVAL_NOBEGIN)
	{
		deny(d, "training_missing", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "Operators need the operator course within the last 12 months (juki.record_training).",
			 "operator %lld has no operator training within the last 12 months", (long long) op->id);
		return;
	}
	if (!juki_purpose_allows_key(pur, req->criteria_key))
	{
		deny(d, "criteria_not_allowed", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 "juki.purposes() shows each purpose's search_keys.",
			 "purpose %s does not allow searching by %s", pur->code, req->criteria_key);
		return;
	}
	if (req->form && !pur->allows_forms)
	{
		deny(d, "form_not_allowed", ERRCODE_INSUFFICIENT_PRIVILEGE, NULL,
			 "purpose %s does not allow printing forms (帳票)", pur->code);
		return;
	}
	d->off_hours = !within_hours(pur->code, &ln);
	d->permit = choose_permit(op, req, pur, &ln, !d->off_hours, pur->allows_bulk, d);
	if (d->permit == NULL && !pur->allows_bulk)
		d->permit = bulk_permit_instead(op, req, pur, &ln, d);
	if (d->permit == NULL)
		return;
	if (pur->allows_bulk)
		d->row_limit = d->permit->bulk_rows;
	else
		d->row_limit = pur->max_rows;
}
