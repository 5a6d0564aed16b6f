/*-------------------------------------------------------------------------
 * juki_verify.c
 *		Verify a juki export file (chain.h, DESIGN §7.6) without a database.
 *
 *   juki_verify --key PUBKEY.pem [--key ...] [--checkpoint FILE ...]
 *               [--quiet] EXPORT_FILE
 *
 * Checks the header, that entries F..T are all present in order, that each
 * entry has the fields of the log format (chain.h: every 1.0 field, only
 * fields it knows, later fields never null), that each line's hash is
 * SHA-256(previous hash || canonical entry), every checkpoint
 * (in the export and in the --checkpoint files) against the given keys and
 * the entries, that one valid checkpoint is at T, and the trailer.  Prints
 * "OK: ..." or "FAIL: ..." on stdout; exits 0 only if the export is valid.
 * Usage errors and unreadable inputs go to stderr, exit 1.
 *
 * Memory does not grow with the number of entries: a first pass over the
 * file collects the seqs that checkpoints name, and the second pass keeps
 * only the entry hashes at those seqs.  Input that cannot be rewound (a
 * pipe) is first copied to a temporary file.
 *
 * verify_export() holds all of the logic and touches nothing global, so a
 * fuzz target can call it on an fmemopen()ed buffer.
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

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#define TRAILER_PREFIX	JK_EXPORT_END_TAG " lines="
#define CHECKPOINT_PREFIX	JK_CHECKPOINT_TAG " "

typedef struct Key
{
	uint8_t		pub[JK_PUBKEY_LEN];
	char		id[JK_KEYID_LEN + 1];
} Key;

typedef struct Keys
{
	Key		   *v;
	size_t		n;
} Keys;

/* A checkpoint line from a --checkpoint file, with where it came from. */
typedef struct ExtraCheckpoint
{
	char	   *line;
	size_t		len;
	const char *file;
	long		lineno;
} ExtraCheckpoint;

typedef struct Checkpoints
{
	ExtraCheckpoint *v;
	size_t		n;
} Checkpoints;

/* What verify_export found; message is set when it fails. */
typedef struct Report
{
	FILE	   *notes;			/* informational notes, or NULL */
	char		message[1024];
	int64_t		entries;
	int64_t		from_seq;
	int64_t		to_seq;
	char		origin[JK_HEX_LEN + 1];
	char		covered_key[JK_KEYID_LEN + 1];
} Report;

typedef struct Header
{
	int64_t		from_seq;
	int64_t		to_seq;
	uint8_t		origin[JK_HASH_LEN];
	uint8_t		prev_hash[JK_HASH_LEN];
	char		exported_at[JK_TS_LEN + 1];
} Header;

/* An entry hash that some checkpoint will be compared with. */
typedef struct WantedHash
{
	int64_t		seq;
	bool		have;
	uint8_t		hash[JK_HASH_LEN];
} WantedHash;

typedef struct Verifier
{
	FILE	   *f;
	const Keys *keys;
	Report	   *r;
	/* current line (COPY escaping undone, '\n' removed, NUL-terminated) */
	char	   *line;
	size_t		cap;
	size_t		len;
	long		lineno;
	bool		newline;		/* the line ended with '\n' */
	bool		copy_escaped;
	Header		h;
	WantedHash *wanted;
	size_t		nwanted;
	size_t		capwanted;
	EVP_MD_CTX *digest;			/* over lines 1..3, for the trailer */
	long		ndigested;
	bool		covered;
} Verifier;

static int	verify_export(FILE *f, const Keys *keys, const Checkpoints *extra,
						  Report *r);

/* The allocator given to JkBuf: the tool simply stops on out-of-memory. */
static void *
xrealloc(void *p, size_t n)
{
	void	   *r = realloc(p, n);

	if (r == NULL)
	{
		fprintf(stderr, "juki_verify: out of memory\n");
		exit(1);
	}
	return r;
}

/* Record the first failure; always returns 1 so callers can return it. */
static int
fail(Verifier *v, const char *fmt,...) __attribute__((format(printf, 2, 3)));
static int
fail(Verifier *v, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(v->r->message, sizeof(v->r->message), fmt, ap);
	va_end(ap);
	return 1;
}

