/*-------------------------------------------------------------------------
 * door.c
 *		Identity, role checks and privileged SQL for juki's functions.
 *
 * juki's functions are not SECURITY DEFINER: they check the caller's real
 * role membership themselves (a superuser gains nothing from being one),
 * and run their own fixed SQL through juki_spi_begin, which switches to
 * the extension owner and pins search_path so that no object of the
 * caller's can be picked up instead of pg_catalog's.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "juki.h"
#include "audit.h"
#include "door.h"
#include "guard.h"

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
	const char *const *r;
	JukiAuditRecord rec;
	JukiDetail	d;
	StringInfoData names;

	for (r = roles; *r; r++)
		if (juki_caller_has_role(*r))
			return;

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
			 errdetail("reason: role_required; being superuser is not membership."),
			 errhint("A DBA grants juki's roles to people: GRANT %s TO ...;", roles[0])));
}

static Oid
schema_owner(void)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(juki_namespace()));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "schema juki does not exist");
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/* An ERROR in between is cleaned up by (sub)transaction abort. */
void
juki_spi_begin(JukiSpi *st)
{
	GetUserIdAndSecContext(&st->save_user, &st->save_sec);
	SetUserIdAndSecContext(schema_owner(), st->save_sec | SECURITY_LOCAL_USERID_CHANGE);
	st->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

void
juki_spi_end(JukiSpi *st)
{
	SPI_finish();
	AtEOXact_GUC(true, st->guc_level);
	SetUserIdAndSecContext(st->save_user, st->save_sec);
}

void
juki_bad_input(const char *action, const char *reason, int sqlerrcode,
			   const char *msg, const char *hint)
{
	JukiAuditRecord rec;
	JukiDetail	d;

	juki_audit_record_init(&rec, action, JUKI_ERROR, reason);
	jd_init(&d);
	jd_str(&d, "message", msg);
	rec.detail = jd_finish(&d);
	juki_audit_log(&rec);
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("%s", msg),
			 errdetail("reason: %s", reason),
			 hint ? errhint("%s", hint) : 0));
}
