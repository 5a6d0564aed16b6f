/*-------------------------------------------------------------------------
 * tree.c
 *		The auditor's view of the operation log's Merkle tree (issue 17):
 *		juki.tree_head(), juki.inclusion_proof(seq, tree_size) and
 *		juki.consistency_proof(old_size, new_size), RFC 6962 proofs from
 *		the stored tiles (log/tree_read.c).  Each call is logged, as the
 *		other auditor functions are; bad sizes are refused on record.
 *
 * Everything is read in the statement's snapshot, in which the tiles and
 * the entries they cover are consistent (the writer commits them
 * together).  A proof holds only hashes: no personal data leaves here.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "access/caller.h"
#include "core/result.h"
#include "core/settings.h"
#include "core/spi.h"
#include "log/append.h"
#include "log/refusal.h"
#include "log/tiles.h"

PG_FUNCTION_INFO_V1(juki_tree_head);
PG_FUNCTION_INFO_V1(juki_inclusion_proof);
PG_FUNCTION_INFO_V1(juki_consistency_proof);

static const char *const auditor_roles[] = {"juki_auditor", "juki_chief_security_officer", NULL};

static Datum
hash_datum(const uint8 *h)
{
	bytea	   *b = palloc(VARHDRSZ + JUKI_HASH_LEN);

	SET_VARSIZE(b, VARHDRSZ + JUKI_HASH_LEN);
	memcpy(VARDATA(b), h, JUKI_HASH_LEN);
	return PointerGetDatum(b);
}

static Datum
proof_datum(uint8 proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN], int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = hash_datum(proof[i]);
	return PointerGetDatum(construct_array(elems, n, BYTEAOID, -1, false, TYPALIGN_INT));
}

/* The stored tree size; refuses (logged) when there is no tree. */
static int64
tree_size_or_refuse(const char *action)
{
	int64		size = juki_tree_stored_size();

	if (size < 0)
		juki_refuse_on_record(action, false, "tree_unavailable",
							  ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
							  gettext_noop("the operation log has no Merkle tree"),
							  gettext_noop("Run ALTER EXTENSION juki UPDATE; the audit writer builds the tree at its next entry."),
							  JUKI_NO_ID, NULL);
	return size;
}

static void
log_granted(const char *action, JukiDetail *d)
{
	JukiAuditRecord rec;

	juki_audit_record_init(&rec, action, JUKI_GRANTED, NULL);
	rec.detail = jd_finish(d);
	juki_audit_log(&rec);
}

static Datum
result_row(FunctionCallInfo fcinfo, TupleDesc tupdesc, Datum *values, bool *nulls)
{
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls));
}

/* Bad sizes: 22023, invalid_tree_size, on record. */
static void
bad_size(const char *action, const char *msg)
{
	juki_bad_input(action, "invalid_tree_size", ERRCODE_INVALID_PARAMETER_VALUE, msg,
				   gettext_noop("Sizes count entries from seq 0: a tree of size n holds seq 0 .. n-1; see juki.tree_head()."));
}

/*
 * juki.tree_head(): the tree size and root now, and the newest signed
 * checkpoint note (the signed tree head) with its size.
 */
