/*-------------------------------------------------------------------------
 * card.c
 *		Operator IC card keys (操作者用ICカード).
 *
 * A card holds a private key; juki keeps its public key (PEM) and checks
 * the card's signature over a fresh 32-byte challenge at login and unlock.
 * Three key types are accepted, as municipal card stock varies: Ed25519,
 * ECDSA on P-256 and RSA-2048.  Every OpenSSL return value is checked,
 * every object freed on every path, and OpenSSL's error queue (shared
 * with the backend's TLS) left empty; nothing here throws.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "card.h"

static EVP_PKEY *
read_pem(const char *pem, size_t len)
{
	BIO		   *bio;
	EVP_PKEY   *pkey = NULL;

	if (len == 0 || len > 16384)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int) len);
	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return pkey;
}

/* "ed25519", "ecdsa_p256", "rsa2048" or NULL */
static const char *
classify(EVP_PKEY *pkey, char *err, size_t errlen)
{
	char		group[64];
	size_t		glen = 0;

	switch (EVP_PKEY_get_base_id(pkey))
	{
		case EVP_PKEY_ED25519:
			return "ed25519";
		case EVP_PKEY_EC:
			if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) == 1 &&
				strcmp(group, "prime256v1") == 0)
				return "ecdsa_p256";
			snprintf(err, errlen, "an ECDSA key must be on curve P-256");
			return NULL;
		case EVP_PKEY_RSA:
			if (EVP_PKEY_get_bits(pkey) == 2048)
				return "rsa2048";
			snprintf(err, errlen, "an RSA key must have 2048 bits, this one has %d",
					 EVP_PKEY_get_bits(pkey));
			return NULL;
		default:
			snprintf(err, errlen, "the key type is not Ed25519, ECDSA P-256 or RSA-2048");
			return NULL;
	}
}

const char *
juki_card_key_type(const char *pem, size_t len, char *err, size_t errlen)
{
	EVP_PKEY   *pkey;
	const char *type;

	ERR_clear_error();
	pkey = read_pem(pem, len);
	if (pkey == NULL)
	{
		ERR_clear_error();
		snprintf(err, errlen, "not a PEM public key (-----BEGIN PUBLIC KEY-----)");
		return NULL;
	}
	type = classify(pkey, err, errlen);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return type;
}

bool
juki_card_verify(const char *pem, size_t pemlen, const uint8 *msg, size_t msglen,
				 const uint8 *sig, size_t siglen)
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
	char		err[128];
	bool		ok = false;

	ERR_clear_error();
	pkey = read_pem(pem, pemlen);
	if (pkey == NULL)
	{
		ERR_clear_error();
		return false;
	}
	if (classify(pkey, err, sizeof(err)) == NULL)
	{
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		return false;
	}
	/* Ed25519 signs the message itself; the others a SHA-256 digest */
	md = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL &&
		EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
		EVP_DigestVerify(ctx, sig, siglen, msg, msglen) == 1)
		ok = true;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return ok;
}
