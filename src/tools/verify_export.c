/*-------------------------------------------------------------------------
 * verify_export.c
 *		The checks of juki_verify (see juki_verify.c for what it checks):
 *		entries in order with their fields, the chained hashes, every
 *		checkpoint against the keys and the entries, the trailer's digest.
 *		Free of PostgreSQL; touches nothing global, so a fuzz target can
 *		call juki_verify_export on an fmemopen()ed buffer.
 *-------------------------------------------------------------------------
 */
#include "format/buf.h"
#include "format/json.h"
#include "format/json_check.h"
#include "format/hash.h"
#include "format/timestamp.h"
#include "format/checkpoint.h"
#include "format/export.h"
#include "format/entry.h"
#include "export_reader.h"
#include "verify_export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/err.h>
#include <openssl/evp.h>

static int
digest_line(Verifier *v)
{
	if (EVP_DigestUpdate(v->digest, v->line, v->len) != 1 ||
		EVP_DigestUpdate(v->digest, "\n", 1) != 1)
	{
		ERR_clear_error();
		return juki_verify_fail(v, "internal error: SHA-256 failed");
	}
	v->ndigested++;
	return 0;
}

/*
 * Entry seq `expect` is not where it should be (line `at` has `got`).  Look
 * through the rest of the entries to tell a missing entry from a moved one.
 */
static int
report_gap(Verifier *v, int64_t expect, int64_t got)
{
	long		at = v->lineno;
	char		err[JK_ERR_LEN];
	int64_t		seq;

	while (juki_verify_read_line(v) > 0)
	{
		if (juki_verify_starts_with(v->line, v->len, CHECKPOINT_PREFIX) ||
			juki_verify_starts_with(v->line, v->len, JK_EXPORT_END_TAG))
			break;
		if (v->len > JK_HEX_LEN + 1 && v->line[JK_HEX_LEN] == ' ' &&
			jk_entry_seq(v->line + JK_HEX_LEN + 1, v->len - JK_HEX_LEN - 1,
						 &seq, err, sizeof(err)) &&
			seq == expect)
			return juki_verify_fail(v, "line %ld: entry seq %" PRId64 " is out of order: "
						"it should come before seq %" PRId64 " (line %ld)",
						v->lineno, expect, got, at);
	}
	return juki_verify_fail(v, "entry seq %" PRId64 " is missing (line %ld has seq %" PRId64 ")",
				expect, at, got);
}

