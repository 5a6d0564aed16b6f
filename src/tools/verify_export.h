/*-------------------------------------------------------------------------
 * verify_export.h
 *		Verifying an export file without a database (verify_export.c);
 *		what it is handed and what it reports are export_reader.h's types.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_VERIFY_EXPORT_H
#define JUKI_VERIFY_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "export_reader.h"

/*
 * Verify the export file f (rewindable) against keys and the extra
 * checkpoints: 0 if it is valid, else 1 with r->message set.  Touches
 * nothing global, so a fuzz target can call it on an fmemopen()ed buffer.
 */
extern int	juki_verify_export(FILE *f, const Keys *keys, const Checkpoints *extra,
							   Report *r);

#endif							/* JUKI_VERIFY_EXPORT_H */
