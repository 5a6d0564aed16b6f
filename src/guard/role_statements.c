/*-------------------------------------------------------------------------
 * role_statements.c
 *		Role statements that touch juki's roles or their holders: GRANT and
 *		REVOKE, CREATE/ALTER/DROP ROLE, ALTER ROLE RENAME (the ProcessUtility
 *		hook, guard.c, hands them here): no conflicting duties (access/duties.c)
 *		and no juki staff who could be, or become, a superuser.
 *
 * Refused when granted (GRANT, CREATE ROLE ... IN ROLE / ROLE / ADMIN,
 * ALTER GROUP are intercepted) and again when used, since a membership can
 * also arrive through a nested group role or predate juki:
 *	- conflicting pairs of juki roles held by one role (conflict_of_duties);
 *	- a juki role for a role that is, or can SET ROLE to, a superuser or a
 *	  CREATEROLE role, and a superuser/CREATEROLE role (or membership in one)
 *	  for a holder of a juki role (privileged_role): PostgreSQL lets such a
 *	  role become anyone or grant itself anything;
 *	- a juki role granted by a role to itself or to a group it belongs to
 *	  (self_grant);
 *	- another role changing a juki member's name, password or existence
 *	  (role_identity): the log and juki's registrations name roles, so a
 *	  rename, a password reset or a drop-and-recreate would hand someone's
 *	  identity to whoever did it.  Revoke the juki roles first (on record).
 * Every GRANT/REVOKE of a juki role, and every refusal, is logged.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "log/append.h"
#include "access/duties.h"
#include "access/identity.h"
#include "guard_context.h"
#include "role_statements.h"
#include "core/message.h"

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

	foreach(lc, role_oids)
		if (OidIsValid(lfirst_oid(lc)) && juki_role_holds_juki(lfirst_oid(lc), NULL))
			return true;
	return false;
}

/* Is any role in the list (or a role it belongs to) privileged? */
static bool
touches_privilege(List *role_oids, Oid *via)
{
	ListCell   *lc;

	foreach(lc, role_oids)
		if (OidIsValid(lfirst_oid(lc)) && juki_role_reaches_privilege(lfirst_oid(lc), via))
			return true;
	return false;
}

static Oid
rolespec_oid(RoleSpec *rs)
{
	return get_rolespec_oid(rs, true);
}

static char *
name_of(Oid role)
{
	char	   *n = GetUserNameFromId(role, true);

	return n ? n : "?";
}

/*
 * Log the refused role statement (action role_grant, role_alter, ...) and
 * raise 42501: "juki refuses <what>: <msg>".
 */
static void
refuse_role(const char *action, const char *what, const char *reason, JukiDetail *d,
			const char *msg, const char *hint)
{
	JukiAuditRecord r;

	juki_audit_record_init(&r, action, JUKI_DENIED, reason);
	jd_str(d, "message", msg);
	r.detail = jd_finish(d);
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("juki refuses %s: %s", juki_tr(what), juki_tr(msg)),
			 juki_errfield(reason),
			 errdetail("reason: %s", reason),
			 errhint("%s", juki_tr(hint))));
}

#define HINT_PRIVILEGED gettext_noop("juki staff are ordinary login roles: a superuser or a role with CREATEROLE (or a member of one) cannot hold a juki role.")

/*
 * One membership change: grantee (InvalidOid for a role being created,
 * new_privileged if it is created SUPERUSER or CREATEROLE) gains the roles
 * role_oids.  Refuse what juki forbids, log it either way.
 */
