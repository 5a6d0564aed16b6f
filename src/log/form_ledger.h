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
 * releases it with the transaction).  NULL, and the reason the caller
 * refuses with (on record, the lock still held), when the entries appended
 * before are not filed within juki.audit_wait_timeout (audit_unavailable)
 * or the year's 999999 serials are all taken (form_serials_exhausted).
 */
extern char *juki_form_serial_take(int year, const char **reason);
extern void juki_form_serial_release(int year);

/* The audit writer, in its batch transaction: the ledger row of an entry. */
extern void juki_form_ledger_write(const JkEntry *e, TimestampTz printed_at);

#endif							/* JUKI_FORM_LEDGER_H */
