/*-------------------------------------------------------------------------
 * checkpoint.h
 *		Checkpoint lines and Ed25519 (checkpoint.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_CHECKPOINT_H
#define JUKI_FORMAT_CHECKPOINT_H

#include "buf.h"
#include "hash.h"
#include "timestamp.h"

#define JK_SIG_LEN		64		/* Ed25519 signature */
#define JK_PUBKEY_LEN	32		/* raw Ed25519 public key */
#define JK_KEYID_LEN	16		/* hex chars of a key id, without NUL */
#define JK_CHECKPOINT_TAG	"juki-checkpoint/1"

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

#endif							/* JUKI_FORMAT_CHECKPOINT_H */
