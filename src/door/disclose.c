/*-------------------------------------------------------------------------
 * disclose.c
 *		The door itself: juki.lookup, juki.search, juki.issue_form.
 *
 * Every call runs the same steps, in this order:
 *	1. validate the arguments (bad input is logged and refused);
 *	2. ask policy.c for a decision (a refusal is logged and raised);
 *	3. read the rows: a lookup probes the primary key directly; a search
 *	   runs a fixed query as juki's owner whose criteria are parameters,
 *	   never SQL text, fetching the row limit + 1 rows so that "too many"
 *	   is known without reading everything;
 *	4. count the rows against the purpose's ceilings per statement and per
 *	   window (volume.c; beyond them only a bulk permit, chosen before the
 *	   rows are read), then log the granted record — which residents, which
 *	   fields, under which permit — and wait until it is durable;
 *	5. only then build the result, with every field the purpose does not
 *	   disclose set to NULL.
 * A request that would return more rows than allowed is refused as a whole
 * (54000), never truncated.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xlog.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/fmgroids.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/table.h"
#include "access/genam.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "core/settings.h"
#include "codes.h"
#include "log/append.h"
#include "criteria.h"
#include "access/caller.h"
#include "core/spi.h"
#include "core/objects.h"
#include "log/form_ledger.h"
#include "policy.h"
#include "session.h"
#include "volume.h"

PG_FUNCTION_INFO_V1(juki_lookup);
PG_FUNCTION_INFO_V1(juki_search);
PG_FUNCTION_INFO_V1(juki_issue_form);
PG_FUNCTION_INFO_V1(juki_lookup_with_token);
PG_FUNCTION_INFO_V1(juki_search_with_token);

/* The resident fields in juki.disclosure order (then status, disclosed_fields). */
static const char *const resident_fields[] = {
	"resident_code", "individual_number", "full_name", "full_name_kana", "former_surname",
	"alias_name", "birth_date", "sex", "address", "municipality_code", "change_reason",
	"change_date"
};
#define NFIELDS ((int) lengthof(resident_fields))
#define COL_STATUS		NFIELDS		/* 0-based column of status in the query */
#define COL_RESTRICTED	(NFIELDS + 1)
#define NCOLS			(NFIELDS + 2)

#define SELECT_RESIDENT \
	"SELECT r.resident_code::text, r.individual_number::text, r.full_name, r.full_name_kana," \
	" r.former_surname, r.alias_name, r.birth_date, r.sex::text, r.address," \
	" r.municipality_code::text, r.change_reason, r.change_date, r.status," \
	" EXISTS (SELECT 1 FROM juki.support_measure m WHERE m.resident_code = r.resident_code" \
	"         AND $1 BETWEEN m.starts_on AND m.ends_on) AS restricted" \
	" FROM juki.resident r" \
	" WHERE ($2 OR r.status = 'active') AND ($3::date IS NULL OR r.birth_date <= $3)"


typedef struct Criterion
{
	const char *name;
	char	   *value;
} Criterion;

/* --------------------------------------------------------- logging */

typedef struct Request
{
	JukiRequest req;
	JukiDecision dec;
	Jsonb	   *criteria;
	List	   *subjects;		/* what the caller asked about, for denials */
} Request;

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
		r->operator_id = s->operator_id;
		r->session_id = s->session_id;
		r->card_serial = s->card_serial;
	}
	if (rq->dec.permit)
		r->permit_id = rq->dec.permit->id;
}

/* Log the refusal (durable), then raise it.  Never returns. */
static void
refuse(Request *rq, const char *reason, int sqlstate, const char *hint, const char *msg)
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
			 errmsg("%s", msg),
			 errdetail("reason: %s", reason),
			 hint ? errhint("%s", hint) : 0));
}

static void
refuse_decision(Request *rq)
{
	refuse(rq, rq->dec.reason, rq->dec.sqlstate, rq->dec.hint, rq->dec.message);
}

/* Count n rows against the volume ceilings, or log the refusal and raise it. */
static void
charge_volume(Request *rq, int64 n)
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
			 errmsg("%s", why.message),
			 errdetail("reason: %s", why.reason),
			 errhint("%s", why.hint)));
}

/* The roles that disclose (DESIGN §4); the session decides for whom. */
static const char *const disclosure_roles[] = {
	"juki_operator", "juki_contractor_operator", "juki_terminal", NULL
};

