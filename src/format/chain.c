/*-------------------------------------------------------------------------
 * chain.c
 *		The operation log's public format (see chain.h): canonical JSON,
 *		SHA-256 chaining, timestamps, checkpoint lines, export headers and
 *		Ed25519 verification.
 *
 * Free of PostgreSQL: only libc and OpenSSL's libcrypto.  The same object is
 * linked into the backend module and into src/tools/juki_verify, so nothing
 * here may exit, print, keep global state, or allocate other than through a
 * caller's JkBuf.  Every OpenSSL object is freed on every path and the error
 * queue is cleared after a failure, because the backend shares that queue
 * with its TLS code.
 *-------------------------------------------------------------------------
 */
#include "chain.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define JK_MAX_DEPTH	64
#define JK_US_PER_DAY	INT64_C(86400000000)

static const char jk_hexdigits[] = "0123456789abcdef";


/* ---------------------------------------------------------------------
 * Growable buffer
 * ---------------------------------------------------------------------
 */

/* Make room for extra more bytes plus the NUL, growing geometrically. */
/* Grow b so that extra more bytes and a NUL fit (the slow path). */
static void
buf_grow(JkBuf *b, size_t extra)
{
	size_t		need;
	size_t		newcap;

	if (extra > SIZE_MAX - b->len - 1)
		need = SIZE_MAX;		/* the allocator refuses it on its own terms */
	else
		need = b->len + extra + 1;
	if (need <= b->cap && b->data != NULL)
		return;
	newcap = b->cap > 0 ? b->cap : 64;
	while (newcap < need)
	{
		if (newcap > SIZE_MAX / 2)
		{
			newcap = need;
			break;
		}
		newcap *= 2;
	}
	b->data = b->realloc_fn(b->data, newcap);
	b->cap = newcap;
}

/* Room for extra bytes and a NUL; inline because it runs per character. */
static inline void
buf_reserve(JkBuf *b, size_t extra)
{
	/* with data allocated, cap >= len + 1 always holds */
	if (b->data != NULL && extra < b->cap - b->len)
		return;
	buf_grow(b, extra);
}

void
jk_buf_init(JkBuf *b, jk_realloc_fn realloc_fn)
{
	b->realloc_fn = realloc_fn;
	b->cap = 64;
	b->len = 0;
	b->data = realloc_fn(NULL, b->cap);
	b->data[0] = '\0';
}

/* Append n bytes; s may point into b's own storage. */
void
jk_buf_append(JkBuf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (b->data != NULL && s >= b->data && s < b->data + b->cap)
	{
		size_t		off = (size_t) (s - b->data);

		buf_reserve(b, n);
		s = b->data + off;
	}
	else
		buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
jk_buf_append_str(JkBuf *b, const char *s)
{
	jk_buf_append(b, s, strlen(s));
}

void
jk_buf_reset(JkBuf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static inline void
buf_putc(JkBuf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* Plain decimal; snprintf never writes "-0" for an integer. */
static void
buf_put_int64(JkBuf *b, int64_t v)
{
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);
	uint64_t	u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

	/* by hand: this runs for every integer of every entry verified */
	do
	{
		*--p = (char) ('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	jk_buf_append(b, p, (size_t) (tmp + sizeof(tmp) - p));
}

void
jk_buf_append_int64(JkBuf *b, int64_t v)
{
	buf_put_int64(b, v);
}

/* Cut b back to len bytes (used to undo partial output after an error). */
static void
buf_truncate(JkBuf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}


/* ---------------------------------------------------------------------
 * Hex
 * ---------------------------------------------------------------------
 */

void
jk_hex(const uint8_t *in, size_t n, char *out)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		out[2 * i] = jk_hexdigits[in[i] >> 4];
		out[2 * i + 1] = jk_hexdigits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* Value of a hex digit of either case, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict length: a short or long hex field is an error, not a prefix. */
bool
jk_unhex(const char *in, size_t len, uint8_t *out, size_t n)
{
	size_t		i;

	if (len != 2 * n)
		return false;
	for (i = 0; i < n; i++)
	{
		int			hi = hex_value(in[2 * i]);
		int			lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t) (hi << 4 | lo);
	}
	return true;
}

static bool
is_lower_hex_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}


/* ---------------------------------------------------------------------
 * JSON output
 * ---------------------------------------------------------------------
 */

/* RFC 8785 §3.2.2.2: only '"', '\\' and C0 controls are escaped. */
void
jk_json_string(JkBuf *out, const char *s, size_t len)
{
	size_t		i;
	size_t		run = 0;

	buf_putc(out, '"');
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		esc[7];
		size_t		esclen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jk_buf_append(out, s + run, i - run);
		esc[0] = '\\';
		switch (c)
		{
			case '"':
				esc[1] = '"';
				break;
			case '\\':
				esc[1] = '\\';
				break;
			case 0x08:
				esc[1] = 'b';
				break;
			case 0x09:
				esc[1] = 't';
				break;
			case 0x0a:
				esc[1] = 'n';
				break;
			case 0x0c:
				esc[1] = 'f';
				break;
			case 0x0d:
				esc[1] = 'r';
				break;
			default:
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = jk_hexdigits[c >> 4];
				esc[5] = jk_hexdigits[c & 0x0f];
				esclen = 6;
				break;
		}
		jk_buf_append(out, esc, esclen);
		run = i + 1;
	}
	jk_buf_append(out, s + run, len - run);
	buf_putc(out, '"');
}

/*
 * Escape the raw bytes at out->data[raw_off..len) and append the JSON string
 * after them.  Room is reserved first so that the source cannot move.
 */
static void
json_string_from_self(JkBuf *out, size_t raw_off, size_t raw_len)
{
	buf_reserve(out, raw_len * 6 + 2);
	jk_json_string(out, out->data + raw_off, raw_len);
}

/* ---------------------------------------------------------------------
 * JSON input: a strict RFC 8259 parser with two back ends, one that writes
 * the canonical form and one that only checks that the input already is
 * canonical (used by jk_entry_seq, which has no buffer to write into).
 * ---------------------------------------------------------------------
 */

typedef struct JsonParser
{
	const char *in;
	size_t		len;
	size_t		pos;
	char	   *err;
	size_t		errlen;
	bool		noncanonical;	/* the error is "valid but not canonical" */
	/* results of the last number scanned, and of the top-level "seq" */
	int64_t		last_int;
	bool		seq_found;
	bool		seq_is_int;
	int64_t		seq_value;
	/* jk_json_top_keys: called for each top-level key */
	jk_key_fn	key_fn;
	void	   *key_arg;
} JsonParser;

/* Header of one member while an object is being sorted (see canon_object). */
typedef struct MemberRec
{
	size_t		key_len;		/* raw (unescaped) key bytes that follow */
	size_t		text_len;		/* then canonical "key":value */
	size_t		key_pos;		/* offset of the key in the input */
} MemberRec;

static bool canon_value(JsonParser *p, JkBuf *out, int depth);
static bool check_value(JsonParser *p, int depth);

static bool
json_error(JsonParser *p, size_t pos, const char *msg)
{
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "%s at byte %zu", msg, pos);
	return false;
}

