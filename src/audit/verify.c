/*-------------------------------------------------------------------------
 * verify.c
 *		juki.verify_log(checkpoints, public_keys): recompute the whole
 *		chain in SQL (DESIGN §7.2, §7.4).
 *
 * The table is streamed in seq order with constant memory.  Every entry's
 * hash is recomputed from its columns and compared with the stored one and
 * with the next entry's prev_hash; seq must have no gap.  Each checkpoint
 * (those stored in juki.audit_checkpoint, those in juki.checkpoint_directory
 * and those given from outside) must carry a valid signature of a known
 * key, belong to this chain, and match the entry at its seq.  A rewrite
 * that recomputed every hash is caught by an earlier external checkpoint; a
 * truncated tail by a later one.
 *
 * The stored checkpoints are held against the log and against each other,
 * because removing them is how a consistent rewrite hides (issue 13, class
 * 8): the writer signs each checkpoint in the same transaction as the entry
 * it signs and says so in that entry (checkpoint entries with
 * "signs_this_entry", worker_stop with "shutdown_checkpoint"), so every such
 * entry must have a stored checkpoint at its own seq; and every file in the
 * checkpoint directory must also be in the table.  What none of this can
 * catch is a rewrite that also rewrote those entries and removed the table
 * rows and the files: only checkpoints kept where the server cannot write
 * (given here, or held by a witness) do.  README "Threat model".
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <sys/stat.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "storage/fd.h"
#include "utils/builtins.h"

#include "core/result.h"
#include "core/settings.h"
#include "log/append.h"
#include "log/signing.h"
#include "access/caller.h"
#include "core/spi.h"
#include "log/refusal.h"
#include "log/scan.h"
#include "verify_scan.h"
#include "verify_tree.h"

PG_FUNCTION_INFO_V1(juki_verify_log);

typedef struct VKey
{
	uint8		pub[JK_PUBKEY_LEN];
	char		id[JK_KEYID_LEN + 1];
} VKey;

typedef enum VSource
{
	V_EXTERNAL,					/* given by the caller */
	V_TABLE,					/* juki.audit_checkpoint */
	V_FILE						/* juki.checkpoint_directory, not in the table */
} VSource;

typedef struct VCheckpoint
{
	JkCheckpoint cp;
	char	   *line;			/* the text whose first signed_len bytes are signed */
	bool		external;
	VSource		source;
} VCheckpoint;

typedef struct VResult
{
	bool		ok;
	int64		checked;
	int64		first_bad;
	char		problem[512];
	int64		logged;			/* signings the log records */
	int64		stored;			/* rows of juki.audit_checkpoint */
	int64		files;			/* files of this chain, -1: no directory */
	int64		last_stored;	/* newest stored (table or file), -1 none */
	int			workers;		/* parallel workers that read the log */
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
						   psprintf(gettext_noop("public key %d is NULL"), i + 1),
						   gettext_noop("Pass the PEM text of each Ed25519 public key."));
		t = DatumGetTextPP(elems[i]);
		if (!jk_ed25519_pub_from_pem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), k->pub,
									 err, sizeof(err)) ||
			!jk_key_id(k->pub, k->id))
			juki_bad_input("verify_log", "invalid_public_key", ERRCODE_INVALID_PARAMETER_VALUE,
						   psprintf(gettext_noop("public key %d is not a PEM Ed25519 public key: %s"), i + 1, err),
						   gettext_noop("Pass the PEM text of the public key, e.g. the output of: openssl pkey -in signing.pem -pubout"));
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
						   psprintf(gettext_noop("checkpoint %d is not a juki checkpoint line: %s"), i + 1, err),
						   gettext_noop("Pass each checkpoint file's line as it is: juki-checkpoint/1 origin=... seq=... hash=... ts=... key=... sig=..."));
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
		c->source = V_TABLE;
		r->stored++;
		r->last_stored = Max(r->last_stored, seq);
		{
			MemoryContext old = MemoryContextSwitchTo(caller);

			cps = lappend(cps, c);
			MemoryContextSwitchTo(old);
		}
	}
	juki_spi_end(&spi);
	return cps;
}

