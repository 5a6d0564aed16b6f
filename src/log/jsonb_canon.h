/*-------------------------------------------------------------------------
 * jsonb_canon.h
 *		A stored jsonb value written straight into juki's canonical JSON
 *		(jsonb_canon.c), without PostgreSQL's text of it in between.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_JSONB_CANON_H
#define JUKI_JSONB_CANON_H

#include "utils/jsonb.h"

#include "format/buf.h"

/*
 * Append the canonical form of jb to out: exactly the bytes that
 * jk_json_canonicalize_ex(JsonbToCString(jb), JK_JSON_NUMBERS_AS_STRINGS)
 * gives.  false (out partly written) for a value it does not take: the
 * caller then goes the slow way (record.c).
 */
extern bool juki_jsonb_canonical_direct(Jsonb *jb, JkBuf *out);

#endif							/* JUKI_JSONB_CANON_H */
