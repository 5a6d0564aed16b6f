/*-------------------------------------------------------------------------
 * roles.h
 *		Separation of duties between juki's roles (DESIGN §4).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_ROLES_H
#define JUKI_ROLES_H

#include "nodes/parsenodes.h"

/* A conflicting pair of juki roles that role holds (real membership), or false. */
extern bool juki_role_conflict(Oid role, const char **a, const char **b);

/* Refuse (42501 conflict_of_duties, logged) if the caller or the login holds a conflict. */
extern void juki_require_no_conflict(const char *action);

/* GRANT/REVOKE, CREATE/ALTER/DROP ROLE and ALTER ROLE RENAME touching juki's
 * roles or their holders: refuse conflicts, privileged staff, self-grants and
 * identity changes (roles.c), log every change and refusal. */
extern void juki_check_role_statement(Node *stmt);

#endif							/* JUKI_ROLES_H */
