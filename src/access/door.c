/*-------------------------------------------------------------------------
 * door.c
 *		Identity, role checks and privileged SQL for juki's functions.
 *
 * juki's functions are not SECURITY DEFINER: they check the caller's real
 * role membership themselves (a superuser gains nothing from being one),
 * and that the caller acts as itself (identity.c: no SET ROLE or SET
 * SESSION AUTHORIZATION into a role the login does not belong to, no
 * superuser or CREATEROLE role as juki staff),
 * and run their own fixed SQL through juki_spi_begin, which switches to
 * the extension owner and pins search_path so that no object of the
 * caller's can be picked up instead of pg_catalog's.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "juki.h"
#include "log/audit.h"
#include "door.h"
#include "door/card.h"
#include "guard/guard.h"
#include "identity.h"
#include "roles.h"
#include "core/state.h"

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
	/* parallel workers are outside the door (guard.c): keep juki's queries in-process */
	(void) set_config_option("max_parallel_workers_per_gather", "0", PGC_USERSET,
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

/* ------------------------------------------------- juki's own SQL helpers */

/*
 * juki._* functions serve juki's PL/pgSQL functions only: they refuse to
 * run unless another function of the extension is below them on the
 * stack, so nobody can write arbitrary log entries through them.
 */
static void
require_internal(const char *fn)
{
	if (juki_door_depth() < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s is internal to juki", fn),
				 errdetail("reason: direct_access"),
				 errhint("Call juki's documented functions instead.")));
}

static List *
text_array_list(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *l = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			l = lappend(l, TextDatumGetCString(elems[i]));
	return l;
}

#define ARG_TEXT(n) (PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n)))
#define ARG_ID(n) (PG_ARGISNULL(n) ? JUKI_NO_ID : PG_GETARG_INT64(n))

PG_FUNCTION_INFO_V1(juki_internal_log);
PG_FUNCTION_INFO_V1(juki_internal_require_role);
PG_FUNCTION_INFO_V1(juki_internal_has_role);
PG_FUNCTION_INFO_V1(juki_internal_caller);
PG_FUNCTION_INFO_V1(juki_internal_policy_changed);
PG_FUNCTION_INFO_V1(juki_internal_card_key_type);
PG_FUNCTION_INFO_V1(juki_internal_fail);

/*
 * juki._log(action, outcome, reason, purpose, operator_id, permit_id,
 *           subjects, detail, row_count): durable before it returns.
 */
Datum
juki_internal_log(PG_FUNCTION_ARGS)
{
	JukiAuditRecord r;

	require_internal("juki._log");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "juki._log needs an action and an outcome");
	juki_audit_record_init(&r, ARG_TEXT(0), ARG_TEXT(1), ARG_TEXT(2));
	r.purpose = ARG_TEXT(3);
	r.operator_id = ARG_ID(4);
	r.permit_id = ARG_ID(5);
	if (!PG_ARGISNULL(6))
		r.subjects = text_array_list(PG_GETARG_ARRAYTYPE_P(6));
	if (!PG_ARGISNULL(7))
		r.detail = juki_jsonb_canonical(PG_GETARG_JSONB_P(7));
	r.row_count = ARG_ID(8);
	juki_audit_log(&r);
	PG_RETURN_VOID();
}

/* juki._require_role(action, roles[]): real membership, no conflict; logged */
Datum
juki_internal_require_role(PG_FUNCTION_ARGS)
{
	List	   *roles;
	const char **arr;
	ListCell   *lc;
	int			i = 0;

	require_internal("juki._require_role");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "juki._require_role needs an action and roles");
	roles = text_array_list(PG_GETARG_ARRAYTYPE_P(1));
	arr = palloc0(sizeof(char *) * (list_length(roles) + 1));
	foreach(lc, roles)
		arr[i++] = lfirst(lc);
	juki_require_role(text_to_cstring(PG_GETARG_TEXT_PP(0)), arr);
	PG_RETURN_VOID();
}

Datum
juki_internal_has_role(PG_FUNCTION_ARGS)
{
	require_internal("juki._has_role");
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(juki_caller_has_role(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

/* the session's role, never a definer's */
Datum
juki_internal_caller(PG_FUNCTION_ARGS)
{
	char	   *name = juki_caller_name();

	require_internal("juki._caller");
	PG_RETURN_TEXT_P(cstring_to_text(name ? name : ""));
}

Datum
juki_internal_policy_changed(PG_FUNCTION_ARGS)
{
	require_internal("juki._policy_changed");
	juki_policy_changed();
	PG_RETURN_VOID();
}

/* juki._card_key_type(pem): 'ed25519', 'ecdsa_p256', 'rsa2048', or NULL + why */
Datum
juki_internal_card_key_type(PG_FUNCTION_ARGS)
{
	text	   *pem;
	char		err[256];
	const char *type;

	require_internal("juki._card_key_type");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	pem = PG_GETARG_TEXT_PP(0);
	type = juki_card_key_type(VARDATA_ANY(pem), VARSIZE_ANY_EXHDR(pem), err, sizeof(err));
	if (type == NULL)
		ereport(NOTICE, (errmsg("%s", err)));
	if (type == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(type));
}

/*
 * juki._fail(action, reason, sqlstate, message, hint): log the refusal
 * (durable) and raise it, the way every juki refusal ends.
 */
Datum
juki_internal_fail(PG_FUNCTION_ARGS)
{
	const char *action = ARG_TEXT(0);
	const char *reason = ARG_TEXT(1);
	const char *state = ARG_TEXT(2);
	const char *msg = ARG_TEXT(3);
	const char *hint = ARG_TEXT(4);
	JukiAuditRecord r;
	JukiDetail	d;
	bool		denied;

	require_internal("juki._fail");
	if (!action || !reason || !state || strlen(state) != 5 || !msg)
		elog(ERROR, "juki._fail needs action, reason, a 5-character SQLSTATE and a message");
	/* authorization and authentication refusals are denials, bad input errors */
	denied = strncmp(state, "42", 2) == 0 || strncmp(state, "28", 2) == 0;
	juki_audit_record_init(&r, action, denied ? JUKI_DENIED : JUKI_ERROR, reason);
	r.operator_id = ARG_ID(5);
	r.purpose = ARG_TEXT(6);
	jd_init(&d);
	jd_str(&d, "message", msg);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4])),
			 errmsg("%s", msg),
			 errdetail("reason: %s", reason),
			 hint ? errhint("%s", hint) : 0));
	PG_RETURN_VOID();
}
