/*-------------------------------------------------------------------------
 * session.c
 *		Operator sessions (DESIGN §6): a card challenge, a login with the
 *		card's signature and the password, an opaque token, attach per
 *		transaction, idle lock and unlock, logout.
 *
 * A session is a server-side object in shared memory, so it costs no
 * table write per request and works behind a transaction-pooling pooler:
 * attach binds it to the current transaction only, and a pooled
 * connection never inherits another operator's identity.  Only the
 * SHA-256 of a token is kept.  Sessions do not survive a restart: the
 * operator logs in again.
 *
 * What must survive the caller's rollback — the count of consecutive
 * failed logins that locks an operator — is derived from the operation
 * log, which is durable before any answer is given.
 *
 * Locking: the table's LWLock guards every field of every slot.  A slot
 * may be freed and reused by another session at any moment the lock is not
 * held, so whoever copied a slot re-checks, under the lock, that it still
 * holds the same session_id before acting on it (attach reads, checks and
 * bumps last_activity only so).  Besides, a transaction attached to a
 * session holds a heavyweight share lock on it (locks.h) until it ends, and
 * logout takes it exclusively: logout waits for the requests running under
 * the session, and after it returns nothing more is done under it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "format/hash.h"
#include "log/append.h"
#include "card.h"
#include "access/caller.h"
#include "core/spi.h"
#include "log/refusal.h"
#include "core/locks.h"
#include "session.h"
#include "pgcrypto_fn.h"
#include "core/state.h"

PG_FUNCTION_INFO_V1(juki_card_challenge);
PG_FUNCTION_INFO_V1(juki_card_login);
PG_FUNCTION_INFO_V1(juki_attach);
PG_FUNCTION_INFO_V1(juki_unlock);
PG_FUNCTION_INFO_V1(juki_logout);
PG_FUNCTION_INFO_V1(juki_whoami);
PG_FUNCTION_INFO_V1(juki_internal_session_operator);

#define NONCE_LEN			32
#define TOKEN_BYTES			32
#define CHALLENGE_TTL_US	(60 * USECS_PER_SEC)
#define STALE_SESSION_US	(24 * USECS_PER_HOUR)

typedef struct Challenge
{
	bool		in_use;
	char		card[65];
	uint8		nonce[NONCE_LEN];
	TimestampTz expires;
} Challenge;

typedef struct Session
{
	bool		in_use;
	bool		locked;			/* idle-locked: needs unlock */
	uint8		token_hash[JK_HASH_LEN];
	int64		session_id;
	int64		operator_id;
	char		card[65];
	char		role[NAMEDATALEN];
	TimestampTz created;
	TimestampTz last_activity;
} Session;

typedef struct SessionTable
{
	LWLock	   *lock;
	int64		next_id;
	int			nslots;
	/* then nslots Challenges, then nslots Sessions */
} SessionTable;

static SessionTable *table = NULL;

static Challenge *
challenges(void)
{
	return (Challenge *) ((char *) table + MAXALIGN(sizeof(SessionTable)));
}

static Session *
sessions(void)
{
	return (Session *) ((char *) challenges() + MAXALIGN(sizeof(Challenge) * table->nslots));
}

static Size
table_size(void)
{
	return add_size(add_size(MAXALIGN(sizeof(SessionTable)),
							 MAXALIGN(mul_size(sizeof(Challenge), juki_max_sessions))),
					mul_size(sizeof(Session), juki_max_sessions));
}

void
juki_session_shmem_request(void)
{
	RequestAddinShmemSpace(table_size());
	RequestNamedLWLockTranche("juki_sessions", 1);
}

void
juki_session_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	table = ShmemInitStruct("juki sessions", table_size(), &found);
	if (!found)
	{
		memset(table, 0, table_size());
		table->lock = &(GetNamedLWLockTranche("juki_sessions"))->lock;
		table->nslots = juki_max_sessions;
		/* ids unique across restarts: seconds since 2000 in the high bits */
		table->next_id = (GetCurrentTimestamp() / USECS_PER_SEC) << 20;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* ------------------------------------------------- the attached session */

static JukiCurrentSession current;
static LocalTransactionId current_lxid = InvalidLocalTransactionId;

const JukiCurrentSession *
juki_session_current(void)
{
	if (current_lxid == InvalidLocalTransactionId || MyProc == NULL ||
		current_lxid != MyProc->lxid)
		return NULL;
	return &current;
}

/* ------------------------------------------------------------- helpers */

/* Who may take part in operator sessions at all (a superuser is not). */
static const char *const session_roles[] = {
	"juki_operator", "juki_contractor_operator", "juki_terminal", NULL
};

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
					   "a card serial is 4 to 64 letters, digits or hyphens",
					   "Use the serial printed on the operator's IC card.");
}