/* As json_error, for input that is valid JSON but not in canonical form. */
static bool
json_noncanonical(JsonParser *p, size_t pos, const char *msg)
{
	p->noncanonical = true;
	return json_error(p, pos, msg);
}

static bool
is_json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_ws(JsonParser *p)
{
	while (p->pos < p->len && is_json_ws(p->in[p->pos]))
		p->pos++;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0 if invalid. */
static size_t
utf8_valid_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xbf;
	size_t		n;
	size_t		i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		n = 2;
	else if (c < 0xf0)
	{
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;			/* overlong */
		else if (c == 0xed)
			hi = 0x9f;			/* surrogates */
	}
	else if (c < 0xf5)
	{
		n = 4;
		if (c == 0xf0)
			lo = 0x90;			/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;			/* above U+10FFFF */
	}
	else
		return 0;
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void
put_utf8(JkBuf *out, uint32_t cp)
{
	char		b[4];
	size_t		n;

	if (cp < 0x80)
	{
		b[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		b[0] = (char) (0xc0 | (cp >> 6));
		b[1] = (char) (0x80 | (cp & 0x3f));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		b[0] = (char) (0xe0 | (cp >> 12));
		b[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char) (0x80 | (cp & 0x3f));
		n = 3;
	}
	else
	{
		b[0] = (char) (0xf0 | (cp >> 18));
		b[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char) (0x80 | (cp & 0x3f));
		n = 4;
	}
	jk_buf_append(out, b, n);
}

/* Four hex digits of a \u escape at s (either case), or -1. */
static long
hex4(const char *s)
{
	long		v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		int			d = hex_value(s[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * One escape sequence at p->pos (the backslash).  Appends the decoded bytes
 * to out (if not NULL) and sets *noncanon if RFC 8785 would have written the
 * character differently.
 */
static bool
scan_escape(JsonParser *p, JkBuf *out, bool *noncanon)
{
	size_t		at = p->pos;
	char		e;
	char		c;
	long		cp;

	if (at + 1 >= p->len)
		return json_error(p, at, "unterminated string");
	e = p->in[at + 1];
	switch (e)
	{
		case '"':
		case '\\':
			c = e;
			break;
		case '/':
			c = '/';
			*noncanon = true;
			break;
		case 'b':
			c = 0x08;
			break;
		case 'f':
			c = 0x0c;
			break;
		case 'n':
			c = 0x0a;
			break;
		case 'r':
			c = 0x0d;
			break;
		case 't':
			c = 0x09;
			break;
		case 'u':
			if (at + 6 > p->len || (cp = hex4(p->in + at + 2)) < 0)
				return json_error(p, at, "invalid \\u escape");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return json_error(p, at, "lone surrogate in \\u escape");
			if (cp >= 0xd800 && cp <= 0xdbff)
			{
				long		lo;

				if (at + 12 > p->len || p->in[at + 6] != '\\' ||
					p->in[at + 7] != 'u' ||
					(lo = hex4(p->in + at + 8)) < 0xdc00 || lo > 0xdfff)
					return json_error(p, at, "lone surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				*noncanon = true;
				if (out != NULL)
					put_utf8(out, (uint32_t) cp);
				p->pos = at + 12;
				return true;
			}

			/*
			 * Canonical only for a C0 control without a short form, written
			 * \u00xx in lower case.
			 */
			if (cp >= 0x20 || cp == 0x08 || cp == 0x09 || cp == 0x0a ||
				cp == 0x0c || cp == 0x0d ||
				p->in[at + 2] != '0' || p->in[at + 3] != '0' ||
				(p->in[at + 4] >= 'A' && p->in[at + 4] <= 'F') ||
				(p->in[at + 5] >= 'A' && p->in[at + 5] <= 'F'))
				*noncanon = true;
			if (out != NULL)
				put_utf8(out, (uint32_t) cp);
			p->pos = at + 6;
			return true;
		default:
			return json_error(p, at, "invalid escape in string");
	}
	if (out != NULL)
		buf_putc(out, c);
	p->pos = at + 2;
	return true;
}

/*
 * A string at p->pos (the opening quote).  Appends its raw UTF-8 bytes to
 * out if not NULL; sets *noncanon if it is not written as RFC 8785 would.
 */
static bool
scan_string(JsonParser *p, JkBuf *out, bool *noncanon)
{
	size_t		start = p->pos;
	size_t		run;

	p->pos++;
	run = p->pos;
	for (;;)
	{
		unsigned char c;
		size_t		n;

		if (p->pos >= p->len)
			return json_error(p, start, "unterminated string");
		c = (unsigned char) p->in[p->pos];
		if (c == '"' || c == '\\')
		{
			if (out != NULL)
				jk_buf_append(out, p->in + run, p->pos - run);
			if (c == '"')
			{
				p->pos++;
				return true;
			}
			if (!scan_escape(p, out, noncanon))
				return false;
			run = p->pos;
			continue;
		}
		if (c < 0x20)
			return json_error(p, p->pos, "control character in string");
		n = utf8_valid_len((const unsigned char *) p->in + p->pos,
						   p->len - p->pos);
		if (n == 0)
			return json_error(p, p->pos, "invalid UTF-8");
		p->pos += n;
	}
}

/*
 * An integer at p->pos: -?(0|[1-9][0-9]*) within int64.  Appends its
 * canonical form to out (if not NULL) and leaves its value in p->last_int.
 */
static bool
scan_number(JsonParser *p, JkBuf *out, bool *noncanon)
{
	size_t		start = p->pos;
	bool		neg = false;
	uint64_t	mag = 0;
	uint64_t	limit;

	if (p->in[p->pos] == '-')
	{
		neg = true;
		p->pos++;
	}
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	if (p->pos >= p->len || p->in[p->pos] < '0' || p->in[p->pos] > '9')
		return json_error(p, start, "invalid number");
	if (p->in[p->pos] == '0')
	{
		p->pos++;
		if (p->pos < p->len && p->in[p->pos] >= '0' && p->in[p->pos] <= '9')
			return json_error(p, start, "leading zero in number");
	}
	else
	{
		while (p->pos < p->len && p->in[p->pos] >= '0' && p->in[p->pos] <= '9')
		{
			unsigned	d = (unsigned) (p->in[p->pos] - '0');

			if (mag > (limit - d) / 10)
				return json_error(p, start, "integer out of range");
			mag = mag * 10 + d;
			p->pos++;
		}
	}
	if (p->pos < p->len &&
		(p->in[p->pos] == '.' || p->in[p->pos] == 'e' || p->in[p->pos] == 'E'))
		return json_error(p, start, "non-integer number");

	if (neg && mag == 0)
	{
		*noncanon = true;		/* -0 */
		p->last_int = 0;
		if (out != NULL)
			buf_putc(out, '0');
		return true;
	}
	if (!neg)
		p->last_int = (int64_t) mag;
	else if (mag == (uint64_t) INT64_MAX + 1)
		p->last_int = INT64_MIN;
	else
		p->last_int = -(int64_t) mag;
	if (out != NULL)
		jk_buf_append(out, p->in + start, p->pos - start);
	return true;
}

/* true, false or null at p->pos. */
static bool
scan_literal(JsonParser *p, JkBuf *out)
{
	static const char *const lits[] = {"true", "false", "null"};
	int			i;

	for (i = 0; i < 3; i++)
	{
		size_t		n = strlen(lits[i]);

		if (p->len - p->pos >= n && memcmp(p->in + p->pos, lits[i], n) == 0)
		{
			if (out != NULL)
				jk_buf_append(out, lits[i], n);
			p->pos += n;
			return true;
		}
	}
	return json_error(p, p->pos, "invalid literal");
}

/* Orders MemberRec pointers by the raw bytes of their keys (code points). */
static int
member_cmp(const void *a, const void *b)
{
	const char *ra = *(const char *const *) a;
	const char *rb = *(const char *const *) b;
	MemberRec	ha;
	MemberRec	hb;
	int			c;

	memcpy(&ha, ra, sizeof(ha));
	memcpy(&hb, rb, sizeof(hb));
	c = memcmp(ra + sizeof(MemberRec), rb + sizeof(MemberRec),
			   ha.key_len < hb.key_len ? ha.key_len : hb.key_len);
	if (c != 0)
		return c;
	return (ha.key_len > hb.key_len) - (ha.key_len < hb.key_len);
}

/*
 * Object at p->pos.  Without a free function for temporaries, the members
 * are first written to out's tail as records (MemberRec, raw key, canonical
 * "key":value), then an array of pointers to them is built after them and
 * sorted, the sorted object is written after that, and finally moved back
 * to where the object started.  Room for all of it is reserved before the
 * pointers are taken, so nothing moves while they are in use.
 */
static bool
canon_object(JsonParser *p, JkBuf *out, int depth)
{
	size_t		start = out->len;
	size_t		n = 0;
	size_t		outsize = 2;
	size_t		i;
	size_t		extra;
	size_t		mis;
	char	   *rec;
	char	  **idx;
	char	   *dst;
	char	   *w;

	if (depth > JK_MAX_DEPTH)
		return json_error(p, p->pos, "nesting deeper than 64");
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->in[p->pos] == '}')
	{
		p->pos++;
		jk_buf_append(out, "{}", 2);
		return true;
	}
	for (;;)
	{
		MemberRec	h;
		size_t		rec_off;
		size_t		raw_off;
		size_t		text_off;
		bool		nc = false;

		skip_ws(p);
		if (p->pos >= p->len || p->in[p->pos] != '"')
			return json_error(p, p->pos, "expected a string (object key)");
		memset(&h, 0, sizeof(h));
		h.key_pos = p->pos;
		rec_off = out->len;
		jk_buf_append(out, (const char *) &h, sizeof(h));
		raw_off = out->len;
		if (!scan_string(p, out, &nc))
			return false;
		h.key_len = out->len - raw_off;
		text_off = out->len;
		json_string_from_self(out, raw_off, h.key_len);
		buf_putc(out, ':');
		skip_ws(p);
		if (p->pos >= p->len || p->in[p->pos] != ':')
			return json_error(p, p->pos, "expected ':'");
		p->pos++;
		if (!canon_value(p, out, depth))
			return false;
		h.text_len = out->len - text_off;
		memcpy(out->data + rec_off, &h, sizeof(h));
		n++;
		outsize += h.text_len + 1;	/* and a comma or the closing brace */
		skip_ws(p);
		if (p->pos < p->len && p->in[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->in[p->pos] == '}')
		{
			p->pos++;
			break;
		}
		return json_error(p, p->pos, "expected ',' or '}'");
	}
	outsize--;					/* n-1 commas, '{' and '}' */

	extra = sizeof(char *) - 1 + n * sizeof(char *) + outsize;
	buf_reserve(out, extra);
	mis = (size_t) ((uintptr_t) (out->data + out->len) % sizeof(char *));
	idx = (char **) (void *) (out->data + out->len +
							  (mis ? sizeof(char *) - mis : 0));
	rec = out->data + start;
	for (i = 0; i < n; i++)
	{
		MemberRec	h;

		memcpy(&h, rec, sizeof(h));
		idx[i] = rec;
		rec += sizeof(MemberRec) + h.key_len + h.text_len;
	}
	qsort(idx, n, sizeof(char *), member_cmp);
	for (i = 1; i < n; i++)
	{
		if (member_cmp(&idx[i - 1], &idx[i]) == 0)
		{
			MemberRec	ha;
			MemberRec	hb;

			memcpy(&ha, idx[i - 1], sizeof(ha));
			memcpy(&hb, idx[i], sizeof(hb));
			return json_error(p, ha.key_pos > hb.key_pos ? ha.key_pos : hb.key_pos,
							  "duplicate object key");
		}
	}
	dst = (char *) (idx + n);
	w = dst;
	*w++ = '{';
	for (i = 0; i < n; i++)
	{
		MemberRec	h;

		memcpy(&h, idx[i], sizeof(h));
		if (i > 0)
			*w++ = ',';
		memcpy(w, idx[i] + sizeof(MemberRec) + h.key_len, h.text_len);
		w += h.text_len;
	}
	*w++ = '}';
	memmove(out->data + start, dst, outsize);
	buf_truncate(out, start + outsize);
	return true;
}

static bool
canon_array(JsonParser *p, JkBuf *out, int depth)
{
	if (depth > JK_MAX_DEPTH)
		return json_error(p, p->pos, "nesting deeper than 64");
	p->pos++;
	buf_putc(out, '[');
	skip_ws(p);
	if (p->pos < p->len && p->in[p->pos] == ']')
	{
		p->pos++;
		buf_putc(out, ']');
		return true;
	}
	for (;;)
	{
		if (!canon_value(p, out, depth))
			return false;
		skip_ws(p);
		if (p->pos < p->len && p->in[p->pos] == ',')
		{
			p->pos++;
			buf_putc(out, ',');
			continue;
		}
		if (p->pos < p->len && p->in[p->pos] == ']')
		{
			p->pos++;
			buf_putc(out, ']');
			return true;
		}
		return json_error(p, p->pos, "expected ',' or ']'");
	}
}

/* Any value (after optional white space), written canonically to out. */
static bool
canon_value(JsonParser *p, JkBuf *out, int depth)
{
	bool		nc = false;
	char		c;

	skip_ws(p);
	if (p->pos >= p->len)
		return json_error(p, p->pos, "unexpected end of input");
	c = p->in[p->pos];
	if (c == '{')
		return canon_object(p, out, depth + 1);
	if (c == '[')
		return canon_array(p, out, depth + 1);
	if (c == '"')
	{
		size_t		raw_off = out->len;
		size_t		raw_len;
		size_t		esc_off;

		if (!scan_string(p, out, &nc))
			return false;
		raw_len = out->len - raw_off;
		esc_off = out->len;
		json_string_from_self(out, raw_off, raw_len);
		memmove(out->data + raw_off, out->data + esc_off, out->len - esc_off);
		buf_truncate(out, raw_off + (out->len - esc_off));
		return true;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return scan_number(p, out, &nc);
	if (c == 't' || c == 'f' || c == 'n')
		return scan_literal(p, out);
	return json_error(p, p->pos, "unexpected character");
}

/* On error out is cut back to its length on entry, so callers can retry. */
bool
jk_json_canonicalize(const char *in, size_t len, JkBuf *out,
					 char *err, size_t errlen)
{
	JsonParser	p;
	size_t		orig_len = out->len;

	memset(&p, 0, sizeof(p));
	p.in = in;
	p.len = len;
	p.err = err;
	p.errlen = errlen;
	if (in == NULL && len > 0)
	{
		set_err(err, errlen, "no input");
		return false;
	}
	if (!canon_value(&p, out, 0))
	{
		buf_truncate(out, orig_len);
		return false;
	}
	skip_ws(&p);
	if (p.pos != p.len)
	{
		buf_truncate(out, orig_len);
		return json_error(&p, p.pos, "unexpected text after the JSON value");
	}
	return true;
}

/*
 * Next byte of a key already known to be canonically escaped (so every
 * escape stands for exactly one byte).
 */
static unsigned char
canon_key_byte(const char *s, size_t *i)
{
	unsigned char c = (unsigned char) s[*i];

	if (c != '\\')
	{
		(*i)++;
		return c;
	}
	c = (unsigned char) s[*i + 1];
	*i += 2;
	switch (c)
	{
		case 'b':
			return 0x08;
		case 't':
			return 0x09;
		case 'n':
			return 0x0a;
		case 'f':
			return 0x0c;
		case 'r':
			return 0x0d;
		case 'u':
			*i += 4;
			return (unsigned char) (hex_value(s[*i - 2]) * 16 + hex_value(s[*i - 1]));
		default:
			return c;			/* '"' or '\\' */
	}
}

/* Compare two canonically escaped keys by their raw bytes. */
static int
canon_key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		i = 0;
	size_t		j = 0;

	while (i < alen && j < blen)
	{
		unsigned char ca = canon_key_byte(a, &i);
		unsigned char cb = canon_key_byte(b, &j);

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (i < alen)
		return 1;
	if (j < blen)
		return -1;
	return 0;
}

/*
 * The checking back end: accepts exactly the texts that jk_json_canonicalize
 * maps to themselves, without writing anything.
 */
static bool
check_string(JsonParser *p)
{
	size_t		start = p->pos;
	bool		nc = false;

	if (!scan_string(p, NULL, &nc))
		return false;
	if (nc)
		return json_noncanonical(p, start, "string not escaped as in RFC 8785");
	return true;
}

/* Keys must be strictly increasing: that also rules out duplicates. */
static bool
check_object(JsonParser *p, int depth)
{
	const char *prev = NULL;
	size_t		prev_len = 0;

	if (depth > JK_MAX_DEPTH)
		return json_error(p, p->pos, "nesting deeper than 64");
	p->pos++;
	if (p->pos < p->len && p->in[p->pos] == '}')
	{
		p->pos++;
		return true;
	}
	for (;;)
	{
		size_t		key_pos = p->pos;
		const char *key;
		size_t		key_len;
		bool		is_seq;
		char		first;

		if (p->pos < p->len && is_json_ws(p->in[p->pos]))
			return json_noncanonical(p, p->pos, "white space");
		if (p->pos >= p->len || p->in[p->pos] != '"')
			return json_error(p, p->pos, "expected a string (object key)");
		if (!check_string(p))
			return false;
		key = p->in + key_pos + 1;
		key_len = p->pos - key_pos - 2;
		if (prev != NULL)
		{
			int			c = canon_key_cmp(prev, prev_len, key, key_len);

			if (c == 0)
				return json_error(p, key_pos, "duplicate object key");
			if (c > 0)
				return json_noncanonical(p, key_pos, "object keys not sorted");
		}
		prev = key;
		prev_len = key_len;
		if (p->pos >= p->len || p->in[p->pos] != ':')
			return json_noncanonical(p, p->pos, "expected ':' right after the key");
		p->pos++;
		is_seq = (depth == 1 && key_len == 3 && memcmp(key, "seq", 3) == 0);
		first = p->pos < p->len ? p->in[p->pos] : '\0';
		if (depth == 1 && p->key_fn != NULL)
			p->key_fn(key, key_len, first, p->key_arg);
		if (!check_value(p, depth))
			return false;
		if (is_seq)
		{
			p->seq_found = true;
			p->seq_is_int = (first == '-' || (first >= '0' && first <= '9'));
			p->seq_value = p->last_int;
		}
		if (p->pos < p->len && p->in[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->in[p->pos] == '}')
		{
			p->pos++;
			return true;
		}
		if (p->pos < p->len && is_json_ws(p->in[p->pos]))
			return json_noncanonical(p, p->pos, "white space");
		return json_error(p, p->pos, "expected ',' or '}'");
	}
}

static bool
check_array(JsonParser *p, int depth)
{
	if (depth > JK_MAX_DEPTH)
		return json_error(p, p->pos, "nesting deeper than 64");
	p->pos++;
	if (p->pos < p->len && p->in[p->pos] == ']')
	{
		p->pos++;
		return true;
	}
	for (;;)
	{
		if (!check_value(p, depth))
			return false;
		if (p->pos < p->len && p->in[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->in[p->pos] == ']')
		{
			p->pos++;
			return true;
		}
		if (p->pos < p->len && is_json_ws(p->in[p->pos]))
			return json_noncanonical(p, p->pos, "white space");
		return json_error(p, p->pos, "expected ',' or ']'");
	}
}

static bool
check_value(JsonParser *p, int depth)
{
	char		c;

	if (p->pos >= p->len)
		return json_error(p, p->pos, "unexpected end of input");
	c = p->in[p->pos];
	if (is_json_ws(c))
		return json_noncanonical(p, p->pos, "white space");
	if (c == '{')
		return check_object(p, depth + 1);
	if (c == '[')
		return check_array(p, depth + 1);
	if (c == '"')
		return check_string(p);
	if (c == '-' || (c >= '0' && c <= '9'))
	{
		size_t		start = p->pos;
		bool		nc = false;

		if (!scan_number(p, NULL, &nc))
			return false;
		if (nc)
			return json_noncanonical(p, start, "-0");
		return true;
	}
	if (c == 't' || c == 'f' || c == 'n')
		return scan_literal(p, NULL);
	return json_error(p, p->pos, "unexpected character");
}

/* Checks canonical form without a buffer, then reads the top-level "seq". */
bool
jk_entry_seq(const char *canon, size_t len, int64_t *seq,
			 char *err, size_t errlen)
{
	JsonParser	p;
	char		inner[JK_ERR_LEN];
	bool		ok;

	memset(&p, 0, sizeof(p));
	p.in = canon;
	p.len = len;
	p.err = inner;
	p.errlen = sizeof(inner);
	inner[0] = '\0';
	if (canon == NULL)
	{
		set_err(err, errlen, "no entry");
		return false;
	}
	ok = check_value(&p, 0);
	if (ok && p.pos != p.len)
	{
		if (is_json_ws(p.in[p.pos]))
			ok = json_noncanonical(&p, p.pos, "white space");
		else
			ok = json_error(&p, p.pos, "unexpected text after the JSON value");
	}
	if (!ok)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "entry is not %s: %s",
					 p.noncanonical ? "in canonical form" : "valid JSON",
					 inner);
		return false;
	}
	if (canon[0] != '{')
	{
		set_err(err, errlen, "entry is not a JSON object");
		return false;
	}
	if (!p.seq_found)
	{
		set_err(err, errlen, "entry has no \"seq\"");
		return false;
	}
	if (!p.seq_is_int)
	{
		set_err(err, errlen, "entry's \"seq\" is not an integer");
		return false;
	}
	*seq = p.seq_value;
	return true;
}


/* The top-level keys of canonical JSON text, one callback each. */
bool
jk_json_top_keys(const char *canon, size_t len, jk_key_fn fn, void *arg)
{
	JsonParser	p;
	char		inner[JK_ERR_LEN];

	memset(&p, 0, sizeof(p));
	p.in = canon;
	p.len = len;
	p.err = inner;
	p.errlen = sizeof(inner);
	p.key_fn = fn;
	p.key_arg = arg;
	return canon != NULL && len > 0 && canon[0] == '{' && check_value(&p, 0);
}


/* ---------------------------------------------------------------------
 * SHA-256
 * ---------------------------------------------------------------------
 */

bool
jk_sha256(const void *data, size_t len, uint8_t out[JK_HASH_LEN])
{
	unsigned int outlen = 0;
	static const unsigned char empty[1] = {0};

	if (data == NULL)
	{
		if (len > 0)
			return false;
		data = empty;
	}
	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 ||
		outlen != JK_HASH_LEN)
	{
		ERR_clear_error();
		return false;
	}
	return true;
}

/* SHA-256(prev || canon) in one context, without concatenating. */
bool
jk_chain_hash(const uint8_t prev[JK_HASH_LEN], const char *canon,
			  size_t len, uint8_t out[JK_HASH_LEN])
{
	/*
	 * One fetched digest and one context per process (every user of chain.c
	 * is single-threaded): fetching SHA-256 and allocating a context per
	 * entry cost more than hashing a typical entry.
	 */
	static EVP_MD *md = NULL;
	static EVP_MD_CTX *ctx = NULL;
	unsigned int outlen = 0;
	bool		ok = false;

	if (canon == NULL && len > 0)
		return false;
	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	if (md == NULL || ctx == NULL)
		goto done;
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1)
		goto done;
	if (EVP_DigestUpdate(ctx, prev, JK_HASH_LEN) != 1)
		goto done;
	if (len > 0 && EVP_DigestUpdate(ctx, canon, len) != 1)
		goto done;
	if (EVP_DigestFinal_ex(ctx, out, &outlen) != 1 || outlen != JK_HASH_LEN)
		goto done;
	ok = true;
done:
	if (!ok)
		ERR_clear_error();
	return ok;
}


/* ---------------------------------------------------------------------
 * Timestamps (proleptic Gregorian, UTC)
 * ---------------------------------------------------------------------
 */

/* Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= (m <= 2);
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/* Write v as exactly n decimal digits. */
static void
put_digits(char *p, int64_t v, int n)
{
	while (n-- > 0)
	{
		p[n] = (char) ('0' + v % 10);
		v /= 10;
	}
}

/* Refuses years outside 0001-9999 rather than print a non-27-byte form. */
bool
jk_format_ts(int64_t unix_us, char out[JK_TS_LEN + 1])
{
	int64_t		min_us = days_from_civil(1, 1, 1) * JK_US_PER_DAY;
	int64_t		max_us = (days_from_civil(9999, 12, 31) + 1) * JK_US_PER_DAY - 1;
	int64_t		days;
	int64_t		rem;
	int64_t		y;
	int			m;
	int			d;

	if (unix_us < min_us || unix_us > max_us)
	{
		out[0] = '\0';
		return false;
	}
	/* floor division: -1 us is 1969-12-31T23:59:59.999999Z */
	days = unix_us / JK_US_PER_DAY;
	rem = unix_us % JK_US_PER_DAY;
	if (rem < 0)
	{
		rem += JK_US_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, rem / INT64_C(3600000000), 2);
	out[13] = ':';
	put_digits(out + 14, rem / 60000000 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, rem / 1000000 % 60, 2);
	out[19] = '.';
	put_digits(out + 20, rem % 1000000, 6);
	out[26] = 'Z';
	out[27] = '\0';
	return true;
}

/* n decimal digits at s, or -1. */
static int64_t
read_digits(const char *s, int n)
{
	int64_t		v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Exactly the form jk_format_ts writes, so ts text and value round-trip. */
bool
jk_parse_ts(const char *s, size_t len, int64_t *unix_us)
{
	int64_t		y;
	int64_t		mo;
	int64_t		d;
	int64_t		h;
	int64_t		mi;
	int64_t		se;
	int64_t		us;

	if (s == NULL || len != JK_TS_LEN)
		return false;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		s[16] != ':' || s[19] != '.' || s[26] != 'Z')
		return false;
	y = read_digits(s, 4);
	mo = read_digits(s + 5, 2);
	d = read_digits(s + 8, 2);
	h = read_digits(s + 11, 2);
	mi = read_digits(s + 14, 2);
	se = read_digits(s + 17, 2);
	us = read_digits(s + 20, 6);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
		mi < 0 || mi > 59 || se < 0 || se > 59 || us < 0)
		return false;
	if (d > days_in_month(y, (int) mo))
		return false;
	*unix_us = days_from_civil(y, (int) mo, (int) d) * JK_US_PER_DAY +
		((h * 60 + mi) * 60 + se) * INT64_C(1000000) + us;
	return true;
}


/* ---------------------------------------------------------------------
 * Checkpoints
 * ---------------------------------------------------------------------
 */

/* The bytes the signature covers: everything before " sig=". */
void
jk_checkpoint_message(JkBuf *out, const uint8_t origin[JK_HASH_LEN],
					  int64_t seq, const uint8_t hash[JK_HASH_LEN],
					  const char *ts, const char *key_id)
{
	char		hex[JK_HEX_LEN + 1];

	jk_buf_append_str(out, JK_CHECKPOINT_TAG " origin=");
	jk_hex(origin, JK_HASH_LEN, hex);
	jk_buf_append(out, hex, JK_HEX_LEN);
	jk_buf_append_str(out, " seq=");
	buf_put_int64(out, seq);
	jk_buf_append_str(out, " hash=");
	jk_hex(hash, JK_HASH_LEN, hex);
	jk_buf_append(out, hex, JK_HEX_LEN);
	jk_buf_append_str(out, " ts=");
	jk_buf_append_str(out, ts);
	jk_buf_append_str(out, " key=");
	jk_buf_append_str(out, key_id);
}

/* Consume the literal lit at *pos, or report what was expected. */
static bool
cp_expect(const char *line, size_t len, size_t *pos, const char *lit,
		  char *err, size_t errlen)
{
	size_t		n = strlen(lit);

	if (len - *pos < n || memcmp(line + *pos, lit, n) != 0)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "checkpoint: expected \"%s\" at byte %zu",
					 lit, *pos);
		return false;
	}
	*pos += n;
	return true;
}

/* Exactly ndigits lower-case hex digits at *pos, ended by ' ' or the end. */
static bool
cp_hex_field(const char *line, size_t len, size_t *pos, size_t ndigits,
			 const char *name, char *err, size_t errlen)
{
	size_t		n = 0;

	while (*pos + n < len && line[*pos + n] != ' ')
	{
		if (!is_lower_hex_char(line[*pos + n]))
		{
			if (err != NULL && errlen > 0)
				snprintf(err, errlen,
						 "checkpoint: %s must be lower-case hex (byte %zu)",
						 name, *pos + n);
			return false;
		}
		n++;
	}
	if (n != ndigits)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
					 "checkpoint: %s must be %zu hex digits (byte %zu)",
					 name, ndigits, *pos);
		return false;
	}
	*pos += n;
	return true;
}