/* Arguments every disclosure needs; the hot standby cannot log at all. */
static void
begin_request(Request *rq, const char *action, FunctionCallInfo fcinfo)
{
	memset(rq, 0, sizeof(*rq));
	rq->req.action = action;
	juki_require_preload();
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("juki does not disclose on a hot standby"),
				 errdetail("reason: standby; the operation log cannot be written here."),
				 errhint("Connect to the primary.")));
	/* who may ask at all, before any argument is looked at (logged) */
	juki_require_role_ex(action, disclosure_roles, false);
	if (!PG_ARGISNULL(0))
		rq->req.purpose = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (rq->req.purpose == NULL || rq->req.purpose[0] == '\0')
		refuse(rq, "purpose_unknown", ERRCODE_INVALID_PARAMETER_VALUE,
			   "Every disclosure names a registered purpose; juki.purposes() lists them.",
			   "a purpose is required");
	if (strlen(rq->req.purpose) > 63)
	{
		rq->req.purpose = pnstrdup(rq->req.purpose, 63);
		refuse(rq, "purpose_unknown", ERRCODE_INVALID_PARAMETER_VALUE,
			   "Purpose codes are at most 63 characters.", "purpose code too long");
	}
}

/* A resident code argument: 11 ASCII digits (and check digit if configured). */
static char *
resident_code_arg(Request *rq, FunctionCallInfo fcinfo, int n)
{
	char	   *code;
	const char *why;

	if (PG_ARGISNULL(n))
		refuse(rq, "invalid_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
			   "Give the 11-digit 住民票コード.", "a resident code is required");
	code = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (!juki_resident_code_ok(code, strlen(code), &why))
		refuse(rq, "invalid_argument", ERRCODE_INVALID_PARAMETER_VALUE,
			   "A 住民票コード is 11 ASCII digits.",
			   psprintf("invalid resident code: %s", why));
	rq->subjects = list_make1(code);
	/* the log keeps what was asked for, found or not */
	rq->criteria = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													  CStringGetDatum(psprintf("{\"resident_code\": \"%s\"}", code))));
	return code;
}

/* --------------------------------------------------------- criteria */

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
		refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
			   psprintf("criteria larger than %d bytes", JUKI_MAX_CRITERIA_BYTES));
	}
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
			   "criteria must be a JSON object");

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Criterion  *c;
		const char *name;

		if (tok != WJB_KEY)
			continue;
		name = juki_criterion_name(v.val.string.val, v.val.string.len);
		if (name == NULL)
			refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE,
				   psprintf("Known criteria: %s.", juki_criteria_known),
				   psprintf("unknown criterion \"%s\"",
							pnstrdup(v.val.string.val, v.val.string.len)));
		tok = JsonbIteratorNext(&it, &v, true);
		if (tok != WJB_VALUE || v.type != jbvString)
			refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
				   psprintf("criterion %s must be a string", name));
		if (!juki_criterion_length_ok(v.val.string.val, v.val.string.len))
			refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
				   psprintf("criterion %s must be 1 to %d characters", name,
							JUKI_MAX_CRITERION_CHARS));
		c = palloc(sizeof(Criterion));
		c->name = name;
		c->value = pnstrdup(v.val.string.val, v.val.string.len);
		crit = lappend(crit, c);
	}
	if (crit == NIL)
		refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE, hint,
			   "criteria must name at least one criterion");
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
				refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE,
					   "A 住民票コード is 11 ASCII digits.", psprintf("resident_code: %s", why));
				break;
			case JUKI_CRITERION_INDIVIDUAL_NUMBER:
				refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE,
					   "A 個人番号 is 12 ASCII digits with a valid check digit.",
					   psprintf("individual_number: %s", why));
				break;
			case JUKI_CRITERION_DATE:
				refuse(rq, "invalid_criteria", ERRCODE_INVALID_PARAMETER_VALUE,
					   "Dates are written YYYY-MM-DD.",
					   psprintf("%s is not a date of the form YYYY-MM-DD", c->name));
				break;
		}
	}
	rq->req.criteria_key = key.data;
	return crit;
}

/* --------------------------------------------------------- querying */

