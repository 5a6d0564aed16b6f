/*-------------------------------------------------------------------------
 * note_test.c
 *		Unit tests of src/format/note.c and witness.c (linked into
 *		merkle_test, which prints the TAP plan).
 *
 * Expected values come from outside this code: the examples of C2SP
 * signed-note, tlog-checkpoint, tlog-cosignature, tlog-witness and
 * tlog-proof; golang.org/x/mod/sumdb/note's documented example (the
 * PeterNeumann and EnochRoot keys and signatures); a checkpoint of the
 * arche2025h1 staging CT log as published with the cosignature of the
 * remora.n621.de witness; and doc/MERKLE.md's worked example, computed
 * with python3's hashlib and the cryptography package.
 *-------------------------------------------------------------------------
 */
#include "merkle_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM "\xe2\x80\x94"

/* golang.org/x/mod/sumdb/note, package documentation */
static const char peter_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char peter_text[] =
"If you think cryptography is the answer to your problem,\n"
"then you don't know what your problem is.\n";
static const char peter_line[] =
EM " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_line[] =
EM " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/* C2SP signed-note's example */
static const char foo_vkey[] = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char foo_note[] =
"This is an example message.\n\n"
EM " example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

/* transparency-dev/formats tests: a '+' inside the base64 */
static const char plus_vkey[] = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6";

/* a real checkpoint, the log's signature and a witness cosignature */
static const char arche_vkey[] =
"arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
static const char remora_vkey[] = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
static const char arche_note[] =
"arche2025h1.staging.ct.transparency.dev\n"
"1432088532\n"
"U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
"\n"
EM " arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
EM " arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
EM " transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
EM " witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
EM " remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
EM " witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n";

/* doc/MERKLE.md's worked example (python3 hashlib + cryptography) */
static const char *const wk_entries[3] = {"{\"seq\":0}", "{\"seq\":1}", "{\"seq\":2}"};
static const char *const wk_leaf_hex[3] = {
	"a402b0e36f5aae85457360fcf00a2545b87dd47f310553e7b0d32d6d0ac4400d",
	"b119a77a4864308c481efb947ff723d6bd4ea1e7fab902eb8ca98bd759e46aee",
	"d3e0a62a8f7a9256c8beb715afded83e4326d2c47379d259b1709a840ad2f11d"
};
static const char wk_node_hex[] = "fc52d71a368a798fd96ec7e5b7ee5f8f9fdd10c7ff9ab146c4eac1e6a0a1b10a";
static const char wk_root_hex[] = "3db67665eea8c26de341668c1d3199f61de4b780a828569a898ce48c28d931f3";
static const char wk_origin[] = "example.lg.jp/juki-oplog";
static const char wk_body[] =
"example.lg.jp/juki-oplog\n3\nPbZ2Ze6owm3jQWaMHTGZ9h3kt4CoKFaaiYzkjCjZMfM=\n";
static const char wk_log_vkey[] =
"example.lg.jp/juki-oplog+229b2fe6+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
static const char wk_log_line[] =
EM " example.lg.jp/juki-oplog Ipsv5iGZR7qDZf6etdy8rh8dAvAlT6RbnaFNghqJJUjDAf4sRESCzF/N/kuQjhRs9F0f/eLrvJaLrgP5u5I2iS/GigY=\n";
static const char wk_wit_name[] = "witness.example.jp/w1";
static const char wk_wit_vkey[] =
"witness.example.jp/w1+66d92504+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
static const char wk_wit_line[] =
EM " witness.example.jp/w1 ZtklBAAAAABlU/EAqG34tQnSUljAbowRFLRSyvr5+L3/KJp3CKoepwp79Ihl20ixZENMXKYSB3t/+I3VSeZc828inSjxDJ/2pnZNBQ==\n";

static JukiNoteKey
key_or_die(const char *text)
{
	JukiNoteKey k;
	char		err[256];

	if (!juki_note_key_parse(text, strlen(text), &k, err, sizeof(err)))
	{
		fprintf(stderr, "test key %s: %s\n", text, err);
		exit(2);
	}
	return k;
}

