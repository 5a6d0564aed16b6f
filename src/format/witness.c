/*-------------------------------------------------------------------------
 * witness.c
 *		C2SP tlog-checkpoint bodies, opening signed checkpoints, the
 *		tlog-witness add-checkpoint request and the checks a witness makes
 *		before cosigning, and tlog-proof files (see note.h and
 *		doc/MERKLE.md).
 *
 * Free of PostgreSQL: only libc and OpenSSL's libcrypto (through note.c
 * and merkle.c).  No global state, no allocation, no aborts.
 *-------------------------------------------------------------------------
 */
#include "note.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool
fail(char *err, size_t errlen, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

static bool
fail(char *err, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* ASCII decimal without leading zeros ("0" alone allowed), <= INT64_MAX. */
static bool
parse_size(const char *s, size_t len, uint64_t *v)
{
	uint64_t	x = 0;
	size_t		i;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (x > ((uint64_t) INT64_MAX - (uint64_t) (s[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t) (s[i] - '0');
	}
	*v = x;
	return true;
}

/* One base64 line holding exactly one hash. */
static bool
parse_hash(const char *s, size_t len, uint8_t out[JUKI_HASH_LEN])
{
	size_t		n;

	return len == 44 &&
		juki_base64_decode(s, len, out, JUKI_HASH_LEN, &n, NULL, 0) &&
		n == JUKI_HASH_LEN;
}

/* A growing output buffer with a hard capacity. */
typedef struct Out
{
	char	   *buf;
	size_t		cap;
	size_t		len;
	bool		overflow;
} Out;

static void
out_add(Out *o, const char *s, size_t n)
{
	if (o->overflow || o->cap - o->len <= n)
	{
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
out_hash_line(Out *o, const uint8_t h[JUKI_HASH_LEN])
{
	char		b64[48];

	/* cannot fail: the buffer fits 44 characters */
	if (!juki_base64_encode(h, JUKI_HASH_LEN, b64, sizeof(b64), NULL, 0))
	{
		o->overflow = true;
		return;
	}
	out_add(o, b64, 44);
	out_add(o, "\n", 1);
}


/* ---------------------------------------------------------------------
 * Checkpoints
 * ---------------------------------------------------------------------
 */

bool
juki_checkpoint_parse(const char *text, size_t len, JukiCheckpoint *cp,
					  char *err, size_t errlen)
{
	const char *p = text;
	const char *end = text + len;
	const char *eol[3];
	int			i;

	if (len > JUKI_CHECKPOINT_MAX_LEN)
		return fail(err, errlen, "checkpoint is longer than %d bytes", JUKI_CHECKPOINT_MAX_LEN);
	if (len == 0 || text[len - 1] != '\n')
		return fail(err, errlen, "checkpoint does not end in a newline");
	for (i = 0; i < 3; i++)
	{
		eol[i] = memchr(p, '\n', (size_t) (end - p));
		if (eol[i] == NULL)
			return fail(err, errlen, "checkpoint has fewer than three lines");
		if (eol[i] == p)
			return fail(err, errlen, "checkpoint line %d is empty", i + 1);
		p = eol[i] + 1;
	}
	if (!juki_note_valid_text(text, len))
		return fail(err, errlen, "checkpoint is not valid UTF-8 or has a control character");
	cp->origin = text;
	cp->origin_len = (size_t) (eol[0] - text);
	if (!parse_size(eol[0] + 1, (size_t) (eol[1] - eol[0] - 1), &cp->size))
		return fail(err, errlen, "checkpoint tree size is not a decimal without leading zeros up to 2^63-1");
	if (!parse_hash(eol[1] + 1, (size_t) (eol[2] - eol[1] - 1), cp->root))
		return fail(err, errlen, "checkpoint root is not the base64 of 32 bytes");
	cp->ext = p;
	cp->ext_len = (size_t) (end - p);
	/* extension lines, if any, are non-empty */
	while (p < end)
	{
		const char *e = memchr(p, '\n', (size_t) (end - p));

		if (e == p)
			return fail(err, errlen, "checkpoint has an empty extension line");
		p = e + 1;
	}
	return true;
}

bool
juki_checkpoint_body(const char *origin, size_t origin_len, uint64_t size,
					 const uint8_t root[JUKI_HASH_LEN], const char *ext, size_t ext_len,
					 char *out, size_t outlen, size_t *bodylen, char *err, size_t errlen)
{
	Out			o = {out, outlen, 0, false};
	char		num[24];
	JukiCheckpoint cp;

	*bodylen = 0;
	/* juki's origin is also its key name: hold it to the key name rules */
	if (!juki_note_valid_name(origin, origin_len))
		return fail(err, errlen, "origin must be a valid key name (no spaces, no '+')");
	if (size > (uint64_t) INT64_MAX)
		return fail(err, errlen, "tree size is too large");
	if (outlen == 0)
		return fail(err, errlen, "checkpoint buffer too small");
	out[0] = '\0';
	out_add(&o, origin, origin_len);
	out_add(&o, "\n", 1);
	snprintf(num, sizeof(num), "%" PRIu64 "\n", size);
	out_add(&o, num, strlen(num));
	out_hash_line(&o, root);
	if (ext_len > 0)
		out_add(&o, ext, ext_len);
	if (o.overflow)
		return fail(err, errlen, "checkpoint buffer too small");
	/* whatever we write must read back (extension lines, control bytes) */
	if (!juki_checkpoint_parse(out, o.len, &cp, err, errlen))
		return false;
	*bodylen = o.len;
	return true;
}

JukiNoteStatus
juki_checkpoint_open(const char *msg, size_t len, const JukiNoteKey *log_key,
					 const JukiNoteKey *witnesses, int nwitnesses, JukiCheckpoint *cp,
					 bool *witnessed, uint64_t *times, char *err, size_t errlen)
{
	JukiNote	note;
	JukiNoteStatus st;
	int			i;

	for (i = 0; i < nwitnesses; i++)
	{
		if (witnessed != NULL)
			witnessed[i] = false;
		if (times != NULL)
			times[i] = 0;
	}
	/* the log's signature is required; others are ignored here */
	st = juki_note_open(msg, len, log_key, 1, &note, NULL, NULL, err, errlen);
	if (st != JUKI_NOTE_VERIFIED)
		return st;
	if (!juki_checkpoint_parse(note.text, note.text_len, cp, err, errlen))
		return JUKI_NOTE_MALFORMED;
	if (nwitnesses <= 0)
		return JUKI_NOTE_VERIFIED;
	/* cosignatures: none is fine, a failing one rejects the note */
	st = juki_note_open(msg, len, witnesses, nwitnesses, &note, witnessed, times,
						err, errlen);
	if (st == JUKI_NOTE_UNVERIFIED)
		return JUKI_NOTE_VERIFIED;
	return st;
}


/* ---------------------------------------------------------------------
 * tlog-witness add-checkpoint
 * ---------------------------------------------------------------------
 */

/*
 * Hash lines from *p up to an empty line (consumed); at most max.  Shared
 * by add-checkpoint requests and tlog-proof files.
 */
static bool
parse_hash_lines(const char **pp, const char *end, uint8_t (*hashes)[JUKI_HASH_LEN],
				 int max, int *n, char *err, size_t errlen)
{
	const char *p = *pp;

	*n = 0;
	for (;;)
	{
		const char *eol = memchr(p, '\n', (size_t) (end - p));

		if (eol == NULL)
			return fail(err, errlen, "no empty line before the checkpoint");
		if (eol == p)
		{
			*pp = eol + 1;
			return true;
		}
		if (*n >= max)
			return fail(err, errlen, "more than %d proof lines", max);
		if (!parse_hash(p, (size_t) (eol - p), hashes[*n]))
			return fail(err, errlen, "proof line %d is not the base64 of 32 bytes", *n + 1);
		(*n)++;
		p = eol + 1;
	}
}

bool
juki_witness_parse_request(const char *body, size_t len, JukiWitnessRequest *req,
						   char *err, size_t errlen)
{
	const char *p = body;
	const char *end = body + len;
	const char *eol;

	req->old_size = 0;
	req->nproof = 0;
	req->note = NULL;
	req->note_len = 0;
	if (len > JUKI_NOTE_MAX_LEN + 4096)
		return fail(err, errlen, "request is too long");
	eol = memchr(p, '\n', len);
	if (eol == NULL || eol - p < 5 || memcmp(p, "old ", 4) != 0 ||
		!parse_size(p + 4, (size_t) (eol - p - 4), &req->old_size))
		return fail(err, errlen, "request does not start with \"old <size>\"");
	p = eol + 1;
	if (!parse_hash_lines(&p, end, req->proof, JUKI_WITNESS_MAX_PROOF, &req->nproof,
						  err, errlen))
		return false;
	if (p == end)
		return fail(err, errlen, "request has no checkpoint");
	req->note = p;
	req->note_len = (size_t) (end - p);
	return true;
}

bool
juki_witness_format_request(uint64_t old_size, const uint8_t (*proof)[JUKI_HASH_LEN],
							int nproof, const char *note, size_t note_len,
							char *out, size_t outlen, size_t *reqlen,
							char *err, size_t errlen)
{
	Out			o = {out, outlen, 0, false};
	char		num[32];
	int			i;

	*reqlen = 0;
	if (nproof < 0 || nproof > JUKI_WITNESS_MAX_PROOF || old_size > (uint64_t) INT64_MAX)
		return fail(err, errlen, "bad old size or proof length");
	if (outlen == 0)
		return fail(err, errlen, "request buffer too small");
	out[0] = '\0';
	snprintf(num, sizeof(num), "old %" PRIu64 "\n", old_size);
	out_add(&o, num, strlen(num));
	for (i = 0; i < nproof; i++)
		out_hash_line(&o, proof[i]);
	out_add(&o, "\n", 1);
	out_add(&o, note, note_len);
	if (o.overflow)
		return fail(err, errlen, "request buffer too small");
	*reqlen = o.len;
	return true;
}

JukiWitnessStatus
juki_witness_check(JukiHasher *h, const JukiWitnessLog *logs, int nlogs,
				   const JukiWitnessRequest *req, JukiCheckpoint *cp, int *log_index,
				   uint64_t *known_size, char *err, size_t errlen)
{
	JukiNote	note;
	const JukiWitnessLog *log = NULL;
	JukiNoteStatus st;
	uint64_t	stored_size;
	const uint8_t *stored_root;
	int			i;

	*log_index = -1;
	*known_size = 0;
	if (!juki_note_parse(req->note, req->note_len, &note, err, errlen) ||
		!juki_checkpoint_parse(note.text, note.text_len, cp, err, errlen))
		return JUKI_WITNESS_BAD_REQUEST;
	for (i = 0; i < nlogs; i++)
	{
		if (logs[i].origin_len == cp->origin_len &&
			memcmp(logs[i].origin, cp->origin, cp->origin_len) == 0)
		{
			log = &logs[i];
			*log_index = i;
			break;
		}
	}
	if (log == NULL)
	{
		fail(err, errlen, "unknown origin");
		return JUKI_WITNESS_UNKNOWN_ORIGIN;
	}
	st = juki_note_open(req->note, req->note_len, log->keys, log->nkeys, &note,
						NULL, NULL, err, errlen);
	if (st == JUKI_NOTE_ERROR)
		return JUKI_WITNESS_ERROR;
	if (st == JUKI_NOTE_MALFORMED)
		return JUKI_WITNESS_BAD_REQUEST;
	if (st != JUKI_NOTE_VERIFIED)
		return JUKI_WITNESS_BAD_SIGNATURE;
	if (req->old_size > cp->size)
	{
		fail(err, errlen, "old size %" PRIu64 " is larger than the checkpoint's %" PRIu64,
			 req->old_size, cp->size);
		return JUKI_WITNESS_BAD_REQUEST;
	}
	stored_size = log->has_state ? log->size : 0;
	stored_root = log->has_state ? log->root : juki_merkle_empty_root;
	if (req->old_size != stored_size)
	{
		*known_size = stored_size;
		fail(err, errlen, "old size %" PRIu64 " is not the latest cosigned size %" PRIu64,
			 req->old_size, stored_size);
		return JUKI_WITNESS_CONFLICT;
	}
	if (req->old_size == 0 || req->old_size == cp->size)
	{
		/* the proof must be empty; equal sizes must have equal roots */
		if (req->nproof != 0)
		{
			fail(err, errlen, "consistency proof must be empty");
			return JUKI_WITNESS_BAD_PROOF;
		}
		if (req->old_size == cp->size &&
			memcmp(stored_root, cp->root, JUKI_HASH_LEN) != 0)
		{
			*known_size = stored_size;
			fail(err, errlen, "same size %" PRIu64 " with another root", cp->size);
			return JUKI_WITNESS_CONFLICT;
		}
		return JUKI_WITNESS_OK;
	}
	if (!juki_merkle_verify_consistency(h, req->old_size, cp->size, stored_root, cp->root,
										(const uint8_t (*)[JUKI_HASH_LEN]) req->proof,
										req->nproof, err, errlen))
		return JUKI_WITNESS_BAD_PROOF;
	return JUKI_WITNESS_OK;
}


/* ---------------------------------------------------------------------
 * tlog-proof
 * ---------------------------------------------------------------------
 */

bool
juki_tlog_proof_parse(const char *text, size_t len, JukiTlogProof *pr,
					  char *err, size_t errlen)
{
	const char *p = text;
	const char *end = text + len;
	const char *eol;
	static const size_t hlen = sizeof(JUKI_TLOG_PROOF_HEADER) - 1;
	size_t		n;

	pr->extra = NULL;
	pr->extra_len = 0;
	pr->index = 0;
	pr->nproof = 0;
	pr->note = NULL;
	pr->note_len = 0;
	if (len > JUKI_NOTE_MAX_LEN + 65536)
		return fail(err, errlen, "proof file is too long");
	eol = memchr(p, '\n', len);
	if (eol == NULL || (size_t) (eol - p) != hlen || memcmp(p, JUKI_TLOG_PROOF_HEADER, hlen) != 0)
		return fail(err, errlen, "proof does not start with \"%s\"", JUKI_TLOG_PROOF_HEADER);
	p = eol + 1;
	eol = memchr(p, '\n', (size_t) (end - p));
	if (eol != NULL && eol - p >= 6 && memcmp(p, "extra ", 6) == 0)
	{
		if (!juki_base64_decode(p + 6, (size_t) (eol - p - 6), NULL, 0, &n, err, errlen))
			return false;
		pr->extra = p + 6;
		pr->extra_len = (size_t) (eol - p - 6);
		p = eol + 1;
		eol = memchr(p, '\n', (size_t) (end - p));
	}
	if (eol == NULL || eol - p < 7 || memcmp(p, "index ", 6) != 0 ||
		!parse_size(p + 6, (size_t) (eol - p - 6), &pr->index))
		return fail(err, errlen, "proof has no \"index <n>\" line");
	p = eol + 1;
	if (!parse_hash_lines(&p, end, pr->proof, JUKI_MERKLE_MAX_PROOF, &pr->nproof,
						  err, errlen))
		return false;
	if (p == end)
		return fail(err, errlen, "proof has no checkpoint");
	pr->note = p;
	pr->note_len = (size_t) (end - p);
	return true;
}

bool
juki_tlog_proof_format(const JukiTlogProof *pr, char *out, size_t outlen,
					   size_t *textlen, char *err, size_t errlen)
{
	Out			o = {out, outlen, 0, false};
	char		num[32];
	size_t		n;
	int			i;

	*textlen = 0;
	if (pr->nproof < 0 || pr->nproof > JUKI_MERKLE_MAX_PROOF ||
		pr->index > (uint64_t) INT64_MAX)
		return fail(err, errlen, "bad index or proof length");
	if (pr->extra != NULL &&
		!juki_base64_decode(pr->extra, pr->extra_len, NULL, 0, &n, err, errlen))
		return false;
	if (outlen == 0)
		return fail(err, errlen, "proof buffer too small");
	out[0] = '\0';
	out_add(&o, JUKI_TLOG_PROOF_HEADER "\n", sizeof(JUKI_TLOG_PROOF_HEADER));
	if (pr->extra != NULL)
	{
		out_add(&o, "extra ", 6);
		out_add(&o, pr->extra, pr->extra_len);
		out_add(&o, "\n", 1);
	}
	snprintf(num, sizeof(num), "index %" PRIu64 "\n", pr->index);
	out_add(&o, num, strlen(num));
	for (i = 0; i < pr->nproof; i++)
		out_hash_line(&o, pr->proof[i]);
	out_add(&o, "\n", 1);
	out_add(&o, pr->note, pr->note_len);
	if (o.overflow)
		return fail(err, errlen, "proof buffer too small");
	*textlen = o.len;
	return true;
}
