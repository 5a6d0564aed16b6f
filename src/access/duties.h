/*-------------------------------------------------------------------------
 * duties.h
 *		Separation of duties between juki's roles (DESIGN §4, duties.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_DUTIES_H
#define JUKI_DUTIES_H

/*
 * Does a set of roles, given by a membership test has(juki_role, arg),
 * contain a conflicting pair?  Then *a and *b name it.
 */
extern bool juki_roles_conflict(bool (*has) (const char *, void *), void *arg,
								const char **a, const char **b);

/* A conflicting pair of juki roles that role holds (real membership), or false. */
extern bool juki_role_conflict(Oid role, const char **a, const char **b);

#endif							/* JUKI_DUTIES_H */
