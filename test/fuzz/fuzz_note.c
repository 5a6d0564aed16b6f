/*
 * libFuzzer target: the signed-note side of src/format (note.c, witness.c)
 * reads text from other clusters — checkpoints, cosignatures, verifier
 * keys.  Any bytes: no crash, no leak, no OpenSSL error left behind; and
 * what is accepted is canonical: a checkpoint body, a verifier key and a
 * base64 string that parse print back to the same bytes, a note that opens
 * has its text and signatures where the parser says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "format/note.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys of the unit tests: sumdb/note's, a witness's (type 0x04), ours. */
static const char *const vkeys[] = {
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	"remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
	"example.lg.jp/juki-oplog+229b2fe6+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
	"witness.example.jp/w1+66d92504+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;
	char		err[256];
	JukiNoteKey keys[4];
	JukiNoteKey k;
	JukiNote	note;
	JukiCheckpoint cp;
	bool		ver[4];
	uint64_t	times[4];
	char		out[JUKI_CHECKPOINT_MAX_LEN + 512];
	uint8_t		raw[512];
	size_t		n;
	size_t		len;
	int			i;
	JukiNoteStatus st;

	for (i = 0; i < 4; i++)
		if (!juki_note_key_parse(vkeys[i], strlen(vkeys[i]), &keys[i], err, sizeof(err)))
			abort();

	/* notes: parse, then open with known keys */
	if (juki_note_parse(s, size, &note, err, sizeof(err)))
	{
		if (note.text_len == 0 || note.text_len > size || note.text[note.text_len - 1] != '\n' ||
			note.nsigs < 1 || note.nsigs > JUKI_NOTE_MAX_SIGS)
			abort();
	}
	st = juki_note_open(s, size, keys, 4, &note, ver, times, err, sizeof(err));
	if (st == JUKI_NOTE_VERIFIED && !(ver[0] || ver[1] || ver[2] || ver[3]))
		abort();
	(void) juki_checkpoint_open(s, size, &keys[2], &keys[3], 1, &cp, ver, times, err,
								sizeof(err));

	/* checkpoint bodies are canonical */
	if (juki_checkpoint_parse(s, size, &cp, err, sizeof(err)) &&
		juki_note_valid_name(cp.origin, cp.origin_len))
	{
		if (!juki_checkpoint_body(cp.origin, cp.origin_len, cp.size, cp.root, cp.ext,
								  cp.ext_len, out, sizeof(out), &len, err, sizeof(err)) ||
			len != size || memcmp(out, s, size) != 0)
			abort();
	}

	/* verifier keys: print back (hex case aside) and parse to the same key */
	if (juki_note_key_parse(s, size, &k, err, sizeof(err)))
	{
		JukiNoteKey k2;

		if (!juki_note_key_format(&k, out, sizeof(out), err, sizeof(err)) ||
			strlen(out) != size ||
			!juki_note_key_parse(out, strlen(out), &k2, err, sizeof(err)) ||
			k.name_len != k2.name_len || memcmp(k.name, k2.name, k.name_len) != 0 ||
			k.key_id != k2.key_id || k.type != k2.type || memcmp(k.pub, k2.pub, 32) != 0)
			abort();
	}

	/* base64: one encoding per byte string */
	if (size <= 600 && juki_base64_decode(s, size, raw, sizeof(raw), &n, err, sizeof(err)))
	{
		if (!juki_base64_encode(raw, n, out, sizeof(out), err, sizeof(err)) ||
			strlen(out) != size || memcmp(out, s, size) != 0)
			abort();
	}

	/* anything signable signs and opens again */
	if (size > 0 && size <= 512 && s[size - 1] == '\n' && juki_note_valid_text(s, size))
	{
		static const uint8_t seed[32] = {7, 7, 7};
		JukiNoteSigner signer;
		char		msg[1200];
		size_t		llen;

		if (!juki_note_signer_init(&signer, "fuzz.example/log", 16, JUKI_SIGTYPE_ED25519,
								   seed, err, sizeof(err)))
			abort();
		memcpy(msg, s, size);
		msg[size] = '\n';
		if (!juki_note_sign_line(&signer, s, size, 0, msg + size + 1, sizeof(msg) - size - 1,
								 &llen, err, sizeof(err)))
			abort();
		st = juki_note_open(msg, size + 1 + llen, &signer.key, 1, &note, ver, NULL, err,
							sizeof(err));
		if (st != JUKI_NOTE_VERIFIED || note.text_len != size)
			abort();
		juki_note_signer_clear(&signer);
	}
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
