/*-------------------------------------------------------------------------
 * witness.c
 *		juki as a C2SP tlog-witness for another juki, and the cosignatures
 *		a witnessed juki keeps beside its checkpoints (issue 17).
 *
 * Witness side: juki.witnessed_log holds, per origin, the log's verifier
 * key and the latest checkpoint cosigned.  juki.witness_add_checkpoint
 * takes what tlog-witness's add-checkpoint takes (old size, consistency
 * proof, signed checkpoint), makes its checks in the spec's order
 * (format/witness.c: known origin, the log's signature, old size equal to
 * the stored one, the proof) with the row locked, and on success stores
 * the new size and root and returns a cosignature/v1 line signed with
 * juki's key; every refusal has its reason and is logged.  The witness
 * sees hashes only: nothing of the witnessed log's entries.
 *
 * Log side: juki.add_cosignature stores a witness's line for one of our
 * checkpoint notes once it verifies under a key of juki.witness_keys;
 * juki.report_cosignatures lists checkpoints and who cosigned them.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "access/caller.h"
#include "core/settings.h"
#include "core/spi.h"
#include "format/note.h"
#include "log/append.h"
#include "log/refusal.h"
#include "log/scan.h"
#include "log/tiles.h"

PG_FUNCTION_INFO_V1(juki_witness_add_checkpoint);
PG_FUNCTION_INFO_V1(juki_witness_key);
PG_FUNCTION_INFO_V1(juki_add_witnessed_log);
PG_FUNCTION_INFO_V1(juki_add_cosignature);
PG_FUNCTION_INFO_V1(juki_log_key);

static const char *const auditor_roles[] = {"juki_auditor", "juki_chief_security_officer", NULL};
static const char *const chief_roles[] = {"juki_chief_security_officer", NULL};
static const char *const cosign_roles[] = {"juki_access_manager", "juki_auditor",
"juki_chief_security_officer", NULL};

/* juki's signer for cosignatures: its checkpoint key, named by its origin. */
static void
load_cosigner(const char *action, JukiNoteSigner *s)
{
	JukiSigningKey key;
	const char *code;
	char		msg[256];
	uint8		seed[JK_PUBKEY_LEN];
	char		err[256];
	JukiChainInfo ci;
	char	   *name;
	bool		ok;

	if (!juki_signing_key_load(&key, &code, msg, sizeof(msg)))
		juki_refuse_on_record(action, false, "no_signing_key", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
							  gettext_noop("juki cannot cosign without its signing key"),
							  gettext_noop("Set juki.signing_key_file to an Ed25519 private key outside the data directory."),
							  JUKI_NO_ID, NULL);
	ok = juki_signing_seed(&key, seed);
	juki_signing_key_free(&key);
	juki_chain_info(&ci);
	name = juki_tree_origin(ci.origin);
	ok = ok && juki_note_signer_init(s, name, strlen(name), JUKI_SIGTYPE_COSIGNATURE_V1, seed,
									 err, sizeof(err));
	explicit_bzero(seed, sizeof(seed));
	if (!ok)
		elog(ERROR, "juki cannot make its cosignature key");
}

/* juki.witness_key(): this juki's verifier key as a witness (cosignature/v1). */
Datum
juki_witness_key(PG_FUNCTION_ARGS)
{
	JukiNoteSigner s;
	char		vkey[JUKI_NOTE_KEY_TEXT_MAX + 1];
	char		b64[64];
	uint8		raw[1 + JUKI_ED25519_KEY_LEN];
	char		err[256];
	JukiAuditRecord rec;

	juki_require_preload();
	juki_require_role("witness_key", cosign_roles);
	load_cosigner("witness_key", &s);
	raw[0] = JUKI_SIGTYPE_COSIGNATURE_V1;
	memcpy(raw + 1, s.key.pub, JUKI_ED25519_KEY_LEN);
	if (!juki_base64_encode(raw, sizeof(raw), b64, sizeof(b64), err, sizeof(err)))
		elog(ERROR, "base64: %s", err);
	snprintf(vkey, sizeof(vkey), "%.*s+%08x+%s", (int) s.key.name_len, s.key.name,
			 s.key.key_id, b64);
	juki_note_signer_clear(&s);
	juki_audit_record_init(&rec, "witness_key", JUKI_GRANTED, NULL);
	juki_audit_log(&rec);
	PG_RETURN_TEXT_P(cstring_to_text(vkey));
}