static void
token_hash(const char *token, uint8 out[JK_HASH_LEN])
{
	if (!jk_sha256(token, strlen(token), out))
		elog(ERROR, "SHA-256 failed");
}

/*
 * Refuse a login step: the record (with the precise reason) is durable
 * before the error; the client is told only what does not help a guesser.
 */
static void refuse(const char *action, int64 operator_id, int64 session_id, const char *serial,
				   const char *reason, const char *shown_reason, int sqlstate,
				   const char *msg, const char *hint) pg_attribute_noreturn();

static void
refuse(const char *action, int64 operator_id, int64 session_id, const char *serial,
	   const char *reason, const char *shown_reason, int sqlstate,
	   const char *msg, const char *hint)
{
	JukiAuditRecord r;

	juki_audit_record_init(&r, action, JUKI_DENIED, reason);
	r.operator_id = operator_id;
	r.session_id = session_id;
	r.card_serial = serial;
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s", msg),
			 errdetail("reason: %s", shown_reason ? shown_reason : reason),
			 hint ? errhint("%s", hint) : 0));
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
	juki_require_role(action, session_roles);
	if (PG_ARGISNULL(0))
		juki_bad_input(action, "invalid_card_serial", ERRCODE_NULL_VALUE_NOT_ALLOWED,
					   "a card serial is required", NULL);
	serial = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_serial(action, serial);
	if (juki_emergency_stopped())
		refuse(action, JUKI_NO_ID, JUKI_NO_ID, serial, "emergency_stop", NULL,
			   ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			   "juki is stopped (作動停止): no login until the chief security officer resumes it", NULL);
	return serial;
}

/* What the tables say about a card and its operator. */
typedef struct CardInfo
{
	bool		found;
	int64		operator_id;
	char	   *pem;
	bool		revoked;
	bool		not_yet_valid;
	bool		expired;
	char	   *role;
	char	   *kind;
	bool		retired;
	bool		locked;
	bool		has_password;
	char	   *pw_hash;
	bool		pw_expired;
} CardInfo;

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
	LWLockAcquire(table->lock, LW_EXCLUSIVE);
	for (i = 0; i < table->nslots; i++)
	{
		Challenge  *c = &challenges()[i];

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
	LWLockRelease(table->lock);
	return found;
}

/*
 * Everything card_login and unlock check before they trust the caller:
 * the card, the operator, the caller's right to act for the operator, the
 * challenge, the signature and the password.  Returns the card's info, or
 * refuses (logged).
 */
static void
authenticate(const char *action, const char *serial, bytea *sig, const char *password,
			 int64 session_id, CardInfo *ci)
{
	uint8		nonce[NONCE_LEN];
	bool		expired;
	const char *need_role;
	char	   *caller = juki_caller_name();
	const char *why = NULL;

	load_card(serial, ci);
	if (!ci->found)
		refuse(action, JUKI_NO_ID, session_id, serial, "card_unknown", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "no operator IC card has this serial",
			   "Check the serial, or ask the access manager to register the card.");
	if (ci->revoked)
		refuse(action, ci->operator_id, session_id, serial, "card_revoked", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "this operator IC card has been revoked", NULL);
	if (ci->expired || ci->not_yet_valid)
		refuse(action, ci->operator_id, session_id, serial, "card_expired", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "this operator IC card is not valid today",
			   "Ask the access manager for a new card.");
	if (ci->retired)
		refuse(action, ci->operator_id, session_id, serial, "operator_retired", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "the operator of this card has retired", NULL);
	/* one's own card, or a terminal application acting for its operator */
	if (strcmp(caller, ci->role) != 0 && !juki_caller_has_role("juki_terminal"))
		refuse(action, ci->operator_id, session_id, serial, "session_not_yours", NULL,
			   ERRCODE_INSUFFICIENT_PRIVILEGE, "this card belongs to another operator",
			   "Log in as the operator's own role, or through a role that is a member of juki_terminal.");
	need_role = strcmp(ci->kind, "contractor") == 0 ? "juki_contractor_operator" : "juki_operator";
	if (!is_member_of_role_nosuper(get_role_oid(ci->role, false), get_role_oid(need_role, false)))
		refuse(action, ci->operator_id, session_id, serial, "role_required", NULL,
			   ERRCODE_INSUFFICIENT_PRIVILEGE,
			   psprintf("the operator's role is not a member of %s", need_role),
			   "A DBA grants the role; a security officer designates the operator.");
	if (ci->locked || consecutive_failures(ci->operator_id) >= juki_max_login_failures)
		refuse(action, ci->operator_id, session_id, serial, "operator_locked", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "this operator is locked",
			   "The access manager unlocks operators: juki.unlock_operator().");
	if (!take_challenge(serial, nonce, &expired))
		refuse(action, ci->operator_id, session_id, serial,
			   expired ? "challenge_expired" : "no_challenge", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   expired ? "the card challenge has expired" : "there is no pending challenge for this card",
			   "Ask for a new one with juki.card_challenge() and sign it within 60 seconds.");
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
				 errdetail("reason: authentication_failed"),
				 errhint("The card must sign the latest challenge, and the password must match; after %d consecutive failures the operator is locked.",
						 juki_max_login_failures)));
	}
	if (ci->pw_expired)
		refuse(action, ci->operator_id, session_id, serial, "password_expired", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "the operator's password has expired",
			   "The access manager sets a new one: juki.set_password().");
}