/* One entry line: form, canonical JSON, seq order, and the chained hash. */
static int
check_entry(Verifier *v, int64_t *expect, uint8_t prev[JK_HASH_LEN])
{
	const char *canon = v->line + JK_HEX_LEN + 1;
	size_t		clen;
	char		err[JK_ERR_LEN];
	int64_t		seq;
	uint8_t		stored[JK_HASH_LEN];
	uint8_t		h[JK_HASH_LEN];
	WantedHash *w;

	if (v->len <= JK_HEX_LEN + 1 || v->line[JK_HEX_LEN] != ' ' ||
		!juki_verify_all_lower_hex(v->line, JK_HEX_LEN))
		return juki_verify_fail(v, "line %ld (where entry seq %" PRId64 " was expected): "
					"not an entry line (<64 lower-case hex> <canonical JSON>)",
					v->lineno, *expect);
	clen = v->len - JK_HEX_LEN - 1;
	if (!jk_entry_seq(canon, clen, &seq, err, sizeof(err)))
		return juki_verify_fail(v, "line %ld (where entry seq %" PRId64 " was expected): %s",
					v->lineno, *expect, err);
	if (seq != *expect)
	{
		if (seq > *expect && *expect <= v->h.to_seq)
			return report_gap(v, *expect, seq);
		if (seq > v->h.to_seq)
			return juki_verify_fail(v, "line %ld: entry seq %" PRId64 " is beyond the header's to_seq %" PRId64,
						v->lineno, seq, v->h.to_seq);
		if (seq >= v->h.from_seq)
			return juki_verify_fail(v, "line %ld: entry seq %" PRId64 " is a duplicate (seq %" PRId64 " was expected)",
						v->lineno, seq, *expect);
		return juki_verify_fail(v, "line %ld: entry seq %" PRId64 " is before the header's from_seq %" PRId64,
					v->lineno, seq, v->h.from_seq);
	}
	if (seq > v->h.to_seq)
		return juki_verify_fail(v, "line %ld: entry seq %" PRId64 " is beyond the header's to_seq %" PRId64,
					v->lineno, seq, v->h.to_seq);
	/* the fields of the log format: 1.0's all there, later ones only with a value */
	if (!jk_entry_check_fields(canon, clen, err, sizeof(err)))
		return juki_verify_fail(v, "line %ld: entry seq %" PRId64 ": %s", v->lineno, seq, err);

	jk_unhex(v->line, JK_HEX_LEN, stored, JK_HASH_LEN);
	if (!jk_chain_hash(prev, canon, clen, h))
		return juki_verify_fail(v, "internal error: SHA-256 failed");
	if (memcmp(h, stored, JK_HASH_LEN) != 0)
		return juki_verify_fail(v, "line %ld: entry seq %" PRId64 ": hash does not match its content (edited?)",
					v->lineno, seq);
	if (seq == 0 && memcmp(h, v->h.origin, JK_HASH_LEN) != 0)
		return juki_verify_fail(v, "line %ld: entry seq 0 (genesis) does not hash to the header's origin",
					v->lineno);
	w = juki_verify_wanted_find(v, seq);
	if (w != NULL)
	{
		memcpy(w->hash, h, JK_HASH_LEN);
		w->have = true;
	}
	memcpy(prev, h, JK_HASH_LEN);
	(*expect)++;
	v->r->entries++;
	return 0;
}

/*
 * A checkpoint line (where = "line N" or "FILE:N"): known key, good
 * signature, same chain, and, inside the export's range, the same hash.
 */
static int
verify_checkpoint(Verifier *v, const char *line, size_t len, const char *where)
{
	JkCheckpoint cp;
	char		err[JK_ERR_LEN];
	char		hex[JK_HEX_LEN + 1];
	size_t		i;
	bool		known = false;
	bool		good = false;
	WantedHash *w;

	if (!jk_checkpoint_parse(line, len, &cp, err, sizeof(err)))
		return juki_verify_fail(v, "%s: %s", where, err);
	for (i = 0; i < v->keys->n && !good; i++)
	{
		if (strcmp(v->keys->v[i].id, cp.key_id) != 0)
			continue;
		known = true;
		good = jk_ed25519_verify(v->keys->v[i].pub, line, cp.signed_len, cp.sig);
	}
	if (!known)
		return juki_verify_fail(v, "checkpoint at seq %" PRId64 " (%s): signed by unknown key %s",
					cp.seq, where, cp.key_id);
	if (!good)
		return juki_verify_fail(v, "checkpoint at seq %" PRId64 " (%s): bad signature (forged or altered)",
					cp.seq, where);
	if (memcmp(cp.origin, v->h.origin, JK_HASH_LEN) != 0)
	{
		jk_hex(cp.origin, JK_HASH_LEN, hex);
		return juki_verify_fail(v, "checkpoint at seq %" PRId64 " (%s): belongs to another chain "
					"(origin %.16s, the export's is %.16s)",
					cp.seq, where, hex, v->r->origin);
	}
	if (cp.seq < v->h.from_seq || cp.seq > v->h.to_seq)
	{
		juki_verify_note(v, "checkpoint at seq %" PRId64 " (%s) is not in this export (seq %" PRId64 "..%" PRId64 ")",
			 cp.seq, where, v->h.from_seq, v->h.to_seq);
		return 0;
	}
	w = juki_verify_wanted_find(v, cp.seq);
	if (w == NULL || !w->have)
		return juki_verify_fail(v, "internal error: no hash kept for entry seq %" PRId64, cp.seq);
	if (memcmp(w->hash, cp.hash, JK_HASH_LEN) != 0)
		return juki_verify_fail(v, "entry seq %" PRId64 " differs from the signed checkpoint (%s): "
					"the chain was rewritten", cp.seq, where);
	if (cp.seq == v->h.to_seq && !v->covered)
	{
		v->covered = true;
		memcpy(v->r->covered_key, cp.key_id, JK_KEYID_LEN + 1);
	}
	return 0;
}

