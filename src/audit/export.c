/*-------------------------------------------------------------------------
 * export.c
 *		juki.export_log(from_seq, to_seq) and juki.checkpoint() (DESIGN
 *		§7.6, §7.4): the export file's lines for external media, ending at
 *		a signed checkpoint (the writer is asked for one if none covers the
 *		range yet), with a receipt in juki.audit_export; and a checkpoint
 *		signed now, on request.  The access manager exports; the access
 *		manager, the auditor and the chief may ask for a checkpoint.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "format/buf.h"
#include "format/hash.h"
#include "format/timestamp.h"
#include "format/export.h"
#include "core/settings.h"
#include "core/spi.h"
#include "log/append.h"
#include "log/head.h"
#include "log/refusal.h"
#include "log/retention.h"
#include "log/scan.h"
#include "access/caller.h"
#include "core/message.h"

PG_FUNCTION_INFO_V1(juki_export_log);
PG_FUNCTION_INFO_V1(juki_checkpoint_now);

static const char *const manager_roles[] = {"juki_access_manager", NULL};
static const char *const checkpoint_roles[] = {"juki_access_manager", "juki_auditor",
"juki_chief_security_officer", NULL};

typedef struct ExportOut
{
	Tuplestorestate *store;
	TupleDesc	desc;
	JkBuf		all;			/* every line so far, for the digest */
	int64		lines;
} ExportOut;

static void
emit_line(ExportOut *out, const char *line, size_t len)
{
	Datum		v = PointerGetDatum(cstring_to_text_with_len(line, len));
	bool		n = false;

	tuplestore_putvalues(out->store, out->desc, &v, &n);
	jk_buf_append(&out->all, line, len);
	jk_buf_append(&out->all, "\n", 1);
	out->lines++;
	pfree(DatumGetPointer(v));
}

