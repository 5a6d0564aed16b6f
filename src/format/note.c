/*-------------------------------------------------------------------------
 * note.c
 *		C2SP signed notes: base64, key names, key IDs, verifier keys,
 *		Ed25519 and cosignature/v1 signature lines, parsing and opening
 *		notes (see note.h and doc/MERKLE.md).  Checkpoint bodies, the witness
 *		check and tlog-proof files are in witness.c.
 *
 * Free of PostgreSQL: only libc and OpenSSL's libcrypto.  No global state,
 * no allocation but OpenSSL's own objects, each freed on every path; the
 * error queue is cleared after a failure (the backend's TLS shares it).
 *-------------------------------------------------------------------------
 */
#include "note.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

static const char b64chars[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool
fail(char *err, size_t errlen, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

static bool
fail(char *err, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool
ossl_fail(char *err, size_t errlen, const char *what)
{
	ERR_clear_error();
	return fail(err, errlen, "OpenSSL failure in %s", what);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | (uint32_t) p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
	return ((uint64_t) get_be32(p) << 32) | get_be32(p + 4);
}


/* ---------------------------------------------------------------------
 * base64
 * ---------------------------------------------------------------------
 */

size_t
juki_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

bool
juki_base64_encode(const uint8_t *in, size_t n, char *out, size_t outlen,
				   char *err, size_t errlen)
{
	size_t		i;
	size_t		o = 0;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 2 || outlen < juki_base64_len(n) + 1)
		return fail(err, errlen, "base64 output buffer too small");
	for (i = 0; i + 2 < n; i += 3)
	{
		uint32_t	v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8) | in[i + 2];

		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		out[o++] = b64chars[v & 63];
	}
	if (n - i == 1)
	{
		uint32_t	v = (uint32_t) in[i] << 16;

		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	}
	else if (n - i == 2)
	{
		uint32_t	v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8);

		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return true;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
juki_base64_decode(const char *in, size_t len, uint8_t *out, size_t outcap,
				   size_t *outlen, char *err, size_t errlen)
{
	size_t		i;
	size_t		o = 0;

	*outlen = 0;
	if (len % 4 != 0)
		return fail(err, errlen, "base64 length is not a multiple of 4");
	for (i = 0; i < len; i += 4)
	{
		int			v[4];
		int			pad = 0;
		int			j;
		uint32_t	w;

		for (j = 0; j < 4; j++)
		{
			if (in[i + j] == '=' && i + 4 == len && j >= 2)
			{
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[j] = b64_value(in[i + j])) < 0)
				return fail(err, errlen, "invalid base64");
		}
		w = ((uint32_t) v[0] << 18) | ((uint32_t) v[1] << 12) |
			((uint32_t) v[2] << 6) | (uint32_t) v[3];
		/* unused bits must be zero: one encoding per byte string */
		if ((pad == 1 && (w & 0xff) != 0) || (pad == 2 && (w & 0xffff) != 0))
			return fail(err, errlen, "non-canonical base64");
		if (out != NULL && o + (size_t) (3 - pad) > outcap)
			return fail(err, errlen, "base64 decodes to more than %zu bytes", outcap);
		if (out != NULL)
		{
			out[o] = (uint8_t) (w >> 16);
			if (pad < 2)
				out[o + 1] = (uint8_t) (w >> 8);
			if (pad < 1)
				out[o + 2] = (uint8_t) w;
		}
		o += (size_t) (3 - pad);
	}
	*outlen = o;
	return true;
}


/* ---------------------------------------------------------------------
 * UTF-8 and names
 * ---------------------------------------------------------------------
 */

/* Decode one UTF-8 sequence strictly; 0 on an invalid one. */
static int
utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t	c;
	int			n;
	int			i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
	{
		n = 2;
		c = s[0] & 0x1f;
	}
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
	{
		n = 3;
		c = s[0] & 0x0f;
	}
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
	{
		n = 4;
		c = s[0] & 0x07;
	}
	else
		return 0;
	if ((size_t) n > len)
		return 0;
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
		(c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

/* Unicode White_Space, as Go's unicode.IsSpace (which notes use). */
static bool
is_unicode_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
		c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
		c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

bool
juki_note_valid_name(const char *s, size_t len)
{
	size_t		i = 0;

	if (len == 0 || len > JUKI_NOTE_NAME_MAX)
		return false;
	while (i < len)
	{
		uint32_t	c;
		int			n = utf8_next((const unsigned char *) s + i, len - i, &c);

		if (n == 0 || c < 0x20 || c == '+' || is_unicode_space(c))
			return false;
		i += (size_t) n;
	}
	return true;
}

bool
juki_note_valid_text(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		uint32_t	c;
		int			n;

		/* ASCII fast path: this runs over every byte of every note */
		if ((unsigned char) s[i] < 0x80)
		{
			if ((unsigned char) s[i] < 0x20 && s[i] != '\n')
				return false;
			i++;
			continue;
		}
		n = utf8_next((const unsigned char *) s + i, len - i, &c);
		if (n == 0)
			return false;
		i += (size_t) n;
	}
	return true;
}


/* ---------------------------------------------------------------------
 * Ed25519
 * ---------------------------------------------------------------------
 */

/* 1 valid, 0 invalid, -1 OpenSSL failure (message in err). */
static int
ed25519_verify(const uint8_t pub[JUKI_ED25519_KEY_LEN], const void *msg, size_t len,
			   const uint8_t sig[JUKI_ED25519_SIG_LEN], char *err, size_t errlen)
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *ctx;
	int			rc;

	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, JUKI_ED25519_KEY_LEN);
	if (pkey == NULL)
	{
		/* a point that does not decode is a bad key, not a failure */
		ERR_clear_error();
		return 0;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
	{
		EVP_PKEY_free(pkey);
		ossl_fail(err, errlen, "EVP_MD_CTX_new");
		return -1;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
	{
		EVP_MD_CTX_free(ctx);
		EVP_PKEY_free(pkey);
		ossl_fail(err, errlen, "EVP_DigestVerifyInit");
		return -1;
	}
	rc = EVP_DigestVerify(ctx, sig, JUKI_ED25519_SIG_LEN, msg, len);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (rc != 1)
	{
		ERR_clear_error();
		return 0;
	}
	return 1;
}

static bool
ed25519_sign(const uint8_t seed[JUKI_ED25519_KEY_LEN], const void *msg, size_t len,
			 uint8_t sig[JUKI_ED25519_SIG_LEN], char *err, size_t errlen)
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *ctx;
	size_t		siglen = JUKI_ED25519_SIG_LEN;
	bool		ok;

	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, JUKI_ED25519_KEY_LEN);
	if (pkey == NULL)
		return ossl_fail(err, errlen, "EVP_PKEY_new_raw_private_key");
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
	{
		EVP_PKEY_free(pkey);
		return ossl_fail(err, errlen, "EVP_MD_CTX_new");
	}
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
		EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 &&
		siglen == JUKI_ED25519_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (!ok)
		return ossl_fail(err, errlen, "Ed25519 signing");
	return true;
}


