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
#include "log/head.h"
#include "utils/pg_lsn.h"

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
	JukiHeadStatus st;
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
		juki_head_status(&st);
		SET("database", CStringGetTextDatum(juki_database), false);
		SET("timezone", CStringGetTextDatum(juki_timezone), false);
		SET("writer_pid", Int32GetDatum(st.writer_pid), st.writer_pid == 0);
		SET("accepting", BoolGetDatum(st.gate == JUKI_GATE_OPEN), false);
		/* last appended (durable in WAL), last filed into the table, between them */
		SET("last_seq", Int64GetDatum(st.last_seq), st.last_seq < 0);
		SET("filed_seq", Int64GetDatum(st.filed_seq), st.filed_seq < 0 && st.last_seq < 0);
		SET("backlog", Int64GetDatum(st.last_seq - st.filed_seq), st.last_seq < 0);
		SET("max_backlog", Int64GetDatum((int64) juki_audit_max_backlog), false);
		SET("wal_retained_from", LSNGetDatum(st.slot_lsn), XLogRecPtrIsInvalid(st.slot_lsn));
		SET("emergency_stop", BoolGetDatum(juki_emergency_stopped()), false);
	}
	SET("sql_current", BoolGetDatum(juki_sql_is_current()), false);
#undef SET
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
