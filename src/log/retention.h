/*-------------------------------------------------------------------------
 * retention.h
 *		Export to external media, retention lock and purge (DESIGN §7.6).
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

#endif							/* JUKI_RETENTION_H */
