/*-------------------------------------------------------------------------
 * checkpoint.c
 *		Checkpoint lines (DESIGN §7.4): the signed message, strict parsing,
 *		key ids, Ed25519 verification and public keys from PEM.  Free of
 *		PostgreSQL: OpenSSL EVP, every object freed on every path and the
 *		error queue cleared after a failure.
 *-------------------------------------------------------------------------
 */
#include "checkpoint.h"
#include "hash.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* The bytes the signature covers: everything before " sig=". */
void
jk_checkpoint_message(JkBuf *out, const uint8_t origin[JK_HASH_LEN],
					  int64_t seq, const uint8_t hash[JK_HASH_LEN],
					  const char *ts, const char *key_id)
{
	char		hex[JK_HEX_LEN + 1];

	jk_buf_append_str(out, JK_CHECKPOINT_TAG " origin=");
	jk_hex(origin, JK_HASH_LEN, hex);
	jk_buf_append(out, hex, JK_HEX_LEN);
	jk_buf_append_str(out, " seq=");
	jk_buf_append_int64(out, seq);
	jk_buf_append_str(out, " hash=");
	jk_hex(hash, JK_HASH_LEN, hex);
	jk_buf_append(out, hex, JK_HEX_LEN);
	jk_buf_append_str(out, " ts=");
	jk_buf_append_str(out, ts);
	jk_buf_append_str(out, " key=");
	jk_buf_append_str(out, key_id);
}

/* Consume the literal lit at *pos, or report what was expected. */
static bool
cp_expect(const char *line, size_t len, size_t *pos, const char *lit,
		  char *err, size_t errlen)
{
	size_t		n = strlen(lit);

	if (len - *pos < n || memcmp(line + *pos, lit, n) != 0)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "checkpoint: expected \"%s\" at byte %zu",
					 lit, *pos);
		return false;
	}
	*pos += n;
	return true;
}

/* Exactly ndigits lower-case hex digits at *pos, ended by ' ' or the end. */
static bool
cp_hex_field(const char *line, size_t len, size_t *pos, size_t ndigits,
			 const char *name, char *err, size_t errlen)
{
	size_t		n = 0;

	while (*pos + n < len && line[*pos + n] != ' ')
	{
		if (!jk_is_lower_hex(line[*pos + n]))
		{
			if (err != NULL && errlen > 0)
				snprintf(err, errlen,
						 "checkpoint: %s must be lower-case hex (byte %zu)",
						 name, *pos + n);
			return false;
		}
		n++;
	}
	if (n != ndigits)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
					 "checkpoint: %s must be %zu hex digits (byte %zu)",
					 name, ndigits, *pos);
		return false;
	}
	*pos += n;
	return true;
}