/* All entries F..T seen?  (Called when the entry lines end.) */
static int
check_entries_complete(Verifier *v, int64_t expect, const char *how)
{
	if (expect <= v->h.to_seq)
	{
		if (expect == v->h.from_seq)
			return juki_verify_fail(v, "%s before entry seq %" PRId64 " (line %ld), header says to_seq %" PRId64 ": truncated",
						how, expect, v->lineno, v->h.to_seq);
		return juki_verify_fail(v, "%s at seq %" PRId64 " (line %ld), header says to_seq %" PRId64 ": truncated",
					how, expect - 1, v->lineno, v->h.to_seq);
	}
	return 0;
}

/* The trailer line: line count and SHA-256 of everything before it. */
static int
check_trailer(Verifier *v)
{
	const char *s = v->line;
	size_t		len = v->len;
	size_t		pos = strlen(TRAILER_PREFIX);
	size_t		start = pos;
	long long	n = 0;
	uint8_t		want[JK_HASH_LEN];
	uint8_t		got[JK_HASH_LEN];
	unsigned int glen = 0;
	int			rc;

	if (!juki_verify_starts_with(s, len, TRAILER_PREFIX))
		return juki_verify_fail(v, "line %ld: malformed trailer", v->lineno);
	while (pos < len && s[pos] >= '0' && s[pos] <= '9' && pos - start < 18)
		n = n * 10 + (s[pos++] - '0');
	if (pos == start || (s[start] == '0' && pos - start > 1) ||
		len - pos != strlen(" sha256=") + JK_HEX_LEN ||
		memcmp(s + pos, " sha256=", 8) != 0 ||
		!juki_verify_all_lower_hex(s + pos + 8, JK_HEX_LEN))
		return juki_verify_fail(v, "line %ld: malformed trailer (expected \"%s<N> sha256=<64 hex>\")",
					v->lineno, TRAILER_PREFIX);
	jk_unhex(s + pos + 8, JK_HEX_LEN, want, JK_HASH_LEN);
	if (n != v->ndigested)
		return juki_verify_fail(v, "line %ld: trailer says lines=%lld but %ld lines precede it (lines added or removed)",
					v->lineno, n, v->ndigested);
	if (EVP_DigestFinal_ex(v->digest, got, &glen) != 1 || glen != JK_HASH_LEN)
	{
		ERR_clear_error();
		return juki_verify_fail(v, "internal error: SHA-256 failed");
	}
	if (memcmp(got, want, JK_HASH_LEN) != 0)
		return juki_verify_fail(v, "line %ld: trailer sha256 does not match lines 1-%ld (the file was altered)",
					v->lineno, v->ndigested);
	rc = juki_verify_read_line(v);
	if (rc < 0)
		return juki_verify_fail(v, "read error: %s", strerror(errno));
	if (rc > 0)
		return juki_verify_fail(v, "line %ld: text after the %s trailer", v->lineno, JK_EXPORT_END_TAG);
	return 0;
}