/* juki.log_key(): the verifier key of this log's checkpoint notes (Ed25519). */
Datum
juki_log_key(PG_FUNCTION_ARGS)
{
	JukiSigningKey key;
	const char *code;
	char		msg[256];
	char		err[256];
	JukiChainInfo ci;
	char	   *name;
	JukiNoteKey nk;
	uint8		raw[1 + JUKI_ED25519_KEY_LEN];
	char		b64[64];
	JukiAuditRecord rec;

	juki_require_preload();
	juki_require_role("log_key", cosign_roles);
	if (!juki_signing_key_load(&key, &code, msg, sizeof(msg)))
		juki_refuse_on_record("log_key", false, "no_signing_key", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
							  gettext_noop("juki has no signing key"),
							  gettext_noop("Set juki.signing_key_file to an Ed25519 private key outside the data directory."),
							  JUKI_NO_ID, NULL);
	juki_chain_info(&ci);
	name = juki_tree_origin(ci.origin);
	if (!juki_note_key_make(name, strlen(name), JUKI_SIGTYPE_ED25519, key.pub, &nk, err, sizeof(err)))
	{
		juki_signing_key_free(&key);
		elog(ERROR, "juki cannot make its verifier key: %s", err);
	}
	juki_signing_key_free(&key);
	raw[0] = JUKI_SIGTYPE_ED25519;
	memcpy(raw + 1, nk.pub, JUKI_ED25519_KEY_LEN);
	if (!juki_base64_encode(raw, sizeof(raw), b64, sizeof(b64), err, sizeof(err)))
		elog(ERROR, "base64: %s", err);
	juki_audit_record_init(&rec, "log_key", JUKI_GRANTED, NULL);
	juki_audit_log(&rec);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s+%08x+%s", name, nk.key_id, b64)));
}

/* juki.add_witnessed_log(origin, public_key): a log this juki will witness. */
Datum
juki_add_witnessed_log(PG_FUNCTION_ARGS)
{
	char	   *origin;
	char	   *vkey;
	JukiNoteKey key;
	char		err[256];
	JukiSpi		spi;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		v[2];
	JukiAuditRecord rec;
	JukiDetail	d;

	juki_require_preload();
	juki_require_role("add_witnessed_log", chief_roles);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		juki_bad_input("add_witnessed_log", "null_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
					   gettext_noop("origin and public_key must not be NULL"), NULL);
	origin = text_to_cstring(PG_GETARG_TEXT_PP(0));
	vkey = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strlen(origin) > JUKI_NOTE_NAME_MAX || !juki_note_valid_name(origin, strlen(origin)))
		juki_bad_input("add_witnessed_log", "invalid_argument", ERRCODE_INVALID_PARAMETER_VALUE,
					   gettext_noop("origin is not a valid checkpoint origin"), gettext_noop("An origin has no spaces or '+', e.g. example.lg.jp/juki-oplog."));
	if (!juki_note_key_parse(vkey, strlen(vkey), &key, err, sizeof(err)) ||
		key.type != JUKI_SIGTYPE_ED25519)
		juki_bad_input("add_witnessed_log", "bad_public_key", ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf(gettext_noop("public_key is not an Ed25519 note verifier key: %s"), key.type != JUKI_SIGTYPE_ED25519 ? gettext_noop("wrong type") : err),
					   gettext_noop("Pass the log's verifier key, <name>+<key id>+<base64>, e.g. the witnessed juki's juki.log_key()."));
	v[0] = CStringGetTextDatum(origin);
	v[1] = CStringGetTextDatum(vkey);
	juki_spi_begin(&spi);
	if (SPI_execute_with_args("INSERT INTO juki.witnessed_log (origin, public_key) VALUES ($1, $2)"
							  " ON CONFLICT (origin) DO NOTHING", 2, types, v, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "cannot write juki.witnessed_log");
	if (SPI_processed != 1)
		juki_bad_input("add_witnessed_log", "already_witnessed", ERRCODE_INVALID_PARAMETER_VALUE,
					   gettext_noop("this origin is already witnessed"), NULL);
	juki_spi_end(&spi);
	juki_audit_record_init(&rec, "add_witnessed_log", JUKI_GRANTED, NULL);
	jd_init(&d);
	jd_str(&d, "origin", origin);
	jd_str(&d, "public_key", vkey);
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);
	PG_RETURN_VOID();
}

