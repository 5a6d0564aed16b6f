/*-------------------------------------------------------------------------
 * login.h
 *		Logging in with an IC card (login.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOGIN_H
#define JUKI_LOGIN_H

#include "fmgr.h"

/* What the tables say about a card and its operator. */
typedef struct CardInfo
{
	bool		found;
	int64		operator_id;
	char	   *pem;
	bool		revoked;
	bool		not_yet_valid;
	bool		expired;
	char	   *role;
	char	   *kind;
	bool		retired;
	bool		locked;
	bool		has_password;
	char	   *pw_hash;
	bool		pw_expired;
} CardInfo;

/*
 * Everything card_login and unlock check before they trust the caller:
 * the card, the operator, the caller's right to act for the operator, the
 * challenge, the signature and the password.  Fills *ci, or refuses
 * (logged).
 */
extern void juki_login_authenticate(const char *action, const char *serial, bytea *sig,
									const char *password, int64 session_id, CardInfo *ci);

/*
 * The counter terminal's id (業務端末) in argument n of card_login or
 * attach: NULL when the call has none; bad input is refused on record.
 */
extern char *juki_terminal_arg(FunctionCallInfo fcinfo, int n, const char *action);

#endif							/* JUKI_LOGIN_H */