void
seed_range(uint8_t seed[32], int from)
{
	int			i;

	for (i = 0; i < 32; i++)
		seed[i] = (uint8_t) (from + i);
}

static void
test_base64(void)
{
	uint8_t		in[40];
	uint8_t		out[40];
	char		b64[64];
	char		err[256];
	size_t		n;
	size_t		len;
	bool		good = true;
	static const char *const bad[] = {"A", "AB", "ABC", "A===", "AB=A", "=AAA", "AR==",
	"AAB=", "AA==AA==", "AA A", "AAAA\n", "AA-_"};
	size_t		i;

	for (len = 0; len <= sizeof(in); len++)
	{
		for (i = 0; i < len; i++)
			in[i] = (uint8_t) (i * 37 + len);
		if (!juki_base64_encode(in, len, b64, sizeof(b64), err, 256) ||
			strlen(b64) != juki_base64_len(len) ||
			!juki_base64_decode(b64, strlen(b64), out, sizeof(out), &n, err, 256) ||
			n != len || memcmp(in, out, len) != 0)
			good = false;
	}
	ok(good, "base64 round trip, 0..40 bytes");
	ok(juki_base64_encode((const uint8_t *) "foobar", 6, b64, sizeof(b64), err, 256) &&
	   strcmp(b64, "Zm9vYmFy") == 0 &&
	   juki_base64_encode((const uint8_t *) "fo", 2, b64, sizeof(b64), err, 256) &&
	   strcmp(b64, "Zm8=") == 0, "base64 of RFC 4648's \"foobar\" and \"fo\"");
	good = true;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (juki_base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n, err, 256))
		{
			diag("accepted %s", bad[i]);
			good = false;
		}
	ok(good, "malformed and non-canonical base64 is refused");
	ok(!juki_base64_decode("AAAAAAAA", 8, out, 5, &n, err, 256),
	   "base64 longer than the output buffer is refused");
}

static void
test_keys(void)
{
	JukiNoteKey k;
	char		text[JUKI_NOTE_KEY_TEXT_MAX];
	char		err[256];
	const char *const good_keys[] = {peter_vkey, enoch_vkey, foo_vkey, plus_vkey, arche_vkey,
	remora_vkey};
	size_t		i;
	size_t		j;
	bool		good = true;
	uint32_t	id;
	static const char *const bad_keys[] = {
		"PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3",
		"PeterNeumann+c74f20a3+",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"rekor.sigstore.dev+12345678+AwEB",
		"rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
		"bananas.sigstore.dev+12344556",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+",
	};

	for (i = 0; i < sizeof(good_keys) / sizeof(good_keys[0]); i++)
	{
		bool		r = juki_note_key_parse(good_keys[i], strlen(good_keys[i]), &k, err, 256) &&
			juki_note_key_format(&k, text, sizeof(text), err, 256) &&
			strcmp(text, good_keys[i]) == 0;

		ok(r, "verifier key parses and prints back: %.*s", (int) k.name_len, r ? k.name : err);
	}
	k = key_or_die(remora_vkey);
	ok(k.type == JUKI_SIGTYPE_COSIGNATURE_V1 && k.key_id == 0xda77ade7,
	   "a cosignature/v1 key: type 0x04 and the key ID the witness publishes");
	ok(juki_note_key_id("PeterNeumann", 12, JUKI_SIGTYPE_ED25519, key_or_die(peter_vkey).pub,
						&id, err, 256) && id == 0xc74f20a3,
	   "key ID = SHA-256(name || 0x0A || 0x01 || key)[:4] (PeterNeumann c74f20a3)");
	ok(juki_note_key_id("PeterNeumann", 12, JUKI_SIGTYPE_COSIGNATURE_V1,
						key_or_die(peter_vkey).pub, &id, err, 256) && id != 0xc74f20a3,
	   "the same key has another ID as a cosignature key");
	for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++)
		if (juki_note_key_parse(bad_keys[i], strlen(bad_keys[i]), &k, err, 256))
		{
			diag("accepted %s", bad_keys[i]);
			good = false;
		}
	ok(good, "wrong IDs, bad hex, bad base64, type 0x03, missing parts and spaces are refused");
	/* every proper substring and every one-byte change (sumdb/note's test) */
	good = true;
	{
		const char *v = peter_vkey;
		size_t		L = strlen(v);
		char		buf[128];

		for (i = 0; i <= L; i++)
			for (j = i + 1; j <= L; j++)
				if ((i != 0 || j != L) && juki_note_key_parse(v + i, j - i, &k, err, 256))
				{
					diag("accepted substring %zu..%zu", i, j);
					good = false;
				}
		for (i = 0; i < L; i++)
		{
			memcpy(buf, v, L);
			buf[i]++;
			if (juki_note_key_parse(buf, L, &k, err, 256))
			{
				diag("accepted change at %zu", i);
				good = false;
			}
		}
	}
	ok(good, "every substring and every one-byte change of a verifier key is refused");
	ok(!juki_note_valid_name("a+b", 3) && !juki_note_valid_name("a\xc2\xa0" "b", 4) &&
	   !juki_note_valid_name("a\xe3\x80\x80", 4) && !juki_note_valid_name("", 0) &&
	   !juki_note_valid_name("a\xff", 2) && !juki_note_valid_name("a\xc0\xaf", 3) &&
	   juki_note_valid_name("\xe5\xb8\x82/log", 7),
	   "key names: no '+', no Unicode space (U+00A0, U+3000), valid UTF-8 only");
}