Datum
juki_tree_head(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, true, true};
	JukiSpi		spi;
	int64		size;
	uint8		root[JUKI_HASH_LEN];
	JukiDetail	d;

	juki_require_preload();
	juki_require_role("tree_head", auditor_roles);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	juki_spi_begin(&spi);
	size = tree_size_or_refuse("tree_head");
	juki_tree_root_at((uint64) size, root);
	if (SPI_execute("SELECT tree_size, note FROM juki.audit_checkpoint WHERE note IS NOT NULL"
					" ORDER BY seq DESC LIMIT 1", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.audit_checkpoint");
	values[0] = Int64GetDatum(size);
	values[1] = hash_datum(root);
	if (SPI_processed == 1)
	{
		bool		isnull;
		char	   *note = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		values[2] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		nulls[2] = isnull;
		values[3] = CStringGetTextDatum(note);
		nulls[3] = false;
	}
	juki_spi_end(&spi);
	jd_init(&d);
	jd_int(&d, "tree_size", size);
	log_granted("tree_head", &d);
	PG_RETURN_DATUM(result_row(fcinfo, tupdesc, values, nulls));
}

/*
 * juki.inclusion_proof(seq, tree_size DEFAULT NULL): the audit path of
 * entry seq in the tree of tree_size entries (NULL: the current size).
 */
Datum
juki_inclusion_proof(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false};
	JukiSpi		spi;
	int64		size;
	int64		n;
	int64		seq;
	uint8		leaf[JUKI_HASH_LEN];
	uint8		root[JUKI_HASH_LEN];
	uint8		proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
	int			np;
	JukiDetail	d;

	juki_require_preload();
	juki_require_role("inclusion_proof", auditor_roles);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (PG_ARGISNULL(0))
		juki_bad_input("inclusion_proof", "null_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
					   gettext_noop("seq must not be NULL"), NULL);
	seq = PG_GETARG_INT64(0);
	juki_spi_begin(&spi);
	size = tree_size_or_refuse("inclusion_proof");
	n = PG_ARGISNULL(1) ? size : PG_GETARG_INT64(1);
	if (n < 1 || n > size)
		bad_size("inclusion_proof",
				 psprintf(gettext_noop("tree_size %lld is not between 1 and the tree's size %lld"),
						  (long long) n, (long long) size));
	if (seq < 0 || seq >= n)
		bad_size("inclusion_proof",
				 psprintf(gettext_noop("seq %lld is not in a tree of size %lld"), (long long) seq, (long long) n));
	juki_tree_leaf_at((uint64) seq, (uint64) n, leaf);
	juki_tree_root_at((uint64) n, root);
	np = juki_tree_inclusion((uint64) seq, (uint64) n, proof);
	juki_spi_end(&spi);

	jd_init(&d);
	jd_int(&d, "entry_seq", seq);
	jd_int(&d, "tree_size", n);
	log_granted("inclusion_proof", &d);
	values[0] = Int64GetDatum(seq);
	values[1] = Int64GetDatum(n);
	values[2] = hash_datum(leaf);
	values[3] = hash_datum(root);
	values[4] = proof_datum(proof, np);
	PG_RETURN_DATUM(result_row(fcinfo, tupdesc, values, nulls));
}

/*
 * juki.consistency_proof(old_size, new_size DEFAULT NULL): RFC 6962's
 * PROOF(old_size, D[new_size]), with both roots.
 */
Datum
juki_consistency_proof(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false};
	JukiSpi		spi;
	int64		size;
	int64		m;
	int64		n;
	uint8		old_root[JUKI_HASH_LEN];
	uint8		new_root[JUKI_HASH_LEN];
	uint8		proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
	int			np;
	JukiDetail	d;

	juki_require_preload();
	juki_require_role("consistency_proof", auditor_roles);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (PG_ARGISNULL(0))
		juki_bad_input("consistency_proof", "null_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
					   gettext_noop("old_size must not be NULL"), NULL);
	m = PG_GETARG_INT64(0);
	juki_spi_begin(&spi);
	size = tree_size_or_refuse("consistency_proof");
	n = PG_ARGISNULL(1) ? size : PG_GETARG_INT64(1);
	if (n < 0 || n > size)
		bad_size("consistency_proof",
				 psprintf(gettext_noop("new_size %lld is not between 0 and the tree's size %lld"),
						  (long long) n, (long long) size));
	if (m < 0 || m > n)
		bad_size("consistency_proof",
				 psprintf(gettext_noop("old_size %lld is not between 0 and new_size %lld"), (long long) m, (long long) n));
	juki_tree_root_at((uint64) m, old_root);
	juki_tree_root_at((uint64) n, new_root);
	np = juki_tree_consistency((uint64) m, (uint64) n, proof);
	juki_spi_end(&spi);

	jd_init(&d);
	jd_int(&d, "old_size", m);
	jd_int(&d, "new_size", n);
	log_granted("consistency_proof", &d);
	values[0] = Int64GetDatum(m);
	values[1] = Int64GetDatum(n);
	values[2] = hash_datum(old_root);
	values[3] = hash_datum(new_root);
	values[4] = proof_datum(proof, np);
	PG_RETURN_DATUM(result_row(fcinfo, tupdesc, values, nulls));
}