static int
find_session(const uint8 hash[JK_HASH_LEN])
{
	int			i;

	for (i = 0; i < table->nslots; i++)
	{
		Session    *s = &sessions()[i];

		if (s->in_use && memcmp(s->token_hash, hash, JK_HASH_LEN) == 0)
			return i;
	}
	return -1;
}

static const char *
token_arg(FunctionCallInfo fcinfo, int n, const char *action)
{
	char	   *t;

	if (PG_ARGISNULL(n))
		refuse(action, JUKI_NO_ID, JUKI_NO_ID, NULL, "not_authenticated", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "no session token was given",
			   "Log in with juki.card_login() and pass its token.");
	t = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (strlen(t) != 2 * TOKEN_BYTES)
		refuse(action, JUKI_NO_ID, JUKI_NO_ID, NULL, "not_authenticated", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "this is not a juki session token",
			   "Log in with juki.card_login() and pass its token.");
	return t;
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
		refuse("card_challenge", JUKI_NO_ID, JUKI_NO_ID, serial, "card_unknown", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "no operator IC card has this serial",
			   "Check the serial, or ask the access manager to register the card.");
	if (ci.revoked)
		refuse("card_challenge", ci.operator_id, JUKI_NO_ID, serial, "card_revoked", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "this operator IC card has been revoked", NULL);
	if (!pg_strong_random(nonce, NONCE_LEN))
		ereport(ERROR, (errmsg("could not generate a random challenge")));

	LWLockAcquire(table->lock, LW_EXCLUSIVE);
	for (i = 0; i < table->nslots; i++)
	{
		Challenge  *c = &challenges()[i];

		/* a new challenge replaces the card's previous one */
		if (c->in_use && (strcmp(c->card, serial) == 0 || c->expires < now))
			c->in_use = false;
		if (!c->in_use && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0)
	{
		Challenge  *c = &challenges()[free_slot];

		c->in_use = true;
		strlcpy(c->card, serial, sizeof(c->card));
		memcpy(c->nonce, nonce, NONCE_LEN);
		c->expires = now + CHALLENGE_TTL_US;
	}
	LWLockRelease(table->lock);
	if (free_slot < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many pending card challenges"),
				 errhint("Raise juki.max_sessions.")));

	juki_audit_record_init(&r, "card_challenge", JUKI_GRANTED, NULL);
	r.operator_id = ci.operator_id;
	r.card_serial = serial;
	juki_audit_log(&r);

	result = palloc(VARHDRSZ + NONCE_LEN);
	SET_VARSIZE(result, VARHDRSZ + NONCE_LEN);
	memcpy(VARDATA(result), nonce, NONCE_LEN);
	PG_RETURN_BYTEA_P(result);
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
	int64		sid = 0;
	TimestampTz now = GetCurrentTimestamp();
	JukiAuditRecord r;

	serial = login_step_serial(fcinfo, "card_login");
	authenticate("card_login", serial, PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1),
				 PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
				 JUKI_NO_ID, &ci);

	if (!pg_strong_random(raw, TOKEN_BYTES))
		ereport(ERROR, (errmsg("could not generate a session token")));
	jk_hex(raw, TOKEN_BYTES, token);
	token_hash(token, hash);

	LWLockAcquire(table->lock, LW_EXCLUSIVE);
	for (i = 0; i < table->nslots && slot < 0; i++)
	{
		Session    *s = &sessions()[i];

		/* a slot is free, or held by a session idle for a day */
		if (!s->in_use || now - s->last_activity > STALE_SESSION_US)
			slot = i;
	}
	if (slot >= 0)
	{
		Session    *s = &sessions()[slot];

		s->in_use = true;
		s->locked = false;
		memcpy(s->token_hash, hash, JK_HASH_LEN);
		sid = s->session_id = ++table->next_id;
		s->operator_id = ci.operator_id;
		strlcpy(s->card, serial, sizeof(s->card));
		strlcpy(s->role, ci.role, sizeof(s->role));
		s->created = now;
		s->last_activity = now;
	}
	LWLockRelease(table->lock);
	if (slot < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many operator sessions"),
				 errhint("Log out unused sessions, or raise juki.max_sessions.")));

	juki_audit_record_init(&r, "card_login", JUKI_GRANTED, NULL);
	r.operator_id = ci.operator_id;
	r.session_id = sid;
	r.card_serial = serial;
	PG_TRY();
	{
		juki_audit_log(&r);
	}
	PG_CATCH();
	{
		/* not on record, so not a session */
		LWLockAcquire(table->lock, LW_EXCLUSIVE);
		sessions()[slot].in_use = false;
		LWLockRelease(table->lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(cstring_to_text(token));
}

/*
 * The common start of attach, unlock and logout: preload, the caller's
 * role, the session the token names (a copy), and that the caller may use
 * it: the operator's own login role, or a juki_terminal application.
 */
static int
session_by_token(FunctionCallInfo fcinfo, const char *action, Session *copy)
{
	const char *token;
	uint8		hash[JK_HASH_LEN];
	int			slot;

	juki_require_preload();
	juki_require_role(action, session_roles);
	token = token_arg(fcinfo, 0, action);
	token_hash(token, hash);
	LWLockAcquire(table->lock, LW_SHARED);
	slot = find_session(hash);
	if (slot >= 0)
		memcpy(copy, &sessions()[slot], sizeof(Session));
	LWLockRelease(table->lock);
	if (slot < 0)
		refuse(action, JUKI_NO_ID, JUKI_NO_ID, NULL, "not_authenticated", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   "no operator session has this token (logged out, or the server restarted)",
			   "Log in again with juki.card_challenge() and juki.card_login().");
	if (strcmp(juki_caller_name(), copy->role) != 0 && !juki_caller_has_role("juki_terminal"))
		refuse(action, copy->operator_id, copy->session_id, copy->card, "session_not_yours", NULL,
			   ERRCODE_INSUFFICIENT_PRIVILEGE, "this session belongs to another operator",
			   "Only the operator's own role, or a juki_terminal application, uses a session.");
	return slot;
}

/*
 * Bind the session to this transaction.  First the share lock on the
 * session (held until the transaction ends); then, under the table's lock,
 * the slot must still hold this session (it may have been logged out, and
 * the slot reused, since the copy), and its idle time is read, checked and
 * bumped there, so that nobody passes the idle lock on another session's
 * time.
 */
Datum
juki_attach(PG_FUNCTION_ARGS)
{
	Session		copy;
	int			slot = session_by_token(fcinfo, "attach", &copy);
	TimestampTz now;
	TimestampTz last = 0;
	bool		same;
	bool		idle = false;
	LOCKTAG		tag;

	juki_lock_tag(&tag, JUKI_LOCK_SESSION, copy.session_id);
	(void) LockAcquire(&tag, ShareLock, false, false);
	now = GetCurrentTimestamp();
	LWLockAcquire(table->lock, LW_EXCLUSIVE);
	same = sessions()[slot].in_use && sessions()[slot].session_id == copy.session_id;
	if (same)
	{
		Session    *s = &sessions()[slot];

		copy.locked = s->locked;
		last = s->last_activity;
		if (!s->locked && now - last > (TimestampTz) juki_idle_timeout_ms * 1000)
			s->locked = idle = true;
		else if (!s->locked)
			s->last_activity = now;
	}
	LWLockRelease(table->lock);
	if (!same)
		refuse("attach", copy.operator_id, copy.session_id, copy.card, "not_authenticated", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   "the operator session has ended (logged out)",
			   "Log in again with juki.card_challenge() and juki.card_login().");
	if (idle)
	{
		JukiAuditRecord r;
		JukiDetail	d;

		juki_audit_record_init(&r, "session_lock", JUKI_GRANTED, "idle_timeout");
		r.operator_id = copy.operator_id;
		r.session_id = copy.session_id;
		r.card_serial = copy.card;
		jd_init(&d);
		jd_int(&d, "idle_seconds", (now - last) / USECS_PER_SEC);
		r.detail = jd_finish(&d);
		juki_audit_log(&r);
		copy.locked = true;
	}
	if (copy.locked)
		refuse("attach", copy.operator_id, copy.session_id, copy.card, "session_locked", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   "the operator session is locked after being idle",
			   "Unlock it with juki.unlock(token, signature, password) after a new juki.card_challenge().");

	current.session_id = copy.session_id;
	current.operator_id = copy.operator_id;
	strlcpy(current.card_serial, copy.card, sizeof(current.card_serial));
	strlcpy(current.role_name, copy.role, sizeof(current.role_name));
	current.logged_in_at = copy.created;
	current_lxid = MyProc->lxid;
	PG_RETURN_VOID();
}

Datum
juki_unlock(PG_FUNCTION_ARGS)
{
	Session		copy;
	int			slot = session_by_token(fcinfo, "unlock", &copy);
	CardInfo	ci;
	JukiAuditRecord r;

	if (juki_emergency_stopped())
		refuse("unlock", copy.operator_id, copy.session_id, copy.card, "emergency_stop", NULL,
			   ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			   "juki is stopped (作動停止): no unlock until the chief security officer resumes it", NULL);
	authenticate("unlock", copy.card, PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1),
				 PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
				 copy.session_id, &ci);
	juki_audit_record_init(&r, "unlock", JUKI_GRANTED, NULL);
	r.operator_id = copy.operator_id;
	r.session_id = copy.session_id;
	r.card_serial = copy.card;
	juki_audit_log(&r);
	LWLockAcquire(table->lock, LW_EXCLUSIVE);
	if (sessions()[slot].in_use && sessions()[slot].session_id == copy.session_id)
	{
		sessions()[slot].locked = false;
		sessions()[slot].last_activity = GetCurrentTimestamp();
	}
	LWLockRelease(table->lock);
	PG_RETURN_VOID();
}

