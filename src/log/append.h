/*-------------------------------------------------------------------------
 * append.h
 *		Log a record and wait until it is durable (append.c).  Every
 *		decision of juki goes through here.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_APPEND_H
#define JUKI_APPEND_H

#include "record.h"

/* Durable before return, or ERROR 55000: the caller must not go on. */
extern void juki_audit_log(JukiAuditRecord *r);

/* Durable before return, or false with *problem; never throws for the log. */
extern bool juki_audit_log_try(JukiAuditRecord *r, const char **problem);

/* Queued but not waited for: only where the caller holds locks the writer
 * may need (deep in DDL), and always followed by an ERROR of the caller. */
extern void juki_audit_log_async(JukiAuditRecord *r);

#endif							/* JUKI_APPEND_H */