/* Fixed field order, single spaces, lower-case hex: anything else fails. */
bool
jk_checkpoint_parse(const char *line, size_t len, JkCheckpoint *cp,
					char *err, size_t errlen)
{
	size_t		pos = 0;
	size_t		start;
	uint64_t	seq = 0;
	int64_t		ts_us;

	memset(cp, 0, sizeof(*cp));
	if (line == NULL)
	{
		set_err(err, errlen, "checkpoint: no line");
		return false;
	}
	if (len > 0 && line[len - 1] == '\n')
	{
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
	}
	if (len < strlen(JK_CHECKPOINT_TAG " ") ||
		memcmp(line, JK_CHECKPOINT_TAG " ", strlen(JK_CHECKPOINT_TAG " ")) != 0)
	{
		set_err(err, errlen, "not a " JK_CHECKPOINT_TAG " line");
		return false;
	}

	if (!cp_expect(line, len, &pos, JK_CHECKPOINT_TAG " origin=", err, errlen))
		return false;
	start = pos;
	if (!cp_hex_field(line, len, &pos, JK_HEX_LEN, "origin", err, errlen))
		return false;
	jk_unhex(line + start, JK_HEX_LEN, cp->origin, JK_HASH_LEN);

	if (!cp_expect(line, len, &pos, " seq=", err, errlen))
		return false;
	start = pos;
	while (pos < len && line[pos] >= '0' && line[pos] <= '9')
	{
		unsigned	d = (unsigned) (line[pos] - '0');

		if (seq > ((uint64_t) INT64_MAX - d) / 10)
		{
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "checkpoint: seq out of range (byte %zu)",
						 start);
			return false;
		}
		seq = seq * 10 + d;
		pos++;
	}
	if (pos == start || (line[start] == '0' && pos - start > 1))
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
					 "checkpoint: seq must be a non-negative integer without leading zeros (byte %zu)",
					 start);
		return false;
	}
	cp->seq = (int64_t) seq;

	if (!cp_expect(line, len, &pos, " hash=", err, errlen))
		return false;
	start = pos;
	if (!cp_hex_field(line, len, &pos, JK_HEX_LEN, "hash", err, errlen))
		return false;
	jk_unhex(line + start, JK_HEX_LEN, cp->hash, JK_HASH_LEN);

	if (!cp_expect(line, len, &pos, " ts=", err, errlen))
		return false;
	if (len - pos < JK_TS_LEN || !jk_parse_ts(line + pos, JK_TS_LEN, &ts_us) ||
		(len - pos > JK_TS_LEN && line[pos + JK_TS_LEN] != ' '))
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "checkpoint: invalid ts (byte %zu)", pos);
		return false;
	}
	memcpy(cp->ts, line + pos, JK_TS_LEN);
	cp->ts[JK_TS_LEN] = '\0';
	pos += JK_TS_LEN;

	if (!cp_expect(line, len, &pos, " key=", err, errlen))
		return false;
	start = pos;
	if (!cp_hex_field(line, len, &pos, JK_KEYID_LEN, "key", err, errlen))
		return false;
	memcpy(cp->key_id, line + start, JK_KEYID_LEN);
	cp->key_id[JK_KEYID_LEN] = '\0';

	cp->signed_len = pos;
	if (!cp_expect(line, len, &pos, " sig=", err, errlen))
		return false;
	start = pos;
	if (!cp_hex_field(line, len, &pos, 2 * JK_SIG_LEN, "sig", err, errlen))
		return false;
	jk_unhex(line + start, 2 * JK_SIG_LEN, cp->sig, JK_SIG_LEN);
	if (pos != len)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "checkpoint: unexpected text after sig (byte %zu)",
					 pos);
		return false;
	}
	return true;
}