static void
test_sign_open(void)
{
	uint8_t		raw[33];
	size_t		n;
	JukiNoteSigner s;
	JukiNoteKey keys[3];
	JukiNote	note;
	char		line[256];
	char		msg[2048];
	char		err[256];
	size_t		len;
	bool		ver[3];
	JukiNoteStatus st;

	/* PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 || seed)> */
	if (!juki_base64_decode(peter_skey_b64, strlen(peter_skey_b64), raw, sizeof(raw), &n,
							err, 256) || n != 33)
	{
		ok(false, "decode PeterNeumann's signer key");
		return;
	}
	ok(juki_note_signer_init(&s, "PeterNeumann", 12, JUKI_SIGTYPE_ED25519, raw + 1, err, 256) &&
	   s.key.key_id == 0xc74f20a3 &&
	   memcmp(s.key.pub, key_or_die(peter_vkey).pub, 32) == 0,
	   "signer from sumdb/note's PeterNeumann seed has its verifier key");
	ok(juki_note_sign_line(&s, peter_text, strlen(peter_text), 0, line, sizeof(line), &len,
						   err, 256) && strcmp(line, peter_line) == 0,
	   "Ed25519 signature line equals sumdb/note's example byte for byte");
	juki_note_signer_clear(&s);

	keys[0] = key_or_die(peter_vkey);
	keys[1] = key_or_die(enoch_vkey);
	snprintf(msg, sizeof(msg), "%s\n%s%s", peter_text, peter_line, enoch_line);
	st = juki_note_open(msg, strlen(msg), keys, 2, &note, ver, NULL, err, 256);
	ok(st == JUKI_NOTE_VERIFIED && ver[0] && ver[1] && note.nsigs == 2 &&
	   note.text_len == strlen(peter_text) && memcmp(note.text, peter_text, note.text_len) == 0,
	   "the doubly signed sumdb/note example opens with both keys");
	st = juki_note_open(msg, strlen(msg), keys + 1, 1, &note, ver, NULL, err, 256);
	ok(st == JUKI_NOTE_VERIFIED && ver[0], "... and with EnochRoot's key alone (the other is ignored)");
	keys[2] = key_or_die(foo_vkey);
	st = juki_note_open(msg, strlen(msg), keys + 2, 1, &note, ver, NULL, err, 256);
	ok(st == JUKI_NOTE_UNVERIFIED, "no known key: unverified (%s)", err);
	st = juki_note_open(foo_note, strlen(foo_note), keys + 2, 1, &note, ver, NULL, err, 256);
	ok(st == JUKI_NOTE_VERIFIED && note.sigs[0].key_id == 0x530d903a,
	   "C2SP signed-note's example opens with its verifier key");

	/* tampering and unknown keys */
	snprintf(msg, sizeof(msg), "%s\n%s", peter_text, peter_line);
	msg[3] = 'Y';
	st = juki_note_open(msg, strlen(msg), keys, 1, &note, ver, NULL, err, 256);
	ok(st == JUKI_NOTE_BAD_SIGNATURE, "a changed text fails the known key's signature");
	snprintf(msg, sizeof(msg), "%s\n%s" EM " PeterNeumann AAAAAAB0ZXN0\n" EM " Peter x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
			 peter_text, peter_line);
	st = juki_note_open(msg, strlen(msg), keys, 1, &note, ver, NULL, err, 256);
	ok(st == JUKI_NOTE_VERIFIED && note.nsigs == 3,
	   "signatures sharing only the name or only the key ID of a known key are ignored");
	{
		uint8_t		zero[68] = {0xc7, 0x4f, 0x20, 0xa3};
		char		b64[128];

		/* PeterNeumann's key ID and 64 zero bytes: well formed, not valid */
		if (!juki_base64_encode(zero, sizeof(zero), b64, sizeof(b64), err, 256))
			exit(2);
		snprintf(msg, sizeof(msg), "%s\n%s" EM " PeterNeumann %s\n", peter_text, peter_line, b64);
	}
	st = juki_note_open(msg, strlen(msg), keys, 1, &note, ver, NULL, err, 256);
	ok(st == JUKI_NOTE_BAD_SIGNATURE, "a second, bad signature by a known key rejects the note");
	keys[1] = keys[0];
	st = juki_note_open(foo_note, strlen(foo_note), keys, 2, &note, ver, NULL, err, 256);
	ok(st == JUKI_NOTE_ERROR, "two verifier keys with one name and ID are refused (%s)", err);
}

