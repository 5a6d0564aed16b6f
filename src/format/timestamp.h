/*-------------------------------------------------------------------------
 * timestamp.h
 *		Entry timestamps (timestamp.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_TIMESTAMP_H
#define JUKI_FORMAT_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JK_TS_LEN		27		/* YYYY-MM-DDTHH:MM:SS.ffffffZ, without NUL */

/* UTC, exactly six fractional digits, years 0001-9999. */
extern bool jk_format_ts(int64_t unix_us, char out[JK_TS_LEN + 1]);
extern bool jk_parse_ts(const char *s, size_t len, int64_t *unix_us);

#endif							/* JUKI_FORMAT_TIMESTAMP_H */