/* ---------------------------------------------------------------------
 * Ed25519
 * ---------------------------------------------------------------------
 */

/* Names a key in checkpoint lines without embedding the whole key. */
bool
jk_key_id(const uint8_t pub[JK_PUBKEY_LEN], char out[JK_KEYID_LEN + 1])
{
	uint8_t		h[JK_HASH_LEN];

	if (!jk_sha256(pub, JK_PUBKEY_LEN, h))
	{
		out[0] = '\0';
		return false;
	}
	jk_hex(h, JK_KEYID_LEN / 2, out);
	return true;
}

/* One-shot EVP verification; Ed25519 takes no separate digest. */
bool
jk_ed25519_verify(const uint8_t pub[JK_PUBKEY_LEN],
				  const void *msg, size_t len,
				  const uint8_t sig[JK_SIG_LEN])
{
	static const unsigned char empty[1] = {0};
	EVP_PKEY   *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	bool		ok = false;

	if (msg == NULL)
	{
		if (len > 0)
			return false;
		msg = empty;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
									   JK_PUBKEY_LEN);
	if (pkey == NULL)
		goto done;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		goto done;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
		goto done;
	ok = (EVP_DigestVerify(ctx, sig, JK_SIG_LEN, msg, len) == 1);
done:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (!ok)
		ERR_clear_error();		/* a bad signature queues an error too */
	return ok;
}

