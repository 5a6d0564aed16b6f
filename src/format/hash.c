/*-------------------------------------------------------------------------
 * hash.c
 *		SHA-256 and the chain: hash(e) = SHA-256(prev_hash || canonical(e))
 *		(DESIGN §7.2).  Free of PostgreSQL: OpenSSL's libcrypto, whose error
 *		queue is cleared after a failure (the backend shares it with TLS).
 *-------------------------------------------------------------------------
 */
#include "hash.h"

#include <openssl/err.h>
#include <openssl/evp.h>

bool
jk_sha256(const void *data, size_t len, uint8_t out[JK_HASH_LEN])
{
	unsigned int outlen = 0;
	static const unsigned char empty[1] = {0};

	if (data == NULL)
	{
		if (len > 0)
			return false;
		data = empty;
	}
	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 ||
		outlen != JK_HASH_LEN)
	{
		ERR_clear_error();
		return false;
	}
	return true;
}

/* SHA-256(prev || canon) in one context, without concatenating. */
bool
jk_chain_hash(const uint8_t prev[JK_HASH_LEN], const char *canon,
			  size_t len, uint8_t out[JK_HASH_LEN])
{
	/*
	 * One fetched digest and one context per process (every user of format/
	 * is single-threaded): fetching SHA-256 and allocating a context per
	 * entry cost more than hashing a typical entry.
	 */
	static EVP_MD *md = NULL;
	static EVP_MD_CTX *ctx = NULL;
	unsigned int outlen = 0;
	bool		ok = false;

	if (canon == NULL && len > 0)
		return false;
	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	if (md == NULL || ctx == NULL)
		goto done;
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1)
		goto done;
	if (EVP_DigestUpdate(ctx, prev, JK_HASH_LEN) != 1)
		goto done;
	if (len > 0 && EVP_DigestUpdate(ctx, canon, len) != 1)
		goto done;
	if (EVP_DigestFinal_ex(ctx, out, &outlen) != 1 || outlen != JK_HASH_LEN)
		goto done;
	ok = true;
done:
	if (!ok)
		ERR_clear_error();
	return ok;
}
