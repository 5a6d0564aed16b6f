/*
 * libFuzzer target: the canonical JSON encoder of src/format (DESIGN §7.2).
 * Whatever the input, no crash, no leak; a canonical result is itself
 * canonical (canonicalising it again changes nothing), and every string
 * jk_json_string writes parses back unchanged if and only if its bytes are
 * UTF-8 by jk_json_utf8_valid.  A canonical object (a value the writer
 * logs as criteria) makes an entry the entry reader (jk_entry_seq) accepts:
 * the two nesting limits of json.h agree.
 */
#include <stdlib.h>
#include <string.h>
#include "format/buf.h"
#include "format/json.h"
#include "format/json_check.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JkBuf		out;
	JkBuf		again;
	JkBuf		str;
	char		err[256];
	bool		ok;

	jk_buf_init(&out, realloc);
	jk_buf_init(&again, realloc);
	jk_buf_init(&str, realloc);
	if (jk_json_canonicalize((const char *) data, size, &out, err, sizeof(err)))
	{
		if (!jk_json_canonicalize(out.data, out.len, &again, err, sizeof(err)) ||
			again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
			abort();
		if (out.data[0] == '{')
		{
			JkBuf		entry;
			int64_t		seq = 0;

			jk_buf_init(&entry, realloc);
			jk_buf_append_str(&entry, "{\"criteria\":");
			jk_buf_append(&entry, out.data, out.len);
			jk_buf_append_str(&entry, ",\"seq\":1}");
			if (!jk_entry_seq(entry.data, entry.len, &seq, err, sizeof(err)) || seq != 1)
				abort();
			free(entry.data);
		}
	}
	/*
	 * any bytes as a JSON string: it parses back, unchanged, exactly when
	 * jk_json_utf8_valid accepts the bytes (log/jsonb_canon.c relies on
	 * that to decline just what the canonicaliser would refuse)
	 */
	jk_json_string(&str, (const char *) data, size);
	jk_buf_reset(&again);
	ok = jk_json_canonicalize(str.data, str.len, &again, err, sizeof(err));
	if (ok != jk_json_utf8_valid((const char *) data, size))
		abort();
	if (ok && (again.len != str.len || memcmp(again.data, str.data, str.len) != 0))
		abort();
	free(out.data);
	free(again.data);
	free(str.data);
	return 0;
}