bool
jk_ed25519_pub_from_pem(const char *pem, size_t len,
						uint8_t pub[JK_PUBKEY_LEN],
						char *err, size_t errlen)
{
	BIO		   *bio = NULL;
	EVP_PKEY   *pkey = NULL;
	size_t		publen = JK_PUBKEY_LEN;
	bool		ok = false;

	if (pem == NULL || len == 0 || len > INT_MAX)
	{
		set_err(err, errlen, "malformed PEM: empty or too long");
		return false;
	}
	bio = BIO_new_mem_buf(pem, (int) len);
	if (bio == NULL)
	{
		set_err(err, errlen, "out of memory");
		goto done;
	}
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pkey == NULL)
	{
		set_err(err, errlen, "malformed PEM: no readable PUBLIC KEY block");
		goto done;
	}
	if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519)
	{
		set_err(err, errlen, "not an Ed25519 key");
		goto done;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
		publen != JK_PUBKEY_LEN)
	{
		set_err(err, errlen, "could not extract the raw Ed25519 public key");
		goto done;
	}
	ok = true;
done:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	if (!ok)
		ERR_clear_error();
	return ok;
}


/* ---------------------------------------------------------------------
 * Export files
 * ---------------------------------------------------------------------
 */

/* Keys are in code-point order; probe holds one backslash. */
void
jk_export_header(JkBuf *out, int64_t from_seq, int64_t to_seq,
				 const uint8_t origin[JK_HASH_LEN],
				 const uint8_t prev_hash[JK_HASH_LEN],
				 const char *exported_at)
{
	char		hex[JK_HEX_LEN + 1];

	jk_buf_append_str(out, "{\"exported_at\":");
	jk_json_string(out, exported_at, strlen(exported_at));
	jk_buf_append_str(out, ",\"format\":\"" JK_EXPORT_FORMAT "\",\"from_seq\":");
	buf_put_int64(out, from_seq);
	jk_buf_append_str(out, ",\"origin\":\"");
	jk_hex(origin, JK_HASH_LEN, hex);
	jk_buf_append(out, hex, JK_HEX_LEN);
	jk_buf_append_str(out, "\",\"prev_hash\":\"");
	jk_hex(prev_hash, JK_HASH_LEN, hex);
	jk_buf_append(out, hex, JK_HEX_LEN);
	jk_buf_append_str(out, "\",\"probe\":\"\\\\\",\"to_seq\":");
	buf_put_int64(out, to_seq);
	buf_putc(out, '}');
}