typedef struct Fetched
{
	int			nrows;
	HeapTuple  *rows;			/* query tuples (NCOLS columns) */
	TupleDesc	desc;
} Fetched;

/* The parameters every resident query starts with ($1..$4). */
static void
base_params(Request *rq, Oid *types, Datum *values, char *nulls)
{
	JukiPurpose *p = rq->dec.purpose;

	types[0] = DATEOID;
	values[0] = DateADTGetDatum(rq->dec.today);
	nulls[0] = ' ';
	types[1] = BOOLOID;
	values[1] = BoolGetDatum(p->allows_removed);
	nulls[1] = ' ';
	types[2] = DATEOID;
	nulls[2] = 'n';
	if (p->min_age >= 0)
	{
		/* born on or before today minus min_age years */
		int			y,
					m,
					d;

		j2date(rq->dec.today + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		if (m == 2 && d == 29)
			d = 28;
		values[2] = DateADTGetDatum(date2j(y - p->min_age, m, d) - POSTGRES_EPOCH_JDATE);
		nulls[2] = ' ';
	}
}

static Datum
text_array(List *l)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(l), 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, l)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Run sql (as juki's owner) and keep up to limit rows, copied out of SPI. */
static Fetched
fetch(const char *sql, int nargs, Oid *types, Datum *values, char *nulls, int64 limit)
{
	JukiSpi		spi;
	Fetched		f = {0};
	int			rc;
	uint64		i;
	MemoryContext caller = CurrentMemoryContext;

	juki_spi_begin(&spi);
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, true, limit);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "juki: resident query failed: %s", SPI_result_code_string(rc));
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		f.nrows = (int) SPI_processed;
		f.desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
		f.rows = palloc(sizeof(HeapTuple) * Max(f.nrows, 1));
		for (i = 0; i < SPI_processed; i++)
			f.rows[i] = heap_copytuple(SPI_tuptable->vals[i]);
		MemoryContextSwitchTo(old);
	}
	juki_spi_end(&spi);
	return f;
}

static char *
row_text(Fetched *f, int row, int col)
{
	return SPI_getvalue(f->rows[row], f->desc, col + 1);
}

static bool
row_restricted(Fetched *f, int row)
{
	bool		isnull;

	return DatumGetBool(heap_getattr(f->rows[row], COL_RESTRICTED + 1, f->desc, &isnull));
}

/* The juki.disclosure value of one fetched row, undisclosed fields NULL. */
static HeapTuple
disclosure_tuple(Request *rq, Fetched *f, int row, TupleDesc out)
{
	Datum		values[NFIELDS + 2];
	bool		nulls[NFIELDS + 2];
	Datum		fields[NFIELDS];
	int			nf = 0;
	int			i;

	for (i = 0; i < NFIELDS; i++)
	{
		bool		isnull;
		Datum		v = heap_getattr(f->rows[row], i + 1, f->desc, &isnull);

		if (juki_purpose_discloses(rq->dec.purpose, resident_fields[i]))
		{
			values[i] = v;
			nulls[i] = isnull;
			fields[nf++] = CStringGetTextDatum(resident_fields[i]);
		}
		else
		{
			values[i] = (Datum) 0;
			nulls[i] = true;
		}
	}
	values[COL_STATUS] = heap_getattr(f->rows[row], COL_STATUS + 1, f->desc, &nulls[COL_STATUS]);
	values[NFIELDS + 1] = PointerGetDatum(construct_array(fields, nf, TEXTOID, -1, false,
														  TYPALIGN_INT));
	nulls[NFIELDS + 1] = false;
	return heap_form_tuple(out, values, nulls);
}

static List *
disclosed_field_names(JukiPurpose *p)
{
	List	   *l = NIL;
	int			i;

	for (i = 0; i < NFIELDS; i++)
		if (juki_purpose_discloses(p, resident_fields[i]))
			l = lappend(l, (char *) resident_fields[i]);
	return l;
}