/* ---------------------------------------------------------------------
 * Keys
 * ---------------------------------------------------------------------
 */

bool
juki_note_key_id(const char *name, size_t len, uint8_t type,
				 const uint8_t pub[JUKI_ED25519_KEY_LEN], uint32_t *id,
				 char *err, size_t errlen)
{
	EVP_MD_CTX *ctx;
	uint8_t		md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const uint8_t nl = 0x0a;
	bool		ok;

	if (!juki_note_valid_name(name, len))
		return fail(err, errlen, "invalid key name");
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return ossl_fail(err, errlen, "EVP_MD_CTX_new");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		EVP_DigestUpdate(ctx, name, len) == 1 &&
		EVP_DigestUpdate(ctx, &nl, 1) == 1 &&
		EVP_DigestUpdate(ctx, &type, 1) == 1 &&
		EVP_DigestUpdate(ctx, pub, JUKI_ED25519_KEY_LEN) == 1 &&
		EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return ossl_fail(err, errlen, "SHA-256");
	*id = get_be32(md);
	return true;
}

bool
juki_note_key_make(const char *name, size_t len, uint8_t type,
				   const uint8_t pub[JUKI_ED25519_KEY_LEN], JukiNoteKey *key,
				   char *err, size_t errlen)
{
	if (type != JUKI_SIGTYPE_ED25519 && type != JUKI_SIGTYPE_COSIGNATURE_V1)
		return fail(err, errlen, "unsupported signature type 0x%02x", type);
	if (!juki_note_key_id(name, len, type, pub, &key->key_id, err, errlen))
		return false;
	memcpy(key->name, name, len);
	key->name[len] = '\0';
	key->name_len = len;
	key->type = type;
	memcpy(key->pub, pub, JUKI_ED25519_KEY_LEN);
	return true;
}

