/*-------------------------------------------------------------------------
 * redact.c
 *		A small SQL lexer that takes literals and comments out of a
 *		statement text before it is shown in pg_stat_activity or written to
 *		the server log (statement_text.c installs the hooks).
 *
 * Applications that pass search terms as literals — juki.search('...',
 * '{"full_name": "山田 太郎"}') — would otherwise leave names, birth dates,
 * resident codes and session tokens in places every DBA reads.  The lexer
 * follows PostgreSQL's lexical rules only as far as needed to find where a
 * literal ends; where in doubt it redacts more, never less: an unterminated
 * literal, comment or quoted identifier swallows the rest of the text.
 * Pure C (no PostgreSQL calls) so that libFuzzer can drive it.
 *-------------------------------------------------------------------------
 */
#include "redact.h"

#include <string.h>

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* identifier characters: ASCII letters, '_', and every byte of a multibyte character */
static bool
ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
ident_cont(unsigned char c)
{
	return ident_start(c) || is_digit(c) || c == '$';
}

/* s[i] is an opening single quote; returns the index just past the literal */
static size_t
end_of_string(const char *s, size_t len, size_t i, bool backslash)
{
	for (i++; i < len; i++)
	{
		if (backslash && s[i] == '\\')
			i++;				/* the escaped byte, whatever it is */
		else if (s[i] == '\'')
		{
			if (i + 1 < len && s[i + 1] == '\'')
				i++;			/* '' is a quote inside the literal */
			else
				return i + 1;
		}
	}
	return len;
}

/* s[i] is an opening double quote; index past the identifier, or 0 if unterminated */
static size_t
end_of_quoted_ident(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++)
	{
		if (s[i] == '"')
		{
			if (i + 1 < len && s[i + 1] == '"')
				i++;
			else
				return i + 1;
		}
	}
	return 0;
}

/* s[i] is '/' followed by '*': index past the (nested) comment */
static size_t
end_of_block_comment(const char *s, size_t len, size_t i)
{
	int			depth = 0;

	while (i < len)
	{
		if (i + 1 < len && s[i] == '/' && s[i + 1] == '*')
		{
			depth++;
			i += 2;
		}
		else if (i + 1 < len && s[i] == '*' && s[i + 1] == '/')
		{
			i += 2;
			if (--depth == 0)
				return i;
		}
		else
			i++;
	}
	return len;
}

/*
 * s[i] is '$'.  If a dollar-quote tag ($$ or $tag$) starts here, returns the
 * index past the closing tag (or len) and sets *quoted; else returns i.
 */
static size_t
end_of_dollar_quote(const char *s, size_t len, size_t i, bool *quoted)
{
	size_t		j = i + 1;
	size_t		taglen;
	size_t		k;

	*quoted = false;
	if (j < len && s[j] != '$')
	{
		if (!ident_start((unsigned char) s[j]))
			return i;
		while (j < len && ident_cont((unsigned char) s[j]) && s[j] != '$')
			j++;
	}
	if (j >= len || s[j] != '$')
		return i;
	taglen = j + 1 - i;			/* both dollar signs included */
	*quoted = true;
	for (k = j + 1; k + taglen <= len; k++)
		if (s[k] == '$' && memcmp(s + k, s + i, taglen) == 0)
			return k + taglen;
	return len;
}

/* index past a numeric literal starting at s[i] (digits or '.' digit) */
static size_t
end_of_number(const char *s, size_t len, size_t i)
{
	while (i < len && is_digit((unsigned char) s[i]))
		i++;
	if (i < len && s[i] == '.' && !(i + 1 < len && s[i + 1] == '.'))
	{
		i++;
		while (i < len && is_digit((unsigned char) s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		j = i + 1;

		if (j < len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < len && is_digit((unsigned char) s[j]))
			i = j;
	}
	/* hex/octal/binary forms, '_' separators and junk glued on: all one item */
	while (i < len && ident_cont((unsigned char) s[i]) && s[i] != '$')
		i++;
	return i;
}

int
juki_redact_sql(const char *s, size_t len, bool backslash_quote, char *out, size_t *outlen)
{
	size_t		i = 0;
	size_t		o = 0;
	int			n = 0;

	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];
		unsigned char c1 = i + 1 < len ? (unsigned char) s[i + 1] : 0;
		unsigned char c2 = i + 2 < len ? (unsigned char) s[i + 2] : 0;
		size_t		end;
		bool		quoted;

		if (c == '-' && c1 == '-')
		{
			while (i < len && s[i] != '\n' && s[i] != '\r')
				i++;
			out[o++] = ' ';
			n++;
		}
		else if (c == '/' && c1 == '*')
		{
			i = end_of_block_comment(s, len, i);
			out[o++] = ' ';
			n++;
		}
		else if (c == '\'' ||
				 ((c == 'e' || c == 'E' || c == 'b' || c == 'B' || c == 'x' ||
				   c == 'X' || c == 'n' || c == 'N') && c1 == '\'') ||
				 ((c == 'u' || c == 'U') && c1 == '&' && c2 == '\''))
		{
			size_t		q = c == '\'' ? i : (c1 == '\'' ? i + 1 : i + 2);
			/* E'' escapes with backslash; B'', X'' and U&'' never do */
			bool		bs = (c == 'e' || c == 'E') ? true :
				(c == '\'' || c == 'n' || c == 'N') ? backslash_quote : false;

			i = end_of_string(s, len, q, bs);
			out[o++] = '?';
			n++;
		}
		else if (c == '"' || ((c == 'u' || c == 'U') && c1 == '&' && c2 == '"'))
		{
			size_t		q = c == '"' ? i : i + 2;

			end = end_of_quoted_ident(s, len, q);
			if (end == 0)
			{
				/* unterminated: what follows cannot be told apart, withhold it */
				out[o++] = '?';
				n++;
				i = len;
			}
			else
			{
				memcpy(out + o, s + i, end - i);
				o += end - i;
				i = end;
			}
		}
		else if (c == '$' && is_digit(c1))
		{
			out[o++] = s[i++];	/* a parameter: $n stays */
			while (i < len && is_digit((unsigned char) s[i]))
				out[o++] = s[i++];
		}
		else if (c == '$' && (end = end_of_dollar_quote(s, len, i, &quoted), quoted))
		{
			i = end;
			out[o++] = '?';
			n++;
		}
		else if (is_digit(c) || (c == '.' && is_digit(c1)))
		{
			i = end_of_number(s, len, i);
			out[o++] = '?';
			n++;
		}
		else if (ident_start(c))
		{
			while (i < len && ident_cont((unsigned char) s[i]))
				out[o++] = s[i++];
		}
		else
			out[o++] = s[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return n;
}
