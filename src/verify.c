/*-------------------------------------------------------------------------
 * verify.c
 *		juki.verify_log(checkpoints, public_keys): recompute the whole
 *		chain in SQL (DESIGN §7.2, §7.4).
 *
 * The table is streamed in seq order with constant memory.  Every entry's
 * hash is recomputed from its columns and compared with the stored one and
 * with the next entry's prev_hash; seq must have no gap.  Each checkpoint
 * (those stored in juki.audit_checkpoint and those given from outside) must
 * carry a valid signature of a known key, belong to this chain, and match
 * the entry at its seq.  A rewrite that recomputed every hash is caught by
 * an earlier external checkpoint; a truncated tail by a later one.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "juki.h"
#include "audit.h"
#include "checkpoint.h"
#include "door.h"
#include "log_scan.h"

PG_FUNCTION_INFO_V1(juki_verify_log);

typedef struct VKey
{
	uint8		pub[JK_PUBKEY_LEN];
	char		id[JK_KEYID_LEN + 1];
} VKey;

typedef struct VCheckpoint
{
	JkCheckpoint cp;
	char	   *line;			/* the text whose first signed_len bytes are signed */
	bool		external;
} VCheckpoint;

typedef struct VResult
{
	bool		ok;
	int64		checked;
	int64		first_bad;
	char		problem[512];
} VResult;

/* Keep the problem with the smallest seq: the first place the log is wrong. */
static void
fail(VResult *r, int64 seq, const char *fmt,...) pg_attribute_printf(3, 4);

static void
fail(VResult *r, int64 seq, const char *fmt,...)
{
	va_list		ap;

	if (!r->ok && r->first_bad <= seq)
		return;
	r->ok = false;
	r->first_bad = seq;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
}

static const char *const auditor_roles[] = {"juki_auditor", "juki_chief_security_officer", NULL};

static List *
parse_keys(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *keys = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		VKey	   *k = palloc(sizeof(VKey));
		char		err[JK_ERR_LEN];
		text	   *t;

		if (nulls[i])
			juki_bad_input("verify_log", "invalid_public_key", ERRCODE_INVALID_PARAMETER_VALUE,
						   psprintf("public key %d is NULL", i + 1),
						   "Pass the PEM text of each Ed25519 public key.");
		t = DatumGetTextPP(elems[i]);
		if (!jk_ed25519_pub_from_pem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), k->pub,
									 err, sizeof(err)) ||
			!jk_key_id(k->pub, k->id))
			juki_bad_input("verify_log", "invalid_public_key", ERRCODE_INVALID_PARAMETER_VALUE,
						   psprintf("public key %d is not a PEM Ed25519 public key: %s", i + 1, err),
						   "Pass the PEM text of the public key, e.g. the output of: openssl pkey -in signing.pem -pubout");
		keys = lappend(keys, k);
	}
	return keys;
}

static List *
parse_external_checkpoints(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *cps = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		VCheckpoint *c = palloc0(sizeof(VCheckpoint));
		char		err[JK_ERR_LEN] = "it is NULL";
		text	   *t = nulls[i] ? NULL : DatumGetTextPP(elems[i]);

		if (t == NULL || !jk_checkpoint_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &c->cp,
											  err, sizeof(err)))
			juki_bad_input("verify_log", "invalid_checkpoint", ERRCODE_INVALID_PARAMETER_VALUE,
						   psprintf("checkpoint %d is not a juki checkpoint line: %s", i + 1, err),
						   "Pass each checkpoint file's line as it is: juki-checkpoint/1 origin=... seq=... hash=... ts=... key=... sig=...");
		c->external = true;
		c->line = text_to_cstring(t);
		cps = lappend(cps, c);
	}
	return cps;
}

