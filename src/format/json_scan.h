/*-------------------------------------------------------------------------
 * json_scan.h
 *		The JSON scanner shared by the canonicaliser (json.c) and the
 *		canonical-form checker (json_check.c); not for other callers.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_JSON_SCAN_H
#define JUKI_FORMAT_JSON_SCAN_H

#include "buf.h"

typedef struct JkJsonParser
{
	const char *in;
	size_t		len;
	size_t		pos;
	char	   *err;
	size_t		errlen;
	bool		noncanonical;	/* the error is "valid but not canonical" */
	int			max_depth;		/* JK_JSON_MAX_DEPTH or JK_ENTRY_MAX_DEPTH */
	/* numbers entries cannot hold are kept as strings (json.c's loose mode) */
	bool		numbers_as_strings;
	bool		number_is_text; /* the last number: write its text as a string */
	/* results of the last number scanned, and of the top-level "seq" */
	int64_t		last_int;
	bool		seq_found;
	bool		seq_is_int;
	int64_t		seq_value;
	/* jk_json_top_keys: called for each top-level key */
	void		(*key_fn) (const char *key, size_t keylen, char value_first, void *arg);
	void	   *key_arg;
} JkJsonParser;

/* "msg at byte pos" into p->err; false */
extern bool jk_json_error(JkJsonParser *p, size_t pos, const char *msg);
/* the same, for input that is valid JSON but not in canonical form */
extern bool jk_json_noncanonical(JkJsonParser *p, size_t pos, const char *msg);
/* "nesting deeper than <p->max_depth>" at pos; false */
extern bool jk_json_too_deep(JkJsonParser *p, size_t pos);
extern bool jk_json_is_ws(char c);
extern void jk_json_skip_ws(JkJsonParser *p);

/*
 * A string at p->pos (the opening quote): its raw bytes are appended to out
 * if not NULL; *noncanon is set if it is not written as RFC 8785 would.
 */
extern bool jk_json_scan_string(JkJsonParser *p, JkBuf *out, bool *noncanon);

/*
 * A number at p->pos: an integer -?(0|[1-9][0-9]*) within int64, whose
 * canonical form is appended to out (if not NULL) and value left in
 * p->last_int; with numbers_as_strings any other JSON number too (see
 * json_scan.c).
 */
extern bool jk_json_scan_number(JkJsonParser *p, JkBuf *out, bool *noncanon);

/* true, false or null at p->pos. */
extern bool jk_json_scan_literal(JkJsonParser *p, JkBuf *out);

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0 if invalid. */
extern size_t jk_json_utf8_len(const unsigned char *s, size_t avail);

#endif							/* JUKI_FORMAT_JSON_SCAN_H */
