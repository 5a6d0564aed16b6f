/*-------------------------------------------------------------------------
 * emergency.c
 *		juki.emergency_stop(reason) and juki.emergency_resume(reason) (作動
 *		停止): the chief security officer only, with a reason, on record.
 *		The flag is persisted in juki.state and published to every backend
 *		when the transaction commits (core/state.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "core/settings.h"
#include "core/spi.h"
#include "core/state.h"
#include "log/append.h"
#include "log/refusal.h"
#include "access/caller.h"

PG_FUNCTION_INFO_V1(juki_emergency_stop);
PG_FUNCTION_INFO_V1(juki_emergency_resume);

static const char *const chief_roles[] = {"juki_chief_security_officer", NULL};

/* Stop or resume: the chief only, with a reason; persisted, then published at commit. */
static void
set_emergency(const char *action, bool stop, FunctionCallInfo fcinfo)
{
	char	   *reason;
	JukiSpi		spi;
	Oid			types[3] = {BOOLOID, TEXTOID, TEXTOID};
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	JukiAuditRecord r;
	JukiDetail	d;

	juki_require_preload();
	juki_require_role(action, chief_roles);
	reason = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (reason == NULL || reason[0] == '\0')
		juki_bad_input(action, "reason_required", ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf(gettext_noop("juki.%s needs a reason"), action),
					   gettext_noop("Say why, for the record: it is kept in the operation log."));
	juki_audit_record_init(&r, action, JUKI_GRANTED, NULL);
	jd_init(&d);
	jd_str(&d, "reason", reason);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);

	args[0] = BoolGetDatum(stop);
	args[1] = CStringGetTextDatum(reason);
	args[2] = CStringGetTextDatum(juki_caller_name());
	if (!stop)
		nulls[1] = nulls[2] = 'n';
	juki_spi_begin(&spi);
	if (SPI_execute_with_args("UPDATE juki.state SET emergency_stop = $1, stop_reason = $2,"
							  " stopped_by = $3, stopped_since = CASE WHEN $1 THEN now() END",
							  3, types, args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "cannot update juki.state");
	juki_spi_end(&spi);
	juki_emergency_set_at_commit(stop);
}

Datum
juki_emergency_stop(PG_FUNCTION_ARGS)
{
	set_emergency("emergency_stop", true, fcinfo);
	PG_RETURN_VOID();
}

Datum
juki_emergency_resume(PG_FUNCTION_ARGS)
{
	set_emergency("emergency_resume", false, fcinfo);
	PG_RETURN_VOID();
}
