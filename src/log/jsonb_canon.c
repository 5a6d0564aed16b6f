/*-------------------------------------------------------------------------
 * jsonb_canon.c
 *		A stored jsonb value (an entry's criteria or detail) written
 *		straight into canonical JSON by walking its containers, for
 *		verify_log and export_log, which read every entry back.  The slow
 *		way (record.c) prints PostgreSQL's text of the value and parses it
 *		again with the canonicaliser (format/json.c); this file must give
 *		the same bytes, and where that is not plain it declines and the
 *		caller takes the slow way for the whole value:
 *
 *	- object keys: jsonb keeps them by length, then bytes; the canonical
 *	  order is by bytes, then length (json.c's member_cmp): re-sorted here;
 *	- strings: PostgreSQL's escapes decode back to the stored bytes, which
 *	  are then escaped by jk_json_string; bytes that are not UTF-8 (only in
 *	  a database of another encoding) make the canonicaliser fail: declined;
 *	- numbers: the text numeric_out gives (what JsonbToCString prints) is
 *	  put through the canonicaliser itself, so every numeric form (1.0,
 *	  1.5, beyond int64) comes out as the slow way writes it;
 *	- nesting deeper than JK_JSON_MAX_DEPTH, a key twice or anything else
 *	  unexpected: declined.
 * Reads only the value it is given; nothing shared.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "format/json.h"
#include "jsonb_canon.h"

/* members of an object up to this many are sorted on the stack */
#define SMALL_OBJECT		16

/* One member of an object being written: its key and where its value is. */
typedef struct Member
{
	const char *key;
	uint32		keylen;
	JEntry		ventry;
	uint32		vstart;
	uint32		vend;
} Member;

static bool emit_container(const JsonbContainer *jc, JkBuf *out, int depth);

/* The end of child i's data, from the end of child i-1 (JBE_ADVANCE_OFFSET). */
static inline uint32
child_end(JEntry je, uint32 start)
{
	return JBE_HAS_OFF(je) ? JBE_OFFLENFLD(je) : start + JBE_OFFLENFLD(je);
}

/* As json.c's member_cmp: by raw key bytes (code points), then length. */
static int
member_cmp(const void *a, const void *b)
{
	const Member *ma = (const Member *) a;
	const Member *mb = (const Member *) b;
	int			c;

	c = memcmp(ma->key, mb->key, Min(ma->keylen, mb->keylen));
	if (c != 0)
		return c;
	return (ma->keylen > mb->keylen) - (ma->keylen < mb->keylen);
}

/*
 * numeric_out's text of an integer of at most 18 digits, "0" or -?[1-9][0-9]*:
 * well inside int64, which the canonicaliser writes back digit for digit.
 */
