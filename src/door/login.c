/*-------------------------------------------------------------------------
 * login.c
 *		Logging in with an IC card (DESIGN §6): a challenge for the card
 *		(juki.card_challenge), then its signature and the password
 *		(juki.card_login) for an opaque session token; the same checks
 *		unlock an idle-locked session (session.c).
 *
 * Failed logins are logged with their precise reason while the client only
 * learns authentication_failed; the count of consecutive failures that
 * locks an operator is read from the durable log, so a rollback cannot
 * erase one.
 *
 * Locking: challenges and sessions live in session_table.c's shared
 * memory; every read or change of a slot here holds the table's LWLock
 * (exclusively: a challenge is taken and consumed, a free session slot is
 * claimed, under one acquisition), and nothing is kept from a slot once
 * the lock is released.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "format/buf.h"
#include "format/hash.h"
#include "core/settings.h"
#include "core/spi.h"
#include "core/state.h"
#include "log/append.h"
#include "log/refusal.h"
#include "access/caller.h"
#include "card.h"
#include "login.h"
#include "pgcrypto_fn.h"
#include "session_table.h"
#include "core/message.h"

PG_FUNCTION_INFO_V1(juki_card_challenge);
PG_FUNCTION_INFO_V1(juki_card_login);

static void
check_serial(const char *action, const char *serial)
{
	size_t		len = strlen(serial);
	size_t		i;
	bool		ok = len >= 4 && len <= 64;

	for (i = 0; ok && i < len; i++)
		ok = isalnum((unsigned char) serial[i]) || serial[i] == '-';
	if (!ok)
		juki_bad_input(action, "invalid_card_serial", ERRCODE_INVALID_PARAMETER_VALUE,
					   gettext_noop("a card serial is 4 to 64 letters, digits or hyphens"),
					   gettext_noop("Use the serial printed on the operator's IC card."));
}

/*
 * The common start of card_challenge and card_login: preload, the caller's
 * role, a well-formed card serial (argument 0), and no emergency stop.
 */
static char *
login_step_serial(FunctionCallInfo fcinfo, const char *action)
{
	char	   *serial;

	juki_require_preload();
	juki_require_role(action, juki_session_roles);
	if (PG_ARGISNULL(0))
		juki_bad_input(action, "invalid_card_serial", ERRCODE_NULL_VALUE_NOT_ALLOWED,
					   gettext_noop("a card serial is required"), NULL);
	serial = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_serial(action, serial);
	if (juki_emergency_stopped())
		juki_session_refuse(action, JUKI_NO_ID, JUKI_NO_ID, serial, "emergency_stop", NULL,
			   ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			   gettext_noop("juki is stopped (作動停止): no login until the chief security officer resumes it"), NULL);
	return serial;
}

