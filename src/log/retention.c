/*-------------------------------------------------------------------------
 * retention.c
 *		The operation log's life after writing (DESIGN §7.6): a retention
 *		of at least seven years that can only be raised, the newest entry,
 *		and the signed checkpoint covering an entry.  What the auditors'
 *		functions (audit/export.c, audit/purge.c) and the guard (no DROP
 *		EXTENSION juki while young entries remain) build on.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "core/spi.h"
#include "retention.h"
#include "scan.h"

int
juki_retention_years(void)
{
	JukiChainInfo ci;

	juki_chain_info(&ci);
	return Max(ci.retention_years, juki_log_retention_years);
}

/* now() minus the retention, in calendar years as the law counts them */
TimestampTz
juki_retention_cutoff(int years)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->month = years * 12;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												   TimestampTzGetDatum(GetCurrentTimestamp()),
												   IntervalPGetDatum(iv)));
}

/* The newest entry (seq and time), if any. */
bool
juki_log_newest_entry(int64 *seq, TimestampTz *ts, uint8 *hash)
{
	JukiLogScan scan;
	JukiLogRow	row;
	bool		found;

	juki_log_scan_begin(&scan, PG_INT64_MAX, true);
	found = juki_log_scan_next(&scan, &row);
	if (found)
	{
		*seq = row.e.seq;
		*ts = row.e.ts_unix_us - JUKI_UNIX_EPOCH_OFFSET_US;
		if (hash)
			memcpy(hash, row.hash, JK_HASH_LEN);
	}
	juki_log_scan_end(&scan);
	return found;
}

bool
juki_log_young_entries(int64 *seq, TimestampTz *ts, int *years)
{
	*years = juki_retention_years();
	return juki_log_newest_entry(seq, ts, NULL) && *ts >= juki_retention_cutoff(*years);
}

/* The first checkpoint at or after seq: its seq and line, or false. */
bool
juki_covering_checkpoint(int64 seq, int64 *cp_seq, char **line)
{
	JukiSpi		spi;
	Datum		arg = Int64GetDatum(seq);
	Oid			argtype = INT8OID;
	bool		found = false;
	MemoryContext caller = CurrentMemoryContext;

	juki_spi_begin(&spi);
	/* not read-only: see checkpoints committed since this statement began */
	if (SPI_execute_with_args("SELECT seq, line FROM juki.audit_checkpoint WHERE seq >= $1 ORDER BY seq LIMIT 1",
							  1, &argtype, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.audit_checkpoint");
	if (SPI_processed == 1)
	{
		bool		isnull;

		*cp_seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		*line = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
		found = true;
	}
	juki_spi_end(&spi);
	return found;
}
