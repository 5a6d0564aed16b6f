/*-------------------------------------------------------------------------
 * disclose.c
 *		The door itself, for one resident: juki.lookup (also in one statement
 *		with the session's token) and juki.issue_form.  Search is search.c;
 *		the steps every request shares are request.c's.
 *
 * A lookup reads the resident through the primary key (resident.c), then
 * asks the one visibility rule (visibility.c) what this request may see:
 * a hidden resident (removed, too young, not named) is answered with NULL,
 * as an unknown code is, and a resident under a support measure that the
 * request may not see is refused (resident_restricted): the counter must
 * know to stop.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "core/settings.h"
#include "log/form_ledger.h"
#include "access/caller.h"
#include "request.h"
#include "resident.h"
#include "session.h"
#include "visibility.h"
#include "volume.h"

PG_FUNCTION_INFO_V1(juki_lookup);
PG_FUNCTION_INFO_V1(juki_issue_form);
PG_FUNCTION_INFO_V1(juki_lookup_with_token);

/* One resident by code, for lookup and forms; refuses protected residents. */
static Fetched
fetch_one(Request *rq, const char *code)
{
	Fetched		f = {0};
	bool		restricted;
	HeapTuple	row = juki_resident_read(code, rq->dec.today, &restricted);

	f.rows = palloc(sizeof(HeapTuple));
	f.restricted = palloc(sizeof(bool));
	if (row == NULL)
		return f;
	switch (juki_visibility(&rq->dec, row, restricted))
	{
		case JUKI_HIDDEN:
			return f;
		case JUKI_RESTRICTED:
			juki_request_refuse(rq, "resident_restricted", ERRCODE_INSUFFICIENT_PRIVILEGE,
								gettext_noop("Residents under a support measure (DV等支援措置) are disclosed only to purposes that allow it, with a permit naming them."),
								gettext_noop("this resident's record is restricted"));
			break;
		case JUKI_VISIBLE:
		case JUKI_VISIBLE_PROTECTED:
			break;
	}
	f.rows[0] = row;
	f.restricted[0] = restricted;
	f.nrows = 1;
	return f;
}

/* ---------------------------------------------------------- lookup */

Datum
juki_lookup(PG_FUNCTION_ARGS)
{
	Request		rq;
	char	   *code;
	Fetched		f;
	TupleDesc	out;

	juki_request_begin(&rq, "lookup", fcinfo);
	code = juki_request_resident_code(&rq, fcinfo, 1);
	rq.req.criteria_key = "resident_code";
	rq.req.resident_code = code;
	juki_request_decide(&rq);

	f = fetch_one(&rq, code);
	juki_request_charge(&rq, f.nrows);
	juki_request_log_granted(&rq, &f, NULL, NULL);
	/*
	 * Declared SETOF (1.1): an unknown or invisible resident is no row, not
	 * a row of NULLs.  The 1.0 declaration returns one composite (NULL).
	 */
	if (fcinfo->flinfo->fn_retset)
	{
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		if (f.nrows > 0)
			tuplestore_puttuple(rsinfo->setResult,
								juki_request_disclosure(&rq, &f, 0, rsinfo->setDesc));
		return (Datum) 0;
	}
	if (f.nrows == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &out) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "juki.lookup must return juki.disclosure");
	out = BlessTupleDesc(out);
	PG_RETURN_DATUM(HeapTupleGetDatum(juki_request_disclosure(&rq, &f, 0, out)));
}

/* ------------------------------------------------------------ forms */

Datum
juki_issue_form(PG_FUNCTION_ARGS)
{
	Request		rq;
	char	   *code;
	char	   *form_type;
	char	   *serial;
	const char *why = NULL;
	Fetched		f;
	TupleDesc	out;
	TupleDesc	content_desc;
	Datum		values[5];
	bool		nulls[5] = {false};
	int			year,
				month,
				day;

	juki_request_begin(&rq, "issue_form", fcinfo);
	code = juki_request_resident_code(&rq, fcinfo, 1);
	if (PG_ARGISNULL(2))
		juki_request_refuse(&rq, "invalid_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
							gettext_noop("Name the form, e.g. 'juminhyo_copy'."), gettext_noop("a form type is required"));
	form_type = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (form_type[0] == '\0' || strlen(form_type) > 63)
		juki_request_refuse(&rq, "invalid_argument", ERRCODE_INVALID_PARAMETER_VALUE,
							gettext_noop("Form types are 1 to 63 characters."), gettext_noop("invalid form type"));
	rq.req.criteria_key = "resident_code";
	rq.req.resident_code = code;
	rq.req.form = true;
	juki_request_decide(&rq);

	/*
	 * The serial first, under the form-serial lock; the audit writer enters
	 * the form in the ledger with the granted entry, in the log's own
	 * transaction (form_ledger.c), and the lock goes once that is durable.
	 */
	j2date(rq.dec.today + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	serial = juki_form_serial_take(year, &why);
	if (serial == NULL && strcmp(why, "audit_unavailable") == 0)
		juki_request_refuse(&rq, why, ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
							gettext_noop("Check that the juki audit writer runs (SELECT * FROM juki.status()) and read the server log."),
							gettext_noop("juki cannot number the form: earlier entries are not filed yet, so it is refused"));
	if (serial == NULL)
		juki_request_refuse(&rq, why, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
							gettext_noop("Serials start again at 1 on January 1; until then no form can be printed. Tell the security officer."),
							gettext_noop("the form ledger has no serial left for this year"));
	f = fetch_one(&rq, code);
	if (f.nrows == 0)
		juki_request_refuse(&rq, "resident_not_found", ERRCODE_NO_DATA_FOUND, NULL,
							gettext_noop("no resident with this code can be printed under this purpose"));
	juki_request_charge(&rq, 1);
	juki_request_log_granted(&rq, &f, serial, form_type);
	juki_form_serial_release(year);

	if (get_call_result_type(fcinfo, NULL, &out) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "juki.issue_form must return juki.form");
	out = BlessTupleDesc(out);
	content_desc = lookup_rowtype_tupdesc_copy(TupleDescAttr(out, 4)->atttypid, -1);
	content_desc = BlessTupleDesc(content_desc);
	values[0] = CStringGetTextDatum(serial);
	values[1] = CStringGetTextDatum(form_type);
	values[2] = CStringGetTextDatum(rq.req.purpose);
	values[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[4] = HeapTupleGetDatum(juki_request_disclosure(&rq, &f, 0, content_desc));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(out, values, nulls)));
}

/* ------------------------------------------- one-statement variant */

/* juki.lookup(purpose, resident_code, token): attach, then look up. */
Datum
juki_lookup_with_token(PG_FUNCTION_ARGS)
{
	juki_request_attach_token(fcinfo, 2, "lookup");
	return juki_lookup(fcinfo);
}
