/*-------------------------------------------------------------------------
 * duties.c
 *		Separation of duties (職務の分離): the pairs of juki roles one role
 *		may not hold together, checked on the caller and the login whenever
 *		a juki function is used (and, by guard/role_statements.c, whenever a
 *		juki role is granted: a membership can also arrive through a nested
 *		group role or predate juki).
 *
 * The pairs: the auditor is independent of every other duty; the access
 * manager (cards, passwords) and the system administrator (purposes,
 * hours) do not operate; the chief does not operate; staff and contractor
 * operators are distinct.  A security officer may operate, but not in the
 * department they answer for: that is checked where departments are known
 * (designation, permits, registration).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/acl.h"

#include "duties.h"

static const char *const conflicts[][2] = {
	{"juki_auditor", "juki_operator"},
	{"juki_auditor", "juki_contractor_operator"},
	{"juki_auditor", "juki_security_officer"},
	{"juki_auditor", "juki_access_manager"},
	{"juki_auditor", "juki_system_administrator"},
	{"juki_auditor", "juki_registrar"},
	{"juki_auditor", "juki_chief_security_officer"},
	{"juki_auditor", "juki_terminal"},
	{"juki_access_manager", "juki_operator"},
	{"juki_access_manager", "juki_contractor_operator"},
	{"juki_system_administrator", "juki_operator"},
	{"juki_system_administrator", "juki_contractor_operator"},
	{"juki_chief_security_officer", "juki_operator"},
	{"juki_chief_security_officer", "juki_contractor_operator"},
	{"juki_operator", "juki_contractor_operator"},
};

/* Does a role set (given by a membership test) contain a conflicting pair? */
bool
juki_roles_conflict(bool (*has) (const char *, void *), void *arg, const char **a, const char **b)
{
	size_t		i;

	for (i = 0; i < lengthof(conflicts); i++)
		if (has(conflicts[i][0], arg) && has(conflicts[i][1], arg))
		{
			*a = conflicts[i][0];
			*b = conflicts[i][1];
			return true;
		}
	return false;
}

static bool
role_has(const char *juki_role, void *arg)
{
	Oid			r = get_role_oid(juki_role, true);

	return OidIsValid(r) && is_member_of_role_nosuper(*(Oid *) arg, r);
}

bool
juki_role_conflict(Oid role, const char **a, const char **b)
{
	return juki_roles_conflict(role_has, &role, a, b);
}