/* Log the granted request (durable) and raise a NOTICE per protected resident. */
static void
log_granted(Request *rq, Fetched *f, const char *form_serial, const char *form_type)
{
	JukiAuditRecord r;
	JukiDetail	d;
	List	   *codes = NIL;
	int			i;
	int			protected = 0;

	for (i = 0; i < f->nrows; i++)
	{
		codes = lappend(codes, row_text(f, i, 0));
		if (row_restricted(f, i))
			protected++;
	}
	rq->subjects = codes;
	record_for(rq, &r, JUKI_GRANTED, NULL);
	r.fields = disclosed_field_names(rq->dec.purpose);
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
		if (row_restricted(f, i))
			ereport(NOTICE,
					(f->nrows == 1 ?
					 errmsg("the resident disclosed is under a support measure (DV等支援措置)") :
					 errmsg("row %d of the result is under a support measure (DV等支援措置)", i + 1),
					 errdetail("Disclosed under permit %lld, which names this resident.",
							   (long long) rq->dec.permit->id),
					 errhint("Do not disclose the address to anyone but the requester.")));
}

/* Under a support measure: only for flagged purposes with a permit naming the resident. */
static bool
support_measure_allowed(Request *rq, const char *code)
{
	return rq->dec.purpose->allows_support_measure && juki_permit_names(rq->dec.permit, code);
}

/* The row shape of SELECT_RESIDENT, for rows read directly. */
static TupleDesc
resident_row_desc(void)
{
	static TupleDesc desc = NULL;

	if (desc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		TupleDesc	d = CreateTemplateTupleDesc(NCOLS);
		int			i;

		for (i = 0; i < NCOLS; i++)
			TupleDescInitEntry(d, i + 1, i < NFIELDS ? resident_fields[i] :
							   i == COL_STATUS ? "status" : "restricted",
							   i == COL_RESTRICTED ? BOOLOID :
							   (i == 6 || i == 11) ? DATEOID : TEXTOID, -1, 0);
		MemoryContextSwitchTo(old);
		desc = d;
	}
	return desc;
}

static Oid
juki_relid(const char *name)
{
	Oid			relid = get_relname_relid(name, juki_namespace());

	if (!OidIsValid(relid))
		elog(ERROR, "juki: relation juki.%s does not exist", name);
	return relid;
}

/* An index probe: rows of rel whose first index column equals code. */
static IndexScanDesc
probe(Relation rel, Relation idx, const char *code, Snapshot snap, ScanKeyData *key)
{
	IndexScanDesc sc;

	ScanKeyEntryInitialize(key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[0], F_TEXTEQ, CStringGetTextDatum(code));
	sc = index_beginscan(rel, idx, snap, 1, 0);
	index_rescan(sc, key, 1, NULL, 0);
	return sc;
}

/*
 * One resident by code, read directly through the primary key (a lookup
 * is one index probe, not an executor run), with the same filters as
 * SELECT_RESIDENT: removed residents only where the purpose allows them,
 * the purpose's minimum age, and whether a support measure is in force.
 */
static Fetched
fetch_one_direct(Request *rq, const char *code)
{
	Fetched		f = {0};
	Snapshot	snap = GetActiveSnapshot();
	Relation	rel = table_open(juki_relid("resident"), AccessShareLock);
	Relation	idx = index_open(RelationGetPrimaryKeyIndex(rel), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	ScanKeyData key;
	IndexScanDesc sc = probe(rel, idx, code, snap, &key);
	Oid			types[5];
	Datum		params[5];
	char		pnulls[5];

	base_params(rq, types, params, pnulls);	/* $1 today, $2 removed ok, $3 born by */
	f.desc = resident_row_desc();
	f.rows = palloc(sizeof(HeapTuple));
	if (index_getnext_slot(sc, ForwardScanDirection, slot))
	{
		Datum		values[NCOLS];
		bool		nulls[NCOLS];
		bool		ok;
		int			i;

		slot_getallattrs(slot);
		for (i = 0; i <= COL_STATUS; i++)
		{
			values[i] = slot->tts_values[i];
			nulls[i] = slot->tts_isnull[i];
		}
		ok = DatumGetBool(params[1]) ||
			strcmp(TextDatumGetCString(values[COL_STATUS]), "active") == 0;
		if (ok && pnulls[2] != 'n')
			ok = DatumGetDateADT(values[6]) <= DatumGetDateADT(params[2]);
		if (ok)
		{
			Relation	sm = table_open(juki_relid("support_measure"), AccessShareLock);
			Relation	smi = index_open(juki_relid("support_measure_active_idx"), AccessShareLock);
			TupleTableSlot *smslot = table_slot_create(sm, NULL);
			ScanKeyData smkey;
			IndexScanDesc smsc = probe(sm, smi, code, snap, &smkey);
			DateADT		today = DatumGetDateADT(params[0]);
			bool		restricted = false;

			while (!restricted && index_getnext_slot(smsc, ForwardScanDirection, smslot))
			{
				bool		n1,
							n2;
				DateADT		from = DatumGetDateADT(slot_getattr(smslot, 3, &n1));
				DateADT		until = DatumGetDateADT(slot_getattr(smslot, 4, &n2));

				restricted = !n1 && !n2 && from <= today && today <= until;
			}
			index_endscan(smsc);
			ExecDropSingleTupleTableSlot(smslot);
			index_close(smi, NoLock);
			table_close(sm, NoLock);
			values[COL_RESTRICTED] = BoolGetDatum(restricted);
			nulls[COL_RESTRICTED] = false;
			f.rows[0] = heap_form_tuple(f.desc, values, nulls);
			f.nrows = 1;
		}
	}
	index_endscan(sc);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, NoLock);
	table_close(rel, NoLock);
	return f;
}

