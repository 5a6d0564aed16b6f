/*-------------------------------------------------------------------------
 * note.h
 *		C2SP signed notes, verifier keys, tlog-checkpoint bodies,
 *		tlog-cosignature (cosignature/v1), the tlog-witness add-checkpoint
 *		check, and tlog-proof files, free of PostgreSQL.  doc/MERKLE.md gives
 *		the byte formats.
 *
 * Only libc and OpenSSL (libcrypto) are used.  Every function that can fail
 * returns false (or a status) and leaves a message in the caller's error
 * buffer; none aborts, allocates (output goes to caller buffers; parsed
 * structures point into the caller's input) or keeps global state.  Every
 * EVP object is freed before returning.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_NOTE_H
#define JUKI_FORMAT_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

#define JUKI_NOTE_MAX_LEN		65536	/* whole signed note, our limit */
#define JUKI_NOTE_MAX_SIGS		100 /* signature lines (spec: >= 16) */
#define JUKI_NOTE_NAME_MAX		255 /* key name / origin bytes, our limit */
#define JUKI_NOTE_KEY_TEXT_MAX	(JUKI_NOTE_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define JUKI_CHECKPOINT_MAX_LEN 4096	/* a checkpoint body, our limit */

#define JUKI_SIGTYPE_ED25519		0x01
#define JUKI_SIGTYPE_COSIGNATURE_V1 0x04

#define JUKI_ED25519_KEY_LEN	32
#define JUKI_ED25519_SIG_LEN	64
#define JUKI_COSIGNATURE_LEN	72	/* 8-byte big-endian time || signature */

/* The em dash and space that start a signature line (U+2014 U+0020). */
#define JUKI_NOTE_SIG_PREFIX	"\xe2\x80\x94 "

/* ---- base64 (RFC 4648 section 4, padded, canonical) ---- */

/* Characters of the encoding of n bytes, without NUL. */
extern size_t juki_base64_len(size_t n);
/* Writes juki_base64_len(n) characters and a NUL. */
extern bool juki_base64_encode(const uint8_t *in, size_t n, char *out, size_t outlen,
							   char *err, size_t errlen);
/*
 * Strict: length a multiple of 4, '=' only as padding, unused bits zero.
 * out may be NULL to only check the text; *outlen gets the decoded length.
 */
extern bool juki_base64_decode(const char *in, size_t len, uint8_t *out, size_t outcap,
							   size_t *outlen, char *err, size_t errlen);

/* ---- names and keys ---- */

/* Non-empty, valid UTF-8, no Unicode space, no '+', no control character. */
extern bool juki_note_valid_name(const char *s, size_t len);

/* Valid UTF-8 without control characters other than newline. */
extern bool juki_note_valid_text(const char *s, size_t len);

/* SHA-256(name || 0x0A || type || public key)[:4], big-endian. */
extern bool juki_note_key_id(const char *name, size_t len, uint8_t type,
							 const uint8_t pub[JUKI_ED25519_KEY_LEN], uint32_t *id,
							 char *err, size_t errlen);

/* A verifier key: "<name>+<8 hex key ID>+<base64(type || public key)>". */
typedef struct JukiNoteKey
{
	char		name[JUKI_NOTE_NAME_MAX + 1];
	size_t		name_len;
	uint32_t	key_id;
	uint8_t		type;			/* JUKI_SIGTYPE_* */
	uint8_t		pub[JUKI_ED25519_KEY_LEN];
} JukiNoteKey;

/* Strict parse; the key ID must be the one the name and key give. */
extern bool juki_note_key_parse(const char *text, size_t len, JukiNoteKey *key,
								char *err, size_t errlen);
extern bool juki_note_key_make(const char *name, size_t len, uint8_t type,
							   const uint8_t pub[JUKI_ED25519_KEY_LEN],
							   JukiNoteKey *key, char *err, size_t errlen);
/* Key ID in lower-case hex; NUL-terminated. */
extern bool juki_note_key_format(const JukiNoteKey *key, char *out, size_t outlen,
								 char *err, size_t errlen);

