/*-------------------------------------------------------------------------
 * roles.c
 *		Separation of duties (職務の分離): pairs of juki roles that one
 *		person may not hold together.  Refused when granted (GRANT, CREATE
 *		ROLE ... IN ROLE, ALTER GROUP are intercepted) and again when used,
 *		since a membership can also arrive through a nested group role.
 *		Every GRANT/REVOKE of a juki role is logged.
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

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "juki.h"
#include "audit.h"
#include "door.h"
#include "guard.h"
#include "roles.h"

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

static const char *const juki_roles[] = {
	"juki_chief_security_officer", "juki_system_administrator", "juki_security_officer",
	"juki_access_manager", "juki_operator", "juki_contractor_operator", "juki_auditor",
	"juki_registrar", "juki_terminal", NULL
};

static bool
is_juki_role_name(const char *name)
{
	const char *const *r;

	for (r = juki_roles; *r; r++)
		if (strcmp(*r, name) == 0)
			return true;
	return false;
}

/* Does a role set (given by a membership test) contain a conflicting pair? */
static bool
set_conflict(bool (*has) (const char *, void *), void *arg, const char **a, const char **b)
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
	return set_conflict(role_has, &role, a, b);
}

void
juki_require_no_conflict(const char *action)
{
	const char *a;
	const char *b;
	JukiAuditRecord r;
	JukiDetail	d;

	if (!juki_role_conflict(juki_caller(), &a, &b))
		return;
	juki_audit_record_init(&r, action, JUKI_DENIED, "conflict_of_duties");
	jd_init(&d);
	jd_str(&d, "roles", psprintf("%s + %s", a, b));
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("juki refuses %s: the role holds both %s and %s", action, a, b),
			 errdetail("reason: conflict_of_duties"),
			 errhint("Separate these duties between different people.")));
}

/* A grantee's juki roles plus those a grant would add. */
typedef struct Prospective
{
	Oid			grantee;
	List	   *granted;		/* Oids of roles being granted */
} Prospective;

static bool
prospective_has(const char *juki_role, void *arg)
{
	Prospective *p = arg;
	Oid			r = get_role_oid(juki_role, true);
	ListCell   *lc;

	if (!OidIsValid(r))
		return false;
	if (OidIsValid(p->grantee) && is_member_of_role_nosuper(p->grantee, r))
		return true;
	foreach(lc, p->granted)
		if (is_member_of_role_nosuper(lfirst_oid(lc), r))
			return true;
	return false;
}

/* Does any role in the list contain a juki role (itself or nested)? */
static bool
touches_juki(List *role_oids)
{
	ListCell   *lc;
	const char *const *r;

	foreach(lc, role_oids)
		for (r = juki_roles; *r; r++)
		{
			Oid			j = get_role_oid(*r, true);

			if (OidIsValid(j) && is_member_of_role_nosuper(lfirst_oid(lc), j))
				return true;
		}
	return false;
}

static Oid
rolespec_oid(RoleSpec *rs)
{
	return get_rolespec_oid(rs, true);
}

/* One membership change: refuse conflicts, log it either way. */
static void
membership_change(bool grant, List *role_oids, List *role_names, Oid grantee,
				  const char *grantee_name)
{
	Prospective p = {grantee, role_oids};
	const char *a;
	const char *b;
	JukiAuditRecord r;
	JukiDetail	d;
	StringInfoData names;
	ListCell   *lc;

	if (!touches_juki(role_oids))
		return;
	initStringInfo(&names);
	foreach(lc, role_names)
		appendStringInfo(&names, "%s%s", names.len ? "," : "", (char *) lfirst(lc));
	jd_init(&d);
	jd_str(&d, "roles", names.data);
	jd_str(&d, "grantee", grantee_name);
	if (grant && set_conflict(prospective_has, &p, &a, &b))
	{
		juki_audit_record_init(&r, "role_grant", JUKI_DENIED, "conflict_of_duties");
		jd_str(&d, "conflict", psprintf("%s + %s", a, b));
		r.detail = jd_finish(&d);
		juki_audit_log(&r);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("juki refuses to grant %s to %s: one person may not hold both %s and %s",
						names.data, grantee_name, a, b),
				 errdetail("reason: conflict_of_duties"),
				 errhint("Separate these duties between different people.")));
	}
	juki_audit_record_init(&r, grant ? "role_grant" : "role_revoke", JUKI_GRANTED, NULL);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
}