/* One resident by code, for lookup and forms; refuses protected residents. */
static Fetched
fetch_one(Request *rq, const char *code)
{
	Fetched		f = fetch_one_direct(rq, code);

	if (f.nrows == 1 && row_restricted(&f, 0) && !support_measure_allowed(rq, code))
		refuse(rq, "resident_restricted", ERRCODE_INSUFFICIENT_PRIVILEGE,
			   "Residents under a support measure (DV等支援措置) are disclosed only to purposes that allow it, with a permit naming them.",
			   "this resident's record is restricted");
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

	begin_request(&rq, "lookup", fcinfo);
	code = resident_code_arg(&rq, fcinfo, 1);
	rq.req.criteria_key = "resident_code";
	rq.req.resident_code = code;
	juki_policy_decide(&rq.req, &rq.dec);
	if (rq.dec.reason)
		refuse_decision(&rq);

	juki_volume_plan(&rq.req, &rq.dec, 1);
	f = fetch_one(&rq, code);
	charge_volume(&rq, f.nrows);
	log_granted(&rq, &f, NULL, NULL);
	if (f.nrows == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &out) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "juki.lookup must return juki.disclosure");
	out = BlessTupleDesc(out);
	PG_RETURN_DATUM(HeapTupleGetDatum(disclosure_tuple(&rq, &f, 0, out)));
}

/* ---------------------------------------------------------- search */

Datum
juki_search(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Request		rq;
	List	   *crit;
	ListCell   *lc;
	StringInfoData sql;
	Oid			types[16];
	Datum		values[16];
	char		nulls[16];
	int			n;
	Fetched		f;
	int			i;

	begin_request(&rq, "search", fcinfo);
	if (PG_ARGISNULL(1))
		refuse(&rq, "invalid_criteria", ERRCODE_NULL_VALUE_NOT_ALLOWED,
			   "Criteria are a JSON object of strings.", "criteria are required");
	rq.criteria = PG_GETARG_JSONB_P_COPY(1);
	crit = parse_criteria(&rq, rq.criteria);

	juki_policy_decide(&rq.req, &rq.dec);
	if (rq.dec.reason)
		refuse_decision(&rq);
	juki_volume_plan(&rq.req, &rq.dec, rq.dec.row_limit);

	base_params(&rq, types, values, nulls);
	initStringInfo(&sql);
	appendStringInfoString(&sql, SELECT_RESIDENT);
	n = 3;

	/* a permit naming residents limits the search to them */
	types[n] = TEXTARRAYOID;
	nulls[n] = 'n';
	if (rq.dec.permit->residents != NIL)
	{
		values[n] = text_array(rq.dec.permit->residents);
		nulls[n] = ' ';
	}
	n++;
	appendStringInfo(&sql, " AND ($%d::text[] IS NULL OR r.resident_code = ANY ($%d))", n, n);

	/* residents under a support measure: only those the permit names, and only if allowed */
	types[n] = TEXTARRAYOID;
	values[n] = text_array(rq.dec.purpose->allows_support_measure ? rq.dec.permit->residents : NIL);
	nulls[n] = ' ';
	n++;
	appendStringInfo(&sql, " AND (NOT EXISTS (SELECT 1 FROM juki.support_measure m"
					 " WHERE m.resident_code = r.resident_code AND $1 BETWEEN m.starts_on AND m.ends_on)"
					 " OR r.resident_code = ANY ($%d))", n);

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

	f = fetch(sql.data, n, types, values, nulls, rq.dec.row_limit + 1);
	if (f.nrows > rq.dec.row_limit)
	{
		rq.subjects = NIL;
		refuse(&rq, "too_many_rows", ERRCODE_PROGRAM_LIMIT_EXCEEDED,
			   rq.dec.purpose->allows_bulk
			   ? "Request a permit with a larger row allowance, or narrow the criteria."
			   : "Narrow the criteria: juki refuses the whole request rather than truncate it.",
			   psprintf("the search matches more than %lld rows, the limit of purpose %s",
						(long long) rq.dec.row_limit, rq.dec.purpose->code));
	}

	charge_volume(&rq, f.nrows);
	log_granted(&rq, &f, NULL, NULL);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (i = 0; i < f.nrows; i++)
		tuplestore_puttuple(rsinfo->setResult,
							disclosure_tuple(&rq, &f, i, rsinfo->setDesc));
	return (Datum) 0;
}

