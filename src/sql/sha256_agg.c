/*-------------------------------------------------------------------------
 * sha256_agg.c
 *		juki._sha256_agg(text): the SHA-256 of its inputs concatenated in
 *		aggregate order, as lowercase hex, computed as the rows stream by.
 *
 * import_residents logs a digest of every imported row; concatenating the
 * rows first (string_agg, then sha256) stops at PostgreSQL's 1 GB limit
 * on a value — about five million residents.  The digest is the same.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(juki_sha256_step);
PG_FUNCTION_INFO_V1(juki_sha256_final);

typedef struct Sha256State
{
	EVP_MD_CTX *ctx;
	MemoryContextCallback cleanup;
} Sha256State;

/* the aggregate's memory goes away on error too: the OpenSSL context with it */
static void
free_ctx(void *arg)
{
	Sha256State *st = arg;

	EVP_MD_CTX_free(st->ctx);
	st->ctx = NULL;
}

static void
openssl_failed(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("SHA-256 failed in OpenSSL (%s)", what)));
}

static Sha256State *
new_state(MemoryContext cxt)
{
	Sha256State *st = MemoryContextAllocZero(cxt, sizeof(Sha256State));

	st->ctx = EVP_MD_CTX_new();
	if (st->ctx == NULL)
		openssl_failed("EVP_MD_CTX_new");
	st->cleanup.func = free_ctx;
	st->cleanup.arg = st;
	MemoryContextRegisterResetCallback(cxt, &st->cleanup);
	if (EVP_DigestInit_ex(st->ctx, EVP_sha256(), NULL) != 1)
		openssl_failed("EVP_DigestInit_ex");
	return st;
}

Datum
juki_sha256_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	Sha256State *st;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("juki._sha256_step can only be called as part of an aggregate")));
	st = PG_ARGISNULL(0) ? new_state(aggcxt) : (Sha256State *) PG_GETARG_POINTER(0);
	if (!PG_ARGISNULL(1))
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		if (EVP_DigestUpdate(st->ctx, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) != 1)
			openssl_failed("EVP_DigestUpdate");
	}
	PG_RETURN_POINTER(st);
}

Datum
juki_sha256_final(PG_FUNCTION_ARGS)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char		out[2 * 32 + 1];
	unsigned int i;

	if (PG_ARGISNULL(0))
	{
		/* no rows: the digest of nothing */
		if (EVP_Digest("", 0, md, &len, EVP_sha256(), NULL) != 1)
			openssl_failed("EVP_Digest");
	}
	else
	{
		Sha256State *st = (Sha256State *) PG_GETARG_POINTER(0);

		/* a finished context cannot be finished again: work on a copy */
		EVP_MD_CTX *copy = EVP_MD_CTX_new();

		if (copy == NULL)
			openssl_failed("EVP_MD_CTX_new");
		if (EVP_MD_CTX_copy_ex(copy, st->ctx) != 1 || EVP_DigestFinal_ex(copy, md, &len) != 1)
		{
			EVP_MD_CTX_free(copy);
			openssl_failed("EVP_DigestFinal_ex");
		}
		EVP_MD_CTX_free(copy);
	}
	if (len != 32)
		openssl_failed("digest length");
	for (i = 0; i < len; i++)
	{
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[2 * len] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(out));
}