/* A witness refusal: its reason, on record. */
static void
witness_refuse(const char *reason, int sqlstate, const char *msg)
{
	juki_refuse_on_record("witness_add_checkpoint", true, reason, sqlstate, msg,
						  gettext_noop("tlog-witness: see README \"Witnessing\"."), JUKI_NO_ID, NULL);
}

/*
 * juki.witness_add_checkpoint(old_size, proof, checkpoint) → the
 * cosignature/v1 line "— <name> <base64>\n" for the checkpoint.
 */
Datum
juki_witness_add_checkpoint(PG_FUNCTION_ARGS)
{
	JukiWitnessRequest *req = palloc0(sizeof(JukiWitnessRequest));
	JukiNote   *note = palloc0(sizeof(JukiNote));
	JukiCheckpoint cp;
	JukiWitnessLog wl;
	JukiNoteKey key;
	JukiHasher	h;
	JukiWitnessStatus st;
	JukiNoteSigner s;
	char		err[256];
	char	   *cptext;
	JukiSpi		spi;
	Oid			t1[1] = {TEXTOID};
	Datum		v[3];
	int			idx;
	uint64		known = 0;
	char	   *origin;
	char		line[JUKI_NOTE_NAME_MAX + 256];
	size_t		linelen;
	JukiAuditRecord rec;
	JukiDetail	d;

	juki_require_preload();
	juki_require_role("witness_add_checkpoint", auditor_roles);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		juki_bad_input("witness_add_checkpoint", "null_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
					   gettext_noop("old_size and checkpoint must not be NULL"), NULL);
	if (PG_GETARG_INT64(0) < 0)
		witness_refuse("witness_bad_request", ERRCODE_INVALID_PARAMETER_VALUE, gettext_noop("old_size is negative"));
	req->old_size = (uint64) PG_GETARG_INT64(0);
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;

		deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		if (n > JUKI_WITNESS_MAX_PROOF)
			witness_refuse("witness_bad_request", ERRCODE_INVALID_PARAMETER_VALUE, gettext_noop("the proof has too many hashes"));
		for (i = 0; i < n; i++)
		{
			bytea	   *b = nulls[i] ? NULL : DatumGetByteaPP(elems[i]);

			if (b == NULL || VARSIZE_ANY_EXHDR(b) != JUKI_HASH_LEN)
				witness_refuse("witness_bad_request", ERRCODE_INVALID_PARAMETER_VALUE,
							   gettext_noop("every proof hash must be 32 bytes"));
			memcpy(req->proof[i], VARDATA_ANY(b), JUKI_HASH_LEN);
		}
		req->nproof = n;
	}
	cptext = text_to_cstring(PG_GETARG_TEXT_PP(2));
	req->note = cptext;
	req->note_len = strlen(cptext);
	if (!juki_note_parse(cptext, req->note_len, note, err, sizeof(err)) ||
		!juki_checkpoint_parse(note->text, note->text_len, &cp, err, sizeof(err)))
		witness_refuse("witness_bad_request", ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf(gettext_noop("the checkpoint is not a signed C2SP checkpoint: %s"), err));
	origin = pnstrdup(cp.origin, cp.origin_len);

	juki_spi_begin(&spi);
	/* the row locked from the check to the update: one cosigned state per origin */
	v[0] = CStringGetTextDatum(origin);
	if (SPI_execute_with_args("SELECT public_key, tree_size, tree_root FROM juki.witnessed_log"
							  " WHERE origin = $1 FOR UPDATE", 1, t1, v, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.witnessed_log");
	memset(&wl, 0, sizeof(wl));
	wl.origin = origin;
	wl.origin_len = strlen(origin);
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *vk = SPI_getvalue(tup, desc, 1);
		bool		isnull;
		Datum		sz = SPI_getbinval(tup, desc, 2, &isnull);

		if (!juki_note_key_parse(vk, strlen(vk), &key, err, sizeof(err)))
			elog(ERROR, "juki.witnessed_log holds a malformed key for this origin");
		wl.keys = &key;
		wl.nkeys = 1;
		if (!isnull)
		{
			bytea	   *root = DatumGetByteaPP(SPI_getbinval(tup, desc, 3, &isnull));

			if (isnull || VARSIZE_ANY_EXHDR(root) != JUKI_HASH_LEN)
				elog(ERROR, "juki.witnessed_log holds a malformed root for this origin");
			wl.has_state = true;
			wl.size = (uint64) DatumGetInt64(sz);
			memcpy(wl.root, VARDATA_ANY(root), JUKI_HASH_LEN);
		}
	}
	if (!juki_hasher_init(&h, err, sizeof(err)))
		elog(ERROR, "SHA-256: %s", err);
	st = juki_witness_check(&h, &wl, SPI_processed == 1 ? 1 : 0, req, &cp, &idx, &known,
							err, sizeof(err));
	juki_hasher_free(&h);
	switch (st)
	{
		case JUKI_WITNESS_OK:
			break;
		case JUKI_WITNESS_BAD_REQUEST:
			witness_refuse("witness_bad_request", ERRCODE_INVALID_PARAMETER_VALUE, err);
			break;
		case JUKI_WITNESS_UNKNOWN_ORIGIN:
			witness_refuse("witness_unknown_origin", ERRCODE_INVALID_PARAMETER_VALUE,
						   gettext_noop("this juki does not witness the checkpoint's origin"));
			break;
		case JUKI_WITNESS_BAD_SIGNATURE:
			witness_refuse("witness_bad_signature", ERRCODE_INVALID_PARAMETER_VALUE,
						   gettext_noop("the checkpoint is not signed by the witnessed log's key"));
			break;
		case JUKI_WITNESS_CONFLICT:
			witness_refuse("witness_size_conflict", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
						   psprintf(gettext_noop("%s (the witness's size is %llu)"), err, (unsigned long long) known));
			break;
		case JUKI_WITNESS_BAD_PROOF:
			witness_refuse("witness_bad_proof", ERRCODE_INVALID_PARAMETER_VALUE,
						   psprintf(gettext_noop("the consistency proof does not verify: %s"), err));
			break;
		default:
			elog(ERROR, "juki's witness check failed: %s", err);
	}
	{
		Oid			t3[3] = {TEXTOID, INT8OID, BYTEAOID};
		bytea	   *root = palloc(VARHDRSZ + JUKI_HASH_LEN);

		SET_VARSIZE(root, VARHDRSZ + JUKI_HASH_LEN);
		memcpy(VARDATA(root), cp.root, JUKI_HASH_LEN);
		v[1] = Int64GetDatum((int64) cp.size);
		v[2] = PointerGetDatum(root);
		if (SPI_execute_with_args("UPDATE juki.witnessed_log SET tree_size = $2, tree_root = $3,"
								  " updated_at = pg_catalog.now() WHERE origin = $1",
								  3, t3, v, NULL, false, 0) != SPI_OK_UPDATE || SPI_processed != 1)
			elog(ERROR, "cannot update juki.witnessed_log");
	}
	juki_spi_end(&spi);

	load_cosigner("witness_add_checkpoint", &s);
	if (!juki_note_sign_line(&s, note->text, note->text_len,
							 (uint64) ((GetCurrentTimestamp() / USECS_PER_SEC) +
									   (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY),
							 line, sizeof(line), &linelen, err, sizeof(err)))
	{
		juki_note_signer_clear(&s);
		elog(ERROR, "juki cannot cosign: %s", err);
	}
	juki_note_signer_clear(&s);

	juki_audit_record_init(&rec, "witness_add_checkpoint", JUKI_GRANTED, NULL);
	jd_init(&d);
	jd_str(&d, "origin", origin);
	jd_int(&d, "old_size", (int64) req->old_size);
	jd_int(&d, "tree_size", (int64) cp.size);
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(line, linelen));
}

