/*-------------------------------------------------------------------------
 * policy.c
 *		The one decision function: who is asking (the attached operator
 *		session), for what purpose, with which criteria, at what time →
 *		allow (with the permit and row limit the request runs under) or
 *		deny with a stable reason code and SQLSTATE.
 *
 * The policy rows come from policy_cache.c (per backend, reloaded when the
 * shared policy generation moves); windows, expiry and hours are evaluated
 * here on every request, against the clock.  Two things are never cached:
 * the emergency flag (shared memory) and whether a bulk permit was used
 * (the durable log, under a lock of juki's own: core/locks.h).  The
 * decision carries everything disclosure needs (decision.h): disclosure
 * never asks policy again.  How many rows a request may add to what was
 * already disclosed is volume.c's business.
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

#include "core/locks.h"
#include "core/settings.h"
#include "core/spi.h"
#include "core/state.h"
#include "access/duties.h"
#include "policy.h"
#include "policy_cache.h"
#include "statement_rows.h"
#include "volume.h"

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

	foreach(lc, juki_policy_hours())
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
			 gettext_noop("A bulk permit serves one statement; request a new one."),
			 gettext_noop("the bulk permit for purpose %s has already been used"), req->purpose);
	else if (closed)
		deny(d, "outside_hours", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("Outside operating hours a permit with off_hours is needed."),
			 gettext_noop("purpose %s is outside its operating hours (%s)"), pur->code, juki_timezone);
	else if (names_others)
		deny(d, "no_permit", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("Request a permit naming this resident (juki.request_permit(..., residents => ...))."),
			 gettext_noop("no approved permit for purpose %s names the resident asked for"), req->purpose);
	else if (any && expired)
		deny(d, "permit_expired", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("Request a new permit with juki.request_permit()."),
			 gettext_noop("the permit for purpose %s is outside its window"), req->purpose);
	else
		deny(d, "no_permit", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 pur->allows_bulk ? gettext_noop("This batch purpose needs an approved permit with a row allowance (bulk_rows).")
			 : pur->requires_named_permit ? gettext_noop("This purpose needs an approved permit naming the resident.")
			 : gettext_noop("Request one with juki.request_permit(); a security officer of your department approves it."),
			 gettext_noop("no approved permit for purpose %s"), req->purpose);
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
			 gettext_noop("your operator registration has retired or no longer exists"));
		return false;
	}
	if (!OidIsValid(role) || !is_member_of_role_nosuper(role, get_role_oid(need, false)))
	{
		deny(d, "role_required", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("A DBA grants the operator role to the operator's login role."),
			 gettext_noop("role %s is no longer a member of %s"), s->role_name, need);
		return false;
	}
	if (juki_role_conflict(role, &a, &b))
	{
		deny(d, "conflict_of_duties", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("Separate these duties between different people."),
			 gettext_noop("role %s holds both %s and %s"), s->role_name, a, b);
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
			 gettext_noop("Ask the access manager for a new card, then log in again."),
			 gettext_noop("IC card %s was revoked"), s->card_serial);
		return false;
	}
	if (ln->date < card->valid_from || ln->date > card->valid_until)
	{
		deny(d, "card_expired", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			 gettext_noop("Ask the access manager to register a renewed card."),
			 gettext_noop("IC card %s is outside its validity"), s->card_serial);
		return false;
	}
	if (op->password_set_at == 0 ||
		ln->now - op->password_set_at > (int64) juki_password_max_age_min * 60 * USECS_PER_SEC)
	{
		deny(d, "password_expired", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			 gettext_noop("Ask the access manager to set a new password (juki.password_max_age)."),
			 gettext_noop("your password has expired"));
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
		if (!op->contract_found || !juki_list_has(op->contract_purposes, req->purpose))
			deny(d, "not_designated", ERRCODE_INSUFFICIENT_PRIVILEGE,
				 gettext_noop("Contractors handle only the purposes of their contract."),
				 gettext_noop("your contract does not cover purpose %s"),
				 req->purpose);
		else if (!op->contractor_approved || !op->contract_approved)
			deny(d, "contract_unapproved", ERRCODE_INSUFFICIENT_PRIVILEGE,
				 gettext_noop("The chief security officer approves contractors and contracts."),
				 gettext_noop("your contract or its contractor is not approved"));
		else if (!op->pledge)
			deny(d, "pledge_missing", ERRCODE_INSUFFICIENT_PRIVILEGE,
				 gettext_noop("Record the contractor's signed pledge (誓約書) first."),
				 gettext_noop("no pledge (誓約書) is on record for your contract"));
		else if (ln->date < op->contract_from || ln->date > op->contract_until)
			deny(d, "contract_expired", ERRCODE_INSUFFICIENT_PRIVILEGE, NULL,
				 gettext_noop("your contract is outside its period"));
		else if (op->handler_from == DATEVAL_NOBEGIN)
			deny(d, "not_designated", ERRCODE_INSUFFICIENT_PRIVILEGE,
				 gettext_noop("A security officer designates handlers per contract."),
				 gettext_noop("you are not designated as a handler of your contract"));
		else if (ln->date < op->handler_from || ln->date > op->handler_until)
			deny(d, "designation_expired", ERRCODE_INSUFFICIENT_PRIVILEGE, NULL,
				 gettext_noop("your designation as a handler is outside its period"));
		else
			return true;
		return false;
	}

	foreach(lc, op->designations)
	{
		OpDesignation *ds = lfirst(lc);

		if (!juki_list_has(ds->purposes, req->purpose))
			continue;
		if (ln->date >= ds->valid_from && ln->date <= ds->valid_until)
			return true;
		seen = true;
	}
	if (seen)
		deny(d, "designation_expired", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("A security officer of your department renews the designation."),
			 gettext_noop("your designation for purpose %s is outside its period"),
			 req->purpose);
	else
		deny(d, "not_designated", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("A security officer of your department designates operators (juki.designate)."),
			 gettext_noop("you are not designated for purpose %s"), req->purpose);
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


/* What disclosure needs of the purpose: its fields, as a mask and for the log. */
static void
disclosure_fields(const JukiPurpose *pur, JukiDecision *d)
{
	int			i;

	d->fields = NIL;
	for (i = 0; i < JUKI_RESIDENT_NFIELDS; i++)
	{
		d->disclose[i] = juki_list_has(pur->fields, juki_resident_fields[i]);
		if (d->disclose[i])
			d->fields = lappend(d->fields, (char *) juki_resident_fields[i]);
	}
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
			 gettext_noop("The chief security officer resumes with juki.emergency_resume()."),
			 gettext_noop("juki is stopped (作動停止): no disclosure until resumed"));
		return;
	}
	if (s == NULL)
	{
		deny(d, "not_authenticated", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			 gettext_noop("juki.attach(token) holds for its own transaction only: BEGIN, attach, then ask; in autocommit use juki.lookup(purpose, resident_code, token)."),
			 gettext_noop("no operator session is attached to this transaction"));
		return;
	}

	op = juki_policy_operator(s->operator_id);
	if (!check_operator(op, s, &ln, d))
		return;

	pur = juki_policy_purpose(req->purpose);
	d->purpose = pur;
	if (pur == NULL)
	{
		deny(d, "purpose_unknown", ERRCODE_INVALID_PARAMETER_VALUE,
			 gettext_noop("juki.purposes() lists the registered purposes."),
			 gettext_noop("purpose \"%s\" is not registered"), req->purpose);
		return;
	}
	disclosure_fields(pur, d);
	if (!pur->active)
	{
		deny(d, "purpose_inactive", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, NULL,
			 gettext_noop("purpose %s is not active"), pur->code);
		return;
	}
	if (pur->aggregates_only)
	{
		deny(d, "aggregates_only", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("This purpose receives statistics, never individual records."),
			 gettext_noop("purpose %s does not disclose individual records"), pur->code);
		return;
	}
	if (!check_designation(op, req, &ln, d))
		return;
	if (ln.year_ago > op->last_training || op->last_training == DATEVAL_NOBEGIN)
	{
		deny(d, "training_missing", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("Operators need the operator course within the last 12 months (juki.record_training)."),
			 gettext_noop("you have not completed the operator training within the last 12 months"));
		return;
	}
	if (!juki_list_has(pur->search_keys, req->criteria_key))
	{
		deny(d, "criteria_not_allowed", ERRCODE_INSUFFICIENT_PRIVILEGE,
			 gettext_noop("juki.purposes() shows each purpose's search_keys."),
			 gettext_noop("purpose %s does not allow searching by %s"), pur->code, req->criteria_key);
		return;
	}
	if (req->form && !pur->allows_forms)
	{
		deny(d, "form_not_allowed", ERRCODE_INSUFFICIENT_PRIVILEGE, NULL,
			 gettext_noop("purpose %s does not allow printing forms (帳票)"), pur->code);
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

	/*
	 * Beyond a ceiling of the statement or the operator's window (volume.c)
	 * only a bulk permit lets rows through: the request runs under one the
	 * operator holds, chosen by the same rules, if there is one; otherwise
	 * volume.c refuses the rows it cannot let through.
	 */
	if (juki_volume_beyond(req, d, req->resident_code ? 1 : d->row_limit))
	{
		JukiDecision scratch;
		JukiPermit *bulk;

		memset(&scratch, 0, sizeof(scratch));
		bulk = choose_permit(op, req, pur, &ln, !d->off_hours, true, &scratch);
		if (bulk != NULL)
			d->permit = bulk;
	}
}