/* A signing key: the verifier key and the 32-byte Ed25519 seed. */
typedef struct JukiNoteSigner
{
	JukiNoteKey key;
	uint8_t		seed[JUKI_ED25519_KEY_LEN];
} JukiNoteSigner;

extern bool juki_note_signer_init(JukiNoteSigner *s, const char *name, size_t len,
								  uint8_t type, const uint8_t seed[JUKI_ED25519_KEY_LEN],
								  char *err, size_t errlen);
extern void juki_note_signer_clear(JukiNoteSigner *s);

/*
 * One signature line "— <name> <base64>\n" over text (which must end in a
 * newline).  For an Ed25519 key the payload is key ID || signature; for a
 * cosignature/v1 key text must be a checkpoint body and the payload is key
 * ID || timestamp (8 bytes, big-endian) || signature over the cosignature
 * message; timestamp is ignored for Ed25519 keys.
 */
extern bool juki_note_sign_line(const JukiNoteSigner *s, const char *text, size_t len,
								uint64_t timestamp, char *out, size_t outlen,
								size_t *linelen, char *err, size_t errlen);

/* "cosignature/v1\ntime <t>\n" || body */
extern bool juki_cosignature_message(uint64_t timestamp, const char *body, size_t len,
									 char *out, size_t outlen, size_t *msglen,
									 char *err, size_t errlen);

/* ---- parsing and opening notes ---- */

typedef struct JukiNoteSig
{
	const char *name;			/* into the note */
	size_t		name_len;
	uint32_t	key_id;
	const char *b64;			/* the whole base64 payload */
	size_t		b64_len;
	size_t		sig_len;		/* decoded payload minus the key ID */
} JukiNoteSig;

typedef struct JukiNote
{
	const char *text;			/* includes its final newline */
	size_t		text_len;
	int			nsigs;
	JukiNoteSig sigs[JUKI_NOTE_MAX_SIGS];
} JukiNote;

/* Syntax only (no signature is checked): see doc/MERKLE.md for the rules. */
extern bool juki_note_parse(const char *msg, size_t len, JukiNote *note,
							char *err, size_t errlen);

typedef enum JukiNoteStatus
{
	JUKI_NOTE_VERIFIED = 0,		/* >= 1 known key verified, none failed */
	JUKI_NOTE_MALFORMED,		/* the text breaks signed-note's rules */
	JUKI_NOTE_BAD_SIGNATURE,	/* a known key's signature does not verify */
	JUKI_NOTE_UNVERIFIED,		/* no signature by a known key */
	JUKI_NOTE_ERROR				/* ambiguous keys or an OpenSSL failure */
} JukiNoteStatus;

/*
 * Parse msg and check every signature whose (name, key ID) is one of keys;
 * signatures of other keys are ignored.  verified[i] (if not NULL) tells
 * whether keys[i] signed; for cosignature keys times[i] (if not NULL) gets
 * the signed timestamp.
 */
extern JukiNoteStatus juki_note_open(const char *msg, size_t len,
									 const JukiNoteKey *keys, int nkeys,
									 JukiNote *note, bool *verified, uint64_t *times,
									 char *err, size_t errlen);

/* ---- tlog-checkpoint ---- */

typedef struct JukiCheckpoint
{
	const char *origin;			/* into the text */
	size_t		origin_len;
	uint64_t	size;
	uint8_t		root[JUKI_HASH_LEN];
	const char *ext;			/* extension lines, each with its newline */
	size_t		ext_len;
} JukiCheckpoint;

/* The body "<origin>\n<size>\n<base64 root>\n" + ext (ext may be empty). */
extern bool juki_checkpoint_body(const char *origin, size_t origin_len, uint64_t size,
								 const uint8_t root[JUKI_HASH_LEN],
								 const char *ext, size_t ext_len,
								 char *out, size_t outlen, size_t *bodylen,
								 char *err, size_t errlen);
/* Parse a note's text as a checkpoint body. */
extern bool juki_checkpoint_parse(const char *text, size_t len, JukiCheckpoint *cp,
								  char *err, size_t errlen);

