/*-------------------------------------------------------------------------
 * search.c
 *		juki.search(purpose, criteria): the residents that match criteria
 *		the purpose allows, judged one by one by the same rule as a lookup
 *		(visibility.c).
 *
 * The criteria object: string values only, known names only, each at most
 * once, values well-formed for their name (criteria.c holds the pure rules;
 * PostgreSQL's own parser read the JSON).  The query is fixed text whose
 * criteria are parameters, run as juki's owner through a cursor; rows are
 * read until the row limit + 1 visible ones, so that "too many" is known
 * without reading everything, and a request that would return more than
 * the limit is refused as a whole (54000), never truncated.  Residents
 * under a support measure the request may not see are left out silently:
 * a search must not reveal that a protected person lives at an address.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"

#include "core/spi.h"
#include "criteria.h"
#include "request.h"
#include "resident.h"
#include "visibility.h"
#include "volume.h"

PG_FUNCTION_INFO_V1(juki_search);
PG_FUNCTION_INFO_V1(juki_search_with_token);

/* rows taken from the cursor at a time */
#define SEARCH_BATCH	1000

typedef struct Criterion
{
	const char *name;
	char	   *value;
} Criterion;

/* a birth_date* value juki_criterion_form accepted, as a date */
static DateADT
ymd_date(const char *s)
{
	int			y,
				m,
				d;

	if (!juki_parse_ymd(s, strlen(s), &y, &m, &d))
		elog(ERROR, "unchecked date criterion");
	return date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
}

static int
criterion_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(((Criterion *) lfirst(a))->name, ((Criterion *) lfirst(b))->name);
}

/*
 * The criteria object: string values only, known names only, each at most
 * once, values well-formed for their name.  Returns the Criterion list
 * sorted by name and sets rq->req.criteria_key.
 */
static List *
parse_criteria(Request *rq, Jsonb *jb)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *crit = NIL;
	StringInfoData key;
	ListCell   *lc;
	const char *hint = "Criteria are a JSON object of strings, e.g. {\"full_name\": \"山田 太郎\", \"birth_date\": \"1980-04-01\"}.";

	if (VARSIZE(jb) > JUKI_MAX_CRITERIA_BYTES)
	{
		rq->criteria = NULL;	/* not logged in full: it is not a request */
		juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
							psprintf(gettext_noop("criteria larger than %d bytes"), JUKI_MAX_CRITERIA_BYTES));
	}
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
							gettext_noop("criteria must be a JSON object"));

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Criterion  *c;
		const char *name;

		if (tok != WJB_KEY)
			continue;
		name = juki_criterion_name(v.val.string.val, v.val.string.len);
		if (name == NULL)
			juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE,
								psprintf(gettext_noop("Known criteria: %s."), juki_criteria_known),
								/* the key is the caller's text: it may be a name or a code */
								gettext_noop("a criterion is not one juki knows"));
		tok = JsonbIteratorNext(&it, &v, true);
		if (tok != WJB_VALUE || v.type != jbvString)
			juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
								psprintf(gettext_noop("criterion %s must be a string"), name));
		if (!juki_criterion_length_ok(v.val.string.val, v.val.string.len))
			juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
								psprintf(gettext_noop("criterion %s must be 1 to %d characters"), name,
										 JUKI_MAX_CRITERION_CHARS));
		c = palloc(sizeof(Criterion));
		c->name = name;
		c->value = pnstrdup(v.val.string.val, v.val.string.len);
		crit = lappend(crit, c);
	}
	if (crit == NIL)
		juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
							gettext_noop("criteria must name at least one criterion"));
	list_sort(crit, criterion_cmp);

	initStringInfo(&key);
	foreach(lc, crit)
	{
		Criterion  *c = lfirst(lc);
		const char *why = NULL;

		appendStringInfo(&key, "%s%s", key.len ? "+" : "", c->name);
		switch (juki_criterion_form(c->name, c->value, strlen(c->value), &why))
		{
			case JUKI_CRITERION_OK:
				break;
			case JUKI_CRITERION_RESIDENT_CODE:
				juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE,
									gettext_noop("A 住民票コード is 11 ASCII digits."), psprintf(gettext_noop("resident_code: %s"), why));
				break;
			case JUKI_CRITERION_INDIVIDUAL_NUMBER:
				juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE,
									gettext_noop("A 個人番号 is 12 ASCII digits with a valid check digit."),
									psprintf(gettext_noop("individual_number: %s"), why));
				break;
			case JUKI_CRITERION_DATE:
				juki_request_refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE,
									gettext_noop("Dates are written YYYY-MM-DD."),
									psprintf(gettext_noop("%s is not a date of the form YYYY-MM-DD"), c->name));
				break;
		}
	}
	rq->req.criteria_key = key.data;
	return crit;
}

