/*-------------------------------------------------------------------------
 * chain.h
 *		The operation log's public format, free of PostgreSQL: canonical
 *		encoding of entries (DESIGN §7.2), SHA-256 chaining, checkpoint lines
 *		and export files.  The backend and the offline verifier
 *		(src/tools/juki_verify) both link chain.c and chain_entry.c (the
 *		entry fields), so the two can never
 *		disagree about what an entry's bytes are.
 *
 * Only libc and OpenSSL (libcrypto) are used.  Every function that can fail
 * returns false and leaves a message in the caller's error buffer; none
 * aborts, allocates behind the caller's back, or keeps global state.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_CHAIN_H
#define JUKI_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JK_HASH_LEN		32		/* SHA-256 */
#define JK_HEX_LEN		64		/* hex of a hash, without NUL */
#define JK_TS_LEN		27		/* YYYY-MM-DDTHH:MM:SS.ffffffZ, without NUL */
#define JK_SIG_LEN		64		/* Ed25519 signature */
#define JK_PUBKEY_LEN	32		/* raw Ed25519 public key */
#define JK_KEYID_LEN	16		/* hex chars of a key id, without NUL */
#define JK_ERR_LEN		256

/*
 * A growable byte buffer.  The caller supplies the allocator so that the
 * backend can use palloc'd memory (freed with its memory context, even on
 * error) and the standalone tool can use realloc.  realloc_fn(NULL, n)
 * allocates; realloc_fn must not return NULL (the backend's errors out, the
 * tool's aborts on out-of-memory).  data is always NUL-terminated.
 */
typedef void *(*jk_realloc_fn) (void *ptr, size_t size);

typedef struct JkBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	jk_realloc_fn realloc_fn;
} JkBuf;

extern void jk_buf_init(JkBuf *b, jk_realloc_fn realloc_fn);
extern void jk_buf_append(JkBuf *b, const char *s, size_t n);
extern void jk_buf_append_str(JkBuf *b, const char *s);
extern void jk_buf_reset(JkBuf *b);		/* len = 0, keeps the storage */
extern void jk_buf_append_int64(JkBuf *b, int64_t v);	/* plain decimal */

/*
 * The fields of an entry, in canonical order (keys sorted by code point).
 *
 * Format evolution: the fields of format 1.0 are always in canonical(e),
 * written as null when absent; a field added after 1.0 is written only when
 * it has a value.  So every entry written before a field existed keeps its
 * bytes and its hash, an entry that has the new field is still one JSON
 * object with sorted keys, and a log table that lacks the column simply
 * never has the value.  Adding a field = a JkFieldId in its sorted place, a
 * row of jk_fields (with the version that added it), a member of JkEntry,
 * its cases in chain_entry.c and log_columns.c, and a column appended to
 * juki.operation_log.
 */
typedef enum JkFieldId
{
	JK_F_ACTION,
	JK_F_BACKEND_PID,
	JK_F_CARD_SERIAL,
	JK_F_CLIENT_ADDR,
	JK_F_CRITERIA,
	JK_F_DB_ROLE,
	JK_F_DETAIL,
	JK_F_FIELDS,
	JK_F_LOGIN_ROLE,			/* 1.1 */
	JK_F_OPERATOR_ID,
	JK_F_OUTCOME,
	JK_F_PERMIT_ID,
	JK_F_PURPOSE,
	JK_F_REASON,
	JK_F_ROW_COUNT,
	JK_F_SEQ,
	JK_F_SESSION_ID,
	JK_F_SUBJECTS,
	JK_F_TS,
	JK_NFIELDS
} JkFieldId;

typedef enum JkFieldKind
{
	JK_KIND_TEXT,				/* JSON string */
	JK_KIND_INT,				/* JSON integer */
	JK_KIND_JSON,				/* a canonical JSON object (criteria, detail) */
	JK_KIND_TEXT_ARRAY,			/* JSON array of strings */
	JK_KIND_TS					/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
} JkFieldKind;

typedef struct JkField
{
	const char *name;
	const char *key;			/* as written in canonical(e): "\"name\":" */
	size_t		key_len;
	JkFieldId	id;
	JkFieldKind kind;
	const char *since;			/* format version that added the field */
	bool		added;			/* after 1.0: in canonical(e) only with a value */
} JkField;

/* Every field, indexed by JkFieldId (which is canonical order). */
extern const JkField jk_fields[JK_NFIELDS];

