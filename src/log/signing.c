/*-------------------------------------------------------------------------
 * signing.c
 *		Signing checkpoints with the Ed25519 key of juki.signing_key_file
 *		and writing them to juki.checkpoint_directory (DESIGN §7.4).
 *
 * A checkpoint kept outside the database lets an auditor detect a log that
 * was rewritten or truncated by someone who got past SQL.  That only holds
 * if the key is not where such a person can read it, so a key inside the
 * data directory is refused.  Nothing here throws: OpenSSL objects are
 * malloc'd and would leak on a longjmp, and the writer must keep logging
 * whatever happens to signing.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "miscadmin.h"

#include "core/settings.h"
#include "signing.h"

/* Is path (resolved) inside the data directory (resolved)? */
static bool
inside_data_directory(const char *path)
{
	char		key[PATH_MAX];
	char		data[PATH_MAX];
	size_t		n;

	if (realpath(path, key) == NULL || realpath(DataDir, data) == NULL)
		return false;
	n = strlen(data);
	return strncmp(key, data, n) == 0 && (key[n] == '/' || key[n] == '\0');
}

bool
juki_signing_key_load(JukiSigningKey *k, const char **code, char *msg, size_t msglen)
{
	FILE	   *f;
	EVP_PKEY   *pkey;
	size_t		publen = JK_PUBKEY_LEN;

	memset(k, 0, sizeof(*k));
	if (juki_signing_key_file == NULL || juki_signing_key_file[0] == '\0')
	{
		*code = "no_signing_key";
		snprintf(msg, msglen, "juki.signing_key_file is not set");
		return false;
	}
	f = fopen(juki_signing_key_file, "r");
	if (f == NULL)
	{
		*code = "signing_key_unreadable";
		snprintf(msg, msglen, "cannot open \"%s\": %m", juki_signing_key_file);
		return false;
	}
	if (inside_data_directory(juki_signing_key_file))
	{
		fclose(f);
		*code = "signing_key_in_data_directory";
		snprintf(msg, msglen, "\"%s\" is inside the data directory; keep the key where a copy of the data directory cannot reach it",
				 juki_signing_key_file);
		return false;
	}
	ERR_clear_error();
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL)
	{
		ERR_clear_error();
		*code = "signing_key_malformed";
		snprintf(msg, msglen, "\"%s\" does not hold a PEM private key", juki_signing_key_file);
		return false;
	}
	if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519 ||
		EVP_PKEY_get_raw_public_key(pkey, k->pub, &publen) != 1 ||
		publen != JK_PUBKEY_LEN || !jk_key_id(k->pub, k->key_id))
	{
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		*code = "signing_key_not_ed25519";
		snprintf(msg, msglen, "\"%s\" is not an Ed25519 private key", juki_signing_key_file);
		return false;
	}
	k->pkey = pkey;
	return true;
}

void
juki_signing_key_free(JukiSigningKey *k)
{
	if (k->pkey)
		EVP_PKEY_free((EVP_PKEY *) k->pkey);
	k->pkey = NULL;
}

bool
juki_sign(JukiSigningKey *k, const void *msg, size_t len, uint8 sig[JK_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	size_t		siglen = JK_SIG_LEN;
	bool		ok;

	ERR_clear_error();
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return false;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, (EVP_PKEY *) k->pkey) == 1 &&
		EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 &&
		siglen == JK_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok;
}

bool
juki_signing_public_key(uint8 pub[JK_PUBKEY_LEN])
{
	JukiSigningKey k;
	const char *code;
	char		msg[256];

	if (!juki_signing_key_load(&k, &code, msg, sizeof(msg)))
		return false;
	memcpy(pub, k.pub, JK_PUBKEY_LEN);
	juki_signing_key_free(&k);
	return true;
}

/*
 * The 32-byte Ed25519 seed of a loaded key, to sign C2SP notes with
 * (format/note.c signs from the seed).  The caller wipes it after use.
 */
bool
juki_signing_seed(JukiSigningKey *k, uint8 seed[JK_PUBKEY_LEN])
{
	size_t		len = JK_PUBKEY_LEN;
	bool		ok;

	ERR_clear_error();
	ok = k->pkey != NULL &&
		EVP_PKEY_get_raw_private_key((EVP_PKEY *) k->pkey, seed, &len) == 1 &&
		len == JK_PUBKEY_LEN;
	if (!ok)
		ERR_clear_error();
	return ok;
}

/* Write, fsync, rename, fsync the directory: a file is whole or absent. */
static bool
write_file_atomically(const char *path, const char *data, size_t len, bool newline,
					  char *msg, size_t msglen)
{
	char		tmp[MAXPGPATH];
	int			fd;
	int			dfd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd < 0)
	{
		snprintf(msg, msglen, "cannot create \"%s\": %m", tmp);
		return false;
	}
	if (write(fd, data, len) != (ssize_t) len ||
		(newline && write(fd, "\n", 1) != 1) ||
		fsync(fd) != 0)
	{
		snprintf(msg, msglen, "cannot write \"%s\": %m", tmp);
		close(fd);
		unlink(tmp);
		return false;
	}
	close(fd);
	if (rename(tmp, path) != 0)
	{
		snprintf(msg, msglen, "cannot rename \"%s\": %m", tmp);
		unlink(tmp);
		return false;
	}
	dfd = open(juki_checkpoint_directory, O_RDONLY);
	if (dfd >= 0)
	{
		(void) fsync(dfd);
		close(dfd);
	}
	return true;
}

/* The checkpoint line as juki-<origin>-<seq>.checkpoint. */
bool
juki_checkpoint_write_file(const char *line, const uint8 *origin, int64 seq,
						   char *msg, size_t msglen)
{
	char		hex[JK_HEX_LEN + 1];
	char		path[MAXPGPATH];

	if (juki_checkpoint_directory == NULL || juki_checkpoint_directory[0] == '\0')
		return true;
	jk_hex(origin, JK_HASH_LEN, hex);
	hex[16] = '\0';
	snprintf(path, sizeof(path), "%s/juki-%s-%020lld.checkpoint",
			 juki_checkpoint_directory, hex, (long long) seq);
	return write_file_atomically(path, line, strlen(line), true, msg, msglen);
}

/*
 * The C2SP signed checkpoint note of the same checkpoint, beside it as
 * juki-<origin>-<seq>.note (the note ends in its own newline).
 */
bool
juki_checkpoint_write_note(const char *note, const uint8 *origin, int64 seq,
						   char *msg, size_t msglen)
{
	char		hex[JK_HEX_LEN + 1];
	char		path[MAXPGPATH];

	if (note == NULL || juki_checkpoint_directory == NULL ||
		juki_checkpoint_directory[0] == '\0')
		return true;
	jk_hex(origin, JK_HASH_LEN, hex);
	hex[16] = '\0';
	snprintf(path, sizeof(path), "%s/juki-%s-%020lld.note",
			 juki_checkpoint_directory, hex, (long long) seq);
	return write_file_atomically(path, note, strlen(note), false, msg, msglen);
}

/*
 * Both files of one checkpoint, the note first: verify_log takes a
 * .checkpoint file without its .note for a removed note, so a crash or a
 * failed write between the two must leave the note, not the line, alone
 * (a stored checkpoint without its file is no finding).
 */
bool
juki_checkpoint_write_files(const char *line, const char *note, const uint8 *origin,
							int64 seq, char *msg, size_t msglen)
{
	return juki_checkpoint_write_note(note, origin, seq, msg, msglen) &&
		juki_checkpoint_write_file(line, origin, seq, msg, msglen);
}
