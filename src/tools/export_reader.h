/*-------------------------------------------------------------------------
 * export_reader.h
 *		Reading an export file line by line (export_reader.c): the state of
 *		one verification, COPY escaping, the header, the entry hashes that
 *		checkpoints name; the keys, checkpoints and report of one
 *		verification (juki_verify.c and the fuzz target fill them).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_EXPORT_READER_H
#define JUKI_EXPORT_READER_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "format/export.h"
#include "format/timestamp.h"
#include "format/checkpoint.h"
#include "format/hash.h"

#define TRAILER_PREFIX	JK_EXPORT_END_TAG " lines="
#define CHECKPOINT_PREFIX	JK_CHECKPOINT_TAG " "

typedef struct Key
{
	uint8_t		pub[JK_PUBKEY_LEN];
	char		id[JK_KEYID_LEN + 1];
} Key;

typedef struct Keys
{
	Key		   *v;
	size_t		n;
} Keys;

/* A checkpoint line from a --checkpoint file, with where it came from. */
typedef struct ExtraCheckpoint
{
	char	   *line;
	size_t		len;
	const char *file;
	long		lineno;
} ExtraCheckpoint;

typedef struct Checkpoints
{
	ExtraCheckpoint *v;
	size_t		n;
} Checkpoints;

/* What verify_export found; message is set when it fails. */
typedef struct Report
{
	FILE	   *notes;			/* informational notes, or NULL */
	char		message[1024];
	int64_t		entries;
	int64_t		from_seq;
	int64_t		to_seq;
	char		origin[JK_HEX_LEN + 1];
	char		covered_key[JK_KEYID_LEN + 1];
} Report;

/* The allocator given to JkBuf: the tool simply stops on out-of-memory. */
extern void *juki_verify_xrealloc(void *p, size_t n);

typedef struct Header
{
	int64_t		from_seq;
	int64_t		to_seq;
	uint8_t		origin[JK_HASH_LEN];
	uint8_t		prev_hash[JK_HASH_LEN];
	char		exported_at[JK_TS_LEN + 1];
} Header;

/* An entry hash that some checkpoint will be compared with. */
typedef struct WantedHash
{
	int64_t		seq;
	bool		have;
	uint8_t		hash[JK_HASH_LEN];
} WantedHash;

typedef struct Verifier
{
	FILE	   *f;
	const Keys *keys;
	Report	   *r;
	/* current line (COPY escaping undone, '\n' removed, NUL-terminated) */
	char	   *line;
	size_t		cap;
	size_t		len;
	long		lineno;
	bool		newline;		/* the line ended with '\n' */
	bool		copy_escaped;
	Header		h;
	WantedHash *wanted;
	size_t		nwanted;
	size_t		capwanted;
	EVP_MD_CTX *digest;			/* over lines 1..3, for the trailer */
	long		ndigested;
	bool		covered;
} Verifier;

/* Record the first failure; always returns 1 so callers can return it. */
extern int	juki_verify_fail(Verifier *v, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/* An informational note (to r->notes, if any). */
extern void juki_verify_note(Verifier *v, const char *fmt,...) __attribute__((format(printf, 2, 3)));

extern bool juki_verify_starts_with(const char *s, size_t len, const char *prefix);
extern bool juki_verify_all_lower_hex(const char *s, size_t n);

/* The next line into v->line (COPY escaping undone): 1, 0 at the end, -1 on error. */
extern int	juki_verify_read_line(Verifier *v);
/* Back to the start, line 1 read: 0, or 1 with the failure recorded. */
extern int	juki_verify_first_line(Verifier *v);
/* Did the file go through COPY's text escaping?  (the header's probe) */
extern void juki_verify_detect_copy_escaping(Verifier *v);

/* First pass: the seqs checkpoints name, whose entry hashes are kept. */
extern int	juki_verify_collect_wanted(Verifier *v, const Checkpoints *extra);
extern WantedHash *juki_verify_wanted_find(Verifier *v, int64_t seq);

/* Line 1: the header, into v->h. */
extern int	juki_verify_parse_header(Verifier *v);

#endif							/* JUKI_EXPORT_READER_H */