/* Checkpoints stored by the writer; a line that does not parse is a finding. */
static List *
table_checkpoints(List *cps, VResult *r)
{
	JukiSpi		spi;
	uint64		i;
	MemoryContext caller = CurrentMemoryContext;

	juki_spi_begin(&spi);
	if (SPI_execute("SELECT seq, line FROM juki.audit_checkpoint ORDER BY seq", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.audit_checkpoint");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		char	   *line = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		VCheckpoint *c = MemoryContextAllocZero(TopTransactionContext, sizeof(VCheckpoint));
		char	   *saved = line ? MemoryContextStrdup(TopTransactionContext, line) : NULL;
		char		err[JK_ERR_LEN];

		if (line == NULL || !jk_checkpoint_parse(line, strlen(line), &c->cp, err, sizeof(err)))
		{
			fail(r, seq, "the stored checkpoint at seq " INT64_FORMAT " is malformed: %s", seq, err);
			continue;
		}
		if (c->cp.seq != seq)
			fail(r, seq, "the stored checkpoint at seq " INT64_FORMAT " names seq " INT64_FORMAT,
				 seq, (int64) c->cp.seq);
		c->line = saved;
		{
			MemoryContext old = MemoryContextSwitchTo(caller);

			cps = lappend(cps, c);
			MemoryContextSwitchTo(old);
		}
	}
	juki_spi_end(&spi);
	return cps;
}

static int
cp_cmp(const ListCell *a, const ListCell *b)
{
	int64		x = ((VCheckpoint *) lfirst(a))->cp.seq;
	int64		y = ((VCheckpoint *) lfirst(b))->cp.seq;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Signature and origin of every checkpoint; needs the line's signed bytes. */
static void
check_signatures(List *cps, List *keys, JukiChainInfo *ci, VResult *r)
{
	ListCell   *lc;

	foreach(lc, cps)
	{
		VCheckpoint *c = lfirst(lc);
		ListCell   *kc;
		VKey	   *key = NULL;

		if (ci->have_origin && memcmp(c->cp.origin, ci->origin, JK_HASH_LEN) != 0)
		{
			fail(r, c->cp.seq, "the checkpoint at seq " INT64_FORMAT " belongs to another chain (origin differs)",
				 (int64) c->cp.seq);
			continue;
		}
		foreach(kc, keys)
			if (strcmp(((VKey *) lfirst(kc))->id, c->cp.key_id) == 0)
				key = lfirst(kc);
		if (key == NULL)
		{
			if (keys != NIL || c->external)
				fail(r, c->cp.seq, "the checkpoint at seq " INT64_FORMAT " is signed by unknown key %s",
					 (int64) c->cp.seq, c->cp.key_id);
			continue;
		}
		if (!jk_ed25519_verify(key->pub, c->line, c->cp.signed_len, c->cp.sig))
			fail(r, c->cp.seq, "the checkpoint at seq " INT64_FORMAT " has a bad signature (forged or altered)",
				 (int64) c->cp.seq);
	}
}

/* The chain itself, entry by entry, against the checkpoints sorted by seq. */
static void
check_chain(List *cps, JukiChainInfo *ci, VResult *r)
{
	JukiLogScan scan;
	JukiLogRow	row;
	int64		expected = ci->purged ? ci->purged_through_seq + 1 : 0;
	uint8		prev[JK_HASH_LEN];
	ListCell   *next_cp = list_head(cps);
	JkBuf		canon;

	if (ci->purged)
		memcpy(prev, ci->purged_through_hash, JK_HASH_LEN);
	else
		memset(prev, 0, JK_HASH_LEN);

	/* checkpoints before the retained range: only the anchor can be checked */
	while (next_cp && ((VCheckpoint *) lfirst(next_cp))->cp.seq < expected)
	{
		VCheckpoint *c = lfirst(next_cp);

		if (ci->purged && c->cp.seq == ci->purged_through_seq &&
			memcmp(c->cp.hash, ci->purged_through_hash, JK_HASH_LEN) != 0)
			fail(r, c->cp.seq, "the purge anchor at seq " INT64_FORMAT " differs from the signed checkpoint",
				 (int64) c->cp.seq);
		next_cp = lnext(cps, next_cp);
	}

	juki_buf_init(&canon);
	juki_log_scan_begin(&scan, expected, false);
	while (juki_log_scan_next(&scan, &row))
	{
		uint8		hash[JK_HASH_LEN];
		int64		seq = row.e.seq;

		CHECK_FOR_INTERRUPTS();
		if (seq != expected)
		{
			fail(r, expected, "entry seq " INT64_FORMAT " is missing (the next entry is seq " INT64_FORMAT ")",
				 expected, seq);
			break;
		}
		if (!row.hashes_ok)
		{
			fail(r, seq, "entry seq " INT64_FORMAT " has a malformed hash column", seq);
			break;
		}
		if (memcmp(row.prev_hash, prev, JK_HASH_LEN) != 0)
		{
			fail(r, seq, "entry seq " INT64_FORMAT " does not continue the chain (prev_hash differs from the hash of seq " INT64_FORMAT ")",
				 seq, seq - 1);
			break;
		}
		jk_buf_reset(&canon);
		if (!juki_log_row_canonical(&row, &canon))
		{
			fail(r, seq, "entry seq " INT64_FORMAT " has a time outside years 0001-9999", seq);
			break;
		}
		if (!jk_chain_hash(prev, canon.data, canon.len, hash))
			elog(ERROR, "SHA-256 failed");
		if (memcmp(hash, row.hash, JK_HASH_LEN) != 0)
		{
			fail(r, seq, "entry seq " INT64_FORMAT " does not match its hash (edited)", seq);
			break;
		}
		while (next_cp && ((VCheckpoint *) lfirst(next_cp))->cp.seq == seq)
		{
			VCheckpoint *c = lfirst(next_cp);

			if (memcmp(c->cp.hash, hash, JK_HASH_LEN) != 0)
				fail(r, seq, "entry seq " INT64_FORMAT " differs from the signed checkpoint (the chain was rewritten)",
					 seq);
			next_cp = lnext(cps, next_cp);
		}
		if (!r->ok && r->first_bad <= seq)
			break;
		memcpy(prev, hash, JK_HASH_LEN);
		expected++;
		r->checked++;
	}
	juki_log_scan_end(&scan);

	if (r->ok || r->first_bad >= expected)
	{
		for (; next_cp; next_cp = lnext(cps, next_cp))
		{
			VCheckpoint *c = lfirst(next_cp);

			if (c->cp.seq >= expected)
			{
				fail(r, expected, "the log ends at seq " INT64_FORMAT " but a signed checkpoint covers seq " INT64_FORMAT ": entries were removed (truncated)",
					 expected - 1, (int64) c->cp.seq);
				break;
			}
		}
	}
}

Datum
juki_verify_log(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false};
	VResult		r;
	List	   *keys = NIL;
	List	   *cps = NIL;
	JukiChainInfo ci;
	JukiAuditRecord rec;
	JukiDetail	d;

	juki_require_preload();
	juki_require_role("verify_log", auditor_roles);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	memset(&r, 0, sizeof(r));
	r.ok = true;
	if (!PG_ARGISNULL(1))
		keys = parse_keys(PG_GETARG_ARRAYTYPE_P(1));
	else
	{
		VKey	   *k = palloc(sizeof(VKey));

		/* default: the public half of the configured signing key */
		if (juki_signing_public_key(k->pub) && jk_key_id(k->pub, k->id))
			keys = list_make1(k);
	}
	if (!PG_ARGISNULL(0))
	{
		cps = parse_external_checkpoints(PG_GETARG_ARRAYTYPE_P(0));
		if (keys == NIL && cps != NIL)
			juki_bad_input("verify_log", "invalid_public_key", ERRCODE_INVALID_PARAMETER_VALUE,
						   "checkpoints were given but no public key to check their signatures",
						   "Pass public_keys, or set juki.signing_key_file.");
	}
	juki_chain_info(&ci);
	cps = table_checkpoints(cps, &r);
	check_signatures(cps, keys, &ci, &r);
	list_sort(cps, cp_cmp);
	check_chain(cps, &ci, &r);

	juki_audit_record_init(&rec, "verify_log", JUKI_GRANTED, r.ok ? NULL : "log_invalid");
	jd_init(&d);
	jd_bool(&d, "ok", r.ok);
	jd_int(&d, "entries_checked", r.checked);
	jd_int(&d, "checkpoints", list_length(cps));
	if (!r.ok)
	{
		jd_int(&d, "first_bad_seq", r.first_bad);
		jd_str(&d, "problem", r.problem);
	}
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);

	values[0] = BoolGetDatum(r.ok);
	values[1] = Int64GetDatum(r.checked);
	values[2] = Int64GetDatum(r.first_bad);
	nulls[2] = r.ok;
	values[3] = r.ok ? (Datum) 0 : CStringGetTextDatum(r.problem);
	nulls[3] = r.ok;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