Datum
juki_export_log(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	ExportOut	out;
	JukiChainInfo ci;
	int64		first;
	int64		from;
	int64		to;
	int64		head;
	int64		cp_seq;
	char	   *cp_line = NULL;
	TimestampTz head_ts;
	JukiLogScan scan;
	JukiLogRow	row;
	JkBuf		line;
	JkBuf		canon;
	bool		header_done = false;
	int64		expected;
	uint8		digest[JK_HASH_LEN];
	char		hex[JK_HEX_LEN + 1];
	char		ts[JK_TS_LEN + 1];
	JukiAuditRecord rec;
	JukiDetail	d;

	juki_require_preload();
	juki_require_role("export_log", manager_roles);
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("juki.export_log must be called in FROM, e.g. SELECT * FROM juki.export_log(1, NULL)")));

	juki_chain_info(&ci);
	first = ci.purged ? ci.purged_through_seq + 1 : 0;
	if (!juki_log_newest_entry(&head, &head_ts, NULL))
		juki_bad_input("export_log", "invalid_range", ERRCODE_INVALID_PARAMETER_VALUE,
					   gettext_noop("the operation log is empty"), NULL);
	if (PG_ARGISNULL(0))
		juki_bad_input("export_log", "invalid_range", ERRCODE_NULL_VALUE_NOT_ALLOWED,
					   gettext_noop("from_seq must not be NULL"),
					   gettext_noop("Start where the last export receipt (juki.audit_export) ended, plus one."));
	from = PG_GETARG_INT64(0);
	to = PG_ARGISNULL(1) ? head : PG_GETARG_INT64(1);
	if (from < first)
		juki_bad_input("export_log", "invalid_range", ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf(gettext_noop("entries before seq %lld were purged; from_seq %lld is not in the log"),
								(long long) first, (long long) from), NULL);
	if (to < from || to > head)
		juki_bad_input("export_log", "invalid_range", ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf(gettext_noop("the range %lld..%lld is not within the log (seq %lld..%lld)"),
								(long long) from, (long long) to, (long long) first, (long long) head), NULL);

	/* an export ends at a signed checkpoint; ask the writer for one if needed */
	if (!juki_covering_checkpoint(to, &cp_seq, &cp_line))
	{
		uint64		req = juki_head_request_checkpoint();

		(void) juki_head_wait_checkpoint(req, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
																		   juki_audit_wait_timeout_ms * 2));
		if (!juki_covering_checkpoint(to, &cp_seq, &cp_line))
			juki_bad_input("export_log", "no_signed_checkpoint", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
						   psprintf(gettext_noop("no signed checkpoint covers seq %lld"), (long long) to),
						   gettext_noop("Set juki.signing_key_file to an Ed25519 private key outside the data directory, and see the operation log for action checkpoint with outcome error."));
	}
	to = cp_seq;

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	out.desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(out.desc, (AttrNumber) 1, "line", TEXTOID, -1, 0);
	out.store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
	juki_buf_init(&out.all);
	out.lines = 0;

	juki_buf_init(&line);
	juki_buf_init(&canon);
	if (!jk_format_ts(GetCurrentTimestamp() + JUKI_UNIX_EPOCH_OFFSET_US, ts))
		elog(ERROR, "cannot format time");
	expected = from;
	juki_log_scan_begin(&scan, from, false);
	while (juki_log_scan_next(&scan, &row) && row.e.seq <= to)
	{
		CHECK_FOR_INTERRUPTS();
		if (!header_done)
		{
			jk_buf_reset(&line);
			jk_export_header(&line, from, to, ci.origin, row.prev_hash, ts);
			emit_line(&out, line.data, line.len);
			header_done = true;
		}
		jk_buf_reset(&canon);
		if (!juki_log_row_canonical(&row, &canon))
			elog(ERROR, "juki.operation_log seq " INT64_FORMAT " has a time outside years 0001-9999",
				 row.e.seq);
		jk_buf_reset(&line);
		jk_hex(row.hash, JK_HASH_LEN, hex);
		jk_buf_append(&line, hex, JK_HEX_LEN);
		jk_buf_append(&line, " ", 1);
		jk_buf_append(&line, canon.data, canon.len);
		emit_line(&out, line.data, line.len);
		expected = row.e.seq + 1;
	}
	juki_log_scan_end(&scan);
	if (!header_done)
		elog(ERROR, "juki.operation_log has no entry at seq " INT64_FORMAT, from);
	emit_line(&out, cp_line, strlen(cp_line));
	if (!jk_sha256(out.all.data, out.all.len, digest))
		elog(ERROR, "SHA-256 failed");
	jk_hex(digest, JK_HASH_LEN, hex);
	jk_buf_reset(&line);
	jk_buf_append_str(&line, psprintf("%s lines=" INT64_FORMAT " sha256=%s",
									  JK_EXPORT_END_TAG, out.lines, hex));
	{
		/* the trailer is not part of its own digest */
		Datum		v = CStringGetTextDatum(line.data);
		bool		n = false;

		tuplestore_putvalues(out.store, out.desc, &v, &n);
	}

	/* the receipt, then the record: durable before a line leaves */
	{
		JukiSpi		spi;
		Oid			types[5] = {INT8OID, INT8OID, INT8OID, BYTEAOID, TEXTOID};
		Datum		args[5];
		bytea	   *b = palloc(VARHDRSZ + JK_HASH_LEN);

		SET_VARSIZE(b, VARHDRSZ + JK_HASH_LEN);
		memcpy(VARDATA(b), digest, JK_HASH_LEN);
		args[0] = Int64GetDatum(from);
		args[1] = Int64GetDatum(to);
		args[2] = Int64GetDatum(cp_seq);
		args[3] = PointerGetDatum(b);
		args[4] = CStringGetTextDatum(juki_caller_name());
		juki_spi_begin(&spi);
		if (SPI_execute_with_args("INSERT INTO juki.audit_export (from_seq, to_seq, checkpoint_seq, digest, exported_by) VALUES ($1, $2, $3, $4, $5)",
								  5, types, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "cannot record the export receipt");
		juki_spi_end(&spi);
	}
	juki_audit_record_init(&rec, "export_log", JUKI_GRANTED, NULL);
	jd_init(&d);
	jd_int(&d, "from_seq", from);
	jd_int(&d, "to_seq", to);
	jd_int(&d, "checkpoint_seq", cp_seq);
	jd_int(&d, "lines", out.lines + 1);
	jd_str(&d, "sha256", hex);
	if (expected != to + 1)
		jd_int(&d, "missing_from_seq", expected);
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = out.store;
	rsinfo->setDesc = out.desc;
	return (Datum) 0;
}

/* ------------------------------------------------------------- checkpoint */

Datum
juki_checkpoint_now(PG_FUNCTION_ARGS)
{
	JukiHeadStatus st;
	uint64		req;
	int64		cp_seq;
	char	   *line;
	JukiAuditRecord rec;

	juki_require_preload();
	juki_require_role("checkpoint", checkpoint_roles);
	juki_audit_record_init(&rec, "checkpoint_request", JUKI_GRANTED, NULL);
	juki_audit_log(&rec);
	juki_head_status(&st);
	req = juki_head_request_checkpoint();
	if (!juki_head_wait_checkpoint(req, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
																	 juki_audit_wait_timeout_ms * 2)))
		juki_refuse_on_record("checkpoint_request", false, "audit_unavailable",
							  ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
							  gettext_noop("juki's audit writer did not answer the checkpoint request in time"),
							  gettext_noop("Check that the juki audit writer runs: SELECT * FROM juki.status();"),
							  JUKI_NO_ID, NULL);
	if (!juki_covering_checkpoint(Max(st.last_seq, 0), &cp_seq, &line))
		juki_refuse_on_record("checkpoint_request", false, "no_signed_checkpoint",
							  ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
							  gettext_noop("juki could not sign a checkpoint"),
							  gettext_noop("Set juki.signing_key_file to an Ed25519 private key outside the data directory; the operation log (action checkpoint, outcome error) says what went wrong."),
							  JUKI_NO_ID, NULL);
	PG_RETURN_TEXT_P(cstring_to_text(line));
}
