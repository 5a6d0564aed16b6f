/*-------------------------------------------------------------------------
 * caller.c
 *		Who is calling a juki function, and may they: the role in effect
 *		(after SET ROLE, never a definer's), its real membership in juki's
 *		roles (a superuser gains nothing from being one), then that it acts
 *		as itself (identity.c) and holds no conflicting duties (duties.c).
 *
 * juki's functions are not SECURITY DEFINER: they check the caller
 * themselves, first, before they look at an argument, and a refusal is
 * logged (role_required).  Their fixed SQL then runs as the extension
 * owner (core/spi.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "log/append.h"
#include "caller.h"
#include "duties.h"
#include "identity.h"
#include "core/message.h"

Oid
juki_caller(void)
{
	return GetOuterUserId();
}

char *
juki_caller_name(void)
{
	return GetUserNameFromId(GetOuterUserId(), true);
}

bool
juki_caller_has_role(const char *role)
{
	Oid			r = get_role_oid(role, true);

	return OidIsValid(r) && is_member_of_role_nosuper(juki_caller(), r);
}

void
juki_require_role(const char *action, const char *const *roles)
{
	juki_require_role_ex(action, roles, true);
}

void
juki_require_role_ex(const char *action, const char *const *roles, bool check_conflicts)
{
	const char *const *r;
	JukiAuditRecord rec;
	JukiDetail	d;
	StringInfoData names;

	for (r = roles; *r; r++)
		if (juki_caller_has_role(*r))
		{
			/* a member: but only as oneself, never as a superuser (identity.c) */
			juki_require_identity(action);
			if (check_conflicts)
				juki_require_no_conflict(action);
			return;
		}

	initStringInfo(&names);
	for (r = roles; *r; r++)
		appendStringInfo(&names, "%s%s", r == roles ? "" : " or ", *r);
	juki_audit_record_init(&rec, action, JUKI_DENIED, "role_required");
	jd_init(&d);
	jd_str(&d, "required", names.data);
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("juki.%s needs membership in %s", action, names.data),
			 juki_errfield("role_required"),
			 errdetail("reason: role_required; being superuser is not membership."),
			 errhint("A DBA grants juki's roles to people: GRANT %s TO ...;", roles[0])));
}

/* The caller (the role in effect) and the login: a conflict in either. */
void
juki_require_no_conflict(const char *action)
{
	const char *a;
	const char *b;
	JukiAuditRecord r;
	JukiDetail	d;

	if (!juki_role_conflict(juki_caller(), &a, &b) &&
		!juki_role_conflict(GetAuthenticatedUserId(), &a, &b))
		return;
	juki_audit_record_init(&r, action, JUKI_DENIED, "conflict_of_duties");
	jd_init(&d);
	jd_str(&d, "roles", psprintf("%s + %s", a, b));
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("juki refuses %s: the role holds both %s and %s", action, a, b),
			 juki_errfield("conflict_of_duties"),
			 errdetail("reason: conflict_of_duties"),
			 errhint("Separate these duties between different people.")));
}