/* Fixed field order, single spaces, lower-case hex: anything else fails. */
bool
jk_checkpoint_parse(const char *line, size_t len, JkCheckpoint *cp,
					char *err, size_t errlen)
{
	size_t		pos = 0;
	size_t		start;
	uint64_t	seq = 0;
	int64_t		ts_us;

	memset(cp, 0, sizeof(*cp));
	if (line == NULL)
	{
		jk_set_err(err, errlen, "checkpoint: no line");
		return false;
	}
	if (len > 0 && line[len - 1] == '\n')
	{
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
	}
	if (len < strlen(JK_CHECKPOINT_TAG " ") ||
		memcmp(line, JK_CHECKPOINT_TAG " ", strlen(JK_CHECKPOINT_TAG " ")) != 0)
	{
		jk_set_err(err, errlen, "not a " JK_CHECKPOINT_TAG " line");
		return false;
	}

	if (!cp_expect(line, len, &pos, JK_CHECKPOINT_TAG " origin=", err, errlen))
		return false;
	start = pos;
	if (!cp_hex_field(line, len, &pos, JK_HEX_LEN, "origin", err, errlen))
		return false;
	jk_unhex(line + start, JK_HEX_LEN, cp->origin, JK_HASH_LEN);

	if (!cp_expect(line, len, &pos, " seq=", err, errlen))
		return false;
	start = pos;
	while (pos < len && line[pos] >= '0' && line[pos] <= '9')
	{
		unsigned	d = (unsigned) (line[pos] - '0');

		if (seq > ((uint64_t) INT64_MAX - d) / 10)
		{
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "checkpoint: seq out of range (byte %zu)",
						 start);
			return false;
		}
		seq = seq * 10 + d;
		pos++;
	}
	if (pos == start || (line[start] == '0' && pos - start > 1))
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
					 "checkpoint: seq must be a non-negative integer without leading zeros (byte %zu)",
					 start);
		return false;
	}
	cp->seq = (int64_t) seq;

	if (!cp_expect(line, len, &pos, " hash=", err, errlen))
		return false;
	start = pos;
	if (!cp_hex_field(line, len, &pos, JK_HEX_LEN, "hash", err, errlen))
		return false;
	jk_unhex(line + start, JK_HEX_LEN, cp->hash, JK_HASH_LEN);

	if (!cp_expect(line, len, &pos, " ts=", err, errlen))
		return false;
	if (len - pos < JK_TS_LEN || !jk_parse_ts(line + pos, JK_TS_LEN, &ts_us) ||
		(len - pos > JK_TS_LEN && line[pos + JK_TS_LEN] != ' '))
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "checkpoint: invalid ts (byte %zu)", pos);
		return false;
	}
	memcpy(cp->ts, line + pos, JK_TS_LEN);
	cp->ts[JK_TS_LEN] = '\0';
	pos += JK_TS_LEN;

	if (!cp_expect(line, len, &pos, " key=", err, errlen))
		return false;
	start = pos;
	if (!cp_hex_field(line, len, &pos, JK_KEYID_LEN, "key", err, errlen))
		return false;
	memcpy(cp->key_id, line + start, JK_KEYID_LEN);
	cp->key_id[JK_KEYID_LEN] = '\0';

	cp->signed_len = pos;
	if (!cp_expect(line, len, &pos, " sig=", err, errlen))
		return false;
	start = pos;
	if (!cp_hex_field(line, len, &pos, 2 * JK_SIG_LEN, "sig", err, errlen))
		return false;
	jk_unhex(line + start, 2 * JK_SIG_LEN, cp->sig, JK_SIG_LEN);
	if (pos != len)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "checkpoint: unexpected text after sig (byte %zu)",
					 pos);
		return false;
	}
	return true;
}

/* Names a key in checkpoint lines without embedding the whole key. */
bool
jk_key_id(const uint8_t pub[JK_PUBKEY_LEN], char out[JK_KEYID_LEN + 1])
{
	uint8_t		h[JK_HASH_LEN];

	if (!jk_sha256(pub, JK_PUBKEY_LEN, h))
	{
		out[0] = '\0';
		return false;
	}
	jk_hex(h, JK_KEYID_LEN / 2, out);
	return true;
}

/* One-shot EVP verification; Ed25519 takes no separate digest. */
bool
jk_ed25519_verify(const uint8_t pub[JK_PUBKEY_LEN],
				  const void *msg, size_t len,
				  const uint8_t sig[JK_SIG_LEN])
{
	static const unsigned char empty[1] = {0};
	EVP_PKEY   *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	bool		ok = false;

	if (msg == NULL)
	{
		if (len > 0)
			return false;
		msg = empty;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
									   JK_PUBKEY_LEN);
	if (pkey == NULL)
		goto done;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		goto done;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
		goto done;
	ok = (EVP_DigestVerify(ctx, sig, JK_SIG_LEN, msg, len) == 1);
done:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (!ok)
		ERR_clear_error();		/* a bad signature queues an error too */
	return ok;
}

bool
jk_ed25519_pub_from_pem(const char *pem, size_t len,
						uint8_t pub[JK_PUBKEY_LEN],
						char *err, size_t errlen)
{
	BIO		   *bio = NULL;
	EVP_PKEY   *pkey = NULL;
	size_t		publen = JK_PUBKEY_LEN;
	bool		ok = false;

	if (pem == NULL || len == 0 || len > INT_MAX)
	{
		jk_set_err(err, errlen, "malformed PEM: empty or too long");
		return false;
	}
	bio = BIO_new_mem_buf(pem, (int) len);
	if (bio == NULL)
	{
		jk_set_err(err, errlen, "out of memory");
		goto done;
	}
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pkey == NULL)
	{
		jk_set_err(err, errlen, "malformed PEM: no readable PUBLIC KEY block");
		goto done;
	}
	if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519)
	{
		jk_set_err(err, errlen, "not an Ed25519 key");
		goto done;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
		publen != JK_PUBKEY_LEN)
	{
		jk_set_err(err, errlen, "could not extract the raw Ed25519 public key");
		goto done;
	}
	ok = true;
done:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	if (!ok)
		ERR_clear_error();
	return ok;
}