/*
 * juki.add_cosignature(tree_size, line): keep a witness's cosignature of
 * our checkpoint note of that size, if it verifies under juki.witness_keys.
 */
Datum
juki_add_cosignature(PG_FUNCTION_ARGS)
{
	int64		size;
	char	   *line;
	JukiSpi		spi;
	Oid			t1[1] = {INT8OID};
	Datum		v[4];
	char	   *note;
	char	   *full;
	JukiNoteKey keys[JUKI_MAX_WITNESS_KEYS];
	int			nkeys;
	bool		witnessed[JUKI_MAX_WITNESS_KEYS] = {false};
	uint64		times[JUKI_MAX_WITNESS_KEYS];
	JukiCheckpoint cp;
	char		err[256];
	int			i;
	int			who = -1;
	JukiAuditRecord rec;
	JukiDetail	d;

	juki_require_preload();
	juki_require_role("add_cosignature", cosign_roles);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		juki_bad_input("add_cosignature", "null_argument", ERRCODE_NULL_VALUE_NOT_ALLOWED,
					   gettext_noop("tree_size and line must not be NULL"), NULL);
	size = PG_GETARG_INT64(0);
	line = text_to_cstring(PG_GETARG_TEXT_PP(1));
	/* one line, ending in exactly one newline, however the client passed it */
	{
		size_t		len = strlen(line);

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || strchr(line, '\n') != NULL)
			juki_bad_input("add_cosignature", "cosignature_invalid", ERRCODE_INVALID_PARAMETER_VALUE,
						   gettext_noop("line must be one signature line"), NULL);
		line = psprintf("%s\n", line);
	}

	nkeys = juki_witness_keys_get(keys, JUKI_MAX_WITNESS_KEYS);

	juki_spi_begin(&spi);
	v[0] = Int64GetDatum(size);
	if (SPI_execute_with_args("SELECT note FROM juki.audit_checkpoint WHERE tree_size = $1 AND note IS NOT NULL"
							  " ORDER BY seq LIMIT 1", 1, t1, v, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.audit_checkpoint");
	if (SPI_processed != 1)
		juki_bad_input("add_cosignature", "checkpoint_unknown", ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf(gettext_noop("no checkpoint note of tree size %lld is stored"), (long long) size), NULL);
	note = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	full = psprintf("%s%s", note, line);
	/* the log's own signature is checked too: only our note gets cosignatures */
	{
		JukiNote	n;

		if (!juki_note_parse(note, strlen(note), &n, err, sizeof(err)) ||
			!juki_checkpoint_parse(n.text, n.text_len, &cp, err, sizeof(err)) ||
			n.nsigs < 1)
			elog(ERROR, "the stored checkpoint note is malformed");
	}
	if (nkeys == 0 ||
		juki_note_open(full, strlen(full), keys, nkeys, palloc(sizeof(JukiNote)), witnessed, times,
					   err, sizeof(err)) != JUKI_NOTE_VERIFIED)
		juki_bad_input("add_cosignature", "cosignature_invalid", ERRCODE_INVALID_PARAMETER_VALUE,
					   gettext_noop("the line is not a valid cosignature of that checkpoint by a key of juki.witness_keys"),
					   gettext_noop("Set juki.witness_keys to the witness's key (juki.witness_key() on the witness)."));
	for (i = 0; i < nkeys; i++)
		if (witnessed[i])
			who = i;
	{
		Oid			t4[4] = {INT8OID, TEXTOID, TEXTOID, TEXTOID};
		char		id[16];

		snprintf(id, sizeof(id), "%08x", keys[who].key_id);
		v[1] = CStringGetTextDatum(pnstrdup(keys[who].name, keys[who].name_len));
		v[2] = CStringGetTextDatum(id);
		v[3] = CStringGetTextDatum(line);
		if (SPI_execute_with_args("INSERT INTO juki.checkpoint_cosignature (tree_size, witness, key_id, line)"
								  " VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size, witness, key_id)"
								  " DO UPDATE SET line = excluded.line",
								  4, t4, v, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "cannot write juki.checkpoint_cosignature");
	}
	juki_spi_end(&spi);
	juki_audit_record_init(&rec, "add_cosignature", JUKI_GRANTED, NULL);
	jd_init(&d);
	jd_int(&d, "tree_size", size);
	jd_str(&d, "witness", pnstrdup(keys[who].name, keys[who].name_len));
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);
	PG_RETURN_VOID();
}