Datum
juki_logout(PG_FUNCTION_ARGS)
{
	Session		copy;
	int			slot = session_by_token(fcinfo, "logout", &copy);
	JukiAuditRecord r;
	LOCKTAG		tag;

	/* wait for the transactions attached to the session (see the top) */
	juki_lock_tag(&tag, JUKI_LOCK_SESSION, copy.session_id);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	/* the slot may have been reused since the copy: free only this session */
	LWLockAcquire(table->lock, LW_EXCLUSIVE);
	if (sessions()[slot].in_use && sessions()[slot].session_id == copy.session_id)
		sessions()[slot].in_use = false;
	LWLockRelease(table->lock);
	if (current_lxid == MyProc->lxid && current.session_id == copy.session_id)
		current_lxid = InvalidLocalTransactionId;
	juki_audit_record_init(&r, "logout", JUKI_GRANTED, NULL);
	r.operator_id = copy.operator_id;
	r.session_id = copy.session_id;
	r.card_serial = copy.card;
	juki_audit_log(&r);
	PG_RETURN_VOID();
}

Datum
juki_whoami(PG_FUNCTION_ARGS)
{
	const JukiCurrentSession *cur;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8];
	JukiSpi		spi;

	juki_require_preload();
	juki_require_role("whoami", session_roles);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(nulls, true, sizeof(nulls));
	values[0] = CStringGetTextDatum(juki_caller_name());
	nulls[0] = false;
	cur = juki_session_current();
	if (cur != NULL)
	{
		Oid			argtype = INT8OID;
		Datum		arg = Int64GetDatum(cur->operator_id);

		values[1] = Int64GetDatum(cur->session_id);
		values[2] = Int64GetDatum(cur->operator_id);
		values[3] = CStringGetTextDatum(cur->card_serial);
		values[7] = TimestampTzGetDatum(cur->logged_in_at);
		nulls[1] = nulls[2] = nulls[3] = nulls[7] = false;
		juki_spi_begin(&spi);
		if (SPI_execute_with_args("SELECT display_name, department, kind FROM juki.operator WHERE id = $1",
								  1, &argtype, &arg, NULL, true, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
		{
			int			i;

			for (i = 0; i < 3; i++)
			{
				char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1);

				if (v)
				{
					values[4 + i] = CStringGetTextDatum(v);
					nulls[4 + i] = false;
				}
			}
		}
		juki_spi_end(&spi);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* For juki's own SQL functions (request_permit): the attached operator. */
Datum
juki_internal_session_operator(PG_FUNCTION_ARGS)
{
	const JukiCurrentSession *cur = juki_session_current();

	if (cur == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(cur->operator_id);
}
