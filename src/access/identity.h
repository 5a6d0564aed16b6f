/*-------------------------------------------------------------------------
 * identity.h
 *		Who is really acting (issue 13, class 7): the authenticated login as
 *		well as the role in effect, and which roles could become a superuser.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_IDENTITY_H
#define JUKI_IDENTITY_H

#include "postgres.h"

#include "nodes/pg_list.h"

/*
 * Why this backend may not act as juki staff, or NULL if it may:
 *	"impersonation"   the session or current role was switched (SET SESSION
 *	                  AUTHORIZATION, SET ROLE) to a role the login is not
 *	                  really a member of;
 *	"privileged_role" the login or the role in effect is a superuser or has
 *	                  CREATEROLE, itself or through a role it belongs to.
 * *msg (if not NULL) gets a sentence for the client and the log; it never
 * names anything but roles.  Cached per backend until a role or membership
 * changes.
 */
extern const char *juki_identity_problem(const char **msg);

/* Refuse (logged with the reason, 42501) unless juki_identity_problem is NULL. */
extern void juki_require_identity(const char *action);

/*
 * Is role a superuser or CREATEROLE role, or (really) a member of one, so
 * that it can SET ROLE to one?  *via (if not NULL) names that role.
 */
extern bool juki_role_reaches_privilege(Oid role, Oid *via);

/* Is role (really) a member of one of juki's nine roles?  *which names one. */
extern bool juki_role_holds_juki(Oid role, const char **which);

/* role and every role that is (really) a member of it, nested, as Oids. */
extern List *juki_role_and_members(Oid role);

/* Is name one of juki's nine roles? */
extern bool juki_is_juki_role_name(const char *name);

#endif							/* JUKI_IDENTITY_H */