/* Notes that break signed-note's syntax. */
static void
test_malformed(void)
{
	static const char *const bad[] = {
		"text\n" EM " a AAAAAAB0ZXN0\n",	/* no blank line */
		"text\n\n",				/* no signatures */
		"text\n\n" EM " a AAAAAAB0ZXN0", /* no final newline */
		"text\n\n" EM " a AAAAAAB0ZXN0\nmore\n",	/* trailing text */
		"text\n\n" EM " a AAAAAAB0ZXN0\n\n",	/* trailing blank line */
		"text\n\n-- a AAAAAAB0ZXN0\n",	/* not an em dash */
		"text\n\n" EM "a AAAAAAB0ZXN0\n",	/* no space */
		"text\n\n" EM "  AAAAAAB0ZXN0\n",	/* empty name */
		"text\n\n" EM " a+b AAAAAAB0ZXN0\n",	/* '+' in the name */
		"text\n\n" EM " a AAAAAAB0ZXN\n",	/* bad base64 */
		"text\n\n" EM " a AAAAAA==\n",	/* 4 bytes: no signature */
		"text\n\n" EM " a \n",	/* empty signature */
		"text\n\n" EM " a\n",	/* no signature at all */
		"te\rxt\n\n" EM " a AAAAAAB0ZXN0\n",	/* control character */
		"te\txt\n\n" EM " a AAAAAAB0ZXN0\n",	/* tab */
		"te\xffxt\n\n" EM " a AAAAAAB0ZXN0\n",	/* invalid UTF-8 */
		"te\xed\xa0\x80xt\n\n" EM " a AAAAAAB0ZXN0\n",	/* surrogate */
		"text\n\n" EM " a AAAAAAB0ZXN0 \n",	/* space after the signature */
	};
	static const char blank[] = "a\n\nb\n\n" EM " k AAAAAAB0ZXN0\n";
	JukiNote	note;
	char		err[256];
	char	   *big;
	size_t		i;
	size_t		len;
	bool		good = true;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (juki_note_parse(bad[i], strlen(bad[i]), &note, err, 256))
		{
			diag("accepted malformed note %zu", i);
			good = false;
		}
	ok(good, "%zu kinds of malformed note are refused", sizeof(bad) / sizeof(bad[0]));
	ok(juki_note_parse(blank, strlen(blank), &note, err, 256) &&
	   note.text_len == 5 && memcmp(note.text, "a\n\nb\n", 5) == 0,
	   "the text may hold blank lines: the last one separates the signatures");
	big = malloc(JUKI_NOTE_MAX_LEN + 4096);
	if (big == NULL)
		exit(2);
	len = (size_t) sprintf(big, "text\n\n");
	for (i = 0; i < 100; i++)
		len += (size_t) sprintf(big + len, EM " k%zu AAAAAAB0ZXN0\n", i);
	ok(juki_note_parse(big, len, &note, err, 256) && note.nsigs == 100,
	   "100 signatures are accepted (the spec asks for at least 16)");
	sprintf(big + len, EM " k AAAAAAB0ZXN0\n");
	ok(!juki_note_parse(big, strlen(big), &note, err, 256), "101 signatures are refused");
	{
		static const char tail[] = "\n\n" EM " k AAAAAAB0ZXN0\n";
		size_t		tl = strlen(tail);

		memset(big, 'a', JUKI_NOTE_MAX_LEN + 1);
		memcpy(big + JUKI_NOTE_MAX_LEN - tl, tail, tl);
		ok(juki_note_parse(big, JUKI_NOTE_MAX_LEN, &note, err, 256),
		   "a note of exactly %d bytes is accepted", JUKI_NOTE_MAX_LEN);
		memset(big, 'a', JUKI_NOTE_MAX_LEN + 1);
		memcpy(big + JUKI_NOTE_MAX_LEN + 1 - tl, tail, tl);
		ok(!juki_note_parse(big, JUKI_NOTE_MAX_LEN + 1, &note, err, 256),
		   "a note one byte longer is refused");
	}
	free(big);
}