static void
membership_change(bool grant, List *role_oids, List *role_names, Oid grantee,
				  const char *grantee_name, bool new_privileged)
{
	Prospective p = {grantee, role_oids};
	const char *a;
	const char *b;
	JukiAuditRecord r;
	JukiDetail	d;
	StringInfoData names;
	ListCell   *lc;
	bool		juki_granted = touches_juki(role_oids);
	Oid			via = InvalidOid;
	bool		priv_granted = grant && touches_privilege(role_oids, &via);
	List	   *gainers = OidIsValid(grantee) ? juki_role_and_members(grantee) : NIL;
	const char *what;

	if (!juki_granted && !priv_granted)
		return;
	initStringInfo(&names);
	foreach(lc, role_names)
		appendStringInfo(&names, "%s%s", names.len ? "," : "", (char *) lfirst(lc));
	jd_init(&d);
	jd_str(&d, "roles", names.data);
	jd_str(&d, "grantee", grantee_name);
	what = psprintf(gettext_noop("to grant %s to %s"), names.data, grantee_name);
	if (grant && juki_granted)
	{
		Oid			login = GetAuthenticatedUserId();
		Oid			current = GetOuterUserId();

		/* nobody who can become a superuser or create roles is juki staff */
		if (new_privileged || priv_granted)
			refuse_role("role_grant", what, "privileged_role", &d,
						psprintf(gettext_noop("%s would hold a juki role and be, or be able to become, a superuser or a role that may create roles"),
								 grantee_name), HINT_PRIVILEGED);
		foreach(lc, gainers)
		{
			Oid			g = lfirst_oid(lc);

			if (juki_role_reaches_privilege(g, &via))
				refuse_role("role_grant", what, "privileged_role", &d,
							g == via ?
							psprintf(gettext_noop("role %s is a superuser or may create roles"), name_of(g)) :
							psprintf(gettext_noop("role %s can become role %s, a superuser or a role that may create roles"),
									 name_of(g), name_of(via)), HINT_PRIVILEGED);
		}
		/* nor does anyone hand themselves a juki role */
		if (list_member_oid(gainers, login) || list_member_oid(gainers, current))
			refuse_role("role_grant", what, "self_grant", &d,
						psprintf(gettext_noop("role %s would grant a juki role to itself (through %s)"),
								 name_of(list_member_oid(gainers, login) ? login : current),
								 grantee_name),
						gettext_noop("Another administrator grants juki's roles, and the grant is on record."));
		if (juki_roles_conflict(prospective_has, &p, &a, &b))
		{
			jd_str(&d, "conflict", psprintf("%s + %s", a, b));
			refuse_role("role_grant", what, "conflict_of_duties", &d,
						psprintf(gettext_noop("one person may not hold both %s and %s"), a, b),
						gettext_noop("Separate these duties between different people."));
		}
	}
	if (priv_granted)
	{
		/* nor may juki staff gain a way to become a superuser */
		foreach(lc, gainers)
		{
			const char *which;

			if (juki_role_holds_juki(lfirst_oid(lc), &which))
				refuse_role("role_grant", what, "privileged_role", &d,
							psprintf(gettext_noop("role %s holds %s and would be able to become role %s, a superuser or a role that may create roles"),
									 name_of(lfirst_oid(lc)), which, name_of(via)),
							HINT_PRIVILEGED);
		}
		if (!juki_granted)
			return;				/* privilege for a non-member: not juki's business */
	}
	juki_audit_record_init(&r, grant ? "role_grant" : "role_revoke", JUKI_GRANTED, NULL);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
}

/* Is this DefElem of CREATE/ALTER ROLE set to true (SUPERUSER, LOGIN, ...)? */
static bool
option_on(DefElem *opt, const char *name)
{
	return strcmp(opt->defname, name) == 0 && opt->arg != NULL && defGetBoolean(opt);
}

/* ALTER ROLE attributes: no superuser/CREATEROLE for staff, no one else's password. */
static void
check_role_attributes(Oid target, const char *target_name, List *options)
{
	ListCell   *lc;
	JukiDetail	d;

	if (!OidIsValid(target))
		return;
	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		jd_init(&d);
		jd_str(&d, "role", target_name);
		jd_str(&d, "option", opt->defname);
		if (option_on(opt, "superuser") || option_on(opt, "createrole"))
		{
			ListCell   *lm;
			List	   *affected = juki_role_and_members(target);

			/* members of a superuser role can SET ROLE to it */
			foreach(lm, affected)
			{
				const char *which;

				if (juki_role_holds_juki(lfirst_oid(lm), &which))
					refuse_role("role_alter", psprintf("ALTER ROLE %s", target_name), "privileged_role", &d,
								lfirst_oid(lm) == target ?
								psprintf(gettext_noop("role %s holds %s and cannot become a superuser or a role that may create roles"),
										 target_name, which) :
								psprintf(gettext_noop("role %s holds %s and would be able to become role %s, a superuser or a role that may create roles"),
										 name_of(lfirst_oid(lm)), which, target_name),
								HINT_PRIVILEGED);
			}
		}
		else if (strcmp(opt->defname, "password") == 0 &&
				 juki_role_holds_juki(target, NULL) &&
				 target != GetAuthenticatedUserId() && target != GetOuterUserId())
			refuse_role("role_alter", psprintf("ALTER ROLE %s", target_name), "role_identity", &d,
						psprintf(gettext_noop("only role %s itself changes its password while it holds a juki role"),
								 target_name),
						gettext_noop("Whoever sets a juki member's password can log in as them: revoke the juki roles first (on record), or let the person change it."));
		else if (option_on(opt, "canlogin") && juki_is_juki_role_name(target_name))
			refuse_role("role_alter", psprintf("ALTER ROLE %s", target_name), "role_identity", &d,
						psprintf(gettext_noop("%s is a group role: nobody logs in as it"), target_name),
						gettext_noop("Grant the role to the person's own login role."));
	}
}

