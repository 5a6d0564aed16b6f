/*-------------------------------------------------------------------------
 * status.c
 *		juki.status(): what a DBA checks first — is juki enforcing, where,
 *		is the audit writer running, is the installed SQL the library's.
 *		It works without preload too, and then says so.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xlog.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "core/result.h"
#include "core/settings.h"
#include "core/state.h"
#include "core/version.h"
#include "log/queue.h"

PG_FUNCTION_INFO_V1(juki_status);

/*
 * juki.status(): what a DBA checks first — is juki enforcing, and where.
 * Columns are filled by name, so that the library answers every installed
 * version of the function (1.0's columns are a subset of the newest); it
 * works without preload too, and then says so.
 */
Datum
juki_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum	   *values;
	bool	   *nulls;
	JukiQueueStatus st;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values = palloc0(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	for (i = 0; i < tupdesc->natts; i++)
		nulls[i] = true;

#define SET(name, value, isnull) juki_result_set(tupdesc, values, nulls, name, value, isnull)
	SET("preloaded", BoolGetDatum(juki_preloaded), false);
	SET("version", CStringGetTextDatum(JUKI_VERSION), false);
	SET("sql_version", CStringGetTextDatum(juki_installed_version()), false);
	SET("standby", BoolGetDatum(RecoveryInProgress()), false);
	if (juki_preloaded)
	{
		juki_queue_status(&st);
		SET("database", CStringGetTextDatum(juki_database), false);
		SET("timezone", CStringGetTextDatum(juki_timezone), false);
		SET("writer_pid", Int32GetDatum(st.writer_pid), st.writer_pid == 0);
		SET("accepting", BoolGetDatum(st.accepting), false);
		SET("queued_bytes", Int64GetDatum((int64) st.queued_bytes), false);
		SET("queue_capacity", Int64GetDatum((int64) st.capacity), false);
		SET("last_seq", Int64GetDatum(st.last_seq), st.last_seq < 0);
		SET("emergency_stop", BoolGetDatum(juki_emergency_stopped()), false);
	}
	SET("sql_current", BoolGetDatum(juki_sql_is_current()), false);
#undef SET
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
