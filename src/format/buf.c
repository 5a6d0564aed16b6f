/*-------------------------------------------------------------------------
 * buf.c
 *		The growable byte buffer every part of the format writes into, and
 *		hex.  Free of PostgreSQL: the caller supplies the allocator (palloc
 *		in the backend, realloc in juki_verify), nothing here keeps state.
 *-------------------------------------------------------------------------
 */
#include "buf.h"

#include <stdio.h>
#include <string.h>

const char	jk_hex_digits[] = "0123456789abcdef";

/* ---------------------------------------------------------------------
 * Growable buffer
 * ---------------------------------------------------------------------
 */

/* Grow b so that extra more bytes and a NUL fit (the slow path). */
void
jk_buf_grow(JkBuf *b, size_t extra)
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

void
jk_buf_init(JkBuf *b, jk_realloc_fn realloc_fn)
{
	b->realloc_fn = realloc_fn;
	b->cap = 64;
	b->len = 0;
	b->data = realloc_fn(NULL, b->cap);
	b->data[0] = '\0';
}

/* jk_buf_append when b must grow first; s may point into b's own storage. */
void
jk_buf_append_grow(JkBuf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (b->data != NULL && s >= b->data && s < b->data + b->cap)
	{
		size_t		off = (size_t) (s - b->data);

		jk_buf_reserve(b, n);
		s = b->data + off;
	}
	else
		jk_buf_reserve(b, n);
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

/* Plain decimal; snprintf never writes "-0" for an integer. */
void
jk_buf_append_int64(JkBuf *b, int64_t v)
{
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);
	uint64_t	u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

	/* by hand, two digits a step: this runs for every integer of every entry verified */
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";

	while (u >= 100)
	{
		unsigned	r = (unsigned) (u % 100);

		u /= 100;
		*--p = pairs[2 * r + 1];
		*--p = pairs[2 * r];
	}
	if (u >= 10)
	{
		*--p = pairs[2 * u + 1];
		*--p = pairs[2 * u];
	}
	else
		*--p = (char) ('0' + u);
	if (v < 0)
		*--p = '-';
	jk_buf_append(b, p, (size_t) (tmp + sizeof(tmp) - p));
}


/* Cut b back to len bytes (used to undo partial output after an error). */
void
jk_buf_truncate(JkBuf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

void
jk_set_err(char *err, size_t errlen, const char *msg)
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
		out[2 * i] = jk_hex_digits[in[i] >> 4];
		out[2 * i + 1] = jk_hex_digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* Value of a hex digit of either case, or -1. */
int
jk_hex_value(char c)
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
		int			hi = jk_hex_value(in[2 * i]);
		int			lo = jk_hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t) (hi << 4 | lo);
	}
	return true;
}

bool
jk_is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
