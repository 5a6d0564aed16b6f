/*-------------------------------------------------------------------------
 * session_table.h
 *		The operator sessions and card challenges in shared memory
 *		(session_table.c, which states the locking protocol): its shared
 *		memory for juki.c; its slots for login.c and session.c only.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_SESSION_TABLE_H
#define JUKI_SESSION_TABLE_H

#include "datatype/timestamp.h"
#include "storage/lwlock.h"

#include "format/hash.h"

#define NONCE_LEN			32
#ifndef JUKI_TERMINAL_LEN
#define JUKI_TERMINAL_LEN	64		/* bytes of a 業務端末 id */
#endif
#define TOKEN_BYTES			32
#define CHALLENGE_TTL_US	(60 * USECS_PER_SEC)
#define STALE_SESSION_US	(24 * USECS_PER_HOUR)

typedef struct Challenge
{
	bool		in_use;
	char		card[65];
	uint8		nonce[NONCE_LEN];
	TimestampTz expires;
} Challenge;

typedef struct Session
{
	bool		in_use;
	bool		locked;			/* idle-locked: needs unlock */
	uint8		token_hash[JK_HASH_LEN];
	int64		session_id;
	int64		operator_id;
	char		card[65];
	char		role[NAMEDATALEN];
	char		terminal[JUKI_TERMINAL_LEN + 1];	/* 業務端末 given at login, or "" */
	TimestampTz created;
	TimestampTz last_activity;
} Session;

typedef struct SessionTable
{
	LWLock	   *lock;
	int64		next_id;
	int			nslots;
	/* then nslots Challenges, then nslots Sessions */
} SessionTable;

extern void juki_session_shmem_request(void);
extern void juki_session_shmem_startup(void);

extern SessionTable *juki_session_table;
extern Challenge *juki_session_challenges(void);
extern Session *juki_session_slots(void);

/* Who may take part in operator sessions at all (a superuser is not). */
extern const char *const juki_session_roles[];

/* SHA-256 of a token: only the hash is kept. */
extern void juki_session_token_hash(const char *token, uint8 out[JK_HASH_LEN]);

/* The slot of the session with this token hash, or -1 (lock held by the caller). */
extern int	juki_session_find(const uint8 hash[JK_HASH_LEN]);

/*
 * Refuse a login step: the record (with the precise reason) is durable
 * before the error; the client is told only what does not help a guesser
 * (shown_reason, if not NULL).
 */
extern void juki_session_refuse(const char *action, int64 operator_id, int64 session_id,
								const char *serial, const char *reason, const char *shown_reason,
								int sqlstate, const char *msg, const char *hint) pg_attribute_noreturn();

#endif							/* JUKI_SESSION_TABLE_H */