bool
juki_note_key_parse(const char *text, size_t len, JukiNoteKey *key,
					char *err, size_t errlen)
{
	const char *p1;
	const char *p2;
	uint8_t		raw[1 + JUKI_ED25519_KEY_LEN];
	size_t		rawlen;
	uint32_t	id = 0;
	JukiNoteKey k;
	size_t		i;

	/* name ends at the first '+', the ID at the next: base64 may hold '+' */
	p1 = memchr(text, '+', len);
	if (p1 == NULL)
		return fail(err, errlen, "verifier key has no '+'");
	p2 = memchr(p1 + 1, '+', len - (size_t) (p1 + 1 - text));
	if (p2 == NULL || p2 - p1 != 9)
		return fail(err, errlen, "verifier key ID is not 8 hex digits");
	if (!juki_note_valid_name(text, (size_t) (p1 - text)))
		return fail(err, errlen, "invalid key name in verifier key");
	for (i = 1; i <= 8; i++)
	{
		char		c = p1[i];
		int			v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return fail(err, errlen, "verifier key ID is not 8 hex digits");
		id = (id << 4) | (uint32_t) v;
	}
	if (!juki_base64_decode(p2 + 1, len - (size_t) (p2 + 1 - text), raw, sizeof(raw),
							&rawlen, err, errlen))
		return false;
	if (rawlen == 0)
		return fail(err, errlen, "verifier key has no key material");
	if (raw[0] != JUKI_SIGTYPE_ED25519 && raw[0] != JUKI_SIGTYPE_COSIGNATURE_V1)
		return fail(err, errlen, "unsupported signature type 0x%02x", raw[0]);
	if (rawlen != sizeof(raw))
		return fail(err, errlen, "verifier key is not 32 bytes");
	if (!juki_note_key_make(text, (size_t) (p1 - text), raw[0], raw + 1, &k, err, errlen))
		return false;
	if (k.key_id != id)
		return fail(err, errlen, "verifier key ID does not match its name and key");
	*key = k;
	return true;
}

bool
juki_note_key_format(const JukiNoteKey *key, char *out, size_t outlen,
					 char *err, size_t errlen)
{
	uint8_t		raw[1 + JUKI_ED25519_KEY_LEN];
	char		b64[64];
	int			n;

	if (!juki_note_valid_name(key->name, key->name_len))
		return fail(err, errlen, "invalid key name");
	raw[0] = key->type;
	memcpy(raw + 1, key->pub, JUKI_ED25519_KEY_LEN);
	if (!juki_base64_encode(raw, sizeof(raw), b64, sizeof(b64), err, errlen))
		return false;
	n = snprintf(out, outlen, "%.*s+%08" PRIx32 "+%s", (int) key->name_len, key->name,
				 key->key_id, b64);
	if (n < 0 || (size_t) n >= outlen)
		return fail(err, errlen, "verifier key buffer too small");
	return true;
}

bool
juki_note_signer_init(JukiNoteSigner *s, const char *name, size_t len, uint8_t type,
					  const uint8_t seed[JUKI_ED25519_KEY_LEN], char *err, size_t errlen)
{
	EVP_PKEY   *pkey;
	uint8_t		pub[JUKI_ED25519_KEY_LEN];
	size_t		publen = sizeof(pub);
	bool		ok;

	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, JUKI_ED25519_KEY_LEN);
	if (pkey == NULL)
		return ossl_fail(err, errlen, "EVP_PKEY_new_raw_private_key");
	ok = EVP_PKEY_get_raw_public_key(pkey, pub, &publen) == 1 &&
		publen == JUKI_ED25519_KEY_LEN;
	EVP_PKEY_free(pkey);
	if (!ok)
		return ossl_fail(err, errlen, "EVP_PKEY_get_raw_public_key");
	if (!juki_note_key_make(name, len, type, pub, &s->key, err, errlen))
		return false;
	memcpy(s->seed, seed, JUKI_ED25519_KEY_LEN);
	return true;
}

void
juki_note_signer_clear(JukiNoteSigner *s)
{
	OPENSSL_cleanse(s->seed, sizeof(s->seed));
}


/* ---------------------------------------------------------------------
 * Signing
 * ---------------------------------------------------------------------
 */

bool
juki_cosignature_message(uint64_t timestamp, const char *body, size_t len,
						 char *out, size_t outlen, size_t *msglen,
						 char *err, size_t errlen)
{
	int			n;

	n = snprintf(out, outlen, "cosignature/v1\ntime %" PRIu64 "\n", timestamp);
	if (n < 0 || (size_t) n >= outlen || outlen - (size_t) n < len)
		return fail(err, errlen, "cosignature message buffer too small");
	if (len > 0)
		memcpy(out + n, body, len);
	*msglen = (size_t) n + len;
	return true;
}