/* Pass 2: header, entries, the export's checkpoints, trailer. */
static int
check_file(Verifier *v)
{
	int64_t		expect;
	uint8_t		prev[JK_HASH_LEN];
	bool		in_entries = true;
	char		where[64];
	int			rc;

	if (juki_verify_first_line(v) != 0)
		return 1;
	if (!v->newline)
		return juki_verify_fail(v, "line 1: no newline at the end of the line: truncated");
	if (v->len > 0 && v->line[v->len - 1] == '\r')
		return juki_verify_fail(v, "line 1: ends with a carriage return (CRLF line ends are not allowed)");
	juki_verify_detect_copy_escaping(v);
	if (juki_verify_parse_header(v) != 0 || digest_line(v) != 0)
		return 1;

	expect = v->h.from_seq;
	memcpy(prev, v->h.prev_hash, JK_HASH_LEN);
	for (;;)
	{
		rc = juki_verify_read_line(v);
		if (rc < 0)
			return juki_verify_fail(v, "read error: %s", strerror(errno));
		if (rc == 0)
			break;
		if (!v->newline)
			return juki_verify_fail(v, "line %ld: no newline at the end of the file: truncated", v->lineno);
		if (v->len > 0 && v->line[v->len - 1] == '\r')
			return juki_verify_fail(v, "line %ld: ends with a carriage return (CRLF line ends are not allowed)",
						v->lineno);
		if (juki_verify_starts_with(v->line, v->len, JK_EXPORT_END_TAG))
		{
			if (in_entries && check_entries_complete(v, expect, "entries end") != 0)
				return 1;
			return check_trailer(v);
		}
		if (in_entries && !juki_verify_starts_with(v->line, v->len, CHECKPOINT_PREFIX))
		{
			if (check_entry(v, &expect, prev) != 0)
				return 1;
		}
		else
		{
			if (in_entries && check_entries_complete(v, expect, "entries end") != 0)
				return 1;
			in_entries = false;
			if (!juki_verify_starts_with(v->line, v->len, CHECKPOINT_PREFIX))
				return juki_verify_fail(v, "line %ld: expected a checkpoint line or the %s trailer",
							v->lineno, JK_EXPORT_END_TAG);
			snprintf(where, sizeof(where), "line %ld", v->lineno);
			if (verify_checkpoint(v, v->line, v->len, where) != 0)
				return 1;
		}
		if (digest_line(v) != 0)
			return 1;
	}
	if (in_entries && check_entries_complete(v, expect, "file ends") != 0)
		return 1;
	return juki_verify_fail(v, "file ends after line %ld without the %s trailer: truncated",
				v->lineno, JK_EXPORT_END_TAG);
}

/*
 * The whole verification, separate from main() for the fuzz target: 0 if
 * valid, else 1 with r->message naming the first problem.
 */
int
juki_verify_export(FILE *f, const Keys *keys, const Checkpoints *extra, Report *r)
{
	Verifier	v;
	size_t		i;
	int			rc;

	memset(&v, 0, sizeof(v));
	v.f = f;
	v.keys = keys;
	v.r = r;
	r->message[0] = '\0';
	r->entries = 0;
	r->covered_key[0] = '\0';
	v.digest = EVP_MD_CTX_new();
	if (v.digest == NULL || EVP_DigestInit_ex(v.digest, EVP_sha256(), NULL) != 1)
	{
		rc = juki_verify_fail(&v, "internal error: SHA-256 unavailable");
		goto done;
	}

	rc = juki_verify_collect_wanted(&v, extra);
	if (rc == 0)
		rc = check_file(&v);
	for (i = 0; rc == 0 && i < extra->n; i++)
	{
		char		where[512];

		snprintf(where, sizeof(where), "%s:%ld", extra->v[i].file, extra->v[i].lineno);
		rc = verify_checkpoint(&v, extra->v[i].line, extra->v[i].len, where);
	}
	if (rc == 0 && !v.covered)
		rc = juki_verify_fail(&v, "no signed checkpoint covers seq %" PRId64 " (the export's last entry)",
				  v.h.to_seq);
done:
	EVP_MD_CTX_free(v.digest);
	ERR_clear_error();
	free(v.line);
	free(v.wanted);
	return rc;
}
