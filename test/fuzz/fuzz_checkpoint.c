/*
 * libFuzzer target: the parsers an auditor's tools run on text they did not
 * write — checkpoint lines, canonical entries (seq extraction), timestamps,
 * hex — must never crash, and what they accept must round-trip: an entry
 * jk_entry_seq accepts is exactly what the canonicaliser, at an entry's
 * depth (JK_JSON_ENTRY), maps to itself.
 */
#include <stdlib.h>
#include <string.h>
#include "format/buf.h"
#include "format/json.h"
#include "format/json_check.h"
#include "format/timestamp.h"
#include "format/checkpoint.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JkCheckpoint cp;
	char		err[256];
	int64_t		seq;
	int64_t		us;
	uint8_t		raw[64];
	char		ts[JK_TS_LEN + 1];

	(void) jk_checkpoint_parse((const char *) data, size, &cp, err, sizeof(err));
	if (jk_entry_seq((const char *) data, size, &seq, err, sizeof(err)))
	{
		JkBuf		c;

		jk_buf_init(&c, realloc);
		if (!jk_json_canonicalize_ex((const char *) data, size, &c, JK_JSON_ENTRY,
									 err, sizeof(err)) ||
			c.len != size || memcmp(c.data, data, size) != 0)
			abort();
		free(c.data);
	}
	if (jk_parse_ts((const char *) data, size, &us))
	{
		/* an accepted timestamp prints back to the same 27 bytes */
		if (!jk_format_ts(us, ts) || size != JK_TS_LEN || memcmp(ts, data, size) != 0)
			abort();
	}
	(void) jk_unhex((const char *) data, size, raw, size / 2 < sizeof(raw) ? size / 2 : sizeof(raw));
	return 0;
}
