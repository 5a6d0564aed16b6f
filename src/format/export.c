/*-------------------------------------------------------------------------
 * export.c
 *		The header line of an export file (DESIGN §7.6; the file's layout is
 *		in export.h).  Free of PostgreSQL.
 *-------------------------------------------------------------------------
 */
#include "export.h"
#include "json.h"

#include <string.h>

/* Keys are in code-point order; probe holds one backslash. */
void
jk_export_header(JkBuf *out, int64_t from_seq, int64_t to_seq,
				 const uint8_t origin[JK_HASH_LEN],
				 const uint8_t prev_hash[JK_HASH_LEN],
				 const char *exported_at)
{
	char		hex[JK_HEX_LEN + 1];

	jk_buf_append_str(out, "{\"exported_at\":");
	jk_json_string(out, exported_at, strlen(exported_at));
	jk_buf_append_str(out, ",\"format\":\"" JK_EXPORT_FORMAT "\",\"from_seq\":");
	jk_buf_append_int64(out, from_seq);
	jk_buf_append_str(out, ",\"origin\":\"");
	jk_hex(origin, JK_HASH_LEN, hex);
	jk_buf_append(out, hex, JK_HEX_LEN);
	jk_buf_append_str(out, "\",\"prev_hash\":\"");
	jk_hex(prev_hash, JK_HASH_LEN, hex);
	jk_buf_append(out, hex, JK_HEX_LEN);
	jk_buf_append_str(out, "\",\"probe\":\"\\\\\",\"to_seq\":");
	jk_buf_append_int64(out, to_seq);
	jk_buf_putc(out, '}');
}