/* ------------------------------------------------------------ forms */

Datum
juki_issue_form(PG_FUNCTION_ARGS)
{
	Request		rq;
	char	   *code;
	char	   *form_type;
	char	   *serial;
	Fetched		f;
	TupleDesc	out;
	TupleDesc	content_desc;
	Datum		values[5];
	bool		nulls[5] = {false};
	int			year,
				month,
				day;

	begin_request(&rq, "issue_form", fcinfo);
	code = resident_code_arg(&rq, fcinfo, 1);
	if (PG_ARGISNULL(2))
		refuse(&rq, "invalid_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
			   "Name the form, e.g. 'juminhyo_copy'.", "a form type is required");
	form_type = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (form_type[0] == '\0' || strlen(form_type) > 63)
		refuse(&rq, "invalid_argument", ERRCODE_INVALID_PARAMETER_VALUE,
			   "Form types are 1 to 63 characters.", "invalid form type");
	rq.req.criteria_key = "resident_code";
	rq.req.resident_code = code;
	rq.req.form = true;
	juki_policy_decide(&rq.req, &rq.dec);
	if (rq.dec.reason)
		refuse_decision(&rq);

	juki_volume_plan(&rq.req, &rq.dec, 1);
	/*
	 * The serial first, under the form-serial lock; the audit writer enters
	 * the form in the ledger with the granted entry, in the log's own
	 * transaction (form_ledger.c), and the lock goes once that is durable.
	 */
	j2date(rq.dec.today + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	serial = juki_form_serial_take(year);
	f = fetch_one(&rq, code);
	if (f.nrows == 0)
		refuse(&rq, "resident_not_found", ERRCODE_NO_DATA_FOUND, NULL,
			   "no resident with this code can be printed under this purpose");
	charge_volume(&rq, 1);
	log_granted(&rq, &f, serial, form_type);
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
	values[4] = HeapTupleGetDatum(disclosure_tuple(&rq, &f, 0, content_desc));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(out, values, nulls)));
}

/* ------------------------------------------- one-statement variants */

/*
 * juki.lookup(purpose, resident_code, token) and juki.search(purpose,
 * criteria, token): attach, then disclose, in one call.  The session is
 * bound to the transaction exactly as juki.attach binds it; an autocommit
 * client saves three round trips (BEGIN, attach, COMMIT), and with them
 * most of its wait for the log.
 */
static void
attach_token_arg(FunctionCallInfo fcinfo, int n, const char *action)
{
	juki_require_preload();
	/* refused as the function called (lookup, search), not as attach */
	juki_require_role_ex(action, disclosure_roles, false);
	if (!PG_ARGISNULL(n))
		(void) DirectFunctionCall1(juki_attach, PG_GETARG_DATUM(n));
	/* a NULL token leaves the transaction as it is: refused unless attached */
}

Datum
juki_lookup_with_token(PG_FUNCTION_ARGS)
{
	attach_token_arg(fcinfo, 2, "lookup");
	return juki_lookup(fcinfo);
}

Datum
juki_search_with_token(PG_FUNCTION_ARGS)
{
	attach_token_arg(fcinfo, 2, "search");
	return juki_search(fcinfo);
}
