/*-------------------------------------------------------------------------
 * guard.h
 *		The boundary between juki's own code and everything else: the
 *		hooks (guard.c), installed once at preload.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_H
#define JUKI_GUARD_H

extern void juki_guard_install(void);

#endif							/* JUKI_GUARD_H */
