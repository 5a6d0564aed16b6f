/*-------------------------------------------------------------------------
 * enforcement.h
 *		Did the server run without juki since juki's last clean stop?
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_ENFORCEMENT_H
#define JUKI_ENFORCEMENT_H

#include "access/xlogdefs.h"

/*
 * Shutdown checkpoints in the WAL after from, up to and including the
 * latest checkpoint.  After a clean stop of juki and a start with juki the
 * answer is 1 (that stop's own checkpoint); more means the server was
 * started and stopped in between without juki.  -1 with why filled in when
 * the WAL cannot be read back (recycled, or the latest checkpoint is not a
 * shutdown one).
 */
extern int	juki_shutdowns_since(XLogRecPtr from, char *why, size_t whylen);

#endif							/* JUKI_ENFORCEMENT_H */
