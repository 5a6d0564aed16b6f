/*-------------------------------------------------------------------------
 * session.h
 *		The operator session attached to this transaction (session.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_SESSION_H
#define JUKI_SESSION_H

#include "datatype/timestamp.h"
#include "fmgr.h"

/* The session attached to the current transaction, if any. */
#ifndef JUKI_TERMINAL_LEN
#define JUKI_TERMINAL_LEN	64		/* bytes of a 業務端末 id */
#endif

typedef struct JukiCurrentSession
{
	int64		session_id;
	int64		operator_id;
	char		card_serial[65];
	char		role_name[NAMEDATALEN];
	char		terminal[JUKI_TERMINAL_LEN + 1];	/* 業務端末, or "" */
	TimestampTz logged_in_at;
} JukiCurrentSession;

extern const JukiCurrentSession *juki_session_current(void);

/* juki.attach(token) as a C call (the one-statement disclosure variants). */
extern Datum juki_attach(PG_FUNCTION_ARGS);

#endif							/* JUKI_SESSION_H */