/* A finding kept until the chain is checked: a chain finding at the same seq says more. */
typedef struct Deferred
{
	int64		seq;
	char	   *msg;
} Deferred;

static int
table_seq_cmp(const void *key, const void *elem)
{
	int64		seq = *(const int64 *) key;
	const VCheckpoint *c = *(VCheckpoint *const *) elem;

	return seq < c->cp.seq ? -1 : seq > c->cp.seq ? 1 : 0;
}

/*
 * The checkpoint files of this chain in juki.checkpoint_directory.  A file
 * whose line is also the table's row at its seq adds nothing; any other is
 * checked like a stored checkpoint, and that it is not in the table is a
 * finding (kept in *deferred).  r->files stays -1 without a directory.
 */
static List *
directory_checkpoints(List *cps, JukiChainInfo *ci, VResult *r, List **deferred)
{
	VCheckpoint **rows;
	int			nrows = 0;
	ListCell   *lc;
	DIR		   *dir;
	struct dirent *de;
	char		prefix[32];
	char		hex[JK_HEX_LEN + 1];

	if (juki_checkpoint_directory == NULL || juki_checkpoint_directory[0] == '\0' ||
		!ci->have_origin)
		return cps;
	dir = AllocateDir(juki_checkpoint_directory);
	if (dir == NULL)
	{
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("juki.verify_log cannot read juki.checkpoint_directory: %m")));
		return cps;
	}
	/* the table's rows, in seq order (as read) */
	rows = palloc(sizeof(VCheckpoint *) * Max(list_length(cps), 1));
	foreach(lc, cps)
		if (((VCheckpoint *) lfirst(lc))->source == V_TABLE)
			rows[nrows++] = lfirst(lc);
	jk_hex(ci->origin, JK_HASH_LEN, hex);
	snprintf(prefix, sizeof(prefix), "juki-%.16s-", hex);
	r->files = 0;
	while ((de = ReadDirExtended(dir, juki_checkpoint_directory, WARNING)) != NULL)
	{
		size_t		n = strlen(de->d_name);
		char		path[MAXPGPATH];
		char		line[2048];
		size_t		len;
		FILE	   *f;
		VCheckpoint *c;
		VCheckpoint **row;
		char		err[JK_ERR_LEN];
		int64		seq;

		CHECK_FOR_INTERRUPTS();
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || n < 11 ||
			strcmp(de->d_name + n - 11, ".checkpoint") != 0)
			continue;
		seq = strtoi64(de->d_name + strlen(prefix), NULL, 10);
		snprintf(path, sizeof(path), "%s/%s", juki_checkpoint_directory, de->d_name);
		f = AllocateFile(path, "r");
		if (f == NULL)
			continue;
		len = fread(line, 1, sizeof(line) - 1, f);
		FreeFile(f);
		line[len] = '\0';
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		r->files++;
		c = palloc0(sizeof(VCheckpoint));
		if (!jk_checkpoint_parse(line, len, &c->cp, err, sizeof(err)))
		{
			fail(r, seq, "the checkpoint file %s is malformed: %s", de->d_name, err);
			continue;
		}
		r->last_stored = Max(r->last_stored, (int64) c->cp.seq);
		row = bsearch(&c->cp.seq, rows, nrows, sizeof(VCheckpoint *), table_seq_cmp);
		if (row && strcmp((*row)->line, line) == 0)
			continue;			/* the table holds it: checked there */
		c->line = pstrdup(line);
		c->source = V_FILE;
		cps = lappend(cps, c);
		{
			Deferred   *d = palloc(sizeof(Deferred));

			d->seq = c->cp.seq;
			d->msg = row ?
				psprintf("the checkpoint file for seq " INT64_FORMAT " differs from the one in juki.audit_checkpoint (one of them was replaced)",
						 (int64) c->cp.seq) :
				psprintf("the checkpoint at seq " INT64_FORMAT " is in juki.checkpoint_directory but not in juki.audit_checkpoint (a stored checkpoint was removed)",
						 (int64) c->cp.seq);
			*deferred = lappend(*deferred, d);
		}
	}
	FreeDir(dir);
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

