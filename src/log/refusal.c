/*-------------------------------------------------------------------------
 * refusal.c
 *		The end every refusal of an argument or a state shares: one log
 *		entry with the message, durable before the error is raised, so that
 *		nothing is refused unseen.  (The door's and the guard's refusals
 *		carry more facts and build their own entries.)
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "append.h"
#include "refusal.h"
#include "core/message.h"

void
juki_refuse_on_record(const char *action, bool denied, const char *reason,
					  int sqlerrcode, const char *msg, const char *hint,
					  int64 operator_id, const char *purpose)
{
	JukiAuditRecord rec;
	JukiDetail	d;

	juki_audit_record_init(&rec, action, denied ? JUKI_DENIED : JUKI_ERROR, reason);
	rec.operator_id = operator_id;
	rec.purpose = purpose;
	jd_init(&d);
	jd_str(&d, "message", msg);
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg_internal("%s", juki_tr(msg)),
			 juki_errreason(reason),
			 hint ? errhint("%s", juki_tr(hint)) : 0));
	pg_unreachable();
}

void
juki_bad_input(const char *action, const char *reason, int sqlerrcode,
			   const char *msg, const char *hint)
{
	juki_refuse_on_record(action, false, reason, sqlerrcode, msg, hint, JUKI_NO_ID, NULL);
}
