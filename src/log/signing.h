/*-------------------------------------------------------------------------
 * signing.h
 *		Ed25519 signing of checkpoints and their files (DESIGN §7.4).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_CHECKPOINT_H
#define JUKI_CHECKPOINT_H

#include "format/checkpoint.h"

typedef struct JukiSigningKey
{
	void	   *pkey;			/* EVP_PKEY *, opaque to callers */
	uint8		pub[JK_PUBKEY_LEN];
	char		key_id[JK_KEYID_LEN + 1];
} JukiSigningKey;

/*
 * Load juki.signing_key_file.  On failure returns false with a stable code
 * (no_signing_key, signing_key_in_data_directory, signing_key_unreadable,
 * signing_key_malformed, signing_key_not_ed25519) and a message.  Never
 * throws: the writer must go on logging even when it cannot sign.
 */
extern bool juki_signing_key_load(JukiSigningKey *k, const char **code,
								  char *msg, size_t msglen);
extern void juki_signing_key_free(JukiSigningKey *k);
extern bool juki_sign(JukiSigningKey *k, const void *msg, size_t len,
					  uint8 sig[JK_SIG_LEN]);

/* Write line (+ '\n') atomically as a file in juki.checkpoint_directory. */
extern bool juki_checkpoint_write_file(const char *line, const uint8 *origin,
									   int64 seq, char *msg, size_t msglen);
/* The checkpoint's C2SP note (if not NULL) beside it, as <...>.note. */
extern bool juki_checkpoint_write_note(const char *note, const uint8 *origin,
									   int64 seq, char *msg, size_t msglen);
/* The Ed25519 seed of a loaded key (for C2SP notes). */
extern bool juki_signing_seed(JukiSigningKey *k, uint8 seed[JK_PUBKEY_LEN]);

/* Public key (raw) of the configured signing key, for verify_log's default. */
extern bool juki_signing_public_key(uint8 pub[JK_PUBKEY_LEN]);

/* The note, then the line: see signing.c. */
extern bool juki_checkpoint_write_files(const char *line, const char *note, const uint8 *origin,
										int64 seq, char *msg, size_t msglen);

#endif							/* JUKI_CHECKPOINT_H */