/*
 * The chain itself, entry by entry, against the checkpoints sorted by seq;
 * signings the log records but nothing stores go to *deferred.
 */
static void
vtree_fail(void *arg, int64 seq, const char *msg)
{
	fail((VResult *) arg, seq, "%s", msg);
}

static void
check_chain(List *cps, List *keys, JukiChainInfo *ci, VResult *r, List **deferred)
{
	JukiVScan  *vs;
	JukiVEntry	ve;
	int64		expected = ci->purged ? ci->purged_through_seq + 1 : 0;
	uint8		prev[JK_HASH_LEN];
	ListCell   *next_cp = list_head(cps);
	bool		stored_here;
	JukiSpi		spi;
	JukiVTree  *vt;
	List	   *pubs = NIL;
	ListCell   *kc;

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

	/* the Merkle tree in the same pass (verify_tree.c), from the stored size read first */
	juki_spi_begin(&spi);
	foreach(kc, keys)
		pubs = lappend(pubs, ((VKey *) lfirst(kc))->pub);
	vt = juki_vtree_begin(expected, pubs, vtree_fail, r);
	/* each entry's own checks, in parallel (verify_scan.c); the links here */
	vs = juki_vscan_begin(expected, juki_verify_workers);
	while (juki_vscan_next(vs, &ve))
	{
		int64		seq = ve.seq;

		CHECK_FOR_INTERRUPTS();
		if (seq != expected)
		{
			fail(r, expected, "entry seq " INT64_FORMAT " is missing (the next entry is seq " INT64_FORMAT ")",
				 expected, seq);
			break;
		}
		if (!(ve.flags & JUKI_VE_HASHES_OK))
		{
			fail(r, seq, "entry seq " INT64_FORMAT " has a malformed hash column", seq);
			break;
		}
		if (memcmp(ve.prev, prev, JK_HASH_LEN) != 0)
		{
			fail(r, seq, "entry seq " INT64_FORMAT " does not continue the chain (prev_hash differs from the hash of seq " INT64_FORMAT ")",
				 seq, seq - 1);
			break;
		}
		if (!(ve.flags & JUKI_VE_CANON_OK))
		{
			fail(r, seq, "entry seq " INT64_FORMAT " has a time outside years 0001-9999", seq);
			break;
		}
		juki_vtree_add(vt, seq, ve.leaf);
		if (!(ve.flags & JUKI_VE_HASH_MATCH))
		{
			fail(r, seq, "entry seq " INT64_FORMAT " does not match its hash (edited)", seq);
			break;
		}
		/* from here ve.hash is the recomputed hash as well as the stored one */
		stored_here = false;
		while (next_cp && ((VCheckpoint *) lfirst(next_cp))->cp.seq == seq)
		{
			VCheckpoint *c = lfirst(next_cp);

			if (memcmp(c->cp.hash, ve.hash, JK_HASH_LEN) != 0)
				fail(r, seq, "entry seq " INT64_FORMAT " differs from the signed checkpoint (the chain was rewritten)",
					 seq);
			stored_here |= c->source != V_EXTERNAL;
			next_cp = lnext(cps, next_cp);
		}
		/*
		 * The log says a checkpoint signing this entry was stored with it.
		 * A finding here leaves the chain intact: note it and go on.
		 */
		if (ve.flags & JUKI_VE_SIGNED_HERE)
		{
			r->logged++;
			if (!stored_here)
			{
				Deferred   *d = palloc(sizeof(Deferred));

				d->seq = seq;
				d->msg = seq > r->last_stored ?
					psprintf("the newest stored checkpoint (seq " INT64_FORMAT ") is older than the writer's last signing recorded in the log (seq " INT64_FORMAT "): stored checkpoints were removed",
							 r->last_stored, seq) :
					psprintf("the log records a checkpoint signed at seq " INT64_FORMAT ", but neither juki.audit_checkpoint nor the checkpoint directory holds it: stored checkpoints were removed",
							 seq);
				*deferred = lappend(*deferred, d);
			}
		}
		if (!r->ok && r->first_bad <= seq)
			break;
		memcpy(prev, ve.hash, JK_HASH_LEN);
		expected++;
		r->checked++;
	}
	r->workers = juki_vscan_workers(vs);
	juki_vscan_end(vs);
	juki_vtree_end(vt, expected);
	juki_spi_end(&spi);

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

/*
 * Columns are filled by name: the library answers 1.0's verify_log (the
 * first four columns) as well as the newest.
 */
Datum
juki_verify_log(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum	   *values;
	bool	   *nulls;
	VResult		r;
	List	   *keys = NIL;
	List	   *cps = NIL;
	List	   *deferred = NIL;
	ListCell   *lc;
	JukiChainInfo ci;
	JukiAuditRecord rec;
	JukiDetail	d;
	int			i;

	juki_require_preload();
	juki_require_role("verify_log", auditor_roles);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	memset(&r, 0, sizeof(r));
	r.ok = true;
	r.files = -1;
	r.last_stored = -1;
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
						   gettext_noop("checkpoints were given but no public key to check their signatures"),
						   gettext_noop("Pass public_keys, or set juki.signing_key_file."));
	}
	juki_chain_info(&ci);
	cps = table_checkpoints(cps, &r);
	cps = directory_checkpoints(cps, &ci, &r, &deferred);
	check_signatures(cps, keys, &ci, &r);
	list_sort(cps, cp_cmp);
	check_chain(cps, keys, &ci, &r, &deferred);
	foreach(lc, deferred)
		fail(&r, ((Deferred *) lfirst(lc))->seq, "%s", ((Deferred *) lfirst(lc))->msg);
	/* the .note files last: at the same seq, the findings above say more */
	if (ci.have_origin)
	{
		JukiSpi		spi;

		juki_spi_begin(&spi);
		juki_verify_note_files(ci.origin, vtree_fail, &r);
		juki_spi_end(&spi);
	}

	juki_audit_record_init(&rec, "verify_log", JUKI_GRANTED, r.ok ? NULL : "log_invalid");
	jd_init(&d);
	jd_bool(&d, "ok", r.ok);
	jd_int(&d, "entries_checked", r.checked);
	jd_int(&d, "checkpoints", list_length(cps));
	jd_int(&d, "checkpoints_logged", r.logged);
	jd_int(&d, "checkpoints_stored", r.stored);
	jd_int(&d, "workers", r.workers);
	if (r.files >= 0)
		jd_int(&d, "checkpoint_files", r.files);
	if (!r.ok)
	{
		jd_int(&d, "first_bad_seq", r.first_bad);
		jd_str(&d, "problem", r.problem);
	}
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);

	values = palloc0(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	for (i = 0; i < tupdesc->natts; i++)
		nulls[i] = true;
#define SET(name, value, isnull) juki_result_set(tupdesc, values, nulls, name, value, isnull)
	SET("ok", BoolGetDatum(r.ok), false);
	SET("entries_checked", Int64GetDatum(r.checked), false);
	SET("first_bad_seq", Int64GetDatum(r.first_bad), r.ok);
	SET("problem", r.ok ? (Datum) 0 : CStringGetTextDatum(r.problem), r.ok);
	SET("checkpoints_logged", Int64GetDatum(r.logged), false);
	SET("checkpoints_stored", Int64GetDatum(r.stored), false);
	SET("checkpoint_files", Int64GetDatum(r.files), r.files < 0);
	SET("last_checkpoint_seq", Int64GetDatum(r.last_stored), r.last_stored < 0);
#undef SET
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
