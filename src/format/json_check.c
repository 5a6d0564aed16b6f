/*-------------------------------------------------------------------------
 * json_check.c
 *		Is a text already canonical JSON?  Accepts exactly the texts that
 *		jk_json_canonicalize_ex (json.c) with JK_JSON_ENTRY maps to
 *		themselves, without writing anything: how juki_verify reads an
 *		entry's seq and its keys.  The text is a whole entry, so nesting
 *		goes to JK_ENTRY_MAX_DEPTH.  Free of PostgreSQL.
 *-------------------------------------------------------------------------
 */
#include "json.h"
#include "json_check.h"
#include "json_scan.h"

#include <stdio.h>
#include <string.h>

static bool check_value(JkJsonParser *p, int depth);

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
			return (unsigned char) (jk_hex_value(s[*i - 2]) * 16 + jk_hex_value(s[*i - 1]));
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
 * The checking back end: accepts exactly the texts that
 * jk_json_canonicalize_ex(JK_JSON_ENTRY) maps to themselves, without writing
 * anything.
 */
static bool
check_string(JkJsonParser *p)
{
	size_t		start = p->pos;
	bool		nc = false;

	if (!jk_json_scan_string(p, NULL, &nc))
		return false;
	if (nc)
		return jk_json_noncanonical(p, start, "string not escaped as in RFC 8785");
	return true;
}

/* Keys must be strictly increasing: that also rules out duplicates. */
static bool
check_object(JkJsonParser *p, int depth)
{
	const char *prev = NULL;
	size_t		prev_len = 0;

	if (depth > p->max_depth)
		return jk_json_too_deep(p, p->pos);
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

		if (p->pos < p->len && jk_json_is_ws(p->in[p->pos]))
			return jk_json_noncanonical(p, p->pos, "white space");
		if (p->pos >= p->len || p->in[p->pos] != '"')
			return jk_json_error(p, p->pos, "expected a string (object key)");
		if (!check_string(p))
			return false;
		key = p->in + key_pos + 1;
		key_len = p->pos - key_pos - 2;
		if (prev != NULL)
		{
			int			c = canon_key_cmp(prev, prev_len, key, key_len);

			if (c == 0)
				return jk_json_error(p, key_pos, "duplicate object key");
			if (c > 0)
				return jk_json_noncanonical(p, key_pos, "object keys not sorted");
		}
		prev = key;
		prev_len = key_len;
		if (p->pos >= p->len || p->in[p->pos] != ':')
			return jk_json_noncanonical(p, p->pos, "expected ':' right after the key");
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
		if (p->pos < p->len && jk_json_is_ws(p->in[p->pos]))
			return jk_json_noncanonical(p, p->pos, "white space");
		return jk_json_error(p, p->pos, "expected ',' or '}'");
	}
}

static bool
check_array(JkJsonParser *p, int depth)
{
	if (depth > p->max_depth)
		return jk_json_too_deep(p, p->pos);
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
		if (p->pos < p->len && jk_json_is_ws(p->in[p->pos]))
			return jk_json_noncanonical(p, p->pos, "white space");
		return jk_json_error(p, p->pos, "expected ',' or ']'");
	}
}

static bool
check_value(JkJsonParser *p, int depth)
{
	char		c;

	if (p->pos >= p->len)
		return jk_json_error(p, p->pos, "unexpected end of input");
	c = p->in[p->pos];
	if (jk_json_is_ws(c))
		return jk_json_noncanonical(p, p->pos, "white space");
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

		if (!jk_json_scan_number(p, NULL, &nc))
			return false;
		if (nc)
			return jk_json_noncanonical(p, start, "-0");
		return true;
	}
	if (c == 't' || c == 'f' || c == 'n')
		return jk_json_scan_literal(p, NULL);
	return jk_json_error(p, p->pos, "unexpected character");
}

/* Checks canonical form without a buffer, then reads the top-level "seq". */
bool
jk_entry_seq(const char *canon, size_t len, int64_t *seq,
			 char *err, size_t errlen)
{
	JkJsonParser	p;
	char		inner[JK_ERR_LEN];
	bool		ok;

	memset(&p, 0, sizeof(p));
	p.in = canon;
	p.len = len;
	p.err = inner;
	p.errlen = sizeof(inner);
	p.max_depth = JK_ENTRY_MAX_DEPTH;	/* a whole entry, see json.h */
	inner[0] = '\0';
	if (canon == NULL)
	{
		jk_set_err(err, errlen, "no entry");
		return false;
	}
	ok = check_value(&p, 0);
	if (ok && p.pos != p.len)
	{
		if (jk_json_is_ws(p.in[p.pos]))
			ok = jk_json_noncanonical(&p, p.pos, "white space");
		else
			ok = jk_json_error(&p, p.pos, "unexpected text after the JSON value");
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
		jk_set_err(err, errlen, "entry is not a JSON object");
		return false;
	}
	if (!p.seq_found)
	{
		jk_set_err(err, errlen, "entry has no \"seq\"");
		return false;
	}
	if (!p.seq_is_int)
	{
		jk_set_err(err, errlen, "entry's \"seq\" is not an integer");
		return false;
	}
	*seq = p.seq_value;
	return true;
}


/* The top-level keys of canonical JSON text, one callback each. */
bool
jk_json_top_keys(const char *canon, size_t len, jk_key_fn fn, void *arg)
{
	JkJsonParser	p;
	char		inner[JK_ERR_LEN];

	memset(&p, 0, sizeof(p));
	p.in = canon;
	p.len = len;
	p.err = inner;
	p.errlen = sizeof(inner);
	p.max_depth = JK_ENTRY_MAX_DEPTH;	/* a whole entry, see json.h */
	p.key_fn = fn;
	p.key_arg = arg;
	return canon != NULL && len > 0 && canon[0] == '{' && check_value(&p, 0);
}
