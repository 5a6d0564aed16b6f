/*-------------------------------------------------------------------------
 * card.h
 *		Operator IC card keys: parsing PEM public keys and verifying the
 *		card's signature over a login challenge (OpenSSL EVP).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_CARD_H
#define JUKI_CARD_H

/* Key type of a PEM public key: "ed25519", "ecdsa_p256" or "rsa2048";
 * NULL with a reason in err for anything else. */
extern const char *juki_card_key_type(const char *pem, size_t len,
									  char *err, size_t errlen);

/*
 * Verify sig over msg with the PEM public key: Ed25519 (pure), ECDSA P-256
 * with SHA-256 (DER signature), RSA-2048 PKCS#1 v1.5 with SHA-256.  False
 * on a bad signature and on any error.
 */
extern bool juki_card_verify(const char *pem, size_t pemlen,
							 const uint8 *msg, size_t msglen,
							 const uint8 *sig, size_t siglen);

#endif							/* JUKI_CARD_H */