static void
test_checkpoints(void)
{
	JukiCheckpoint cp;
	char		err[256];
	char		out[512];
	size_t		len;
	uint8_t		root[32];
	static const char spec[] =
	"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	static const char *const bad[] = {
		"example.com/log\n020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"example.com/log\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"example.com/log\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"example.com/log\n9223372036854775808\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2\n",
		"example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
		"example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I==\n",
		"example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
		"example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n\n",
		"example.com/log\n1\n",
		"\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
		"example.com/log\n 1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx\ty\n",
	};
	static const char ext[] = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx\ny z\n";
	size_t		i;
	bool		good = true;

	ok(juki_checkpoint_parse(spec, strlen(spec), &cp, err, 256) && cp.size == 20852163 &&
	   cp.origin_len == 27 && memcmp(cp.origin, "example.com/behind-the-sofa", 27) == 0 &&
	   cp.ext_len == 0 && cp.root[0] == 0x0a && cp.root[31] == 0x62,
	   "tlog-checkpoint's example body parses");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (juki_checkpoint_parse(bad[i], strlen(bad[i]), &cp, err, 256))
		{
			diag("accepted checkpoint %zu", i);
			good = false;
		}
	ok(good, "leading zeros, signs, sizes over 2^63-1, bad roots, empty lines and control characters are refused");
	ok(juki_checkpoint_parse(ext, strlen(ext), &cp, err, 256) &&
	   cp.size == 0 && cp.ext_len == 6 && memcmp(cp.ext, "x\ny z\n", 6) == 0,
	   "size 0 and extension lines are read");
	memcpy(root, cp.root, 32);
	ok(juki_checkpoint_body("example.com/log", 15, 0, root, "x\n", 2, out, sizeof(out), &len,
							err, 256) &&
	   strcmp(out, "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx\n") == 0,
	   "checkpoint body with an extension line");
	ok(!juki_checkpoint_body("a b", 3, 1, root, "", 0, out, sizeof(out), &len, err, 256) &&
	   !juki_checkpoint_body("a", 1, 1, root, "x", 1, out, sizeof(out), &len, err, 256) &&
	   !juki_checkpoint_body("a", 1, 1, root, "\n", 1, out, sizeof(out), &len, err, 256) &&
	   !juki_checkpoint_body("a", 1, 1, root, "", 0, out, 20, &len, err, 256),
	   "no body with a space in the origin, a bad extension line, or no room");
}