static bool
plain_integer(const char *t)
{
	const char *d = t[0] == '-' ? t + 1 : t;
	size_t		n = strlen(d);
	size_t		i;

	if (n == 0 || n > 18 || (d[0] == '0' && (n > 1 || d != t)))
		return false;
	for (i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return false;
	return true;
}

/* A number: numeric_out's text, through the canonicaliser (see above). */
static bool
emit_number(Numeric num, JkBuf *out)
{
	char	   *text;
	char		err[JK_ERR_LEN];
	bool		ok;

	if (numeric_is_nan(num) || numeric_is_inf(num))
		return false;
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	if (plain_integer(text))
	{
		/* what the canonicaliser writes for it: the same digits (most numbers are so) */
		jk_buf_append_str(out, text);
		pfree(text);
		return true;
	}
	ok = jk_json_canonicalize_ex(text, strlen(text), out, JK_JSON_NUMBERS_AS_STRINGS,
								 err, sizeof(err));
	pfree(text);
	return ok;
}

/* One child whose data is base[start..end). */
static bool
emit_child(JEntry je, const char *base, uint32 start, uint32 end, JkBuf *out,
		   int depth)
{
	switch (je & JENTRY_TYPEMASK)
	{
		case JENTRY_ISSTRING:
			if (!jk_json_utf8_valid(base + start, end - start))
				return false;
			jk_json_string(out, base + start, end - start);
			return true;
		case JENTRY_ISNUMERIC:
			return emit_number((Numeric) (base + INTALIGN(start)), out);
		case JENTRY_ISBOOL_TRUE:
			jk_buf_append(out, "true", 4);
			return true;
		case JENTRY_ISBOOL_FALSE:
			jk_buf_append(out, "false", 5);
			return true;
		case JENTRY_ISNULL:
			jk_buf_append(out, "null", 4);
			return true;
		case JENTRY_ISCONTAINER:
			return emit_container((const JsonbContainer *) (base + INTALIGN(start)),
								  out, depth + 1);
		default:
			return false;
	}
}

static bool
emit_array(const JsonbContainer *jc, uint32 n, JkBuf *out, int depth)
{
	const char *base = (const char *) &jc->children[n];
	uint32		end = 0;
	uint32		i;

	jk_buf_putc(out, '[');
	for (i = 0; i < n; i++)
	{
		uint32		start = end;

		end = child_end(jc->children[i], start);
		if (i > 0)
			jk_buf_putc(out, ',');
		if (!emit_child(jc->children[i], base, start, end, out, depth))
			return false;
	}
	jk_buf_putc(out, ']');
	return true;
}

/* keys are children [0, n), their values [n, 2n), data after all 2n */
static bool
emit_object(const JsonbContainer *jc, uint32 n, JkBuf *out, int depth)
{
	const char *base = (const char *) &jc->children[2 * n];
	Member		small[SMALL_OBJECT];
	Member	   *m = n <= SMALL_OBJECT ? small : palloc(sizeof(Member) * n);
	uint32		end = 0;
	uint32		i;
	bool		ok = true;

	for (i = 0; i < n; i++)
	{
		uint32		start = end;

		end = child_end(jc->children[i], start);
		if (!JBE_ISSTRING(jc->children[i]) ||
			!jk_json_utf8_valid(base + start, end - start))
			ok = false;
		m[i].key = base + start;
		m[i].keylen = end - start;
	}
	for (i = 0; i < n; i++)
	{
		m[i].ventry = jc->children[n + i];
		m[i].vstart = end;
		end = child_end(m[i].ventry, end);
		m[i].vend = end;
	}
	if (ok && n > 1)
	{
		qsort(m, n, sizeof(Member), member_cmp);
		for (i = 1; i < n && ok; i++)
			if (member_cmp(&m[i - 1], &m[i]) == 0)
				ok = false;		/* the canonicaliser refuses a key twice */
	}
	if (ok)
	{
		jk_buf_putc(out, '{');
		for (i = 0; i < n && ok; i++)
		{
			if (i > 0)
				jk_buf_putc(out, ',');
			jk_json_string(out, m[i].key, m[i].keylen);
			jk_buf_putc(out, ':');
			ok = emit_child(m[i].ventry, base, m[i].vstart, m[i].vend, out, depth);
		}
		jk_buf_putc(out, '}');
	}
	if (m != small)
		pfree(m);
	return ok;
}

/* An array or object at nesting level depth (the outermost is 1). */
static bool
emit_container(const JsonbContainer *jc, JkBuf *out, int depth)
{
	uint32		n = JsonContainerSize(jc);

	if (depth > JK_JSON_MAX_DEPTH || JsonContainerIsScalar(jc))
		return false;
	if (JsonContainerIsArray(jc))
		return emit_array(jc, n, out, depth);
	if (JsonContainerIsObject(jc))
		return emit_object(jc, n, out, depth);
	return false;
}

bool
juki_jsonb_canonical_direct(Jsonb *jb, JkBuf *out)
{
	const JsonbContainer *root = &jb->root;

	/* a scalar is kept as an array of one, and printed as the scalar */
	if (JsonContainerIsScalar(root))
	{
		if (!JsonContainerIsArray(root) || JsonContainerSize(root) != 1 ||
			JBE_ISCONTAINER(root->children[0]))
			return false;
		return emit_child(root->children[0], (const char *) &root->children[1],
						  0, child_end(root->children[0], 0), out, 0);
	}
	return emit_container(root, out, 1);
}
