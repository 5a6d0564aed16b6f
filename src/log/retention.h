/*-------------------------------------------------------------------------
 * retention.h
 *		The retention of the operation log, its newest entry and the signed
 *		checkpoint covering an entry (DESIGN §7.6, retention.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_RETENTION_H
#define JUKI_RETENTION_H

#include "datatype/timestamp.h"

/* Is any entry younger than the retention?  Then the newest's seq and time. */
extern bool juki_log_young_entries(int64 *seq, TimestampTz *ts, int *years);

/* The retention in force: the highest of juki.log_retention and any value
 * ever recorded (it can only be raised). */
extern int	juki_retention_years(void);

/* now() minus years, in calendar years as the law counts them */
extern TimestampTz juki_retention_cutoff(int years);

/* The newest entry (seq, time and, if hash is not NULL, hash), if any. */
extern bool juki_log_newest_entry(int64 *seq, TimestampTz *ts, uint8 *hash);

/* The first stored checkpoint at or after seq: its seq and line, or false. */
extern bool juki_covering_checkpoint(int64 seq, int64 *cp_seq, char **line);

#endif							/* JUKI_RETENTION_H */
