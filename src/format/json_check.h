/*-------------------------------------------------------------------------
 * json_check.h
 *		Reading canonical JSON text without rewriting it (json_check.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_JSON_CHECK_H
#define JUKI_FORMAT_JSON_CHECK_H

#include "buf.h"

/*
 * Extract seq from a canonical entry (the value of the top-level "seq" key),
 * after checking that the text is exactly canonical (re-canonicalising it
 * as an entry, JK_JSON_ENTRY, gives the same bytes; nested at most
 * JK_ENTRY_MAX_DEPTH deep).
 */
extern bool jk_entry_seq(const char *canon, size_t len, int64_t *seq,
						 char *err, size_t errlen);

/*
 * The top-level keys of JSON text already known to be canonical (as
 * jk_entry_seq checks): fn gets each key's bytes as written and the first
 * byte of its value.  False if the text is not a JSON object (or is nested
 * deeper than an entry).
 */
typedef void (*jk_key_fn) (const char *key, size_t keylen, char value_first, void *arg);
extern bool jk_json_top_keys(const char *canon, size_t len, jk_key_fn fn, void *arg);

#endif							/* JUKI_FORMAT_JSON_CHECK_H */
