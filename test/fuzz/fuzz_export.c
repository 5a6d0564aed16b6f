/*
 * libFuzzer target: juki_verify's export-file parser (the offline verifier
 * reads files from external media).  Any bytes: no crash, no leak, a clear
 * verdict.  The tool's own verification (src/tools/verify_export.c).
 */
#include <stdio.h>
#include <string.h>

#include "format/buf.h"
#include "format/checkpoint.h"
#include "tools/verify_export.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Key	key;			/* RFC 8032 test key 1 */
	Keys		keys = {&key, 1};
	Checkpoints extra = {NULL, 0};
	Report		r;
	FILE	   *f;

	if (key.id[0] == '\0')
	{
		static const char hex[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

		jk_unhex(hex, 64, key.pub, JK_PUBKEY_LEN);
		jk_key_id(key.pub, key.id);
	}
	memset(&r, 0, sizeof(r));
	f = fmemopen((void *) data, size, "r");
	if (f == NULL)
		return 0;
	(void) juki_verify_export(f, &keys, &extra, &r);
	fclose(f);
	return 0;
}
