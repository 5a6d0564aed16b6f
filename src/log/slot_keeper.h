/*-------------------------------------------------------------------------
 * slot_keeper.h
 *		On a standby, juki's slot held where the primary had filed up to
 *		(slot_keeper.c); the writer takes it over after a promotion.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOG_SLOT_KEEPER_H
#define JUKI_LOG_SLOT_KEEPER_H

#include "access/xlogdefs.h"

/* The background worker's entry point (registered by juki.c). */
extern PGDLLEXPORT void juki_slot_keeper_main(Datum arg);

/*
 * The writer at start: true if the standby's keeper held the slot during
 * the recovery that just ended; *vouched if it stood at restart because
 * the old primary had filed everything before it.
 */
extern bool juki_slot_kept_in_recovery(XLogRecPtr restart, bool *vouched);

/* The writer has judged the slot it took over: it is now the writer's. */
extern void juki_slot_keeper_forget(void);

#endif							/* JUKI_LOG_SLOT_KEEPER_H */
