/*-------------------------------------------------------------------------
 * identity.c
 *		Who is really acting: juki staff act only as themselves.
 *
 * PostgreSQL lets a superuser become anyone (SET SESSION AUTHORIZATION),
 * lets a role SET ROLE to any role a superuser may, and lets a CREATEROLE
 * role grant itself any role.  The log would then name the role, never
 * the person.  juki therefore looks at the authenticated login as well as
 * the role in effect: an identity switched to a role the login does not
 * really belong to, and a login or role that is (or can become, through a
 * membership) a superuser or CREATEROLE role, cannot act as juki staff.
 * guard/role_statements.c keeps such memberships from arising; this file refuses them at
 * use, for memberships that predate juki or its checks.
 *
 * The answer for the current (login, session, current) roles is cached per
 * backend and dropped on any change to pg_authid or pg_auth_members, so a
 * request costs no catalog access.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "log/append.h"
#include "identity.h"
#include "core/message.h"

static const char *const juki_role_names[] = {
	"juki_chief_security_officer", "juki_system_administrator", "juki_security_officer",
	"juki_access_manager", "juki_operator", "juki_contractor_operator", "juki_auditor",
	"juki_registrar", "juki_terminal", NULL
};

bool
juki_is_juki_role_name(const char *name)
{
	const char *const *r;

	for (r = juki_role_names; *r; r++)
		if (strcmp(*r, name) == 0)
			return true;
	return false;
}

bool
juki_role_holds_juki(Oid role, const char **which)
{
	const char *const *r;

	for (r = juki_role_names; *r; r++)
	{
		Oid			j = get_role_oid(*r, true);

		if (OidIsValid(j) && is_member_of_role_nosuper(role, j))
		{
			if (which)
				*which = *r;
			return true;
		}
	}
	return false;
}

static bool
role_is_privileged(Oid role)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	bool		r = false;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_authid a = (Form_pg_authid) GETSTRUCT(tup);

		r = a->rolsuper || a->rolcreaterole;
		ReleaseSysCache(tup);
	}
	return r;
}

/* Roles reachable from start through pg_auth_members, up (member of) or down. */
static List *
walk_memberships(Oid start, bool up, Oid *privileged)
{
	List	   *seen = NIL;
	List	   *todo = list_make1_oid(start);

	while (todo != NIL)
	{
		Oid			r = linitial_oid(todo);
		CatCList   *ml;
		int			i;

		todo = list_delete_first(todo);
		if (list_member_oid(seen, r))
			continue;
		seen = lappend_oid(seen, r);
		if (privileged && role_is_privileged(r))
		{
			*privileged = r;
			return seen;
		}
		ml = SearchSysCacheList1(up ? AUTHMEMMEMROLE : AUTHMEMROLEMEM, ObjectIdGetDatum(r));
		for (i = 0; i < ml->n_members; i++)
		{
			Form_pg_auth_members m = (Form_pg_auth_members) GETSTRUCT(&ml->members[i]->tuple);

			todo = lappend_oid(todo, up ? m->roleid : m->member);
		}
		ReleaseSysCacheList(ml);
	}
	return seen;
}

bool
juki_role_reaches_privilege(Oid role, Oid *via)
{
	Oid			found = InvalidOid;

	(void) walk_memberships(role, true, &found);
	if (via)
		*via = found;
	return OidIsValid(found);
}

List *
juki_role_and_members(Oid role)
{
	return walk_memberships(role, false, NULL);
}

/* ------------------------------------------------------------ the cache */

static bool cache_valid = false;
static uint64 invalidations = 0;
static bool callbacks_registered = false;
static Oid	cached_login;
static Oid	cached_session;
static Oid	cached_current;
static const char *cached_reason;
static char cached_msg[NAMEDATALEN * 3 + 160];

static void
invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	cache_valid = false;
	invalidations++;
}

static char *
role_name(Oid role)
{
	char	   *n = GetUserNameFromId(role, true);

	return n ? n : "(dropped role)";
}

/* Decide for the three roles, into cached_reason/cached_msg. */
static void
decide(Oid login, Oid session, Oid current)
{
	Oid			via = InvalidOid;
	Oid			switched = InvalidOid;
	Oid			who = InvalidOid;

	cached_reason = NULL;
	cached_msg[0] = '\0';
	if (session != login && !is_member_of_role_nosuper(login, session))
		switched = session;
	else if (current != login && !is_member_of_role_nosuper(login, current))
		switched = current;
	if (OidIsValid(switched))
	{
		cached_reason = "impersonation";
		snprintf(cached_msg, sizeof(cached_msg),
				 gettext_noop("login role \"%s\" acts as role \"%s\", which it is not a member of "
							  "(SET SESSION AUTHORIZATION or SET ROLE)"),
				 role_name(login), role_name(switched));
		return;
	}
	if (juki_role_reaches_privilege(login, &via))
		who = login;
	else if (juki_role_reaches_privilege(current, &via))
		who = current;
	if (!OidIsValid(who))
		return;
	cached_reason = "privileged_role";
	if (via == who)
		snprintf(cached_msg, sizeof(cached_msg),
				 gettext_noop("role \"%s\" is a superuser or may create roles"), role_name(who));
	else
		snprintf(cached_msg, sizeof(cached_msg),
				 gettext_noop("role \"%s\" can become role \"%s\", a superuser or a role that may create roles"),
				 role_name(who), role_name(via));
}

const char *
juki_identity_problem(const char **msg)
{
	Oid			login = GetAuthenticatedUserId();
	Oid			session = GetSessionUserId();
	Oid			current = GetOuterUserId();

	if (!callbacks_registered)
	{
		CacheRegisterSyscacheCallback(AUTHOID, invalidate, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, invalidate, (Datum) 0);
		callbacks_registered = true;
	}
	if (!cache_valid || login != cached_login || session != cached_session ||
		current != cached_current)
	{
		uint64		before = invalidations;

		/* valid only if no role changed while deciding (catalog reads may
		 * process invalidations) */
		decide(login, session, current);
		cached_login = login;
		cached_session = session;
		cached_current = current;
		cache_valid = invalidations == before;
	}
	if (msg)
		*msg = cached_msg;
	return cached_reason;
}

void
juki_require_identity(const char *action)
{
	const char *msg;
	const char *reason = juki_identity_problem(&msg);
	JukiAuditRecord rec;
	JukiDetail	d;
	char	   *text;

	if (reason == NULL)
		return;
	text = pstrdup(msg);		/* logging may invalidate the cache */
	juki_audit_record_init(&rec, action, JUKI_DENIED, reason);
	jd_init(&d);
	jd_str(&d, "message", text);
	jd_str(&d, "session_role", role_name(GetSessionUserId()));
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("juki refuses %s: %s", action, juki_tr(text)),
			 juki_errfield(reason),
			 errdetail("reason: %s; juki staff act only as themselves, and a superuser or a role with CREATEROLE cannot be juki staff.",
					   reason),
			 errhint("Log in as the person's own role; the attempt is recorded in the operation log with the login role.")));
}