static void
load_card(const char *serial, CardInfo *ci)
{
	JukiSpi		spi;
	Oid			argtype = TEXTOID;
	Datum		arg = CStringGetTextDatum(serial);
	MemoryContext caller = CurrentMemoryContext;
	char		sql[1024];

	memset(ci, 0, sizeof(*ci));
	snprintf(sql, sizeof(sql),
			 "SELECT c.operator_id, c.public_key_pem, c.revoked_at IS NOT NULL,"
			 " c.valid_from > current_date, c.valid_until < current_date,"
			 " o.role_name::text, o.kind, o.retired_at IS NOT NULL, o.locked,"
			 " p.hash, p.set_at + make_interval(mins => %d) < now()"
			 " FROM juki.operator_card c JOIN juki.operator o ON o.id = c.operator_id"
			 " LEFT JOIN juki.operator_password p ON p.operator_id = o.id"
			 " WHERE c.card_serial = $1", juki_password_max_age_min);
	juki_spi_begin(&spi);
	if (SPI_execute_with_args(sql, 1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.operator_card");
	if (SPI_processed == 1)
	{
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(caller);

		ci->found = true;
		ci->operator_id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		ci->pem = SPI_getvalue(t, d, 2);
		ci->revoked = DatumGetBool(SPI_getbinval(t, d, 3, &isnull));
		ci->not_yet_valid = DatumGetBool(SPI_getbinval(t, d, 4, &isnull));
		ci->expired = DatumGetBool(SPI_getbinval(t, d, 5, &isnull));
		ci->role = SPI_getvalue(t, d, 6);
		ci->kind = SPI_getvalue(t, d, 7);
		ci->retired = DatumGetBool(SPI_getbinval(t, d, 8, &isnull));
		ci->locked = DatumGetBool(SPI_getbinval(t, d, 9, &isnull));
		ci->pw_hash = SPI_getvalue(t, d, 10);
		ci->has_password = ci->pw_hash != NULL;
		ci->pw_expired = DatumGetBool(SPI_getbinval(t, d, 11, &isnull)) && !isnull;
		MemoryContextSwitchTo(old);
	}
	juki_spi_end(&spi);
}

/* pgcrypto's own crypt(), found by what it is (pgcrypto_fn.c) */
static bool
password_matches(const char *action, const char *password, const char *hash)
{
	return strcmp(juki_pgcrypto_crypt(action, password, hash), hash) == 0;
}

/*
 * Consecutive failed logins of an operator, read from the durable log:
 * denials for a bad signature or password since the last successful login
 * or unlock, or the access manager's unlock_operator.
 */
static int
consecutive_failures(int64 operator_id)
{
	JukiSpi		spi;
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		args[2];
	int			n = 0;
	uint64		i;

	args[0] = Int64GetDatum(operator_id);
	args[1] = Int32GetDatum(juki_max_login_failures + 1);
	juki_spi_begin(&spi);
	/* not read-only: a fresh snapshot sees the failure just logged */
	if (SPI_execute_with_args("SELECT outcome, reason FROM juki.operation_log"
							  " WHERE operator_id = $1 AND action IN ('card_login', 'unlock', 'unlock_operator')"
							  " ORDER BY seq DESC LIMIT $2",
							  2, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.operation_log");
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *outcome = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *reason = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		if (strcmp(outcome, JUKI_GRANTED) == 0)
			break;
		if (reason && (strcmp(reason, "bad_signature") == 0 || strcmp(reason, "bad_password") == 0))
			n++;
	}
	juki_spi_end(&spi);
	return n;
}

/* Take (and consume) the pending challenge of a card. */
static bool
take_challenge(const char *serial, uint8 nonce[NONCE_LEN], bool *expired)
{
	int			i;
	bool		found = false;
	TimestampTz now = GetCurrentTimestamp();

	*expired = false;
	LWLockAcquire(juki_session_table->lock, LW_EXCLUSIVE);
	for (i = 0; i < juki_session_table->nslots; i++)
	{
		Challenge  *c = &juki_session_challenges()[i];

		if (c->in_use && strcmp(c->card, serial) == 0)
		{
			c->in_use = false;	/* single use, whatever happens next */
			if (c->expires < now)
				*expired = true;
			else
			{
				memcpy(nonce, c->nonce, NONCE_LEN);
				found = true;
			}
			break;
		}
	}
	LWLockRelease(juki_session_table->lock);
	return found;
}

/* Before card_login or unlock trusts the caller (login.h). */
void
juki_login_authenticate(const char *action, const char *serial, bytea *sig, const char *password,
			 int64 session_id, CardInfo *ci)
{
	uint8		nonce[NONCE_LEN];
	bool		expired;
	const char *need_role;
	char	   *caller = juki_caller_name();
	const char *why = NULL;

	load_card(serial, ci);
	if (!ci->found)
		juki_session_refuse(action, JUKI_NO_ID, session_id, serial, "card_unknown", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("no operator IC card has this serial"),
			   gettext_noop("Check the serial, or ask the access manager to register the card."));
	if (ci->revoked)
		juki_session_refuse(action, ci->operator_id, session_id, serial, "card_revoked", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("this operator IC card has been revoked"), NULL);
	if (ci->expired || ci->not_yet_valid)
		juki_session_refuse(action, ci->operator_id, session_id, serial, "card_expired", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("this operator IC card is not valid today"),
			   gettext_noop("Ask the access manager for a new card."));
	if (ci->retired)
		juki_session_refuse(action, ci->operator_id, session_id, serial, "operator_retired", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("the operator of this card has retired"), NULL);
	/* one's own card, or a terminal application acting for its operator */
	if (strcmp(caller, ci->role) != 0 && !juki_caller_has_role("juki_terminal"))
		juki_session_refuse(action, ci->operator_id, session_id, serial, "session_not_yours", NULL,
			   ERRCODE_INSUFFICIENT_PRIVILEGE, gettext_noop("this card belongs to another operator"),
			   gettext_noop("Log in as the operator's own role, or through a role that is a member of juki_terminal."));
	need_role = strcmp(ci->kind, "contractor") == 0 ? "juki_contractor_operator" : "juki_operator";
	if (!is_member_of_role_nosuper(get_role_oid(ci->role, false), get_role_oid(need_role, false)))
		juki_session_refuse(action, ci->operator_id, session_id, serial, "role_required", NULL,
			   ERRCODE_INSUFFICIENT_PRIVILEGE,
			   psprintf(gettext_noop("the operator's role is not a member of %s"), need_role),
			   gettext_noop("A DBA grants the role; a security officer designates the operator."));
	if (ci->locked || consecutive_failures(ci->operator_id) >= juki_max_login_failures)
		juki_session_refuse(action, ci->operator_id, session_id, serial, "operator_locked", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("this operator is locked"),
			   gettext_noop("The access manager unlocks operators: juki.unlock_operator()."));
	if (!take_challenge(serial, nonce, &expired))
		juki_session_refuse(action, ci->operator_id, session_id, serial,
			   expired ? "challenge_expired" : "no_challenge", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   expired ? gettext_noop("the card challenge has expired") : gettext_noop("there is no pending challenge for this card"),
			   gettext_noop("Ask for a new one with juki.card_challenge() and sign it within 60 seconds."));
	{
		bool		sig_ok = sig != NULL &&
			juki_card_verify(ci->pem, strlen(ci->pem), nonce, NONCE_LEN,
							 (uint8 *) VARDATA_ANY(sig), VARSIZE_ANY_EXHDR(sig));
		bool		pw_ok = sig_ok && password != NULL && ci->has_password &&
			password_matches(action, password, ci->pw_hash);

		if (!pw_ok)
			why = sig_ok ? "bad_password" : "bad_signature";
	}
	if (why != NULL)
	{
		JukiAuditRecord r;

		juki_audit_record_init(&r, action, JUKI_DENIED, why);
		r.operator_id = ci->operator_id;
		r.session_id = session_id;
		r.card_serial = serial;
		juki_audit_log(&r);
		/* the failure that reaches the limit locks the operator: on record once */
		if (consecutive_failures(ci->operator_id) == juki_max_login_failures)
		{
			JukiAuditRecord l;
			JukiDetail	d;

			juki_audit_record_init(&l, "operator_lock", JUKI_GRANTED, "too_many_failures");
			l.operator_id = ci->operator_id;
			l.card_serial = serial;
			jd_init(&d);
			jd_int(&d, "failures", juki_max_login_failures);
			l.detail = jd_finish(&d);
			juki_audit_log(&l);
		}
		/* which factor failed is in the log, not told to a guesser */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("card login failed"),
				 juki_errfield("authentication_failed"),
				 errdetail("reason: authentication_failed"),
				 errhint("The card must sign the latest challenge, and the password must match; after %d consecutive failures the operator is locked.",
						 juki_max_login_failures)));
	}
	if (ci->pw_expired)
		juki_session_refuse(action, ci->operator_id, session_id, serial, "password_expired", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("the operator's password has expired"),
			   gettext_noop("The access manager sets a new one: juki.set_password()."));
}

/* ---------------------------------------------------------------- SQL */

Datum
juki_card_challenge(PG_FUNCTION_ARGS)
{
	char	   *serial;
	CardInfo	ci;
	uint8		nonce[NONCE_LEN];
	int			i;
	int			free_slot = -1;
	TimestampTz now = GetCurrentTimestamp();
	bytea	   *result;
	JukiAuditRecord r;

	serial = login_step_serial(fcinfo, "card_challenge");
	load_card(serial, &ci);
	if (!ci.found)
		juki_session_refuse("card_challenge", JUKI_NO_ID, JUKI_NO_ID, serial, "card_unknown", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("no operator IC card has this serial"),
			   gettext_noop("Check the serial, or ask the access manager to register the card."));
	if (ci.revoked)
		juki_session_refuse("card_challenge", ci.operator_id, JUKI_NO_ID, serial, "card_revoked", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("this operator IC card has been revoked"), NULL);
	if (!pg_strong_random(nonce, NONCE_LEN))
		ereport(ERROR, (errmsg("could not generate a random challenge")));

	LWLockAcquire(juki_session_table->lock, LW_EXCLUSIVE);
	for (i = 0; i < juki_session_table->nslots; i++)
	{
		Challenge  *c = &juki_session_challenges()[i];

		/* a new challenge replaces the card's previous one */
		if (c->in_use && (strcmp(c->card, serial) == 0 || c->expires < now))
			c->in_use = false;
		if (!c->in_use && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0)
	{
		Challenge  *c = &juki_session_challenges()[free_slot];

		c->in_use = true;
		strlcpy(c->card, serial, sizeof(c->card));
		memcpy(c->nonce, nonce, NONCE_LEN);
		c->expires = now + CHALLENGE_TTL_US;
	}
	LWLockRelease(juki_session_table->lock);
	if (free_slot < 0)
		juki_session_refuse("card_challenge", ci.operator_id, JUKI_NO_ID, serial,
							"session_table_full", NULL, ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
							gettext_noop("too many pending card challenges"),
							gettext_noop("Wait a minute for unanswered challenges to expire, or raise juki.max_sessions."));

	juki_audit_record_init(&r, "card_challenge", JUKI_GRANTED, NULL);
	r.operator_id = ci.operator_id;
	r.card_serial = serial;
	juki_audit_log(&r);

	result = palloc(VARHDRSZ + NONCE_LEN);
	SET_VARSIZE(result, VARHDRSZ + NONCE_LEN);
	memcpy(VARDATA(result), nonce, NONCE_LEN);
	PG_RETURN_BYTEA_P(result);
}

/*
 * The counter terminal's id (業務端末) in argument n, NULL if the call has
 * none (a 1.0 signature) or gives NULL; bad input refused on record.
 */
char *
juki_terminal_arg(FunctionCallInfo fcinfo, int n, const char *action)
{
	char	   *terminal;
	const char *p;

	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	terminal = text_to_cstring(PG_GETARG_TEXT_PP(n));
	for (p = terminal; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			break;
	if (terminal[0] == '\0' || strlen(terminal) > JUKI_TERMINAL_LEN || *p != '\0' ||
		pg_verifymbstr(terminal, strlen(terminal), true) == false)
		juki_bad_input(action, "invalid_argument", ERRCODE_INVALID_PARAMETER_VALUE,
					   gettext_noop("a terminal id has 1 to 64 bytes and no control characters"),
					   gettext_noop("Give the id of the counter terminal (業務端末), e.g. 'madoguchi-03'."));
	return terminal;
}

Datum
juki_card_login(PG_FUNCTION_ARGS)
{
	char	   *serial;
	CardInfo	ci;
	uint8		raw[TOKEN_BYTES];
	char		token[2 * TOKEN_BYTES + 1];
	uint8		hash[JK_HASH_LEN];
	int			i;
	volatile int slot = -1;
	volatile int64 sid = 0;
	TimestampTz now = GetCurrentTimestamp();
	JukiAuditRecord r;
	char	   *terminal = NULL;

	serial = login_step_serial(fcinfo, "card_login");
	/* the counter terminal (業務端末), if the application names it (1.1) */
	terminal = juki_terminal_arg(fcinfo, 3, "card_login");
	juki_login_authenticate("card_login", serial, PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1),
				 PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
				 JUKI_NO_ID, &ci);

	if (!pg_strong_random(raw, TOKEN_BYTES))
		ereport(ERROR, (errmsg("could not generate a session token")));
	jk_hex(raw, TOKEN_BYTES, token);
	juki_session_token_hash(token, hash);

	LWLockAcquire(juki_session_table->lock, LW_EXCLUSIVE);
	for (i = 0; i < juki_session_table->nslots && slot < 0; i++)
	{
		Session    *s = &juki_session_slots()[i];

		/* a slot is free, or held by a session idle for a day */
		if (!s->in_use || now - s->last_activity > STALE_SESSION_US)
			slot = i;
	}
	if (slot >= 0)
	{
		Session    *s = &juki_session_slots()[slot];

		s->in_use = true;
		s->locked = false;
		memcpy(s->token_hash, hash, JK_HASH_LEN);
		sid = s->session_id = ++juki_session_table->next_id;
		s->operator_id = ci.operator_id;
		strlcpy(s->card, serial, sizeof(s->card));
		strlcpy(s->role, ci.role, sizeof(s->role));
		strlcpy(s->terminal, terminal ? terminal : "", sizeof(s->terminal));
		s->created = now;
		s->last_activity = now;
	}
	LWLockRelease(juki_session_table->lock);
	if (slot < 0)
		juki_session_refuse("card_login", ci.operator_id, JUKI_NO_ID, serial,
							"session_table_full", NULL, ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
							gettext_noop("too many operator sessions"),
							gettext_noop("Log out unused sessions, or raise juki.max_sessions."));

	juki_audit_record_init(&r, "card_login", JUKI_GRANTED, NULL);
	r.operator_id = ci.operator_id;
	r.session_id = sid;
	r.card_serial = serial;
	r.terminal = terminal;
	PG_TRY();
	{
		juki_audit_log(&r);
	}
	PG_CATCH();
	{
		/* not on record, so not a session (the slot is still ours if its id is) */
		LWLockAcquire(juki_session_table->lock, LW_EXCLUSIVE);
		if (juki_session_slots()[slot].in_use && juki_session_slots()[slot].session_id == sid)
			juki_session_slots()[slot].in_use = false;
		LWLockRelease(juki_session_table->lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(cstring_to_text(token));
}