/* The field with this name (len bytes, not NUL-terminated), or NULL. */
extern const JkField *jk_field_by_name(const char *name, size_t len);

/*
 * One operation-log entry (DESIGN §7.1) as plain C values.  Strings are
 * NUL-terminated valid UTF-8, NULL meaning JSON null (or, for a field added
 * after 1.0, absent).  criteria and detail are already canonical JSON text
 * (objects), or NULL.  subjects/fields are arrays of strings (no NULL
 * elements); *_null distinguishes a JSON null from an empty array.
 */
typedef struct JkEntry
{
	int64_t		seq;
	int64_t		ts_unix_us;		/* microseconds since 1970-01-01T00:00:00Z */
	const char *db_role;		/* the role in effect (after SET ROLE) */
	const char *login_role;		/* 1.1: the authenticated login */
	bool		has_operator_id;
	int64_t		operator_id;
	bool		has_session_id;
	int64_t		session_id;
	const char *card_serial;
	const char *client_addr;
	bool		has_backend_pid;
	int64_t		backend_pid;
	const char *action;
	const char *purpose;
	bool		has_permit_id;
	int64_t		permit_id;
	const char *outcome;
	const char *reason;
	bool		subjects_null;
	int			nsubjects;
	const char *const *subjects;
	bool		fields_null;
	int			nfields;
	const char *const *fields;
	const char *criteria;
	bool		has_row_count;
	int64_t		row_count;
	const char *detail;
} JkEntry;

/* Is field id of e absent (SQL NULL)?  seq and ts never are. */
extern bool jk_entry_field_absent(const JkEntry *e, JkFieldId id);

/*
 * canonical(e): the JSON object of the fields of jk_fields (every field but
 * prev_hash and hash), keys sorted by code point, no white space, integers
 * as integers, ts as YYYY-MM-DDTHH:MM:SS.ffffffZ, absent 1.0 values as null
 * and absent later fields left out, strings escaped as in RFC 8785.
 * Appends to out.  Returns false, appending nothing, if ts is outside years
 * 0001-9999.
 */
extern bool jk_canonical_entry(JkBuf *out, const JkEntry *e);

/*
 * The fields of a canonical entry (text already accepted by jk_entry_seq):
 * every 1.0 field present, every key a known field, no field added after
 * 1.0 written as null.  False with a message otherwise.
 */
extern bool jk_entry_check_fields(const char *canon, size_t len,
								  char *err, size_t errlen);

/*
 * The top-level keys of JSON text already known to be canonical (as
 * jk_entry_seq checks): fn gets each key's bytes as written and the first
 * byte of its value.  False if the text is not a JSON object.
 */
typedef void (*jk_key_fn) (const char *key, size_t keylen, char value_first, void *arg);
extern bool jk_json_top_keys(const char *canon, size_t len, jk_key_fn fn, void *arg);

/* Append s[0..len) as a JSON string, RFC 8785 escaping (s must be UTF-8). */
extern void jk_json_string(JkBuf *out, const char *s, size_t len);

/*
 * Parse any JSON text and append its canonical form: objects with keys
 * sorted by code point (duplicate keys are an error), no white space,
 * strings re-escaped per RFC 8785, integers without sign of zero, leading
 * zeros or exponent.  Non-integer numbers and integers outside int64 are an
 * error (entries hold none; the backend turns them into strings before
 * logging).  Nesting deeper than 64 is an error.  Invalid UTF-8 is an error.
 */
extern bool jk_json_canonicalize(const char *in, size_t len, JkBuf *out,
								 char *err, size_t errlen);

/* hash(e) = SHA-256(prev_hash || canonical(e)) */
extern bool jk_chain_hash(const uint8_t prev[JK_HASH_LEN], const char *canon,
						  size_t len, uint8_t out[JK_HASH_LEN]);
extern bool jk_sha256(const void *data, size_t len, uint8_t out[JK_HASH_LEN]);

/* Timestamps: UTC, exactly six fractional digits, years 0001-9999. */
extern bool jk_format_ts(int64_t unix_us, char out[JK_TS_LEN + 1]);
extern bool jk_parse_ts(const char *s, size_t len, int64_t *unix_us);

/* Lower-case hex.  jk_unhex accepts exactly 2*n hex digits (either case). */
extern void jk_hex(const uint8_t *in, size_t n, char *out);	/* writes 2n+1 */
extern bool jk_unhex(const char *in, size_t len, uint8_t *out, size_t n);

