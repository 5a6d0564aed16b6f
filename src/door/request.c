/*-------------------------------------------------------------------------
 * request.c
 *		The steps every disclosure request shares (lookup, forms, search):
 *	1. who may ask and the purpose argument (bad input is logged and
 *	   refused);
 *	2. the decision (policy.c: who, which purpose and permit — a bulk
 *	   permit where the request could pass a volume ceiling — and what it
 *	   may see), a refusal logged and raised;
 *	3. (the caller reads its rows, each judged by visibility.c)
 *	4. the rows counted against the ceilings per statement and per window
 *	   (volume.c), then the granted record logged — which residents, which
 *	   fields, under which permit — durable before anything is returned;
 *	5. the result rows, every field the purpose does not disclose NULL.
 * Fields to disclose and log come with the decision: policy is asked once.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/settings.h"
#include "log/append.h"
#include "access/caller.h"
#include "codes.h"
#include "policy.h"
#include "request.h"
#include "resident.h"
#include "session.h"
#include "volume.h"
#include "core/message.h"

const char *const juki_disclosure_roles[] = {
	"juki_operator", "juki_contractor_operator", "juki_terminal", NULL
};

static void
record_for(Request *rq, JukiAuditRecord *r, const char *outcome, const char *reason)
{
	const JukiCurrentSession *s = juki_session_current();

	juki_audit_record_init(r, rq->req.action, outcome, reason);
	r->purpose = rq->req.purpose;
	r->criteria = rq->criteria;
	r->subjects = rq->subjects;
	if (s)
	{
		r->terminal = s->terminal[0] ? s->terminal : NULL;
		r->operator_id = s->operator_id;
		r->session_id = s->session_id;
		r->card_serial = s->card_serial;
	}
	if (rq->dec.permit)
		r->permit_id = rq->dec.permit->id;
}

void
juki_request_refuse(Request *rq, const char *reason, int sqlstate, const char *hint, const char *msg)
{
	JukiAuditRecord r;
	JukiDetail	d;
	/* policy refusals are denials; bad input (22xxx) and missing data errors */
	bool		denied = ERRCODE_TO_CATEGORY(sqlstate) != ERRCODE_DATA_EXCEPTION &&
		sqlstate != ERRCODE_NO_DATA_FOUND;

	record_for(rq, &r, denied ? JUKI_DENIED : JUKI_ERROR, reason);
	jd_init(&d);
	jd_str(&d, "message", msg);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg_internal("%s", juki_tr(msg)),
			 juki_errreason(reason),
			 hint ? errhint("%s", juki_tr(hint)) : 0));
}

void
juki_request_decide(Request *rq)
{
	juki_policy_decide(&rq->req, &rq->dec);
	if (rq->dec.reason)
		juki_request_refuse(rq, rq->dec.reason, rq->dec.sqlstate, rq->dec.hint,
							rq->dec.message);
}

void
juki_request_charge(Request *rq, int64 n)
{
	JukiVolumeRefusal why;
	JukiAuditRecord r;
	JukiDetail	d;

	if (juki_volume_charge(&rq->req, &rq->dec, n, &why))
		return;
	record_for(rq, &r, JUKI_DENIED, why.reason);
	jd_init(&d);
	jd_str(&d, "message", why.message);
	juki_volume_detail(&d, &why);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(why.sqlstate),
			 errmsg_internal("%s", juki_tr(why.message)),
			 juki_errreason(why.reason),
			 errhint("%s", juki_tr(why.hint))));
}

void
juki_request_begin(Request *rq, const char *action, FunctionCallInfo fcinfo)
{
	memset(rq, 0, sizeof(*rq));
	rq->req.action = action;
	juki_require_preload();
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("juki does not disclose on a hot standby"),
				 juki_errfield("standby"),
				 errdetail("reason: standby; the operation log cannot be written here."),
				 errhint("Connect to the primary.")));
	/* who may ask at all, before any argument is looked at (logged) */
	juki_require_role_ex(action, juki_disclosure_roles, false);
	if (!PG_ARGISNULL(0))
		rq->req.purpose = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (rq->req.purpose == NULL || rq->req.purpose[0] == '\0')
		juki_request_refuse(rq, "purpose_unknown", ERRCODE_INVALID_PARAMETER_VALUE,
							gettext_noop("Every disclosure names a registered purpose; juki.purposes() lists them."),
							gettext_noop("a purpose is required"));
	if (strlen(rq->req.purpose) > 63)
	{
		rq->req.purpose = pnstrdup(rq->req.purpose, 63);
		juki_request_refuse(rq, "purpose_unknown", ERRCODE_INVALID_PARAMETER_VALUE,
							gettext_noop("Purpose codes are at most 63 characters."), gettext_noop("purpose code too long"));
	}
}

