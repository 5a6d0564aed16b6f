/*-------------------------------------------------------------------------
 * purge.c
 *		juki.purge_expired_log() (DESIGN §7.6): the access manager removes
 *		only entries that are both older than the retention and covered by
 *		an export receipt, leaving an anchor (the last purged seq and hash)
 *		so that verification continues from there.  The purge is on record
 *		before anything is deleted.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "core/spi.h"
#include "log/append.h"
#include "log/retention.h"
#include "log/scan.h"
#include "log/tiles.h"
#include "access/caller.h"
#include "core/message.h"

PG_FUNCTION_INFO_V1(juki_purge_expired_log);

static const char *const manager_roles[] = {"juki_access_manager", NULL};

/* Highest seq such that every entry from first on is covered by a receipt. */
static int64
exported_through(int64 first)
{
	JukiSpi		spi;
	int64		covered = first - 1;
	uint64		i;

	juki_spi_begin(&spi);
	if (SPI_execute("SELECT from_seq, to_seq FROM juki.audit_export ORDER BY from_seq", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.audit_export");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		f = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		int64		t = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

		if (f <= covered + 1 && t > covered)
			covered = t;
	}
	juki_spi_end(&spi);
	return covered;
}

static void
purge_outcome(const char *outcome, const char *reason, int years, int64 through,
			  int64 deleted)
{
	JukiAuditRecord rec;
	JukiDetail	d;

	juki_audit_record_init(&rec, "purge_expired_log", outcome, reason);
	jd_init(&d);
	jd_int(&d, "retention_years", years);
	jd_int(&d, "through_seq", through);
	jd_int(&d, "deleted", deleted);
	rec.detail = jd_finish(&d);
	rec.row_count = deleted;
	juki_audit_log(&rec);
}

Datum
juki_purge_expired_log(PG_FUNCTION_ARGS)
{
	JukiChainInfo ci;
	int			years;
	TimestampTz cutoff;
	int64		first;
	int64		old_through;
	int64		through;
	uint8		anchor[JK_HASH_LEN];
	JukiLogScan scan;
	JukiLogRow	row;
	bool		have_anchor = false;
	int64		deleted = 0;

	juki_require_preload();
	juki_require_role("purge_expired_log", manager_roles);
	juki_chain_info(&ci);
	years = Max(ci.retention_years, juki_log_retention_years);
	cutoff = juki_retention_cutoff(years);
	first = ci.purged ? ci.purged_through_seq + 1 : 0;

	/* entries are appended in time order: the old ones form a prefix */
	old_through = first - 1;
	juki_log_scan_begin(&scan, first, false);
	while (juki_log_scan_next(&scan, &row))
	{
		if (row.e.ts_unix_us - JUKI_UNIX_EPOCH_OFFSET_US >= cutoff ||
			row.e.seq != old_through + 1)
			break;
		old_through = row.e.seq;
	}
	juki_log_scan_end(&scan);
	/*
	 * The entries after the last full Merkle tile are the tree's right edge,
	 * which readers hash from the log (log/tree_read.c): they stay.
	 */
	{
		int64		tiled = juki_tree_tiled_size();

		if (tiled >= 0 && juki_tree_stored_size() > tiled)
			old_through = Min(old_through, tiled - 1);
	}

	through = Min(old_through, exported_through(first));
	if (through < first)
	{
		const char *reason = old_through < first ? "retention_period" : "not_exported";

		purge_outcome(JUKI_DENIED, reason, years, first - 1, 0);
		ereport(NOTICE,
				(errmsg("nothing was purged"),
				 juki_errfield(reason),
				 errdetail("reason: %s; %s", reason,
						   old_through < first ?
						   psprintf("no entry is older than %d years", years) :
						   psprintf("entries up to seq " INT64_FORMAT " are older than %d years but not covered by an export receipt",
									old_through, years)),
				 old_through < first ? 0 :
				 errhint("Export them first: SELECT * FROM juki.export_log(%lld, %lld);",
						 (long long) first, (long long) old_through)));
		PG_RETURN_INT64(0);
	}

	juki_log_scan_begin(&scan, through, true);
	if (juki_log_scan_next(&scan, &row) && row.e.seq == through && row.hashes_ok)
	{
		memcpy(anchor, row.hash, JK_HASH_LEN);
		have_anchor = true;
	}
	juki_log_scan_end(&scan);
	if (!have_anchor)
		elog(ERROR, "juki.operation_log has no valid entry at seq " INT64_FORMAT, through);

	purge_outcome(JUKI_GRANTED, NULL, years, through, through - first + 1);
	{
		JukiSpi		spi;
		Oid			types[2] = {INT8OID, BYTEAOID};
		Datum		args[2];
		bytea	   *b = palloc(VARHDRSZ + JK_HASH_LEN);

		SET_VARSIZE(b, VARHDRSZ + JK_HASH_LEN);
		memcpy(VARDATA(b), anchor, JK_HASH_LEN);
		args[0] = Int64GetDatum(through);
		args[1] = PointerGetDatum(b);
		juki_spi_begin(&spi);
		if (SPI_execute_with_args("DELETE FROM juki.operation_log WHERE seq <= $1",
								  1, types, args, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "cannot purge juki.operation_log");
		deleted = (int64) SPI_processed;
		if (SPI_execute_with_args("UPDATE juki.state SET purged_through_seq = $1, purged_through_hash = $2, retention_years = greatest(retention_years, $3)",
								  3, (Oid[]) {INT8OID, BYTEAOID, INT4OID},
								  (Datum[]) {args[0], args[1], Int32GetDatum(years)},
								  NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "cannot record the purge anchor");
		juki_spi_end(&spi);
	}
	PG_RETURN_INT64(deleted);
}