/*
 * Open a signed checkpoint: the log's key must have signed it (others'
 * signatures are ignored, witnesses' are checked and reported).
 */
extern JukiNoteStatus juki_checkpoint_open(const char *msg, size_t len,
										   const JukiNoteKey *log_key,
										   const JukiNoteKey *witnesses, int nwitnesses,
										   JukiCheckpoint *cp, bool *witnessed,
										   uint64_t *times, char *err, size_t errlen);

/* ---- tlog-witness: add-checkpoint ---- */

#define JUKI_WITNESS_MAX_PROOF	63

typedef struct JukiWitnessRequest
{
	uint64_t	old_size;
	int			nproof;
	uint8_t		proof[JUKI_WITNESS_MAX_PROOF][JUKI_HASH_LEN];
	const char *note;			/* the signed checkpoint, into the body */
	size_t		note_len;
} JukiWitnessRequest;

/* "old <n>\n" (<base64 hash>\n){0,63} "\n" <checkpoint note> */
extern bool juki_witness_parse_request(const char *body, size_t len,
									   JukiWitnessRequest *req, char *err, size_t errlen);
extern bool juki_witness_format_request(uint64_t old_size,
										const uint8_t (*proof)[JUKI_HASH_LEN], int nproof,
										const char *note, size_t note_len,
										char *out, size_t outlen, size_t *reqlen,
										char *err, size_t errlen);

/* What the witness knows of one log. */
typedef struct JukiWitnessLog
{
	const char *origin;
	size_t		origin_len;
	const JukiNoteKey *keys;	/* the log's verifier keys */
	int			nkeys;
	bool		has_state;		/* has it cosigned a checkpoint yet? */
	uint64_t	size;			/* the latest cosigned checkpoint */
	uint8_t		root[JUKI_HASH_LEN];
} JukiWitnessLog;

/* tlog-witness's answers, as its HTTP status codes. */
typedef enum JukiWitnessStatus
{
	JUKI_WITNESS_OK = 200,
	JUKI_WITNESS_BAD_REQUEST = 400, /* malformed, or old size > new size */
	JUKI_WITNESS_BAD_SIGNATURE = 403,	/* no trusted log signature verifies */
	JUKI_WITNESS_UNKNOWN_ORIGIN = 404,
	JUKI_WITNESS_CONFLICT = 409,	/* old size is not ours, or same size and
									 * another root */
	JUKI_WITNESS_BAD_PROOF = 422,	/* the consistency proof does not verify */
	JUKI_WITNESS_ERROR = 500	/* OpenSSL failure */
} JukiWitnessStatus;

/*
 * The checks a witness makes before cosigning, in the spec's order.  On OK
 * the caller cosigns cp's body and stores (cp->size, cp->root) for
 * logs[*log_index] atomically with the check.  On CONFLICT *known_size is
 * the size to report (logs[*log_index].size).
 */
extern JukiWitnessStatus juki_witness_check(JukiHasher *h, const JukiWitnessLog *logs,
											int nlogs, const JukiWitnessRequest *req,
											JukiCheckpoint *cp, int *log_index,
											uint64_t *known_size,
											char *err, size_t errlen);

/* ---- tlog-proof ---- */

#define JUKI_TLOG_PROOF_HEADER	"c2sp.org/tlog-proof@v1"

typedef struct JukiTlogProof
{
	const char *extra;			/* base64 text, NULL if absent */
	size_t		extra_len;
	uint64_t	index;
	int			nproof;
	uint8_t		proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
	const char *note;			/* the signed checkpoint */
	size_t		note_len;
} JukiTlogProof;

extern bool juki_tlog_proof_parse(const char *text, size_t len, JukiTlogProof *p,
								  char *err, size_t errlen);
extern bool juki_tlog_proof_format(const JukiTlogProof *p, char *out, size_t outlen,
								   size_t *textlen, char *err, size_t errlen);

#endif							/* JUKI_FORMAT_NOTE_H */
