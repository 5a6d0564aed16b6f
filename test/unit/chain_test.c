/*-------------------------------------------------------------------------
 * chain_test.c
 *		Unit tests of the log's format (src/format: buffer, JSON, hash,
 *		timestamps, entries, checkpoints, exports), printing TAP.  Links
 *		those files and libcrypto only (the Makefile's CHAIN_SRC):
 *
 *   gcc -std=gnu99 -Wall -Wextra -Werror -Wmissing-prototypes -O2 -Isrc \
 *       -o chain_test test/unit/chain_test.c src/format/{buf,json_scan,json,json_check,hash,timestamp,entry,checkpoint,export}.c -lcrypto
 *
 * Expected values come from outside src/format: FIPS 180-2 and RFC 8032 test
 * vectors, openssl(1), sha256sum(1), python3's datetime, and canonical
 * bytes written out by hand from DESIGN §7.2.
 *-------------------------------------------------------------------------
 */
#include "format/buf.h"
#include "format/json.h"
#include "format/json_check.h"
#include "format/hash.h"
#include "format/timestamp.h"
#include "format/checkpoint.h"
#include "format/export.h"
#include "format/entry.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

static int	ntests = 0;
static int	nfailed = 0;

/* Report one TAP result. */
static void
ok(bool cond, const char *fmt,...)
{
	va_list		ap;

	ntests++;
	if (!cond)
		nfailed++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void
diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* The tool's allocator: plain realloc that never returns NULL. */
static void *
xrealloc(void *p, size_t n)
{
	void	   *r = realloc(p, n);

	if (r == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return r;
}

/* Decode a hex string literal of the test (must be valid). */
static void
unhex_or_die(const char *hex, uint8_t *out, size_t n)
{
	if (!jk_unhex(hex, strlen(hex), out, n))
	{
		fprintf(stderr, "bad hex in test: %s\n", hex);
		exit(1);
	}
}

/* ------------------------------------------------------------------ */

static void
test_sha256(void)
{
	static const struct
	{
		const char *msg;
		const char *hex;
	}			v[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	size_t		i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
	{
		uint8_t		h[JK_HASH_LEN];
		char		hex[JK_HEX_LEN + 1];
		bool		r = jk_sha256(v[i].msg, strlen(v[i].msg), h);

		jk_hex(h, JK_HASH_LEN, hex);
		ok(r && strcmp(hex, v[i].hex) == 0, "SHA-256 FIPS 180-2 vector %zu (%zu bytes)",
		   i + 1, strlen(v[i].msg));
	}
}

static void
test_hex(void)
{
	uint8_t		b[3];
	char		hex[7];

	ok(jk_unhex("00fFaB", 6, b, 3) && b[0] == 0 && b[1] == 0xff && b[2] == 0xab,
	   "jk_unhex accepts either case");
	ok(!jk_unhex("00ff", 4, b, 3), "jk_unhex rejects the wrong length");
	ok(!jk_unhex("00fg00", 6, b, 3), "jk_unhex rejects a non-hex digit");
	jk_hex(b, 3, hex);
	ok(strcmp(hex, "00ffab") == 0, "jk_hex writes lower case and a NUL");
}

/* RFC 8032 §7.1, TEST 1 and TEST 2. */
static void
test_ed25519(void)
{
	uint8_t		pub1[JK_PUBKEY_LEN];
	uint8_t		sig1[JK_SIG_LEN];
	uint8_t		pub2[JK_PUBKEY_LEN];
	uint8_t		sig2[JK_SIG_LEN];
	uint8_t		msg2[1] = {0x72};
	char		kid[JK_KEYID_LEN + 1];

	unhex_or_die("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
				 pub1, sizeof(pub1));
	unhex_or_die("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
				 "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
				 sig1, sizeof(sig1));
	unhex_or_die("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
				 pub2, sizeof(pub2));
	unhex_or_die("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
				 "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
				 sig2, sizeof(sig2));

	ok(jk_ed25519_verify(pub1, "", 0, sig1), "RFC 8032 test 1 verifies");
	ok(jk_ed25519_verify(pub1, NULL, 0, sig1), "RFC 8032 test 1 verifies with a NULL empty message");
	ok(!jk_ed25519_verify(pub1, "\x01", 1, sig1), "RFC 8032 test 1: another message fails");
	sig1[10] ^= 0x04;
	ok(!jk_ed25519_verify(pub1, "", 0, sig1), "RFC 8032 test 1: one-bit-flipped signature fails");
	sig1[10] ^= 0x04;

	ok(jk_ed25519_verify(pub2, msg2, 1, sig2), "RFC 8032 test 2 verifies");
	msg2[0] ^= 0x01;
	ok(!jk_ed25519_verify(pub2, msg2, 1, sig2), "RFC 8032 test 2: one-bit-flipped message fails");
	msg2[0] ^= 0x01;
	sig2[63] ^= 0x80;
	ok(!jk_ed25519_verify(pub2, msg2, 1, sig2), "RFC 8032 test 2: one-bit-flipped signature fails");
	sig2[63] ^= 0x80;
	ok(!jk_ed25519_verify(pub1, msg2, 1, sig2), "RFC 8032 test 2 signature fails under test 1's key");
	ok(ERR_peek_error() == 0, "failed verifications leave OpenSSL's error queue empty");

	/* printf d75a...511a | xxd -r -p | sha256sum | cut -c1-16 */
	ok(jk_key_id(pub1, kid) && strcmp(kid, "21fe31dfa154a261") == 0,
	   "key id of RFC 8032 test 1 key is the first 16 hex of its SHA-256");
}

/* PEM files made with openssl(1), see the comments on each. */
static void
test_pem(void)
{
	/* openssl genpkey -algorithm ed25519 | openssl pkey -pubout */
	static const char ed_pem[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEAfM3fh+/QrjSJRO5TJnnVfZjVibW112MukLv/PTsjf8U=\n"
		"-----END PUBLIC KEY-----\n";
	/* openssl pkey -pubin -in the-above -text -noout */
	static const char ed_raw[] =
		"7ccddf87efd0ae348944ee532679d57d98d589b5b5d7632e90bbff3d3b237fc5";
	/* openssl ecparam -name prime256v1 -genkey -noout | openssl ec -pubout */
	static const char ec_pem[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu5UcU6OJbpNnfPQNoM0CbzwqY4jl\n"
		"Py+pUMh1tr9LwFYHmiZsq3k7aZ65cQ2O8whHEomOacQIK4UCM91BIO1gIQ==\n"
		"-----END PUBLIC KEY-----\n";
	/* RFC 8032 test 1 secret key as PKCS#8: a private key is not accepted */
	static const char priv_pem[] =
		"-----BEGIN PRIVATE KEY-----\n"
		"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
		"-----END PRIVATE KEY-----\n";
	static const char truncated_pem[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEAfM3fh+/QrjSJRO5TJnnVfZjVibW112MukLv/PTsjf8U=\n";
	static const char bad_b64_pem[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEAfM3fh+/QrjSJRO5TJnnVfZjVibW112MukLv/PTsjf8=\n"
		"-----END PUBLIC KEY-----\n";
	uint8_t		pub[JK_PUBKEY_LEN];
	uint8_t		want[JK_PUBKEY_LEN];
	char		err[JK_ERR_LEN];
	char		kid[JK_KEYID_LEN + 1];

	unhex_or_die(ed_raw, want, sizeof(want));
	ok(jk_ed25519_pub_from_pem(ed_pem, strlen(ed_pem), pub, err, sizeof(err)) &&
	   memcmp(pub, want, sizeof(pub)) == 0,
	   "Ed25519 PEM from openssl gives its raw public key");
	ok(jk_key_id(pub, kid) && strcmp(kid, "dc798edaa045a2c7") == 0,
	   "key id of the PEM key");
	err[0] = '\0';
	ok(!jk_ed25519_pub_from_pem(ec_pem, strlen(ec_pem), pub, err, sizeof(err)) &&
	   strcmp(err, "not an Ed25519 key") == 0,
	   "EC P-256 public key rejected: %s", err);
	err[0] = '\0';
	ok(!jk_ed25519_pub_from_pem(priv_pem, strlen(priv_pem), pub, err, sizeof(err)) &&
	   err[0] != '\0', "private key PEM rejected: %s", err);
	ok(!jk_ed25519_pub_from_pem(truncated_pem, strlen(truncated_pem), pub, err, sizeof(err)),
	   "truncated PEM rejected: %s", err);
	ok(!jk_ed25519_pub_from_pem(bad_b64_pem, strlen(bad_b64_pem), pub, err, sizeof(err)),
	   "PEM with a short key rejected: %s", err);
	ok(!jk_ed25519_pub_from_pem("garbage\n", 8, pub, err, sizeof(err)),
	   "garbage rejected: %s", err);
	ok(!jk_ed25519_pub_from_pem("", 0, pub, err, sizeof(err)), "empty input rejected");
	ok(ERR_peek_error() == 0, "PEM failures leave OpenSSL's error queue empty");
}

/* ------------------------------------------------------------------ */

/* in must canonicalise to exactly want. */
static void
canon_is(const char *in, size_t inlen, const char *want, const char *desc)
{
	JkBuf		b;
	char		err[JK_ERR_LEN];
	bool		r;

	err[0] = '\0';
	jk_buf_init(&b, xrealloc);
	r = jk_json_canonicalize(in, inlen, &b, err, sizeof(err));
	ok(r && b.len == strlen(want) && memcmp(b.data, want, b.len) == 0,
	   "canonical: %s", desc);
	if (!r)
		diag("error: %s", err);
	else if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
		diag("got %s", b.data);
	free(b.data);
}

/* in must be rejected, with an error containing want_err and a byte offset. */
static void
canon_fails(const char *in, size_t inlen, const char *want_err, const char *desc)
{
	JkBuf		b;
	char		err[JK_ERR_LEN];
	bool		r;

	err[0] = '\0';
	jk_buf_init(&b, xrealloc);
	jk_buf_append_str(&b, "keep");
	r = jk_json_canonicalize(in, inlen, &b, err, sizeof(err));
	ok(!r && strstr(err, want_err) != NULL && strstr(err, " at byte ") != NULL &&
	   b.len == 4 && strcmp(b.data, "keep") == 0,
	   "rejected: %s (%s)", desc, err);
	free(b.data);
}

#define CANON_IS(in, want, desc) canon_is(in, sizeof(in) - 1, want, desc)
#define CANON_FAILS(in, e, desc) canon_fails(in, sizeof(in) - 1, e, desc)

static void
test_json_string(void)
{
	JkBuf		b;
	static const char in[] = "a\"b\\c/\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\x7f\xc3\xa9\0z";
	static const char want[] =
		"\"a\\\"b\\\\c/\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\x7f\xc3\xa9\\u0000z\"";

	jk_buf_init(&b, xrealloc);
	jk_json_string(&b, in, sizeof(in) - 1);
	ok(b.len == sizeof(want) - 1 && memcmp(b.data, want, b.len) == 0,
	   "jk_json_string escapes per RFC 8785 (incl. NUL, DEL and / literal)");
	jk_buf_reset(&b);
	jk_json_string(&b, "", 0);
	ok(strcmp(b.data, "\"\"") == 0, "jk_json_string of the empty string");
	free(b.data);
}

/* jk_json_top_keys callback: counts the keys */
static void
count_key(const char *key, size_t keylen, char value_first, void *arg)
{
	(void) key;
	(void) keylen;
	(void) value_first;
	(*(int *) arg)++;
}

static void
test_canonicalize(void)
{
	int			i;

	CANON_IS("{\"z\":1,\"\xc3\xa9\":2,\"a\":3,\"\xe6\x97\xa5\xe6\x9c\xac\":4,\"Z\":5,\"\":6}",
			 "{\"\":6,\"Z\":5,\"a\":3,\"z\":1,\"\xc3\xa9\":2,\"\xe6\x97\xa5\xe6\x9c\xac\":4}",
			 "keys sorted by code point (\"\" < Z < a < z < \xc3\xa9 < \xe6\x97\xa5\xe6\x9c\xac)");
	CANON_IS("{\"ab\":1,\"a\":2,\"b\":{\"y\":[3,{\"d\":1,\"c\":2}],\"x\":null}}",
			 "{\"a\":2,\"ab\":1,\"b\":{\"x\":null,\"y\":[3,{\"c\":2,\"d\":1}]}}",
			 "prefix keys first, nested objects sorted, arrays keep order");
	CANON_IS("{\"\\u00e9\":1,\"\\u0000\":2,\"\\ud83d\\ude00\":3,\"\\uffff\":4}",
			 "{\"\\u0000\":2,\"\xc3\xa9\":1,\"\xef\xbf\xbf\":4,\"\xf0\x9f\x98\x80\":3}",
			 "escaped keys compared after unescaping (UTF-8 byte order)");
	CANON_IS("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u001F\\u007f\\u00E9\\u65e5\"",
			 "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\xe6\x97\xa5\"",
			 "all escapes re-escaped per RFC 8785");
	CANON_IS("\"\\u0008\\u0009\\u000A\\u000c\\u000D\\u000b\"",
			 "\"\\b\\t\\n\\f\\r\\u000b\"", "\\u escapes of controls with short forms");
	CANON_IS("\"\\ud83d\\ude00 \\uD834\\uDD1E\"", "\"\xf0\x9f\x98\x80 \xf0\x9d\x84\x9e\"",
			 "surrogate pairs decode to UTF-8");
	CANON_IS("\"\xf0\x9f\x98\x80\xe2\x80\xa8\xef\xbb\xbf\"", "\"\xf0\x9f\x98\x80\xe2\x80\xa8\xef\xbb\xbf\"",
			 "non-ASCII, U+2028 and BOM stay literal");
	CANON_IS("-0", "0", "-0 becomes 0");
	CANON_IS("[-0,0,-1,10]", "[0,0,-1,10]", "-0 in an array");
	CANON_IS("9223372036854775807", "9223372036854775807", "INT64_MAX");
	CANON_IS("-9223372036854775808", "-9223372036854775808", "INT64_MIN");
	CANON_IS(" \t\n\r{ \"b\" : [ 1 , 2 ] ,\n\"a\" : null , \"c\":true,\"d\":false } \r\n",
			 "{\"a\":null,\"b\":[1,2],\"c\":true,\"d\":false}",
			 "white space around and inside removed");
	CANON_IS("{}", "{}", "empty object");
	CANON_IS("[ ]", "[]", "empty array");
	CANON_IS("\"\"", "\"\"", "empty string");

	CANON_FAILS("\"\\ud83d\"", "lone surrogate", "lone high surrogate");
	CANON_FAILS("\"\\ude00\"", "lone surrogate", "lone low surrogate");
	CANON_FAILS("\"\\ud83d\\u0041\"", "lone surrogate", "high surrogate then non-surrogate");
	CANON_FAILS("\"\\ud83dx\"", "lone surrogate", "high surrogate then a plain char");
	CANON_FAILS("\"\\u12\"", "invalid \\u escape", "short \\u escape");
	CANON_FAILS("\"\\x41\"", "invalid escape", "unknown escape");
	CANON_FAILS("\"\xc3\x28\"", "invalid UTF-8", "invalid UTF-8 continuation");
	CANON_FAILS("\"\xc0\xaf\"", "invalid UTF-8", "overlong UTF-8");
	CANON_FAILS("\"\xed\xa0\x80\"", "invalid UTF-8", "UTF-8-encoded surrogate");
	CANON_FAILS("\"\xf4\x90\x80\x80\"", "invalid UTF-8", "code point above U+10FFFF");
	CANON_FAILS("\"\xe6\x97\"", "invalid UTF-8", "truncated UTF-8 sequence");
	CANON_FAILS("\"\xff\"", "invalid UTF-8", "byte 0xFF");
	CANON_FAILS("\"a\tb\"", "control character", "raw tab in a string");
	CANON_FAILS("{\"a\":1,\"b\":2,\"a\":3}", "duplicate object key", "duplicate keys");
	CANON_FAILS("{\"a\":1,\"\\u0061\":2}", "duplicate object key", "duplicate keys after unescaping");
	CANON_FAILS("9223372036854775808", "integer out of range", "INT64_MAX + 1");
	CANON_FAILS("-9223372036854775809", "integer out of range", "INT64_MIN - 1");
	CANON_FAILS("123456789012345678901234567890", "integer out of range", "huge integer");
	CANON_FAILS("1.5", "non-integer number", "1.5");
	CANON_FAILS("1e2", "non-integer number", "1e2");
	CANON_FAILS("[0E0]", "non-integer number", "0E0");
	CANON_FAILS("-0.0", "non-integer number", "-0.0");
	CANON_FAILS("01", "leading zero", "leading zero");
	CANON_FAILS("-", "invalid number", "lone minus");
	CANON_FAILS("+1", "unexpected character", "plus sign");
	CANON_FAILS("NaN", "unexpected character", "NaN");
	CANON_FAILS("{} x", "unexpected text after", "trailing garbage");
	CANON_FAILS("{}{}", "unexpected text after", "two values");
	CANON_FAILS("[1,]", "unexpected character", "trailing comma in array");
	CANON_FAILS("{\"a\":1,}", "expected a string", "trailing comma in object");
	CANON_FAILS("{\"a\" 1}", "expected ':'", "missing colon");
	CANON_FAILS("{'a':1}", "expected a string", "single quotes");
	CANON_FAILS("[1 2]", "expected ',' or ']'", "missing comma");
	CANON_FAILS("\"abc", "unterminated string", "unterminated string");
	CANON_FAILS("tru", "invalid literal", "truncated literal");
	CANON_FAILS("nulL", "invalid literal", "misspelt literal");
	CANON_FAILS("", "unexpected end", "empty input");
	CANON_FAILS("   ", "unexpected end", "only white space");
	CANON_FAILS("[1]\0", "unexpected text after", "NUL after the value");
	CANON_FAILS("\f[]", "unexpected character", "form feed is not JSON white space");

	/* depth 64 is fine, 65 is not */
	{
		JkBuf		b;
		char		err[JK_ERR_LEN];
		char		deep[130];

		jk_buf_init(&b, xrealloc);
		for (i = 0; i < 64; i++)
		{
			deep[i] = '[';
			deep[64 + i] = ']';
		}
		ok(jk_json_canonicalize(deep, 128, &b, err, sizeof(err)) && b.len == 128 &&
		   memcmp(b.data, deep, 128) == 0, "64 nested arrays accepted");
		for (i = 0; i < 65; i++)
		{
			deep[i] = '[';
			deep[65 + i] = ']';
		}
		jk_buf_reset(&b);
		ok(!jk_json_canonicalize(deep, 130, &b, err, sizeof(err)) &&
		   strstr(err, "nesting deeper than 64") != NULL,
		   "65 nested arrays rejected (%s)", err);
		free(b.data);
	}
	{
		/* 65 nested objects */
		JkBuf		b;
		JkBuf		in;
		char		err[JK_ERR_LEN];

		jk_buf_init(&b, xrealloc);
		jk_buf_init(&in, xrealloc);
		for (i = 0; i < 64; i++)
			jk_buf_append_str(&in, "{\"a\":");
		jk_buf_append_str(&in, "1");
		for (i = 0; i < 64; i++)
			jk_buf_append_str(&in, "}");
		ok(jk_json_canonicalize(in.data, in.len, &b, err, sizeof(err)) &&
		   b.len == in.len, "64 nested objects accepted");
		jk_buf_reset(&in);
		jk_buf_reset(&b);
		for (i = 0; i < 65; i++)
			jk_buf_append_str(&in, "{\"a\":");
		jk_buf_append_str(&in, "1");
		for (i = 0; i < 65; i++)
			jk_buf_append_str(&in, "}");
		ok(!jk_json_canonicalize(in.data, in.len, &b, err, sizeof(err)) &&
		   strstr(err, "nesting deeper than 64") != NULL,
		   "65 nested objects rejected");
		free(b.data);
		free(in.data);
	}
	{
		/*
		 * A whole entry is one level deeper than the values it holds: a
		 * criteria nested JK_JSON_MAX_DEPTH deep (what the writer logs) is
		 * accepted in an entry, one level more is not.
		 */
		JkBuf		b;
		JkBuf		in;
		char		err[JK_ERR_LEN];
		int64_t		seq = 0;
		int			nkeys = 0;

		jk_buf_init(&b, xrealloc);
		jk_buf_init(&in, xrealloc);
		for (i = 0; i < JK_ENTRY_MAX_DEPTH; i++)
			jk_buf_putc(&in, '[');
		for (i = 0; i < JK_ENTRY_MAX_DEPTH; i++)
			jk_buf_putc(&in, ']');
		ok(JK_ENTRY_MAX_DEPTH == 65 &&
		   jk_json_canonicalize_ex(in.data, in.len, &b, JK_JSON_ENTRY, err, sizeof(err)) &&
		   b.len == in.len, "65 nested arrays accepted as an entry");
		jk_buf_reset(&b);
		ok(!jk_json_canonicalize_ex(in.data, in.len, &b, 0, err, sizeof(err)) &&
		   strstr(err, "nesting deeper than 64") != NULL,
		   "but not as a value (%s)", err);
		jk_buf_reset(&in);
		for (i = 0; i < JK_ENTRY_MAX_DEPTH + 1; i++)
			jk_buf_putc(&in, '[');
		for (i = 0; i < JK_ENTRY_MAX_DEPTH + 1; i++)
			jk_buf_putc(&in, ']');
		ok(!jk_json_canonicalize_ex(in.data, in.len, &b, JK_JSON_ENTRY, err, sizeof(err)) &&
		   strstr(err, "nesting deeper than 65") != NULL,
		   "66 nested arrays rejected as an entry (%s)", err);

		jk_buf_reset(&in);
		jk_buf_append_str(&in, "{\"criteria\":");
		for (i = 0; i < JK_JSON_MAX_DEPTH; i++)
			jk_buf_append_str(&in, "{\"a\":");
		jk_buf_append_str(&in, "1");
		for (i = 0; i < JK_JSON_MAX_DEPTH; i++)
			jk_buf_putc(&in, '}');
		jk_buf_append_str(&in, ",\"seq\":7}");
		err[0] = '\0';
		ok(jk_entry_seq(in.data, in.len, &seq, err, sizeof(err)) && seq == 7,
		   "jk_entry_seq: an entry whose criteria is nested 64 deep (%s)", err);
		ok(jk_json_top_keys(in.data, in.len, count_key, &nkeys) && nkeys == 2,
		   "jk_json_top_keys: the same entry, two keys");
		jk_buf_reset(&b);
		ok(jk_json_canonicalize_ex(in.data, in.len, &b, JK_JSON_ENTRY, err, sizeof(err)) &&
		   b.len == in.len && memcmp(b.data, in.data, in.len) == 0,
		   "and it is a fixed point of the canonicaliser for entries");
		jk_buf_reset(&b);
		jk_buf_append(&b, in.data, 12);
		jk_buf_append_str(&b, "{\"a\":");
		jk_buf_append(&b, in.data + 12, in.len - 12 - 9);
		jk_buf_putc(&b, '}');
		jk_buf_append_str(&b, ",\"seq\":7}");
		ok(!jk_entry_seq(b.data, b.len, &seq, err, sizeof(err)) &&
		   strstr(err, "nesting deeper than 65") != NULL,
		   "jk_entry_seq: criteria nested 65 deep refused (%s)", err);
		ok(!jk_json_top_keys(b.data, b.len, count_key, &nkeys),
		   "jk_json_top_keys: refused too");
		free(b.data);
		free(in.data);
	}
	{
		/* a large object, to exercise the in-buffer sort */
		JkBuf		b;
		JkBuf		in;
		JkBuf		want;
		char		err[JK_ERR_LEN];
		char		k[32];

		jk_buf_init(&b, xrealloc);
		jk_buf_init(&in, xrealloc);
		jk_buf_init(&want, xrealloc);
		jk_buf_append_str(&in, "{");
		for (i = 9999; i >= 0; i--)
		{
			snprintf(k, sizeof(k), "%s\"k%05d\": [%d]", i < 9999 ? "," : "", i, i);
			jk_buf_append_str(&in, k);
		}
		jk_buf_append_str(&in, "}");
		jk_buf_append_str(&want, "{");
		for (i = 0; i < 10000; i++)
		{
			snprintf(k, sizeof(k), "%s\"k%05d\":[%d]", i > 0 ? "," : "", i, i);
			jk_buf_append_str(&want, k);
		}
		jk_buf_append_str(&want, "}");
		ok(jk_json_canonicalize(in.data, in.len, &b, err, sizeof(err)) &&
		   b.len == want.len && memcmp(b.data, want.data, b.len) == 0,
		   "10000-key object sorted");
		free(b.data);
		free(in.data);
		free(want.data);
	}
	{
		JkBuf		b;
		char		err[JK_ERR_LEN];

		jk_buf_init(&b, xrealloc);
		jk_buf_append_str(&b, "x=");
		ok(jk_json_canonicalize("{\"b\":1,\"a\":2}", 13, &b, err, sizeof(err)) &&
		   strcmp(b.data, "x={\"a\":2,\"b\":1}") == 0,
		   "canonicalize appends after existing content");
		free(b.data);
	}
}

static void
test_entry_seq(void)
{
	int64_t		seq = -1;
	char		err[JK_ERR_LEN];

	ok(jk_entry_seq("{\"a\":{\"seq\":1},\"seq\":7,\"z\":[1]}", 31, &seq, err, sizeof(err)) &&
	   seq == 7, "jk_entry_seq finds the top-level seq");
	ok(jk_entry_seq("{\"seq\":-3}", 10, &seq, err, sizeof(err)) && seq == -3,
	   "jk_entry_seq reads a negative seq");
	ok(!jk_entry_seq("{\"seq\": 7}", 10, &seq, err, sizeof(err)) &&
	   strstr(err, "entry is not in canonical form") != NULL,
	   "white space is not canonical (%s)", err);
	ok(!jk_entry_seq("{\"seq\":7} ", 10, &seq, err, sizeof(err)) &&
	   strstr(err, "entry is not in canonical form") != NULL,
	   "trailing white space is not canonical (%s)", err);
	ok(!jk_entry_seq("{\"seq\":7,\"a\":1}", 15, &seq, err, sizeof(err)) &&
	   strstr(err, "entry is not in canonical form") != NULL,
	   "unsorted keys are not canonical (%s)", err);
	ok(!jk_entry_seq("{\"a\":\"\\/\",\"seq\":7}", 18, &seq, err, sizeof(err)) &&
	   strstr(err, "entry is not in canonical form") != NULL,
	   "\\/ is not canonical (%s)", err);
	ok(!jk_entry_seq("{\"a\":\"\\u00e9\",\"seq\":7}", 22, &seq, err, sizeof(err)) &&
	   strstr(err, "entry is not in canonical form") != NULL,
	   "\\u00e9 is not canonical (%s)", err);
	ok(!jk_entry_seq("{\"a\":\"\\u001F\",\"seq\":7}", 22, &seq, err, sizeof(err)) &&
	   strstr(err, "entry is not in canonical form") != NULL,
	   "upper-case \\u001F is not canonical (%s)", err);
	ok(jk_entry_seq("{\"a\":\"\\u001f\\n\",\"seq\":7}", 24, &seq, err, sizeof(err)) && seq == 7,
	   "canonical escapes accepted");
	ok(!jk_entry_seq("{\"a\":-0,\"seq\":7}", 16, &seq, err, sizeof(err)) &&
	   strstr(err, "entry is not in canonical form") != NULL,
	   "-0 is not canonical (%s)", err);
	ok(!jk_entry_seq("{\"a\":1,\"a\":1,\"seq\":7}", 21, &seq, err, sizeof(err)),
	   "duplicate keys rejected (%s)", err);
	ok(!jk_entry_seq("{\"a\":1.5,\"seq\":7}", 17, &seq, err, sizeof(err)) &&
	   strstr(err, "non-integer") != NULL, "non-integer rejected (%s)", err);
	ok(!jk_entry_seq("{\"a\":1}", 7, &seq, err, sizeof(err)) &&
	   strstr(err, "no \"seq\"") != NULL, "missing seq (%s)", err);
	ok(!jk_entry_seq("{\"seq\":\"7\"}", 11, &seq, err, sizeof(err)) &&
	   strstr(err, "not an integer") != NULL, "string seq (%s)", err);
	ok(!jk_entry_seq("{\"seq\":[7]}", 11, &seq, err, sizeof(err)) &&
	   strstr(err, "not an integer") != NULL, "array seq (%s)", err);
	ok(!jk_entry_seq("[7]", 3, &seq, err, sizeof(err)) &&
	   strstr(err, "not a JSON object") != NULL, "not an object (%s)", err);
	ok(!jk_entry_seq("", 0, &seq, err, sizeof(err)), "empty entry (%s)", err);
	ok(!jk_entry_seq("{\"seq\":7", 8, &seq, err, sizeof(err)), "truncated entry (%s)", err);
}

/* ------------------------------------------------------------------ */

static void
ts_is(int64_t us, const char *want)
{
	char		out[JK_TS_LEN + 1];
	int64_t		back = 0;
	bool		r1 = jk_format_ts(us, out);
	bool		r2 = r1 && jk_parse_ts(out, strlen(out), &back);

	ok(r1 && strcmp(out, want) == 0 && r2 && back == us,
	   "ts %lld <-> %s", (long long) us, want);
}

static void
ts_bad(const char *s, const char *desc)
{
	int64_t		us;

	ok(!jk_parse_ts(s, strlen(s), &us), "ts rejected: %s (%s)", s, desc);
}

static void
test_ts(void)
{
	char		out[JK_TS_LEN + 1];
	int64_t		us;
	uint64_t	x;
	int			i;
	bool		all = true;

	/* expected values from python3's datetime and date(1) */
	ts_is(0, "1970-01-01T00:00:00.000000Z");
	ts_is(-1, "1969-12-31T23:59:59.999999Z");
	ts_is(INT64_C(-14182939500000), "1969-07-20T20:17:40.500000Z");
	ts_is(INT64_C(-11670994676999996), "1600-02-29T01:02:03.000004Z");
	ts_is(INT64_C(951825600000000), "2000-02-29T12:00:00.000000Z");
	ts_is(INT64_C(1795735332123456), "2026-11-26T23:22:12.123456Z");
	ts_is(INT64_C(-62135596800000000), "0001-01-01T00:00:00.000000Z");
	ts_is(INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z");
	ok(!jk_format_ts(INT64_C(-62135596800000001), out), "ts before year 1 not formatted");
	ok(!jk_format_ts(INT64_C(253402300800000000), out), "ts after year 9999 not formatted");
	ok(!jk_format_ts(INT64_MIN, out) && !jk_format_ts(INT64_MAX, out), "INT64_MIN/MAX not formatted");

	ts_bad("2026-02-29T00:00:00.000000Z", "2026 is not a leap year");
	ts_bad("1900-02-29T00:00:00.000000Z", "1900 is not a leap year");
	ts_bad("2000-02-30T00:00:00.000000Z", "Feb 30");
	ts_bad("2026-04-31T00:00:00.000000Z", "Apr 31");
	ts_bad("2026-13-01T00:00:00.000000Z", "month 13");
	ts_bad("2026-00-10T00:00:00.000000Z", "month 0");
	ts_bad("2026-01-00T00:00:00.000000Z", "day 0");
	ts_bad("0000-01-01T00:00:00.000000Z", "year 0");
	ts_bad("2026-01-01T24:00:00.000000Z", "hour 24");
	ts_bad("2026-01-01T23:60:00.000000Z", "minute 60");
	ts_bad("2026-01-01T23:59:60.000000Z", "leap second");
	ts_bad("2026-01-01 00:00:00.000000Z", "space for T");
	ts_bad("2026-01-01T00:00:00.000000z", "lower-case z");
	ts_bad("2026-01-01T00:00:00.000000", "no Z");
	ts_bad("2026-01-01T00:00:00.0000000Z", "seven fractional digits");
	ts_bad("2026-01-01T00:00:00Z", "no fraction");
	ts_bad("2026-01-01T00:00:00.00000aZ", "letter in fraction");
	ts_bad("+026-01-01T00:00:00.000000Z", "sign in year");
	ts_bad("2026-1-01T00:00:00.0000000Z", "one-digit month");
	ts_bad("2026-01-01T00:00:00.000000+00", "offset instead of Z");
	ok(jk_parse_ts("2026-01-01T00:00:00.000000Zx", 27, &us) && us == INT64_C(1767225600000000),
	   "parse reads len bytes, not up to a NUL");
	ok(!jk_parse_ts("2026-01-01T00:00:00.000000Z", 26, &us), "parse with len 26 fails");

	/* round trip over the whole range, including negative values */
	x = UINT64_C(88172645463325252);
	for (i = 0; i < 200000 && all; i++)
	{
		int64_t		span = INT64_C(253402300799999999) + INT64_C(62135596800000000);
		int64_t		v;
		int64_t		back = 0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (int64_t) (x % (uint64_t) span) - INT64_C(62135596800000000);
		if (!jk_format_ts(v, out) || !jk_parse_ts(out, JK_TS_LEN, &back) || back != v)
		{
			all = false;
			diag("round trip failed for %lld (%s)", (long long) v, out);
		}
	}
	ok(all, "200000 random timestamps in 0001..9999 round-trip");
}

/* ------------------------------------------------------------------ */

/*
 * The worked test vector published in the README.  Its canonical bytes are
 * written here by hand from DESIGN §7.2; the hash was computed outside
 * src/format with:
 *
 *   printf '%s' "$CANONICAL" > sample.json
 *   head -c 32 /dev/zero > zero32
 *   cat zero32 sample.json | sha256sum
 *
 * (and cross-checked with python3: hashlib.sha256(bytes(32) + data)).
 */
static const char sample_canonical[] =
	"{\"action\":\"lookup\",\"backend_pid\":4242,\"card_serial\":\"C0FFEE01\","
	"\"client_addr\":\"192.0.2.10\","
	"\"criteria\":{\"birth_date\":\"1980-01-01\",\"name\":\"山田\"},"
	"\"db_role\":\"山田\","
	"\"detail\":{\"command\":\"UPDATE\",\"relation\":\"juki.operation_log\"},"
	"\"fields\":[\"氏名\",\"住所\"],\"operator_id\":7,\"outcome\":\"granted\","
	"\"permit_id\":99,\"purpose\":\"住民票の写しの交付\","
	"\"reason\":\"本人確認済 \\\"運転免許証\\\"\",\"row_count\":1,\"seq\":42,"
	"\"session_id\":1001,\"subjects\":[\"12345678901\",\"10987654321\"],"
	"\"ts\":\"2026-11-26T23:22:12.123456Z\"}";
static const char sample_hash[] =
	"b3ecd99b106e4251c7a9879efd0900e8848fdf7c723ecbfbb80e01cf178420ec";

/*
 * The same entry in format 1.1, with the login role (a field added after
 * 1.0): "login_role" goes between "fields" and "operator_id" by code point;
 * bytes and hash computed the same way, outside src/format.
 */
static const char sample11_canonical[] =
	"{\"action\":\"lookup\",\"backend_pid\":4242,\"card_serial\":\"C0FFEE01\","
	"\"client_addr\":\"192.0.2.10\","
	"\"criteria\":{\"birth_date\":\"1980-01-01\",\"name\":\"山田\"},"
	"\"db_role\":\"山田\","
	"\"detail\":{\"command\":\"UPDATE\",\"relation\":\"juki.operation_log\"},"
	"\"fields\":[\"氏名\",\"住所\"],\"login_role\":\"山田\",\"operator_id\":7,"
	"\"outcome\":\"granted\","
	"\"permit_id\":99,\"purpose\":\"住民票の写しの交付\","
	"\"reason\":\"本人確認済 \\\"運転免許証\\\"\",\"row_count\":1,\"seq\":42,"
	"\"session_id\":1001,\"subjects\":[\"12345678901\",\"10987654321\"],"
	"\"ts\":\"2026-11-26T23:22:12.123456Z\"}";
static const char sample11_hash[] =
	"cd68370b04e958f0cb28ac95204d2e2f3d5999800ec4f8dd052824f8e2a9c6c1";

/*
 * And with the operator's terminal (業務端末, 1.1, issue 19): "terminal"
 * goes between "subjects" and "ts"; hash computed outside src/format
 * (SHA-256 of 32 zero bytes and the bytes, with Python's hashlib).
 */
static const char sample11t_canonical[] =
	"{\"action\":\"lookup\",\"backend_pid\":4242,\"card_serial\":\"C0FFEE01\","
	"\"client_addr\":\"192.0.2.10\","
	"\"criteria\":{\"birth_date\":\"1980-01-01\",\"name\":\"山田\"},"
	"\"db_role\":\"山田\","
	"\"detail\":{\"command\":\"UPDATE\",\"relation\":\"juki.operation_log\"},"
	"\"fields\":[\"氏名\",\"住所\"],\"login_role\":\"山田\",\"operator_id\":7,"
	"\"outcome\":\"granted\","
	"\"permit_id\":99,\"purpose\":\"住民票の写しの交付\","
	"\"reason\":\"本人確認済 \\\"運転免許証\\\"\",\"row_count\":1,\"seq\":42,"
	"\"session_id\":1001,\"subjects\":[\"12345678901\",\"10987654321\"],"
	"\"terminal\":\"窓口-03\","
	"\"ts\":\"2026-11-26T23:22:12.123456Z\"}";
static const char sample11t_hash[] =
	"8535c12aeca045c63bbb86176e4f55f2c4c4c4a165b6f58e502b7727055a5d12";

/* The field table: ids index it, names strictly in code-point order. */
static void
test_fields(void)
{
	int			i;
	bool		sorted = true;
	bool		indexed = true;
	int			added = 0;
	char		err[JK_ERR_LEN];

	for (i = 0; i < JK_NFIELDS; i++)
	{
		if ((int) jk_fields[i].id != i)
			indexed = false;
		if (i > 0 && strcmp(jk_fields[i - 1].name, jk_fields[i].name) >= 0)
			sorted = false;
		if (jk_fields[i].added)
			added++;
		if (jk_fields[i].added != (strcmp(jk_fields[i].since, "1.0") != 0))
			indexed = false;
	}
	ok(indexed, "jk_fields[i].id == i, and 'added' means 'since' after 1.0");
	ok(sorted, "jk_fields is in code-point order of the names");
	ok(JK_NFIELDS == 20 && added == 2, "18 fields of format 1.0, login_role and terminal (1.1)");
	ok(jk_field_by_name("terminal", 8) == &jk_fields[JK_F_TERMINAL] &&
	   jk_fields[JK_F_TERMINAL].added &&
	   strcmp(jk_fields[JK_F_TERMINAL].since, "1.1") == 0, "terminal is a 1.1 field");
	ok(jk_field_by_name("login_role", 10) == &jk_fields[JK_F_LOGIN_ROLE] &&
	   jk_fields[JK_F_LOGIN_ROLE].added &&
	   strcmp(jk_fields[JK_F_LOGIN_ROLE].since, "1.1") == 0, "login_role is a 1.1 field");
	ok(jk_field_by_name("seq", 3) == &jk_fields[JK_F_SEQ] && jk_field_by_name("se", 2) == NULL &&
	   jk_field_by_name("hash", 4) == NULL, "jk_field_by_name matches whole names only");

	ok(jk_entry_check_fields(sample_canonical, strlen(sample_canonical), err, sizeof(err)),
	   "a 1.0 entry has the fields of its format");
	ok(jk_entry_check_fields(sample11_canonical, strlen(sample11_canonical), err, sizeof(err)),
	   "a 1.1 entry with login_role has the fields of its format");
	{
		char		buf[1024];
		const char *p = strstr(sample11_canonical, "\"login_role\":\"山田\"");
		size_t		pre = (size_t) (p - sample11_canonical);

		snprintf(buf, sizeof(buf), "%.*s\"login_role\":null%s", (int) pre, sample11_canonical,
				 p + strlen("\"login_role\":\"山田\""));
		ok(!jk_entry_check_fields(buf, strlen(buf), err, sizeof(err)) &&
		   strstr(err, "login_role") != NULL,
		   "a later field written as null is refused (%s)", err);
		snprintf(buf, sizeof(buf), "%.*s\"login_rolf\":\"x\"%s", (int) pre, sample11_canonical,
				 p + strlen("\"login_role\":\"山田\""));
		ok(!jk_entry_check_fields(buf, strlen(buf), err, sizeof(err)) &&
		   strstr(err, "does not know") != NULL,
		   "an unknown field is refused (%s)", err);
		p = strstr(sample_canonical, "\"db_role\":\"山田\",");
		pre = (size_t) (p - sample_canonical);
		snprintf(buf, sizeof(buf), "%.*s%s", (int) pre, sample_canonical,
				 p + strlen("\"db_role\":\"山田\","));
		ok(!jk_entry_check_fields(buf, strlen(buf), err, sizeof(err)) &&
		   strstr(err, "db_role") != NULL,
		   "an entry without a 1.0 field is refused (%s)", err);
	}
	/* nested keys (detail's "command", "relation") are not fields: passed above */
}

static void
test_entry(void)
{
	static const char *const subjects[] = {"12345678901", "10987654321"};
	static const char *const fields[] = {"氏名", "住所"};
	/* printf '%s' "$ALL_NULL" | cat zero32 - | sha256sum */
	static const char null_canonical[] =
		"{\"action\":null,\"backend_pid\":null,\"card_serial\":null,"
		"\"client_addr\":null,\"criteria\":null,\"db_role\":null,\"detail\":null,"
		"\"fields\":null,\"operator_id\":null,\"outcome\":null,\"permit_id\":null,"
		"\"purpose\":null,\"reason\":null,\"row_count\":null,\"seq\":0,"
		"\"session_id\":null,\"subjects\":null,"
		"\"ts\":\"1970-01-01T00:00:00.000000Z\"}";
	static const char null_hash[] =
		"f99d2bf9e79fe562ad355fcc4d653c09b58df6500cffb2044a217380f56996ea";
	JkEntry		e;
	JkBuf		b;
	JkBuf		detail;
	JkBuf		recanon;
	char		err[JK_ERR_LEN];
	uint8_t		zero[JK_HASH_LEN];
	uint8_t		h[JK_HASH_LEN];
	char		hex[JK_HEX_LEN + 1];
	int64_t		seq = -1;
	bool		r;

	memset(zero, 0, sizeof(zero));
	jk_buf_init(&b, xrealloc);
	jk_buf_init(&detail, xrealloc);
	jk_buf_init(&recanon, xrealloc);

	/* detail as the backend would get it, canonicalised first */
	r = jk_json_canonicalize("{\"relation\": \"juki.operation_log\", \"command\": \"UPDATE\"}",
							 strlen("{\"relation\": \"juki.operation_log\", \"command\": \"UPDATE\"}"),
							 &detail, err, sizeof(err));
	ok(r && strcmp(detail.data, "{\"command\":\"UPDATE\",\"relation\":\"juki.operation_log\"}") == 0,
	   "detail canonicalised");

	memset(&e, 0, sizeof(e));
	e.seq = 42;
	e.ts_unix_us = INT64_C(1795735332123456);	/* 2026-11-26T23:22:12.123456Z */
	e.db_role = "山田";
	e.has_operator_id = true;
	e.operator_id = 7;
	e.has_session_id = true;
	e.session_id = 1001;
	e.card_serial = "C0FFEE01";
	e.client_addr = "192.0.2.10";
	e.has_backend_pid = true;
	e.backend_pid = 4242;
	e.action = "lookup";
	e.purpose = "住民票の写しの交付";
	e.has_permit_id = true;
	e.permit_id = 99;
	e.outcome = "granted";
	e.reason = "本人確認済 \"運転免許証\"";
	e.nsubjects = 2;
	e.subjects = subjects;
	e.nfields = 2;
	e.fields = fields;
	e.criteria = "{\"birth_date\":\"1980-01-01\",\"name\":\"山田\"}";
	e.has_row_count = true;
	e.row_count = 1;
	e.detail = detail.data;

	r = jk_canonical_entry(&b, &e);
	ok(r && b.len == sizeof(sample_canonical) - 1 &&
	   memcmp(b.data, sample_canonical, b.len) == 0,
	   "sample entry with every field set has the published canonical bytes");
	if (!r || strcmp(b.data, sample_canonical) != 0)
		diag("got %s", b.data);
	ok(jk_chain_hash(zero, b.data, b.len, h), "chain hash computed");
	jk_hex(h, JK_HASH_LEN, hex);
	ok(strcmp(hex, sample_hash) == 0, "sample entry hash after 32 zero bytes is %s", sample_hash);
	ok(jk_json_canonicalize(b.data, b.len, &recanon, err, sizeof(err)) &&
	   recanon.len == b.len && memcmp(recanon.data, b.data, b.len) == 0,
	   "sample entry is a fixed point of jk_json_canonicalize");
	ok(jk_entry_seq(b.data, b.len, &seq, err, sizeof(err)) && seq == 42,
	   "jk_entry_seq of the sample entry is 42");

	/* format 1.1: the login role is in the bytes only when there is one */
	e.login_role = "山田";
	jk_buf_reset(&b);
	r = jk_canonical_entry(&b, &e);
	ok(r && strcmp(b.data, sample11_canonical) == 0,
	   "sample entry with login_role has the published 1.1 canonical bytes");
	if (!r || strcmp(b.data, sample11_canonical) != 0)
		diag("got %s", b.data);
	ok(jk_chain_hash(zero, b.data, b.len, h), "chain hash of the 1.1 sample computed");
	jk_hex(h, JK_HASH_LEN, hex);
	ok(strcmp(hex, sample11_hash) == 0, "1.1 sample entry hash is %s", sample11_hash);
	jk_buf_reset(&recanon);
	ok(jk_json_canonicalize(b.data, b.len, &recanon, err, sizeof(err)) &&
	   strcmp(recanon.data, b.data) == 0, "the 1.1 sample is a fixed point of jk_json_canonicalize");
	/* and the terminal, only when there is one */
	e.terminal = "窓口-03";
	jk_buf_reset(&b);
	r = jk_canonical_entry(&b, &e);
	ok(r && strcmp(b.data, sample11t_canonical) == 0,
	   "sample entry with terminal has the published 1.1 canonical bytes");
	if (!r || strcmp(b.data, sample11t_canonical) != 0)
		diag("got %s", b.data);
	ok(jk_chain_hash(zero, b.data, b.len, h), "chain hash of the 1.1 sample with terminal computed");
	jk_hex(h, JK_HASH_LEN, hex);
	ok(strcmp(hex, sample11t_hash) == 0, "1.1 sample entry with terminal hash is %s", sample11t_hash);
	ok(jk_entry_check_fields(b.data, b.len, err, sizeof(err)),
	   "a 1.1 entry with terminal has the fields of its format");
	e.terminal = NULL;
	e.login_role = NULL;
	jk_buf_reset(&b);
	ok(jk_canonical_entry(&b, &e) && strcmp(b.data, sample_canonical) == 0,
	   "without a login role the entry keeps its 1.0 bytes");

	/* all null */
	memset(&e, 0, sizeof(e));
	e.subjects_null = true;
	e.fields_null = true;
	jk_buf_reset(&b);
	r = jk_canonical_entry(&b, &e);
	ok(r && strcmp(b.data, null_canonical) == 0, "all-null entry");
	ok(jk_chain_hash(zero, b.data, b.len, h), "chain hash of all-null entry");
	jk_hex(h, JK_HASH_LEN, hex);
	ok(strcmp(hex, null_hash) == 0, "all-null entry hash is %s", null_hash);

	/* empty arrays, negative and extreme integers, escapes */
	memset(&e, 0, sizeof(e));
	e.seq = INT64_MAX;
	e.ts_unix_us = -1;
	e.has_operator_id = true;
	e.operator_id = INT64_MIN;
	e.has_row_count = true;
	e.row_count = 0;
	e.action = "a\tb\x01";
	jk_buf_reset(&b);
	r = jk_canonical_entry(&b, &e);
	ok(r && strcmp(b.data,
				   "{\"action\":\"a\\tb\\u0001\",\"backend_pid\":null,\"card_serial\":null,"
				   "\"client_addr\":null,\"criteria\":null,\"db_role\":null,\"detail\":null,"
				   "\"fields\":[],\"operator_id\":-9223372036854775808,\"outcome\":null,"
				   "\"permit_id\":null,\"purpose\":null,\"reason\":null,\"row_count\":0,"
				   "\"seq\":9223372036854775807,\"session_id\":null,\"subjects\":[],"
				   "\"ts\":\"1969-12-31T23:59:59.999999Z\"}") == 0,
	   "empty arrays, extreme integers, escaped strings");
	if (!r)
		diag("got %s", b.data);

	jk_buf_reset(&b);
	e.ts_unix_us = INT64_MAX;
	ok(!jk_canonical_entry(&b, &e) && b.len == 0,
	   "entry with ts beyond 9999 refused, nothing appended");

	free(b.data);
	free(detail.data);
	free(recanon.data);
}

/* ------------------------------------------------------------------ */

/* Sign msg with an OpenSSL private key (test-only helper). */
static bool
sign(EVP_PKEY *pkey, const char *msg, size_t len, uint8_t sig[JK_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t		siglen = JK_SIG_LEN;
	bool		r;

	r = ctx != NULL &&
		EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
		EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *) msg, len) == 1 &&
		siglen == JK_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	return r;
}

/* parse must fail on line (a mutation of a good checkpoint). */
static void
cp_bad(const char *line, const char *desc)
{
	JkCheckpoint cp;
	char		err[JK_ERR_LEN];

	err[0] = '\0';
	ok(!jk_checkpoint_parse(line, strlen(line), &cp, err, sizeof(err)) && err[0] != '\0',
	   "checkpoint rejected: %s (%s)", desc, err);
}

/* Replace the first occurrence of from in s by to, into out. */
static void
subst(const char *s, const char *from, const char *to, JkBuf *out)
{
	const char *p = strstr(s, from);

	jk_buf_reset(out);
	if (p == NULL)
	{
		jk_buf_append_str(out, "(no match)");
		return;
	}
	jk_buf_append(out, s, (size_t) (p - s));
	jk_buf_append_str(out, to);
	jk_buf_append_str(out, p + strlen(from));
}

static void
test_checkpoint(void)
{
	EVP_PKEY_CTX *kctx;
	EVP_PKEY   *pkey = NULL;
	uint8_t		pub[JK_PUBKEY_LEN];
	size_t		publen = sizeof(pub);
	char		kid[JK_KEYID_LEN + 1];
	uint8_t		origin[JK_HASH_LEN];
	uint8_t		hash[JK_HASH_LEN];
	uint8_t		sig[JK_SIG_LEN];
	char		sighex[2 * JK_SIG_LEN + 1];
	JkBuf		line;
	JkBuf		m;
	JkBuf		want;
	JkCheckpoint cp;
	char		err[JK_ERR_LEN];
	size_t		msglen;
	int			i;

	err[0] = '\0';
	kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (kctx == NULL || EVP_PKEY_keygen_init(kctx) != 1 ||
		EVP_PKEY_keygen(kctx, &pkey) != 1 ||
		EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1)
	{
		ok(false, "Ed25519 key generation");
		EVP_PKEY_CTX_free(kctx);
		EVP_PKEY_free(pkey);
		return;
	}
	EVP_PKEY_CTX_free(kctx);
	ok(jk_key_id(pub, kid) && strlen(kid) == JK_KEYID_LEN, "key id of a generated key");

	for (i = 0; i < JK_HASH_LEN; i++)
	{
		origin[i] = (uint8_t) i;
		hash[i] = (uint8_t) (0xff - i);
	}
	jk_buf_init(&line, xrealloc);
	jk_buf_init(&m, xrealloc);
	jk_buf_init(&want, xrealloc);

	jk_checkpoint_message(&line, origin, 1234567, hash,
						  "2026-11-26T23:22:12.123456Z", kid);
	jk_buf_append_str(&want, "juki-checkpoint/1 origin="
					  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
					  " seq=1234567 hash="
					  "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0"
					  " ts=2026-11-26T23:22:12.123456Z key=");
	jk_buf_append_str(&want, kid);
	ok(strcmp(line.data, want.data) == 0, "checkpoint message has the documented form");
	msglen = line.len;
	ok(sign(pkey, line.data, line.len, sig), "signed with EVP_DigestSign");
	jk_hex(sig, JK_SIG_LEN, sighex);
	jk_buf_append_str(&line, " sig=");
	jk_buf_append_str(&line, sighex);

	ok(jk_checkpoint_parse(line.data, line.len, &cp, err, sizeof(err)) &&
	   cp.seq == 1234567 && memcmp(cp.origin, origin, JK_HASH_LEN) == 0 &&
	   memcmp(cp.hash, hash, JK_HASH_LEN) == 0 &&
	   strcmp(cp.ts, "2026-11-26T23:22:12.123456Z") == 0 &&
	   strcmp(cp.key_id, kid) == 0 && memcmp(cp.sig, sig, JK_SIG_LEN) == 0 &&
	   cp.signed_len == msglen,
	   "checkpoint parses back to its fields (%s)", err);
	ok(jk_ed25519_verify(pub, line.data, cp.signed_len, cp.sig),
	   "checkpoint signature verifies over the bytes before \" sig=\"");

	jk_buf_append_str(&line, "\n");
	ok(jk_checkpoint_parse(line.data, line.len, &cp, err, sizeof(err)) &&
	   cp.signed_len == msglen, "trailing \\n accepted");
	line.data[line.len - 1] = '\r';
	jk_buf_append_str(&line, "\n");
	ok(jk_checkpoint_parse(line.data, line.len, &cp, err, sizeof(err)),
	   "trailing \\r\\n accepted");
	jk_buf_append_str(&line, "\n");
	cp_bad(line.data, "two newlines");
	line.len -= 3;
	line.data[line.len] = '\0';
	jk_buf_append_str(&line, "\r");
	cp_bad(line.data, "lone \\r");
	line.len -= 1;
	line.data[line.len] = '\0';

	/* tampering: still parses, no longer verifies */
	subst(line.data, "hash=ff", "hash=fe", &m);
	ok(jk_checkpoint_parse(m.data, m.len, &cp, err, sizeof(err)) &&
	   !jk_ed25519_verify(pub, m.data, cp.signed_len, cp.sig),
	   "tampered hash fails verification");
	subst(line.data, "seq=1234567", "seq=1234568", &m);
	ok(jk_checkpoint_parse(m.data, m.len, &cp, err, sizeof(err)) && cp.seq == 1234568 &&
	   !jk_ed25519_verify(pub, m.data, cp.signed_len, cp.sig),
	   "tampered seq fails verification");
	subst(line.data, "seq=1234567", "seq=123456", &m);
	ok(jk_checkpoint_parse(m.data, m.len, &cp, err, sizeof(err)) &&
	   !jk_ed25519_verify(pub, m.data, cp.signed_len, cp.sig),
	   "shortened seq fails verification");
	subst(line.data, "ts=2026", "ts=2025", &m);
	ok(jk_checkpoint_parse(m.data, m.len, &cp, err, sizeof(err)) &&
	   !jk_ed25519_verify(pub, m.data, cp.signed_len, cp.sig),
	   "tampered ts fails verification");

	/* strict form */
	subst(line.data, "juki-checkpoint/1", "juki-checkpoint/2", &m);
	cp_bad(m.data, "wrong tag");
	subst(line.data, "origin=00", "origin=0", &m);
	cp_bad(m.data, "origin too short");
	subst(line.data, "origin=00", "origin=000", &m);
	cp_bad(m.data, "origin too long");
	subst(line.data, "0a0b0c", "0A0b0c", &m);
	cp_bad(m.data, "upper-case hex in origin");
	subst(line.data, "hash=ff", "hash=FF", &m);
	cp_bad(m.data, "upper-case hex in hash");
	subst(line.data, " seq=", "  seq=", &m);
	cp_bad(m.data, "double space");
	subst(line.data, "seq=1234567", "seq=01234567", &m);
	cp_bad(m.data, "seq with a leading zero");
	subst(line.data, "seq=1234567", "seq=+1234567", &m);
	cp_bad(m.data, "seq with a sign");
	subst(line.data, "seq=1234567", "seq=-1234567", &m);
	cp_bad(m.data, "negative seq");
	subst(line.data, "seq=1234567", "seq=9223372036854775808", &m);
	cp_bad(m.data, "seq beyond int64");
	subst(line.data, "seq=1234567", "seq=", &m);
	cp_bad(m.data, "empty seq");
	subst(line.data, "seq=1234567 ", "", &m);
	cp_bad(m.data, "missing seq");
	subst(line.data, " seq=1234567 hash=", " hash=", &m);
	jk_buf_reset(&want);
	jk_buf_append_str(&want, m.data);
	subst(want.data, " ts=", " seq=1234567 ts=", &m);
	cp_bad(m.data, "fields out of order");
	subst(line.data, " key=", " seq=1 key=", &m);
	cp_bad(m.data, "duplicated field");
	subst(line.data, "ts=2026-11-26T23:22:12.123456Z", "ts=2026-02-29T23:22:12.123456Z", &m);
	cp_bad(m.data, "invalid ts");
	subst(line.data, "ts=2026-11-26T23:22:12.123456Z", "ts=2026-11-26T23:22:12.12345Z", &m);
	cp_bad(m.data, "short ts");
	subst(line.data, " key=", " key=0", &m);
	cp_bad(m.data, "key id too long");
	subst(line.data, " sig=", " sig=00", &m);
	cp_bad(m.data, "sig too long");
	jk_buf_reset(&m);
	jk_buf_append(&m, line.data, line.len - 2);
	cp_bad(m.data, "sig too short");
	jk_buf_reset(&m);
	jk_buf_append_str(&m, line.data);
	jk_buf_append_str(&m, " ");
	cp_bad(m.data, "trailing space");
	jk_buf_reset(&m);
	jk_buf_append_str(&m, line.data);
	jk_buf_append_str(&m, " x=1");
	cp_bad(m.data, "extra field");
	jk_buf_reset(&m);
	jk_buf_append(&m, line.data, msglen);
	cp_bad(m.data, "no sig");
	cp_bad("", "empty line");

	EVP_PKEY_free(pkey);
	free(line.data);
	free(m.data);
	free(want.data);
}

static void
test_export_header(void)
{
	uint8_t		origin[JK_HASH_LEN];
	uint8_t		prev[JK_HASH_LEN];
	JkBuf		b;
	JkBuf		c;
	char		err[JK_ERR_LEN];
	static const char want[] =
		"{\"exported_at\":\"2026-11-27T00:00:00.000000Z\",\"format\":\"juki-export/1\","
		"\"from_seq\":0,"
		"\"origin\":\"b3ecd99b106e4251c7a9879efd0900e8848fdf7c723ecbfbb80e01cf178420ec\","
		"\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"probe\":\"\\\\\",\"to_seq\":42}";

	unhex_or_die(sample_hash, origin, sizeof(origin));
	memset(prev, 0, sizeof(prev));
	jk_buf_init(&b, xrealloc);
	jk_buf_init(&c, xrealloc);
	jk_export_header(&b, 0, 42, origin, prev, "2026-11-27T00:00:00.000000Z");
	ok(strcmp(b.data, want) == 0, "export header bytes");
	ok(strstr(b.data, "\"probe\":\"\\\\\"") != NULL && strstr(b.data, "\\\\\\\\") == NULL,
	   "probe holds one escaped backslash");
	ok(jk_json_canonicalize(b.data, b.len, &c, err, sizeof(err)) &&
	   strcmp(c.data, b.data) == 0, "export header is canonical JSON");
	free(b.data);
	free(c.data);
}

static void
test_buf(void)
{
	JkBuf		b;
	int			i;
	bool		good = true;

	jk_buf_init(&b, xrealloc);
	ok(b.data != NULL && b.len == 0 && b.data[0] == '\0', "new buffer is empty and NUL-terminated");
	for (i = 0; i < 1000; i++)
		jk_buf_append(&b, "0123456789", 10);
	ok(b.len == 10000 && b.data[b.len] == '\0', "buffer grows");
	jk_buf_append(&b, b.data, 5000);	/* self-append across a realloc */
	for (i = 0; i < 15000; i++)
		if (b.data[i] != '0' + i % 10)
			good = false;
	ok(good && b.len == 15000, "appending from the buffer itself");
	jk_buf_reset(&b);
	ok(b.len == 0 && b.data[0] == '\0' && b.cap >= 15001, "reset keeps storage");
	free(b.data);
}

/*
 * JK_JSON_NUMBERS_AS_STRINGS: how the log keeps numbers of the jsonb values
 * it is given (criteria, a PL/pgSQL detail), through the one canonicaliser.
 * The texts are what PostgreSQL's jsonb prints (numeric_out: no exponent).
 */
static void
loose_is(const char *in, const char *want, const char *desc)
{
	JkBuf		b;
	char		err[JK_ERR_LEN];
	bool		r;

	err[0] = '\0';
	jk_buf_init(&b, xrealloc);
	r = jk_json_canonicalize_ex(in, strlen(in), &b, JK_JSON_NUMBERS_AS_STRINGS,
								err, sizeof(err));
	ok(r && strcmp(b.data, want) == 0, "numbers as strings: %s", desc);
	if (!r)
		diag("error: %s", err);
	else if (strcmp(b.data, want) != 0)
		diag("got %s", b.data);
	free(b.data);
}

static void
test_numbers_as_strings(void)
{
	JkBuf		b;
	char		err[JK_ERR_LEN];

	loose_is("{\"a\": 1, \"b\": -7}", "{\"a\":1,\"b\":-7}", "integers stay integers");
	loose_is("{\"a\": 1.0, \"b\": -12.000}", "{\"a\":1,\"b\":-12}",
			 "a fraction of zeros is the integer");
	loose_is("{\"a\": 1.50}", "{\"a\":\"1.50\"}", "a fraction is kept as written, as a string");
	loose_is("{\"a\": 0.0, \"b\": -0.0}", "{\"a\":0,\"b\":0}", "zero has no sign");
	loose_is("{\"a\": 99999999999999999999}", "{\"a\":\"99999999999999999999\"}",
			 "beyond int64: a string");
	loose_is("{\"a\": 99999999999999999999.0}", "{\"a\":\"99999999999999999999.0\"}",
			 "beyond int64 with a zero fraction: a string of the text");
	loose_is("{\"a\": 9223372036854775807.00, \"b\": -9223372036854775808}",
			 "{\"a\":9223372036854775807,\"b\":-9223372036854775808}", "the int64 bounds");
	loose_is("[1e2, 2.5E-3]", "[\"1e2\",\"2.5E-3\"]", "exponents: strings");
	jk_buf_init(&b, xrealloc);
	ok(!jk_json_canonicalize_ex("[1.]", 4, &b, JK_JSON_NUMBERS_AS_STRINGS, err, sizeof(err)) &&
	   !jk_json_canonicalize_ex("[01.5]", 6, &b, JK_JSON_NUMBERS_AS_STRINGS, err, sizeof(err)) &&
	   !jk_json_canonicalize_ex("[1e]", 4, &b, JK_JSON_NUMBERS_AS_STRINGS, err, sizeof(err)) &&
	   b.len == 0, "numbers as strings: malformed numbers are still refused");
	ok(!jk_json_canonicalize("[1.0]", 5, &b, err, sizeof(err)),
	   "without the flag a fraction is refused");
	free(b.data);
}

int
main(void)
{
	test_buf();
	test_hex();
	test_sha256();
	test_ed25519();
	test_pem();
	test_json_string();
	test_canonicalize();
	test_numbers_as_strings();
	test_entry_seq();
	test_ts();
	test_entry();
	test_fields();
	test_checkpoint();
	test_export_header();
	printf("1..%d\n", ntests);
	if (nfailed > 0)
		printf("# %d of %d tests failed\n", nfailed, ntests);
	return nfailed > 0 ? 1 : 0;
}
