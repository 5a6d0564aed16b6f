/*-------------------------------------------------------------------------
 * append.h
 *		Log a record and make it durable in WAL (append.c).  Every
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

/* As juki_audit_log_try, a failure only a WARNING: where the caller raises
 * its own ERROR anyway (deep in DDL). */
extern void juki_audit_log_async(JukiAuditRecord *r);

/* Before a read of the log: wait until what was appended is filed, or refuse. */
extern void juki_log_read_barrier(void);

/*
 * While true, juki_log_read_barrier waits only for the writer's recovery
 * (the gate): for a read that needs no entry of this server's run but what
 * recovery filed (volume.c's rebuild of the windows), so that it never waits
 * for the writer's backlog.  Set it around the read only, with PG_FINALLY.
 */
extern bool juki_log_read_recovered_only;

/* The writer's own entry (e prepared, seq and ts set here); returns its seq. */
extern int64 juki_log_append_own(JkEntry *e);

#endif							/* JUKI_APPEND_H */
