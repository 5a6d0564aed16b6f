/*-------------------------------------------------------------------------
 * volume.h
 *		Ceilings on how many residents leave through the door: per
 *		statement and per window of time (per operator and purpose), and the
 *		rows a bulk permit allows in its one statement.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_VOLUME_H
#define JUKI_VOLUME_H

#include "utils/date.h"

#include "log/record.h"
#include "decision.h"

extern void juki_volume_shmem_request(void);
extern void juki_volume_shmem_startup(void);

/* Why a request was refused for its volume. */
typedef struct JukiVolumeRefusal
{
	const char *reason;			/* volume_exceeded, volume_table_full */
	int			sqlstate;
	const char *ceiling;		/* statement, window, bulk_permit */
	int64		limit;
	int64		disclosed;		/* rows already counted against the ceiling */
	int64		requested;		/* rows of this request */
	char	   *message;
	char	   *hint;
} JukiVolumeRefusal;

/*
 * Before the rows are read (policy.c, deciding): could a request that may
 * return up to bound rows pass a ceiling of this statement or of the
 * operator's window?  Then only a bulk permit lets it through.  False for
 * a request already under a bulk permit.
 */
extern bool juki_volume_beyond(const JukiRequest *req, const JukiDecision *d, int64 bound);

/*
 * After the rows are read, before they are logged and returned: count n
 * rows against the ceilings, or fill *why and return false (nothing
 * counted).
 */
extern bool juki_volume_charge(const JukiRequest *req, const JukiDecision *d, int64 n,
							   JukiVolumeRefusal *why);

/* The refusal's facts for the log entry's detail. */
extern void juki_volume_detail(JukiDetail *jd, const JukiVolumeRefusal *why);

#endif							/* JUKI_VOLUME_H */
