/*-------------------------------------------------------------------------
 * json.h
 *		Canonical JSON (DESIGN §7.2): RFC 8785 string escaping and the one
 *		canonicaliser of juki (json.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_JSON_H
#define JUKI_FORMAT_JSON_H

#include "buf.h"

/*
 * Nesting limits, the only place they are set (DESIGN §7.2).  A value the
 * log keeps (criteria, detail) is nested at most JK_JSON_MAX_DEPTH deep: the
 * writer logs a deeper one as a string under "malformed".  The entry object
 * holding such values adds one level, so a whole entry is nested at most
 * JK_ENTRY_MAX_DEPTH deep: what the readers of entry lines (json_check.c,
 * juki_verify) accept.
 */
#define JK_JSON_MAX_DEPTH	64
#define JK_ENTRY_MAX_DEPTH	(JK_JSON_MAX_DEPTH + 1)

/* Append s[0..len) as a JSON string, RFC 8785 escaping (s must be UTF-8). */
extern void jk_json_string(JkBuf *out, const char *s, size_t len);

/* Is s[0..len) UTF-8 the canonicaliser accepts in a string (RFC 3629)? */
extern bool jk_json_utf8_valid(const char *s, size_t len);

/*
 * Parse any JSON text and append its canonical form: objects with keys
 * sorted by code point (duplicate keys are an error), no white space,
 * strings re-escaped per RFC 8785, integers without sign of zero, leading
 * zeros or exponent.  Non-integer numbers and integers outside int64 are an
 * error (entries hold none), unless flags has JK_JSON_NUMBERS_AS_STRINGS:
 * then such a number becomes a JSON string of its text, except that an
 * integral one written with a fraction of zeros ("1.0") is that integer —
 * how the log keeps what the jsonb values it is given hold (DESIGN §7.2).
 * Nesting deeper than JK_JSON_MAX_DEPTH is an error, or deeper than
 * JK_ENTRY_MAX_DEPTH with flag JK_JSON_ENTRY (the text is a whole entry).
 * Invalid UTF-8 is an error.  On error out is as it was.
 */
#define JK_JSON_NUMBERS_AS_STRINGS	0x01
#define JK_JSON_ENTRY				0x02

extern bool jk_json_canonicalize(const char *in, size_t len, JkBuf *out,
								 char *err, size_t errlen);
extern bool jk_json_canonicalize_ex(const char *in, size_t len, JkBuf *out, int flags,
									char *err, size_t errlen);

#endif							/* JUKI_FORMAT_JSON_H */
