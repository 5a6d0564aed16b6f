/*-------------------------------------------------------------------------
 * append.c
 *		Putting a record into the operation log and waiting until the audit
 *		writer has committed and flushed it (DESIGN §7.3).
 *
 * "Log before you disclose": juki_audit_log returns only once the record
 * is durable, independently of the caller's transaction, so it survives
 * the caller's rollback; if that cannot be confirmed within
 * juki.audit_wait_timeout it raises 55000 and the caller discloses nothing.
 * The record goes into the shared-memory queue (queue.c, whose header says
 * how it is locked); this file holds only this backend's side of the wait.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "append.h"
#include "queue.h"
#include "record.h"
#include "core/message.h"

/*
 * The record this backend is waiting for, if any: should the backend end
 * while it waits (pg_terminate_backend, shutdown), its exit callback
 * withdraws the record, as a timeout or a cancel does.
 */
static JukiTicket waiting_for;
static bool waiting = false;

static void
withdraw_at_exit(int code, Datum arg)
{
	if (waiting)
	{
		waiting = false;
		(void) juki_queue_withdraw(&waiting_for, JUKI_WITHHOLD_EXIT);
	}
}

/*
 * Wait until the record is durable.  A waiter that gives up (the deadline
 * passed, the statement was cancelled, the backend ends) withdraws it: the
 * record stays queued and is written as decided, followed by a withheld
 * entry, so that the log says the client never got the answer.  If it
 * became durable meanwhile, the wait succeeded after all.
 */
static bool
wait_durable(const JukiTicket *ticket)
{
	static bool registered = false;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   juki_audit_wait_timeout_ms);
	bool		done;

	if (!registered)
	{
		before_shmem_exit(withdraw_at_exit, (Datum) 0);
		registered = true;
	}
	waiting_for = *ticket;
	waiting = true;
	PG_TRY();
	{
		done = juki_queue_wait(ticket->end, deadline);
	}
	PG_CATCH();
	{
		waiting = false;
		(void) juki_queue_withdraw(ticket, JUKI_WITHHOLD_CANCEL);
		PG_RE_THROW();
	}
	PG_END_TRY();
	waiting = false;
	if (!done)
		done = !juki_queue_withdraw(ticket, JUKI_WITHHOLD_TIMEOUT);
	return done;
}

/* Queue and wait; on failure say why.  Never throws for the log itself. */
bool
juki_audit_log_try(JukiAuditRecord *r, const char **problem)
{
	Size		len;
	char	   *flat;
	JukiTicket	ticket;

	juki_require_preload();
	if (RecoveryInProgress())
	{
		*problem = "this server is a standby and the operation log is written only on the primary";
		return false;
	}
	flat = juki_audit_flatten(r, &len);
	if (!juki_queue_put(flat, len, &ticket, problem))
	{
		pfree(flat);
		return false;
	}
	pfree(flat);
	if (!wait_durable(&ticket))
	{
		*problem = "the audit writer did not confirm the record within juki.audit_wait_timeout";
		return false;
	}
	return true;
}

void
juki_audit_log(JukiAuditRecord *r)
{
	const char *problem;

	if (!juki_audit_log_try(r, &problem))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("juki cannot make the audit record of this request durable, so it is refused"),
				 juki_errfield("audit_unavailable"),
				 errdetail("reason: audit_unavailable; %s.", problem),
				 errhint("Check that the juki audit writer runs (SELECT * FROM juki.status()) and read the server log.")));
}

void
juki_audit_log_async(JukiAuditRecord *r)
{
	Size		len;
	char	   *flat;
	JukiTicket	ticket;
	const char *problem;

	if (!juki_preloaded || RecoveryInProgress())
		return;
	flat = juki_audit_flatten(r, &len);
	if (!juki_queue_put(flat, len, &ticket, &problem))
		ereport(WARNING,
				(errmsg("juki could not queue the audit record of action \"%s\": %s",
						r->action, problem)));
	pfree(flat);
}
