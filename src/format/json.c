/*-------------------------------------------------------------------------
 * json.c
 *		Canonical JSON (DESIGN §7.2, RFC 8785 for strings): the one
 *		canonicaliser of juki.  The audit writer canonicalises every
 *		record's criteria and detail with it, the backend reads stored
 *		jsonb back through it (log/record.c), and juki_verify checks export
 *		files with it.  Free of PostgreSQL.
 *-------------------------------------------------------------------------
 */
#include "json.h"
#include "json_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Header of one member while an object is being sorted (see canon_object). */
typedef struct MemberRec
{
	size_t		key_len;		/* raw (unescaped) key bytes that follow */
	size_t		text_len;		/* then canonical "key":value */
	size_t		key_pos;		/* offset of the key in the input */
} MemberRec;

static bool canon_value(JkJsonParser *p, JkBuf *out, int depth);

/*
 * Does any byte of the 8 in v need escaping ('"', '\\' or below 0x20)?  The
 * usual zero-byte test on v, v ^ '"'..., v ^ '\\'... and v < 0x20: exact
 * for "any", which is all it is asked.
 */
static inline bool
word_needs_escape(uint64_t v)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	const uint64_t highs = UINT64_C(0x8080808080808080);
	uint64_t	q = v ^ (ones * '"');
	uint64_t	b = v ^ (ones * '\\');

	return (((v - ones * 0x20) & ~v) |
			((q - ones) & ~q) |
			((b - ones) & ~b)) & highs;
}

/* RFC 8785 §3.2.2.2: only '"', '\\' and C0 controls are escaped. */
void
jk_json_string(JkBuf *out, const char *s, size_t len)
{
	size_t		i = 0;
	size_t		run = 0;

	/*
	 * Most strings need no escape: find the first byte that does, 8 at a
	 * time, and copy everything before it at once.  (s may lie in out's own
	 * storage: json_string_from_self reserved room first, so the reserve
	 * below moves nothing.)
	 */
	jk_buf_reserve(out, len + 2);
	while (i + 8 <= len)
	{
		uint64_t	v;

		memcpy(&v, s + i, 8);
		if (word_needs_escape(v))
			break;
		i += 8;
	}
	while (i < len && (unsigned char) s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
		i++;
	if (i == len)
	{
		/* nothing to escape: quote, bytes, quote (s, if it is out's, ends where this starts) */
		char	   *d = out->data + out->len;

		d[0] = '"';
		memcpy(d + 1, s, len);
		d[len + 1] = '"';
		d[len + 2] = '\0';
		out->len += len + 2;
		return;
	}
	out->data[out->len++] = '"';
	for (; i < len; i++)
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
				esc[4] = jk_hex_digits[c >> 4];
				esc[5] = jk_hex_digits[c & 0x0f];
				esclen = 6;
				break;
		}
		jk_buf_append(out, esc, esclen);
		run = i + 1;
	}
	jk_buf_append(out, s + run, len - run);
	jk_buf_putc(out, '"');
}

