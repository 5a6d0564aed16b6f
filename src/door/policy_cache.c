/*-------------------------------------------------------------------------
 * policy_cache.c
 *		The policy rows the decision (policy.c) reads: purposes, hours,
 *		and per operator the operator, cards, password age, training,
 *		designations, approved permits and contract.
 *
 * Cached per backend and dropped as a whole when the shared policy
 * generation moves; every juki function that changes one of them bumps it
 * at commit (core/state.c).  What is cached is data, never a decision:
 * windows, expiry and hours are evaluated on every request, against the
 * clock.  The cache is loaded with the latest snapshot, so a REPEATABLE
 * READ transaction that began before a revocation still sees the
 * revocation.  Backend memory only; no locks.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "core/spi.h"
#include "core/state.h"
#include "policy_cache.h"

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
OpPolicy *
juki_policy_operator(int64 operator_id)
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

JukiPurpose *
juki_policy_purpose(const char *code)
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

bool
juki_list_has(List *l, const char *s)
{
	ListCell   *lc;

	foreach(lc, l)
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	return false;
}

/* The operator's rows as loaded for this request: never reloaded mid-request. */
OpPolicy *
juki_policy_cached_operator(int64 operator_id)
{
	ListCell   *lc;

	foreach(lc, operators)
	{
		OpPolicy   *op = lfirst(lc);

		if (op->id == operator_id)
			return op;
	}
	return NULL;
}

/* The cached operating hours (Hours), loaded with the purposes. */
List *
juki_policy_hours(void)
{
	return hours;
}
