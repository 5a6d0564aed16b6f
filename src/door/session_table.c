/*-------------------------------------------------------------------------
 * session_table.c
 *		The operator sessions and pending card challenges in shared memory
 *		(juki.max_sessions slots of each), and what login.c and session.c
 *		share about them: the token's hash, finding a session by it, and how
 *		a refused login step is logged.
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

#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "format/hash.h"
#include "core/settings.h"
#include "log/append.h"
#include "session_table.h"
#include "core/message.h"

SessionTable *juki_session_table = NULL;

/* Who may take part in operator sessions at all (a superuser is not). */
const char *const juki_session_roles[] = {
	"juki_operator", "juki_contractor_operator", "juki_terminal", NULL
};

Challenge *
juki_session_challenges(void)
{
	return (Challenge *) ((char *) juki_session_table + MAXALIGN(sizeof(SessionTable)));
}

Session *
juki_session_slots(void)
{
	return (Session *) ((char *) juki_session_challenges() + MAXALIGN(sizeof(Challenge) * juki_session_table->nslots));
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
	juki_session_table = ShmemInitStruct("juki sessions", table_size(), &found);
	if (!found)
	{
		memset(juki_session_table, 0, table_size());
		juki_session_table->lock = &(GetNamedLWLockTranche("juki_sessions"))->lock;
		juki_session_table->nslots = juki_max_sessions;
		/* ids unique across restarts: seconds since 2000 in the high bits */
		juki_session_table->next_id = (GetCurrentTimestamp() / USECS_PER_SEC) << 20;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
juki_session_token_hash(const char *token, uint8 out[JK_HASH_LEN])
{
	if (!jk_sha256(token, strlen(token), out))
		elog(ERROR, "SHA-256 failed");
}


void
juki_session_refuse(const char *action, int64 operator_id, int64 session_id, const char *serial,
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
			 errmsg_internal("%s", juki_tr(msg)),
			 juki_errreason(shown_reason ? shown_reason : reason),
			 hint ? errhint("%s", juki_tr(hint)) : 0));
}

int
juki_session_find(const uint8 hash[JK_HASH_LEN])
{
	int			i;

	for (i = 0; i < juki_session_table->nslots; i++)
	{
		Session    *s = &juki_session_slots()[i];

		if (s->in_use && memcmp(s->token_hash, hash, JK_HASH_LEN) == 0)
			return i;
	}
	return -1;
}
