/*-------------------------------------------------------------------------
 * json_scan.c
 *		The scanner under juki's JSON: a strict RFC 8259 reader of strings,
 *		numbers and literals, with two back ends above it — json.c writes
 *		the canonical form, json_check.c only checks that a text already is
 *		canonical.  Free of PostgreSQL.
 *-------------------------------------------------------------------------
 */
#include "json_scan.h"

#include <stdio.h>
#include <string.h>

bool
jk_json_error(JkJsonParser *p, size_t pos, const char *msg)
{
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "%s at byte %zu", msg, pos);
	return false;
}

/* As json_error, for input that is valid JSON but not in canonical form. */
bool
jk_json_noncanonical(JkJsonParser *p, size_t pos, const char *msg)
{
	p->noncanonical = true;
	return jk_json_error(p, pos, msg);
}

bool
jk_json_too_deep(JkJsonParser *p, size_t pos)
{
	char		msg[48];

	snprintf(msg, sizeof(msg), "nesting deeper than %d", p->max_depth);
	return jk_json_error(p, pos, msg);
}

bool
jk_json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void
jk_json_skip_ws(JkJsonParser *p)
{
	while (p->pos < p->len && jk_json_is_ws(p->in[p->pos]))
		p->pos++;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0 if invalid. */
size_t
jk_json_utf8_len(const unsigned char *s, size_t avail)
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
		int			d = jk_hex_value(s[i]);

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
scan_escape(JkJsonParser *p, JkBuf *out, bool *noncanon)
{
	size_t		at = p->pos;
	char		e;
	char		c;
	long		cp;

	if (at + 1 >= p->len)
		return jk_json_error(p, at, "unterminated string");
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
				return jk_json_error(p, at, "invalid \\u escape");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return jk_json_error(p, at, "lone surrogate in \\u escape");
			if (cp >= 0xd800 && cp <= 0xdbff)
			{
				long		lo;

				if (at + 12 > p->len || p->in[at + 6] != '\\' ||
					p->in[at + 7] != 'u' ||
					(lo = hex4(p->in + at + 8)) < 0xdc00 || lo > 0xdfff)
					return jk_json_error(p, at, "lone surrogate in \\u escape");
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
			return jk_json_error(p, at, "invalid escape in string");
	}
	if (out != NULL)
		jk_buf_putc(out, c);
	p->pos = at + 2;
	return true;
}

/*
 * A string at p->pos (the opening quote).  Appends its raw UTF-8 bytes to
 * out if not NULL; sets *noncanon if it is not written as RFC 8785 would.
 */
bool
jk_json_scan_string(JkJsonParser *p, JkBuf *out, bool *noncanon)
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
			return jk_json_error(p, start, "unterminated string");
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
			return jk_json_error(p, p->pos, "control character in string");
		n = jk_json_utf8_len((const unsigned char *) p->in + p->pos,
							 p->len - p->pos);
		if (n == 0)
			return jk_json_error(p, p->pos, "invalid UTF-8");
		p->pos += n;
	}
}

/* Digits at p->pos, at least one: how many. */
static size_t
scan_digits(JkJsonParser *p)
{
	size_t		n = 0;

	while (p->pos < p->len && p->in[p->pos] >= '0' && p->in[p->pos] <= '9')
	{
		p->pos++;
		n++;
	}
	return n;
}

/*
 * numbers_as_strings: the number at start, which entries cannot hold as a
 * number (a fraction, an exponent, beyond int64), read whole by RFC 8259's
 * grammar.  An integral value within int64 written with a fraction of
 * zeros ("1.0", what PostgreSQL's numeric prints) is written as that
 * integer; any other sets p->number_is_text, and the caller writes the
 * number's text as a JSON string, as DESIGN §7.2 says.
 */
static bool
number_as_string(JkJsonParser *p, size_t start, JkBuf *out)
{
	size_t		int_end;
	bool		zero_fraction = true;
	bool		exponent = false;

	p->pos = start;
	if (p->in[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->in[p->pos] == '0' && p->pos + 1 < p->len &&
		p->in[p->pos + 1] >= '0' && p->in[p->pos + 1] <= '9')
		return jk_json_error(p, start, "leading zero in number");
	if (scan_digits(p) == 0)
		return jk_json_error(p, start, "invalid number");
	int_end = p->pos;
	if (p->pos < p->len && p->in[p->pos] == '.')
	{
		size_t		frac = ++p->pos;

		if (scan_digits(p) == 0)
			return jk_json_error(p, start, "invalid number");
		for (; frac < p->pos; frac++)
			if (p->in[frac] != '0')
				zero_fraction = false;
	}
	if (p->pos < p->len && (p->in[p->pos] == 'e' || p->in[p->pos] == 'E'))
	{
		exponent = true;
		p->pos++;
		if (p->pos < p->len && (p->in[p->pos] == '+' || p->in[p->pos] == '-'))
			p->pos++;
		if (scan_digits(p) == 0)
			return jk_json_error(p, start, "invalid number");
	}
	if (!exponent && zero_fraction)
	{
		/* the integer part alone, if it is a canonical integer within int64 */
		JkJsonParser whole = *p;
		size_t		mark = out->len;
		bool		nc = false;

		whole.len = int_end;
		whole.pos = start;
		whole.numbers_as_strings = false;
		whole.err = NULL;
		if (jk_json_scan_number(&whole, out, &nc) && whole.pos == int_end)
		{
			p->last_int = whole.last_int;
			return true;
		}
		jk_buf_truncate(out, mark);
	}
	p->number_is_text = true;
	return true;
}

/*
 * An integer at p->pos: -?(0|[1-9][0-9]*) within int64.  Appends its
 * canonical form to out (if not NULL) and leaves its value in p->last_int.
 */
bool
jk_json_scan_number(JkJsonParser *p, JkBuf *out, bool *noncanon)
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
		return jk_json_error(p, start, "invalid number");
	if (p->in[p->pos] == '0')
	{
		p->pos++;
		if (p->pos < p->len && p->in[p->pos] >= '0' && p->in[p->pos] <= '9')
			return jk_json_error(p, start, "leading zero in number");
	}
	else
	{
		while (p->pos < p->len && p->in[p->pos] >= '0' && p->in[p->pos] <= '9')
		{
			unsigned	d = (unsigned) (p->in[p->pos] - '0');

			if (mag > (limit - d) / 10)
			{
				if (p->numbers_as_strings && out != NULL)
					return number_as_string(p, start, out);
				return jk_json_error(p, start, "integer out of range");
			}
			mag = mag * 10 + d;
			p->pos++;
		}
	}
	if (p->pos < p->len &&
		(p->in[p->pos] == '.' || p->in[p->pos] == 'e' || p->in[p->pos] == 'E'))
	{
		if (p->numbers_as_strings && out != NULL)
			return number_as_string(p, start, out);
		return jk_json_error(p, start, "non-integer number");
	}

	if (neg && mag == 0)
	{
		*noncanon = true;		/* -0 */
		p->last_int = 0;
		if (out != NULL)
			jk_buf_putc(out, '0');
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
bool
jk_json_scan_literal(JkJsonParser *p, JkBuf *out)
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
	return jk_json_error(p, p->pos, "invalid literal");
}