char *
juki_request_resident_code(Request *rq, FunctionCallInfo fcinfo, int n)
{
	char	   *code;
	const char *why;

	if (PG_ARGISNULL(n))
		juki_request_refuse(rq, "invalid_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
							gettext_noop("Give the 11-digit 住民票コード."), gettext_noop("a resident code is required"));
	code = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (!juki_resident_code_ok(code, strlen(code), &why))
		juki_request_refuse(rq, "invalid_argument", ERRCODE_INVALID_PARAMETER_VALUE,
							gettext_noop("A 住民票コード is 11 ASCII digits."),
							psprintf(gettext_noop("invalid resident code: %s"), why));
	rq->subjects = list_make1(code);
	/* the log keeps what was asked for, found or not */
	rq->criteria = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													  CStringGetDatum(psprintf("{\"resident_code\": \"%s\"}", code))));
	return code;
}

/* A row's resident code (its first column). */
static char *
row_code(Fetched *f, int row)
{
	bool		isnull;

	return TextDatumGetCString(heap_getattr(f->rows[row], 1, juki_resident_row_desc(), &isnull));
}

void
juki_request_log_granted(Request *rq, Fetched *f, const char *form_serial, const char *form_type)
{
	JukiAuditRecord r;
	JukiDetail	d;
	List	   *codes = NIL;
	int			i;
	int			protected = 0;

	for (i = 0; i < f->nrows; i++)
	{
		codes = lappend(codes, row_code(f, i));
		if (f->restricted[i])
			protected++;
	}
	rq->subjects = codes;
	record_for(rq, &r, JUKI_GRANTED, NULL);
	r.fields = rq->dec.fields;
	r.row_count = f->nrows;
	jd_init(&d);
	jd_int(&d, "purpose_version", rq->dec.purpose->version);
	if (rq->dec.off_hours)
		jd_bool(&d, "off_hours", true);
	/* marks the use of a single-use bulk permit (operation_log_bulk_idx) */
	if (rq->dec.permit->bulk_rows > 0)
		jd_int(&d, "bulk_rows", rq->dec.permit->bulk_rows);
	if (protected)
		jd_int(&d, "support_measure", protected);
	if (form_serial)
	{
		jd_str(&d, "form_serial", form_serial);
		jd_str(&d, "form_type", form_type);
	}
	r.detail = jd_finish(&d);
	juki_audit_log(&r);

	/* the row by its place, never by its code: messages reach the server log */
	for (i = 0; i < f->nrows; i++)
		if (f->restricted[i])
			ereport(NOTICE,
					(f->nrows == 1 ?
					 errmsg("the resident disclosed is under a support measure (DV等支援措置)") :
					 errmsg("row %d of the result is under a support measure (DV等支援措置)", i + 1),
					 errdetail("Disclosed under permit %lld, which names this resident.",
							   (long long) rq->dec.permit->id),
					 errhint("Do not disclose the address to anyone but the requester.")));
}

HeapTuple
juki_request_disclosure(Request *rq, Fetched *f, int row, TupleDesc out)
{
	Datum		values[JUKI_RESIDENT_NFIELDS + 2];
	bool		nulls[JUKI_RESIDENT_NFIELDS + 2];
	Datum		fields[JUKI_RESIDENT_NFIELDS];
	int			nf = 0;
	int			i;
	TupleDesc	desc = juki_resident_row_desc();

	for (i = 0; i < JUKI_RESIDENT_NFIELDS; i++)
	{
		bool		isnull;
		Datum		v = heap_getattr(f->rows[row], i + 1, desc, &isnull);

		if (rq->dec.disclose[i])
		{
			values[i] = v;
			nulls[i] = isnull;
			fields[nf++] = CStringGetTextDatum(juki_resident_fields[i]);
		}
		else
		{
			values[i] = (Datum) 0;
			nulls[i] = true;
		}
	}
	/*
	 * status only to a purpose that may see removed residents (消除): for
	 * any other every record it receives is active, and 業務上必要のない
	 * 本人確認情報を表示しない (issue 19).
	 */
	if (rq->dec.purpose->allows_removed)
		values[JUKI_RESIDENT_COL_STATUS] = heap_getattr(f->rows[row], JUKI_RESIDENT_COL_STATUS + 1, desc,
														&nulls[JUKI_RESIDENT_COL_STATUS]);
	else
	{
		values[JUKI_RESIDENT_COL_STATUS] = (Datum) 0;
		nulls[JUKI_RESIDENT_COL_STATUS] = true;
	}
	values[JUKI_RESIDENT_NFIELDS + 1] = PointerGetDatum(construct_array(fields, nf, TEXTOID, -1, false,
														  TYPALIGN_INT));
	nulls[JUKI_RESIDENT_NFIELDS + 1] = false;
	return heap_form_tuple(out, values, nulls);
}

/*
 * juki.lookup(purpose, resident_code, token) and juki.search(purpose,
 * criteria, token): attach, then disclose, in one call.  The session is
 * bound to the transaction exactly as juki.attach binds it; an autocommit
 * client saves three round trips (BEGIN, attach, COMMIT), and with them
 * most of its wait for the log.
 */
void
juki_request_attach_token(FunctionCallInfo fcinfo, int n, const char *action)
{
	juki_require_preload();
	/* refused as the function called (lookup, search), not as attach */
	juki_require_role_ex(action, juki_disclosure_roles, false);
	if (!PG_ARGISNULL(n))
		(void) DirectFunctionCall1(juki_attach, PG_GETARG_DATUM(n));
	/* a NULL token leaves the transaction as it is: refused unless attached */
}
