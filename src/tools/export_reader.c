/*-------------------------------------------------------------------------
 * export_reader.c
 *		Reading a juki export file (DESIGN §7.6, format/export.h) for
 *		juki_verify: lines with COPY's text escaping undone, the header,
 *		and a first pass that finds the seqs checkpoints name, so that
 *		memory does not grow with the number of entries.  Free of
 *		PostgreSQL; nothing global.
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

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/err.h>
#include <openssl/evp.h>

/* The allocator given to JkBuf: the tool simply stops on out-of-memory. */
void *
juki_verify_xrealloc(void *p, size_t n)
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
int
juki_verify_fail(Verifier *v, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(v->r->message, sizeof(v->r->message), fmt, ap);
	va_end(ap);
	return 1;
}

void
juki_verify_note(Verifier *v, const char *fmt,...)
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

bool
juki_verify_starts_with(const char *s, size_t len, const char *prefix)
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

bool
juki_verify_all_lower_hex(const char *s, size_t n)
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
				if (i < len && jk_hex_value(s[i]) >= 0)
				{
					val = jk_hex_value(s[i++]);
					if (i < len && jk_hex_value(s[i]) >= 0)
						val = val * 16 + jk_hex_value(s[i++]);
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
int
juki_verify_read_line(Verifier *v)
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
void
juki_verify_detect_copy_escaping(Verifier *v)
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
		v->wanted = juki_verify_xrealloc(v->wanted, v->capwanted * sizeof(WantedHash));
	}
	memset(&v->wanted[v->nwanted], 0, sizeof(WantedHash));
	v->wanted[v->nwanted++].seq = seq;
}

WantedHash *
juki_verify_wanted_find(Verifier *v, int64_t seq)
{
	WantedHash	key;

	if (v->nwanted == 0)
		return NULL;
	key.seq = seq;
	return bsearch(&key, v->wanted, v->nwanted, sizeof(WantedHash), wanted_cmp);
}


/* Back to the start of the file, line 1 read; 0, or 1 with the failure. */
int
juki_verify_first_line(Verifier *v)
{
	int			rc;

	if (fseeko(v->f, 0, SEEK_SET) != 0)
		return juki_verify_fail(v, "cannot rewind the export file: %s", strerror(errno));
	v->lineno = 0;
	v->copy_escaped = false;
	rc = juki_verify_read_line(v);
	if (rc < 0)
		return juki_verify_fail(v, "read error: %s", strerror(errno));
	if (rc == 0)
		return juki_verify_fail(v, "line 1: the file is empty");
	return 0;
}
/* Pass 1: the seqs named by any checkpoint, whose entry hashes we keep. */
int
juki_verify_collect_wanted(Verifier *v, const Checkpoints *extra)
{
	JkCheckpoint cp;
	char		err[JK_ERR_LEN];
	size_t		i;
	size_t		o;
	int			rc;

	if (juki_verify_first_line(v) != 0)
		return 1;
	juki_verify_detect_copy_escaping(v);
	while ((rc = juki_verify_read_line(v)) > 0)
	{
		if (juki_verify_starts_with(v->line, v->len, CHECKPOINT_PREFIX) &&
			jk_checkpoint_parse(v->line, v->len, &cp, err, sizeof(err)))
			wanted_add(v, cp.seq);
	}
	if (rc < 0)
		return juki_verify_fail(v, "read error: %s", strerror(errno));
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
		juki_verify_all_lower_hex(s + 1, JK_HEX_LEN) &&
		jk_unhex(s + 1, JK_HEX_LEN, out, JK_HASH_LEN);
}

/* Line 1: canonical JSON with exactly the documented keys and values. */
int
juki_verify_parse_header(Verifier *v)
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

	jk_buf_init(&c, juki_verify_xrealloc);
	if (!jk_json_canonicalize(s, len, &c, err, sizeof(err)))
	{
		free(c.data);
		return juki_verify_fail(v, "line 1: header is not valid JSON: %s", err);
	}
	same = (c.len == len && memcmp(c.data, s, len) == 0);
	free(c.data);
	if (!same)
		return juki_verify_fail(v, "line 1: header is not in canonical form");
	if (s[0] != '{')
		return juki_verify_fail(v, "line 1: header is not a JSON object");

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
			return juki_verify_fail(v, "line 1: header has an unexpected key \"%.*s\"",
						(int) klen, s + kstart);
		seen |= 1u << i;
		switch (i)
		{
			case 0:				/* exported_at */
				if (vlen != JK_TS_LEN + 2 || val[0] != '"' ||
					!jk_parse_ts(val + 1, JK_TS_LEN, &ts_us))
					return juki_verify_fail(v, "line 1: header exported_at is not a timestamp");
				memcpy(v->h.exported_at, val + 1, JK_TS_LEN);
				v->h.exported_at[JK_TS_LEN] = '\0';
				break;
			case 1:				/* format */
				if (vlen != strlen(JK_EXPORT_FORMAT) + 2 ||
					memcmp(val + 1, JK_EXPORT_FORMAT, vlen - 2) != 0)
					return juki_verify_fail(v, "line 1: unsupported export format %.*s (expected \"%s\")",
								(int) (vlen > 80 ? 80 : vlen), val, JK_EXPORT_FORMAT);
				break;
			case 2:				/* from_seq */
				if (!json_int(val, vlen, &v->h.from_seq) || v->h.from_seq < 0)
					return juki_verify_fail(v, "line 1: header from_seq is not a non-negative integer");
				break;
			case 3:				/* origin */
				if (!json_hex_hash(val, vlen, v->h.origin))
					return juki_verify_fail(v, "line 1: header origin is not 64 lower-case hex digits");
				break;
			case 4:				/* prev_hash */
				if (!json_hex_hash(val, vlen, v->h.prev_hash))
					return juki_verify_fail(v, "line 1: header prev_hash is not 64 lower-case hex digits");
				break;
			case 5:				/* probe */
				if (vlen != 4 || memcmp(val, "\"\\\\\"", 4) != 0)
					return juki_verify_fail(v, "line 1: header probe is not one backslash (file mangled in transit?)");
				break;
			case 6:				/* to_seq */
				if (!json_int(val, vlen, &v->h.to_seq) || v->h.to_seq < 0 ||
					v->h.to_seq == INT64_MAX)
					return juki_verify_fail(v, "line 1: header to_seq is not a valid seq");
				break;
		}
		if (pos < len && s[pos] == ',')
			pos++;
	}
	for (i = 0; i < nnames; i++)
		if (!(seen & (1u << i)))
			return juki_verify_fail(v, "line 1: header lacks \"%s\"", names[i]);
	if (v->h.from_seq > v->h.to_seq)
		return juki_verify_fail(v, "line 1: header from_seq %" PRId64 " is after to_seq %" PRId64,
					v->h.from_seq, v->h.to_seq);
	if (v->h.from_seq == 0 && memcmp(v->h.prev_hash, zero, JK_HASH_LEN) != 0)
		return juki_verify_fail(v, "line 1: header prev_hash must be 32 zero bytes when from_seq is 0");

	v->r->from_seq = v->h.from_seq;
	v->r->to_seq = v->h.to_seq;
	jk_hex(v->h.origin, JK_HASH_LEN, v->r->origin);
	return 0;
}

/* Feed the current line and its '\n' to the trailer digest. */