void
juki_check_role_statement(Node *stmt)
{
	ListCell   *lc;
	ListCell   *lg;

	if (IsA(stmt, GrantRoleStmt))
	{
		GrantRoleStmt *s = (GrantRoleStmt *) stmt;
		List	   *oids = NIL;
		List	   *names = NIL;

		foreach(lc, s->granted_roles)
		{
			AccessPriv *priv = lfirst_node(AccessPriv, lc);
			Oid			r = get_role_oid(priv->priv_name, true);

			if (OidIsValid(r))
			{
				oids = lappend_oid(oids, r);
				names = lappend(names, priv->priv_name);
			}
		}
		foreach(lg, s->grantee_roles)
		{
			RoleSpec   *rs = lfirst_node(RoleSpec, lg);
			Oid			g = rolespec_oid(rs);

			membership_change(s->is_grant, oids, names, g,
							  OidIsValid(g) ? GetUserNameFromId(g, false) : get_rolespec_name(rs));
		}
	}
	else if (IsA(stmt, CreateRoleStmt) || IsA(stmt, AlterRoleStmt))
	{
		/* CREATE ROLE x IN ROLE juki_y / ROLE z, ALTER GROUP juki_y ADD USER z */
		List	   *options = IsA(stmt, CreateRoleStmt) ?
		((CreateRoleStmt *) stmt)->options : ((AlterRoleStmt *) stmt)->options;
		const char *self = IsA(stmt, CreateRoleStmt) ? ((CreateRoleStmt *) stmt)->role :
		get_rolespec_name(((AlterRoleStmt *) stmt)->role);
		bool		adding = !IsA(stmt, AlterRoleStmt) || ((AlterRoleStmt *) stmt)->action >= 0;

		foreach(lc, options)
		{
			DefElem    *opt = lfirst_node(DefElem, lc);

			if (strcmp(opt->defname, "addroleto") == 0)
			{
				/* the new role becomes a member of the listed roles */
				List	   *oids = NIL;
				List	   *names = NIL;

				foreach(lg, (List *) opt->arg)
				{
					RoleSpec   *rs = lfirst_node(RoleSpec, lg);

					oids = lappend_oid(oids, rolespec_oid(rs));
					names = lappend(names, (char *) get_rolespec_name(rs));
				}
				membership_change(true, oids, names, InvalidOid, self);
			}
			else if (strcmp(opt->defname, "rolemembers") == 0 ||
					 strcmp(opt->defname, "adminmembers") == 0)
			{
				/* the listed roles become members of this one */
				Oid			me = get_role_oid(self, true);

				if (!OidIsValid(me))
					continue;	/* a new role: it holds no juki role yet */
				foreach(lg, (List *) opt->arg)
				{
					RoleSpec   *rs = lfirst_node(RoleSpec, lg);
					Oid			m = rolespec_oid(rs);

					membership_change(adding, list_make1_oid(me), list_make1((char *) self),
									  m, get_rolespec_name(rs));
				}
			}
		}
	}
	else if (IsA(stmt, DropRoleStmt))
	{
		foreach(lc, ((DropRoleStmt *) stmt)->roles)
		{
			RoleSpec   *rs = lfirst_node(RoleSpec, lc);
			const char *name = get_rolespec_name(rs);

			if (name && is_juki_role_name(name))
				juki_refuse_direct("DROP ROLE", psprintf("role %s", name), true);
		}
	}
}
