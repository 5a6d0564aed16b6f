/*
 * libFuzzer target: the statement-text redactor (redact.c).  Any bytes, with
 * either backslash rule: no crash; the result is never longer; redacting it
 * again changes nothing; and outside quoted identifiers it holds no quote
 * character and no digit that is not a $n parameter or part of a name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard/redact.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80 ||
		(c >= '0' && c <= '9') || c == '$';
}

/* no literal survived: scan the output the way the lexer would */
static void
check_no_literals(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"')
		{
			for (i++; i < len; i++)
				if (s[i] == '"')
				{
					if (i + 1 < len && s[i + 1] == '"')
						i++;
					else
						break;
				}
			if (i >= len)
				abort();		/* an unterminated quoted identifier is withheld */
			i++;
		}
		else if (c == '\'')
			abort();
		else if (c == '$' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
		{
			for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
				;
		}
		else if (c >= '0' && c <= '9')
			abort();
		else if (word_char(c))
		{
			while (i < len && word_char((unsigned char) s[i]))
				i++;
		}
		else
			i++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *out = malloc(size + 1);
	char	   *again = malloc(size + 1);
	size_t		outlen,
				againlen;

	for (int bs = 0; bs < 2; bs++)
	{
		juki_redact_sql((const char *) data, size, bs, out, &outlen);
		if (outlen > size || out[outlen] != '\0')
			abort();
		/* comments and literals are gone: a second pass finds nothing */
		if (juki_redact_sql(out, outlen, bs, again, &againlen) != 0 ||
			againlen != outlen || memcmp(out, again, outlen) != 0)
			abort();
		check_no_literals(out, outlen);
	}
	free(out);
	free(again);
	return 0;
}