/*
 * Checkpoints (DESIGN §7.4).  One line of text, fields separated by one
 * space, no trailing space:
 *
 *   juki-checkpoint/1 origin=<64 hex> seq=<int> hash=<64 hex>
 *       ts=<YYYY-MM-DDTHH:MM:SS.ffffffZ> key=<16 hex> sig=<128 hex>
 *
 * origin is the hash of the chain's genesis entry (it names the chain);
 * seq/hash are an entry of that chain; key is the key id, the first 16 hex
 * digits of SHA-256 over the raw 32-byte Ed25519 public key; sig is the
 * Ed25519 signature over the bytes of the line before " sig=".
 */
typedef struct JkCheckpoint
{
	uint8_t		origin[JK_HASH_LEN];
	int64_t		seq;
	uint8_t		hash[JK_HASH_LEN];
	char		ts[JK_TS_LEN + 1];
	char		key_id[JK_KEYID_LEN + 1];
	uint8_t		sig[JK_SIG_LEN];
	size_t		signed_len;		/* bytes of the line covered by sig */
} JkCheckpoint;

/* The signed part of a checkpoint line (without " sig=..."), into out. */
extern void jk_checkpoint_message(JkBuf *out, const uint8_t origin[JK_HASH_LEN],
								  int64_t seq, const uint8_t hash[JK_HASH_LEN],
								  const char *ts, const char *key_id);
/* Parse a line (a trailing \n or \r\n is allowed); strict about the form. */
extern bool jk_checkpoint_parse(const char *line, size_t len, JkCheckpoint *cp,
								char *err, size_t errlen);

/* Key id of a raw Ed25519 public key. */
extern bool jk_key_id(const uint8_t pub[JK_PUBKEY_LEN], char out[JK_KEYID_LEN + 1]);
/* Verify an Ed25519 signature (OpenSSL EVP); false if bad or on any error. */
extern bool jk_ed25519_verify(const uint8_t pub[JK_PUBKEY_LEN],
							  const void *msg, size_t len,
							  const uint8_t sig[JK_SIG_LEN]);
/* Raw public key from PEM text (SubjectPublicKeyInfo of an Ed25519 key). */
extern bool jk_ed25519_pub_from_pem(const char *pem, size_t len,
									uint8_t pub[JK_PUBKEY_LEN],
									char *err, size_t errlen);

/*
 * Export files (DESIGN §7.6), UTF-8 text, one record per line, '\n' ends
 * every line:
 *
 *   1. header:  a canonical JSON object
 *        {"exported_at":"<ts>","format":"juki-export/1","from_seq":F,
 *         "origin":"<64 hex>","prev_hash":"<64 hex>","probe":"\\","to_seq":T}
 *      prev_hash is the hash of entry F-1 (32 zero bytes when F = 0); probe is
 *      a JSON string holding one backslash, so a reader can tell whether the
 *      file went through COPY's text-format escaping (\\ doubled: undo it).
 *   2. one line per entry F..T in seq order:  <64 hex hash> SP <canonical>
 *   3. one or more checkpoint lines (juki-checkpoint/1 ...), the first of
 *      which is at seq T (the export always ends at a checkpoint).
 *   4. trailer:  juki-export-end lines=<N> sha256=<64 hex>
 *      N counts lines 1-3; the digest is SHA-256 over their bytes, each with
 *      its '\n' (i.e. `head -n -1 file | sha256sum` on an unescaped file).
 */
#define JK_EXPORT_FORMAT	"juki-export/1"
#define JK_CHECKPOINT_TAG	"juki-checkpoint/1"
#define JK_EXPORT_END_TAG	"juki-export-end"

/* Append the header line (without '\n'). */
extern void jk_export_header(JkBuf *out, int64_t from_seq, int64_t to_seq,
							 const uint8_t origin[JK_HASH_LEN],
							 const uint8_t prev_hash[JK_HASH_LEN],
							 const char *exported_at);

/*
 * Extract seq from a canonical entry (the value of the top-level "seq" key),
 * after checking that the text is exactly canonical (re-canonicalising it
 * gives the same bytes).
 */
extern bool jk_entry_seq(const char *canon, size_t len, int64_t *seq,
						 char *err, size_t errlen);

#endif							/* JUKI_CHAIN_H */
