/*-------------------------------------------------------------------------
 * codes.h
 *		The code validators (codes.c): 住民票コード, 個人番号,
 *		地方公共団体コード and ISO dates.  Pure: they work without preload and
 *		never raise; *why (if not NULL) says what is wrong, never repeating
 *		the value.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_CODES_H
#define JUKI_CODES_H

extern bool juki_resident_code_ok(const char *s, size_t len, const char **why);
extern bool juki_individual_number_ok(const char *s, size_t len, const char **why);
extern bool juki_municipality_code_ok(const char *s, size_t len, const char **why);
extern bool juki_ymd_ok(const char *s, size_t len, int min_year, int *y, int *m, int *d);

#endif							/* JUKI_CODES_H */