/* The query: the criteria only; who may see a row is visibility.c's. */
static char *
search_sql(List *crit, Oid *types, Datum *values, char *nulls, int *nargs)
{
	StringInfoData sql;
	ListCell   *lc;
	int			n = 0;
	int			i;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT r.resident_code::text");
	for (i = 1; i < JUKI_RESIDENT_NFIELDS; i++)
		appendStringInfo(&sql, ", r.%s%s", juki_resident_fields[i],
						 (i == JUKI_RESIDENT_COL_BIRTH_DATE || i == JUKI_RESIDENT_COL_CHANGE_DATE)
						 ? "" : "::text");
	appendStringInfoString(&sql, ", r.status FROM juki.resident r WHERE true");
	foreach(lc, crit)
	{
		Criterion  *c = lfirst(lc);
		const char *name = c->name;

		n++;
		types[n - 1] = TEXTOID;
		values[n - 1] = CStringGetTextDatum(c->value);
		nulls[n - 1] = ' ';
		if (strncmp(name, "birth_date", 10) == 0)
		{
			types[n - 1] = DATEOID;
			values[n - 1] = DateADTGetDatum(ymd_date(c->value));
		}
		if (strcmp(name, "resident_code") == 0)
			appendStringInfo(&sql, " AND r.resident_code = $%d", n);
		else if (strcmp(name, "individual_number") == 0)
			appendStringInfo(&sql, " AND r.individual_number = $%d", n);
		else if (strcmp(name, "full_name") == 0)
			appendStringInfo(&sql, " AND juki.fold(r.full_name) = juki.fold($%d)", n);
		else if (strcmp(name, "address") == 0)
			appendStringInfo(&sql, " AND juki.fold(r.address) = juki.fold($%d)", n);
		else if (strcmp(name, "address_prefix") == 0)
			appendStringInfo(&sql, " AND pg_catalog.starts_with(juki.fold(r.address), juki.fold($%d))", n);
		else if (strcmp(name, "birth_date") == 0)
			appendStringInfo(&sql, " AND r.birth_date = $%d", n);
		else if (strcmp(name, "birth_date_from") == 0)
			appendStringInfo(&sql, " AND r.birth_date >= $%d", n);
		else if (strcmp(name, "birth_date_to") == 0)
			appendStringInfo(&sql, " AND r.birth_date <= $%d", n);
	}
	appendStringInfoString(&sql, " ORDER BY r.resident_code");
	*nargs = n;
	return sql.data;
}

/*
 * The visible rows matching the criteria, in resident code order, up to
 * limit of them (the caller asks for one more than it may return), copied
 * out of SPI.
 */
static Fetched
fetch_visible(Request *rq, const char *sql, int nargs, Oid *types, Datum *values,
			  char *nulls, int64 limit)
{
	JukiSpi		spi;
	Fetched		f = {0};
	Portal		portal;
	MemoryContext caller = CurrentMemoryContext;
	int64		cap = Min(limit, SEARCH_BATCH);
	bool		done = false;

	f.rows = palloc(sizeof(HeapTuple) * Max(cap, 1));
	f.restricted = palloc(sizeof(bool) * Max(cap, 1));
	juki_spi_begin(&spi);
	portal = SPI_cursor_open_with_args(NULL, sql, nargs, types, values, nulls, true, 0);
	while (!done && f.nrows < limit)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, SEARCH_BATCH);
		done = SPI_processed < SEARCH_BATCH;
		for (i = 0; i < SPI_processed && f.nrows < limit; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(caller);
			HeapTuple	row = heap_copytuple(SPI_tuptable->vals[i]);
			char	   *code = SPI_getvalue(row, SPI_tuptable->tupdesc, 1);
			bool		restricted;
			JukiVisibility v;

			CHECK_FOR_INTERRUPTS();
			restricted = juki_resident_restricted(code, rq->dec.today);
			v = juki_visibility(&rq->dec, row, restricted);
			if (v == JUKI_VISIBLE || v == JUKI_VISIBLE_PROTECTED)
			{
				if (f.nrows == cap)
				{
					cap = Min(cap * 2, limit);
					f.rows = repalloc(f.rows, sizeof(HeapTuple) * cap);
					f.restricted = repalloc(f.restricted, sizeof(bool) * cap);
				}
				f.rows[f.nrows] = row;
				f.restricted[f.nrows] = restricted;
				f.nrows++;
			}
			else
				heap_freetuple(row);
			MemoryContextSwitchTo(old);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	juki_spi_end(&spi);
	return f;
}

Datum
juki_search(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Request		rq;
	List	   *crit;
	char	   *sql;
	Oid			types[16];
	Datum		values[16];
	char		nulls[16];
	int			nargs;
	Fetched		f;
	int			i;

	juki_request_begin(&rq, "search", fcinfo);
	if (PG_ARGISNULL(1))
		juki_request_refuse(&rq, "invalid_criteria", ERRCODE_NULL_VALUE_NOT_ALLOWED,
							gettext_noop("Criteria are a JSON object of strings."), gettext_noop("criteria are required"));
	rq.criteria = PG_GETARG_JSONB_P_COPY(1);
	crit = parse_criteria(&rq, rq.criteria);

	juki_request_decide(&rq);

	sql = search_sql(crit, types, values, nulls, &nargs);
	f = fetch_visible(&rq, sql, nargs, types, values, nulls, rq.dec.row_limit + 1);
	if (f.nrows > rq.dec.row_limit)
	{
		rq.subjects = NIL;
		juki_request_refuse(&rq, "too_many_rows", ERRCODE_PROGRAM_LIMIT_EXCEEDED,
							rq.dec.purpose->allows_bulk
							? gettext_noop("Request a permit with a larger row allowance, or narrow the criteria.")
							: gettext_noop("Narrow the criteria: juki refuses the whole request rather than truncate it."),
							psprintf(gettext_noop("the search matches more than %lld rows, the limit of purpose %s"),
									 (long long) rq.dec.row_limit, rq.dec.purpose->code));
	}

	juki_request_charge(&rq, f.nrows);
	juki_request_log_granted(&rq, &f, NULL, NULL);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (i = 0; i < f.nrows; i++)
		tuplestore_puttuple(rsinfo->setResult,
							juki_request_disclosure(&rq, &f, i, rsinfo->setDesc));
	return (Datum) 0;
}

/* juki.search(purpose, criteria, token): attach, then search. */
Datum
juki_search_with_token(PG_FUNCTION_ARGS)
{
	juki_request_attach_token(fcinfo, 2, "search");
	return juki_search(fcinfo);
}