/* The scanner's UTF-8 rule (jk_json_utf8_len), over a whole string. */
bool
jk_json_utf8_valid(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		size_t		n;

		if ((unsigned char) s[i] < 0x80)
		{
			i++;
			continue;
		}
		n = jk_json_utf8_len((const unsigned char *) s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/*
 * Escape the raw bytes at out->data[raw_off..len) and append the JSON string
 * after them.  Room is reserved first so that the source cannot move.
 */
static void
json_string_from_self(JkBuf *out, size_t raw_off, size_t raw_len)
{
	jk_buf_reserve(out, raw_len * 6 + 2);
	jk_json_string(out, out->data + raw_off, raw_len);
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
canon_object(JkJsonParser *p, JkBuf *out, int depth)
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

	if (depth > p->max_depth)
		return jk_json_too_deep(p, p->pos);
	p->pos++;
	jk_json_skip_ws(p);
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

		jk_json_skip_ws(p);
		if (p->pos >= p->len || p->in[p->pos] != '"')
			return jk_json_error(p, p->pos, "expected a string (object key)");
		memset(&h, 0, sizeof(h));
		h.key_pos = p->pos;
		rec_off = out->len;
		jk_buf_append(out, (const char *) &h, sizeof(h));
		raw_off = out->len;
		if (!jk_json_scan_string(p, out, &nc))
			return false;
		h.key_len = out->len - raw_off;
		text_off = out->len;
		json_string_from_self(out, raw_off, h.key_len);
		jk_buf_putc(out, ':');
		jk_json_skip_ws(p);
		if (p->pos >= p->len || p->in[p->pos] != ':')
			return jk_json_error(p, p->pos, "expected ':'");
		p->pos++;
		if (!canon_value(p, out, depth))
			return false;
		h.text_len = out->len - text_off;
		memcpy(out->data + rec_off, &h, sizeof(h));
		n++;
		outsize += h.text_len + 1;	/* and a comma or the closing brace */
		jk_json_skip_ws(p);
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
		return jk_json_error(p, p->pos, "expected ',' or '}'");
	}
	outsize--;					/* n-1 commas, '{' and '}' */

	extra = sizeof(char *) - 1 + n * sizeof(char *) + outsize;
	jk_buf_reserve(out, extra);
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
			return jk_json_error(p, ha.key_pos > hb.key_pos ? ha.key_pos : hb.key_pos,
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
	jk_buf_truncate(out, start + outsize);
	return true;
}

static bool
canon_array(JkJsonParser *p, JkBuf *out, int depth)
{
	if (depth > p->max_depth)
		return jk_json_too_deep(p, p->pos);
	p->pos++;
	jk_buf_putc(out, '[');
	jk_json_skip_ws(p);
	if (p->pos < p->len && p->in[p->pos] == ']')
	{
		p->pos++;
		jk_buf_putc(out, ']');
		return true;
	}
	for (;;)
	{
		if (!canon_value(p, out, depth))
			return false;
		jk_json_skip_ws(p);
		if (p->pos < p->len && p->in[p->pos] == ',')
		{
			p->pos++;
			jk_buf_putc(out, ',');
			continue;
		}
		if (p->pos < p->len && p->in[p->pos] == ']')
		{
			p->pos++;
			jk_buf_putc(out, ']');
			return true;
		}
		return jk_json_error(p, p->pos, "expected ',' or ']'");
	}
}

/* Any value (after optional white space), written canonically to out. */
static bool
canon_value(JkJsonParser *p, JkBuf *out, int depth)
{
	bool		nc = false;
	char		c;

	jk_json_skip_ws(p);
	if (p->pos >= p->len)
		return jk_json_error(p, p->pos, "unexpected end of input");
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

		if (!jk_json_scan_string(p, out, &nc))
			return false;
		raw_len = out->len - raw_off;
		esc_off = out->len;
		json_string_from_self(out, raw_off, raw_len);
		memmove(out->data + raw_off, out->data + esc_off, out->len - esc_off);
		jk_buf_truncate(out, raw_off + (out->len - esc_off));
		return true;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
	{
		size_t		start = p->pos;

		if (!jk_json_scan_number(p, out, &nc))
			return false;
		if (p->number_is_text)
		{
			p->number_is_text = false;
			jk_json_string(out, p->in + start, p->pos - start);
		}
		return true;
	}
	if (c == 't' || c == 'f' || c == 'n')
		return jk_json_scan_literal(p, out);
	return jk_json_error(p, p->pos, "unexpected character");
}

/* On error out is cut back to its length on entry, so callers can retry. */
bool
jk_json_canonicalize_ex(const char *in, size_t len, JkBuf *out, int flags,
						char *err, size_t errlen)
{
	JkJsonParser p;
	size_t		orig_len = out->len;

	memset(&p, 0, sizeof(p));
	p.in = in;
	p.len = len;
	p.err = err;
	p.errlen = errlen;
	p.numbers_as_strings = (flags & JK_JSON_NUMBERS_AS_STRINGS) != 0;
	p.max_depth = (flags & JK_JSON_ENTRY) ? JK_ENTRY_MAX_DEPTH : JK_JSON_MAX_DEPTH;
	if (in == NULL && len > 0)
	{
		jk_set_err(err, errlen, "no input");
		return false;
	}
	if (!canon_value(&p, out, 0))
	{
		jk_buf_truncate(out, orig_len);
		return false;
	}
	jk_json_skip_ws(&p);
	if (p.pos != p.len)
	{
		jk_buf_truncate(out, orig_len);
		return jk_json_error(&p, p.pos, "unexpected text after the JSON value");
	}
	return true;
}

bool
jk_json_canonicalize(const char *in, size_t len, JkBuf *out,
					 char *err, size_t errlen)
{
	return jk_json_canonicalize_ex(in, len, out, 0, err, errlen);
}
