/*
 * redact.h — literals and comments out of statement texts (pure C, fuzzed).
 */
#ifndef JUKI_REDACT_H
#define JUKI_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy sql[0..len) to out, each string, number or bit-string literal (with
 * its E/B/X/N/U& prefix) replaced by '?' and each comment by one space.
 * Identifiers, quoted identifiers, keywords, operators and $n parameters are
 * kept.  An unterminated literal or comment swallows the rest of the text.
 * backslash_quote: plain '...' strings treat backslash as an escape (the
 * session's standard_conforming_strings is off).  out needs len + 1 bytes:
 * the result is never longer.  Returns the number of items replaced.
 */
extern int	juki_redact_sql(const char *sql, size_t len, bool backslash_quote,
							char *out, size_t *outlen);

#endif
