/*-------------------------------------------------------------------------
 * caller.h
 *		Who is calling a juki function, and may they (caller.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_CALLER_H
#define JUKI_CALLER_H

/*
 * The caller: the role in effect (after SET ROLE), never a definer's.
 * juki_require_role also requires that it acts as itself (identity.h).
 */
extern Oid	juki_caller(void);
extern char *juki_caller_name(void);

/* Real membership (superuser alone is not membership). */
extern bool juki_caller_has_role(const char *role);

/*
 * Refuse unless the caller really belongs to one of roles (NULL-ended):
 * logs action denied with reason role_required, then ERROR 42501; a member
 * is then refused (impersonation, privileged_role) unless it acts as
 * itself, and (check_conflicts) if it holds conflicting duties.
 */
extern void juki_require_role(const char *action, const char *const *roles);
extern void juki_require_role_ex(const char *action, const char *const *roles,
								 bool check_conflicts);

/* Refuse (42501 conflict_of_duties, logged) if the caller or the login holds a conflict. */
extern void juki_require_no_conflict(const char *action);

#endif							/* JUKI_CALLER_H */
