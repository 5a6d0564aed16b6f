/*-------------------------------------------------------------------------
 * session.c
 *		Using an operator session (DESIGN §6): attach per transaction,
 *		idle lock and unlock, logout, whoami.  Logging in is login.c; the
 *		sessions themselves are in session_table.c's shared memory.
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

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "format/hash.h"
#include "core/locks.h"
#include "core/settings.h"
#include "core/spi.h"
#include "core/state.h"
#include "log/append.h"
#include "access/caller.h"
#include "login.h"
#include "session.h"
#include "session_table.h"

PG_FUNCTION_INFO_V1(juki_attach);
PG_FUNCTION_INFO_V1(juki_unlock);
PG_FUNCTION_INFO_V1(juki_logout);
PG_FUNCTION_INFO_V1(juki_whoami);
PG_FUNCTION_INFO_V1(juki_internal_session_operator);

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

static const char *
token_arg(FunctionCallInfo fcinfo, int n, const char *action)
{
	char	   *t;

	if (PG_ARGISNULL(n))
		juki_session_refuse(action, JUKI_NO_ID, JUKI_NO_ID, NULL, "not_authenticated", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("no session token was given"),
			   gettext_noop("Log in with juki.card_login() and pass its token."));
	t = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (strlen(t) != 2 * TOKEN_BYTES)
		juki_session_refuse(action, JUKI_NO_ID, JUKI_NO_ID, NULL, "not_authenticated", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, gettext_noop("this is not a juki session token"),
			   gettext_noop("Log in with juki.card_login() and pass its token."));
	return t;
}

/* ---------------------------------------------------------------- SQL */

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
	juki_require_role(action, juki_session_roles);
	token = token_arg(fcinfo, 0, action);
	juki_session_token_hash(token, hash);
	LWLockAcquire(juki_session_table->lock, LW_SHARED);
	slot = juki_session_find(hash);
	if (slot >= 0)
		memcpy(copy, &juki_session_slots()[slot], sizeof(Session));
	LWLockRelease(juki_session_table->lock);
	if (slot < 0)
		juki_session_refuse(action, JUKI_NO_ID, JUKI_NO_ID, NULL, "not_authenticated", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   gettext_noop("no operator session has this token (logged out, or the server restarted)"),
			   gettext_noop("Log in again with juki.card_challenge() and juki.card_login()."));
	if (strcmp(juki_caller_name(), copy->role) != 0 && !juki_caller_has_role("juki_terminal"))
		juki_session_refuse(action, copy->operator_id, copy->session_id, copy->card, "session_not_yours", NULL,
			   ERRCODE_INSUFFICIENT_PRIVILEGE, gettext_noop("this session belongs to another operator"),
			   gettext_noop("Only the operator's own role, or a juki_terminal application, uses a session."));
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
	/* the terminal attaching (1.1), for every entry of this transaction */
	char	   *terminal = juki_terminal_arg(fcinfo, 1, "attach");
	TimestampTz now;
	TimestampTz last = 0;
	bool		same;
	bool		idle = false;
	LOCKTAG		tag;

	if (terminal)
		strlcpy(copy.terminal, terminal, sizeof(copy.terminal));

	juki_lock_tag(&tag, JUKI_LOCK_SESSION, copy.session_id);
	(void) LockAcquire(&tag, ShareLock, false, false);
	now = GetCurrentTimestamp();
	LWLockAcquire(juki_session_table->lock, LW_EXCLUSIVE);
	same = juki_session_slots()[slot].in_use && juki_session_slots()[slot].session_id == copy.session_id;
	if (same)
	{
		Session    *s = &juki_session_slots()[slot];

		copy.locked = s->locked;
		last = s->last_activity;
		if (!s->locked && now - last > (TimestampTz) juki_idle_timeout_ms * 1000)
			s->locked = idle = true;
		else if (!s->locked)
			s->last_activity = now;
	}
	LWLockRelease(juki_session_table->lock);
	if (!same)
		juki_session_refuse("attach", copy.operator_id, copy.session_id, copy.card, "not_authenticated", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   gettext_noop("the operator session has ended (logged out)"),
			   gettext_noop("Log in again with juki.card_challenge() and juki.card_login()."));
	if (idle)
	{
		JukiAuditRecord r;
		JukiDetail	d;

		juki_audit_record_init(&r, "session_lock", JUKI_GRANTED, "idle_timeout");
		r.operator_id = copy.operator_id;
		r.session_id = copy.session_id;
		r.card_serial = copy.card;
		r.terminal = copy.terminal[0] ? copy.terminal : NULL;
		jd_init(&d);
		jd_int(&d, "idle_seconds", (now - last) / USECS_PER_SEC);
		r.detail = jd_finish(&d);
		juki_audit_log(&r);
		copy.locked = true;
	}
	if (copy.locked)
		juki_session_refuse("attach", copy.operator_id, copy.session_id, copy.card, "session_locked", NULL,
			   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   gettext_noop("the operator session is locked after being idle"),
			   gettext_noop("Unlock it with juki.unlock(token, signature, password) after a new juki.card_challenge()."));

	current.session_id = copy.session_id;
	current.operator_id = copy.operator_id;
	strlcpy(current.card_serial, copy.card, sizeof(current.card_serial));
	strlcpy(current.role_name, copy.role, sizeof(current.role_name));
	strlcpy(current.terminal, copy.terminal, sizeof(current.terminal));
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
		juki_session_refuse("unlock", copy.operator_id, copy.session_id, copy.card, "emergency_stop", NULL,
			   ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			   gettext_noop("juki is stopped (作動停止): no unlock until the chief security officer resumes it"), NULL);
	juki_login_authenticate("unlock", copy.card, PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1),
				 PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
				 copy.session_id, &ci);
	juki_audit_record_init(&r, "unlock", JUKI_GRANTED, NULL);
	r.operator_id = copy.operator_id;
	r.session_id = copy.session_id;
	r.card_serial = copy.card;
	r.terminal = copy.terminal[0] ? copy.terminal : NULL;
	juki_audit_log(&r);
	LWLockAcquire(juki_session_table->lock, LW_EXCLUSIVE);
	if (juki_session_slots()[slot].in_use && juki_session_slots()[slot].session_id == copy.session_id)
	{
		juki_session_slots()[slot].locked = false;
		juki_session_slots()[slot].last_activity = GetCurrentTimestamp();
	}
	LWLockRelease(juki_session_table->lock);
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
	LWLockAcquire(juki_session_table->lock, LW_EXCLUSIVE);
	if (juki_session_slots()[slot].in_use && juki_session_slots()[slot].session_id == copy.session_id)
		juki_session_slots()[slot].in_use = false;
	LWLockRelease(juki_session_table->lock);
	if (current_lxid == MyProc->lxid && current.session_id == copy.session_id)
		current_lxid = InvalidLocalTransactionId;
	juki_audit_record_init(&r, "logout", JUKI_GRANTED, NULL);
	r.operator_id = copy.operator_id;
	r.session_id = copy.session_id;
	r.card_serial = copy.card;
	r.terminal = copy.terminal[0] ? copy.terminal : NULL;
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
	juki_require_role("whoami", juki_session_roles);
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
