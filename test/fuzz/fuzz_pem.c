/*
 * libFuzzer target: IC-card public keys (card.c) and checkpoint keys
 * (src/format/checkpoint.c) are parsed from PEM given by an access manager; signatures come
 * from the client.  Any bytes: no crash, no leak, no OpenSSL error left
 * behind; a key that parses gives a definite yes or no for a signature.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include "postgres.h"		/* the shim: PostgreSQL's integer types */
#include "door/card.h"
#include "format/checkpoint.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		err[256];
	uint8_t		pub[JK_PUBKEY_LEN];
	size_t		cut = size / 2;
	const char *type;

	/* the first half is the PEM, the second the signature over a fixed challenge */
	type = juki_card_key_type((const char *) data, cut, err, sizeof(err));
	if (type != NULL)
	{
		static const uint8 challenge[32] = {1, 2, 3};

		(void) juki_card_verify((const char *) data, cut, challenge, sizeof(challenge),
								data + cut, size - cut);
	}
	(void) jk_ed25519_pub_from_pem((const char *) data, size, pub, err, sizeof(err));
	if (ERR_peek_error() != 0)
		abort();				/* every failure path clears OpenSSL's queue */
	return 0;
}