static void
test_cosignatures(void)
{
	JukiNoteKey log = key_or_die(arche_vkey);
	JukiNoteKey wit[2];
	JukiCheckpoint cp;
	bool		ver[2];
	uint64_t	times[2];
	char		err[256];
	char		msg[2048];
	size_t		len;
	JukiNoteStatus st;
	JukiNote	note;
	uint8_t		payload[80];
	size_t		n;
	static const char spec_body[] =
	"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	static const char spec_msg[] =
	"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
	"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	/* tlog-cosignature's example line (less a stray "\n" in the spec's text) */
	static const char spec_line[] =
	"jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";

	ok(juki_cosignature_message(1679315147, spec_body, strlen(spec_body), msg, sizeof(msg),
								&len, err, 256) &&
	   len == strlen(spec_msg) && memcmp(msg, spec_msg, len) == 0,
	   "cosignature/v1 message equals tlog-cosignature's example");
	ok(juki_base64_decode(spec_line, strlen(spec_line), payload, sizeof(payload), &n, err, 256) &&
	   n == 76 && payload[0] == 0x8d && payload[3] == 0x3f &&
	   ((uint64_t) payload[8] << 24 | (uint64_t) payload[9] << 16 | (uint64_t) payload[10] << 8 |
		payload[11]) == 1679315147 && payload[4] == 0 && payload[7] == 0,
	   "tlog-cosignature's example payload is key ID || big-endian time 1679315147 || signature");

	wit[0] = key_or_die(remora_vkey);
	wit[1] = key_or_die(peter_vkey);
	st = juki_checkpoint_open(arche_note, strlen(arche_note), &log, wit, 2, &cp, ver, times,
							  err, 256);
	ok(st == JUKI_NOTE_VERIFIED && cp.size == 1432088532 && ver[0] && !ver[1] &&
	   times[0] == 1779573024,
	   "a published CT checkpoint: log signature and remora.n621.de's cosignature verify (%s)",
	   st == JUKI_NOTE_VERIFIED ? "time 1779573024" : err);
	strcpy(msg, arche_note);
	strstr(msg, "1432088532")[9] = '3';	/* the size -> 1432088533 */
	st = juki_checkpoint_open(msg, strlen(msg), &log, wit, 1, &cp, ver, times, err, 256);
	ok(st == JUKI_NOTE_BAD_SIGNATURE, "... and fail when the size is changed");
	st = juki_checkpoint_open(arche_note, strlen(arche_note), &wit[1], wit, 1, &cp, ver, times,
							  err, 256);
	ok(st == JUKI_NOTE_UNVERIFIED, "a checkpoint without the log's own signature is refused");
	/* a witness's cosignature checked with a plain Ed25519 key of the same name fails */
	st = juki_note_open(arche_note, strlen(arche_note), wit, 1, &note, ver, times, err, 256);
	ok(st == JUKI_NOTE_VERIFIED && note.nsigs == 6, "all six signature lines parse; unknown ones are ignored");
}