/* RENAME or DROP of a juki role or of a role holding one. */
static void
check_role_identity(const char *what, const char *name)
{
	Oid			role = get_role_oid(name, true);
	const char *which;
	JukiDetail	d;

	if (!OidIsValid(role) || !juki_role_holds_juki(role, &which))
		return;
	if (juki_is_juki_role_name(name))
		juki_refuse_direct(what, psprintf("role %s", name), true);
	jd_init(&d);
	jd_str(&d, "role", name);
	refuse_role(strcmp(what, "DROP ROLE") == 0 ? "role_drop" : "role_rename",
				strcmp(what, "DROP ROLE") == 0 ? psprintf("DROP ROLE %s", name) :
				psprintf("ALTER ROLE %s RENAME", name), "role_identity", &d,
				psprintf(gettext_noop("role %s holds %s: its name is how juki knows the person"), name, which),
				gettext_noop("Revoke its juki roles first (on record), then rename or drop it."));
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
							  OidIsValid(g) ? GetUserNameFromId(g, false) : get_rolespec_name(rs),
							  false);
		}
	}
	else if (IsA(stmt, CreateRoleStmt) || IsA(stmt, AlterRoleStmt))
	{
		/* CREATE ROLE x IN ROLE juki_y / ROLE z, ALTER GROUP juki_y ADD USER z */
		bool		creating = IsA(stmt, CreateRoleStmt);
		List	   *options = creating ?
		((CreateRoleStmt *) stmt)->options : ((AlterRoleStmt *) stmt)->options;
		const char *self = creating ? ((CreateRoleStmt *) stmt)->role :
		get_rolespec_name(((AlterRoleStmt *) stmt)->role);
		bool		adding = creating || ((AlterRoleStmt *) stmt)->action >= 0;
		bool		privileged = false;

		foreach(lc, options)
		{
			DefElem    *opt = lfirst_node(DefElem, lc);

			if (option_on(opt, "superuser") || option_on(opt, "createrole"))
				privileged = true;
		}
		if (!creating)
			check_role_attributes(get_rolespec_oid(((AlterRoleStmt *) stmt)->role, true),
								  self, options);
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
				membership_change(true, oids, names, InvalidOid, self, privileged);
			}
			else if (strcmp(opt->defname, "rolemembers") == 0 ||
					 strcmp(opt->defname, "adminmembers") == 0)
			{
				/* the listed roles become members of this one */
				Oid			me = get_role_oid(self, true);

				foreach(lg, (List *) opt->arg)
				{
					RoleSpec   *rs = lfirst_node(RoleSpec, lg);
					Oid			m = rolespec_oid(rs);
					const char *which;
					JukiDetail	d;

					if (OidIsValid(me))
						membership_change(adding, list_make1_oid(me), list_make1((char *) self),
										  m, get_rolespec_name(rs), false);
					else if (privileged && OidIsValid(m) && juki_role_holds_juki(m, &which))
					{
						/* a new superuser/CREATEROLE role with juki staff as members */
						jd_init(&d);
						jd_str(&d, "roles", self);
						jd_str(&d, "grantee", get_rolespec_name(rs));
						refuse_role("role_grant", psprintf(gettext_noop("to create role %s"), self),
									"privileged_role", &d,
									psprintf(gettext_noop("role %s holds %s and would be able to become role %s, a superuser or a role that may create roles"),
											 get_rolespec_name(rs), which, self),
									HINT_PRIVILEGED);
					}
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

			if (name && juki_is_juki_role_name(name))
				juki_refuse_direct("DROP ROLE", psprintf("role %s", name), true);
			if (name)
				check_role_identity("DROP ROLE", name);
		}
	}
	else if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_ROLE)
		check_role_identity("RENAME", ((RenameStmt *) stmt)->subname);
}