bool
juki_note_sign_line(const JukiNoteSigner *s, const char *text, size_t len,
					uint64_t timestamp, char *out, size_t outlen, size_t *linelen,
					char *err, size_t errlen)
{
	uint8_t		payload[4 + JUKI_COSIGNATURE_LEN];
	size_t		plen;
	char		b64[128];
	char		msg[JUKI_CHECKPOINT_MAX_LEN + 64];
	int			n;

	*linelen = 0;
	if (len == 0 || text[len - 1] != '\n' || len > JUKI_NOTE_MAX_LEN ||
		!juki_note_valid_text(text, len))
		return fail(err, errlen, "note text must be valid UTF-8 ending in a newline, without control characters");
	put_be32(payload, s->key.key_id);
	if (s->key.type == JUKI_SIGTYPE_ED25519)
	{
		if (!ed25519_sign(s->seed, text, len, payload + 4, err, errlen))
			return false;
		plen = 4 + JUKI_ED25519_SIG_LEN;
	}
	else if (s->key.type == JUKI_SIGTYPE_COSIGNATURE_V1)
	{
		JukiCheckpoint cp;
		size_t		mlen;
		int			i;

		/* a cosignature is only ever over a checkpoint */
		if (!juki_checkpoint_parse(text, len, &cp, err, errlen))
			return false;
		if (!juki_cosignature_message(timestamp, text, len, msg, sizeof(msg), &mlen,
									  err, errlen))
			return false;
		for (i = 0; i < 8; i++)
			payload[4 + i] = (uint8_t) (timestamp >> (56 - 8 * i));
		if (!ed25519_sign(s->seed, msg, mlen, payload + 12, err, errlen))
			return false;
		plen = 4 + JUKI_COSIGNATURE_LEN;
	}
	else
		return fail(err, errlen, "unsupported signature type 0x%02x", s->key.type);
	if (!juki_base64_encode(payload, plen, b64, sizeof(b64), err, errlen))
		return false;
	n = snprintf(out, outlen, JUKI_NOTE_SIG_PREFIX "%.*s %s\n", (int) s->key.name_len,
				 s->key.name, b64);
	if (n < 0 || (size_t) n >= outlen)
		return fail(err, errlen, "signature line buffer too small");
	*linelen = (size_t) n;
	return true;
}


/* ---------------------------------------------------------------------
 * Parsing and opening
 * ---------------------------------------------------------------------
 */

bool
juki_note_parse(const char *msg, size_t len, JukiNote *note, char *err, size_t errlen)
{
	const char *split = NULL;
	const char *p;
	const char *end = msg + len;
	size_t		i;
	static const size_t plen = sizeof(JUKI_NOTE_SIG_PREFIX) - 1;

	note->text = NULL;
	note->text_len = 0;
	note->nsigs = 0;
	if (len > JUKI_NOTE_MAX_LEN)
		return fail(err, errlen, "note is longer than %d bytes", JUKI_NOTE_MAX_LEN);
	if (!juki_note_valid_text(msg, len))
		return fail(err, errlen, "note is not valid UTF-8 or has a control character");
	/* the text ends at the last blank line */
	for (i = len; i >= 2; i--)
	{
		if (msg[i - 1] == '\n' && msg[i - 2] == '\n')
		{
			split = msg + i - 2;
			break;
		}
	}
	if (split == NULL)
		return fail(err, errlen, "note has no blank line before its signatures");
	p = split + 2;
	if (p == end || end[-1] != '\n')
		return fail(err, errlen, "note has no signature lines or does not end in a newline");
	while (p < end)
	{
		const char *eol = memchr(p, '\n', (size_t) (end - p));
		const char *sp;
		JukiNoteSig *sig;
		uint8_t		head[6];
		size_t		declen;
		size_t		headlen;

		if (note->nsigs >= JUKI_NOTE_MAX_SIGS)
			return fail(err, errlen, "note has more than %d signatures", JUKI_NOTE_MAX_SIGS);
		if ((size_t) (eol - p) < plen || memcmp(p, JUKI_NOTE_SIG_PREFIX, plen) != 0)
			return fail(err, errlen, "signature line %d does not start with an em dash and a space",
						note->nsigs + 1);
		p += plen;
		sp = memchr(p, ' ', (size_t) (eol - p));
		if (sp == NULL || !juki_note_valid_name(p, (size_t) (sp - p)))
			return fail(err, errlen, "signature line %d has no valid key name", note->nsigs + 1);
		sig = &note->sigs[note->nsigs];
		sig->name = p;
		sig->name_len = (size_t) (sp - p);
		sig->b64 = sp + 1;
		sig->b64_len = (size_t) (eol - sp - 1);
		if (!juki_base64_decode(sig->b64, sig->b64_len, NULL, 0, &declen, err, errlen))
			return false;
		if (declen < 5)
			return fail(err, errlen, "signature line %d is too short", note->nsigs + 1);
		/* >= 5 bytes: the first 8 characters are a whole, padded group */
		if (!juki_base64_decode(sig->b64, 8, head, sizeof(head), &headlen, err, errlen))
			return false;
		sig->key_id = get_be32(head);
		sig->sig_len = declen - 4;
		note->nsigs++;
		p = eol + 1;
	}
	note->text = msg;
	note->text_len = (size_t) (split + 1 - msg);
	return true;
}

