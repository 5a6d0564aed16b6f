/*-------------------------------------------------------------------------
 * form_ledger.h
 *		Form serials and the form ledger, written with the log entry.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORM_LEDGER_H
#define JUKI_FORM_LEDGER_H

#include "datatype/timestamp.h"

#include "format/entry.h"

/*
 * An issuer: take the form-serial lock of the year and the next serial
 * (YYYY-NNNNNN); release it once the issue_form record is durable (an error
 * releases it with the transaction).  NULL when the year's 999999 serials
 * are all taken: the caller refuses, on record, with the lock still held.
 */
extern char *juki_form_serial_take(int year);
extern void juki_form_serial_release(int year);

/* The audit writer, in its batch transaction: the ledger row of an entry. */
extern void juki_form_ledger_write(const JkEntry *e, TimestampTz printed_at);

#endif							/* JUKI_FORM_LEDGER_H */