/* doc/MERKLE.md's example, every byte. */
static void
test_worked_example(void)
{
	JukiHasher *h = test_hasher();
	uint8_t		leaf[3][32];
	uint8_t		want[32];
	uint8_t		node[32];
	uint8_t		root[32];
	char		err[256];
	char		body[256];
	char		line[256];
	char		text[JUKI_NOTE_KEY_TEXT_MAX];
	char		note[1024];
	size_t		len;
	size_t		llen;
	int			i;
	bool		good = true;
	uint8_t		seed[32];
	JukiNoteSigner logs;
	JukiNoteSigner wits;
	JukiNoteKey wk;
	JukiCheckpoint cp;
	bool		ver[1];
	uint64_t	times[1];

	for (i = 0; i < 3; i++)
	{
		unhex_or_die(wk_leaf_hex[i], want, 32);
		if (!juki_merkle_leaf_hash(h, wk_entries[i], strlen(wk_entries[i]), leaf[i], err, 256) ||
			memcmp(leaf[i], want, 32) != 0)
			good = false;
	}
	ok(good, "worked example: leaf hashes of the three entries");
	unhex_or_die(wk_node_hex, want, 32);
	ok(juki_merkle_node_hash(h, leaf[0], leaf[1], node, err, 256) && memcmp(node, want, 32) == 0,
	   "worked example: node (1, 0)");
	unhex_or_die(wk_root_hex, want, 32);
	ok(juki_merkle_root_of(h, (const uint8_t (*)[32]) leaf, 3, root, err, 256) &&
	   memcmp(root, want, 32) == 0, "worked example: root of 3");
	{
		MemTree		t;
		uint8_t		p[JUKI_MERKLE_MAX_PROOF][32];
		uint8_t		r2[32];
		int			np;

		memtree_build(&t, (const uint8_t (*)[32]) leaf, 3);
		ok(juki_merkle_inclusion_proof(h, memtree_node, &t, 2, 3, p, &np, err, 256) &&
		   np == 1 && memcmp(p[0], node, 32) == 0,
		   "worked example: inclusion proof of entry 2 in 3 is [node (1, 0)]");
		ok(juki_merkle_consistency_proof(h, memtree_node, &t, 2, 3, p, &np, err, 256) &&
		   np == 1 && memcmp(p[0], leaf[2], 32) == 0 &&
		   juki_merkle_node_hash(h, leaf[0], leaf[1], r2, err, 256) &&
		   juki_merkle_verify_consistency(h, 2, 3, r2, root, (const uint8_t (*)[32]) p, np,
										  err, 256),
		   "worked example: consistency proof 2 -> 3 is [leaf 2] and verifies");
		memtree_free(&t);
	}
	ok(juki_checkpoint_body(wk_origin, strlen(wk_origin), 3, root, "", 0, body, sizeof(body), &len,
							err, 256) && strcmp(body, wk_body) == 0,
	   "worked example: checkpoint body");
	seed_range(seed, 0);
	ok(juki_note_signer_init(&logs, wk_origin, strlen(wk_origin), JUKI_SIGTYPE_ED25519, seed,
							 err, 256) &&
	   juki_note_key_format(&logs.key, text, sizeof(text), err, 256) &&
	   strcmp(text, wk_log_vkey) == 0, "worked example: log verifier key %s", text);
	ok(juki_note_sign_line(&logs, body, len, 0, line, sizeof(line), &llen, err, 256) &&
	   strcmp(line, wk_log_line) == 0, "worked example: log signature line");
	seed_range(seed, 32);
	ok(juki_note_signer_init(&wits, wk_wit_name, strlen(wk_wit_name),
							 JUKI_SIGTYPE_COSIGNATURE_V1, seed, err, 256) &&
	   juki_note_key_format(&wits.key, text, sizeof(text), err, 256) &&
	   strcmp(text, wk_wit_vkey) == 0, "worked example: witness verifier key %s", text);
	ok(juki_note_sign_line(&wits, body, len, 1700000000, line, sizeof(line), &llen, err, 256) &&
	   strcmp(line, wk_wit_line) == 0, "worked example: cosignature line (time 1700000000)");
	ok(!juki_note_sign_line(&wits, "not a checkpoint\n", 17, 1, line, sizeof(line), &llen, err, 256),
	   "a cosignature is only made over a checkpoint");
	snprintf(note, sizeof(note), "%s\n%s%s", wk_body, wk_log_line, wk_wit_line);
	wk = wits.key;
	ok(juki_checkpoint_open(note, strlen(note), &logs.key, &wk, 1, &cp, ver, times, err, 256) ==
	   JUKI_NOTE_VERIFIED && ver[0] && times[0] == 1700000000 && cp.size == 3 &&
	   memcmp(cp.root, root, 32) == 0, "worked example: the cosigned checkpoint opens");
	note[strlen(note) - 10] ^= 1;
	ok(juki_checkpoint_open(note, strlen(note), &logs.key, &wk, 1, &cp, ver, times, err, 256) ==
	   JUKI_NOTE_BAD_SIGNATURE, "worked example: a damaged cosignature rejects the note");
	juki_note_signer_clear(&logs);
	juki_note_signer_clear(&wits);
}