/* 1 valid, 0 invalid, -1 failure: one signature by a known key. */
static int
check_sig(const JukiNote *note, const JukiNoteSig *sig, const JukiNoteKey *key,
		  uint64_t *time, char *err, size_t errlen)
{
	uint8_t		payload[4 + JUKI_COSIGNATURE_LEN];
	char		msg[JUKI_CHECKPOINT_MAX_LEN + 64];
	size_t		n;
	size_t		mlen;
	JukiCheckpoint cp;

	if (key->type == JUKI_SIGTYPE_ED25519)
	{
		if (sig->sig_len != JUKI_ED25519_SIG_LEN ||
			!juki_base64_decode(sig->b64, sig->b64_len, payload, sizeof(payload), &n, NULL, 0))
			return 0;
		return ed25519_verify(key->pub, note->text, note->text_len, payload + 4, err, errlen);
	}
	if (key->type != JUKI_SIGTYPE_COSIGNATURE_V1)
		return 0;
	if (sig->sig_len != JUKI_COSIGNATURE_LEN ||
		!juki_base64_decode(sig->b64, sig->b64_len, payload, sizeof(payload), &n, NULL, 0))
		return 0;
	/* cosigned text must be a checkpoint, short enough to copy */
	if (!juki_checkpoint_parse(note->text, note->text_len, &cp, NULL, 0))
		return 0;
	*time = get_be64(payload + 4);
	if (!juki_cosignature_message(*time, note->text, note->text_len, msg, sizeof(msg),
								  &mlen, NULL, 0))
		return 0;
	return ed25519_verify(key->pub, msg, mlen, payload + 12, err, errlen);
}

JukiNoteStatus
juki_note_open(const char *msg, size_t len, const JukiNoteKey *keys, int nkeys,
			   JukiNote *note, bool *verified, uint64_t *times, char *err, size_t errlen)
{
	int			i;
	int			j;
	int			good = 0;

	for (i = 0; i < nkeys; i++)
	{
		if (verified != NULL)
			verified[i] = false;
		if (times != NULL)
			times[i] = 0;
		for (j = 0; j < i; j++)
		{
			/* two keys answering to one (name, ID): refuse to guess */
			if (keys[i].key_id == keys[j].key_id && keys[i].name_len == keys[j].name_len &&
				memcmp(keys[i].name, keys[j].name, keys[i].name_len) == 0)
			{
				fail(err, errlen, "ambiguous verifier keys for %s+%08" PRIx32,
					 keys[i].name, keys[i].key_id);
				return JUKI_NOTE_ERROR;
			}
		}
	}
	if (!juki_note_parse(msg, len, note, err, errlen))
		return JUKI_NOTE_MALFORMED;
	for (i = 0; i < note->nsigs; i++)
	{
		const JukiNoteSig *sig = &note->sigs[i];

		for (j = 0; j < nkeys; j++)
		{
			uint64_t	t = 0;
			int			rc;

			if (keys[j].key_id != sig->key_id || keys[j].name_len != sig->name_len ||
				memcmp(keys[j].name, sig->name, sig->name_len) != 0)
				continue;
			rc = check_sig(note, sig, &keys[j], &t, err, errlen);
			if (rc < 0)
				return JUKI_NOTE_ERROR;
			if (rc == 0)
			{
				fail(err, errlen, "signature by %s+%08" PRIx32 " does not verify",
					 keys[j].name, keys[j].key_id);
				return JUKI_NOTE_BAD_SIGNATURE;
			}
			good++;
			if (verified != NULL)
				verified[j] = true;
			if (times != NULL)
				times[j] = t;
			break;
		}
	}
	if (good == 0)
	{
		fail(err, errlen, "no signature by a known key");
		return JUKI_NOTE_UNVERIFIED;
	}
	return JUKI_NOTE_VERIFIED;
}