static void
note(Verifier *v, const char *fmt,...) __attribute__((format(printf, 2, 3)));
static void
note(Verifier *v, const char *fmt,...)
{
	va_list		ap;

	if (v->r->notes == NULL)
		return;
	fputs("note: ", v->r->notes);
	va_start(ap, fmt);
	vfprintf(v->r->notes, fmt, ap);
	va_end(ap);
	fputc('\n', v->r->notes);
}

static bool
starts_with(const char *s, size_t len, const char *prefix)
{
	size_t		n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

static bool
contains(const char *s, size_t len, const char *sub)
{
	size_t		n = strlen(sub);
	size_t		i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(s + i, sub, n) == 0)
			return true;
	return false;
}

static bool
all_lower_hex(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool
is_octal(char c)
{
	return c >= '0' && c <= '7';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Undo COPY's text-format escaping in place (PostgreSQL docs, COPY "File
 * Formats"); returns the new length.  Any other backslashed character
 * stands for itself, as COPY FROM reads it.
 */
static size_t
copy_unescape(char *s, size_t len)
{
	size_t		i = 0;
	size_t		o = 0;

	while (i < len)
	{
		char		c = s[i++];
		int			val;
		int			k;

		if (c != '\\' || i >= len)
		{
			s[o++] = c;
			continue;
		}
		c = s[i++];
		switch (c)
		{
			case 'b':
				s[o++] = '\b';
				break;
			case 'f':
				s[o++] = '\f';
				break;
			case 'n':
				s[o++] = '\n';
				break;
			case 'r':
				s[o++] = '\r';
				break;
			case 't':
				s[o++] = '\t';
				break;
			case 'v':
				s[o++] = '\v';
				break;
			case 'x':
				if (i < len && hexval(s[i]) >= 0)
				{
					val = hexval(s[i++]);
					if (i < len && hexval(s[i]) >= 0)
						val = val * 16 + hexval(s[i++]);
					s[o++] = (char) val;
				}
				else
					s[o++] = 'x';
				break;
			default:
				if (is_octal(c))
				{
					val = c - '0';
					for (k = 0; k < 2 && i < len && is_octal(s[i]); k++)
						val = val * 8 + (s[i++] - '0');
					s[o++] = (char) (val & 0xff);
				}
				else
					s[o++] = c;
				break;
		}
	}
	return o;
}

/* Next line into v->line; 1 = got one, 0 = end of file, -1 = read error. */
static int
read_line(Verifier *v)
{
	ssize_t		n;

	errno = 0;
	n = getline(&v->line, &v->cap, v->f);
	if (n < 0)
		return (ferror(v->f) || errno == ENOMEM) ? -1 : 0;
	v->lineno++;
	v->len = (size_t) n;
	v->newline = (n > 0 && v->line[n - 1] == '\n');
	if (v->newline)
		v->len--;
	if (v->copy_escaped)
		v->len = copy_unescape(v->line, v->len);
	v->line[v->len] = '\0';
	return 1;
}

/*
 * The header in the raw file shows whether COPY escaping was applied: its
 * probe, one backslash in JSON ("\\"), then reads "\\\\".
 */
static void
detect_copy_escaping(Verifier *v)
{
	v->copy_escaped = contains(v->line, v->len, "\"probe\":\"\\\\\\\\\"");
	if (v->copy_escaped)
	{
		v->len = copy_unescape(v->line, v->len);
		v->line[v->len] = '\0';
	}
}

static int
wanted_cmp(const void *a, const void *b)
{
	const WantedHash *x = a;
	const WantedHash *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void
wanted_add(Verifier *v, int64_t seq)
{
	if (v->nwanted == v->capwanted)
	{
		v->capwanted = v->capwanted ? 2 * v->capwanted : 16;
		v->wanted = xrealloc(v->wanted, v->capwanted * sizeof(WantedHash));
	}
	memset(&v->wanted[v->nwanted], 0, sizeof(WantedHash));
	v->wanted[v->nwanted++].seq = seq;
}

static WantedHash *
wanted_find(Verifier *v, int64_t seq)
{
	WantedHash	key;

	if (v->nwanted == 0)
		return NULL;
	key.seq = seq;
	return bsearch(&key, v->wanted, v->nwanted, sizeof(WantedHash), wanted_cmp);
}

/* Pass 1: the seqs named by any checkpoint, whose entry hashes we keep. */
static int
collect_wanted(Verifier *v, const Checkpoints *extra)
{
	JkCheckpoint cp;
	char		err[JK_ERR_LEN];
	size_t		i;
	size_t		o;
	int			rc;

	if (fseeko(v->f, 0, SEEK_SET) != 0)
		return fail(v, "cannot rewind the export file: %s", strerror(errno));
	v->lineno = 0;
	v->copy_escaped = false;
	rc = read_line(v);
	if (rc < 0)
		return fail(v, "read error: %s", strerror(errno));
	if (rc == 0)
		return fail(v, "line 1: the file is empty");
	detect_copy_escaping(v);
	while ((rc = read_line(v)) > 0)
	{
		if (starts_with(v->line, v->len, CHECKPOINT_PREFIX) &&
			jk_checkpoint_parse(v->line, v->len, &cp, err, sizeof(err)))
			wanted_add(v, cp.seq);
	}
	if (rc < 0)
		return fail(v, "read error: %s", strerror(errno));
	for (i = 0; i < extra->n; i++)
		if (jk_checkpoint_parse(extra->v[i].line, extra->v[i].len, &cp,
								err, sizeof(err)))
			wanted_add(v, cp.seq);

	if (v->nwanted > 0)
	{
		qsort(v->wanted, v->nwanted, sizeof(WantedHash), wanted_cmp);
		for (i = 1, o = 1; i < v->nwanted; i++)
			if (v->wanted[i].seq != v->wanted[o - 1].seq)
				v->wanted[o++] = v->wanted[i];
		v->nwanted = o;
	}
	return 0;
}

/* End of a JSON value starting at pos in text known to be canonical. */
static size_t
skip_json_value(const char *s, size_t len, size_t pos)
{
	int			depth = 0;

	do
	{
		char		c;

		if (pos >= len)
			break;
		c = s[pos];
		if (c == '"')
		{
			pos++;
			while (pos < len && s[pos] != '"')
				pos += (s[pos] == '\\') ? 2 : 1;
			pos++;
		}
		else if (c == '{' || c == '[')
		{
			depth++;
			pos++;
		}
		else if (c == '}' || c == ']')
		{
			depth--;
			pos++;
		}
		else if (c == ',' || c == ':')
			pos++;
		else
		{
			while (pos < len && s[pos] != ',' && s[pos] != '}' && s[pos] != ']')
				pos++;
		}
	} while (depth > 0);
	return pos;
}

/* A canonical JSON integer (the text is already known to be valid). */
static bool
json_int(const char *s, size_t len, int64_t *out)
{
	char		tmp[32];
	char	   *end;
	long long	v;

	if (len == 0 || len >= sizeof(tmp) ||
		!(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = (int64_t) v;
	return true;
}

/* A JSON string value holding exactly 64 lower-case hex digits. */
static bool
json_hex_hash(const char *s, size_t len, uint8_t out[JK_HASH_LEN])
{
	return len == JK_HEX_LEN + 2 && s[0] == '"' && s[len - 1] == '"' &&
		all_lower_hex(s + 1, JK_HEX_LEN) &&
		jk_unhex(s + 1, JK_HEX_LEN, out, JK_HASH_LEN);
}

/* Line 1: canonical JSON with exactly the documented keys and values. */
static int
parse_header(Verifier *v)
{
	static const char *const names[] = {"exported_at", "format", "from_seq",
	"origin", "prev_hash", "probe", "to_seq"};
	const int	nnames = 7;
	const char *s = v->line;
	size_t		len = v->len;
	JkBuf		c;
	char		err[JK_ERR_LEN];
	bool		same;
	unsigned	seen = 0;
	size_t		pos;
	int			i;
	int64_t		ts_us;
	static const uint8_t zero[JK_HASH_LEN] = {0};

	jk_buf_init(&c, xrealloc);
	if (!jk_json_canonicalize(s, len, &c, err, sizeof(err)))
	{
		free(c.data);
		return fail(v, "line 1: header is not valid JSON: %s", err);
	}
	same = (c.len == len && memcmp(c.data, s, len) == 0);
	free(c.data);
	if (!same)
		return fail(v, "line 1: header is not in canonical form");
	if (s[0] != '{')
		return fail(v, "line 1: header is not a JSON object");

	pos = 1;
	while (pos < len && s[pos] == '"')
	{
		size_t		kstart = pos + 1;
		size_t		klen;
		size_t		vstart;
		size_t		vlen;
		const char *val;

		pos = skip_json_value(s, len, pos);
		klen = pos - kstart - 1;
		pos++;					/* ':' */
		vstart = pos;
		pos = skip_json_value(s, len, pos);
		vlen = pos - vstart;
		val = s + vstart;
		for (i = 0; i < nnames; i++)
			if (strlen(names[i]) == klen && memcmp(names[i], s + kstart, klen) == 0)
				break;
		if (i == nnames)
			return fail(v, "line 1: header has an unexpected key \"%.*s\"",
						(int) klen, s + kstart);
		seen |= 1u << i;
		switch (i)
		{
			case 0:				/* exported_at */
				if (vlen != JK_TS_LEN + 2 || val[0] != '"' ||
					!jk_parse_ts(val + 1, JK_TS_LEN, &ts_us))
					return fail(v, "line 1: header exported_at is not a timestamp");
				memcpy(v->h.exported_at, val + 1, JK_TS_LEN);
				v->h.exported_at[JK_TS_LEN] = '\0';
				break;
			case 1:				/* format */
				if (vlen != strlen(JK_EXPORT_FORMAT) + 2 ||
					memcmp(val + 1, JK_EXPORT_FORMAT, vlen - 2) != 0)
					return fail(v, "line 1: unsupported export format %.*s (expected \"%s\")",
								(int) (vlen > 80 ? 80 : vlen), val, JK_EXPORT_FORMAT);
				break;
			case 2:				/* from_seq */
				if (!json_int(val, vlen, &v->h.from_seq) || v->h.from_seq < 0)
					return fail(v, "line 1: header from_seq is not a non-negative integer");
				break;
			case 3:				/* origin */
				if (!json_hex_hash(val, vlen, v->h.origin))
					return fail(v, "line 1: header origin is not 64 lower-case hex digits");
				break;
			case 4:				/* prev_hash */
				if (!json_hex_hash(val, vlen, v->h.prev_hash))
					return fail(v, "line 1: header prev_hash is not 64 lower-case hex digits");
				break;
			case 5:				/* probe */
				if (vlen != 4 || memcmp(val, "\"\\\\\"", 4) != 0)
					return fail(v, "line 1: header probe is not one backslash (file mangled in transit?)");
				break;
			case 6:				/* to_seq */
				if (!json_int(val, vlen, &v->h.to_seq) || v->h.to_seq < 0 ||
					v->h.to_seq == INT64_MAX)
					return fail(v, "line 1: header to_seq is not a valid seq");
				break;
		}
		if (pos < len && s[pos] == ',')
			pos++;
	}
	for (i = 0; i < nnames; i++)
		if (!(seen & (1u << i)))
			return fail(v, "line 1: header lacks \"%s\"", names[i]);
	if (v->h.from_seq > v->h.to_seq)
		return fail(v, "line 1: header from_seq %" PRId64 " is after to_seq %" PRId64,
					v->h.from_seq, v->h.to_seq);
	if (v->h.from_seq == 0 && memcmp(v->h.prev_hash, zero, JK_HASH_LEN) != 0)
		return fail(v, "line 1: header prev_hash must be 32 zero bytes when from_seq is 0");

	v->r->from_seq = v->h.from_seq;
	v->r->to_seq = v->h.to_seq;
	jk_hex(v->h.origin, JK_HASH_LEN, v->r->origin);
	return 0;
}

/* Feed the current line and its '\n' to the trailer digest. */
static int
digest_line(Verifier *v)
{
	if (EVP_DigestUpdate(v->digest, v->line, v->len) != 1 ||
		EVP_DigestUpdate(v->digest, "\n", 1) != 1)
	{
		ERR_clear_error();
		return fail(v, "internal error: SHA-256 failed");
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

	while (read_line(v) > 0)
	{
		if (starts_with(v->line, v->len, CHECKPOINT_PREFIX) ||
			starts_with(v->line, v->len, JK_EXPORT_END_TAG))
			break;
		if (v->len > JK_HEX_LEN + 1 && v->line[JK_HEX_LEN] == ' ' &&
			jk_entry_seq(v->line + JK_HEX_LEN + 1, v->len - JK_HEX_LEN - 1,
						 &seq, err, sizeof(err)) &&
			seq == expect)
			return fail(v, "line %ld: entry seq %" PRId64 " is out of order: "
						"it should come before seq %" PRId64 " (line %ld)",
						v->lineno, expect, got, at);
	}
	return fail(v, "entry seq %" PRId64 " is missing (line %ld has seq %" PRId64 ")",
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
		!all_lower_hex(v->line, JK_HEX_LEN))
		return fail(v, "line %ld (where entry seq %" PRId64 " was expected): "
					"not an entry line (<64 lower-case hex> <canonical JSON>)",
					v->lineno, *expect);
	clen = v->len - JK_HEX_LEN - 1;
	if (!jk_entry_seq(canon, clen, &seq, err, sizeof(err)))
		return fail(v, "line %ld (where entry seq %" PRId64 " was expected): %s",
					v->lineno, *expect, err);
	if (seq != *expect)
	{
		if (seq > *expect && *expect <= v->h.to_seq)
			return report_gap(v, *expect, seq);
		if (seq > v->h.to_seq)
			return fail(v, "line %ld: entry seq %" PRId64 " is beyond the header's to_seq %" PRId64,
						v->lineno, seq, v->h.to_seq);
		if (seq >= v->h.from_seq)
			return fail(v, "line %ld: entry seq %" PRId64 " is a duplicate (seq %" PRId64 " was expected)",
						v->lineno, seq, *expect);
		return fail(v, "line %ld: entry seq %" PRId64 " is before the header's from_seq %" PRId64,
					v->lineno, seq, v->h.from_seq);
	}
	if (seq > v->h.to_seq)
		return fail(v, "line %ld: entry seq %" PRId64 " is beyond the header's to_seq %" PRId64,
					v->lineno, seq, v->h.to_seq);
	/* the fields of the log format: 1.0's all there, later ones only with a value */
	if (!jk_entry_check_fields(canon, clen, err, sizeof(err)))
		return fail(v, "line %ld: entry seq %" PRId64 ": %s", v->lineno, seq, err);

	jk_unhex(v->line, JK_HEX_LEN, stored, JK_HASH_LEN);
	if (!jk_chain_hash(prev, canon, clen, h))
		return fail(v, "internal error: SHA-256 failed");
	if (memcmp(h, stored, JK_HASH_LEN) != 0)
		return fail(v, "line %ld: entry seq %" PRId64 ": hash does not match its content (edited?)",
					v->lineno, seq);
	if (seq == 0 && memcmp(h, v->h.origin, JK_HASH_LEN) != 0)
		return fail(v, "line %ld: entry seq 0 (genesis) does not hash to the header's origin",
					v->lineno);
	w = wanted_find(v, seq);
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
		return fail(v, "%s: %s", where, err);
	for (i = 0; i < v->keys->n && !good; i++)
	{
		if (strcmp(v->keys->v[i].id, cp.key_id) != 0)
			continue;
		known = true;
		good = jk_ed25519_verify(v->keys->v[i].pub, line, cp.signed_len, cp.sig);
	}
	if (!known)
		return fail(v, "checkpoint at seq %" PRId64 " (%s): signed by unknown key %s",
					cp.seq, where, cp.key_id);
	if (!good)
		return fail(v, "checkpoint at seq %" PRId64 " (%s): bad signature (forged or altered)",
					cp.seq, where);
	if (memcmp(cp.origin, v->h.origin, JK_HASH_LEN) != 0)
	{
		jk_hex(cp.origin, JK_HASH_LEN, hex);
		return fail(v, "checkpoint at seq %" PRId64 " (%s): belongs to another chain "
					"(origin %.16s, the export's is %.16s)",
					cp.seq, where, hex, v->r->origin);
	}
	if (cp.seq < v->h.from_seq || cp.seq > v->h.to_seq)
	{
		note(v, "checkpoint at seq %" PRId64 " (%s) is not in this export (seq %" PRId64 "..%" PRId64 ")",
			 cp.seq, where, v->h.from_seq, v->h.to_seq);
		return 0;
	}
	w = wanted_find(v, cp.seq);
	if (w == NULL || !w->have)
		return fail(v, "internal error: no hash kept for entry seq %" PRId64, cp.seq);
	if (memcmp(w->hash, cp.hash, JK_HASH_LEN) != 0)
		return fail(v, "entry seq %" PRId64 " differs from the signed checkpoint (%s): "
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
			return fail(v, "%s before entry seq %" PRId64 " (line %ld), header says to_seq %" PRId64 ": truncated",
						how, expect, v->lineno, v->h.to_seq);
		return fail(v, "%s at seq %" PRId64 " (line %ld), header says to_seq %" PRId64 ": truncated",
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

	if (!starts_with(s, len, TRAILER_PREFIX))
		return fail(v, "line %ld: malformed trailer", v->lineno);
	while (pos < len && s[pos] >= '0' && s[pos] <= '9' && pos - start < 18)
		n = n * 10 + (s[pos++] - '0');
	if (pos == start || (s[start] == '0' && pos - start > 1) ||
		len - pos != strlen(" sha256=") + JK_HEX_LEN ||
		memcmp(s + pos, " sha256=", 8) != 0 ||
		!all_lower_hex(s + pos + 8, JK_HEX_LEN))
		return fail(v, "line %ld: malformed trailer (expected \"%s<N> sha256=<64 hex>\")",
					v->lineno, TRAILER_PREFIX);
	jk_unhex(s + pos + 8, JK_HEX_LEN, want, JK_HASH_LEN);
	if (n != v->ndigested)
		return fail(v, "line %ld: trailer says lines=%lld but %ld lines precede it (lines added or removed)",
					v->lineno, n, v->ndigested);
	if (EVP_DigestFinal_ex(v->digest, got, &glen) != 1 || glen != JK_HASH_LEN)
	{
		ERR_clear_error();
		return fail(v, "internal error: SHA-256 failed");
	}
	if (memcmp(got, want, JK_HASH_LEN) != 0)
		return fail(v, "line %ld: trailer sha256 does not match lines 1-%ld (the file was altered)",
					v->lineno, v->ndigested);
	rc = read_line(v);
	if (rc < 0)
		return fail(v, "read error: %s", strerror(errno));
	if (rc > 0)
		return fail(v, "line %ld: text after the %s trailer", v->lineno, JK_EXPORT_END_TAG);
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

	if (fseeko(v->f, 0, SEEK_SET) != 0)
		return fail(v, "cannot rewind the export file: %s", strerror(errno));
	v->lineno = 0;
	v->copy_escaped = false;
	rc = read_line(v);
	if (rc < 0)
		return fail(v, "read error: %s", strerror(errno));
	if (rc == 0)
		return fail(v, "line 1: the file is empty");
	if (!v->newline)
		return fail(v, "line 1: no newline at the end of the line: truncated");
	if (v->len > 0 && v->line[v->len - 1] == '\r')
		return fail(v, "line 1: ends with a carriage return (CRLF line ends are not allowed)");
	detect_copy_escaping(v);
	if (parse_header(v) != 0 || digest_line(v) != 0)
		return 1;

	expect = v->h.from_seq;
	memcpy(prev, v->h.prev_hash, JK_HASH_LEN);
	for (;;)
	{
		rc = read_line(v);
		if (rc < 0)
			return fail(v, "read error: %s", strerror(errno));
		if (rc == 0)
			break;
		if (!v->newline)
			return fail(v, "line %ld: no newline at the end of the file: truncated", v->lineno);
		if (v->len > 0 && v->line[v->len - 1] == '\r')
			return fail(v, "line %ld: ends with a carriage return (CRLF line ends are not allowed)",
						v->lineno);
		if (starts_with(v->line, v->len, JK_EXPORT_END_TAG))
		{
			if (in_entries && check_entries_complete(v, expect, "entries end") != 0)
				return 1;
			return check_trailer(v);
		}
		if (in_entries && !starts_with(v->line, v->len, CHECKPOINT_PREFIX))
		{
			if (check_entry(v, &expect, prev) != 0)
				return 1;
		}
		else
		{
			if (in_entries && check_entries_complete(v, expect, "entries end") != 0)
				return 1;
			in_entries = false;
			if (!starts_with(v->line, v->len, CHECKPOINT_PREFIX))
				return fail(v, "line %ld: expected a checkpoint line or the %s trailer",
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
	return fail(v, "file ends after line %ld without the %s trailer: truncated",
				v->lineno, JK_EXPORT_END_TAG);
}

/*
 * The whole verification, separate from main() for the fuzz target: 0 if
 * valid, else 1 with r->message naming the first problem.
 */
static int
verify_export(FILE *f, const Keys *keys, const Checkpoints *extra, Report *r)
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
		rc = fail(&v, "internal error: SHA-256 unavailable");
		goto done;
	}

	rc = collect_wanted(&v, extra);
	if (rc == 0)
		rc = check_file(&v);
	for (i = 0; rc == 0 && i < extra->n; i++)
	{
		char		where[512];

		snprintf(where, sizeof(where), "%s:%ld", extra->v[i].file, extra->v[i].lineno);
		rc = verify_checkpoint(&v, extra->v[i].line, extra->v[i].len, where);
	}
	if (rc == 0 && !v.covered)
		rc = fail(&v, "no signed checkpoint covers seq %" PRId64 " (the export's last entry)",
				  v.h.to_seq);
done:
	EVP_MD_CTX_free(v.digest);
	ERR_clear_error();
	free(v.line);
	free(v.wanted);
	return rc;
}


/* ---------------------------------------------------------------------
 * Command line
 * ---------------------------------------------------------------------
 */

static void
usage(FILE *out)
{
	fprintf(out,
			"usage: juki_verify --key PUBKEY.pem [--key ...] [--checkpoint FILE ...]\n"
			"                   [--quiet] EXPORT_FILE\n"
			"Verifies a juki export file (\"-\" reads standard input) against the\n"
			"Ed25519 public keys of the checkpoint signers.  Prints OK or FAIL on\n"
			"stdout; exit status 0 only if the export is valid.\n");
}

/* Whole file into a malloc'd buffer; NULL (errno set) on failure. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf = NULL;
	size_t		cap = 0;
	size_t		n = 0;

	if (f == NULL)
		return NULL;
	for (;;)
	{
		size_t		got;

		if (cap - n < 4096)
		{
			cap = cap ? 2 * cap : 8192;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
	{
		int			save = errno;

		fclose(f);
		free(buf);
		errno = save;
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Load one --key PEM; errors go to stderr (a usage problem, not a FAIL). */
static bool
add_key(Keys *keys, const char *path)
{
	size_t		len = 0;
	char	   *pem = slurp(path, &len);
	char		err[JK_ERR_LEN];
	Key			k;

	if (pem == NULL)
	{
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
		return false;
	}
	if (!jk_ed25519_pub_from_pem(pem, len, k.pub, err, sizeof(err)))
	{
		fprintf(stderr, "juki_verify: %s: %s\n", path, err);
		free(pem);
		return false;
	}
	free(pem);
	if (!jk_key_id(k.pub, k.id))
	{
		fprintf(stderr, "juki_verify: %s: cannot compute the key id\n", path);
		return false;
	}
	keys->v = xrealloc(keys->v, (keys->n + 1) * sizeof(Key));
	keys->v[keys->n++] = k;
	return true;
}

static bool
is_blank(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* Every non-blank line of a checkpoint file (checked later, with the export). */
static bool
add_checkpoints(Checkpoints *cps, const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	long		lineno = 0;
	bool		ok;

	if (f == NULL)
	{
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
		return false;
	}
	while ((n = getline(&line, &cap, f)) >= 0)
	{
		ExtraCheckpoint *e;

		lineno++;
		if (is_blank(line, (size_t) n))
			continue;
		cps->v = xrealloc(cps->v, (cps->n + 1) * sizeof(ExtraCheckpoint));
		e = &cps->v[cps->n++];
		e->line = xrealloc(NULL, (size_t) n + 1);
		memcpy(e->line, line, (size_t) n + 1);
		e->len = (size_t) n;
		e->file = path;
		e->lineno = lineno;
	}
	ok = !ferror(f);
	if (!ok)
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
	free(line);
	fclose(f);
	return ok;
}

/* A rewindable stream for path ("-" = stdin), copying a pipe to a temp file. */
static FILE *
open_export(const char *path)
{
	FILE	   *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	FILE	   *tmp;
	char		buf[65536];
	size_t		n;

	if (in == NULL)
		return NULL;
	if (in != stdin && fseeko(in, 0, SEEK_SET) == 0)
		return in;
	tmp = tmpfile();
	if (tmp == NULL)
	{
		if (in != stdin)
			fclose(in);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
	{
		if (fwrite(buf, 1, n, tmp) != n)
			break;
	}
	if (ferror(in) || ferror(tmp))
	{
		int			save = errno;

		if (in != stdin)
			fclose(in);
		fclose(tmp);
		errno = save;
		return NULL;
	}
	if (in != stdin)
		fclose(in);
	return tmp;
}

/* Exit status is 0 for a valid export and 1 for anything else. */
int
main(int argc, char **argv)
{
	Keys		keys = {NULL, 0};
	Checkpoints extra = {NULL, 0};
	bool		quiet = false;
	const char *path = NULL;
	FILE	   *f = NULL;
	Report		r;
	int			status = 1;
	int			i;
	size_t		j;

	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage(stdout);
			status = 0;
			goto out;
		}
		else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
			quiet = true;
		else if (strcmp(a, "--key") == 0 || strcmp(a, "--checkpoint") == 0)
		{
			if (i + 1 >= argc)
			{
				fprintf(stderr, "juki_verify: %s needs a file name\n", a);
				usage(stderr);
				goto out;
			}
			if (a[2] == 'k' ? !add_key(&keys, argv[i + 1])
				: !add_checkpoints(&extra, argv[i + 1]))
				goto out;
			i++;
		}
		else if (strncmp(a, "--key=", 6) == 0)
		{
			if (!add_key(&keys, a + 6))
				goto out;
		}
		else if (strncmp(a, "--checkpoint=", 13) == 0)
		{
			if (!add_checkpoints(&extra, a + 13))
				goto out;
		}
		else if (a[0] == '-' && a[1] != '\0')
		{
			fprintf(stderr, "juki_verify: unknown option %s\n", a);
			usage(stderr);
			goto out;
		}
		else if (path != NULL)
		{
			fprintf(stderr, "juki_verify: only one export file\n");
			usage(stderr);
			goto out;
		}
		else
			path = a;
	}
	if (keys.n == 0 || path == NULL)
	{
		fprintf(stderr, "juki_verify: %s\n",
				keys.n == 0 ? "at least one --key is required" : "no export file given");
		usage(stderr);
		goto out;
	}
	f = open_export(path);
	if (f == NULL)
	{
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
		goto out;
	}

	memset(&r, 0, sizeof(r));
	r.notes = quiet ? NULL : stderr;
	if (verify_export(f, &keys, &extra, &r) == 0)
	{
		if (!quiet)
			printf("OK: %" PRId64 " entries, seq %" PRId64 "..%" PRId64 ", origin %.16s, "
				   "covered by checkpoint at seq %" PRId64 " (key %s)\n",
				   r.entries, r.from_seq, r.to_seq, r.origin, r.to_seq, r.covered_key);
		status = 0;
	}
	else
		printf("FAIL: %s\n", r.message);
	if (fflush(stdout) != 0)
		status = 1;

out:
	if (f != NULL && f != stdin)
		fclose(f);
	for (j = 0; j < extra.n; j++)
		free(extra.v[j].line);
	free(extra.v);
	free(keys.v);
	return status;
}