static void
test_tlog_proof(void)
{
	static const char spec[] =
	"c2sp.org/tlog-proof@v1\n"
	"extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
	"index 73894\n"
	"gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
	"B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
	"EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
	"RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
	"AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
	"\n"
	"example.com/fancylog\n"
	"109482\n"
	"sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
	"\n"
	EM " example.com/fancylog hI2DJw[...]1roloI=\n";
	JukiTlogProof p;
	JukiTlogProof q;
	char		err[256];
	char		buf[2048];
	size_t		len;
	uint8_t		leaf[32];
	JukiCheckpoint cp;
	JukiNoteKey lk = key_or_die(wk_log_vkey);
	char		note[512];

	memset(&cp, 0, sizeof(cp));
	memset(leaf, 0, sizeof(leaf));
	ok(juki_tlog_proof_parse(spec, strlen(spec), &p, err, 256) && p.index == 73894 &&
	   p.nproof == 5 && p.extra != NULL && p.extra_len == 52 &&
	   p.note_len == strlen(spec) - (size_t) (p.note - spec),
	   "tlog-proof's example parses: extra, index 73894, 5 hashes, the checkpoint");
	ok(juki_tlog_proof_format(&p, buf, sizeof(buf), &len, err, 256) && len == strlen(spec) &&
	   memcmp(buf, spec, len) == 0, "... and prints back byte for byte");
	ok(!juki_tlog_proof_parse("c2sp.org/tlog-proof@v2\nindex 1\n\nx", 33, &p, err, 256) &&
	   !juki_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 01\n\nx", 34, &p, err, 256) &&
	   !juki_tlog_proof_parse("c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\nx", 42, &p, err, 256) &&
	   !juki_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx", 38, &p, err, 256) &&
	   !juki_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 1\n\n", 32, &p, err, 256),
	   "bad header, leading zero, bad extra, short hash, missing checkpoint are refused");
	/* the worked example's entry 2, checked end to end */
	snprintf(note, sizeof(note), "%s\n%s", wk_body, wk_log_line);
	memset(&q, 0, sizeof(q));
	q.index = 2;
	q.nproof = 1;
	unhex_or_die(wk_node_hex, q.proof[0], 32);
	q.note = note;
	q.note_len = strlen(note);
	ok(juki_tlog_proof_format(&q, buf, sizeof(buf), &len, err, 256) &&
	   juki_tlog_proof_parse(buf, len, &p, err, 256) &&
	   juki_checkpoint_open(p.note, p.note_len, &lk, NULL, 0, &cp, NULL, NULL, err, 256) ==
	   JUKI_NOTE_VERIFIED &&
	   juki_merkle_leaf_hash(test_hasher(), wk_entries[2], strlen(wk_entries[2]), leaf, err, 256) &&
	   juki_merkle_verify_inclusion(test_hasher(), p.index, cp.size, leaf,
									(const uint8_t (*)[32]) p.proof, p.nproof, cp.root, err, 256),
	   "worked example: a tlog-proof of entry 2 verifies against the signed checkpoint");
	ok(!juki_merkle_verify_inclusion(test_hasher(), p.index, cp.size, leaf,
									 (const uint8_t (*)[32]) p.proof, p.nproof,
									 juki_merkle_empty_root, err, 256) &&
	   !juki_merkle_verify_inclusion(test_hasher(), 1, cp.size, leaf,
									 (const uint8_t (*)[32]) p.proof, p.nproof, cp.root, err, 256),
	   "... and not against another root or at another index");
}

void
note_tests(void)
{
	test_base64();
	test_keys();
	test_sign_open();
	test_malformed();
	test_checkpoints();
	test_cosignatures();
	test_worked_example();
	witness_tests();
	test_tlog_proof();
}
